import Foundation
import Presentation
import Results

/// `table: accuracy`: accuracy on labelled images against BitOps — the figure quantization papers print.
///
/// Only when the results hold accuracy (the sweep's images folder was labelled, ImageFolder layout): a heading,
/// one row per case with its BitOps and the top-1/top-5 accuracy of the quantized network and of its float
/// twin (percentages, with the exact counts in the results), then the cost-quality chart with top-1 accuracy
/// on its y axis. Without labelled images the cell produces nothing at all (no heading either). The numbers
/// are `results.json`'s `accuracy`; nothing is recomputed.
struct AccuracyCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try accuracyBlocks(cell, selected)
    }

    func accuracyBlocks(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        let labelled = cases.filter { $0.accuracy != nil && $0.error == nil }
        guard let first = labelled.first?.accuracy else { return [] }
        var blocks: [Block] = [.heading(level: 2, text: "Accuracy on labelled images")]
        var intro: [Inline] = [
            .text("Top-1 and top-5 accuracy of each quantized network and of its float twin on the \(first.images) labelled image\(first.images == 1 ? "" : "s") of the set (one sub-folder per class), with the case's exact BitOps."),
        ]
        if labelled.contains(where: { $0.config.weights.hasPrefix("seed:") }) {
            intro.append(.text(" Cases with random weights (from a seed) are near chance: meaningful accuracy needs trained weights."))
        }
        blocks.append(.paragraph(intro))
        func pct(_ v: Double?) -> String { v.map { NumberText.percentValue($0) } ?? "—" }
        let rows: [[String]] = labelled.map { c in
            let a = c.accuracy!
            return [String(c.index), c.config.label, NumberText.grouped(c.cost.totals.bitops),
                    pct(a.top1), pct(a.top5), pct(a.floatTop1), pct(a.floatTop5)]
        }
        blocks.append(.table(Table(
            caption: "Accuracy on labelled images against BitOps", label: "accuracy",
            columns: [.init("#", numeric: true), .init("case"), .init("BitOps", numeric: true),
                      .init("top-1", unit: "%", numeric: true), .init("top-5", unit: "%", numeric: true),
                      .init("float top-1", unit: "%", numeric: true), .init("float top-5", unit: "%", numeric: true)],
            rows: rows)))
        if cell.options["chart"] != "false" {
            var chartCell = cell
            chartCell.options["fidelity"] = FidelityMeasure.top1Accuracy.rawValue
            chartCell.options["chart"] = nil
            blocks += try CostQualityCell(executor: executor).costQualityFigures(chartCell, labelled)
        }
        return blocks
    }
}
