import BitOpsCore
import Engine
import Foundation
import Results
import Testing
@testable import Sweep

/// The real engine through the sweep's evaluator: the job's kernel choice reaches the network, and the
/// evaluation says which kernels ran and how close the integer run is to the simulated one.
@Suite struct KernelsEngineTests {
    func images(_ e: EngineEvaluator, size: Int) throws -> [Tensor] {
        try (0..<3).map { k in
            let img = RGBImage(width: 9, height: 7, pixels: (0..<(9 * 7 * 3)).map { UInt8(($0 * (31 + 10 * k) + 7 * k) % 256) })
            return try e.prepare(img, size: size)
        }
    }

    func job(_ kernels: Kernels, act: BitWidth) throws -> EvaluationJob {
        let net = try Preset.seed.network(PresetOptions(blocks: 2, bits: .uniform(8), actBits: .uniform(act)))
        return EvaluationJob(network: net, size: 16, quantization: .perTensor, weights: .seed(0, initialization: .heNormal),
                             batch: 2, threads: 1, kernels: kernels)
    }

    @Test func autoRunsInt8WhereTheInputIsQuantizedAndChecksItselfAgainstTheSimulatedRun() throws {
        let e = EngineEvaluator()
        let out = try e.evaluate(try job(.auto, act: 8), images: try images(e, size: 16))
        // Seed, 2 blocks (no stem): the first depthwise layer sees the float image, pool and classifier run
        // float; the other three convolutions have 8-bit weights and 8-bit inputs.
        #expect(out.kernels?.layers.map(\.layer) == ["block0.depthwise", "block0.pointwise", "block1.depthwise", "block1.pointwise", "pool", "classifier"])
        #expect(out.kernels?.layers.map(\.kernel) == [.float, .int8, .int8, .int8, .float, .float])
        #expect(out.kernels?.summary == "int8 kernels on 3 of 6 layers (float: block0.depthwise, pool, classifier)")
        // The integer run differs from the simulated run only by requantization rounding: close, not equal to
        // the float twin's distance.
        for image in out.images {
            let s = try #require(image.simulatedSQNR)
            #expect(s > 25, "integer vs simulated SQNR \(s) dB")
        }
    }

    @Test func floatKernelsAndFloatActivationsRunNoInt8Layer() throws {
        let e = EngineEvaluator()
        for (kernels, act) in [(Kernels.float, BitWidth.bits(8)), (.auto, .float)] {
            let out = try e.evaluate(try job(kernels, act: act), images: try images(e, size: 16))
            #expect(out.kernels?.requested == kernels)
            #expect(out.kernels?.int8Layers == 0)
            #expect(out.kernels?.summary == "float kernels, simulated quantization")
            #expect(out.images.allSatisfy { $0.simulatedSQNR == nil })
        }
    }

    /// Later timing rounds (`time`) run the quantized network alone, without the float twin and the simulated
    /// run: that network computes exactly the logits `evaluate`'s network gives (so the samples time the same
    /// work), on float and integer kernels, and its kernels are the same; `time` times at least
    /// `minimumTimedBatches` batches, each a positive time.
    @Test func theTimedNetworkIsTheEvaluatedOneWithoutItsTwin() throws {
        let e = EngineEvaluator()
        for (kernels, act, calibration) in [(Kernels.float, BitWidth.bits(8), Calibration.fixed), (.auto, .bits(8), .fixed),
                                            (.auto, .float, .fixed), (.auto, .bits(8), .minmax)] {
            var j = try job(kernels, act: act)
            j.calibration = calibration
            let inputs = try images(e, size: 16)
            let evaluated = try e.evaluate(j, images: inputs)
            let alone = try EngineEvaluator.network(j, batch: 2, fidelity: false, images: inputs)
            #expect(evaluated.calibration != nil && alone.activationCalibration == evaluated.calibration, "\(calibration)")
            let logits = try alone.run(Array(inputs[0..<2])).images.map(\.logits) + (try alone.run([inputs[2]])).images.map(\.logits)
            #expect(logits.map { $0.map(Double.init) } == evaluated.images.map(\.logits), "\(kernels) act \(act)")
            #expect(alone.kernelUse == evaluated.kernels)
            let batches = try #require(try e.time(j, images: inputs))
            #expect(batches.count >= EngineEvaluator.minimumTimedBatches && batches.count <= EngineEvaluator.maximumTimedBatches)
            #expect(batches.allSatisfy { $0 > 0 })
        }
    }

