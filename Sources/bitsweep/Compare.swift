import Analysis
import ArgumentParser
import BitSweepConfig
import Foundation
import History
import Presentation
import Reports

/// `bitsweep compare BASELINE CURRENT`: the nightly regression gate. Thin over `CompareRun.run`.
///
/// Exit codes: 0 no regression, 1 regression, 2 usage or input error (reported by `ErrorReport`). Numbers are
/// taken as text because they may carry a unit (`10%`, `0.1 dB`).
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two results sets: exit 0 = no regression, 1 = regression, 2 = usage or input error.",
        discussion: """
        BASELINE and CURRENT are results folders (or their results.json). Cases are matched by configuration, \
        not order. Counts (BitOps, MACs, params, weight storage, activation memory) must match exactly; any \
        difference is reported layer by layer. Fidelity must match within the tolerances. A timing change is \
        called when the whole 1 − --alpha confidence interval (99% by default) of the shift in time per image \
        lies beyond ±--time-threshold: the Hodges–Lehmann estimate of the current/baseline ratio over the \
        timing samples (sweep --repeats), with the distribution-free interval from the Mann–Whitney ranks, so \
        larger than the threshold and statistically clear in one condition. Results with too few samples for \
        an interval (one: made before --repeats) fall back to the estimate against the threshold alone, and \
        the output says so. Timing \
        changes are reported, and a slower one fails only with --fail-on-time. With --history FILE the \
        current timings are judged against each case's samples of the --recent runs in the history database. \
        Cases on one side only, and images skipped differently, are regressions too. \
        With --out DIR: comparison.md, comparison.json and delta heatmaps (delta-bitops, delta-sqnr, \
        delta-time as .svg and .png). See docs/nightly.md for a nightly CI recipe.

        Examples:
          bitsweep compare Reports/baseline Reports/nightly --out Reports/compare
          bitsweep compare base/results.json tonight --format json --fail-on-time
        """)

    @Argument(help: ArgumentHelp("The baseline results folder (or its results.json).", valueName: "baseline"))
    var baseline: String?

    @Argument(help: ArgumentHelp("The current results folder (or its results.json).", valueName: "current"))
    var current: String?

    @Option(help: ArgumentHelp("Write comparison.md, comparison.json and the delta heatmaps into this folder.", valueName: "dir"))
    var out: String?

    @Option(name: .customLong("fidelity-tolerance"),
            help: ArgumentHelp("Allowed change of logit SQNR (mean and min), dB. Default 0.1.", valueName: "dB"))
    var fidelityTolerance: String?

    @Option(name: .customLong("top1-tolerance"),
            help: ArgumentHelp("Allowed change of top-1 agreement, a fraction or a percentage (0.25, 25%). Default 0: any image changing fails.", valueName: "x"))
    var top1Tolerance: String?

    @OptionGroup(title: "Timing rule")
    var timing: TimingRuleOptions

    @Option(help: ArgumentHelp("Judge timings against each case's --recent runs in this history database (bitsweep history) instead of the baseline's samples.", valueName: "file"))
    var history: String?

    @Flag(name: .customLong("fail-on-time"), help: "A called slowdown (the whole 1 − --alpha confidence interval of the shift beyond --time-threshold) is a regression (exit 1).")
    var failOnTime = false

    @Option(help: ArgumentHelp("What to print: table, json or markdown.", valueName: "format"))
    var format: String = "table"

    func run() throws {
        let cli = AnalysisCLI()
        guard let baseline, let current else {
            throw InputError("expected two results folders, BASELINE and CURRENT")
        }
        var options = CompareOptions(failOnTime: failOnTime, referenceScaling: !timing.noReferenceScaling)
        if let t = fidelityTolerance { options.sqnrToleranceDB = try cli.number(t, option: "--fidelity-tolerance", units: ["": 1, "dB": 1]) }
        if let t = top1Tolerance { options.top1Tolerance = try cli.number(t, option: "--top1-tolerance", units: ["": 1, "%": 0.01]) }
        try timing.apply(threshold: &options.timeThreshold, alpha: &options.alpha)
        let fmt = try cli.format(format)
        let recent = try timing.recentRuns()
        if recent != nil && history == nil { throw InputError("--recent needs --history FILE (the runs it counts are in the history database)") }
        var reference: TimingReference?
        if let history {
            let n = recent ?? HistoryOptions().recent
            do {
                let db = try HistoryDatabase(path: history, create: false)
                reference = try db.timingReference(recent: n, current: try? HistoryDatabase.load(current),
                                                   scaled: options.referenceScaling)
            } catch let e as HistoryError {
                throw CommandFailure.input(e)
            }
        }

        // Unreadable or inconsistent results exit 2; a chart or file that cannot be written exits 1.
        let output = try CompareRun.run(baselinePath: baseline, currentPath: current, options: options, out: out, format: fmt,
                                        timingReference: reference)
        print(output.printed, terminator: output.printed.hasSuffix("\n") ? "" : "\n")
        fflush(stdout)
        if !output.written.isEmpty {
            FileHandle.standardError.write(Data("wrote \(output.written.count) files to \(out ?? "")\n".utf8))
        }
        if output.comparison.verdict == .regression { throw ExitCode(1) }
    }
}

