import Foundation
import Results
import StableIO

/// Combines the results folders of the shards of one sweep into the results of the unsharded sweep.
///
/// Every folder must be a finished run (`results.json` and `run.json`) of the same spec (same spec hash),
/// the same images (same digests) and the same engine version; the shards must be `0/n` … `(n−1)/n`, each
/// exactly once. The merged `results.json` and `results.csv` are byte-identical to those of an unsharded run
/// apart from timing fields; `run.json` records the merge. The shards' case caches are copied too, so that
/// `bitsweep sweep --out <merged>` later reuses every case.
public enum ShardMerge {
    @discardableResult
    public static func merge(shardDirectories dirs: [String], into out: String,
                             commandLine: [String] = CommandLine.arguments, wait: Bool = false,
                             onWait: (String) -> Void = { _ in }) throws -> ResultsSet {
        guard !dirs.isEmpty else { throw SweepError("merge: give at least one shard folder", input: true) }
        var sets: [(dir: String, results: ResultsSet, run: RunInfo)] = []
        var problems: [String] = []
        for d in dirs {
            do {
                let r = try ResultsStore.load(d)
                guard let info = ResultsStore.loadRunInfo(d) else {
                    problems.append("\(d): no readable run.json (is this a finished sweep?)")
                    continue
                }
                sets.append((d, r, info))
            } catch {
                problems.append("\(error)")
            }
        }
        if !problems.isEmpty { throw SweepError(problems.joined(separator: "\n"), input: true) }

        let first = sets[0]
        for s in sets.dropFirst() {
            if s.run.specHash != first.run.specHash {
                problems.append("\(s.dir): ran another spec than \(first.dir) (spec hash \(s.run.specHash.prefix(12))… ≠ \(first.run.specHash.prefix(12))…)")
            }
            if s.run.images != first.run.images {
                problems.append("\(s.dir): ran other images than \(first.dir) (the image digests differ)")
            }
            if s.run.engineVersion != first.run.engineVersion {
                problems.append("\(s.dir): engine \(s.run.engineVersion) ≠ \(first.run.engineVersion) in \(first.dir)")
            }
            if s.results.skippedImages != first.results.skippedImages {
                problems.append("\(s.dir): skipped other images than \(first.dir)")
            }
        }

        // Shard coverage: 0/n … (n−1)/n exactly once (an unsharded folder counts as the whole).
        var count: Int?
        var seen: [Int: String] = [:]
        for s in sets {
            guard let label = s.run.shard else {
                if sets.count > 1 { problems.append("\(s.dir): not a shard (run.json has no shard), but merged with other folders") }
                continue
            }
            guard let sh = try? Shard(parsing: label) else {
                problems.append("\(s.dir): shard '\(label)' in run.json is not i/n")
                continue
            }
            if let c = count, c != sh.count {
                problems.append("\(s.dir): shard \(label) is one of \(sh.count), but other folders are shards of \(c)")
            }
            count = count ?? sh.count
            if let other = seen[sh.index] {
                problems.append("\(s.dir): shard \(label) is given twice (also \(other))")
            }
            seen[sh.index] = s.dir
        }
        if let n = count {
            let missing = (0..<n).filter { seen[$0] == nil }
            if !missing.isEmpty {
                problems.append("missing shard\(missing.count == 1 ? "" : "s") \(missing.map { "\($0)/\(n)" }.joined(separator: ", ")): merge needs all \(n)")
            }
        }
        if !problems.isEmpty { throw SweepError(problems.joined(separator: "\n"), input: true) }

        var byIndex: [Int: (CaseResult, String)] = [:]
        for s in sets {
            for c in s.results.cases {
                if let (other, dir) = byIndex[c.index] {
                    if other.id != c.id || other.config != c.config {
                        problems.append("\(s.dir): case \(c.index) (\(c.id)) conflicts with case \(other.id) in \(dir)")
                    }
                    continue
                }
                byIndex[c.index] = (c, s.dir)
            }
        }
        if let grid = first.run.gridCases, byIndex.count != grid {
            problems.append("the shards hold \(byIndex.count) cases, but the sweep has \(grid)")
        }
        if !problems.isEmpty { throw SweepError(problems.joined(separator: "\n"), input: true) }

        let merged = ResultsSet(name: first.results.name, cases: byIndex.values.map(\.0), skippedImages: first.results.skippedImages)
        var run = first.run
        run.shard = nil
        run.commandLine = commandLine
        run.date = Provenance.now()
        let machines = Array(Set(sets.map(\.run.machine))).sorted()
        run.machine = machines.count == 1 ? machines[0] : machines.joined(separator: " | ")
        // The merged folder is ours from here on; temporary files of an earlier run that was killed go.
        let lock = try FolderLock(directory: out, wait: wait, onWait: onWait)
        defer { lock.release() }
        let target = CaseCache(resultsDirectory: out)
        target.removeTemporaries()
        let summaryFiles = [ResultsStore.resultsFile, ResultsStore.csvFile, ResultsStore.runFile]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []
        where summaryFiles.contains(where: { name.hasPrefix($0 + ".tmp-") }) {
            try? FileManager.default.removeItem(atPath: (out as NSString).appendingPathComponent(name))
        }

        // Copy the shards' case caches (each file atomically), then write the summary files.
        for s in sets {
            let source = CaseCache(resultsDirectory: s.dir)
            for name in source.entryFiles() {
                guard let data = FileManager.default.contents(atPath: (source.directory as NSString).appendingPathComponent(name)) else { continue }
                try Folder.create(target.directory)
                try AtomicFile.write(data, to: (target.directory as NSString).appendingPathComponent(name))
            }
        }
        try ResultsStore.write(merged, to: out)
        try ResultsStore.write(run, to: out)
        if let budgets = ResultsStore.keptBudgets(in: first.dir) { try ResultsStore.keepBudgets(from: budgets, in: out) }
        return merged
    }
}
