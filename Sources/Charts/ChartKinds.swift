import Foundation

/// One bar of the layer-wise chart: a block (or the stem / classifier) and its BitOps by layer kind.
public struct LayerBitOpsBar: Sendable, Hashable {
    public var label: String
    public var stem: Double
    public var depthwise: Double
    public var pointwise: Double
    public var classifier: Double
    public init(label: String, stem: Double = 0, depthwise: Double = 0, pointwise: Double = 0, classifier: Double = 0) {
        self.label = label; self.stem = stem; self.depthwise = depthwise; self.pointwise = pointwise; self.classifier = classifier
    }
    public var total: Double { stem + depthwise + pointwise + classifier }
}

/// How the layer-wise chart shows BitOps (the template's `scale:` option of layer-wise charts).
public enum LayerwiseScale: String, Sendable, Hashable, CaseIterable {
    /// Layer kinds side by side on a log axis: depthwise layers and the classifier, often a hundredth of a
    /// block's BitOps or less, stay visible.
    case log
    /// Layer kinds stacked on a linear axis: a bar's height is its block's total.
    case linear
    /// Stacked on a linear axis as shares (%) of the network's total BitOps.
    case share
}

/// A named series of (x, y) points, e.g. one precision's total BitOps at each image size.
public struct LineSeries: Sendable, Hashable {
    public var label: String
    public var points: [DataPoint]
    public init(label: String, points: [DataPoint]) { self.label = label; self.points = points }
    public init(label: String, points: [(Double, Double)]) { self.init(label: label, points: points.map { DataPoint($0.0, $0.1) }) }
}

/// A named list of values, one per category (grouped bars).
public struct NamedValues: Sendable, Hashable {
    public var name: String
    public var values: [Double]
    public init(name: String, values: [Double]) { self.name = name; self.values = values }
}

/// One case in a cost-against-quality chart.
public struct CostQualityPoint: Sendable, Hashable {
    /// The case identity (used to highlight it and, for highlighted points, written next to it).
    public var label: String
    /// Total BitOps (x, log scale), > 0.
    public var cost: Double
    /// Fidelity (y): SQNR in dB, top-1 agreement in 0…1, …
    public var quality: Double
    /// Colour group, usually the precision label (coloured with `PrecisionColors`); nil draws blue.
    public var group: String?
    /// The network shape (e.g. `3 blocks`): each shape has its own Pareto front, since cases of different
    /// shapes are measured against different float twins. Nil: one front for all points without a shape.
    public var shape: String?
    public init(label: String, cost: Double, quality: Double, group: String? = nil, shape: String? = nil) {
        self.label = label; self.cost = cost; self.quality = quality; self.group = group; self.shape = shape
    }
}

/// Builders for the six chart kinds BitSweep's reports use. Each takes plain data, checks it (throwing
/// `ChartError` with a message naming the problem), and returns a `ChartSpec` ready for any renderer.
public enum ChartKinds {
    /// Fill of heatmap cells written as text (`infinityLabel`): light enough for dark text, unlike any
    /// colour of the sequential maps.
    public static let exactFill = Color.grey(0.9)
    /// Colours of the layer kinds in the layer-wise chart.
    public static let stemColor = OkabeIto.grey
    public static let depthwiseColor = OkabeIto.skyBlue
    public static let pointwiseColor = OkabeIto.blue
    public static let classifierColor = OkabeIto.orange

