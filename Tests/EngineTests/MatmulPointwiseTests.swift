import BitOpsCore
@testable import Engine
import Testing

/// Pointwise layers on small maps run as oneDNN matmuls on nhwc activations (`Network.convolutionOp`); the
/// rest as convolutions on the layouts oneDNN chooses.
@Suite struct MatmulPointwiseTests {
    /// Exactly the pointwise layers whose map has at most 16 positions run as matmuls (none with the rule off),
    /// and both forms match the naive reference — with 512 and 1024 input channels in the last two blocks.
    @Test func smallMapsRunAsMatmulsAndMatchTheReference() throws {
        let spec = try Preset.seed.network(PresetOptions(blocks: 7, bits: .uniform(.float), actBits: .uniform(.float)))
        let size = 8   // maps of blocks 0…6: 8×8, 4×4, 4×4, 2×2, 2×2, 1×1, 1×1
        let weights = Reference.weightsWithBatchNorm(spec, seed: 5)
        let net = try Network(spec: spec, inputSize: size, weights: weights, options: EngineOptions(batchSize: 2))
        #expect(net.ops.filter { $0.view != nil }.map(\.name) == (1...6).map { "block\($0).pointwise" })
        var off = EngineOptions(batchSize: 2)
        off.plainLayoutMaxPositions = 0
        let conv = try Network(spec: spec, inputSize: size, weights: weights, options: off)
        #expect(conv.ops.allSatisfy { $0.view == nil })
        let images = [Reference.randomImage(channels: 3, size: size, seed: 3), Reference.randomImage(channels: 3, size: size, seed: 4)]
        let a = try net.run(images).images, b = try conv.run(images).images
        for (i, img) in images.enumerated() {
            let ref = Reference.run(spec, weights: weights, image: img.data, size: size, quantize: false)
            #expect(maxRelativeError(a[i].logits, ref.logits) < 1e-5, "matmuls, image \(i)")
            #expect(maxRelativeError(b[i].logits, ref.logits) < 1e-5, "convolutions, image \(i)")
        }
    }
}
