import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `chart: layerwise`: per case, BitOps per block by layer kind (stem/depthwise/pointwise/classifier), on a log
/// axis side by side (`scale: log`, the default: the depthwise layers and the classifier stay visible), stacked
/// (`linear`) or stacked as shares of the total (`share`). A mixed-precision case names each block's weight
/// bits under its bar.
struct LayerwiseCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try pick(cell, selected).map { try layerwiseFigure(cell, $0) }
    }

    func layerwiseFigure(_ cell: TemplateCell, _ c: CaseResult) throws -> Block {
        // `shares: true|false` is the option's old name (templates written before `scale`).
        let old = cell.options["shares"].map { $0 == "true" ? LayerwiseScale.share : .linear }
        let scale = cell.options["scale"].flatMap(LayerwiseScale.init(rawValue:)) ?? old ?? .log
        let mixed = c.config.weightPrecision.policy.uniformWidth == nil
        var layers: [LayerBitOpsBar] = []
        // The stem: a first weight layer outside the blocks (`stem` in a block network, `features.0.0` in a graph).
        for l in c.cost.layers.prefix(1) where l.block == nil && l.kind != .linear {
            layers.append(LayerBitOpsBar(label: "stem", stem: Double(l.bitops)))
        }
        for b in c.cost.blocks {
            let ls = c.cost.layers.filter { $0.block == b.block }
            // Mixed precision: the block's weight bits with its name ("B2 4b"), as the results record them.
            let bits = mixed ? ls.first.map { " \($0.weightBits)b" } ?? "" : ""
            layers.append(LayerBitOpsBar(label: "B\(b.block)\(bits)",
                                       depthwise: Double(ls.filter { $0.kind == .depthwise }.reduce(0) { $0 + $1.bitops }),
                                       pointwise: Double(ls.filter { $0.kind == .pointwise }.reduce(0) { $0 + $1.bitops })))
        }
        for l in c.cost.layers where l.kind == .linear { layers.append(LayerBitOpsBar(label: "FC", classifier: Double(l.bitops))) }
        let title = cell.options["title"] ?? "BitOps per block — case \(c.index): \(c.config.label)"
        let spec = try ChartAdapter.layerwise(title: title, bars: layers, scale: scale, size: figureSize(cell))
        let stem = FileNames.name(scale == .share ? "layerwise-shares" : (scale == .linear ? "layerwise-linear" : "layerwise"), case: c)
        let how: String
        switch scale {
        case .log: how = ", side by side on a log axis"
        case .linear: how = ", stacked"
        case .share: how = ", stacked as shares of the total"
        }
        let bitsNote = mixed ? "; under each block its weight bits" : ""
        return .figure(Figure(fileStem: stem, caption: "BitOps of each block of case \(c.index) (\(c.config.label)), split into depthwise and pointwise\(how)\(bitsNote).",
                              spec: spec, size: figureSize(cell)))
    }
}