    /// 1. Layer-wise BitOps of one network: for each block (and the stem and classifier) its BitOps by layer
    /// kind (stem, depthwise, pointwise, classifier; kinds that are zero everywhere are left out of the legend).
    /// - Parameters:
    ///   - scale: `.log` — the kinds side by side on a log axis, so that a depthwise layer or a classifier with
    ///     1% of a block's BitOps (a sliver on a linear axis) is as readable as the rest; `.linear` — stacked
    ///     on a linear axis, bar heights add up to the total; `.share` — stacked, as shares (%) of the total.
    ///   - valueLabels: write each bar's total above it (stacked scales only).
    public static func layerwiseBitOps(title: String?, layers: [LayerBitOpsBar], scale: LayerwiseScale = .linear, valueLabels: Bool = true,
                                       xTitle: String? = "Layer", yTitle: String? = nil, size: FigureSize = .twoColumn) throws -> ChartSpec {
        guard !layers.isEmpty else { throw ChartError.empty("layer-wise chart has no layers") }
        for l in layers {
            for v in [l.stem, l.depthwise, l.pointwise, l.classifier] where !v.isFinite {
                throw ChartError.nonFinite(what: "layer \"\(l.label)\"", value: v)
            }
            if scale == .log, let bad = [l.stem, l.depthwise, l.pointwise, l.classifier].first(where: { $0 < 0 }) {
                throw ChartError.nonPositiveOnLogScale(axis: "y axis (layer \"\(l.label)\")", value: bad)
            }
        }
        let grand = layers.map(\.total).reduce(0, +)
        let factor = scale == .share ? (grand != 0 ? 1 / grand : 1) : 1
        let kinds: [(String, Color, KeyPath<LayerBitOpsBar, Double>)] = [
            ("stem", stemColor, \.stem), ("depthwise", depthwiseColor, \.depthwise),
            ("pointwise", pointwiseColor, \.pointwise), ("classifier", classifierColor, \.classifier),
        ]
        let series = kinds.compactMap { (name, color, key) -> BarSeries? in
            let values = layers.map { $0[keyPath: key] * factor }
            return values.contains(where: { $0 != 0 }) ? BarSeries(name: name, color: color, values: values) : nil
        }
        let format: NumberFormat = scale == .share ? .percent : .si
        let bars: BarMark
        var y = Axis(title: yTitle ?? (scale == .share ? "Share of total BitOps" : "BitOps"), format: format, grid: true)
        switch scale {
        case .log:
            guard let low = series.flatMap(\.values).filter({ $0 > 0 }).min(), let high = series.flatMap(\.values).max() else {
                throw ChartError.empty("layer-wise chart has no BitOps to show on a log axis")
            }
            bars = BarMark(series: series, arrangement: .grouped, valueLabels: .none, labelFormat: format, skipsZeros: true)
            // From the decade below the smallest bar (so that it has a height) to just above the largest.
            y.scale = .log
            y.domain = pow(10, (log10(low) - 1e-9).rounded(.down))...(high * 1.15)
        case .linear, .share:
            bars = BarMark(series: series, arrangement: .stacked, valueLabels: valueLabels ? .totals : .none, labelFormat: format)
            y.includesZero = true
        }
        let spec = ChartSpec(
            title: title,
            x: Axis(title: xTitle, scale: .categories(layers.map(\.label))),
            y: y,
            marks: [.bars(bars)],
            legend: Legend(entries: series.map { LegendEntry(label: $0.name, color: $0.color, symbol: .swatch) }),
            preferredSize: size)
        try ChartLayout.validate(spec)
        return spec
    }

    /// 2. Total BitOps against image size: one line per precision, markers at the measured points,
    /// log–log by default. With ten or fewer distinct sizes the x ticks are exactly the measured sizes.
    /// - Throws: `ChartError.nonPositiveOnLogScale` for a size or total ≤ 0 on a log axis.
    public static func totalVersusSize(title: String?, series: [LineSeries], xTitle: String = "Image size (px)",
                                       yTitle: String = "Total BitOps", logX: Bool = true, logY: Bool = true,
                                       colors: PrecisionColors = .standard, size: FigureSize = .oneColumn) throws -> ChartSpec {
        guard series.contains(where: { !$0.points.isEmpty }) else { throw ChartError.empty("no series has points") }
        let xs = Set(series.flatMap { $0.points.map(\.x) }).sorted()
        var lines: [Mark] = []
        var entries: [LegendEntry] = []
        for (i, s) in series.enumerated() {
            let color = colors.color(for: s.label)
            let marker = MarkerShape.shape(i)
            let dash = colors.dash(for: s.label)   // mixed precision: dashed
            lines.append(.line(LineMark(name: s.label, points: s.points.sorted { $0.x < $1.x }, color: color, dash: dash, marker: marker)))
            entries.append(LegendEntry(label: s.label, color: color, symbol: .line(marker: marker, dash: dash)))
        }
        let spec = ChartSpec(
            title: title,
            x: Axis(title: xTitle, scale: logX ? .log : .linear, format: .plain, ticks: xs.count <= 10 ? .values(xs) : .automatic),
            y: Axis(title: yTitle, scale: logY ? .log : .linear, includesZero: !logY, format: .si, grid: true),
            marks: lines, legend: Legend(entries: entries), preferredSize: size)
        try ChartLayout.validate(spec)
        return spec
    }

