import Foundation
import Testing

/// `bitsweep history` end to end on real sweeps of a small spec.
@Suite(.serialized) struct HistoryCLITests {
    static let small = ["--set", "sizes=[16]", "--set", "blocks=[2]", "--set", "precisions=[8,4]", "--set", "act_bits=[32]",
                        "--set", "conventions=[weight]", "--set", "exclude=[]", "--set", "include=[]", "--no-report"]

    final class Dir {
        let path = NSTemporaryDirectory() + "bitsweep-history-cli-" + UUID().uuidString
        init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func sub(_ n: String) -> String { path + "/" + n }
    }

    @Test func addIsIdempotentAKilledAddChangesNothingAndShowGivesExitCodes() throws {
        let d = Dir()
        for n in ["n1", "n2", "n3"] {
            let r = try CLI.run(["sweep", "Inputs/sweep.yaml", "--out", d.sub(n)] + Self.small)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let db = d.sub("h.sqlite")
        let add = try CLI.run(["history", "add", d.sub("n1"), d.sub("n2"), "--db", db])
        #expect(add.status == 0, "\(add.stderr)")
        // 2 cases × 10 metrics per run.
        #expect(add.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("added ") && $0.contains("2 cases, 20 values") }.count == 2)
        let again = try CLI.run(["history", "add", d.sub("n2"), "--db", db])
        #expect(again.status == 0 && again.stdout.hasPrefix("already present: \(d.sub("n2"))"), "\(again.stdout)")

        // Killed (SIGKILL) after 7 of the 20 rows of run 3: the database still holds two runs.
        let killed = try CLI.run(["history", "add", d.sub("n3"), "--db", db, "--debug-kill-after-rows", "7"])
        #expect(killed.status == 9, "expected death by SIGKILL, got \(killed.status)")
        let show = try CLI.run(["history", "show", "--db", db, "--format", "json"])
        #expect(show.status == 0, "\(show.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
        #expect((json?["runs"] as? [Any])?.count == 2)
        let series = json?["series"] as? [[String: Any]] ?? []
        #expect(series.count == 20 && series.allSatisfy { $0["runs"] as? Int == 2 })
        // The same add, not killed, completes.
        #expect(try CLI.run(["history", "add", d.sub("n3"), "--db", db]).status == 0)
        let table = try CLI.run(["history", "show", "--db", db, "--metric", "bitops", "--all"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("3 runs from "))
        #expect(table.stdout.hasSuffix("no new regression\n"))

        // Usage and input errors: exit 2, one line.
        let badMetric = try CLI.run(["history", "show", "--db", db, "--metric", "speed"])
        #expect(badMetric.status == 2 && badMetric.stderr.contains("--metric 'speed' is not known"))
        let missing = try CLI.run(["history", "show", "--db", d.sub("none.sqlite")])
        #expect(missing.status == 2 && missing.stderr.contains("none.sqlite: no history database here"))
        let notResults = try CLI.run(["history", "add", d.path, "--db", db])
        #expect(notResults.status == 2 && notResults.stderr.contains("no results here"))
        let noCase = try CLI.run(["history", "show", "--db", db, "--case", "mobilenet"])
        #expect(noCase.status == 2 && noCase.stderr.contains("no case matches --case mobilenet"))
    }

    @Test func sweepWithHistoryAddsTheRunAndTheReportHasAHistorySection() throws {
        let d = Dir()
        let db = d.sub("h.sqlite")
        for n in ["a", "b"] {
            let r = try CLI.run(["sweep", "Inputs/sweep.yaml", "--out", d.sub(n), "--history", db]
                                + Self.small.filter { $0 != "--no-report" })
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("history: run \(n == "a" ? 1 : 2) added to \(db) (20 values)"), "\(r.stdout)")
        }
        let md = try String(contentsOfFile: d.sub("b/report.md"), encoding: .utf8)
        #expect(md.contains("## History"))
        #expect(md.contains("2 runs in `\(db)`"))
        #expect(FileManager.default.fileExists(atPath: d.sub("b/figures/history-ms_per_image.svg")))
        // The first night's report says there is nothing to compare yet.
        let first = try String(contentsOfFile: d.sub("a/report.md"), encoding: .utf8)
        #expect(first.contains("holds 1 run of these cases so far"))
    }
}
