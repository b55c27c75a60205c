import Analysis
import BitOpsCore
import Foundation
import GRDB
import Results
import Testing
@testable import History

/// Results folders made from real `BitOpsCore` costs with chosen fidelity and timings, written to disk as a
/// sweep writes them (results.json + run.json).
enum Nights {
    static func caseResult(index: Int, size: Int, bits: Int, sqnr: Double?, samples: [Double]?,
                           reference: [Double]? = nil) throws -> CaseResult {
        let w = BitWidth(bits)!
        let net = try Preset.seed.network(PresetOptions(blocks: 2, bits: .uniform(w)))
        let cost = try net.cost(inputSize: size, convention: .weight)
        let config = CaseConfig(family: "seed", size: size, blocks: 2,
                                weightPrecision: ResolvedPrecision(policy: .uniform(w), blocks: [w, w]),
                                actPrecision: ResolvedPrecision(policy: .uniform(.float), blocks: [.float, .float]),
                                classifierBits: .float, convention: .weight)
        let imgs = ["a.png", "b.png"].map {
            ImageResult(file: $0, top1: 1, top5: [1, 2, 3, 4, 5], logits: [0.5], sqnrDB: sqnr, cosine: 0.99, top1Agree: true, blockSQNR: [])
        }
        let timings = samples.map { s in
            CaseTimings(buildMs: 1, msPerImage: Statistics.median(s)!, imagesPerSecond: 1, totalMs: 1, samplesMsPerImage: s,
                        referenceSamplesMsPerImage: reference)
        }
        return CaseResult(id: "id\(size)-\(bits)", index: index, config: config, cost: cost, images: imgs,
                          fidelity: FidelitySummary(images: imgs), timings: timings)
    }

    /// One night: two cases (32 px at 8 and 4 bits); `scale` multiplies the time samples. With `reference`,
    /// each case carries reference workload samples around it: the 8-bit case [0.97, 1.00, 1.04] × reference,
    /// the 4-bit case [0.99, 1.00, 1.02, 1.03] × reference (the run's reference median: reference).
    static func write(_ dir: String, night: Int, scale: Double = 1, sqnr8: Double = 40, commit: String? = nil,
                      reference: Double? = nil) throws {
        let samples = [1.00, 1.02, 0.98, 1.01, 0.99].map { $0 * scale }
        let set = ResultsSet(name: "nightly", cases: [
            try caseResult(index: 0, size: 32, bits: 8, sqnr: sqnr8, samples: samples.map { $0 * 2 },
                           reference: reference.map { r in [0.97, 1.00, 1.04].map { $0 * r } }),
            try caseResult(index: 1, size: 32, bits: 4, sqnr: 12, samples: samples,
                           reference: reference.map { r in [0.99, 1.00, 1.02, 1.03].map { $0 * r } }),
        ], skippedImages: [])
        try ResultsStore.write(set, to: dir)
        try ResultsStore.write(RunInfo(bitsweepVersion: "0.1.0", engineVersion: "oneDNN 2.6.3, numerics abc",
                                       gitCommit: commit ?? String(repeating: "\(night % 10)", count: 40), spec: "{}",
                                       specHash: "h", images: [:], machine: "test machine",
                                       date: String(format: "2026-11-%02dT02:17:00Z", night), commandLine: ["bitsweep"]), to: dir)
    }
}

final class Temp {
    let path = NSTemporaryDirectory() + "bitsweep-history-tests-" + UUID().uuidString
    init() { try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func sub(_ n: String) -> String { path + "/" + n }
}

@Suite struct DatabaseTests {
    /// Two cases × (5 counts + 4 fidelity + 1 time) = 20 rows per night.
    static let rowsPerNight = 2 * (5 + 4 + 1)