    /// 3. Heatmap: rows × columns of values (e.g. block count × precision), cells coloured by value on a
    /// sequential map (log colour scale by default, for BitOps), values written inside each cell in black or
    /// white for contrast, and a colour bar. Nil cells stay blank.
    /// - Parameters:
    ///   - values: `values[row][column]`; rows are drawn top to bottom in `rowLabels` order.
    ///   - logColor: colour by log₁₀(value); every non-nil value must then be > 0.
    ///   - infinityLabel: when given, +∞ values are allowed (an exact SQNR): such a cell is written as this text
    ///     on a light grey fill and is left out of the colour scale. Without it, a non-finite value is an error.
    public static func heatmap(title: String?, rowLabels: [String], columnLabels: [String], values: [[Double?]],
                               xTitle: String? = nil, yTitle: String? = nil, colorBarTitle: String? = nil,
                               logColor: Bool = true, colorMap: ColorMap = .viridis, format: NumberFormat = .si,
                               annotate: Bool = true, infinityLabel: String? = nil,
                               size: FigureSize = .oneColumn) throws -> ChartSpec {
        guard !rowLabels.isEmpty, !columnLabels.isEmpty else { throw ChartError.empty("heatmap has no rows or columns") }
        var values = values
        var notes: [[CellNote?]] = []
        if let infinityLabel, values.joined().contains(.infinity) {
            notes = values.map { row in row.map { $0 == .infinity ? CellNote(text: infinityLabel, fill: exactFill) : nil } }
            values = values.map { row in row.map { $0 == .infinity ? nil : $0 } }
        }
        let flat = values.flatMap { $0 }
        if let bad = flat.compactMap({ $0 }).first(where: { !$0.isFinite }) { throw ChartError.nonFinite(what: "heatmap", value: bad) }
        // Only exact cells: any finite range will do for the (unused) scale.
        let scale = try ColorScale.spanning(notes.isEmpty || flat.contains { $0 != nil } ? flat : [1, 10], map: colorMap, logarithmic: logColor)
        let spec = ChartSpec(
            title: title,
            x: Axis(title: xTitle, scale: .categories(columnLabels)),
            y: Axis(title: yTitle, scale: .categories(rowLabels)),
            marks: [.cells(CellMark(values: values, colorScale: scale, annotate: annotate, format: format, notes: notes))],
            colorBar: ColorBar(title: colorBarTitle, scale: scale, format: format),
            preferredSize: size)
        try ChartLayout.validate(spec)
        return spec
    }

    /// Indices of the Pareto-optimal points: no other point is at most as costly and at least as good
    /// with one of the two strictly better. Sorted by increasing cost. Ties (identical points) are all kept.
    public static func paretoFront(costs: [Double], qualities: [Double], higherIsBetter: Bool = true) -> [Int] {
        precondition(costs.count == qualities.count, "paretoFront: costs and qualities differ in length")
        let q = higherIsBetter ? qualities : qualities.map { -$0 }
        var front: [Int] = []
        for i in costs.indices {
            let dominated = costs.indices.contains { j in
                j != i && costs[j] <= costs[i] && q[j] >= q[i] && (costs[j] < costs[i] || q[j] > q[i])
            }
            if !dominated { front.append(i) }
        }
        return front.sorted { costs[$0] != costs[$1] ? costs[$0] < costs[$1] : q[$0] > q[$1] }
    }