/// The timing rule's options, shared by `compare` and `history show` (the same names and meaning in both; see
/// `TimingVerdict`). Taken as text, like `compare`'s other numbers, because they may carry a unit (`10%`).
struct TimingRuleOptions: ParsableArguments {
    @Option(name: .customLong("time-threshold"),
            help: ArgumentHelp("Relative change of the time per image that matters (0.10 or 10%): a change is called only when the shift's whole confidence interval lies beyond it. Default \(NumberText.percent(CompareOptions.defaultTimeThreshold)).", valueName: "x"))
    var timeThreshold: String?

    @Option(help: ArgumentHelp("1 − the confidence of the timing shift's interval (0.01: a 99% interval). Default \(CompareOptions.defaultAlpha) (a \(NumberText.percent(1 - CompareOptions.defaultAlpha)) interval).", valueName: "p"))
    var alpha: String?

    @Option(help: ArgumentHelp("Recent runs pooled as the timing reference (compare: with --history; history show: the level that steps are measured from, and the reference of the latest run). Default \(HistoryOptions().recent).", valueName: "n"))
    var recent: String?

    @Flag(name: .customLong("no-reference-scaling"),
          help: "Judge timings as measured, without scaling each run's samples by its reference workload's median (the machine's speed during the run).")
    var noReferenceScaling = false

    /// Sets the threshold and alpha that were given; an invalid value is an `InputError` (exit 2).
    func apply(threshold: inout Double, alpha: inout Double) throws {
        let cli = AnalysisCLI()
        if let t = timeThreshold { threshold = try cli.number(t, option: "--time-threshold", units: ["": 1, "%": 0.01]) }
        if let a = self.alpha { alpha = try cli.alpha(a) }
    }

    /// `--recent`, checked (1–100), or nil when not given.
    func recentRuns() throws -> Int? {
        try recent.map { try AnalysisCLI().runs($0, option: "--recent") }
    }
}

/// Option parsing shared by `compare` and `budget`; every problem is an `InputError` (exit 2).
struct AnalysisCLI {
    /// A non-negative number with an optional unit (`0.1`, `0.1 dB`, `10%`).
    func number(_ text: String, option: String, units: [String: Double]) throws -> Double {
        let expected = "a non-negative number" + (units.keys.contains("%") ? " or a percentage (0.10 or 10%)" : "")
        guard let (v, unit) = BudgetProfiles.splitQuantity(text), let m = units[unit], v >= 0 else {
            throw InputError("\(option) '\(text)' is not valid; expected \(expected)")
        }
        return v * m
    }

    /// A significance level, 0 < p < 1 (`--alpha`).
    func alpha(_ text: String) throws -> Double {
        let v = try number(text, option: "--alpha", units: ["": 1])
        guard v > 0 && v < 1 else { throw InputError("--alpha '\(text)' is not valid; expected a probability between 0 and 1, e.g. 0.01") }
        return v
    }

    /// A whole number of runs, 1–100 (`--recent`, `--persist`).
    func runs(_ text: String, option: String) throws -> Int {
        guard let n = Int(text), n >= 1, n <= 100 else { throw InputError("\(option) '\(text)' is not valid; expected a whole number of runs, 1–100") }
        return n
    }

    func format(_ text: String) throws -> AnalysisFormat {
        guard let f = AnalysisFormat(rawValue: text) else {
            throw InputError("--format '\(text)' is not known; expected table, json or markdown")
        }
        return f
    }
}
