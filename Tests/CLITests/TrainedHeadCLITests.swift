import Foundation
import Testing

/// The README's trained-head model (`Inputs/models/mnv2-trained-head.onnx`, written by `scripts/train-head.py`:
/// a random MobileNetV2-style backbone and a classifier fitted on training views of the five classes): `bitsweep
/// infer` over the labelled test set `Inputs/labelled` reads the model's sidecar preprocessing and gives, image by
/// image, the logits ONNX Runtime gave when the script wrote the model, and the float top-1 the script recorded —
/// both read from the script's `mnv2-trained-head.reference.json`, never from the CLI's own output.
@Suite struct TrainedHeadCLITests {
    static let model = "Inputs/models/mnv2-trained-head.onnx"

    static func reference() throws -> [String: Any] {
        let url = CLI.packageRoot.appendingPathComponent("Inputs/models/mnv2-trained-head.reference.json")
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func inferOnTheTestSetGivesTheLogitsAndTheTop1TheTrainingScriptRecorded() throws {
        let ref = try Self.reference()
        let test = try #require(ref["test"] as? [String: Any])
        let expected = try #require(test["per_image"] as? [[String: Any]])
        let r = try CLI.run(["infer", "--model", Self.model, "Inputs/labelled", "--format", "json"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])

        // The sidecar's preprocessing was applied (64×64 images, not resampled; ImageNet's mean and std).
        let pre = try #require(doc["preprocessing"] as? [String: Any])
        let refPre = try #require(ref["preprocessing"] as? [String: Any])
        #expect(pre["mean"] as? [Double] == refPre["mean"] as? [Double])
        #expect(pre["std"] as? [Double] == refPre["std"] as? [Double])
        #expect(doc["classes"] as? [String] == ref["classes"] as? [String])

        let images = try #require(doc["images"] as? [[String: Any]])
        #expect(images.count == expected.count && expected.count == test["images"] as? Int)
        var floatTop1 = 0
        for want in expected {
            let path = try #require(want["path"] as? String)
            let got = try #require(images.first { ($0["file"] as? String)?.hasSuffix("/" + path) == true }, "\(path)")
            let label = try #require(want["label"] as? Int)
            #expect(got["label"] as? Int == label, "\(path)")
            // No --bits: the network is the model's float weights, so its logits are the float logits.
            let logits = try #require(got["logits"] as? [Double])
            let ort = try #require(want["logits"] as? [Double])
            let scale = ort.map(abs).max() ?? 1
            #expect(logits.count == ort.count)
            for (a, b) in zip(logits, ort) {
                #expect(abs(a - b) <= 1e-4 * scale, "\(path): \(logits) vs ONNX Runtime's \(ort)")
            }
            let twin = try #require((got["fidelity"] as? [String: Any])?["float_top5"] as? [Int])
            #expect(twin.first == want["predicted"] as? Int, "\(path)")
            if twin.first == label { floatTop1 += 1 }
        }
        let accuracy = try #require(doc["accuracy"] as? [String: Any])
        #expect(accuracy["images"] as? Int == test["images"] as? Int)
        #expect(accuracy["float_top1_correct"] as? Int == test["top1_correct"] as? Int)
        #expect(floatTop1 == test["top1_correct"] as? Int)
        // The demonstration is only meaningful well above chance (1 in 5).
        #expect(try #require(test["top1_correct"] as? Int) >= 3 * expected.count / 5)
    }
}
