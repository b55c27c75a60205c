import Foundation
import Testing

/// `bitsweep calc` end to end: exact output against reviewed golden files in `Snapshots/`, and every bad
/// input gives a one-line error and exit code 2.
@Suite struct CalcCLITests {
    @Test(arguments: [
        (["calc"], "calc-default.txt"),
        (["calc", "--preset", "seed", "--blocks", "5", "--bits", "4", "--size", "32", "--exact"], "calc-seed5-exact.txt"),
        (["calc", "--preset", "mobilenet-v1", "--size", "224"], "calc-mobilenet-v1-224.txt"),
        (["calc", "--blocks", "5", "--bits", "8,4,2,4,8", "--format", "markdown"], "calc-mixed.md"),
        (["calc", "--blocks", "3", "--format", "csv"], "calc-seed3.csv"),
        (["calc", "--blocks", "2", "--format", "latex"], "calc-seed2.tex"),
        (["calc", "--blocks", "2", "--format", "json"], "calc-seed2.json"),
        (["calc", "--model", "Inputs/models/seed5-mixed.yaml", "--convention", "seed-legacy"], "calc-model-legacy.txt"),
    ])
    func golden(_ c: ([String], String)) throws {
        let r = try CLI.run(c.0)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout == (try CLI.snapshot(c.1)))
    }

    /// A model file with per-layer bits: the title shows depthwise/pointwise where they differ, the layers
    /// carry their own widths (block 1: 3×3×32 = 288 depthwise weights at 8 bits, 32×64 = 2048 pointwise at
    /// 4), and `--bits` sets both layers again.
    @Test func perLayerBitsFromAModelFile() throws {
        let path = "Inputs/models/seed5-per-layer.yaml"
        let text = try CLI.run(["calc", "--model", path])
        #expect(text.status == 0, "stderr: \(text.stderr)")
        #expect(text.stdout.contains("weights 8,8/4,8/2,8/4,8 (depthwise/pointwise)"))
        func layers(_ args: [String]) throws -> [String: [String: Any]] {
            let r = try CLI.run(["calc", "--format", "json"] + args)
            let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            return Dictionary(uniqueKeysWithValues: (obj["layers"] as! [[String: Any]]).map { ($0["name"] as! String, $0) })
        }
        let l = try layers(["--model", path])
        #expect(l["block1.depthwise"]?["weight_bits"] as? Int == 8 && l["block1.depthwise"]?["weight_storage_bits"] as? Int == 288 * 8)
        #expect(l["block1.pointwise"]?["weight_bits"] as? Int == 4 && l["block1.pointwise"]?["weight_storage_bits"] as? Int == 2048 * 4)
        let uniform = try layers(["--model", path, "--bits", "4"])
        #expect(uniform["block1.depthwise"]?["weight_bits"] as? Int == 4 && uniform["block2.pointwise"]?["weight_bits"] as? Int == 4)
    }

    /// The JSON carries exact integers that agree with the hand-derived totals of seed-5@32, 4 bits.
    @Test func jsonTotalsAreExactIntegers() throws {
        let r = try CLI.run(["calc", "--format", "json"])
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let totals = obj["totals"] as! [String: Any]
        #expect(totals["bitops"] as? Int == 54_865_920)
        #expect(totals["macs"] as? Int == 13_680_640)
        let layers = obj["layers"] as! [[String: Any]]
        #expect(layers.count == 11)
        #expect(layers.last!["block"] is NSNull)
        #expect(layers.first!["input_shape"] as? [Int] == [3, 32, 32])
        #expect(layers.first!["kind"] as? String == "depthwise")
    }

    @Test(arguments: [
        (["calc", "--bits", "0"], "bits 0 is out of range"),
        (["calc", "--bits", "33"], "bits 33 is out of range"),
        (["calc", "--blocks", "5", "--bits", "8,4,2"], "bits list 8,4,2 has 3 entries; expected 5"),
        (["calc", "--size", "0"], "size 0 is out of range"),
        (["calc", "--preset", "resnet"], "unknown preset 'resnet'"),
        (["calc", "--model", "/nonexistent.yaml"], "/nonexistent.yaml: the file does not exist"),
        (["calc", "--model", "Tests/CLITests/Snapshots/bad-model.yaml"], "Tests/CLITests/Snapshots/bad-model.yaml:4: block 1: out_channels -8 is out of range"),
        (["calc", "--model", "Tests/CLITests/Snapshots/bad-model.yaml"], "Tests/CLITests/Snapshots/bad-model.yaml:5: block 1: stride 0 is out of range"),
        (["calc", "--blocks", "13"], "blocks 13 is out of range for the seed preset"),
        (["calc", "--format", "yaml"], "format"),
    ])
    func badInput(_ c: ([String], String)) throws {
        let r = try CLI.run(c.0)
        #expect(r.status == 2) // usage and input errors exit 2 in every subcommand
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(c.1), "stderr was: \(r.stderr)")
    }
}
