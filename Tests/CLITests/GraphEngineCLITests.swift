import Foundation
import Testing

/// `infer` and `bench` on the mobilenet-v2 preset (the graph executor), small enough to be quick.
@Suite struct GraphEngineCLITests {
    static let small = ["--preset", "mobilenet-v2", "--width", "0.35", "--size", "32"]

    static func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
    }

    @Test func inferReportsEveryBlockAndTheTwin() throws {
        let r = try CLI.run(["infer"] + Self.small + ["--bits", "4", "--act-bits", "8", "--layer-bits", "features.*.conv.1.0=8",
                                                    "--format", "json", "Inputs/images/chelsea.jpg"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let doc = try Self.json(r.stdout)
        let network = doc["network"] as! [String: Any]
        #expect(network["name"] as? String == "mobilenet-v2")
        #expect((network["blocks"] as! [String]).count == 18)
        let layers = network["layers"] as! [[String: Any]]
        // --layer-bits set the depthwise convolutions of the expanding blocks; the others keep --bits.
        #expect(layers.first { $0["name"] as? String == "features.2.conv.1.0" }?["bits"] as? Int == 8)
        #expect(layers.first { $0["name"] as? String == "features.2.conv.0.0" }?["bits"] as? Int == 4)
        let image = (doc["images"] as! [[String: Any]])[0]
        #expect((image["logits"] as! [Any]).count == 1000)
        let fidelity = image["fidelity"] as! [String: Any]
        #expect((fidelity["block_sqnr_db"] as! [Any]).count == 18)
        #expect((fidelity["sqnr_db"] as? Double ?? 0) > 0)
    }

    @Test func benchCountsTheMACsCalcCounts() throws {
        let calc = try CLI.run(["calc"] + Self.small + ["--format", "json"])
        let macs = (try Self.json(calc.stdout)["totals"] as! [String: Any])["macs"] as! Int
        let r = try CLI.run(["bench"] + Self.small + ["--runs", "1", "--warmup", "0", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let doc = try Self.json(r.stdout)
        #expect(doc["macs_per_image"] as? Int == macs)
        #expect(doc["blocks"] as? Int == 18)
        let shares = (doc["layer_shares"] as! [[String: Any]]).map { $0["layer"] as! String }
        #expect(shares.contains("features.3.add") && shares.contains("classifier.1"))
    }
}
