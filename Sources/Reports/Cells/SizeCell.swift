import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `chart: size`: total BitOps against image size, one line per precision, per facet.
struct SizeCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try sizeFigures(cell, selected)
    }

    func sizeFigures(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        var out: [Block] = []
        for facet in facets(cases, excluding: ["size", "precision"]) {
            let sizes = Set(facet.cases.map(\.config.size))
            guard sizes.count > 1 else { continue }
            let series = precisionOrder(facet.cases).map { p in
                LineSeries(label: p, points: facet.cases.filter { $0.config.weightPrecision.description == p }
                    .map { (Double($0.config.size), Double($0.cost.totals.bitops)) }.sorted { $0.0 < $1.0 })
            }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let title = cell.options["title"] ?? "Total BitOps against image size\(suffix)"
            let spec = try ChartAdapter.totalVersusSize(title: title, series: series, colors: colors, size: figureSize(cell))
            out.append(.figure(Figure(fileStem: FileNames.name("bitops-vs-size", cases: facet.cases, excluding: ["size", "precision"]),
                                      caption: "Total BitOps against image size, one line per weight precision\(suffix).",
                                      spec: spec, size: figureSize(cell))))
        }
        if out.isEmpty { out.append(.paragraph([.emphasis("Only one image size in these cases — no size chart.")])) }
        return out
    }
}
