import Foundation
import Testing

/// `--model FILE.onnx` on the command line: `calc` over the imported graph with the precision options, and the
/// one-line errors (exit 2) for files the import refuses. The counts are the hand-derived ones of
/// ONNXImportTests (Tests/Fixtures/onnx/mnv2-folded.onnx at 32×32: 583,296 MACs, 7,954 parameters).
@Suite struct ONNXImportCLITests {
    static let folded = "Tests/Fixtures/onnx/mnv2-folded.onnx"

    static func json(_ arguments: [String]) throws -> [String: Any] {
        let r = try CLI.run(["calc", "--model", folded, "--format", "json"] + arguments)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    @Test func floatTotals() throws {
        let obj = try Self.json([])
        let totals = obj["totals"] as! [String: Any]
        #expect(obj["network"] as? String == "mnv2-folded" && obj["input_size"] as? Int == 32)
        #expect(totals["macs"] as? Int == 583_296)
        #expect(totals["params"] as? Int == 7_954)
        #expect(totals["bitops"] as? Int == 32 * 583_296)
        #expect(obj["elementwise_ops"] as? Int == 3_072 && obj["pooling_ops"] as? Int == 4_096)
        #expect((obj["blocks"] as! [[String: Any]]).map { $0["name"] as! String } == ["features.1", "features.2", "features.3", "features.4"])
    }

    /// `--bits` sets the four blocks, `--stem-bits`/`--classifier-bits` the layers outside them, `--layer-bits` wins.
    @Test func precisionOptions() throws {
        let layers = try Self.json(["--bits", "4,8,4,2", "--stem-bits", "8", "--classifier-bits", "6",
                                    "--layer-bits", "features.*.conv.1.0=3"])["layers"] as! [[String: Any]]
        let bits = Dictionary(uniqueKeysWithValues: layers.map { ($0["name"] as! String, $0["weight_bits"] as! Int) })
        #expect(bits == [
            "features.0.0": 8, "features.1.conv.0.0": 4, "features.1.conv.1": 4,
            "features.2.conv.0.0": 8, "features.2.conv.1.0": 3, "features.2.conv.2": 8,
            "features.3.conv.0.0": 4, "features.3.conv.1.0": 3, "features.3.conv.2": 4,
            "features.4.0": 2, "classifier.1": 6,
        ])
        // features.1's depthwise is conv.0.0 (t = 1 has no expansion), so the pattern leaves it at 4.
        let totals = try Self.json(["--bits", "4"])["totals"] as! [String: Any]
        #expect(totals["bitops"] as? Int == (583_296 - 55_296 - 640) * 4 + (55_296 + 640) * 32)
    }

    @Test func table() throws {
        let r = try CLI.run(["calc", "--model", Self.folded, "--bits", "4", "--exact"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.hasPrefix("mnv2-folded · 4 blocks · 32×32 input"))
        #expect(r.stdout.contains("MACs 583,296 · params 7,954"))
        #expect(r.stdout.split(separator: "\n").contains { $0.hasPrefix("features.3.add ") })
    }

    /// Refused files: one line starting with the file's path, exit 2, nothing on stdout.
    @Test func errors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onnx-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Data(contentsOf: CLI.packageRoot.appendingPathComponent(Self.folded))
        let cut = dir.appendingPathComponent("cut.onnx").path
        try data.prefix(1000).write(to: URL(fileURLWithPath: cut))
        let cases: [([String], String)] = [
            (["--model", "Tests/Fixtures/onnx/unsupported-resize.onnx"],
             "Tests/Fixtures/onnx/unsupported-resize.onnx: node 'upsample' (Resize): operator not supported; supported: Conv,"),
            (["--model", cut], "\(cut): not a readable ONNX model (protobuf decoding failed"),
            (["--model", Self.folded, "--size", "64"],
             "\(Self.folded): the model's input is fixed at 32×32; size 64 differs (leave --size out, or give 32)"),
            (["--model", Self.folded, "--bits", "4,4"], "bitsweep calc: bits list 4,4 has 2 entries; expected 4, one per block"),
            (["--model", Self.folded, "--width", "0.5"], "bitsweep calc: --width does not apply to --model"),
        ]
        for (arguments, start) in cases {
            let r = try CLI.run(["calc"] + arguments)
            #expect(r.status == 2, "\(arguments)")
            #expect(r.stdout.isEmpty)
            #expect(r.stderr.hasPrefix(start), "\(arguments): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        // A sweep spec naming an ONNX model takes it as a graph network: the spec's blocks axis is one line at its line.
        let model = CLI.packageRoot.appendingPathComponent(Self.folded).path
        let sweep = try CLI.run(["sweep", "Inputs/sweeps/mobilenet-v1.yaml", "--set", "network.model=\(model)", "--no-report",
                                 "--out", dir.appendingPathComponent("out").path])
        #expect(sweep.status == 2 && sweep.stdout.isEmpty)
        #expect(sweep.stderr.hasPrefix("Inputs/sweeps/mobilenet-v1.yaml:") && sweep.stderr.contains("blocks does not apply to mnv2-folded"), "\(sweep.stderr)")
        #expect(sweep.stderr.split(separator: "\n").count == 1, "\(sweep.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
        // The commands that take only block-form networks say so, in one line (infer, bench and export take ONNX
        // models).
        let sensitivity = try CLI.run(["sensitivity", "--model", Self.folded, "Inputs/images"])
        #expect(sensitivity.status == 2 && sensitivity.stdout.isEmpty)
        #expect(sensitivity.stderr.contains("is an ONNX model (a graph network), which this command cannot take yet"), "\(sensitivity.stderr)")
        #expect(sensitivity.stderr.split(separator: "\n").count == 1, "\(sensitivity.stderr)")
    }
}
