import Foundation
import Testing

/// `bitsweep calc --preset mobilenet-v2`: counts against values derived apart from the code (the reference
/// implementation's table, see BitOpsCoreTests/GraphTests.swift), and one-line errors for bad graph options.
@Suite struct GraphCalcCLITests {
    static func json(_ arguments: [String]) throws -> [String: Any] {
        let r = try CLI.run(["calc", "--preset", "mobilenet-v2", "--format", "json"] + arguments)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
    }

    /// α = 1.0 at 224: 300,774,272 MACs and 3,470,760 parameters (the reference table's 300 M and 3.47 M, and an
    /// independent walk over Table 2); 8-bit weights by default, so BitOps = 8 × MACs. The ten residual adds
    /// (features.3, 5, 6, 8, 9, 10, 12, 13, 15, 16) read 24·56² + 2·32·28² + 3·64·14² + 2·96·14² + 2·160·7²
    /// = 75,264 + 50,176 + 37,632 + 37,632 + 15,680 = 216,384 elements; the pooling reads 1280·7² = 62,720.
    @Test func totalsAtWidthOne() throws {
        let totals = try Self.json([])["totals"] as! [String: Any]
        #expect(totals["macs"] as? Int == 300_774_272)
        #expect(totals["params"] as? Int == 3_470_760)
        #expect(totals["bitops"] as? Int == 8 * 300_774_272)
        let obj = try Self.json([])
        #expect(obj["elementwise_ops"] as? Int == 216_384)
        #expect(obj["pooling_ops"] as? Int == 62_720)
    }

    /// α = 1.4 at 224: 582,195,824 MACs, 6,060,840 parameters (the reference table's 582 M and 6.06 M).
    @Test func widthOnePointFour() throws {
        let totals = try Self.json(["--width", "1.4"])["totals"] as! [String: Any]
        #expect(totals["macs"] as? Int == 582_195_824)
        #expect(totals["params"] as? Int == 6_060_840)
    }

    /// `--layer-bits` sets the matching convolutions, over `--bits`; the others keep the block width.
    @Test func layerBitsOverrideBlockBits() throws {
        let layers = try Self.json(["--bits", "4", "--layer-bits", "features.*.conv.1.0=2", "--layer-bits", "features.1.**=8"])["layers"] as! [[String: Any]]
        let bits = Dictionary(uniqueKeysWithValues: layers.map { ($0["name"] as! String, $0["weight_bits"] as! Int) })
        #expect(bits["features.2.conv.1.0"] == 2)   // depthwise of a t = 6 block
        #expect(bits["features.2.conv.0.0"] == 4)
        #expect(bits["features.1.conv.0.0"] == 8)   // the t = 1 block's depthwise: only features.1.** matches
        #expect(bits["features.1.conv.1"] == 8)     // not features.*.conv.1.0: patterns match whole names
        #expect(bits["features.0.0"] == 8)          // stem: its own 8-bit default
    }