    @Test func addStoresOneRowPerCaseAndMetricWithProvenanceAndIsIdempotent() throws {
        let t = Temp()
        try Nights.write(t.sub("n1"), night: 1)
        try Nights.write(t.sub("n2"), night: 2)
        let db = try HistoryDatabase(path: t.sub("h.sqlite"), create: true)
        let first = try db.add([try HistoryDatabase.load(t.sub("n1")), try HistoryDatabase.load(t.sub("n2"))])
        #expect(first.map { if case .added(_, let n) = $0 { return n } else { return -1 } } == [Self.rowsPerNight, Self.rowsPerNight])
        let again = try db.add([try HistoryDatabase.load(t.sub("n2"))])
        guard case .alreadyPresent(let run) = again.first else { Issue.record("second add was not a no-op"); return }
        #expect(run.date == "2026-11-02T02:17:00Z")
        let runs = try db.runs()
        #expect(runs.map(\.date) == ["2026-11-01T02:17:00Z", "2026-11-02T02:17:00Z"])
        #expect(runs[0].gitCommit == String(repeating: "1", count: 40))
        #expect(runs[0].engineVersion == "oneDNN 2.6.3, numerics abc" && runs[0].machine == "test machine")
        // Straight from SQL: rows, and counts stored as exact integers equal to BitOpsCore's.
        let q = try DatabaseQueue(path: t.sub("h.sqlite"))
        try q.read { d in
            #expect(try Int.fetchOne(d, sql: "SELECT count(*) FROM measurement") == 2 * Self.rowsPerNight)
            #expect(try Int.fetchOne(d, sql: "SELECT count(*) FROM run") == 2)
            let bitops = try Int.fetchAll(d, sql: "SELECT exact FROM measurement WHERE metric = 'bitops' AND case_label LIKE '% w=8 %' ORDER BY run_id")
            let expected = try Preset.seed.network(PresetOptions(blocks: 2, bits: .uniform(8))).cost(inputSize: 32, convention: .weight).totals.bitops
            #expect(bitops == [expected, expected])
            // Seed, 2 blocks, 32 px, 8 bits, by hand: block0 dw 32·32·3·9 + pw 32·32·3·32, block1 dw 16·16·32·9
            // + pw 16·16·32·64, MACs × 8, plus the float classifier 64·10 × 32.
            #expect(expected == (32 * 32 * 3 * 9 + 32 * 32 * 3 * 32 + 16 * 16 * 32 * 9 + 16 * 16 * 32 * 64) * 8 + 64 * 10 * 32)
            let samples = try String.fetchOne(d, sql: "SELECT samples FROM measurement WHERE metric = 'ms_per_image' AND case_label LIKE '% w=4 %' AND run_id = 1")
            #expect(samples == "[1,1.02,0.98,1.01,0.99]")
        }
    }

    @Test func aFailedAddLeavesTheDatabaseAsItWas() throws {
        let t = Temp()
        try Nights.write(t.sub("n1"), night: 1)
        try Nights.write(t.sub("n2"), night: 2)
        try Nights.write(t.sub("n3"), night: 3)
        let db = try HistoryDatabase(path: t.sub("h.sqlite"), create: true)
        _ = try db.add([try HistoryDatabase.load(t.sub("n1"))])
        struct Boom: Error {}
        var rows = 0
        #expect(throws: HistoryError.self) {
            _ = try db.add([try HistoryDatabase.load(t.sub("n2")), try HistoryDatabase.load(t.sub("n3"))]) {
                rows += 1
                if rows == Self.rowsPerNight + 3 { throw Boom() }     // in the middle of the second folder
            }
        }
        #expect(try db.runs().count == 1)
        #expect(try db.series().allSatisfy { $0.points.count == 1 })
    }

    @Test func newerSchemaAndForeignDatabasesAreRefused() throws {
        let t = Temp()
        _ = try HistoryDatabase(path: t.sub("h.sqlite"), create: true)
        let q = try DatabaseQueue(path: t.sub("h.sqlite"))
        try q.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v2-samples-table')") }
        let newer = #expect(throws: HistoryError.self) { _ = try HistoryDatabase(path: t.sub("h.sqlite"), create: true) }
        #expect(newer?.description.contains("written by a newer bitsweep") == true)
        #expect(newer?.description.hasPrefix(t.sub("h.sqlite") + ":") == true)

        let other = try DatabaseQueue(path: t.sub("other.sqlite"))
        try other.write { try $0.execute(sql: "CREATE TABLE t (x)") }
        let foreign = #expect(throws: HistoryError.self) { _ = try HistoryDatabase(path: t.sub("other.sqlite"), create: true) }
        #expect(foreign?.description.contains("not a BitSweep history database") == true)

        try Data("not sqlite at all, just text".utf8).write(to: URL(fileURLWithPath: t.sub("text.sqlite")))
        #expect(throws: HistoryError.self) { _ = try HistoryDatabase(path: t.sub("text.sqlite"), create: true) }
        #expect(throws: HistoryError.self) { _ = try HistoryDatabase(path: t.sub("missing.sqlite"), create: false) }
    }

