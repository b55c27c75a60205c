import Foundation
import Testing

/// `infer`'s preprocessing: flags over the model's sidecar over the seed's default, recorded in the JSON.
/// The checks use what the pipeline must preserve: a square image resized by its shorter side and cropped is
/// the plain resize; a grey image (R = G = B) is the same in BGR; a colour image is not.
@Suite struct PreprocessCLITests {
    static let network = ["--blocks", "2", "--bits", "4", "--size", "16", "--seed", "3", "--format", "json"]

    static func infer(_ arguments: [String]) throws -> [String: Any] {
        let r = try CLI.run(["infer"] + Self.network + arguments)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }
    static func logits(_ doc: [String: Any]) -> [[Double]] {
        (doc["images"] as! [[String: Any]]).map { $0["logits"] as! [Double] }
    }
    static func preprocessing(_ doc: [String: Any]) -> NSDictionary { doc["preprocessing"] as! NSDictionary }

    @Test func defaultIsRecordedAndSquareResizeCropIsThePlainResize() throws {
        let plain = try Self.infer(["Inputs/images/astronaut-rgb.png"])
        #expect(Self.preprocessing(plain) == ["resize": NSNull(), "crop": NSNull(), "mean": [0, 0, 0], "std": [1, 1, 1],
                                              "channel_order": "rgb"] as NSDictionary)
        let cropped = try Self.infer(["--resize", "16", "--crop", "16", "Inputs/images/astronaut-rgb.png"])
        #expect(Self.logits(cropped) == Self.logits(plain))
        #expect(Self.preprocessing(cropped)["resize"] as? Int == 16)
        // A non-square image: the crop keeps the aspect ratio, the plain resize does not.
        let a = try Self.infer(["Inputs/images/chelsea.jpg"]), b = try Self.infer(["--resize", "16", "Inputs/images/chelsea.jpg"])
        #expect(Self.logits(a) != Self.logits(b))
    }

    @Test func channelOrder() throws {
        let grey = "Inputs/images/camera-grey.png", colour = "Inputs/images/chelsea.jpg"
        let normalise = ["--mean", "0.5,0.5,0.5", "--std", "0.25,0.25,0.25"]
        #expect(Self.logits(try Self.infer(normalise + ["--channel-order", "bgr", grey])) == Self.logits(try Self.infer(normalise + [grey])))
        #expect(Self.logits(try Self.infer(normalise + ["--channel-order", "bgr", colour])) != Self.logits(try Self.infer(normalise + [colour])))
        #expect(Self.logits(try Self.infer(normalise + [grey])) != Self.logits(try Self.infer([grey])))
    }

    /// A sidecar next to a model file is read; a flag replaces one of its values; a bad sidecar is exit 2.
    @Test func sidecar() throws {
        let dir = NSTemporaryDirectory() + "bitsweep-preprocess-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let model = dir + "/m.yaml"
        try FileManager.default.copyItem(atPath: CLI.packageRoot.appendingPathComponent("Inputs/models/seed5-mixed.yaml").path, toPath: model)
        let image = "Inputs/images/chelsea.jpg"
        let run = ["infer", "--model", model, "--size", "16", "--format", "json"]
        let without = try CLI.run(run + [image])
        #expect(without.status == 0, "\(without.stderr)")
        try "resize: 20\nmean: [0.485, 0.456, 0.406]\nstd: [0.229, 0.224, 0.225]\n".write(toFile: dir + "/m.preprocess.yaml", atomically: true, encoding: .utf8)
        let with = try CLI.run(run + [image])
        let doc = try JSONSerialization.jsonObject(with: Data(with.stdout.utf8)) as! [String: Any]
        #expect(Self.preprocessing(doc) == ["resize": 20, "crop": NSNull(), "mean": [0.485, 0.456, 0.406],
                                            "std": [0.229, 0.224, 0.225], "channel_order": "rgb"] as NSDictionary)
        #expect(with.stdout != without.stdout)
        let flagged = try CLI.run(run + ["--channel-order", "bgr", "--resize", "24", image])
        let fdoc = try JSONSerialization.jsonObject(with: Data(flagged.stdout.utf8)) as! [String: Any]
        #expect(Self.preprocessing(fdoc)["channel_order"] as? String == "bgr")
        #expect(Self.preprocessing(fdoc)["resize"] as? Int == 24)
        #expect(Self.preprocessing(fdoc)["mean"] as? [Double] == [0.485, 0.456, 0.406])

        try "resize: 20\nstd: [0.2, 0, 0.2]\n".write(toFile: dir + "/m.preprocess.yaml", atomically: true, encoding: .utf8)
        let bad = try CLI.run(run + [image])
        #expect(bad.status == 2)
        #expect(bad.stderr == "\(dir)/m.preprocess.yaml:2: std 0.0 must be positive\n")
        #expect(bad.stdout.isEmpty)
    }

    /// An ONNX model's sidecar (`m.onnx` → `m.preprocess.yaml`), printed above infer's table.
    @Test func onnxSidecar() throws {
        let dir = NSTemporaryDirectory() + "bitsweep-preprocess-onnx-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.copyItem(atPath: CLI.packageRoot.appendingPathComponent("Tests/Fixtures/onnx/mnv2-folded.onnx").path,
                                         toPath: dir + "/m.onnx")
        let image = "Inputs/images/chelsea.jpg"
        let without = try CLI.run(["infer", "--model", dir + "/m.onnx", "--format", "json", image])
        #expect(without.status == 0, "\(without.stderr)")
        try "resize: 40\nchannel_order: bgr\n".write(toFile: dir + "/m.preprocess.yaml", atomically: true, encoding: .utf8)
        let with = try CLI.run(["infer", "--model", dir + "/m.onnx", "--format", "json", image])
        let doc = try JSONSerialization.jsonObject(with: Data(with.stdout.utf8)) as! [String: Any]
        #expect(Self.preprocessing(doc)["resize"] as? Int == 40 && Self.preprocessing(doc)["channel_order"] as? String == "bgr")
        #expect(Self.logits(doc) != Self.logits(try JSONSerialization.jsonObject(with: Data(without.stdout.utf8)) as! [String: Any]))
        let table = try CLI.run(["infer", "--model", dir + "/m.onnx", image])
        #expect(table.stdout.hasPrefix("preprocessing: resize 40 · centre crop · [0, 1] · bgr\nm, 4 blocks, 32×32"), "\(table.stdout)")
    }

    @Test func refusedFlags() throws {
        for (arguments, message) in [
            (["--crop", "20"], "bitsweep infer: preprocessing: crop 20 differs from the network's input size 16; expected crop = size (or no crop)\n"),
            (["--mean", "0.5,0.5"], "bitsweep infer: --mean '0.5,0.5' is not three comma-separated numbers (e.g. 0.485,0.456,0.406)\n"),
            (["--channel-order", "rbg"], "bitsweep infer: --channel-order 'rbg' is not rgb or bgr\n"),
        ] {
            let r = try CLI.run(["infer"] + Self.network + arguments + ["Inputs/images/chelsea.jpg"])
            #expect(r.status == 2 && r.stderr == message, "\(arguments): \(r.stderr)")
        }
    }
}
