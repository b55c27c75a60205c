import Charts
import Foundation
import History
import Results

/// The nightly history a report shows (`table: history`): the database's series for this report's cases.
public struct ReportHistory: Sendable {
    /// The database as the report names it.
    public var file: String
    public var runs: [HistoryRun]
    public var series: [HistorySeries]
    public var options: HistoryOptions

    /// Reads the database; a missing file is an empty history (the first night), a bad one a `HistoryError`.
    public static func load(_ path: String, options: HistoryOptions = HistoryOptions()) throws -> ReportHistory {
        guard FileManager.default.fileExists(atPath: path) else {
            return ReportHistory(file: path, runs: [], series: [], options: options)
        }
        let db = try HistoryDatabase(path: path, create: false)
        return ReportHistory(file: path, runs: try db.runs(), series: try db.series(), options: options)
    }
}

/// `table: history`: a heading, how many runs the history holds, the steps of this report's cases (most
/// recent first) and trend charts of time per image and mean SQNR. Without a history file: nothing.
struct HistoryCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try historyBlocks(cell)
    }

    func historyBlocks(_ cell: TemplateCell) throws -> [Block] {
        guard let history else { return [] }
        let keys = Set(results.cases.map { HistoryDatabase.caseKey($0.config) })
        let number = Dictionary(results.cases.map { (HistoryDatabase.caseKey($0.config), $0.index) }, uniquingKeysWith: { a, _ in a })
        let series = history.series.filter { keys.contains($0.caseKey) }
        var blocks: [Block] = [.heading(level: 2, text: "History")]
        let runs = history.runs
        guard runs.count >= 2, !series.isEmpty else {
            blocks.append(.paragraph([.text("The history "), .code(history.file),
                                      .text(" holds \(runs.count) run\(runs.count == 1 ? "" : "s") of these cases so far; trends and steps appear from the second run on.")]))
            return blocks
        }
        let report = HistoryReport.make(database: history.file, runs: runs, series: series, options: history.options)
        let o = history.options
        blocks.append(.paragraph([
            .text("\(runs.count) runs in "), .code(history.file),
            .text(String(format: ", from %@ to %@. A step is a change that persists: counts at any change, fidelity beyond the compare tolerance (%.2g dB), time when a run and the next %d − 1 runs all lie beyond ±%.0f%% of the median of the last %d runs and the whole %.0f%% confidence interval of the Hodges–Lehmann shift of their timing samples against those runs' lies beyond the threshold too. Cases are numbered as in the summary.",
                          HistoryWriters.dayText(runs.first!.date), HistoryWriters.dayText(runs.last!.date), o.sqnrToleranceDB,
                          o.persist, o.timeThreshold * 100, o.recent, (1 - o.alpha) * 100)
                  + (HistoryWriters.timeScaling(report).map { " Steps and charts of time: " + $0 + "." } ?? "")),
        ]))
        var rows: [(date: String, row: [String])] = []
        for s in report.series {
            for st in s.steps {
                rows.append((st.runDate, [number[s.caseKey].map(String.init) ?? "", s.caseLabel, s.metric.rawValue,
                                          HistoryWriters.dayText(st.runDate), HistoryWriters.valueText(st.before, s.metric),
                                          HistoryWriters.valueText(st.after, s.metric),
                                          st.relative.map { String(format: "%+.1f%%", $0 * 100) } ?? "", st.worse ? "worse" : "better"]))
            }
        }
        rows.sort { $0.date > $1.date }
        let fold = cell.options["fold"].flatMap(Int.init) ?? 20
        if rows.isEmpty {
            blocks.append(.paragraph([.emphasis("No steps: every metric of every case holds its level over the \(runs.count) runs.")]))
        } else {
            let table = Table(caption: "Steps in the history, most recent first", label: "history-steps",
                              columns: [.init("#", numeric: true), .init("case"), .init("metric"), .init("run"),
                                        .init("before", numeric: true), .init("after", numeric: true),
                                        .init("change", numeric: true), .init("")],
                              rows: Array(rows.prefix(fold)).map(\.row))
            blocks.append(.table(table))
            if rows.count > fold {
                let rest = Table(caption: "Older steps", label: "history-steps-older", columns: table.columns,
                                 rows: Array(rows.dropFirst(fold)).map(\.row))
                blocks.append(.details(summary: "\(rows.count - fold) older steps", blocks: [.table(rest)], printed: false))
            }
        }
        for metric in [HistoryMetric.msPerImage, .sqnrDBMean] where series.contains(where: { $0.metric == metric }) {
            let spec = try HistoryCharts.trend(series, metric: metric, runs: runs.count, options: o)
            blocks.append(.figure(Figure(fileStem: "history-\(metric.rawValue)", caption: spec.title ?? metric.rawValue, spec: spec, size: .twoColumn)))
        }
        return blocks
    }
}
