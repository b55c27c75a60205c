import Analysis
import Foundation
import Results

/// `history show` as text (table), Markdown, or JSON.
public enum HistoryWriters {
    static func number(_ v: Double, _ m: HistoryMetric) -> String {
        switch m.kind {
        case .count: return grouped(Int(v))
        case .fidelity:
            if (m == .sqnrDBMean || m == .sqnrDBMin) && v >= FidelitySummary.exactSQNR { return "exact" }
            return m == .cosineMean ? String(format: "%.5f", v) : m == .top1Agreement ? String(format: "%.1f%%", v * 100) : String(format: "%.2f dB", v)
        case .time: return String(format: "%.3f ms", v)
        }
    }

    static func grouped(_ v: Int) -> String {
        let digits = String(v.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return v < 0 ? "-" + out : out
    }

    /// A value as the history shows it (exact counts with grouped digits, dB, ms).
    public static func valueText(_ v: Double, _ m: HistoryMetric) -> String { number(v, m) }
    /// `2026-11-30 02:17` from an ISO 8601 date.
    public static func dayText(_ date: String) -> String { day(date) }

    static func day(_ date: String) -> String { String(date.prefix(16)).replacingOccurrences(of: "T", with: " ") }

    static func stepText(_ s: HistoryStep, _ m: HistoryMetric) -> String {
        var t = "\(day(s.runDate)): \(number(s.before, m)) → \(number(s.after, m))"
        if let r = s.relative, m.kind != .count || r != 0 {
            t += String(format: " (%+.1f%%", r * 100)
            if let lo = s.shiftLow, let hi = s.shiftHigh, let e = s.shift {
                t += String(format: "; shift %+.1f%% in [%+.1f%%, %+.1f%%]", e * 100, lo * 100, hi * 100)
            }
            t += (s.rule == .thresholdOnly ? ", threshold only: too few samples for an interval" : "") + ")"
        }
        if let c = s.gitCommit { t += " at \(c.prefix(10))" }
        return t + (s.worse ? " worse" : " better")
    }

    static func verdictText(_ v: TimingVerdict?) -> String {
        guard let v else { return "" }
        let ci: String
        if v.rule == .shiftInterval, let lo = v.shiftLow, let hi = v.shiftHigh {
            ci = String(format: "interval [%+.1f%%, %+.1f%%]", lo * 100, hi * 100)
        } else {
            ci = "threshold only: too few samples for an interval"
        }
        return String(format: "%@ %+.1f%% (%@, %d vs %d samples)", v.call.rawValue, v.shift * 100, ci, v.currentSamples, v.baselineSamples)
    }

    /// Rows worth showing: every series with a step, a pending change, a called timing change, or a new
    /// regression; with `all`, every series.
    static func rows(_ r: HistoryReport, all: Bool) -> [SeriesSummary] {
        all ? r.series : r.series.filter { !$0.steps.isEmpty || $0.pendingDate != nil || $0.newRegression
            || ($0.latestVerdict.map { $0.call != .unchanged } ?? false) }
    }

    static func header(_ r: HistoryReport) -> [String] {
        let o = r.options
        var lines = ["history: \(r.database): \(r.runs.count) run\(r.runs.count == 1 ? "" : "s")"
            + (r.runs.first.map { " from \(day($0.date)) to \(day(r.runs.last!.date))" } ?? "")]
        lines.append(String(format: "rules: counts: any change is a step; fidelity: a change beyond the tolerance (%.2g dB SQNR); time: ±%.0f%% from the level of the last %d runs, held for %d runs, and the whole %.0f%% interval of the Hodges–Lehmann shift of their samples beyond ±%.0f%% (the threshold alone when the samples are too few for an interval: runs timed once)",
                            o.sqnrToleranceDB, o.timeThreshold * 100, o.recent, o.persist, (1 - o.alpha) * 100, o.timeThreshold * 100)
                     + (timeScaling(r).map { "; " + $0 } ?? ""))
        return lines
    }

    /// How time series were scaled for the machine's speed (`HistorySeries.scaledToReference`).
    public static func timeScaling(_ r: HistoryReport) -> String? {
        guard r.runs.count > 1 else { return nil }
        let with = r.runs.filter { $0.referenceMs != nil }.count
        if !r.options.referenceScaling { return "times as measured (--no-reference-scaling)" }
        if with == r.runs.count { return "times scaled to the latest run's machine speed (the ratio of the runs' reference workload medians)" }
        return "times as measured (\(r.runs.count - with) of \(r.runs.count) runs have no reference workload median)"
    }

    public static func table(_ r: HistoryReport, all: Bool = false) -> String {
        var out = header(r)
        let shown = rows(r, all: all)
        out.append("")
        if shown.isEmpty {
            out.append("no steps: \(r.series.count) series, every metric holds its level")
        }
        for s in shown {
            out.append("\(s.caseLabel) · \(s.metric.rawValue)\(s.newRegression ? "  [new regression]" : "")")
            out.append("  latest \(number(s.latest, s.metric)) (\(day(s.latestDate))) · best \(number(s.best, s.metric)) (\(day(s.bestDate))) · \(s.runs) runs")
            for st in s.steps { out.append("  step " + stepText(st, s.metric)) }
            if let p = s.pendingDate { out.append("  pending: \(day(p)) is beyond the threshold; the next runs decide") }
            if let v = s.latestVerdict { out.append("  latest vs recent runs: " + verdictText(v)) }
        }
        out.append("")
        out.append(r.regressions.isEmpty ? "no new regression" : "REGRESSION: \(r.regressions.count) new step\(r.regressions.count == 1 ? "" : "s") for the worse in the latest run")
        return out.joined(separator: "\n") + "\n"
    }

    static func md(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "|", with: "\\|")
            .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "\n", with: " ")
    }

    public static func markdown(_ r: HistoryReport, all: Bool = false) -> String {
        var out = ["# BitSweep history", ""]
        out.append(r.regressions.isEmpty ? "**No new regression.**" : "**REGRESSION: \(r.regressions.count) new step\(r.regressions.count == 1 ? "" : "s") for the worse in the latest run.**")
        out.append("")
        out += header(r).map { md($0) + "  " }
        out.append("")
        out.append("| case | metric | latest | best (first reached) | steps | latest vs recent runs |")
        out.append("| --- | --- | --: | --: | --- | --- |")
        for s in rows(r, all: all) {
            let steps = s.steps.map { stepText($0, s.metric) }.joined(separator: "<br>") + (s.pendingDate.map { "<br>pending since \(day($0))" } ?? "")
            out.append("| \(md(s.caseLabel))\(s.newRegression ? " **new regression**" : "") | \(s.metric.rawValue) | \(number(s.latest, s.metric)) | \(number(s.best, s.metric)) (\(day(s.bestDate))) | \(md(steps)) | \(verdictText(s.latestVerdict)) |")
        }
        out.append("")
        out.append("Runs:")
        out.append("")
        out.append("| # | date | commit | engine | machine | cases |")
        out.append("| --: | --- | --- | --- | --- | --: |")
        for (i, run) in r.runs.enumerated() {
            out.append("| \(i + 1) | \(day(run.date)) | \(run.gitCommit.map { String($0.prefix(10)) } ?? "–") | \(md(run.engineVersion)) | \(md(run.machine)) | \(run.cases) |")
        }
        return out.joined(separator: "\n") + "\n"
    }

    public static func json(_ r: HistoryReport) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try e.encode(r), as: UTF8.self) + "\n"
    }
}
