import BitOpsCore
import Foundation

/// Built-in sample data for every chart kind, so that anyone can render and look at them
/// (`bitsweep gallery`). The numbers are shaped like MobileNet-v1 counts but are illustrative only.
public enum ChartGallery {
    /// One gallery entry: a file-name-safe name and the chart.
    public struct Sample: Sendable {
        public var name: String
        public var spec: ChartSpec
    }

    /// Every chart kind (some in two variants), in a fixed order.
    public static func samples() throws -> [Sample] {
        let colors = PrecisionColors(groups: [("fp32", .float), ("w8a8", .bits(8)), ("w6a6", .bits(6)), ("w4a4", .bits(4)), ("w4a8", .bits(4)), ("w2a2", .bits(2))])

        // MobileNet-v1-like per-layer MACs at 224 px, scaled by 8×8 bits.
        let dwMacs: [Double] = [3.6, 1.8, 3.6, 0.9, 1.8, 0.45, 0.9, 0.9, 0.9, 0.9, 0.9, 0.23, 0.45].map { $0 * 1e6 }
        let pwMacs: [Double] = [25.7, 25.7, 51.4, 25.7, 51.4, 25.7, 51.4, 51.4, 51.4, 51.4, 51.4, 25.7, 51.4].map { $0 * 1e6 }
        var layers = [LayerBitOpsBar(label: "stem", stem: 10.8e6 * 64)]
        for i in 0..<13 { layers.append(LayerBitOpsBar(label: "b\(i + 1)", depthwise: dwMacs[i] * 64, pointwise: pwMacs[i] * 64)) }
        layers.append(LayerBitOpsBar(label: "fc", classifier: 1.02e6 * 64))

        let sizes: [Double] = [96, 128, 160, 192, 224]
        func total(_ s: Double, _ bits: Double) -> Double { 569e6 * (s / 224) * (s / 224) * bits * bits }
        let float = Double(BitWidth.float.countedBits)
        let precisions: [(String, Double)] = [("fp32", float), ("w8a8", 8), ("w4a4", 4), ("w2a2", 2)]
        let lines = precisions.map { (label, b) in LineSeries(label: label, points: sizes.map { ($0, total($0, b)) }) }

        let blockCounts = [3, 5, 7, 9, 11, 13]
        let heatCols = ["w2a2", "w4a4", "w6a6", "w8a8", "fp32"]
        let heatBits: [Double] = [2, 4, 6, 8, float]
        let heat: [[Double?]] = blockCounts.map { n in
            heatBits.enumerated().map { (j, b) in
                n == 13 && j == 2 ? nil : (Double(n) * 40e6 + 30e6) * b * b
            }
        }

        var cq: [CostQualityPoint] = []
        for (label, wb, ab) in [("w2a2", 2.0, 2.0), ("w4a4", 4.0, 4.0), ("w4a8", 4.0, 8.0), ("w6a6", 6.0, 6.0), ("w8a8", 8.0, 8.0), ("fp32", float, float)] {
            for (k, s) in [128.0, 160, 192, 224].enumerated() {
                let cost = 569e6 * (s / 224) * (s / 224) * wb * ab
                let sqnr = label == "fp32" ? 62 - Double(3 - k) * 0.4 : 6.02 * min(wb, ab) - 4 + Double(k) * 0.6 + (wb != ab ? 2.5 : 0)
                cq.append(CostQualityPoint(label: "\(label)@\(Int(s))", cost: cost, quality: sqnr, group: label))
            }
        }

        let configs = ["w8a8", "w6a6", "w4a8", "w4a4", "w2a2"]
        let storage = NamedValues(name: "weight storage (KiB)", values: [4130, 3098, 2065, 2065, 1033])
        let act = NamedValues(name: "peak activations (KiB)", values: [1176, 882, 1176, 588, 294])

        let deltaRows = ["96", "128", "160", "192", "224"]
        let deltaCols = ["w2a2", "w4a4", "w8a8", "fp32"]
        let deltas: [[Double?]] = [
            [0, 0, 0, 0],
            [0, 0.031, 0, 0],
            [-0.042, 0, 0, nil],
            [0, 0.0125, 0.118, 0],
            [0, -0.25, 0, 0],
        ]

        return [
            Sample(name: "1-layerwise-bitops", spec: try ChartKinds.layerwiseBitOps(
                title: "MobileNet-v1 224 px, w8a8: BitOps per layer", layers: layers, xTitle: "Layer")),
            Sample(name: "1-layerwise-shares", spec: try ChartKinds.layerwiseBitOps(
                title: "Share of total BitOps per layer (w8a8, 224 px)", layers: layers, scale: .share, xTitle: "Layer")),
            Sample(name: "1-layerwise-log", spec: try ChartKinds.layerwiseBitOps(
                title: "BitOps per layer on a log axis (w8a8, 224 px)", layers: layers, scale: .log, xTitle: "Layer")),
            Sample(name: "2-total-vs-size", spec: try ChartKinds.totalVersusSize(
                title: "Total BitOps vs image size", series: lines, colors: colors)),
            Sample(name: "3-heatmap-bitops", spec: try ChartKinds.heatmap(
                title: "Total BitOps, 224 px", rowLabels: blockCounts.map { "\($0) blocks" }, columnLabels: heatCols,
                values: heat, xTitle: "Precision", colorBarTitle: "BitOps")),
            Sample(name: "3-heatmap-fidelity", spec: try ChartKinds.heatmap(
                title: "Top-1 agreement with fp32", rowLabels: ["96", "128", "160", "192", "224"], columnLabels: ["w2a2", "w4a4", "w6a6", "w8a8"],
                values: [[0.12, 0.71, 0.93, 0.97], [0.15, 0.76, 0.95, 0.98], [0.18, 0.80, 0.96, 0.985], [0.2, 0.82, 0.965, 0.99], [0.22, 0.84, 0.97, 0.995]],
                xTitle: "Precision", yTitle: "Image size (px)", colorBarTitle: "agreement", logColor: false, colorMap: .cividis, format: .percent)),
            Sample(name: "4-cost-quality", spec: try ChartKinds.costQuality(
                title: "Cost vs fidelity", points: cq, budget: 2e11, highlight: "w6a6@192", colors: colors)),
            Sample(name: "5-grouped-bars", spec: try ChartKinds.groupedBars(
                title: "Memory per configuration", categories: configs, series: [storage, act], xTitle: "Configuration",
                yTitle: "KiB", format: .plain, valueLabels: true)),
            Sample(name: "6-delta-heatmap", spec: try ChartKinds.deltaHeatmap(
                title: "Total BitOps change vs last night", rowLabels: deltaRows, columnLabels: deltaCols, deltas: deltas,
                xTitle: "Precision", yTitle: "Image size (px)", colorBarTitle: "relative change")),
        ]
    }
}