    /// The test-only slow-down runs the same batch again: ⌈F − 1⌉ more runs, (F − 1)/⌈F − 1⌉ of their time added.
    @Test func theDebugSlowdownAddsRealRunsOfTheSameBatch() throws {
        var runs = 0
        let again = { () -> Double in runs += 1; return 0.002 }
        #expect(EngineEvaluator().slowedDown(0.010, again: again) == 0.010 && runs == 0)
        let f13 = EngineEvaluator(debugSlowdown: 1.3).slowedDown(0.010, again: again)
        #expect(runs == 1 && abs(f13 - (0.010 + 0.3 * 0.002)) < 1e-15)
        runs = 0
        let f25 = EngineEvaluator(debugSlowdown: 2.5).slowedDown(0.010, again: again)
        #expect(runs == 2 && abs(f25 - (0.010 + 1.5 / 2 * 0.004)) < 1e-15)
        // The slowed engine says so in its version (so no cache is shared with a normal run).
        #expect(EngineEvaluator(debugSlowdown: 1.3).version.hasSuffix("TEST-ONLY debug-slowdown 1.3"))
        #expect(EngineEvaluator().version == EngineEvaluator.engineVersion)
    }

    /// A graph case keeps timing through `evaluate`: `time` returns nil (the runner then takes `evaluate`'s
    /// batches), `evaluate` times at least `minimumTimedBatches` batches on a small set (3 images, batch 2: two
    /// batches plus one more pass), the slowed engine runs its batches again (its samples come from there) with
    /// the same logits, and `network` (block form only) refuses it.
    @Test func aGraphCaseIsTimedByEvaluateAndNotByTime() throws {
        let spec = try Preset.seed.network(PresetOptions(blocks: 2, bits: .uniform(8), actBits: .uniform(.bits(8))))
        let graph = GraphCase(network: try spec.graph(), classes: spec.classes, preprocessing: .seedDefault)
        let j = EvaluationJob(network: .graph(graph), size: 16, quantization: .perTensor, weights: .seed(0, initialization: .heNormal),
                              batch: 2, threads: 1, kernels: .auto)
        let e = EngineEvaluator()
        let inputs = try images(e, size: 16)
        #expect(try e.time(j, images: inputs) == nil)
        let evaluated = try e.evaluate(j, images: inputs)
        #expect(evaluated.images.count == 3)
        #expect(evaluated.batchMsPerImage.count == EngineEvaluator.minimumTimedBatches && evaluated.batchMsPerImage.allSatisfy { $0 > 0 })
        let slowed = try EngineEvaluator(debugSlowdown: 1.5).evaluate(j, images: inputs)
        #expect(slowed.images.map(\.logits) == evaluated.images.map(\.logits))
        #expect(slowed.batchMsPerImage.count == EngineEvaluator.minimumTimedBatches)
        #expect(throws: SweepError.self) { try EngineEvaluator.network(j, batch: 2, fidelity: false, images: inputs) }
        // A block case's `network` refuses an ONNX model's weights, in one line naming the file.
        var block = try job(.auto, act: 8)
        block.weights = .onnx(path: "m.onnx", sha256: "0")
        let refused = #expect(throws: SweepError.self) { try EngineEvaluator.network(block, batch: 2, fidelity: false, images: inputs) }
        #expect(refused?.description.hasPrefix("m.onnx: ") == true && refused?.description.contains("\n") == false)
    }
}