    /// The Pareto front of each network shape (`CostQualityPoint.shape`), in order of first appearance: the
    /// indices into `points` of each front, by increasing cost (see `paretoFront`).
    public static func paretoFronts(_ points: [CostQualityPoint], higherIsBetter: Bool = true) -> [(shape: String?, indices: [Int])] {
        var order: [String?] = []
        for p in points where !order.contains(p.shape) { order.append(p.shape) }
        return order.map { shape in
            let mine = points.indices.filter { points[$0].shape == shape }
            let front = paretoFront(costs: mine.map { points[$0].cost }, qualities: mine.map { points[$0].quality },
                                    higherIsBetter: higherIsBetter)
            return (shape, front.map { mine[$0] })
        }
    }

    /// The Pareto front as a step line through `points` (sorted by increasing cost): from each point
    /// across at its quality to the next point's cost, then to the next point's quality — the best quality
    /// reachable at each cost, with no diagonal that would promise cases between the measured ones.
    public static func stepLine(_ points: [DataPoint]) -> [DataPoint] {
        guard var last = points.first else { return [] }
        var out = [last]
        for p in points.dropFirst() {
            if p.x != last.x { out.append(DataPoint(p.x, last.y)) }
            out.append(p)
            last = p
        }
        return out
    }

    /// The legend's names of the two kinds of cost–quality point (filled and hollow).
    public static let onFrontLabel = "on the Pareto front (filled)"
    /// … when each network shape has a front of its own.
    public static let onAFrontLabel = "on a Pareto front (filled)"
    public static let dominatedLabel = "dominated (hollow)"

    /// Dash patterns of the fronts of successive network shapes.
    static let frontDashes: [[Double]] = [[], [4, 2], [1.5, 1.5], [6, 2, 1.5, 2], [3, 1]]

