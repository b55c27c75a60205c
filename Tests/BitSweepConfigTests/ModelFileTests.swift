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
