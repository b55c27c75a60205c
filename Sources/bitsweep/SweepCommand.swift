import ArgumentParser
import BitOpsCore
import BitSweepConfig
import Foundation
import History
import MixedPrecision
import Reports
import Sweep

/// `bitsweep sweep`: run every case of a sweep spec over a folder of images (a thin layer over `Sweep`).
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a grid of sizes × blocks × precisions over a folder of images; resumable, parallel, shardable.",
        discussion: """
        Writes results.json (one record per case: configuration, per-layer counts, per-image fidelity and \
        its aggregate, timings), results.csv (one row per case) and run.json (provenance) into the output \
        folder, plus cases/ — the per-case cache. Running the same command again (after a crash, or with a \
        value added to an axis) computes only the cases that are not finished yet; --fresh forgets them. \
        With --set and no --out, results go to Reports/<name>+<overrides>/, never to the spec's own folder; \
        an axis given with --set drops the spec's include: entries that lie outside it.

        Exit status: 0 every case ran; 1 some cases failed (the count is printed) or the sweep stopped; \
        2 a usage or input error (spec, images folder, options).

        Shards are numbered from 0: run `bitsweep sweep SPEC --shard $i/$n --out shards/$i` for i in 0..<n \
        (Slurm: --shard $SLURM_ARRAY_TASK_ID/$n with --array=0-(n-1); Kubernetes Indexed Job: \
        --shard $JOB_COMPLETION_INDEX/$n), then `bitsweep merge --out DIR shards/*`.

        Examples:
          bitsweep sweep                      # Inputs/sweep.yaml → Reports/default/
          bitsweep sweep Inputs/sweep.yaml --set sizes=[32,64] --set network.seed=3   # → Reports/default+sizes=32,64+network.seed=3/
          bitsweep sweep --jobs 1 --fresh --out /tmp/run
        """)

    @Argument(help: ArgumentHelp("The sweep spec (YAML).", valueName: "spec"))
    var spec: String = DefaultResults.spec

    @Option(help: ArgumentHelp("Results folder (default: Reports/<name>/; with --set, Reports/<name>+<overrides>/).", valueName: "dir"))
    var out: String?

    @Option(parsing: .unconditional, help: "Cases run at once (default: the CPUs this process may use — its affinity mask and cgroup CPU quota, not the machine's count); each gets CPUs/jobs engine threads.")
    var jobs: Int?

    @Option(help: ArgumentHelp("Run only shard i of n (numbered from 0), e.g. 0/4.", valueName: "i/n"))
    var shard: String?

    @Flag
    var cacheMode: CacheMode = .resume

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one spec key, value parsed as YAML: sizes=[32,64], network.preset=mobilenet-v1. Repeatable.", valueName: "key=value"))
    var overrides: [String] = []

    @Option(help: ArgumentHelp("Kernels for every case, as --set kernels=K: float (simulated quantization), integer (oneDNN int8 where weights and input activations have ≤ 8 bits; a case where no layer can fails), or auto (integer where possible). Default: the spec's kernels (auto).", valueName: "float|integer|auto"))
    var kernels: Kernels?

    @Option(help: ArgumentHelp("Activation ranges for every case, as --set network.calibrate=C: fixed ([0, 6], the default), minmax or percentile:P, measured on each case's images.", valueName: "fixed|minmax|percentile:P"))
    var calibrate: String?

    @Flag(name: .customLong("no-report"), help: "Do not write the report after the sweep.")
    var noReport = false

    @Option(name: .customLong("max-cases"), parsing: .unconditional, help: ArgumentHelp("Refuse a grid of more cases than this (counted before anything is expanded).", valueName: "n"))
    var maxCases: Int = SweepPlan.defaultMaxCases

    @Flag(help: "When another run is writing to the output folder, wait for it to finish instead of stopping.")
    var wait = false

    @Option(help: ArgumentHelp("Add the finished run to this history database (default: the spec's `history:`, if any); the report gets a History section.", valueName: "file"))
    var history: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Time each case N times, in rounds interleaved over the cases (default: the spec's `repeats:`, else \(SweepSpec.defaultRepeats)); results keep every sample, and compare judges timing changes on them.", valueName: "n"))
    var repeats: Int?

    @Option(name: .customLong("debug-delay-ms"), help: .hidden)
    var debugDelayMs: Int = 0

    /// TEST ONLY, hidden: every timed batch really takes this factor longer (see `EngineEvaluator.debugSlowdown`).
    @Option(name: .customLong("debug-slowdown"), help: .hidden)
    var debugSlowdown: Double = 1

    enum CacheMode: String, EnumerableFlag {
        case resume, fresh
        static func help(for value: CacheMode) -> ArgumentHelp? {
            switch value {
            case .resume: return "Reuse the finished cases of the output folder."
            case .fresh: return "Forget the output folder's finished cases and compute every case."
            }
        }
    }

    func validate() throws {
        if let shard { do { _ = try Shard(parsing: shard) } catch { throw ValidationError("--shard: \(error)") } }
        guard debugDelayMs >= 0 else { throw ValidationError("--debug-delay-ms \(debugDelayMs) must be at least 0") }
        if let jobs, jobs < 1 { throw ValidationError("--jobs \(jobs) must be at least 1") }
        if let jobs, jobs > 1024 { throw ValidationError("--jobs \(jobs) is too many (at most 1024)") }
        if maxCases < 1 { throw ValidationError("--max-cases \(maxCases) must be at least 1") }
        if let repeats, !(1...1000).contains(repeats) { throw ValidationError("--repeats \(repeats) is out of range; expected timing rounds per case, 1–1000") }
        guard debugSlowdown.isFinite, debugSlowdown >= 1, debugSlowdown <= 100 else {
            throw ValidationError("--debug-slowdown \(debugSlowdown) is out of range; expected a factor from 1 to 100 (test only)")
        }
    }

    func run() throws {
        let parsedShard = try shard.map { try Shard(parsing: $0) }
        // Spec and plan problems are ConfigErrors (file:line, exit 2); see ErrorReport for the rest.
        let spec = try SweepSpecReader.load(path: self.spec, overrides: allOverrides)
        // Counted by arithmetic before anything is expanded; a big grid says so before the wait.
        let count = SweepPlan.countBound(spec)
        if count > 1000 && count <= maxCases {
            FileHandle.standardError.write(Data("sweep '\(spec.name.value)': expanding \(count) cases\n".utf8))
        }
        let plan = try SweepPlan.expand(spec, maxCases: maxCases)
        let outDir = out ?? ResultsFolder.defaultPath(for: spec)
        if out == nil && !spec.overrides.isEmpty {
            FileHandle.standardError.write(Data("results: \(outDir)/ (--set without --out: not the spec's own folder Reports/\(specOwnName(spec))/)\n".utf8))
        }
        let cpus = AvailableCPUs.current().count
        var options = SweepOptions(
            outputDirectory: outDir, jobs: jobs ?? cpus, shard: parsedShard,
            fresh: cacheMode == .fresh, progress: .automatic, commandLine: CommandLine.arguments,
            bitsweepVersion: BitSweepVersion.string, cores: cpus, delayPerEvaluationMs: debugDelayMs)
        options.waitForFolder = wait
        options.repeats = repeats
        if debugSlowdown > 1 {
            FileHandle.standardError.write(Data("TEST ONLY: --debug-slowdown \(debugSlowdown): every timed batch is made \(debugSlowdown)× slower\n".utf8))
        }
        let summary = try SweepRunner.run(plan, options: options, evaluator: EngineEvaluator(debugSlowdown: debugSlowdown))
        if spec.search != nil {
            if parsedShard != nil {
                FileHandle.standardError.write(Data("search: a shard does not run the spec's search: section; run the sweep unsharded for it\n".utf8))
            } else {
                try runSearch(spec, in: summary.outputDirectory, threads: cpus)
            }
        }
        let historyFile = history ?? spec.historyPath
        if let historyFile {
            if parsedShard != nil {
                FileHandle.standardError.write(Data("history: a shard is not added to \(historyFile); add the merged folder (bitsweep history add DIR --db \(historyFile))\n".utf8))
            } else {
                try addToHistory(summary.outputDirectory, database: historyFile)
            }
        }
        if !noReport && parsedShard == nil { try afterSweep(resultsDirectory: summary.outputDirectory, history: historyFile) }
        let failed = summary.results.cases.filter { $0.error != nil }.count
        if failed > 0 {
            let file = (summary.outputDirectory as NSString).appendingPathComponent("results.json")
            throw CommandFailure(status: 1, lines: [
                "\(failed) of \(summary.results.cases.count) cases failed; their errors are in \(file)"
                    + (noReport || parsedShard != nil ? "" : " and the report's failures table"),
            ])
        }
    }

    /// The spec's `search:` section, run after the grid; search.json and search.csv are written into the
    /// results folder atomically (a failure leaves the previous ones), where the report reads them.
    func runSearch(_ spec: SweepSpec, in dir: String, threads: Int) throws {
        let doc = try SweepSearch.run(spec, threads: threads)
        let folder = URL(fileURLWithPath: dir)
        let json = folder.appendingPathComponent(ReportSearch.fileName).path
        try writeTextAtomically(SearchRendering.csv(doc), to: folder.appendingPathComponent("search.csv").path)
        try writeTextAtomically(try prettyJSON(doc) + "\n", to: json)
        let t = doc.timings
        print(String(format: "search: %@ (%d on the front, %d verified; %.2f s)", json, doc.outcome.front.count, doc.outcome.verified.count,
                     t.setupSeconds + t.sensitivitySeconds + t.frontSeconds + t.verificationSeconds))
    }

    /// Adds the finished run to the history database (a no-op when it is already there).
    func addToHistory(_ dir: String, database: String) throws {
        let db = try HistoryDatabase(path: database, create: true)
        for outcome in try db.add([try HistoryDatabase.load(dir)]) {
            switch outcome {
            case .added(let run, let n): print("history: run \(run.id) added to \(database) (\(n) values)")
            case .alreadyPresent(let run): print("history: run \(run.id) already in \(database)")
            }
        }
    }

    /// The `--set` overrides, then `--kernels` and `--calibrate` as the overrides they stand for.
    var allOverrides: [String] {
        overrides + (kernels.map { ["kernels=\($0.rawValue)"] } ?? []) + (calibrate.map { ["network.calibrate=\($0)"] } ?? [])
    }

    /// The folder name the spec itself gives (its `name:`, or the file's base name), for the note above.
    func specOwnName(_ spec: SweepSpec) -> String {
        (try? SweepSpecReader.load(path: self.spec).name.value) ?? spec.name.value
    }

    /// The report step: writes report.md, report.pdf, report.ipynb and tables.tex beside the results.
    /// Not called for a shard (merge first) or with --no-report. The budget section reads the profiles the
    /// sweep kept in the folder (budgets.yaml), when the spec named some; the history section reads `history`.
    func afterSweep(resultsDirectory dir: String, history: String? = nil) throws {
        print("results: \((dir as NSString).appendingPathComponent("results.json"))")
        let out = try ReportGenerator.generate(resultsDir: dir, history: history)
        for f in out.files where !f.contains("/figures/") { print("report: \(f)") }
    }
}
