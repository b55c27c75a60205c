import BitOpsCore
@testable import Engine
import Testing

@Suite struct NetworkTests {
    /// A small network with awkward shapes: odd size, stride 2, 5×5 kernel, channels not multiples of 8/16.
    static func oddSpec(bits: Int = 32, actBits: Int = 32, stem: Bool = true) -> NetworkSpec {
        NetworkSpec(name: "odd", inputChannels: 3,
                    stem: stem ? StemSpec(outChannels: 5, kernel: 3, stride: 2, bits: bits, actBits: actBits) : nil,
                    blocks: [
                        BlockSpec(outChannels: 7, stride: 1, bits: bits, actBits: actBits, kernel: 3),
                        BlockSpec(outChannels: 13, stride: 2, bits: bits, actBits: actBits, kernel: 5),
                        BlockSpec(outChannels: 17, stride: 2, bits: bits, actBits: actBits, kernel: 3),
                    ],
                    classes: 11, classifierBits: bits)
    }

    @Test func floatNetworkMatchesNaiveReference() throws {
        let spec = Self.oddSpec()
        let weights = Reference.weightsWithBatchNorm(spec, seed: 3)
        let size = 13
        let net = try Network(spec: spec, inputSize: size, weights: weights, options: EngineOptions(batchSize: 2))
        let images = [Reference.randomImage(channels: 3, size: size, seed: 1), Reference.randomImage(channels: 3, size: size, seed: 2)]
        let out = try net.run(images)
        for (i, img) in images.enumerated() {
            let ref = Reference.run(spec, weights: weights, image: img.data, size: size, quantize: false)
            #expect(maxRelativeError(out.images[i].logits, ref.logits) < 1e-5, "image \(i)")
        }
    }
}
