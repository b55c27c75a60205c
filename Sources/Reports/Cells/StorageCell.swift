import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `chart: storage`: weight storage per block count, one bar per precision, per facet.
struct StorageCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try storageFigures(cell, selected)
    }

    func storageFigures(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        var out: [Block] = []
        // Weight storage depends on neither the image size, the activation bits nor the convention.
        for facet in facets(cases, excluding: ["blocks", "precision", "size", "convention", "act"]) {
            let blocks = Array(Set(facet.cases.map(\.config.blocks))).sorted()
            let precisions = precisionOrder(facet.cases)
            let series = precisions.map { p in
                NamedValues(name: p, values: blocks.map { n in
                    facet.cases.first { $0.config.blocks == n && $0.config.weightPrecision.description == p }
                        .map { Double($0.cost.totals.weightStorageBytes) / 1024 } ?? 0
                })
            }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let title = cell.options["title"] ?? "Weight storage by block count and precision\(suffix)"
            let spec = try ChartAdapter.groupedBars(title: title, categoryTitle: "blocks", categories: blocks.map(String.init),
                                                    valueTitle: "weight storage (KiB)", series: series, colors: colors, size: figureSize(cell, items: blocks.count * precisions.count))
            out.append(.figure(Figure(fileStem: FileNames.name("weight-storage", cases: facet.cases, excluding: ["blocks", "precision", "size", "convention", "act"]),
                                      caption: "Weight storage in KiB for each block count, one bar per weight precision\(suffix).",
                                      spec: spec, size: figureSize(cell, items: blocks.count * precisions.count))))
        }
        return out
    }
}
