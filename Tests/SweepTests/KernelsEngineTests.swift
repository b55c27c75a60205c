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
}