    /// 4. Cost against quality: total BitOps (log x) against fidelity, one point per case. Each network
    /// shape's Pareto front is a step line (dashed differently per shape, named in the legend); points are
    /// coloured by group, always at full strength (the legend's colour): those on a front filled, dominated
    /// ones hollow (an outline in the group's colour), with a legend entry for each kind when the chart has
    /// both. A mixed-precision group (`PrecisionColors.isMixed`) is drawn with squares instead of circles. An
    /// optional budget draws a
    /// dashed vertical line with the feasible side (cost ≤ budget) shaded; an optional highlighted case gets
    /// a ring and its label.
    /// - Parameters:
    ///   - higherIsBetter: false when smaller y is better (e.g. an error rate).
    ///   - qualityFormat: tick format for y (`.plain` for dB, `.percent` for agreement in 0…1).
    ///   - exactLabel: a point with quality +∞ (higher is better) is exact — its logits equal the float
    ///     twin's. The y axis is scaled to the finite points; exact points are drawn as upward triangles on
    ///     a shaded band above the last tick, marked with this label (and a legend entry).
    public static func costQuality(title: String?, points: [CostQualityPoint], xTitle: String = "Total BitOps",
                                   yTitle: String = "SQNR (dB)", qualityFormat: NumberFormat = .plain,
                                   higherIsBetter: Bool = true, budget: Double? = nil, highlight: String? = nil,
                                   exactLabel: String = "exact (∞ dB)",
                                   colors: PrecisionColors = .standard, size: FigureSize = .oneColumn) throws -> ChartSpec {
        guard !points.isEmpty else { throw ChartError.empty("cost/quality chart has no points") }
        if let bad = points.first(where: { !($0.cost > 0) }) {
            throw ChartError.nonPositiveOnLogScale(axis: "x axis (\(xTitle))", value: bad.cost)
        }
        if let b = budget, !(b > 0) { throw ChartError.nonPositiveOnLogScale(axis: "x axis (\(xTitle)) budget", value: b) }
        // Exact points (+∞ when higher is better) go on a band above the finite range; the axis shows ticks
        // for the finite range only.
        let isExact = points.map { higherIsBetter && $0.quality == .infinity }
        if let bad = points.first(where: { !$0.quality.isFinite && !(higherIsBetter && $0.quality == .infinity) }) {
            throw ChartError.nonFinite(what: "cost/quality point \"\(bad.label)\"", value: bad.quality)
        }
        var exactBand: (from: Double, at: Double, ticks: [Double], domain: ClosedRange<Double>)?
        if isExact.contains(true) {
            let finite = points.map(\.quality).filter(\.isFinite)
            if let fmin = finite.min(), let fmax = finite.max() {
                // The finite data padded by 4% (as the layout pads scatter plots), then a band of a fifth of
                // the plot's height above it; ticks only where the finite data are.
                let span = fmax > fmin ? fmax - fmin : max(abs(fmax) * 0.2, 1)
                let lo = fmin - span * 0.04, top = fmax + span * 0.04
                let band = span * 0.3
                let ticks = NiceTicks.linear(lower: fmin, upper: fmax, targetCount: 5).ticks.filter { $0 >= lo && $0 <= top }
                exactBand = (top + band * 0.15, top + band * 0.6, ticks, lo...(top + band))
            } else {
                exactBand = (0, 0.5, [], -1...1)   // only exact cases: the band and nothing else to show
            }
        }
        let plotted = points.enumerated().map { (i, p) -> CostQualityPoint in
            var q = p
            if isExact[i], let band = exactBand { q.quality = band.at }
            return q
        }
        let fronts = paretoFronts(points, higherIsBetter: higherIsBetter)
        let onFront = Set(fronts.flatMap(\.indices))
        var marks: [Mark] = []
        var entries: [LegendEntry] = []
        if let b = budget {
            marks.append(.region(RegionMark(xTo: b, color: OkabeIto.bluishGreen.withAlpha(0.10))))
            marks.append(.rule(RuleMark(orientation: .vertical, value: b, color: Color(rgb: 0x006B4E), label: "budget " + NumberFormat.si.string(b))))
            entries.append(LegendEntry(label: "within budget", color: OkabeIto.bluishGreen.withAlpha(0.25), symbol: .swatch))
        }
        if let band = exactBand {
            marks.append(.region(RegionMark(yFrom: band.from, color: Color.grey(0.5).withAlpha(0.08))))
            marks.append(.rule(RuleMark(orientation: .horizontal, value: band.from, color: .grey(0.45), width: 0.6,
                                        dash: [1.5, 1.5], label: exactLabel)))
        }
        let named = fronts.count > 1 || fronts.first?.shape != nil
        var frontEntries: [LegendEntry] = []
        for (k, f) in fronts.enumerated() {
            let dash = frontDashes[k % frontDashes.count]
            let name = named ? "front: \(f.shape ?? "other")" : "Pareto front"
            marks.append(.line(LineMark(name: name, points: stepLine(f.indices.map { DataPoint(plotted[$0].cost, plotted[$0].quality) }),
                                        color: .grey(0.3), width: 0.9, dash: dash, marker: nil)))
            frontEntries.append(LegendEntry(label: name, color: .grey(0.3), symbol: .line(marker: nil, dash: dash)))
        }
        var scatter: [ScatterPoint] = []
        // Legend groups in the order the points come (callers pass them in grid order).
        let groupOrder = points.compactMap(\.group).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for (i, p) in plotted.enumerated() {
            let isFront = onFront.contains(i)
            let groupColor = p.group.map { colors.color(for: $0) } ?? OkabeIto.blue
            let mixed = p.group.map(colors.isMixed) ?? false
            let hl = p.label == highlight
            scatter.append(ScatterPoint(x: p.cost, y: p.quality, color: groupColor,
                                        marker: isExact[i] ? .triangle : (mixed ? .square : .circle),
                                        fill: isFront ? .filled : .hollow,
                                        radius: isFront ? 2.8 : 2.6, label: hl ? p.label : nil, highlighted: hl))
        }
        marks.append(.points(PointMark(points: scatter)))
        for g in groupOrder {
            entries.append(LegendEntry(label: g, color: colors.color(for: g), symbol: .marker(colors.isMixed(g) ? .square : .circle)))
        }
        // Filled and hollow are explained only when both are drawn (a chart whose cases are all on a front
        // needs neither entry).
        if scatter.contains(where: { $0.fill == .filled }) && scatter.contains(where: { $0.fill == .hollow }) {
            entries.append(LegendEntry(label: fronts.count > 1 ? onAFrontLabel : onFrontLabel, color: .grey(0.35), symbol: .marker(.circle)))
            entries.append(LegendEntry(label: dominatedLabel, color: .grey(0.35), symbol: .hollowMarker(.circle)))
        }
        if exactBand != nil { entries.append(LegendEntry(label: exactLabel, color: .grey(0.35), symbol: .marker(.triangle))) }
        entries += frontEntries
        var yAxis = Axis(title: yTitle, format: qualityFormat, grid: true)
        if let band = exactBand {
            yAxis.domain = band.domain
            yAxis.ticks = .values(band.ticks)
        }
        let spec = ChartSpec(
            title: title,
            x: Axis(title: xTitle, scale: .log, format: .si, grid: true),
            y: yAxis,
            marks: marks, legend: Legend(entries: entries), preferredSize: size)
        try ChartLayout.validate(spec)
        return spec
    }

