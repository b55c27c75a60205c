import Analysis
import Foundation

/// Settings of step detection and of the latest run's timing verdict.
public struct HistoryOptions: Hashable, Sendable, Codable {
    /// Relative change of time that matters (0.10 = 10%), as `compare --time-threshold`.
    public var timeThreshold: Double = CompareOptions.defaultTimeThreshold
    /// 1 − the confidence of the timing shift's interval, as `compare --alpha` (and its default).
    public var alpha: Double = CompareOptions.defaultAlpha
    /// Runs a timing change must hold for to be a step (an outlier lasts one run).
    public var persist: Int = 2
    /// Recent runs pooled as the reference for the latest run's timing verdict.
    public var recent: Int = 5
    /// Absolute tolerances of fidelity, as `compare`'s defaults.
    public var sqnrToleranceDB: Double = 0.1
    public var cosineTolerance: Double = 1e-4
    public var top1Tolerance: Double = 0
    /// Whether a timing regression sets exit code 1 (as `compare --fail-on-time`).
    public var failOnTime: Bool = false
    /// Whether time series are judged at one machine speed (`HistorySeries.scaledToReference`), as `compare`
    /// scales by the reference workload (off: `--no-reference-scaling`).
    public var referenceScaling: Bool = true
    public init() {}

    enum CodingKeys: String, CodingKey {
        case timeThreshold = "time_threshold", alpha, persist, recent, sqnrToleranceDB = "sqnr_tolerance_db"
        case cosineTolerance = "cosine_tolerance", top1Tolerance = "top1_tolerance", failOnTime = "fail_on_time"
        case referenceScaling = "reference_scaling"
    }
}

/// A change of level that persists.
public struct HistoryStep: Hashable, Sendable, Codable {
    /// Index (in the series' points) of the first run at the new level.
    public var index: Int
    public var runDate: String
    public var gitCommit: String?
    /// The level before (median of the reference runs) and after (median of the confirming runs).
    public var before: Double
    public var after: Double
    /// after − before, and (after − before) / before.
    public var delta: Double
    public var relative: Double?
    /// Whether the new level is worse (more cost or time, less fidelity).
    public var worse: Bool
    /// Time: the two-sided Mann–Whitney p-value of the samples after against before (for context).
    public var p: Double?
    /// Time only: the rule that called the step (`threshold-only` when the runs' samples are too few for the
    /// test to reach alpha, e.g. runs timed once, before `--repeats`).
    public var rule: TimingRule?
    /// Time: the Hodges–Lehmann shift of the samples after against before, with its 1 − alpha interval, as
    /// ratios − 1 (`TimingVerdict`; the interval is nil under the threshold-only rule).
    public var shift: Double?
    public var shiftLow: Double?
    public var shiftHigh: Double?

    enum CodingKeys: String, CodingKey {
        case index, runDate = "run_date", gitCommit = "git_commit", before, after, delta, relative, worse, p, rule
        case shift, shiftLow = "shift_low", shiftHigh = "shift_high"
    }
}

/// Step detection, per metric kind. The method, in words:
///
/// - **Counts** are computed, not measured: every run whose value differs from the run before is a step.
/// - **Fidelity** is deterministic for a given engine and image set: a step where the value moves from the
///   current level (the value of the step's predecessor run) by more than `compare`'s tolerance.
/// - **Time** is noisy. The level is the median of the last `recent` runs since the previous step. A run
///   starts a step when its median and the medians of the next `persist − 1` runs all lie beyond
///   ±`timeThreshold` of that level on the same side (so one outlier never makes a step), and the timing
///   samples of those runs against the samples of the reference runs pass `compare`'s rule (`TimingVerdict`:
///   the whole 1 − `alpha` interval of the Hodges–Lehmann shift beyond ±`timeThreshold`, on that side) — or,
///   when those samples are too few for an interval (runs timed once, before `--repeats`), the threshold and
///   persistence alone (the step says `threshold-only`). The step's level is then the median of its
///   confirming runs, and the search goes on from there. A last run beyond the threshold that the following runs have not yet confirmed is *pending*.
public enum StepDetector {
    public struct Result: Hashable, Sendable {
        public var steps: [HistoryStep]
        /// The index of a run beyond the threshold at the end of the series that later runs must confirm.
        public var pending: Int?
    }

    public static func detect(_ s: HistorySeries, options: HistoryOptions) -> Result {
        let v = s.points.map(\.value.double)
        guard v.count >= 2 else { return Result(steps: [], pending: nil) }
        func step(_ i: Int, before: Double, after: Double, verdict: TimingVerdict? = nil) -> HistoryStep {
            let worse = s.metric.higherIsBetter ? after < before : after > before
            return HistoryStep(index: i, runDate: s.points[i].run.date, gitCommit: s.points[i].run.gitCommit,
                               before: before, after: after, delta: after - before,
                               relative: before != 0 ? (after - before) / abs(before) : nil, worse: worse, p: verdict?.p,
                               rule: verdict?.rule, shift: verdict?.shift, shiftLow: verdict?.shiftLow, shiftHigh: verdict?.shiftHigh)
        }
        switch s.metric.kind {
        case .count:
            return Result(steps: (1..<v.count).filter { v[$0] != v[$0 - 1] }.map { step($0, before: v[$0 - 1], after: v[$0]) },
                          pending: nil)
        case .fidelity:
            let tol = tolerance(s.metric, options)
            var steps: [HistoryStep] = []
            var level = v[0]
            for i in 1..<v.count where abs(v[i] - level) > tol {
                steps.append(step(i, before: level, after: v[i]))
                level = v[i]
            }
            return Result(steps: steps, pending: nil)
        case .time:
            let persist = max(1, options.persist)
            var steps: [HistoryStep] = []
            var pending: Int?
            var start = 0          // first run of the current level
            var i = 1
            while i < v.count {
                let ref = Array(max(start, i - options.recent)..<i)
                let level = Statistics.median(ref.map { v[$0] })!
                let rel = (v[i] - level) / level
                guard abs(rel) > options.timeThreshold else { i += 1; continue }
                let confirming = Array(i..<min(v.count, i + persist))
                let sameSide = confirming.allSatisfy {
                    let r = (v[$0] - level) / level
                    return abs(r) > options.timeThreshold && (r > 0) == (rel > 0)
                }
                guard sameSide else { i += 1; continue }
                if confirming.count < persist { pending = i; break }
                let after = confirming.flatMap { s.points[$0].value.samples }, before = ref.flatMap { s.points[$0].value.samples }
                // The rule of `compare` on the pooled samples, called on the same side as the medians.
                guard let verdict = TimingVerdict.judge(baseline: before, current: after, threshold: options.timeThreshold,
                                                        alpha: options.alpha),
                      verdict.call == (rel > 0 ? .slower : .faster) else { i += 1; continue }
                steps.append(step(i, before: level, after: Statistics.median(confirming.map { v[$0] })!, verdict: verdict))
                start = i
                i += persist
            }
            return Result(steps: steps, pending: pending)
        }
    }

    static func tolerance(_ m: HistoryMetric, _ o: HistoryOptions) -> Double {
        switch m {
        case .sqnrDBMean, .sqnrDBMin: return o.sqnrToleranceDB
        case .cosineMean: return o.cosineTolerance
        case .top1Agreement: return o.top1Tolerance
        default: return 0
        }
    }
}
