import Analysis
import ArgumentParser
import CairoRender
import Foundation
import History

/// `bitsweep history`: the nightly history in a SQLite database (thin over the `History` module).
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Keep every nightly run in a SQLite database and show trends, best values and steps.",
        discussion: """
        `history add` stores results folders (one row per run × case × metric, with the run's date, commit, \
        engine fingerprint and machine); `history show` gives, per case and metric, the latest value, the best \
        ever and the steps, with exit code 0 (no new regression), 1 (a new regression) or 2 (usage or input \
        error), as `compare`. `sweep --history FILE` adds each run as it finishes.

        Examples:
          bitsweep history add Reports/nightly --db Reports/history.sqlite
          bitsweep history show --db Reports/history.sqlite --metric ms_per_image --out Reports/history
          bitsweep history show --case "n=5 s=128" --format markdown
        """,
        subcommands: [HistoryAdd.self, HistoryShow.self])

    static let defaultDatabase = "Reports/history.sqlite"
}

struct HistoryAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add results folders to the history (each once; all in one transaction).",
        discussion: """
        Each folder needs results.json and run.json (a finished sweep or a merge; not a shard). Adding a run \
        that is already there (same results.json and run.json) changes nothing. All folders are read and \
        checked before anything is written, and they are added in one transaction: an add that fails or is \
        killed leaves the database as it was. A database written by a newer bitsweep is refused.
        """)

    @Argument(help: ArgumentHelp("Results folders (or their results.json).", valueName: "results-dir"))
    var directories: [String] = []

    @Option(help: ArgumentHelp("The history database (created if missing). Default: \(HistoryCommand.defaultDatabase).", valueName: "file"))
    var db: String = HistoryCommand.defaultDatabase

    @Option(name: .customLong("debug-kill-after-rows"), help: .hidden)
    var debugKillAfterRows: Int?

    func run() throws {
        guard !directories.isEmpty else { throw InputError("expected at least one results folder") }
        do {
            let runs = try directories.map(HistoryDatabase.load)
            let database = try HistoryDatabase(path: db, create: true)
            var rows = 0
            let kill = debugKillAfterRows
            let outcomes = try database.add(runs, afterEachMeasurement: kill.map { limit in {
                rows += 1
                if rows >= limit { Foundation.kill(getpid(), SIGKILL) }
            } })
            for o in outcomes {
                switch o {
                case .added(let run, let n):
                    print("added \(run.source): run \(run.id) of \(run.date), \(run.cases) cases, \(n) values → \(db)")
                case .alreadyPresent(let run):
                    print("already present: \(run.source) (run \(run.id) of \(run.date)); nothing added")
                }
            }
        } catch let e as HistoryError {
            throw CommandFailure.input(e)
        }
    }
}

