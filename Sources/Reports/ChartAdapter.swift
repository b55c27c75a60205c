import Charts
import Foundation

/// The report's calls into the chart builders (`Charts.ChartKinds`), with the report's axis titles and
/// legend titles. Colours come from one `PrecisionColors` per report, so a precision keeps its colour in every
/// chart.
enum ChartAdapter {
    static func layerwise(title: String, bars: [LayerBitOpsBar], scale: LayerwiseScale, size: FigureSize) throws -> ChartSpec {
        try ChartKinds.layerwiseBitOps(title: title, layers: bars, scale: scale, valueLabels: bars.count <= 16,
                                       xTitle: "Block", size: size)
    }

    static func totalVersusSize(title: String, series: [LineSeries], colors: PrecisionColors, size: FigureSize) throws -> ChartSpec {
        var spec = try ChartKinds.totalVersusSize(title: title, series: series, colors: colors, size: size)
        spec.legend.title = "weight bits"
        return spec
    }

    static func heatmap(title: String, rowTitle: String, rowLabels: [String], columnTitle: String, columnLabels: [String],
                        values: [[Double?]], valueTitle: String, logarithmic: Bool, percent: Bool, size: FigureSize) throws -> ChartSpec {
        try ChartKinds.heatmap(title: title, rowLabels: rowLabels, columnLabels: columnLabels, values: values,
                               xTitle: columnTitle, yTitle: rowTitle, colorBarTitle: valueTitle, logColor: logarithmic,
                               colorMap: .viridis, format: logarithmic ? .si : .fixed(1), infinityLabel: "exact", size: size)
    }

    static func costQuality(title: String, points: [CostQualityPoint], fidelityTitle: String, budget: Double?,
                            colors: PrecisionColors, size: FigureSize, percentScale: Bool = false) throws -> ChartSpec {
        var spec = try ChartKinds.costQuality(title: title, points: points, xTitle: "Total BitOps", yTitle: fidelityTitle,
                                              qualityFormat: .plain, budget: budget, colors: colors, size: size)
        spec.legend.title = "weight bits"
        // A percentage never goes past 100: end the axis there (the builder pads a flat range both ways).
        if percentScale, let low = points.map(\.quality).min() {
            spec.y.domain = max(0, ((low - 5) / 10).rounded(.down) * 10)...100
        }
        // Label the cases on the Pareto fronts (one per network shape) with their number (the builder labels
        // only a highlighted case). The scatter mark lists the points in input order.
        let front = Set(ChartKinds.paretoFronts(points).flatMap(\.indices))
        if front.count <= 24 {
            spec.marks = spec.marks.map { mark in
                guard case var .points(pm) = mark, pm.points.count == points.count else { return mark }
                for i in pm.points.indices where front.contains(i) { pm.points[i].label = points[i].label }
                return .points(pm)
            }
        }
        return spec
    }

    static func groupedBars(title: String, categoryTitle: String, categories: [String], valueTitle: String,
                            series: [NamedValues], colors: PrecisionColors, size: FigureSize) throws -> ChartSpec {
        var spec = try ChartKinds.groupedBars(title: title, categories: categories, series: series, xTitle: categoryTitle,
                                              yTitle: valueTitle, format: .si, valueLabels: false, colors: colors,
                                              size: size)
        spec.legend.title = "weight bits"
        return spec
    }
}
