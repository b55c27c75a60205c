import BitOpsCore
import Engine
import Foundation
import Results
import Testing
@testable import Sweep

/// A sweep over a graph network makes its weights (imports the ONNX model, or draws the seeded weights) once per
/// run (`EngineEvaluator.forOneRun()`), not in each timing round (a graph case is evaluated again in every
/// round): counted with the evaluator's `onGraphWeights` hook, and the results are the same as with the weights
/// made in every round.
@Suite struct GraphWeightsOnceTests {
    /// The real engine, with `forOneRun` either scoped (one memo per run, as `EngineEvaluator` does) or not (every
    /// evaluation makes the weights again: the behaviour before the memo): CalibrationOnceTests' counting
    /// evaluator, counting weight loads (`onGraphWeights`) instead of calibrations.
    static func counted(_ calls: CalibrationOnceTests.Calls, memo: Bool) -> CalibrationOnceTests.Counted {
        CalibrationOnceTests.Counted(EngineEvaluator(onGraphWeights: { calls.add($0) }), memo: memo)
    }

    /// The imported fixture, 2 precisions × 2 activation precisions = 4 cases, 3 rounds each, calibrated (the
    /// calibration runs on the same weights). Without the memo every round of every case imports the model:
    /// 4 × 3 = 12; with it, once. The results are the same to the byte, timings aside, and a second run of the
    /// same evaluator value imports again (nothing kept between runs).
    @Test func anImportedModelIsImportedOncePerRun() throws {
        let d = ONNXFixture.folder()
        _ = try GraphSweepEndToEndTests.labelledFolder(d)
        let s = try spec("""
            images: labelled
            network:
              model: m.onnx
              calibrate: minmax
            sizes: [32]
            precisions: [8, 4]
            act_bits: [8, float]
            """, dir: d)
        let before = CalibrationOnceTests.Calls(), after = CalibrationOnceTests.Calls()
        let scoped = Self.counted(after, memo: true)
        let old = try run(s, out: d.sub("every-round"), evaluator: Self.counted(before, memo: false), repeats: 3)
        let new = try run(s, out: d.sub("once"), evaluator: scoped, repeats: 3)
        #expect(old.results.cases.count == 4 && old.results.cases.allSatisfy { $0.error == nil && $0.timings?.samplesMsPerImage?.count == 3 })
        #expect(new.results.cases.allSatisfy { $0.error == nil && $0.timings?.samplesMsPerImage?.count == 3 })
        #expect(before.all.count == 4 * 3)
        #expect(after.all.count == 1)
        #expect(try maskedResults(d.sub("every-round")) == maskedResults(d.sub("once")))
        #expect(old.results.cases.map(\.id) == new.results.cases.map(\.id))
        _ = try run(s, out: d.sub("again"), evaluator: scoped, repeats: 1)
        #expect(after.all.count == 1 + 1)
    }

    /// The mobilenet-v2 preset with seeded weights at two sizes: its tensors (names and shapes) are the same at
    /// both (the classifier follows a global average pool), so 2 sizes × 2 precisions = 4 cases, 2 rounds each,
    /// draw the weights once instead of 4 × 2 = 8 times, with the same results; another seed draws its own.
    @Test func presetWeightsAreDrawnOncePerSeedAcrossSizesAndPrecisions() throws {
        let d = TempDir()
        let s = try spec("""
            images: \(repoRoot)/Inputs/images
            network: {preset: mobilenet-v2, width: 0.35, classes: 10}
            sizes: [32, 48]
            precisions: [8, 4]
            act_bits: [8]
            """, dir: d)
        let before = CalibrationOnceTests.Calls(), after = CalibrationOnceTests.Calls()
        _ = try run(s, out: d.sub("every-round"), evaluator: Self.counted(before, memo: false), repeats: 2)
        let new = try run(s, out: d.sub("once"), evaluator: Self.counted(after, memo: true), repeats: 2)
        #expect(new.results.cases.count == 4 && new.results.cases.allSatisfy { $0.error == nil })
        #expect(before.all.count == 4 * 2)
        #expect(after.all.count == 1)
        #expect(try maskedResults(d.sub("every-round")) == maskedResults(d.sub("once")))
    }

    /// The memo's key, called directly: the weight source (seed, initialisation) and the tensors the network
    /// needs. Bits and (for the preset) the size do not change them; another seed, initialisation or width does.
    @Test func seededWeightsAreKeyedBySourceAndTensors() throws {
        let calls = CalibrationOnceTests.Calls()
        let e = EngineEvaluator(onGraphWeights: { calls.add($0) }).forOneRun()
        func weights(width: Double = 0.35, bits: Int = 8, size: Int = 32, seed: Int = 0,
                     initialization: WeightInit = .heNormal) throws -> GraphWeights {
            let g = try GraphNetworks.mobileNetV2(width: width, classes: 10, precision: GraphPrecision(bits: .uniform(.bits(bits))))
            let job = EvaluationJob(network: .graph(GraphCase(network: g, classes: 10, preprocessing: .seedDefault)), size: size,
                                    quantization: .perTensor, weights: .seed(seed, initialization: initialization), batch: 1, threads: 1)
            return try e.graphWeights(job, network: g)
        }
        let first = try weights()
        #expect(try weights(bits: 4, size: 48).tensors == first.tensors)
        #expect(calls.all.count == 1)
        let other = try weights(seed: 1)
        #expect(calls.all.count == 2 && other.tensors != first.tensors)
        #expect(try weights(initialization: .pytorchDefault).tensors != first.tensors)
        #expect(calls.all.count == 3)
        #expect(try weights(width: 0.5).tensors.count == first.tensors.count)
        #expect(calls.all.count == 4)
        // Each is the set a plain evaluator (no memo) makes.
        let plain = EngineEvaluator()
        let g = try GraphNetworks.mobileNetV2(width: 0.35, classes: 10, precision: GraphPrecision(bits: .uniform(.bits(4))))
        let job = EvaluationJob(network: .graph(GraphCase(network: g, classes: 10, preprocessing: .seedDefault)), size: 48,
                                quantization: .perTensor, weights: .seed(0, initialization: .heNormal), batch: 1, threads: 1)
        #expect(try plain.graphWeights(job, network: g).tensors == first.tensors)
    }
}
