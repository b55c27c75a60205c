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
