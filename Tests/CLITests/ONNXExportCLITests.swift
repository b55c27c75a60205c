import Foundation
import Testing

/// `bitsweep export` as its user runs it: the written model checked by `onnx.checker` and run in ONNX Runtime
/// against `bitsweep infer` on the same images (Tests/Python/check_onnx_export.py, in the environment of
/// scripts/test-venv.sh, which installs numpy, onnx and onnxruntime from PyPI); and its error policy.
@Suite struct ONNXExportCLITests {
    @Test func exportedModelsRunInONNXRuntimeAsInferRunsThem() throws {
        let py = try NotebookAndBrowserTests.python.get()
        let dir = NSTemporaryDirectory() + "bitsweep-onnx-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = NotebookAndBrowserTests.run(py, [CLI.packageRoot.path + "/Tests/Python/check_onnx_export.py", CLI.binary.path, dir])
        #expect(r.status == 0, "\(r.output)")
        // 5 configurations: checker and opset each (10); float agreement and top-1 each (10); integer kernels
        // against the float-form model where they apply (3 configurations: SQNR match and top-1, plus the 30 dB
        // bar at w8a8: 7); the folded model (--kernels integer): refused for 2, and for 3 checker, QLinearConv
        // count, agreement and top-1 (2 + 12).
        #expect(r.output.contains("41 passed, 0 failed"), "\(r.output)")
        print(r.output)
    }

    /// Graph networks (ONNX models, the mobilenet-v2 preset): the exported models in ONNX Runtime against
    /// `bitsweep infer` on the same images, re-imported counts against `calc`, and `--kernels integer` refused
    /// (Tests/Python/check_graph_onnx_export.py).
    @Test func exportedGraphsRunInONNXRuntimeAsInferRunsThem() throws {
        let py = try NotebookAndBrowserTests.python.get()
        let dir = NSTemporaryDirectory() + "bitsweep-graph-onnx-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = CLI.packageRoot.path
        let r = NotebookAndBrowserTests.run(py, [root + "/Tests/Python/check_graph_onnx_export.py", CLI.binary.path,
                                                 root + "/Tests/Fixtures/onnx", dir])
        #expect(r.status == 0, "\(r.output)")
        // 6 configurations: checker, opset, agreement as written and its top-1, agreement with every ORT
        // optimisation (30); re-imported counts and re-imported logits (12); --kernels integer refused (1).
        #expect(r.output.contains("43 passed, 0 failed"), "\(r.output)")
        print(r.output)
    }

    /// A graph export's bad input: one line, exit 2, the previous model left as it was.
    @Test func graphBadInputIsOneLineAndLeavesThePreviousModel() throws {
        let dir = NSTemporaryDirectory() + "bitsweep-graph-onnx-err-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/model.onnx"
        let fixture = CLI.packageRoot.path + "/Tests/Fixtures/onnx/mnv2-folded.onnx"
        let first = try CLI.run(["export", "--model", fixture, "--bits", "4", "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("mnv2-folded, 22 layers, 4 blocks, 32×32, weights \(fixture) (the model's own) (per-tensor), float kernels, simulated quantization (as infer --kernels float runs it)\nwrote \(out): "), "\(first.stdout)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        for (args, message) in [
            (["--model", dir + "/missing.onnx"], "\(dir)/missing.onnx: no such file"),
            (["--model", fixture, "--weights", dir + "/w.safetensors"], "bitsweep export: --weights \(dir)/w.safetensors does not apply to \(fixture): an ONNX model carries its weights"),
            (["--preset", "mobilenet-v2", "--width", "0.35", "--kernels", "integer"], "bitsweep export: kernels integer: integer kernels are not available for graph networks (mobilenet-v2); export with --kernels float or auto (float kernels, simulated quantization)"),
            (["--blocks", "2", "--layer-bits", "*=4"], "bitsweep export: --layer-bits applies to graph networks (mobilenet-v2, ONNX models); seed is a block-form network: set its precision with --bits, --stem-bits and --classifier-bits"),
        ] {
            let r = try CLI.run(["export", "--out", out] + args)
            #expect(r.status == 2 && r.stdout.isEmpty && r.stderr == message + "\n", "\(args): \(r.status) \(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before, "\(args) changed the model")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["model.onnx"])
    }

    /// Bad input: one line, exit 2, and the previous model is left as it was.
    @Test func badInputIsOneLineAndLeavesThePreviousModel() throws {
        let dir = NSTemporaryDirectory() + "bitsweep-onnx-err-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/model.onnx"
        let first = try CLI.run(["export", "--blocks", "2", "--bits", "4", "--out", out])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("wrote \(out): ") && first.stdout.contains("ONNX opset 13 (IR 7), 19 nodes"), "\(first.stdout)")
        let before = try Data(contentsOf: URL(fileURLWithPath: out))
        // The ONNX protobuf starts with ir_version (field 1, varint 7): bytes 0x08 0x07.
        #expect(before.prefix(2) == Data([0x08, 0x07]))
        let junk = dir + "/junk.safetensors"
        try Data("junk!".utf8).write(to: URL(fileURLWithPath: junk))
        for (args, message) in [
            (["--weights", dir + "/missing.safetensors"], "\(dir)/missing.safetensors: cannot open (No such file or directory)"),
            (["--weights", junk], "\(junk): not a safetensors file: 5 bytes, shorter than the 8-byte header length"),
            (["--blocks", "13"], "bitsweep export: blocks 13 is out of range for the seed preset: expected 1–12"),
            (["--bits", "17"], "bitsweep export: bits 17 is out of range: expected 1–16, or float (also written 32)"),
        ] {
            let r = try CLI.run(["export", "--blocks", "2", "--bits", "4", "--out", out] + args)
            #expect(r.status == 2 && r.stdout.isEmpty && r.stderr == message + "\n", "\(args): \(r.status) \(r.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == before, "\(args) changed the model")
        }
        let noOut = try CLI.run(["export", "--blocks", "2"])
        #expect(noOut.status == 2 && noOut.stderr == "bitsweep export: Missing expected argument '--out <file>'\n", "\(noOut.stderr)")
        // Nothing but the model and the junk input: no temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["junk.safetensors", "model.onnx"])
    }
}
