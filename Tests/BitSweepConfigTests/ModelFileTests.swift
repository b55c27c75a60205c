import BitOpsCore
import Foundation
import Testing
@testable import BitSweepConfig

struct ModelFileTests {
    @Test func readsYAML() throws {
        let spec = try ModelFile.parse("""
        name: tiny
        input_channels: 1
        classes: 4
        stem: {out_channels: 8, bits: 8}
        blocks:
          - {out_channels: 16, stride: 1, bits: 8}
          - {out_channels: 32, stride: 2, bits: 4, act_bits: 8, kernel: 5}
        """)
        #expect(spec.name == "tiny")
        #expect(spec.inputChannels == 1)
        #expect(spec.classes == 4)
        #expect(spec.stem == StemSpec(outChannels: 8, kernel: 3, stride: 2, bits: 8))
        #expect(spec.blocks == [BlockSpec(outChannels: 16, stride: 1, bits: 8),
                                BlockSpec(outChannels: 32, stride: 2, bits: 4, actBits: 8, kernel: 5)])
        #expect(spec.classifierBits == 32)
    }

    /// `depthwise_bits`/`pointwise_bits` set one layer of a block; a value equal to `bits` is not stored (the
    /// network, and so its hash, is the same as without the key). The counts follow: block 0's depthwise
    /// layer at 8 bits and pointwise at 2 (3×3×4 = 36 and 4×8 = 32 weights: 36·8 + 32·2 = 352 bits).
    @Test func perLayerBitsOfABlock() throws {
        let spec = try ModelFile.parse("""
        input_channels: 4
        blocks:
          - {out_channels: 8, stride: 1, bits: 2, depthwise_bits: 8}
          - {out_channels: 8, stride: 1, bits: 4, depthwise_bits: 4, pointwise_bits: 16}
        """)
        #expect(spec.blocks[0].depthwiseBits == 8 && spec.blocks[0].pointwiseBits == nil)
        #expect(spec.blocks[1].depthwiseBits == nil && spec.blocks[1].pointwiseBits == 16)
        let cost = try spec.cost(inputSize: 8)
        let l = Dictionary(uniqueKeysWithValues: cost.layers.map { ($0.name, $0) })
        #expect(l["block0.depthwise"]?.weightBits == 8 && l["block0.pointwise"]?.weightBits == 2)
        #expect(l["block0.depthwise"]!.weightStorageBits + l["block0.pointwise"]!.weightStorageBits == 36 * 8 + 32 * 2)
        #expect(l["block1.pointwise"]?.weightBits == 16)
        // A bad width names its block and key.
        #expect(throws: ConfigError.self) {
            try ModelFile.parse("blocks:\n  - {out_channels: 8, stride: 1, bits: 2, pointwise_bits: 40}\n")
        }
        do {
            _ = try ModelFile.parse("blocks:\n  - {out_channels: 8, stride: 1, bits: 2, pointwise_bits: 40}\n")
        } catch let e as ConfigError {
            #expect(e.issues.count == 1 && e.issues[0].line == 2 && e.issues[0].message.contains("block 0: pointwise_bits"))
        }
    }

    @Test func readsJSON() throws {
        let spec = try ModelFile.parse(#"{"input_channels": 3, "blocks": [{"out_channels": 32, "stride": 1, "bits": 4}]}"#)
        #expect(spec.blocks == [BlockSpec(outChannels: 32, stride: 1, bits: 4)])
    }

    /// All problems at once, each with its line.
    @Test func reportsEveryErrorWithItsLine() {
        let text = """
        input_channels: 3
        blocks:
          - {out_channels: 32, stride: 1, bits: 4}
          - out_channels: -2
            stride: 0
            bits: 33
          - {out_channels: 64, strid: 2, bits: 4}
        clases: 10
        """
        do {
            _ = try ModelFile.parse(text, file: "m.yaml")
            Issue.record("expected an error")
        } catch let e as ConfigError {
            let lines = e.issues.map(\.description)
            #expect(lines.contains("m.yaml:4: block 1: out_channels -2 is out of range; expected a positive integer"))
            #expect(lines.contains("m.yaml:5: block 1: stride 0 is out of range; expected a stride 1–64"))
            #expect(lines.contains("m.yaml:6: block 1: bits 33 is out of range; expected a bit width 1–16, or float (also written 32)"))
            #expect(lines.contains { $0.hasPrefix("m.yaml:7: block 2: unknown key 'strid' (did you mean 'stride'?)") })
            #expect(lines.contains("m.yaml:7: block 2: missing required key 'stride'"))
            #expect(lines.contains { $0.hasPrefix("m.yaml:8: model file: unknown key 'clases' (did you mean 'classes'?)") })
            #expect(lines.count == 6)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func syntaxErrorNamesTheLine() {
        #expect {
            try ModelFile.parse("blocks:\n  - {out_channels: 3\n  bits: [", file: "bad.yaml")
        } throws: { e in
            guard let e = e as? ConfigError, let i = e.issues.first else { return false }
            return i.file == "bad.yaml" && i.line != nil && e.issues.count == 1
        }
    }

    @Test func evenKernelAndEmptyBlocks() {
        #expect(throws: ConfigError.self) { try ModelFile.parse("blocks:\n  - {out_channels: 3, stride: 1, bits: 4, kernel: 4}\n") }
        #expect(throws: ConfigError.self) { try ModelFile.parse("blocks: []\n") }
        #expect(throws: ConfigError.self) { try ModelFile.parse("input_channels: 3\n") }
    }

    @Test func missingFileIsOneLine() {
        #expect {
            try ModelFile.load(path: "/nonexistent/model.yaml")
        } throws: { e in
            "\(e)" == "/nonexistent/model.yaml: the file does not exist"
        }
    }
}
