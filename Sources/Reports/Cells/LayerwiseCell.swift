import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `chart: layerwise`: per case, BitOps per block stacked stem/depthwise/pointwise/classifier.
struct LayerwiseCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try pick(cell, selected).map { try layerwiseFigure(cell, $0) }
    }

    func layerwiseFigure(_ cell: TemplateCell, _ c: CaseResult) throws -> Block {
        let shares = cell.options["shares"] == "true"
        var layers: [LayerBitOpsBar] = []
        for l in c.cost.layers where l.name == "stem" { layers.append(LayerBitOpsBar(label: "stem", stem: Double(l.bitops))) }
        for b in c.cost.blocks {
            let ls = c.cost.layers.filter { $0.block == b.block }
            layers.append(LayerBitOpsBar(label: "B\(b.block)",
                                       depthwise: Double(ls.filter { $0.kind == .depthwise }.reduce(0) { $0 + $1.bitops }),
                                       pointwise: Double(ls.filter { $0.kind == .pointwise }.reduce(0) { $0 + $1.bitops })))
        }
        for l in c.cost.layers where l.kind == .linear { layers.append(LayerBitOpsBar(label: "FC", classifier: Double(l.bitops))) }
        let title = cell.options["title"] ?? "BitOps per block — case \(c.index): \(c.config.label)"
        let spec = try ChartAdapter.layerwise(title: title, bars: layers, asShares: shares, size: figureSize(cell))
        let stem = FileNames.name(shares ? "layerwise-shares" : "layerwise", case: c)
        return .figure(Figure(fileStem: stem, caption: "BitOps of each block of case \(c.index) (\(c.config.label)), split into depthwise and pointwise\(shares ? ", as shares of the total" : "").",
                              spec: spec, size: figureSize(cell)))
    }
}