    /// 5. Grouped bars: for each category, one bar per series side by side (e.g. weight storage in KiB per
    /// configuration). Series are coloured by `colors` when given (precision labels), else in Okabe–Ito order.
    public static func groupedBars(title: String?, categories: [String], series: [NamedValues], xTitle: String? = nil,
                                   yTitle: String? = nil, format: NumberFormat = .si, valueLabels: Bool = false,
                                   colors: PrecisionColors? = nil, size: FigureSize = .oneColumn) throws -> ChartSpec {
        guard !categories.isEmpty, !series.isEmpty else { throw ChartError.empty("grouped bars need categories and series") }
        // A mixed-precision group: outlined bars (a tint inside its colour), named in the legend the same way.
        let bars = series.enumerated().map { (i, s) in
            BarSeries(name: s.name, color: colors?.color(for: s.name) ?? OkabeIto.color(i), values: s.values,
                      outlined: colors?.isMixed(s.name) ?? false)
        }
        let spec = ChartSpec(
            title: title,
            x: Axis(title: xTitle, scale: .categories(categories)),
            y: Axis(title: yTitle, includesZero: true, format: format, grid: true),
            marks: [.bars(BarMark(series: bars, arrangement: .grouped, valueLabels: valueLabels ? .totals : .none, labelFormat: format))],
            legend: Legend(entries: bars.map { LegendEntry(label: $0.name, color: $0.color, symbol: $0.outlined ? .outlinedSwatch : .swatch) }),
            preferredSize: size)
        try ChartLayout.validate(spec)
        return spec
    }

    /// 6. Delta heatmap between two result sets: `deltas[row][column]` = new − old (or a relative change),
    /// on a diverging blue–white–red scale centred at zero (blue = decrease, red = increase). Cells that did
    /// not change (exactly 0) and missing cells (nil) are blank; the rest are written with their sign.
    public static func deltaHeatmap(title: String?, rowLabels: [String], columnLabels: [String], deltas: [[Double?]],
                                    xTitle: String? = nil, yTitle: String? = nil, colorBarTitle: String? = "change",
                                    format: NumberFormat = .percent, size: FigureSize = .oneColumn) throws -> ChartSpec {
        guard !rowLabels.isEmpty, !columnLabels.isEmpty else { throw ChartError.empty("delta heatmap has no rows or columns") }
        // A log ratio is written as the ratio itself (×2, ×0.5): no sign in front.
        let signed = format != .log2Ratio
        let flat = deltas.flatMap { $0 }
        if let bad = flat.compactMap({ $0 }).first(where: { !$0.isFinite }) { throw ChartError.nonFinite(what: "delta heatmap", value: bad) }
        let scale = ColorScale.centredAtZero(flat)
        let spec = ChartSpec(
            title: title,
            x: Axis(title: xTitle, scale: .categories(columnLabels)),
            y: Axis(title: yTitle, scale: .categories(rowLabels)),
            marks: [.cells(CellMark(values: deltas, colorScale: scale, annotate: true, format: format, signed: signed, blankZeros: true))],
            colorBar: ColorBar(title: colorBarTitle, scale: scale, format: format),
            preferredSize: size)
        try ChartLayout.validate(spec)
        return spec
    }
}

