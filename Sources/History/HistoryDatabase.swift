import Analysis
import Crypto
import Foundation
import GRDB
import Results

/// An error about a history database or what is added to it, naming the file. The command line prints it
/// as one line and exits 2.
public struct HistoryError: Error, CustomStringConvertible, Equatable {
    public var description: String
    public init(_ message: String) { description = message }
}

/// A run as the history records it: its provenance (from run.json) and where it was added from.
public struct HistoryRun: Hashable, Codable, Sendable {
    /// The database's row id; runs are numbered in the order they were added.
    public var id: Int64
    /// SHA-256 of the run's results.json and run.json: the same run added twice is recognised.
    public var fingerprint: String
    public var name: String
    /// When the run was made (run.json `date`, ISO 8601).
    public var date: String
    public var gitCommit: String?
    public var bitsweepVersion: String
    /// The engine's fingerprint (oneDNN version and numerics hash).
    public var engineVersion: String
    public var machine: String
    public var specHash: String
    /// The folder it was added from.
    public var source: String
    public var cases: Int
    /// The run's reference workload median, ms per image (`ReferenceScaling.median`): the machine's speed during
    /// the run. nil for runs without reference samples (and runs added before schema v3).
    public var referenceMs: Double? = nil

    enum CodingKeys: String, CodingKey {
        case id, fingerprint, name, date, gitCommit = "git_commit", bitsweepVersion = "bitsweep_version"
        case engineVersion = "engine_version", machine, specHash = "spec_hash", source, cases
        case referenceMs = "reference_ms_per_image"
    }
}

/// One value of one case in one run.
public struct HistoryPoint: Hashable, Sendable {
    public var run: HistoryRun
    public var value: HistoryValue
    /// Which kernels the case ran on in that run (`int8` or `float`; nil when not recorded: runs added before
    /// schema v2, or a case that did not run).
    public var kernels: String? = nil
}

/// One case × metric over the runs, oldest first.
public struct HistorySeries: Hashable, Sendable {
    /// `CaseKey.label` of the case (the configuration as the spec named it).
    public var caseLabel: String
    /// A stable hash of the `CaseKey`: how runs are matched, as `compare` matches cases.
    public var caseKey: String
    public var metric: HistoryMetric
    public var points: [HistoryPoint]
}