struct HistoryShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Per case and metric: latest value, best ever, steps. Exit 0 = no new regression, 1 = new regression, 2 = usage or input error.",
        discussion: """
        Steps: counts change at every run whose value differs from the run before; fidelity where it moves \
        beyond the tolerance (0.1 dB SQNR, as compare); time where a run and the next --persist − 1 runs all \
        lie beyond ±--time-threshold of the median of the last --recent runs, on the same side, and the \
        whole 1 − --alpha confidence interval of the Hodges–Lehmann shift of their samples against those runs' \
        samples lies beyond ±--time-threshold too, as compare judges (runs timed once, from before sweep \
        --repeats, are too few for an interval: there the threshold and --persist alone decide, and the \
        output says "threshold only"). A new regression is a \
        step for the worse that the latest run completes (time counts only with --fail-on-time). The latest \
        run's time is also judged against the pooled samples of the --recent runs before it. Without --all, \
        only series with a step, a pending change or a called timing change are listed.
        """)

    @Option(help: ArgumentHelp("The history database. Default: \(HistoryCommand.defaultDatabase).", valueName: "file"))
    var db: String = HistoryCommand.defaultDatabase

    @Option(name: .customLong("case"), help: ArgumentHelp("Only cases whose label contains this text (or whose key starts with it). Repeatable.", valueName: "text"))
    var cases: [String] = []

    @Option(name: .customLong("metric"), help: ArgumentHelp("Only this metric: \(HistoryMetric.allCases.map(\.rawValue).joined(separator: ", ")). Repeatable.", valueName: "name"))
    var metrics: [String] = []

    @Option(help: ArgumentHelp("What to print: table, json or markdown.", valueName: "format"))
    var format: String = "table"

    @Flag(help: "List every series, not only those that moved.")
    var all = false

    @Option(help: ArgumentHelp("Write history.md, history.json and trend charts (trend-<metric>.svg/.png) into this folder.", valueName: "dir"))
    var out: String?

    @OptionGroup(title: "Timing rule")
    var timing: TimingRuleOptions

    @Option(help: ArgumentHelp("Runs a timing change must hold for to be a step. Default \(HistoryOptions().persist).", valueName: "n"))
    var persist: String?

    @Flag(name: .customLong("fail-on-time"), help: "A new timing step for the worse is a regression (exit 1).")
    var failOnTime = false

    func run() throws {
        let cli = AnalysisCLI()
        let fmt = try cli.format(format)
        var wanted: [HistoryMetric] = []
        for m in metrics {
            guard let metric = HistoryMetric(rawValue: m) else {
                throw InputError("--metric '\(m)' is not known; expected one of \(HistoryMetric.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            wanted.append(metric)
        }
        var options = HistoryOptions()
        options.failOnTime = failOnTime
        options.referenceScaling = !timing.noReferenceScaling
        try timing.apply(threshold: &options.timeThreshold, alpha: &options.alpha)
        if let persist { options.persist = try cli.runs(persist, option: "--persist") }
        if let recent = try timing.recentRuns() { options.recent = recent }
        let report: HistoryReport
        let series: [HistorySeries]
        do {
            let database = try HistoryDatabase(path: db, create: false)
            series = try database.series(caseFilter: cases, metrics: wanted.isEmpty ? HistoryMetric.allCases : wanted)
            if series.isEmpty && !cases.isEmpty {
                throw HistoryError("\(db): no case matches --case \(cases.joined(separator: ", "))")
            }
            report = HistoryReport.make(database: db, runs: try database.runs(), series: series, options: options)
        } catch let e as HistoryError {
            throw CommandFailure.input(e)
        }
        let printed: String
        switch fmt {
        case .table: printed = HistoryWriters.table(report, all: all)
        case .markdown: printed = HistoryWriters.markdown(report, all: all)
        case .json: printed = try HistoryWriters.json(report)
        }
        print(printed, terminator: "")
        fflush(stdout)
        if let out {
            var written: [String] = []
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let md = (out as NSString).appendingPathComponent("history.md")
            try renderedWrite(Data(HistoryWriters.markdown(report, all: all).utf8), to: md)
            let json = (out as NSString).appendingPathComponent("history.json")
            try renderedWrite(Data(try HistoryWriters.json(report).utf8), to: json)
            written += [md, json]
            let chartMetrics = wanted.isEmpty ? [HistoryMetric.msPerImage, .bitops, .sqnrDBMean] : wanted
            for m in chartMetrics where series.contains(where: { $0.metric == m }) {
                let spec = try HistoryCharts.trend(series, metric: m, runs: report.runs.count, options: options)
                for f in [ChartFormat.svg, .png] {
                    let path = (out as NSString).appendingPathComponent("trend-\(m.rawValue).\(f.rawValue)")
                    try renderChart(spec, to: path, format: f, dpi: 150)
                    written.append(path)
                }
            }
            FileHandle.standardError.write(Data("wrote \(written.count) files to \(out)\n".utf8))
        }
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }

    func renderedWrite(_ data: Data, to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        try data.write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, path) == 0 else { throw HistoryError("\(path): cannot write") }
    }
}
