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
        #expect(shares.contains("features.3.conv.2") && shares.contains("classifier.1"))
        // Float activations: the residual add runs inside its projection convolution (a sum post-op), timed with
        // it, and is listed among the implementations as fused.
        #expect(!shares.contains("features.3.add"))
        let implementations = doc["implementations"] as! [[String: Any]]
        let listed = implementations.map { $0["layer"] as! String }
        let add = try #require(listed.firstIndex(of: "features.3.add"))
        #expect(add > 0 && listed[add - 1] == "features.3.conv.2")
        #expect(implementations[add]["implementation"] as? String == "fused: sum post-op of the convolution before it")
    }

    /// `--kernels integer` on mobilenet-v2 at w8a8 (52 convolutions: the stem, 17 depthwise, 17 projections,
    /// 16 expansions, the last 1×1): uncalibrated, the 17 depthwise and 17 projection convolutions read ReLU6
    /// outputs and run int8, while the stem (the image) and the expansions and the last 1×1 (signed values
    /// quantized per image) run float; with `--calibrate minmax` every convolution but the stem runs int8.
    @Test(arguments: [("fixed", 34), ("minmax", 51)])
    func integerKernelsRecordWhatRanPerLayer(calibrate: String, int8: Int) throws {
        let r = try CLI.run(["infer"] + Self.small + ["--bits", "8", "--act-bits", "8", "--kernels", "integer", "--calibrate", calibrate,
                                                    "--format", "json", "Inputs/images/chelsea.jpg"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let doc = try Self.json(r.stdout)
        let kernels = doc["layer_kernels"] as! [[String: Any]]
        #expect(kernels.filter { $0["kernel"] as? String == "int8" }.count == int8)
        #expect(kernels.first?["layer"] as? String == "features.0.0" && kernels.first?["kernel"] as? String == "float")
        #expect((doc["kernels"] as? String ?? "").hasPrefix("int8 kernels on \(int8) of "))
        // Against the simulated run: on static grids the requantization's rounding differences mostly vanish in
        // the next grid (here every one of them: +∞, written "inf"); with per-image ranges each tiny difference
        // moves the next range and the random 18-block network amplifies it (about 26 dB at this width and size).
        let image = (doc["images"] as! [[String: Any]])[0]
        let simulated = (image["simulated_sqnr_db"] as? Double) ?? ((image["simulated_sqnr_db"] as? String) == "inf" ? .infinity : 0)
        #expect(simulated >= (calibrate == "fixed" ? 20 : 40), "\(simulated)")
        if calibrate == "minmax" {
            let calibration = doc["calibration"] as! [String: Any]
            #expect(calibration["method"] as? String == "minmax")
        } else {
            #expect(doc["calibration"] == nil)
        }
    }
}