    @Test func badFoldersAreNamed() throws {
        let t = Temp()
        let noRun = t.sub("norun")
        try Nights.write(noRun, night: 1)
        try FileManager.default.removeItem(atPath: noRun + "/run.json")
        let e = #expect(throws: HistoryError.self) { _ = try HistoryDatabase.load(noRun) }
        #expect(e?.description.hasPrefix(noRun + "/run.json: missing") == true)
        #expect(throws: HistoryError.self) { _ = try HistoryDatabase.load(t.sub("nothing")) }
    }

    @Test func seriesAndStepsAcrossNights() throws {
        let t = Temp()
        let db = try HistoryDatabase(path: t.sub("h.sqlite"), create: true)
        // Nights 1–4 at the usual speed, 5–6 30% slower; the 8-bit case's SQNR drops on night 4.
        for n in 1...6 {
            try Nights.write(t.sub("n\(n)"), night: n, scale: n >= 5 ? 1.3 : 1, sqnr8: n >= 4 ? 35 : 40)
            _ = try db.add([try HistoryDatabase.load(t.sub("n\(n)"))])
        }
        let all = try db.series()
        #expect(all.count == 2 * 10)
        #expect(all.allSatisfy { $0.points.count == 6 })
        let time = try db.series(caseFilter: ["w=4"], metrics: [.msPerImage])
        #expect(time.count == 1)
        var o = HistoryOptions()
        o.failOnTime = true
        let report = HistoryReport.make(database: "h", runs: try db.runs(), series: all, options: o)
        let t4 = try #require(report.series.first { $0.metric == .msPerImage && $0.caseLabel.contains("w=4") })
        #expect(t4.steps.map(\.index) == [4])
        #expect(t4.steps.first.map { abs(($0.relative ?? 0) - 0.3) < 1e-9 } == true)
        #expect(t4.newRegression)
        let sq = try #require(report.series.first { $0.metric == .sqnrDBMean && $0.caseLabel.contains("w=8") })
        #expect(sq.steps.map(\.index) == [3] && sq.steps[0].worse && sq.best == 40 && sq.latest == 35)
        #expect(report.series.filter { $0.metric == .bitops }.allSatisfy { $0.steps.isEmpty })
        #expect(report.exitCode == 1)
        // Markdown and JSON carry the same verdict.
        #expect(HistoryWriters.markdown(report).contains("**REGRESSION: 2 new steps for the worse in the latest run.**"))
        let json = try JSONSerialization.jsonObject(with: Data(try HistoryWriters.json(report).utf8)) as? [String: Any]
        #expect((json?["series"] as? [[String: Any]])?.count == 20)
        // The trend chart: one line per case (two) and a rule at each step.
        let chart = try HistoryCharts.trend(all, metric: .msPerImage, runs: 6, options: o)
        let lines = chart.marks.filter { if case .line = $0 { return true } else { return false } }
        let rules = chart.marks.compactMap { if case .rule(let r) = $0 { return r } else { return nil } }
        #expect(lines.count == 2)
        #expect(rules.map(\.value) == [5, 5] && rules.allSatisfy { $0.label == "+30%" })
    }

    /// Schema v3 keeps each run's reference median; a v2 database gains the column (NULL for its old runs).
    @Test func theRunsReferenceMedianIsStoredAndAV2DatabaseIsMigrated() throws {
        let t = Temp()
        // A v2 database, as the previous bitsweep left it, with one run.
        let q = try DatabaseQueue(path: t.sub("h.sqlite"))
        var v2 = DatabaseMigrator()
        v2.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(HistoryDatabase.applicationID)")
            try db.execute(sql: """
                CREATE TABLE run (id INTEGER PRIMARY KEY AUTOINCREMENT, fingerprint TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
                  date TEXT NOT NULL, git_commit TEXT, bitsweep_version TEXT NOT NULL, engine_version TEXT NOT NULL,
                  machine TEXT NOT NULL, spec_hash TEXT NOT NULL, source TEXT NOT NULL, cases INTEGER NOT NULL, added_at TEXT NOT NULL);
                CREATE TABLE measurement (run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE, case_key TEXT NOT NULL,
                  case_label TEXT NOT NULL, metric TEXT NOT NULL, exact INTEGER, value DOUBLE, samples TEXT,
                  PRIMARY KEY (run_id, case_key, metric), CHECK ((exact IS NULL) <> (value IS NULL)));
                INSERT INTO run (fingerprint, name, date, bitsweep_version, engine_version, machine, spec_hash, source, cases, added_at)
                  VALUES ('old', 'nightly', '2026-11-01T02:17:00Z', '0.1.0', 'e', 'm', 'h', '/old', 0, 'x');
                """)
        }
        v2.registerMigration("v2") { db in try db.execute(sql: "ALTER TABLE measurement ADD COLUMN kernels TEXT") }
        try v2.migrate(q)
        try q.close()

