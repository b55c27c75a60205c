import BitOpsCore
import Engine
import Foundation
import Results
import Testing
@testable import Sweep

/// A calibrated sweep measures each activation range once per run (`EngineEvaluator.forOneRun()`), not in each
/// timing round: counted with the evaluator's `onCalibration` hook, and the results are the same as with a
/// measurement in every round.
@Suite struct CalibrationOnceTests {
    /// Calls of the hook, by thread-safe count.
    final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private var jobs: [EvaluationJob] = []
        func add(_ j: EvaluationJob) { lock.lock(); jobs.append(j); lock.unlock() }
        var all: [EvaluationJob] { lock.lock(); defer { lock.unlock() }; return jobs }
    }

    /// The real engine, with `forOneRun` either scoped (as `EngineEvaluator` does: one memo per run) or not
    /// (every evaluation and timing round measures the ranges again: the behaviour before the memo). No
    /// reference workload (it would only slow the test).
    struct Counted: CaseEvaluator {
        var inner: EngineEvaluator
        var memo: Bool
        init(_ calls: Calls, memo: Bool) {
            self.init(EngineEvaluator(onCalibration: { calls.add($0) }), memo: memo)
        }
        /// `inner` with its counting hook set (e.g. `onGraphWeights`: GraphWeightsOnceTests).
        init(_ inner: EngineEvaluator, memo: Bool) {
            self.inner = inner
            self.memo = memo
        }
        var version: String { inner.version }
        var calibrationVersion: String { inner.calibrationVersion }
        var graphVersion: String { inner.graphVersion }
        func decode(path: String) throws -> RGBImage { try inner.decode(path: path) }
        func prepare(_ image: RGBImage, size: Int) throws -> Tensor { try inner.prepare(image, size: size) }
        func prepare(_ image: RGBImage, size: Int, preprocessing: Preprocessing) throws -> Tensor {
            try inner.prepare(image, size: size, preprocessing: preprocessing)
        }
        func evaluate(_ job: EvaluationJob, images: [Tensor]) throws -> Evaluation { try inner.evaluate(job, images: images) }
        func time(_ job: EvaluationJob, images: [Tensor]) throws -> [Double]? { try inner.time(job, images: images) }
        func checkMemory(_ job: EvaluationJob, imageCount: Int) throws { try inner.checkMemory(job, imageCount: imageCount) }
        func memoryBytes(_ image: RGBImage) -> Int { inner.memoryBytes(image) }
        func forOneRun() -> Counted {
            var c = self
            if memo { c.inner = inner.forOneRun() }
            return c
        }
    }

    /// Block networks: 2 sizes × 2 weight precisions × 2 activation precisions = 8 cases, 3 rounds each. Without
    /// the memo every case measures in its evaluation and in each of its 3 timing rounds: 8 × 4 = 32. With it,
    /// once per float network, size and images: the 8 cases have 2 float networks (one per size), so 2.
    @Test func aBlockSweepCalibratesOncePerFloatNetworkAndSize() throws {
        let d = TempDir()
        let images = repoRoot + "/Inputs/images"
        let s = try spec("""
            images: \(images)
            network: {preset: seed, calibrate: minmax}
            sizes: [8, 12]
            blocks: [2]
            precisions: [8, 4]
            act_bits: [8, 6]
            conventions: [weight]
            """, dir: d)
        let before = Calls(), after = Calls()
        let scoped = Counted(after, memo: true)
        let old = try run(s, out: d.sub("every-round"), evaluator: Counted(before, memo: false), repeats: 3)
        let new = try run(s, out: d.sub("once"), evaluator: scoped, repeats: 3)
        #expect(old.results.cases.count == 8 && old.results.cases.allSatisfy { $0.error == nil && $0.timings?.samplesMsPerImage?.count == 3 })
        #expect(before.all.count == 8 * (1 + 3))
        #expect(after.all.count == 2)
        #expect(Set(after.all.map(\.size)) == [8, 12])
        // The same results to the byte, timings aside: ranges, logits, fidelity, ids.
        #expect(try maskedResults(d.sub("every-round")) == maskedResults(d.sub("once")))
        #expect(new.results.cases.allSatisfy { $0.calibration?.method == .minmax && $0.calibration?.layers.isEmpty == false })
        // A second run of the same evaluator value starts with an empty memo (nothing kept between runs).
        _ = try run(s, out: d.sub("again"), evaluator: scoped, repeats: 2)
        #expect(after.all.count == 2 + 2)
    }

    /// A graph network (the imported fixture) is evaluated again in every round: without the memo 2 cases × 3
    /// rounds = 6 measurements; with it one (both cases have the same float network).
    @Test func aGraphSweepCalibratesOnce() throws {
        let d = ONNXFixture.folder()
        _ = try GraphSweepEndToEndTests.labelledFolder(d)
        let s = try spec("""
            images: labelled
            network:
              model: m.onnx
              calibrate: 'percentile:99'
            sizes: [32]
            precisions: [8, 4]
            act_bits: [8]
            """, dir: d)
        let before = Calls(), after = Calls()
        _ = try run(s, out: d.sub("every-round"), evaluator: Counted(before, memo: false), repeats: 3)
        let new = try run(s, out: d.sub("once"), evaluator: Counted(after, memo: true), repeats: 3)
        #expect(new.results.cases.count == 2 && new.results.cases.allSatisfy { $0.error == nil })
        #expect(before.all.count == 2 * 3)
        #expect(after.all.count == 1)
        #expect(try maskedResults(d.sub("every-round")) == maskedResults(d.sub("once")))
    }

    /// The memo's key holds the images: other images (or none of the same) measure again.
    @Test func otherImagesAreMeasuredAgain() throws {
        let calls = Calls()
        let e = EngineEvaluator(onCalibration: { calls.add($0) }).forOneRun()
        let spec = try Preset.seed.network(PresetOptions(blocks: 2, bits: .uniform(.bits(4)), actBits: .uniform(.bits(8))))
        var job = EvaluationJob(network: spec, size: 8, quantization: .perTensor, weights: .seed(0, initialization: .heNormal),
                                batch: 2, threads: 1)
        job.calibration = .minmax
        let a = (0..<2).map { k in Tensor(shape: [3, 8, 8], data: (0..<192).map { Float(($0 * 7 + k) % 13) / 13 }) }
        let b = a.map { Tensor(shape: $0.shape, data: $0.data.map { 2 * $0 }) }
        let first = try e.evaluate(job, images: a)
        _ = try e.time(job, images: a)
        #expect(calls.all.count == 1)
        let other = try e.evaluate(job, images: b)
        #expect(calls.all.count == 2)
        #expect(first.calibration != nil && first.calibration != other.calibration)
        // Without forOneRun: every call measures.
        let plain = EngineEvaluator(onCalibration: { calls.add($0) })
        _ = try plain.evaluate(job, images: a)
        _ = try plain.time(job, images: a)
        #expect(calls.all.count == 4)
        #expect(try plain.evaluate(job, images: a).calibration == first.calibration)
    }
}