/// One configuration in a predicted-against-measured speed-up chart.
public struct SpeedupPoint: Sendable, Hashable {
    /// The case identity.
    public var label: String
    /// Predicted speed-up: the float reference's BitOps ÷ this configuration's (x, log scale), > 0.
    public var predicted: Double
    /// Measured speed-up: the float reference's time per image ÷ this configuration's (y, log scale), > 0.
    public var measured: Double
    /// Colour group, usually the weight precision label (coloured with `PrecisionColors`).
    public var group: String?
    /// True when some layer ran on int8 kernels; false: float kernels, simulated quantization.
    public var integer: Bool
    public init(label: String, predicted: Double, measured: Double, group: String? = nil, integer: Bool) {
        self.label = label; self.predicted = predicted; self.measured = measured; self.group = group; self.integer = integer
    }
}

extension ChartKinds {
    /// The legend's names of the two kinds of run, as every time chart words them.
    public static let integerKernelsLabel = "int8 kernels"
    public static let floatKernelsLabel = "float kernels, simulated quantization"

    /// 7. Predicted against measured speed-up, one point per configuration, both on log axes: x the speed-up
    /// BitOps predict, y the one measured. A dashed line marks y = x (the hardware delivers what BitOps
    /// promise) and a dotted one y = 1 (no faster than float). Points are coloured by `group` (precision) and
    /// shaped by the kernels that ran: diamonds for int8 kernels, circles for float kernels with simulated
    /// quantization; the legend names both.
    public static func speedup(title: String?, points: [SpeedupPoint],
                               xTitle: String = "predicted speed-up (BitOps ratio)",
                               yTitle: String = "measured speed-up (time ratio)",
                               colors: PrecisionColors = .standard, size: FigureSize = .oneColumn) throws -> ChartSpec {
        guard !points.isEmpty else { throw ChartError.empty("speed-up chart has no points") }
        for p in points {
            if !(p.predicted > 0) || !p.predicted.isFinite { throw ChartError.nonPositiveOnLogScale(axis: "x axis (\(xTitle))", value: p.predicted) }
            if !(p.measured > 0) || !p.measured.isFinite { throw ChartError.nonPositiveOnLogScale(axis: "y axis (\(yTitle))", value: p.measured) }
        }
        var values: [Double] = [1]
        for p in points { values += [p.predicted, p.measured] }
        let lo = values.min() ?? 1, hi = values.max() ?? 1
        let identityColor = Color.grey(0.35)
        var marks: [Mark] = [
            .line(LineMark(name: "y = x", points: [DataPoint(lo, lo), DataPoint(hi, hi)], color: identityColor, width: 0.9, dash: [4, 2], marker: nil)),
            .rule(RuleMark(orientation: .horizontal, value: 1, color: .grey(0.5), width: 0.6, dash: [1.5, 1.5])),
        ]
        // Int8 points drawn last, so that a diamond among circles at the same place stays visible.
        let drawOrder = points.filter { !$0.integer } + points.filter(\.integer)
        marks.append(.points(PointMark(points: drawOrder.map { p in
            ScatterPoint(x: p.predicted, y: p.measured, color: p.group.map { colors.color(for: $0) } ?? OkabeIto.blue,
                         marker: p.integer ? .diamond : .circle, radius: p.integer ? 3.0 : 2.5)
        })))
        var entries: [LegendEntry] = []
        let groupOrder = points.compactMap(\.group).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        for g in groupOrder { entries.append(LegendEntry(label: g, color: colors.color(for: g), symbol: .swatch)) }
        if points.contains(where: \.integer) {
            entries.append(LegendEntry(label: integerKernelsLabel, color: .grey(0.3), symbol: .marker(.diamond)))
        }
        if points.contains(where: { !$0.integer }) {
            entries.append(LegendEntry(label: floatKernelsLabel, color: .grey(0.3), symbol: .marker(.circle)))
        }
        entries.append(LegendEntry(label: "y = x (as BitOps predict)", color: identityColor, symbol: .line(marker: nil, dash: [4, 2])))
        let spec = ChartSpec(
            title: title,
            x: Axis(title: xTitle, scale: .log, format: .plain, grid: true),
            y: Axis(title: yTitle, scale: .log, format: .plain, grid: true),
            marks: marks, legend: Legend(entries: entries), preferredSize: size)
        try ChartLayout.validate(spec)
        return spec
    }
}