        try Nights.write(t.sub("n2"), night: 2, reference: 0.5)
        try Nights.write(t.sub("n3"), night: 3)
        let db = try HistoryDatabase(path: t.sub("h.sqlite"), create: false)
        _ = try db.add([try HistoryDatabase.load(t.sub("n2")), try HistoryDatabase.load(t.sub("n3"))])
        let runs = try db.runs()
        #expect(runs.map(\.fingerprint.count) == [3, 64, 64])
        // Night 2's reference samples: [0.485, 0.5, 0.52] and [0.495, 0.5, 0.51, 0.515]; their median is 0.5.
        #expect(runs[0].referenceMs == nil && runs[2].referenceMs == nil)
        #expect(abs((runs[1].referenceMs ?? 0) - 0.5) < 1e-12)
    }

    /// A machine 30% slower for two nights (the reference workload slowed alike) is no step once the series is
    /// scaled to one machine speed; code 30% slower (the reference as before) still is; as measured, both are.
    @Test func aSlowerMachineIsNoStepButSlowerCodeIs() throws {
        let t = Temp()
        let db = try HistoryDatabase(path: t.sub("h.sqlite"), create: true)
        // Nights 1–4 at reference 0.5; nights 5–6: machine ×1.3 (samples and reference); nights 7–8: code ×1.3.
        let nights: [(scale: Double, reference: Double)] = [(1, 0.5), (1, 0.5), (1, 0.5), (1, 0.5), (1.3, 0.65), (1.3, 0.65), (1.3, 0.5), (1.3, 0.5)]
        for (i, n) in nights.enumerated() {
            try Nights.write(t.sub("n\(i + 1)"), night: i + 1, scale: n.scale, reference: n.reference)
            _ = try db.add([try HistoryDatabase.load(t.sub("n\(i + 1)"))])
        }
        let series = try db.series(caseFilter: ["w=4"], metrics: [.msPerImage])
        let four = try #require(series.first)
        // Scaled to the latest night's speed (0.5): nights 5–6 × 0.5/0.65 = 1.3/1.3 → back to the base samples.
        let scaled = four.scaledToReference()
        let base = [1.00, 1.02, 0.98, 1.01, 0.99]
        for (i, p) in scaled.points.enumerated() {
            let expected = i < 6 ? base : base.map { $0 * 1.3 }
            #expect(zip(p.value.samples, expected).allSatisfy { abs($0 - $1) < 1e-12 }, "night \(i + 1)")
        }
        var o = HistoryOptions()
        o.failOnTime = true
        let report = HistoryReport.make(database: "h", runs: try db.runs(), series: series, options: o)
        #expect(report.series.first?.steps.map(\.index) == [6])
        o.referenceScaling = false
        let raw = HistoryReport.make(database: "h", runs: try db.runs(), series: series, options: o)
        #expect(raw.series.first?.steps.map(\.index) == [4])

        // compare --history: night 8 against nights 5–7 pooled, each scaled to night 7's speed (0.5).
        let current = try HistoryDatabase.load(t.sub("n8"))
        let ref = try db.timingReference(recent: 3, current: current)
        #expect(ref.referenceMs == 0.5)
        let pooled = try #require(ref.samples(current.results.cases[1].config))
        #expect(zip(pooled, base + base + base.map { $0 * 1.3 }).allSatisfy { abs($0 - $1) < 1e-12 })
        let unscaled = try db.timingReference(recent: 3, current: current, scaled: false)
        #expect(unscaled.referenceMs == nil && unscaled.samples(current.results.cases[1].config) == (base + base + base).map { $0 * 1.3 })
    }
}
