import Analysis
import BitSweepConfig
import Foundation
import Results
import Testing
import Reports

/// The library calls behind `bitsweep compare` and `bitsweep budget`: files written, verdicts, input errors.
@Suite struct RunTests {
    static func tempDir(_ name: String) throws -> String {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("analysis-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func isPNG(_ path: String) -> Bool {
        guard let d = FileManager.default.contents(atPath: path), d.count > 8 else { return false }
        return Array(d.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    }

    @Test func compareWritesMarkdownJSONAndHeatmaps() throws {
        let dir = try Self.tempDir("compare")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try Fixture.grid()
        var cur = try Fixture.grid()
        cur.cases.removeLast()
        try ResultsStore.write(base, to: dir + "/base")
        try ResultsStore.write(cur, to: dir + "/cur")
        // A folder on one side, its results.json on the other.
        let out = try CompareRun.run(baselinePath: dir + "/base", currentPath: dir + "/cur/results.json", out: dir + "/cmp", format: .json)
        #expect(out.comparison.verdict == .regression)
        #expect(out.comparison.exitCode == 1)
        #expect(out.comparison.baselineOnly.count == 1)
        for name in ["comparison.md", "comparison.json", "delta-bitops.svg", "delta-bitops.png", "delta-sqnr.png", "delta-time.png"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/cmp/" + name), "\(name) missing")
        }
        #expect(Self.isPNG(dir + "/cmp/delta-bitops.png"))
        let md = try String(contentsOfFile: dir + "/cmp/comparison.md", encoding: .utf8)
        #expect(md.contains("](delta-bitops.png)"))
        // What was printed is the JSON of the comparison.
        let printed = try JSONDecoder().decode(Comparison.self, from: Data(out.printed.utf8))
        #expect(printed.verdict == .regression && printed.matched == 5)
        // No temporary files left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/cmp").allSatisfy { !$0.contains(".tmp") })
    }

    @Test func identicalRunsCompareClean() throws {
        let dir = try Self.tempDir("clean")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ResultsStore.write(try Fixture.grid(), to: dir + "/a")
        try ResultsStore.write(try Fixture.grid(), to: dir + "/b")
        let out = try CompareRun.run(baselinePath: dir + "/a", currentPath: dir + "/b")
        #expect(out.comparison.verdict == .noRegression)
        #expect(out.comparison.exitCode == 0)
        #expect(out.written.isEmpty)
        #expect(out.printed.hasSuffix("no regression: 6 cases match the baseline\n"))
    }

    @Test func provenanceDifferencesAreContextNotVerdict() throws {
        let dir = try Self.tempDir("prov")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func info(engine: String, digest: String) -> RunInfo {
            RunInfo(bitsweepVersion: "0.1.0", engineVersion: engine, gitCommit: "abc", spec: "{}", specHash: "h",
                    images: ["a.png": digest, "b.jpg": "same"], machine: "m", date: "d", commandLine: [])
        }
        try ResultsStore.write(try Fixture.grid(), to: dir + "/a")
        try ResultsStore.write(info(engine: "1", digest: "1111"), to: dir + "/a")
        try ResultsStore.write(try Fixture.grid(), to: dir + "/b")
        try ResultsStore.write(info(engine: "2", digest: "2222"), to: dir + "/b")
        let out = try CompareRun.run(baselinePath: dir + "/a/results.json", currentPath: dir + "/b", format: .markdown)
        #expect(out.comparison.verdict == .noRegression)
        #expect(out.comparison.provenance.map(\.field) == ["engine_version", "image a.png"])
        #expect(out.comparison.provenance.first == FieldChange(field: "engine_version", baseline: "1", current: "2"))
        #expect(out.printed.contains("differ in provenance"))
    }

    @Test func missingOrCorruptResultsAreInputErrors() throws {
        let dir = try Self.tempDir("bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ResultsStore.write(try Fixture.grid(), to: dir + "/a")
        try Data("{\"not\": \"results\"}".utf8).write(to: URL(fileURLWithPath: dir + "/corrupt.json"))
        #expect(throws: ResultsStore.LoadError.self) { try CompareRun.run(baselinePath: dir + "/a", currentPath: dir + "/nothing") }
        #expect(throws: ResultsStore.LoadError.self) { try CompareRun.run(baselinePath: dir + "/corrupt.json", currentPath: dir + "/a") }
        // Nothing written when the input is bad.
        _ = try? CompareRun.run(baselinePath: dir + "/a", currentPath: dir + "/nothing", out: dir + "/out")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
    }

    @Test func budgetWritesMarkdownJSONAndOneChartPerProfile() throws {
        let dir = try Self.tempDir("budget")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ResultsStore.write(try Fixture.grid(), to: dir + "/r")
        let profiles = """
        profiles:
          tiny:
            max_bitops: 10M
            max_weight_storage: 15 KiB
            max_activation_memory: 100 KiB
            min_sqnr_db: 30
          roomy device:
            max_bitops: 1G
            max_weight_storage: 1 MiB
            max_activation_memory: 1 MiB
        """
        try Data(profiles.utf8).write(to: URL(fileURLWithPath: dir + "/p.yaml"))
        let out = try BudgetRun.run(resultsPath: dir + "/r", profilesPath: dir + "/p.yaml", out: dir + "/b", format: .markdown)
        #expect(out.report.profiles.map(\.profile.name) == ["tiny", "roomy device"])
        #expect(out.report.profiles[1].fitting.count == 6)
        for name in ["budget.md", "budget.json", "figures/budget-tiny.svg", "figures/budget-tiny.png", "figures/budget-roomy-device.png"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/b/" + name), "\(name) missing")
        }
        #expect(Self.isPNG(dir + "/b/figures/budget-tiny.png"))
        #expect(out.printed.contains("](figures/budget-tiny.svg)"))
        #expect(try String(contentsOfFile: dir + "/b/budget.md", encoding: .utf8) == out.printed)
        let back = try JSONDecoder().decode(BudgetReport.self, from: Data(contentsOf: URL(fileURLWithPath: dir + "/b/budget.json")))
        #expect(back == out.report)
    }

    @Test func badProfilesFileIsAnInputErrorWithItsLine() throws {
        let dir = try Self.tempDir("badprofiles")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ResultsStore.write(try Fixture.grid(), to: dir + "/r")
        try Data("profiles:\n  x:\n    max_bitops: 1G\n    max_weight_storage: lots\n    max_activation_memory: 1 MiB\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/p.yaml"))
        do {
            _ = try BudgetRun.run(resultsPath: dir + "/r", profilesPath: dir + "/p.yaml", out: dir + "/b")
            Issue.record("expected an error")
        } catch let e as ConfigError {
            #expect(e.description.hasPrefix(dir + "/p.yaml:4: profile 'x': max_weight_storage 'lots' is not a number"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/b"))
    }

    /// The budget answer has one written form: the report's `table: budget` cell and `bitsweep budget
    /// --format markdown` print the same blocks.
    @Test func budgetMarkdownIsTheReportCellsBlocks() throws {
        let set = try Fixture.grid()
        let p = BudgetProfile(name: "dev/1", maxBitOps: 1 << 40, maxWeightStorageBytes: 1 << 30, maxActivationBytes: 1 << 30, minSQNRDB: 45)
        let budgets = ReportBudgets(profiles: [p], file: "p.yaml")
        let ex = CellExecutor(results: set, run: nil, resultsDirLabel: "r", templateLabel: "t", reportCommand: [], budgets: budgets)
        let doc = try ex.execute(try Template.parse("```bitsweep\ntable: budget\n```\n", file: "t.md"))
        let fromReport = doc.cells.flatMap(\.blocks).map(MarkdownWriter.block)
        var options = BudgetRendering.Options()
        options.precisionOrder = CellExecutor.precisionOrder(of: set)
        let fromCLI = try BudgetRendering.blocks(budget(set, profiles: [p]), results: set, budgets: budgets, options: options)
            .map(MarkdownWriter.block)
        #expect(fromCLI == fromReport)
        #expect(fromCLI.contains { $0.hasPrefix("![Cost against fidelity for dev/1") && $0.contains("](figures/budget-dev-1.svg)") })
    }
}
