import Foundation
import Testing

/// Timing verdicts that survive noise, end to end with the real engine: two runs of the same small sweep are
/// not called different, and a run made 1.6× slower (the test-only `--debug-slowdown`) is called slower in
/// every case.
///
/// Why 1.6× and not 1.3×: the rule's threshold is ±10 %, and with 15 samples against 15 the lower end of a
/// 1.3× slow-down's 99 % interval lands at +12–20 % here, so one noisy moment (CI measured +4.6 % on the
/// reference workload of the slow run) can pull it under the threshold — the README's measurement shows the
/// same: 1.3× is called in 69–77 of 81 cases, not all. At 1.6× the lower end stays at +35 % or more
/// (measured at load 2–9), so "called in every case" is a property of the rule and not of a quiet machine.
///
/// The three sweeps run at the same time, pinned to one CPU (`taskset`: so one job and one engine thread
/// each, and no OpenMP team fighting the other processes for two cores), so that whatever else loads the
/// machine — other test suites, other builds on a shared 2-core machine — loads all three alike: the test is
/// about the rule telling noise from a real change, not about the machine holding still between runs (the
/// README's measurement does the back-to-back case with the default sweep).
@Suite(.serialized) struct TimingNoiseCLITests {
    static func spec(_ dir: URL) throws -> String {
        let images = CLI.packageRoot.appendingPathComponent("Inputs/images").path
        let path = dir.appendingPathComponent("timing.yaml").path
        // Two small networks, 15 rounds. A round's sample (EngineEvaluator.time) is the median time per image over
        // the batches of the quantized network alone, built afresh, after one untimed warm-up batch: at least 3
        // batches and at least 20 ms of measured kernel time (at most 200), so dozens of sub-millisecond batches
        // at 32 px. 15 against 15 samples still call a change with 51 of the 225 pairs out of order (critical U
        // at 0.01).
        try """
            name: timing
            images: \(images)
            sizes: [32]
            blocks: [3, 4]
            precisions: [8]
            conventions: [weight]
            repeats: 15
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Each case's timing entry in `compare --format json` (matched cases with a timing change listed).
    static func timings(_ json: String) throws -> (changed: [[String: Any]], timed: Int, thresholdOnly: Int) {
        let o = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let changed = (o["changed"] as? [[String: Any]] ?? []).compactMap { $0["timing"] as? [String: Any] }
        return (changed.filter { $0["flagged"] as? Bool == true }, o["timed"] as? Int ?? -1, o["timed_threshold_only"] as? Int ?? -1)
    }

    @Test func sameSweepTwiceIsNotCalledAndASlowdownIs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bitsweep-timing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = try Self.spec(dir)
        let runs: [(String, [String])] = [("a", []), ("b", []), ("slow", ["--debug-slowdown", "1.6"])]
        let slots = Slots(runs.count)
        let cpu = try Self.firstAllowedCPU()
        let threads = (0..<runs.count).map { i in
            Thread {
                let r = try? CLI.run(["-c", cpu, CLI.binary.path, "sweep", spec, "--out", dir.appendingPathComponent(runs[i].0).path,
                                      "--no-report"] + runs[i].1, executable: "/usr/bin/taskset")
                slots.set(i, r)
            }
        }
        threads.forEach { $0.start() }
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline && slots.values.contains(where: { $0 == nil }) { usleep(50_000) }
        let results = slots.values
        for (i, r) in results.enumerated() { #expect(r?.status == 0, "\(runs[i].0): \(r?.stderr ?? "did not run")") }
        #expect(results[2]?.stderr.contains("TEST ONLY: --debug-slowdown 1.6") == true)

        // The same sweep twice: no timing change called (exit 0, nothing flagged), every case by the test.
        let same = try CLI.run(["compare", dir.appendingPathComponent("a").path, dir.appendingPathComponent("b").path, "--format", "json"])
        #expect(same.status == 0, "\(same.stdout)\(same.stderr)")
        let s = try Self.timings(same.stdout)
        #expect(s.timed == 2 && s.thresholdOnly == 0)
        #expect(s.changed.isEmpty, "called in identical runs: \(s.changed)")

        // 1.6× slower: both cases called slower, by the interval rule, and it fails with --fail-on-time.
        let slow = try CLI.run(["compare", dir.appendingPathComponent("a").path, dir.appendingPathComponent("slow").path,
                                "--format", "json", "--fail-on-time"])
        #expect(slow.status == 1, "\(slow.stdout)\(slow.stderr)")
        let t = try Self.timings(slow.stdout)
        #expect(t.changed.count == 2, "\(slow.stdout)")
        for c in t.changed {
            #expect(c["rule"] as? String == "shift-ci")
            #expect(c["current_samples"] as? Int == 15 && c["baseline_samples"] as? Int == 15)
            #expect((c["relative"] as? Double ?? 0) > 0.1)
        }
        // The table says which rule called it.
        let table = try CLI.run(["compare", dir.appendingPathComponent("a").path, dir.appendingPathComponent("slow").path])
        #expect(table.stdout.contains("99% CI beyond ±10%"), "\(table.stdout)")
    }

    /// The three sweeps' results, filled in by their threads (nil: not finished).
    final class Slots: @unchecked Sendable {
        private let lock = NSLock()
        private var stored: [CLI.Result?]
        init(_ n: Int) { stored = Array(repeating: nil, count: n) }
        func set(_ i: Int, _ r: CLI.Result?) { lock.withLock { stored[i] = r } }
        var values: [CLI.Result?] { lock.withLock { stored } }
    }

    /// The first CPU this process may run on (`Cpus_allowed_list` in /proc/self/status, e.g. `0-1` or `3,5`).
    static func firstAllowedCPU() throws -> String {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let list = line.dropFirst("Cpus_allowed_list:".count).trimmingCharacters(in: .whitespaces)
        return String(list.prefix { $0.isNumber })
    }

    @Test func repeatsOptionIsCheckedAndHidden() throws {
        let bad = try CLI.run(["sweep", "--repeats", "0", "--out", "/tmp/never-written-bitsweep"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--repeats 0 is out of range; expected timing rounds per case, 1–1000"), "\(bad.stderr)")
        let slow = try CLI.run(["sweep", "--debug-slowdown", "0.5", "--out", "/tmp/never-written-bitsweep"])
        #expect(slow.status == 2 && slow.stderr.contains("--debug-slowdown 0.5 is out of range"), "\(slow.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never-written-bitsweep"))
        let help = try CLI.run(["sweep", "--help"])
        #expect(help.stdout.contains("--repeats <n>"))
        #expect(!help.stdout.contains("debug-slowdown"))
    }

    /// `--time-threshold`, `--alpha` and `--recent` are one option group: `compare` and `history show` list them
    /// under the same title with the same help, and check them the same way (exit 2, one line).
    @Test func compareAndHistoryShowShareTheTimingRuleOptions() throws {
        func section(_ help: String) -> String {
            guard let start = help.range(of: "TIMING RULE:") else { return "" }
            let rest = help[start.lowerBound...]
            let end = rest.range(of: "\n\n")?.lowerBound ?? rest.endIndex
            return String(rest[..<end])
        }
        let compare = section(try CLI.run(["compare", "--help"]).stdout)
        let show = section(try CLI.run(["history", "show", "--help"]).stdout)
        #expect(compare.contains("--time-threshold <x>") && compare.contains("--alpha <p>") && compare.contains("--recent <n>"), "\(compare)")
        #expect(compare == show)
        for args in [["compare", "a", "b", "--alpha", "1.5"], ["history", "show", "--db", "/tmp/never-a-db-bitsweep", "--alpha", "1.5"]] {
            let r = try CLI.run(args)
            #expect(r.status == 2 && r.stderr.contains("--alpha '1.5' is not valid; expected a probability between 0 and 1"), "\(args): \(r.stderr)")
        }
        for args in [["compare", "a", "b", "--recent", "0"], ["history", "show", "--db", "/tmp/never-a-db-bitsweep", "--recent", "0"]] {
            let r = try CLI.run(args)
            #expect(r.status == 2 && r.stderr.contains("--recent '0' is not valid; expected a whole number of runs, 1–100"), "\(args): \(r.stderr)")
        }
    }
}
