import BitOpsCore
import Engine
import Foundation
import ONNXExport
import ONNXImport
import Testing

/// A block-form network exported (`ONNXExport(spec:…)`, nodes `block0.depthwise/Conv`, …) reads back with its blocks:
/// `block0`, `block1`, … each holding its depthwise and pointwise layers, the stem, pool and classifier outside, so
/// that per-block precision and per-block counts keep their meaning on a round trip.
@Suite struct BlockGroupsTests {
    static let spec = NetworkSpec(name: "tiny", stem: StemSpec(outChannels: 8, bits: .bits(8), actBits: .bits(8)),
                                  blocks: [BlockSpec(outChannels: 16, stride: 1, bits: .bits(8), actBits: .bits(8)),
                                           BlockSpec(outChannels: 24, stride: 2, bits: .bits(4), actBits: .bits(8)),
                                           BlockSpec(outChannels: 24, stride: 1, bits: .bits(2), actBits: .bits(4))],
                                  classes: 5, classifierBits: .bits(8))

    static func reimported(kernels: Kernels) throws -> ImportedModel {
        let e = try ONNXExport(spec: Self.spec, inputSize: 12, weights: ONNXExportTests.weights(Self.spec), granularity: .perTensor,
                               kernels: kernels, source: "test")
        return try ONNXImport.read(try e.serializedData(), origin: "tiny.onnx", name: "tiny")
    }

    /// Both forms of the convolutions (BatchNorm form with float kernels, folded with integer ones): the blocks by
    /// name, each layer in the block its name starts with, and per block the BitOps the block form counts for it
    /// (`NetworkSpec.cost`, summed by hand over the block's two convolutions) at both conventions.
    @Test(arguments: [Kernels.float, .integer])
    func anExportedBlockNetworkReadsBackWithItsBlocks(kernels: Kernels) throws {
        let back = try Self.reimported(kernels: kernels).network
        #expect(back.blocks == ["block0", "block1", "block2"])
        for l in back.layers {
            let expected = (0..<3).first { l.name.hasPrefix("block\($0).") }
            #expect(l.block == expected, "\(l.name)")
        }
        #expect(back.layers.filter { $0.block != nil && $0.op.hasWeights }.count == 6)
        for convention in [BitOpsConvention.weight, .wa] {
            let original = try Self.spec.cost(inputSize: 12, convention: convention)
            let graph = try back.cost(inputSize: 12, convention: convention)
            for b in 0..<3 {
                let wanted = original.layers.filter { $0.name.hasPrefix("block\(b).") }.reduce(0) { $0 + $1.bitops }
                #expect(wanted > 0 && graph.blocks[b].totals.bitops == wanted, "block\(b) \(convention)")
            }
            #expect(graph.totals.bitops == original.totals.bitops)
        }
        // Per-block precision on the read-back network sets the weights of that block's two convolutions only.
        let set = try back.settingBlockPrecision(bits: [.bits(3), .bits(5), .bits(6)], actBits: nil)
        for l in set.layers where l.op.hasWeights {
            let old = back.layers.first { $0.name == l.name }!
            #expect(l.bits == (l.block.map { [BitWidth.bits(3), .bits(5), .bits(6)][$0] } ?? old.bits), "\(l.name)")
        }
    }
}
