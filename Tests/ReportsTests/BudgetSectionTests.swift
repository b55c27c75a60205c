import BitSweepConfig
import Charts
import Foundation
import Results
import Testing
@testable import Reports

/// The report's hardware-budget section (`table: budget`): present in every output when profiles are known
/// (from `--budgets` or the sweep spec recorded in run.json), absent — heading and all — when not.
@Suite struct BudgetSectionTests {
    /// One profile whose only binding limit is BitOps, at the median of the fixture's cases: the cases that
    /// fit are exactly those at or under it.
    static func medianLimit(_ set: ResultsSet) -> Int {
        let sorted = set.cases.map(\.cost.totals.bitops).sorted()
        return sorted[sorted.count / 2]
    }

    static func profilesText(limit: Int) -> String {
        """
        profiles:
          half-of-it:
            description: A device for half the grid
            max_bitops: \(limit)
            max_weight_storage: 1 GiB
            max_activation_memory: 1 GiB
        """
    }

    static func write(_ text: String, in dir: String, name: String = "budgets.yaml") throws -> String {
        let path = dir + "/" + name
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func withProfilesEveryOutputCarriesTheSection() throws {
        let set = try Fixture.results()
        let dir = try Fixture.writeFolder(set)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let limit = Self.medianLimit(set)
        let profiles = try Self.write(Self.profilesText(limit: limit), in: dir)
        try ReportGenerator.generate(resultsDir: dir, outputs: ReportFormat.allCases, command: ["bitsweep", "report", "x"], budgets: profiles)

        // Expected, worked out here: the fitting cases are those at or under the limit; within each network
        // shape (family, blocks, size, width, weights; shapes in results order) the best is the one with the
        // highest mean SQNR (ties: fewer BitOps). One shape: one best in budget; several: the best of each.
        let fit = set.cases.filter { $0.cost.totals.bitops <= limit }
        func shape(_ c: CaseResult) -> String { "\(c.config.family) \(c.config.blocks) \(c.config.size) \(c.config.width) \(c.config.weights)" }
        var shapes: [String] = []
        for c in fit where !shapes.contains(shape(c)) { shapes.append(shape(c)) }
        let bestPerShape = shapes.map { s in
            fit.filter { shape($0) == s }.max { a, b in
                let x = a.fidelity!.sqnrDBMean!, y = b.fidelity!.sqnrDBMean!
                return x != y ? x < y : a.cost.totals.bitops > b.cost.totals.bitops
            }!
        }
        #expect(fit.count > 0 && fit.count < set.cases.count)
        let bestLine = bestPerShape.count == 1 ? "Best in budget: case \(bestPerShape[0].index) ("
            : "cases \(bestPerShape.map { String($0.index) }.joined(separator: ", ")) (best of \(bestPerShape.count) shapes)"

        let md = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(md.contains("\n## Hardware budgets\n"))
        #expect(md.contains("\n### half-of-it\n"))
        #expect(md.contains("\(fit.count) of \(set.cases.count)"))
        #expect(md.contains(bestLine), "expected \(bestLine)")
        if bestPerShape.count > 1 { #expect(md.contains("**Best per network shape**")) }
        #expect(md.contains("figures/budget-half-of-it.png"))
        for ext in ["svg", "png"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/figures/budget-half-of-it.\(ext)"))
        }
        // The section sits where the template puts the cell: after the cost–fidelity chart, before the heatmaps.
        let budgetAt = md.range(of: "## Hardware budgets")!.lowerBound
        #expect(md.range(of: "## Cost against fidelity")!.lowerBound < budgetAt)
        #expect(budgetAt < md.range(of: "## BitOps by block count and precision")!.lowerBound)

        let nb = try String(contentsOfFile: dir + "/report.ipynb", encoding: .utf8)
        #expect(nb.contains(#"report_cell(\"table: budget\")"#))
        #expect(nb.contains("Hardware budgets"))
        #expect(nb.contains(bestLine))
        // The notebook's budget cell passes the profiles file, as seen from the notebook's folder.
        #expect(nb.contains(#"budgets = \"budgets.yaml\""#), "\(profiles)")
        let cells = try #require((try JSONSerialization.jsonObject(with: Data(nb.utf8)) as? [String: Any])?["cells"] as? [[String: Any]])
        let budgetCell = try #require(cells.first { ($0["source"] as? [String])?.joined().contains("table: budget") == true })
        let kinds = (budgetCell["outputs"] as? [[String: Any]] ?? []).flatMap { ($0["data"] as? [String: Any] ?? [:]).keys }
        #expect(kinds.contains("image/png") && kinds.contains("text/markdown"))

        if let pdftotext = which("pdftotext") {
            let text = try runProcess(pdftotext, [dir + "/report.pdf", "-"]).output
            #expect(text.contains("Hardware budgets"))
            #expect(text.contains(bestLine) || bestPerShape.count > 1)   // the PDF may wrap the summary table's cell
            #expect(text.contains("half-of-it"))
        } else {
            Issue.record("poppler-utils is not installed (scripts/setup.sh installs it)")
        }
    }

    @Test func withoutProfilesThereIsNoSectionAtAll() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try ReportGenerator.generate(resultsDir: dir, outputs: ReportFormat.allCases, command: ["bitsweep", "report", "x"])
        let md = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(!md.contains("Hardware budgets"))
        #expect(!md.contains("budget"))
        let nb = try String(contentsOfFile: dir + "/report.ipynb", encoding: .utf8)
        #expect(!nb.contains("table: budget"), "an empty notebook cell was left for the budget section")
        let figures = try FileManager.default.contentsOfDirectory(atPath: dir + "/figures")
        #expect(!figures.contains { $0.hasPrefix("budget-") })
        if let pdftotext = which("pdftotext") {
            let text = try runProcess(pdftotext, [dir + "/report.pdf", "-"]).output
            #expect(!text.contains("Hardware budgets"))
        }
    }

    @Test func theSweepSpecsProfilesComeFromRunJSON() throws {
        let set = try Fixture.results()
        let dir = try Fixture.writeFolder(set)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let profiles = try Self.write(Self.profilesText(limit: Self.medianLimit(set)), in: dir)
        var run = Fixture.runInfo()
        run.spec = #"{"name":"fixture","budgets":"# + "\"\(profiles)\"}"
        try ResultsStore.write(run, to: dir)
        let out = try ReportGenerator.generate(resultsDir: dir, outputs: [.md], command: ["bitsweep", "report", "x"])
        #expect(out.document.cells.contains { if case let .output(c) = $0.kind { return c.kind == .budget } else { return false } })
        let md = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(md.contains("## Hardware budgets"))
        #expect(md.contains(profiles))   // the section names the file it judged against

        // A profiles file named in run.json that is not there: an error naming run.json, nothing written.
        try FileManager.default.removeItem(atPath: profiles)
        try FileManager.default.removeItem(atPath: dir + "/report.md")
        #expect {
            try ReportGenerator.generate(resultsDir: dir, outputs: [.md], command: ["bitsweep", "report", "x"])
        } throws: { e in
            guard let e = e as? ConfigError else { return false }
            return e.issues.count == 1 && e.issues[0].file.hasSuffix("run.json") && e.issues[0].message.contains("--budgets")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/report.md"))
    }

    @Test func aBadProfilesFileIsAnErrorWithItsLineAndWritesNothing() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bad = try Self.write("profiles:\n  p:\n    max_bitops: 1G\n    max_weight_storage: 1 MiB\n", in: dir)
        #expect {
            try ReportGenerator.generate(resultsDir: dir, outputs: [.md], budgets: bad)
        } throws: { e in
            guard let e = e as? ConfigError else { return false }
            return e.issues.contains { $0.file == bad && $0.line != nil && $0.message.contains("max_activation_memory") }
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/report.md"))
    }

    @Test func chartOptionAndUnknownOptionsOfTheCell() throws {
        let set = try Fixture.results()
        let dir = try Fixture.writeFolder(set)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let profiles = try Self.write(Self.profilesText(limit: Self.medianLimit(set)), in: dir)
        let tmpl = try Self.write("# r\n\n```bitsweep\ntable: budget\nchart: false\nfold: 1\n```\n", in: dir, name: "t.md")
        let out = try ReportGenerator.generate(resultsDir: dir, template: tmpl, outputs: [.md], command: ["x"], budgets: profiles)
        #expect(out.document.figures.isEmpty)
        let md = try String(contentsOfFile: dir + "/report.md", encoding: .utf8)
        #expect(md.contains("<details>"))   // more than one case fits: the rest are folded
        let badTmpl = try Self.write("```bitsweep\ntable: budget\ncharts: no\n```\n", in: dir, name: "bad.md")
        #expect {
            _ = try Template.load(badTmpl)
        } throws: { e in
            (e as? TemplateError)?.issues.contains { $0.line == 3 && $0.message.contains("unknown option 'charts'") } == true
        }
    }
}
