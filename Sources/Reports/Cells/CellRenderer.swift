import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// One kind of template cell (`CellKind`) turned into report blocks: one small type per kind, in this folder.
/// `CellExecutor` only dispatches: it selects the cases a cell's `where:` matches and hands them, with the
/// report's parameters, to the renderer of the cell's kind. Every renderer reads the same results set
/// through `executor`; the helpers below are the ones several kinds share.
protocol CellRenderer {
    var executor: CellExecutor { get }
    /// The blocks of `cell` for the `selected` cases (those matching its `where:`, in grid order).
    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block]
}

extension CellRenderer {
    var results: ResultsSet { executor.results }
    var run: RunInfo? { executor.run }
    var budgets: ReportBudgets? { executor.budgets }
    var history: ReportHistory? { executor.history }
    /// The printed width of figures whose cell has no `width:` option (`--figure-width`).
    var figureWidth: FigureWidth { executor.figureWidth }
    /// One colour per weight precision across the whole report.
    var colors: PrecisionColors { executor.colors }

    /// `cases: all | first | last | id prefixes…`.
    func pick(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [CaseResult] {
        let spec = cell.options["cases"] ?? "all"
        switch spec {
        case "all": return cases
        case "first": return Array(cases.prefix(1))
        case "last": return Array(cases.suffix(1))
        default:
            var out: [CaseResult] = []
            for word in spec.split(separator: " ") {
                let matches = cases.filter { $0.id.hasPrefix(word) }
                guard !matches.isEmpty else {
                    throw ReportError("cases: no case id starts with '\(word)'")
                }
                guard matches.count == 1 else {
                    throw ReportError("cases: '\(word)' matches \(matches.count) cases; give more of the id")
                }
                if !out.contains(where: { $0.id == matches[0].id }) { out.append(matches[0]) }
            }
            return out
        }
    }

    /// Dimensions that vary among `cases` (the summary shows only those, plus size/blocks/precision).
    func varies(_ cases: [CaseResult], _ key: String) -> Bool {
        Set(cases.map { CaseSelector.value(of: key, in: $0.config) }).count > 1
    }

    /// The `width` option, else `figureWidth` (`--figure-width`, single column by default) — except that a
    /// heatmap with at most four columns or grouped bars with at most twelve bars stay one column wide
    /// (fewer cells or bars across a wider figure are oversized).
    func figureSize(_ cell: TemplateCell, items: Int = .max) -> FigureSize {
        switch cell.options["width"] {
        case "one-column"?: return .oneColumn
        case "two-column"?: return FigureWidth.double.size
        default:
            if figureWidth.width > FigureWidth.singleWidth {
                if cell.kind == .heatmap, items <= 4 { return .oneColumn }
                if cell.kind == .storage, items <= 12 { return .oneColumn }
            }
            return figureWidth.size
        }
    }

    /// Groups cases by every dimension except `axes`, in grid order. Each group's label names the fixed values
    /// that vary across groups.
    func facets(_ cases: [CaseResult], excluding axes: Set<String>) -> [(label: String, cases: [CaseResult])] {
        let keys = CaseSelector.keys.filter { !axes.contains($0) }
        let varying = keys.filter { varies(cases, $0) }
        var order: [[String]] = []
        var groups: [[String]: [CaseResult]] = [:]
        for c in cases {
            let k = keys.map { CaseSelector.value(of: $0, in: c.config) }
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(c)
        }
        return order.map { k in
            let label = zip(keys, k).filter { varying.contains($0.0) }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            return (label, groups[k]!)
        }
    }

    /// The precisions among `cases` in the spec's order: the order of first appearance in the whole results
    /// set (grid order), the same in every chart and table of a report.
    func precisionOrder(_ cases: [CaseResult]) -> [String] {
        let present = Set(cases.map(\.config.weightPrecision.description))
        return CellExecutor.precisionOrder(of: results).filter(present.contains)
    }
}
