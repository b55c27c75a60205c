import Analysis
import Foundation

/// What `bitsweep history show` answers for one case × metric: the latest value, the best ever, the steps,
/// and (time) the latest run's verdict against the recent runs before it.
public struct SeriesSummary: Hashable, Sendable, Codable {
    public var caseLabel: String
    public var caseKey: String
    public var metric: HistoryMetric
    public var runs: Int
    public var latest: Double
    public var latestDate: String
    /// The best value ever (lowest cost or time, highest fidelity) and the first run that reached it.
    public var best: Double
    public var bestDate: String
    public var steps: [HistoryStep]
    /// Date of a last run beyond the threshold that later runs must still confirm (time only).
    public var pendingDate: String?
    /// Time: the latest run's samples against the pooled samples of up to `recent` runs before it.
    public var latestVerdict: TimingVerdict?
    /// A worse step that the latest run completes (exit code 1; time only with `failOnTime`).
    public var newRegression: Bool

    enum CodingKeys: String, CodingKey {
        case caseLabel = "case", caseKey = "case_key", metric, runs, latest, latestDate = "latest_date", best
        case bestDate = "best_date", steps, pendingDate = "pending_date", latestVerdict = "latest_timing_verdict"
        case newRegression = "new_regression"
    }
}

/// All series of a history, summarised.
public struct HistoryReport: Hashable, Sendable, Codable {
    public var database: String
    public var runs: [HistoryRun]
    public var options: HistoryOptions
    public var series: [SeriesSummary]

    public var regressions: [SeriesSummary] { series.filter(\.newRegression) }
    /// 0 no new regression, 1 a new regression (as `compare`).
    public var exitCode: Int32 { regressions.isEmpty ? 0 : 1 }

    public static func make(database: String, runs: [HistoryRun], series: [HistorySeries], options: HistoryOptions) -> HistoryReport {
        HistoryReport(database: database, runs: runs, options: options,
                      series: series.compactMap { summarise(options.referenceScaling ? $0.scaledToReference() : $0, options) })
    }

    static func summarise(_ s: HistorySeries, _ o: HistoryOptions) -> SeriesSummary? {
        guard let last = s.points.last else { return nil }
        let values = s.points.map(\.value.double)
        let bestIndex = values.indices.min { a, b in
            s.metric.higherIsBetter ? values[a] > values[b] : values[a] < values[b]
        }!
        let detection = StepDetector.detect(s, options: o)
        let lastIndex = s.points.count - 1
        let persist = s.metric.kind == .time ? max(1, o.persist) : 1
        let completesNow = detection.steps.last.map { $0.worse && $0.index + persist - 1 == lastIndex } ?? false
        let counts = s.metric.kind != .time || o.failOnTime
        var verdict: TimingVerdict?
        if s.metric.kind == .time, s.points.count >= 2 {
            let ref = s.points[max(0, lastIndex - o.recent)..<lastIndex].flatMap(\.value.samples)
            verdict = TimingVerdict.judge(baseline: ref, current: last.value.samples, threshold: o.timeThreshold, alpha: o.alpha)
        }
        return SeriesSummary(caseLabel: s.caseLabel, caseKey: s.caseKey, metric: s.metric, runs: s.points.count,
                             latest: values[lastIndex], latestDate: last.run.date, best: values[bestIndex],
                             bestDate: s.points[bestIndex].run.date, steps: detection.steps,
                             pendingDate: detection.pending.map { s.points[$0].run.date }, latestVerdict: verdict,
                             newRegression: completesNow && counts)
    }
}

extension HistorySeries {
    /// A time series at one machine speed (`ReferenceScaling`'s rule across many runs): every run's median and
    /// samples multiplied by the latest run's reference median ÷ that run's, so that the runs are compared as if
    /// all had run at the latest run's speed (the latest run's own values are unchanged). The series as stored
    /// when it is not a time series or some run of it has no reference median.
    public func scaledToReference() -> HistorySeries {
        guard metric.kind == .time, let latest = points.last?.run.referenceMs,
              points.allSatisfy({ ($0.run.referenceMs ?? 0) > 0 }) else { return self }
        var s = self
        s.points = points.map { p in
            let f = latest / p.run.referenceMs!
            var q = p
            if case .measured(let v, let samples) = p.value { q.value = .measured(v * f, samples: samples.map { $0 * f }) }
            return q
        }
        return s
    }
}
