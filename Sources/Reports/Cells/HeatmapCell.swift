import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `chart: heatmap`: blocks (or size) × precision, coloured by a value, per facet.
struct HeatmapCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try heatmapFigures(cell, selected)
    }

    func heatmapFigures(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        let rowsKey = cell.options["rows"] ?? "blocks"
        let value = HeatmapValue(rawValue: cell.options["value"] ?? "bitops") ?? .bitops
        var out: [Block] = []
        var noValues = false
        // Fidelity does not depend on the BitOps convention (cases differing only there share one engine
        // run): one fidelity heatmap for all conventions rather than identical copies.
        let fidelity = value == .sqnr || value == .top1
        for facet in facets(cases, excluding: fidelity ? [rowsKey, "precision", "convention"] : [rowsKey, "precision"]) {
            let cols = precisionOrder(facet.cases)
            let rowValues = Array(Set(facet.cases.map { rowsKey == "size" ? $0.config.size : $0.config.blocks })).sorted()
            guard rowValues.count * cols.count > 1 else { continue }
            var grid: [[Double?]] = []
            for r in rowValues {
                grid.append(cols.map { p in
                    facet.cases.first { ($0.config.weightPrecision.description == p) && (rowsKey == "size" ? $0.config.size : $0.config.blocks) == r }
                        .flatMap { heatValue($0, value) }
                })
            }
            if grid.allSatisfy({ $0.allSatisfy { $0 == nil } }) { noValues = true; continue }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let what = heatTitle(value)
            let title = cell.options["title"] ?? "\(what.name) by \(rowsKey == "size" ? "image size" : "block count") and precision\(suffix)"
            let spec = try ChartAdapter.heatmap(title: title, rowTitle: rowsKey == "size" ? "image size (px)" : "blocks",
                                                rowLabels: rowValues.map(String.init), columnTitle: "weight bits",
                                                columnLabels: cols, values: grid, valueTitle: what.unit, logarithmic: what.log,
                                                percent: value == .top1, size: figureSize(cell, items: cols.count))
            let exactNote = grid.joined().contains(.infinity) ? " “exact”: the logits equal the float twin’s (∞ dB)." : ""
            out.append(.figure(Figure(fileStem: FileNames.name("heatmap-\(value.rawValue)\(rowsKey == "size" ? "-by-size" : "")", cases: facet.cases,
                                                                excluding: [rowsKey, "precision"]),
                                      caption: "\(what.name) for each \(rowsKey == "size" ? "image size" : "block count") and weight precision\(suffix).\(exactNote)",
                                      spec: spec, size: figureSize(cell, items: cols.count))))
        }
        if out.isEmpty {
            out.append(.paragraph([.emphasis(noValues ? "No case has \(heatTitle(value).name.lowercased()) figures — no heatmap."
                                             : "These cases do not span two axes — no heatmap.")]))
        }
        return out
    }

    func heatValue(_ c: CaseResult, _ v: HeatmapValue) -> Double? {
        switch v {
        case .bitops: return Double(c.cost.totals.bitops)
        case .macs: return Double(c.cost.totals.macs)
        case .weights: return Double(c.cost.totals.weightStorageBytes) / 1024
        case .sqnr:
            guard let f = c.fidelity, f.images > 0 else { return nil }
            return f.sqnrDBMean ?? .infinity   // exact: written "exact" in the cell
        case .top1:
            guard let f = c.fidelity, f.images > 0 else { return nil }
            return f.top1Agreement * 100
        }
    }

    func heatTitle(_ v: HeatmapValue) -> (name: String, unit: String, log: Bool) {
        switch v {
        case .bitops: return ("Total BitOps", "BitOps", true)
        case .macs: return ("MACs", "MACs", true)
        case .weights: return ("Weight storage", "weight storage (KiB)", true)
        case .sqnr: return ("Mean logit SQNR", "SQNR (dB)", false)
        case .top1: return ("Top-1 agreement", "top-1 agreement (%)", false)
        }
    }
}