/// The nightly history: a SQLite database (through GRDB) holding every run added to it.
///
/// Tables (schemas `v1`–`v3`, created by GRDB's migrator; a database migrated by a newer bitsweep is refused):
/// - `run`: one row per run — fingerprint (unique), sweep name, date, git commit, bitsweep and engine
///   versions, machine, spec hash, source folder, case count.
/// - `measurement`: one row per run × case × metric — `case_key` (hash of the configuration as named by the
///   spec), `case_label`, `metric`, `exact` (counts, as integers) or `value` (measured), `samples` (JSON array
///   of the timing samples); `v2` adds `kernels` (`int8` when some layer of the case ran on int8 kernels, else
///   `float`; NULL for rows added before v2), so that time charts can say which kernels the timings came from;
///   `v3` adds `run.reference_ms` (the run's reference workload median, `ReferenceScaling`; NULL before v3 and
///   for runs without reference samples), so that timings are compared at the machine speed of each run.
/// The file carries SQLite's `application_id` 0x42535748 ("BSWH") so that another program's database is
/// recognised and refused. Every `add` is one transaction: killed at any point, the database is as before.
public final class HistoryDatabase: @unchecked Sendable {
    public static let applicationID: Int32 = 0x4253_5748
    public let path: String
    let queue: DatabaseQueue

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(HistoryDatabase.applicationID)")
            try db.create(table: "run") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("fingerprint", .text).notNull().unique()
                t.column("name", .text).notNull()
                t.column("date", .text).notNull()
                t.column("git_commit", .text)
                t.column("bitsweep_version", .text).notNull()
                t.column("engine_version", .text).notNull()
                t.column("machine", .text).notNull()
                t.column("spec_hash", .text).notNull()
                t.column("source", .text).notNull()
                t.column("cases", .integer).notNull()
                t.column("added_at", .text).notNull()
            }
            try db.create(table: "measurement") { t in
                t.column("run_id", .integer).notNull().references("run", onDelete: .cascade)
                t.column("case_key", .text).notNull()
                t.column("case_label", .text).notNull()
                t.column("metric", .text).notNull()
                t.column("exact", .integer)
                t.column("value", .double)
                t.column("samples", .text)
                t.primaryKey(["run_id", "case_key", "metric"])
                t.check(sql: "(exact IS NULL) <> (value IS NULL)")
            }
            try db.create(index: "measurement_by_case", on: "measurement", columns: ["case_key", "metric"])
        }
        m.registerMigration("v2") { db in
            try db.alter(table: "measurement") { t in t.add(column: "kernels", .text) }
        }
        m.registerMigration("v3") { db in
            try db.alter(table: "run") { t in t.add(column: "reference_ms", .double) }
        }
        return m
    }

    /// Opens (and with `create`, creates) the database at `path`, refusing files that are not a BitSweep
    /// history or that a newer bitsweep has migrated.
    public init(path: String, create: Bool) throws {
        self.path = path
        let exists = FileManager.default.fileExists(atPath: path)
        if !exists && !create {
            throw HistoryError("\(path): no history database here (`bitsweep history add` creates one)")
        }
        if !exists {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        }
        do {
            var config = Configuration()
            config.busyMode = .timeout(10)
            queue = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw HistoryError("\(path): cannot open as a SQLite database (\(Self.describe(error)))")
        }
        let migrator = Self.migrator
        do {
            try queue.read { db in
                let app = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
                if app != Self.applicationID && (app != 0 || tables > 0) {
                    throw HistoryError("\(path): not a BitSweep history database (SQLite application_id \(app), expected \(Self.applicationID))")
                }
                if try migrator.hasBeenSuperseded(db) {
                    let known = try migrator.appliedIdentifiers(db).sorted().joined(separator: ", ")
                    let mine = migrator.migrations.joined(separator: ", ")
                    throw HistoryError("\(path): this history database was written by a newer bitsweep (schema \(known); this bitsweep knows \(mine) only); use that bitsweep or a newer one")
                }
            }
            try migrator.migrate(queue)
        } catch let e as HistoryError {
            throw e
        } catch {
            throw HistoryError("\(path): \(Self.describe(error))")
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return "\(error)"
    }

    /// What `add` did with one folder.
    public enum AddOutcome: Hashable, Sendable {
        case added(run: HistoryRun, measurements: Int)
        case alreadyPresent(run: HistoryRun)
    }

    /// A results folder, read and checked, ready to add.
    public struct LoadedRun: Sendable {
        public var directory: String
        public var results: ResultsSet
        public var info: RunInfo
        public var fingerprint: String
    }

    /// Reads a results folder (results.json and run.json); throws a one-line error naming the file.
    public static func load(_ directory: String) throws -> LoadedRun {
        let dir = (directory as NSString).lastPathComponent == ResultsStore.resultsFile
            ? (directory as NSString).deletingLastPathComponent : directory
        let results: ResultsSet
        do { results = try ResultsStore.load(dir) } catch { throw HistoryError("\(error)") }
        let runPath = (dir as NSString).appendingPathComponent(ResultsStore.runFile)
        guard let runData = FileManager.default.contents(atPath: runPath) else {
            throw HistoryError("\(runPath): missing; the history needs the run's provenance (date, commit, engine, machine)")
        }
        let info: RunInfo
        do { info = try JSONDecoder().decode(RunInfo.self, from: runData) } catch {
            throw HistoryError("\(runPath): not a BitSweep run.json (\(error))")
        }
        if info.shard != nil {
            throw HistoryError("\(runPath): this folder is shard \(info.shard!) of a sweep; merge the shards first (`bitsweep merge`) and add the merged folder")
        }
        let resultsData = FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent(ResultsStore.resultsFile)) ?? Data()
        let digest = SHA256.hash(data: resultsData + Data([0]) + runData).map { String(format: "%02x", $0) }.joined()
        return LoadedRun(directory: dir, results: results, info: info, fingerprint: digest)
    }

    /// The case key `compare` matches cases by, as a short stable hash of its canonical JSON.
    public static func caseKey(_ c: CaseConfig) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        let data = (try? e.encode(CaseKey(c))) ?? Data()
        return SHA256.hash(data: data).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Adds every folder in one transaction (all or nothing). A run already present (same fingerprint) is
    /// left alone. `afterEachMeasurement` is a test hook called after each row is inserted (an error it throws
    /// rolls the whole add back).
    public func add(_ runs: [LoadedRun], addedAt: String = ISO8601DateFormatter().string(from: Date()),
                    afterEachMeasurement: (() throws -> Void)? = nil) throws -> [AddOutcome] {
        do {
            return try queue.write { db in
                var outcomes: [AddOutcome] = []
                for r in runs {
                    if let existing = try Self.fetchRun(db, fingerprint: r.fingerprint) {
                        outcomes.append(.alreadyPresent(run: existing))
                        continue
                    }
                    let i = r.info
                    try db.execute(sql: """
                        INSERT INTO run (fingerprint, name, date, git_commit, bitsweep_version, engine_version, machine,
                                         spec_hash, source, cases, added_at, reference_ms)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """, arguments: [r.fingerprint, r.results.name, i.date, i.gitCommit, i.bitsweepVersion,
                                         i.engineVersion, i.machine, i.specHash, r.directory, r.results.cases.count, addedAt,
                                         ReferenceScaling.median(r.results)])
                    let runID = db.lastInsertedRowID
                    var rows = 0
                    for c in r.results.cases {
                        let key = Self.caseKey(c.config), label = CaseKey(c.config).label
                        // A case that ran without a kernel record (written before integer kernels) ran float.
                        let kernels: String? = c.timings == nil ? nil : ((c.kernels?.runsInteger ?? false) ? "int8" : "float")
                        for (metric, value) in HistoryMetric.values(of: c) {
                            var exact: Int?, measured: Double?, samples: String?
                            switch value {
                            case .exact(let v): exact = v
                            case .measured(let v, let s):
                                measured = v
                                if metric.kind == .time {
                                    samples = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
                                }
                            }
                            try db.execute(sql: """
                                INSERT INTO measurement (run_id, case_key, case_label, metric, exact, value, samples, kernels)
                                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                                """, arguments: [runID, key, label, metric.rawValue, exact, measured, samples, kernels])
                            rows += 1
                            try afterEachMeasurement?()
                        }
                    }
                    outcomes.append(.added(run: try Self.fetchRun(db, fingerprint: r.fingerprint)!, measurements: rows))
                }
                return outcomes
            }
        } catch let e as HistoryError {
            throw e
        } catch {
            throw HistoryError("\(path): \(Self.describe(error))")
        }
    }

    static let runColumns = "id, fingerprint, name, date, git_commit, bitsweep_version, engine_version, machine, spec_hash, source, cases, reference_ms"

    static func run(from row: Row) -> HistoryRun {
        HistoryRun(id: row["id"], fingerprint: row["fingerprint"], name: row["name"], date: row["date"],
                   gitCommit: row["git_commit"], bitsweepVersion: row["bitsweep_version"],
                   engineVersion: row["engine_version"], machine: row["machine"], specHash: row["spec_hash"],
                   source: row["source"], cases: row["cases"], referenceMs: row["reference_ms"])
    }

    static func fetchRun(_ db: Database, fingerprint: String) throws -> HistoryRun? {
        try Row.fetchOne(db, sql: "SELECT \(runColumns) FROM run WHERE fingerprint = ?", arguments: [fingerprint]).map(run(from:))
    }

    /// Every run, in the order they were made (date, then the order they were added).
    public func runs() throws -> [HistoryRun] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.runColumns) FROM run ORDER BY date, id").map(Self.run(from:))
        }
    }

    /// Every case × metric series, oldest run first; filtered by case (a label that contains `caseFilter`,
    /// or a case key that starts with it) and metrics.
    public func series(caseFilter: [String] = [], metrics: [HistoryMetric] = HistoryMetric.allCases) throws -> [HistorySeries] {
        let runs = try self.runs()
        let byID = Dictionary(uniqueKeysWithValues: runs.map { ($0.id, $0) })
        let order = Dictionary(uniqueKeysWithValues: runs.enumerated().map { ($1.id, $0) })
        let rows = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT run_id, case_key, case_label, metric, exact, value, samples, kernels FROM measurement")
        }
        struct Key: Hashable { var caseKey: String; var metric: HistoryMetric }
        var grouped: [Key: (label: String, points: [HistoryPoint])] = [:]
        let wanted = Set(metrics)
        for row in rows {
            guard let metric = HistoryMetric(rawValue: row["metric"]), wanted.contains(metric),
                  let run = byID[row["run_id"]] else { continue }
            let key: String = row["case_key"], label: String = row["case_label"]
            if !caseFilter.isEmpty && !caseFilter.contains(where: { label == $0 || label.contains($0) || key.hasPrefix($0) }) { continue }
            let value: HistoryValue
            if let e: Int = row["exact"] { value = .exact(e) } else {
                let s: String? = row["samples"]
                let samples = s.flatMap { try? JSONDecoder().decode([Double].self, from: Data($0.utf8)) } ?? []
                value = .measured(row["value"], samples: samples)
            }
            grouped[Key(caseKey: key, metric: metric), default: (label, [])].points.append(
                HistoryPoint(run: run, value: value, kernels: row["kernels"]))
        }
        return grouped.map { k, v in
            HistorySeries(caseLabel: v.label, caseKey: k.caseKey, metric: k.metric,
                          points: v.points.sorted { order[$0.run.id]! < order[$1.run.id]! })
        }.sorted { ($0.caseLabel, $0.metric) < ($1.caseLabel, $1.metric) }
    }
}
