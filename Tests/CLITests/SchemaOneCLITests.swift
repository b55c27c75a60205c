import Foundation
import Testing

/// Results folders written before results schema 2 (`Tests/AnalysisTests/Fixtures/v1-baseline`, made by the
/// bitsweep of main 32516c2) stay readable: `compare` matches them against a schema-2 run of the same spec,
/// `report` and `budget` read them, `merge` merges schema-1 shards. Everything runs on a copy in a temporary
/// folder, as a user would.
@Suite struct SchemaOneCLITests {
    static let fixtures = CLI.packageRoot.appendingPathComponent("Tests/AnalysisTests/Fixtures")

    /// A temporary folder with the schema-1 results in `v1/`, the spec and budgets beside it, and the two
    /// images the spec ran on in `images/`.
    static func workspace() throws -> URL {
        let fm = FileManager.default
        let w = fm.temporaryDirectory.appendingPathComponent("bitsweep-schema1-\(UUID().uuidString)")
        try fm.createDirectory(at: w.appendingPathComponent("v1"), withIntermediateDirectories: true)
        try fm.createDirectory(at: w.appendingPathComponent("images"), withIntermediateDirectories: true)
        let v1 = fixtures.appendingPathComponent("v1-baseline")
        for f in ["results.json", "results.csv", "run.json"] {
            try fm.copyItem(at: v1.appendingPathComponent(f), to: w.appendingPathComponent("v1/\(f)"))
        }
        for f in ["sweep.yaml", "budgets.yaml"] {
            try fm.copyItem(at: v1.appendingPathComponent(f), to: w.appendingPathComponent(f))
        }
        for f in ["chelsea.jpg", "rocket-progressive.jpg"] {
            try fm.copyItem(at: CLI.packageRoot.appendingPathComponent("Inputs/images/\(f)"), to: w.appendingPathComponent("images/\(f)"))
        }
        return w
    }

    static func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    @Test func aSchemaOneBaselineComparesWithASchemaTwoRunOfTheSameSpec() throws {
        let w = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: w) }
        let sweep = try CLI.run(["sweep", "sweep.yaml", "--out", "v2", "--no-report"], cwd: w)
        #expect(sweep.status == 0, "\(sweep.stderr)")

        // The new run is schema 2: the precision once per case, storage named as such, the spec an object.
        let v2 = try Self.json(w.appendingPathComponent("v2/results.json"))
        #expect(v2["schema_version"] as? Int == 2)
        let cases = try #require(v2["cases"] as? [[String: Any]])
        #expect(cases.count == 4)
        let config = try #require(cases[1]["config"] as? [String: Any])
        #expect(config["precision"] == nil && config["bits"] == nil)
        let weights = try #require(config["weight_precision"] as? [String: Any])
        #expect(weights["blocks"] as? [Int] == [8, 8])
        #expect((weights["policy"] as? [String: Any])?["first-last"] != nil)
        #expect((config["act_precision"] as? [String: Any])?["policy"] as? String == "float")
        let totals = try #require((cases[0]["cost"] as? [String: Any])?["totals"] as? [String: Any])
        #expect(totals["weight_storage_bits"] as? Int == 30636 && totals["weight_bits"] == nil)
        let run = try Self.json(w.appendingPathComponent("v2/run.json"))
        #expect(run["spec"] is [String: Any])

        // Every case matches its schema-1 twin, with the same counts and the same resolved bits. (Fidelity is
        // not asserted: oneDNN's kernels differ between CPUs; the baseline came from an AVX-512 machine.)
        let cmp = try CLI.run(["compare", "v1", "v2", "--format", "json"], cwd: w)
        #expect(cmp.status == 0 || cmp.status == 1, "\(cmp.stderr)")
        let c = try #require(try JSONSerialization.jsonObject(with: Data(cmp.stdout.utf8)) as? [String: Any])
        #expect(c["matched"] as? Int == 4)
        #expect((c["baseline_only"] as? [Any])?.isEmpty == true)
        #expect((c["current_only"] as? [Any])?.isEmpty == true)
        for d in (c["changed"] as? [[String: Any]]) ?? [] {
            #expect((d["config"] as? [Any])?.isEmpty == true, "\(d)")
            #expect((d["totals"] as? [Any])?.isEmpty == true, "\(d)")
            #expect((d["layers"] as? [Any])?.isEmpty == true, "\(d)")
        }
        // The same the other way round: a schema-2 baseline against the schema-1 folder.
        let back = try CLI.run(["compare", "v2", "v1", "--format", "json"], cwd: w)
        let b = try #require(try JSONSerialization.jsonObject(with: Data(back.stdout.utf8)) as? [String: Any], "\(back.stderr)")
        #expect(b["matched"] as? Int == 4)
    }

    @Test func reportAndBudgetReadASchemaOneFolder() throws {
        let w = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: w) }
        let budget = try CLI.run(["budget", "v1", "--profiles", "budgets.yaml", "--format", "json"], cwd: w)
        #expect(budget.status == 0, "\(budget.stderr)")
        let b = try #require(try JSONSerialization.jsonObject(with: Data(budget.stdout.utf8)) as? [String: Any], "\(budget.stdout)")
        #expect(!((b["profiles"] as? [Any]) ?? []).isEmpty)

        let report = try CLI.run(["report", "v1", "--out", "report", "--budgets", "budgets.yaml"], cwd: w)
        #expect(report.status == 0, "\(report.stderr)")
        let md = try String(contentsOf: w.appendingPathComponent("report/report.md"), encoding: .utf8)
        // The schema-1 labels read as typed precisions: `32` is float, `first-last(8,2)` a policy; the counts
        // are the file's own (case 0: 744,448 BitOps, 30,636 bits of weight storage).
        #expect(md.contains("seed n=2 s=16 w=first-last(8,2) a=float"))
        #expect(md.contains("744,448"))
        #expect(!md.contains("a=32"))
    }

    @Test func mergeReadsSchemaOneShards() throws {
        let w = try Self.workspace()
        defer { try? FileManager.default.removeItem(at: w) }
        let fm = FileManager.default
        for s in ["s0", "s1"] {
            try fm.copyItem(at: Self.fixtures.appendingPathComponent("v1-shards/\(s)"), to: w.appendingPathComponent(s))
        }
        let merge = try CLI.run(["merge", "s0", "s1", "--out", "merged"], cwd: w)
        #expect(merge.status == 0, "\(merge.stderr)")
        let merged = try Self.json(w.appendingPathComponent("merged/results.json"))
        #expect(merged["schema_version"] as? Int == 2)
        // The merged shards hold the whole grid with the baseline's counts and fidelity case by case (the same
        // binary made both on one machine; only their timings differ).
        let cmp = try CLI.run(["compare", "v1", "merged", "--format", "json"], cwd: w)
        let c = try #require(try JSONSerialization.jsonObject(with: Data(cmp.stdout.utf8)) as? [String: Any], "\(cmp.stderr)")
        #expect(cmp.status == 0)
        #expect(c["verdict"] as? String == "no-regression")
        #expect(c["matched"] as? Int == 4)
        for d in (c["changed"] as? [[String: Any]]) ?? [] {
            #expect((d["totals"] as? [Any])?.isEmpty == true && (d["fidelity"] as? [Any])?.isEmpty == true, "\(d)")
        }
    }
}
