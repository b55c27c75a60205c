import Foundation
import Testing

/// Defaults as a new user meets them: `--set` keeps off the spec's own folder, results folders are
/// self-contained, and `report` / `budget` without a folder use the default spec's.
@Suite struct DefaultsCLITests {
    typealias Scratch = ErrorPolicyCLITests.Scratch

    @Test func setWithoutOutWritesBesideTheSpecsOwnFolderAndSaysWhere() throws {
        let s = try Scratch()
        let spec = try s.spec()
        let plain = try CLI.run(["sweep", spec, "--no-report", "--jobs", "1"], cwd: URL(fileURLWithPath: s.path))
        #expect(plain.status == 0, "\(plain.stderr)")
        let before = try Data(contentsOf: URL(fileURLWithPath: s.sub("Reports/tiny/results.json")))

        let r = try CLI.run(["sweep", spec, "--set", "sizes=[16]", "--no-report", "--jobs", "1"], cwd: URL(fileURLWithPath: s.path))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").first == "results: Reports/tiny+sizes=16/ (--set without --out: not the spec's own folder Reports/tiny/)")
        #expect(FileManager.default.fileExists(atPath: s.sub("Reports/tiny+sizes=16/results.json")))
        // The spec's own results are untouched.
        #expect(try Data(contentsOf: URL(fileURLWithPath: s.sub("Reports/tiny/results.json"))) == before)
    }

    /// A results folder with profiles, copied away from the spec and the profiles file: report and budget
    /// still find the profiles (the sweep kept a copy), and without a folder they use Reports/default.
    @Test func aCopiedResultsFolderStillReportsAndBudgets() throws {
        let s = try Scratch()
        try s.write("limits.yaml", "profiles:\n  roomy:\n    max_bitops: 1G\n    max_weight_storage: 1 MiB\n    max_activation_memory: 1 MiB\n")
        let spec = try s.spec(extra: "budgets: limits.yaml\n")
        let r = try CLI.run(["sweep", spec, "--out", s.sub("run"), "--no-report", "--jobs", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let other = try Scratch()
        try FileManager.default.copyItem(atPath: s.sub("run"), toPath: other.sub("copied"))
        try FileManager.default.removeItem(atPath: s.sub("limits.yaml"))

        let cwd = URL(fileURLWithPath: other.path)
        let report = try CLI.run(["report", "copied", "--outputs", "md"], cwd: cwd)
        #expect(report.status == 0, "\(report.stderr)")
        let md = try String(contentsOfFile: other.sub("copied/report.md"), encoding: .utf8)
        #expect(md.contains("roomy"))
        let budget = try CLI.run(["budget", "copied"], cwd: cwd)
        #expect(budget.status == 0, "\(budget.stderr)")
        #expect(budget.stdout.contains("roomy"))
    }

    @Test func reportAndBudgetWithoutAFolderUseTheDefaultSpecsFolder() throws {
        let s = try Scratch()
        let cwd = URL(fileURLWithPath: s.path)
        // Another results folder beside it (as Reports/example is in the repository) does not get in the way.
        let example = CLI.packageRoot.appendingPathComponent("Reports/example/results.json")
        try s.write("Reports/example/results.json", try Data(contentsOf: example))
        try ErrorPolicyCLITests().expectOneLine(["budget", "--profiles", "x.yaml"], status: 2,
            "bitsweep budget: no results folder given, and the default spec's folder Reports/default holds no results.json: run `bitsweep sweep` first, or give RESULTS_DIR", cwd: cwd)

        try s.write("Reports/default/results.json", try Data(contentsOf: example))
        let profiles = CLI.packageRoot.appendingPathComponent("Inputs/budgets.yaml").path
        let budget = try CLI.run(["budget", "--profiles", profiles, "--format", "json"], cwd: cwd)
        #expect(budget.status == 0, "\(budget.stderr)")
        let report = try CLI.run(["report", "--outputs", "md"], cwd: cwd)
        #expect(report.status == 0, "\(report.stderr)")
        #expect(report.stdout.contains("Reports/default/report.md\n"))
        #expect(FileManager.default.fileExists(atPath: s.sub("Reports/default/report.md")))
        #expect(!FileManager.default.fileExists(atPath: s.sub("Reports/example/report.md")))
    }
}