    /// The table names the network, shows the add and pooling rows with their op counts, and the totals line.
    @Test func table() throws {
        let r = try CLI.run(["calc", "--preset", "mobilenet-v2", "--exact"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.hasPrefix("mobilenet-v2 · 18 blocks · 224×224 input · weights 8-bit · activations float · convention weight\n"))
        #expect(r.stdout.contains("BitOps 2,406,194,176 · MACs 300,774,272 · params 3,470,760"))
        #expect(r.stdout.contains("other ops (not in BitOps or MACs): element-wise 216,384 (add, mul) · pooling 62,720"))
        let addRow = r.stdout.split(separator: "\n").first { $0.hasPrefix("features.3.add ") }
        #expect(addRow?.contains("75,264") == true)
    }

    /// Markdown and LaTeX carry the same rows: 13 columns on every line, the exact total, the other-ops line.
    @Test func markdownAndLaTeX() throws {
        let md = try CLI.run(["calc", "--preset", "mobilenet-v2", "--format", "markdown"])
        #expect(md.status == 0, "stderr: \(md.stderr)")
        let mdRows = md.stdout.split(separator: "\n").filter { $0.hasPrefix("|") }
        #expect(mdRows.allSatisfy { $0.filter { $0 == "|" }.count == 14 })
        #expect(mdRows.contains { $0.contains("**300,774,272**") && $0.contains("**total**") })
        #expect(mdRows.contains { $0.contains("features.3.add") && $0.contains("75,264") })
        #expect(md.stdout.contains("element-wise 216,384 (add, mul) · pooling 62,720"))
        let tex = try CLI.run(["calc", "--preset", "mobilenet-v2", "--format", "latex"])
        #expect(tex.status == 0, "stderr: \(tex.stderr)")
        #expect(tex.stdout.contains("\\begin{tabular}{lllllrrrrrrrr}"))
        let texRows = tex.stdout.split(separator: "\n").filter { $0.hasSuffix("\\\\") }
        #expect(texRows.count == mdRows.count - 1) // Markdown has a separator line under its header
        #expect(texRows.allSatisfy { $0.filter { $0 == "&" }.count == 12 })
    }

    /// `--layer-bits` on a block network: seed-5@32 (CountingTests' hand-derived layers) with 8-bit depthwise
    /// and 4-bit pointwise convolutions: depthwise MACs 27,648 + 73,728 + 147,456 + 73,728 + 147,456 = 470,016,
    /// pointwise 13,205,504, classifier 5,120 at float: 470,016·8 + 13,205,504·4 + 5,120·32 = 56,745,984 BitOps.
    @Test func layerBitsOnABlockNetwork() throws {
        let r = try CLI.run(["calc", "--blocks", "5", "--bits", "4", "--layer-bits", "block*.depthwise=8", "--format", "json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let totals = obj["totals"] as! [String: Any]
        #expect(totals["bitops"] as? Int == 56_745_984)
        #expect(totals["macs"] as? Int == 13_680_640)
    }

    @Test(arguments: [
        (["calc", "--preset", "mobilenet-v2", "--blocks", "3"], "--blocks does not apply to mobilenet-v2"),
        (["calc", "--preset", "mobilenet-v2", "--layer-bits", "features.*.conv.9=4"], "layer bits pattern 'features.*.conv.9' matches no convolution or gemm layer of mobilenet-v2"),
        (["calc", "--preset", "mobilenet-v2", "--layer-bits", "features.3"], "layer bits 'features.3' is not PATTERN=BITS"),
        (["calc", "--preset", "mobilenet-v2", "--bits", "8,4"], "bits list 8,4 has 2 entries; expected 18, one per block"),
        (["calc", "--preset", "mobilenet-v2", "--width", "0"], "width 0.0 is out of range"),
        (["calc", "--layer-bits", "block9.depthwise=4"], "layer bits pattern 'block9.depthwise' matches no convolution or gemm layer of seed (names look like 'block0.depthwise')"),
        (["infer", "--preset", "mobilenet-v2", "--layer-bits", "features.*.conv.9=4", "Inputs/images/chelsea.jpg"], "layer bits pattern 'features.*.conv.9' matches no convolution or gemm layer of mobilenet-v2"),
        (["infer", "--layer-bits", "block0.depthwise=4", "Inputs/images/chelsea.jpg"], "bitsweep infer: --layer-bits applies to graph networks (mobilenet-v2, ONNX models); seed is a block-form network: set its precision with --bits, --stem-bits and --classifier-bits"),
        (["bench", "--preset", "mobilenet-v2", "--size", "32", "--kernels", "integer"], "kernels integer: no layer of mobilenet-v2 at 32×32 can run on integer kernels"),
        (["sweep", "Inputs/sweeps/mobilenet-v1.yaml", "--set", "network.preset=mobilenet-v2", "--no-report"], "blocks does not apply to mobilenet-v2: a graph network's blocks are fixed by the network"),
    ])
    func badInput(_ c: ([String], String)) throws {
        let r = try CLI.run(c.0)
        #expect(r.status == 2)
        #expect(r.stdout.isEmpty)
        #expect(r.stderr.contains(c.1), "stderr was: \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "stderr was: \(r.stderr)")
    }
}
