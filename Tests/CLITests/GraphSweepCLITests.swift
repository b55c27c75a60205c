import Foundation
import Testing

/// `bitsweep sweep` over graph networks from the command line: the committed example over an imported ONNX
/// model with the labelled folder, and a bad graph spec as one line, exit 2, nothing written.
@Suite struct GraphSweepCLITests {
    static func scratch() throws -> URL {
        let u = FileManager.default.temporaryDirectory.appendingPathComponent("bitsweep-cli-graph-sweep-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: u, withIntermediateDirectories: true)
        return u
    }

    @Test func theExampleSpecRunsTheImportedModelAndRecordsAccuracy() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["sweep", "Inputs/sweeps/mobilenet-v2-imported.yaml", "--no-report", "--repeats", "1",
                             "--set", "precisions=[8, 4]", "--set", "act_bits=[float]", "--out", out.path])
        #expect(r.status == 0, "\(r.stderr)")
        let data = try Data(contentsOf: out.appendingPathComponent("results.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let cases = json["cases"] as! [[String: Any]]
        #expect(cases.count == 2)
        for c in cases {
            let accuracy = c["accuracy"] as? [String: Any]
            #expect(accuracy?["images"] as? Int == 20)   // Inputs/labelled: 5 classes × 4 images
            #expect(accuracy?["float_top1_correct"] is Int)
            let pre = c["preprocessing"] as? [String: Any]   // from the model's sidecar .preprocess.yaml
            #expect(pre?["mean"] as? [Double] == [0.485, 0.456, 0.406])
            let config = c["config"] as! [String: Any]
            #expect((config["weights"] as? String)?.hasPrefix("onnx:") == true)
        }
        // Exact counts of Inputs/models/mnv2-trained-head.onnx at 64×64 (MACs per layer: output pixels × output
        // channels × input channels per group × k²): the stem 32·32·32·3·9 = 884,736 and the classifier 512·5 =
        // 2,560 at 8 bits; the blocks features.1 (32·32·32·9 + 32·32·16·32 = 819,200), features.2 (32·32·96·16 +
        // 16·16·96·9 + 16·16·24·96 = 2,383,872), features.3 (16·16·144·24 + 16·16·144·9 + 16·16·24·144 = 2,101,248)
        // and features.4 (16·16·512·24 = 3,145,728) — 8,450,048 MACs — at 8 and at 4 bits.
        let blocks = 819_200 + 2_383_872 + 2_101_248 + 3_145_728, outside = 884_736 + 2_560
        let bitops = cases.map { (($0["cost"] as! [String: Any])["totals"] as! [String: Any])["bitops"] as? Int }
        #expect(bitops == [blocks * 8 + outside * 8, blocks * 4 + outside * 8])
    }

    @Test func aBadGraphSpecIsOneLineAtItsLineAndWritesNothing() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = CLI.packageRoot.appendingPathComponent("Tests/Fixtures/onnx/mnv2-folded.onnx").path
        let spec = dir.appendingPathComponent("s.yaml")
        try "images: \(CLI.packageRoot.appendingPathComponent("Inputs/labelled").path)\nnetwork:\n  model: \(model)\n  layer_bits:\n    nothing.*: 4\n"
            .write(to: spec, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["sweep", spec.path, "--no-report", "--out", out.path])
        #expect(r.status == 2 && r.stdout.isEmpty)
        #expect(r.stderr.hasPrefix("\(spec.path):5: network layer_bits: layer bits pattern 'nothing.*' matches no convolution or gemm layer"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
