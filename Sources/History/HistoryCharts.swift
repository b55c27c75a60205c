import Analysis
import Charts
import Foundation

/// Trend charts: a metric over the runs, with steps marked. Plain `ChartSpec` values (no Cairo); the command
/// line and the report render them with CairoRender like every other chart.
public enum HistoryCharts {
    /// Up to this many cases get a line each; more are summarised as one line.
    public static let maxLines = 6

    /// One metric over the runs (a time series scaled to the latest run's machine speed, as `history show`
    /// judges it, when `options.referenceScaling` and its runs have reference medians). With at most `maxLines` cases, one line per case and a dashed vertical rule
    /// at each case's steps (labelled with the relative change). With more, one line: the geometric mean
    /// over the cases of each value relative to that case's median over all runs (1 = its usual level), and
    /// a rule at every run where some case steps for the worse (labelled with how many).
    public static func trend(_ series: [HistorySeries], metric: HistoryMetric, runs: Int,
                             options: HistoryOptions, size: FigureSize = .twoColumn) throws -> ChartSpec {
        let stored = series.filter { $0.metric == metric && !$0.points.isEmpty }
        guard !stored.isEmpty else { throw ChartError.empty("no \(metric.rawValue) values in the history") }
        // Times as `history show` judges them: at the latest run's machine speed when the runs have a reference.
        let chosen = options.referenceScaling ? stored.map { $0.scaledToReference() } : stored
        let scaled = chosen != stored
        let runIndex = runNumbers(chosen)
        var marks: [Mark] = []
        var entries: [LegendEntry] = []
        var yTitle = metric.unit.isEmpty ? metric.rawValue : "\(metric.rawValue) (\(metric.unit))"
        if chosen.count <= maxLines {
            for (i, s) in chosen.enumerated() {
                let color = OkabeIto.color(i)
                let marker = MarkerShape.shape(i)
                marks.append(.line(LineMark(name: s.caseLabel, points: s.points.map { DataPoint(Double(runIndex[$0.run.id]!), $0.value.double) },
                                            color: color, marker: marker)))
                entries.append(LegendEntry(label: s.caseLabel, color: color, symbol: .line(marker: marker, dash: [])))
                for st in StepDetector.detect(s, options: options).steps {
                    let label = st.relative.map { String(format: "%+.0f%%", $0 * 100) }
                    marks.append(.rule(RuleMark(orientation: .vertical, value: Double(runIndex[s.points[st.index].run.id]!),
                                                color: color, dash: [4, 2], label: label)))
                }
            }
        } else {
            var logSums: [Int: (Double, Int)] = [:]
            var worseAt: [Int: Int] = [:]
            for s in chosen {
                guard let med = Statistics.median(s.points.map(\.value.double)), med > 0 else { continue }
                for p in s.points where p.value.double > 0 {
                    let x = runIndex[p.run.id]!
                    let e = logSums[x] ?? (0, 0)
                    logSums[x] = (e.0 + log(p.value.double / med), e.1 + 1)
                }
                for st in StepDetector.detect(s, options: options).steps where st.worse {
                    worseAt[runIndex[s.points[st.index].run.id]!, default: 0] += 1
                }
            }
            let pts = logSums.keys.sorted().map { DataPoint(Double($0), exp(logSums[$0]!.0 / Double(logSums[$0]!.1))) }
            guard !pts.isEmpty else { throw ChartError.empty("no positive \(metric.rawValue) values in the history") }
            let label = "geometric mean of \(chosen.count) cases"
            marks.append(.line(LineMark(name: label, points: pts, color: OkabeIto.blue, marker: .circle)))
            entries.append(LegendEntry(label: label, color: OkabeIto.blue, symbol: .line(marker: .circle, dash: [])))
            for (x, n) in worseAt.sorted(by: { $0.key < $1.key }) {
                marks.append(.rule(RuleMark(orientation: .vertical, value: Double(x), color: OkabeIto.vermillion,
                                            dash: [4, 2], label: "\(n) worse")))
            }
            yTitle = "\(metric.rawValue) relative to each case's median"
        }
        if scaled { yTitle += ", at the latest run's machine speed" }
        let xs = Array(Set(runIndex.values)).sorted().map(Double.init)
        let kernels = metric.kind == .time ? kernelsText(chosen).map { ", \($0)" } ?? "" : ""
        let spec = ChartSpec(
            title: "\(metric.rawValue) over \(runs) run\(runs == 1 ? "" : "s")\(kernels)",
            x: Axis(title: "run (oldest = 1)", scale: .linear, domain: xs.count == 1 ? (xs[0] - 1)...(xs[0] + 1) : nil,
                    format: .plain, ticks: xs.count <= 12 ? .values(xs) : .automatic),
            y: Axis(title: yTitle, scale: .linear, format: metric.kind == .count ? .si : .plain, grid: true),
            marks: marks, legend: Legend(entries: entries, placement: .top), preferredSize: size)
        try ChartLayout.validate(spec)
        return spec
    }

    /// Which kernels the timings of `series` came from, for a time chart's title: `int8 kernels`, `float kernels`
    /// or `int8 and float kernels`, with `(not recorded for older runs)` when some points have no record; nil
    /// when none has.
    static func kernelsText(_ series: [HistorySeries]) -> String? {
        let all = series.flatMap(\.points).map(\.kernels)
        let known = Set(all.compactMap { $0 })
        guard !known.isEmpty else { return nil }
        let text = known == ["int8"] ? "int8 kernels" : known == ["float"] ? "float kernels" : "int8 and float kernels"
        return all.contains(nil) ? text + " (not recorded for older runs)" : text
    }

    /// Run id → 1-based position among the runs the series cover, oldest first.
    static func runNumbers(_ series: [HistorySeries]) -> [Int64: Int] {
        var dates: [Int64: String] = [:]
        for s in series { for p in s.points { dates[p.run.id] = p.run.date } }
        let ordered = dates.keys.sorted { (dates[$0]!, $0) < (dates[$1]!, $1) }
        return Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0 + 1) })
    }
}
