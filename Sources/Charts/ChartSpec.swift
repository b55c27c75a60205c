// # Charts — API overview
//
// Chart specifications are plain values that know nothing of Cairo. Build one with a chart builder, then
// hand it to a renderer (`CairoRender` for files, `RecordingRenderer` for tests):
//
// ```swift
// import Charts
// import CairoRender
//
// let colors = PrecisionColors(labels: allPrecisionLabelsOfTheReport)   // once per report
// var spec = try ChartKinds.totalVersusSize(
//     title: "Total BitOps vs image size",
//     series: [LineSeries(label: "w8a8", points: [(128, 1.1e9), (224, 3.4e9)])], colors: colors)
// spec.legend.title = "precision"                                       // specs are plain, editable values
// try renderChart(spec, to: "out/total-vs-size.pdf")                    // format from the extension
// ```
//
// Builders (`ChartKinds`; plain Strings/Doubles in, `ChartSpec` out; they validate and throw `ChartError`):
// 1. `layerwiseBitOps(title:layers:scale:valueLabels:xTitle:yTitle:size:)` — stem/depthwise/pointwise/
//    classifier BitOps per block (`[LayerBitOpsBar]`): side by side on a log axis (`.log`), stacked with totals
//    above the bars (`.linear`), or stacked as shares of the network's total (`.share`).
// 2. `totalVersusSize(title:series:xTitle:yTitle:logX:logY:colors:size:)` — one line per precision
//    (`[LineSeries]`), log–log, markers at the measured points, x ticks at the measured sizes.
// 3. `heatmap(title:rowLabels:columnLabels:values:xTitle:yTitle:colorBarTitle:logColor:colorMap:format:annotate:size:)`
//    — `[[Double?]]` rows × columns, log colour option, values in the cells in black/white, colour bar,
//    nil cells blank; with `infinityLabel`, +∞ cells (exact SQNR) are written as that text on a light fill and
//    left out of the colour scale.
// 4. `costQuality(title:points:xTitle:yTitle:qualityFormat:higherIsBetter:budget:highlight:colors:size:)`
//    — `[CostQualityPoint]`, BitOps on a log x axis, one Pareto front per network shape drawn as a step line,
//    points coloured by precision (on a front filled, dominated ones hollow; mixed precision as squares), optional budget line
//    with the feasible side shaded, optional highlighted case. Points whose
//    quality is +∞ (exact: logits equal the float twin's) sit on a band above the finite y range, marked
//    `exactLabel` ("exact (∞ dB)") with upward triangles; the y axis is scaled to the finite data.
//    `paretoFront(costs:qualities:higherIsBetter:)` gives the front's indices.
// 5. `groupedBars(title:categories:series:xTitle:yTitle:format:valueLabels:colors:size:)` — `[NamedValues]`.
// 6. `deltaHeatmap(title:rowLabels:columnLabels:deltas:xTitle:yTitle:colorBarTitle:format:size:)` —
//    diverging blue–white–red centred at zero, unchanged (0) and missing (nil) cells blank, signed values.
//
// Colour: `PrecisionColors(labels:)` (distinct colours for a report's labels) or `PrecisionColors.standard`
// (a pure function of the label's bit-width); `OkabeIto`; `ColorMap` (.viridis, .cividis, .diverging);
// `ColorScale`.
//
// Layout: `ChartLayout.draw(_:in:on:theme:)` draws a spec into any rectangle of any `Renderer` and returns
// a `ChartGeometry` (plot rect, bar rects, legend box). It measures every label with the renderer, picks
// nice ticks (`NiceTicks`; SI labels via `NumberFormat`), rotates or thins crowded category labels, makes
// room for value labels, keeps the legend off the data (inside an empty corner, else above the plot), and
// places scatter labels clear of marks (leaving out any that cannot be placed). `ChartTheme` sets fonts
// (DejaVu Sans by default) and sizes; `FigureSize` gives paper sizes (.oneColumn 3.5 in, .twoColumn 7 in).
//
// Samples: `ChartGallery.samples()` returns every chart kind with built-in data (`bitsweep gallery`).

/// How an axis maps data to positions.
public enum AxisScale: Sendable, Hashable {
    /// Linear, with nice ticks.
    case linear
    /// Base-10 logarithmic, decade ticks; all data must be > 0.
    case log
    /// Evenly spaced named slots (bars, heatmap cells). On the y axis the first category is at the top.
    case categories([String])
}

/// Which ticks an axis shows.
public enum TickRule: Sendable, Hashable {
    /// Nice numbers chosen from the data and the room available.
    case automatic
    /// Exactly these values (e.g. the measured image sizes), labelled with the axis format.
    case values([Double])
}

/// One axis: title, scale, domain, tick rule and label format.
public struct Axis: Sendable, Hashable {
    public var title: String?
    public var scale: AxisScale
    /// Fixed data range; nil to fit the data (linear axes are extended to whole tick steps).
    public var domain: ClosedRange<Double>?
    /// Linear axes only: make the fitted domain reach zero (bar charts).
    public var includesZero: Bool
    public var format: NumberFormat
    public var ticks: TickRule
    /// Light grid lines across the plot at each major tick.
    public var grid: Bool

    public init(title: String? = nil, scale: AxisScale = .linear, domain: ClosedRange<Double>? = nil,
                includesZero: Bool = false, format: NumberFormat = .plain, ticks: TickRule = .automatic,
                grid: Bool = false) {
        self.title = title; self.scale = scale; self.domain = domain; self.includesZero = includesZero
        self.format = format; self.ticks = ticks; self.grid = grid
    }

    public var categories: [String]? {
        if case let .categories(c) = scale { return c }
        return nil
    }
}

/// One stacked/grouped bar series: a value per category of the x axis.
public struct BarSeries: Sendable, Hashable {
    public var name: String
    public var color: Color
    public var values: [Double]
    /// Drawn as a light tint of `color` inside an outline of it (a mixed-precision group), not solid.
    public var outlined: Bool
    public init(name: String, color: Color, values: [Double], outlined: Bool = false) {
        self.name = name; self.color = color; self.values = values; self.outlined = outlined
    }

    /// The fill of an outlined bar: `color` mixed with white.
    public static func tint(_ color: Color) -> Color { Color.mix(color, .white, 0.6) }
}

/// Bars over the x axis's categories.
public struct BarMark: Sendable, Hashable {
    public enum Arrangement: Sendable, Hashable { case stacked, grouped }
    public enum ValueLabels: Sendable, Hashable {
        case none
        /// The stack total (stacked) or each bar's value (grouped), above the bar.
        case totals
    }
    public var series: [BarSeries]
    public var arrangement: Arrangement
    public var valueLabels: ValueLabels
    public var labelFormat: NumberFormat
    /// Grouped bars only: a zero value draws no bar and takes no place, the other bars of its category are
    /// centred (series that only some categories have, e.g. a stem and a classifier beside depthwise and
    /// pointwise layers; needed on a log axis, where zero has no place).
    public var skipsZeros: Bool
    public init(series: [BarSeries], arrangement: Arrangement, valueLabels: ValueLabels = .none, labelFormat: NumberFormat = .si,
                skipsZeros: Bool = false) {
        self.series = series; self.arrangement = arrangement; self.valueLabels = valueLabels; self.labelFormat = labelFormat
        self.skipsZeros = skipsZeros
    }
}

/// A data point on continuous axes.
public struct DataPoint: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A polyline through points, with optional markers.
public struct LineMark: Sendable, Hashable {
    public var name: String
    public var points: [DataPoint]
    public var color: Color
    public var width: Double
    public var dash: [Double]
    public var marker: MarkerShape?
    public init(name: String, points: [DataPoint], color: Color, width: Double = 1.25, dash: [Double] = [], marker: MarkerShape? = .circle) {
        self.name = name; self.points = points; self.color = color; self.width = width; self.dash = dash; self.marker = marker
    }
}

/// How a scatter marker is painted. Either way its colour is drawn at full strength, so that the colour means
/// what the legend says it means (a faded blue would read as a lighter blue, another precision's colour).
public enum MarkerFill: Sendable, Hashable {
    /// Filled with the point's colour (edged in white, or a darker tone of a light colour).
    case filled
    /// An outline in the point's colour around a white inside (cost–quality charts: a dominated case).
    case hollow
}

/// One scatter point.
public struct ScatterPoint: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public var color: Color
    public var marker: MarkerShape
    /// Filled, or hollow (an outline in `color`).
    public var fill: MarkerFill
    /// Marker radius in points.
    public var radius: Double
    /// Drawn next to the point when set. The layout tries eight positions around the point and leaves the
    /// label out when none is free of markers, lines and other labels (highlighted points are placed first).
    public var label: String?
    /// Draw a ring around the point (the highlighted case).
    public var highlighted: Bool
    public init(x: Double, y: Double, color: Color, marker: MarkerShape = .circle, fill: MarkerFill = .filled,
                radius: Double = 2.6, label: String? = nil, highlighted: Bool = false) {
        self.x = x; self.y = y; self.color = color; self.marker = marker; self.fill = fill; self.radius = radius
        self.label = label; self.highlighted = highlighted
    }
}

/// Scatter points.
public struct PointMark: Sendable, Hashable {
    public var points: [ScatterPoint]
    public init(points: [ScatterPoint]) { self.points = points }
}

/// Heatmap cells: `values[row][column]` over the y categories (rows, top to bottom) and x categories.
public struct CellMark: Sendable, Hashable {
    public var values: [[Double?]]
    public var colorScale: ColorScale
    /// Write each value inside its cell, in black or white for contrast.
    public var annotate: Bool
    public var format: NumberFormat
    /// Prefix positive annotations with "+" (delta heatmaps).
    public var signed: Bool
    /// Leave cells whose value is exactly zero blank (no fill, no text). Nil cells are always blank.
    public var blankZeros: Bool
    /// Cells drawn with a text of their own instead of a value (e.g. "exact" for an infinite SQNR):
    /// `notes[row][column]`, empty or shorter than the grid where there are none. A note's cell is filled
    /// with the note's colour whatever its value.
    public var notes: [[CellNote?]]
    public init(values: [[Double?]], colorScale: ColorScale, annotate: Bool = true, format: NumberFormat = .si,
                signed: Bool = false, blankZeros: Bool = false, notes: [[CellNote?]] = []) {
        self.values = values; self.colorScale = colorScale; self.annotate = annotate; self.format = format
        self.signed = signed; self.blankZeros = blankZeros; self.notes = notes
    }

    /// The note of cell (`row`, `column`), if any.
    public func note(_ row: Int, _ column: Int) -> CellNote? {
        row < notes.count && column < notes[row].count ? notes[row][column] : nil
    }
}

/// A heatmap cell shown as text on a fixed fill instead of a coloured value.
public struct CellNote: Sendable, Hashable {
    public var text: String
    public var fill: Color
    public init(text: String, fill: Color) { self.text = text; self.fill = fill }
}

/// A straight reference line across the plot at a data value (e.g. a budget).
public struct RuleMark: Sendable, Hashable {
    public enum Orientation: Sendable, Hashable {
        /// A vertical line at an x value.
        case vertical
        /// A horizontal line at a y value.
        case horizontal
    }
    public var orientation: Orientation
    public var value: Double
    public var color: Color
    public var width: Double
    public var dash: [Double]
    /// Written along the line, inside the plot, near its top (vertical) or right end (horizontal).
    public var label: String?
    public init(orientation: Orientation, value: Double, color: Color = .ink, width: Double = 1,
                dash: [Double] = [4, 2], label: String? = nil) {
        self.orientation = orientation; self.value = value; self.color = color; self.width = width
        self.dash = dash; self.label = label
    }
}

/// A shaded band in data coordinates; a nil bound reaches the edge of the plot.
public struct RegionMark: Sendable, Hashable {
    public var xFrom: Double?
    public var xTo: Double?
    public var yFrom: Double?
    public var yTo: Double?
    public var color: Color
    public init(xFrom: Double? = nil, xTo: Double? = nil, yFrom: Double? = nil, yTo: Double? = nil, color: Color) {
        self.xFrom = xFrom; self.xTo = xTo; self.yFrom = yFrom; self.yTo = yTo; self.color = color
    }
}

/// Something drawn in the plot area.
public enum Mark: Sendable, Hashable {
    case bars(BarMark)
    case line(LineMark)
    case points(PointMark)
    case cells(CellMark)
    case rule(RuleMark)
    case region(RegionMark)
}

/// One legend entry.
public struct LegendEntry: Sendable, Hashable {
    public enum Symbol: Sendable, Hashable {
        /// A filled square (bars, regions).
        case swatch
        /// A tinted square in an outline of the entry's colour (outlined bars).
        case outlinedSwatch
        /// A short line, with an optional marker in the middle.
        case line(marker: MarkerShape?, dash: [Double])
        /// A marker alone (scatter).
        case marker(MarkerShape)
        /// A hollow marker alone: an outline in the entry's colour (`MarkerFill.hollow`).
        case hollowMarker(MarkerShape)
    }
    public var label: String
    public var color: Color
    public var symbol: Symbol
    public init(label: String, color: Color, symbol: Symbol) { self.label = label; self.color = color; self.symbol = symbol }
}

/// The legend and where it goes. It never covers data: `.automatic` puts it inside the plot only in a
/// corner that no mark touches, and otherwise above the plot.
public struct Legend: Sendable, Hashable {
    public enum Placement: Sendable, Hashable {
        /// Inside an empty corner of the plot if one is free, else a row above the plot.
        case automatic
        /// Rows above the plot, below the title.
        case top
        /// A column right of the plot.
        case right
    }
    public var entries: [LegendEntry]
    public var placement: Placement
    public var title: String?
    public init(entries: [LegendEntry] = [], placement: Placement = .automatic, title: String? = nil) {
        self.entries = entries; self.placement = placement; self.title = title
    }
    public static let none = Legend()
}

/// A colour bar right of the plot explaining a heatmap's colours.
public struct ColorBar: Sendable, Hashable {
    public var title: String?
    public var scale: ColorScale
    public var format: NumberFormat
    public init(title: String?, scale: ColorScale, format: NumberFormat) { self.title = title; self.scale = scale; self.format = format }
}

/// A complete chart: everything needed to draw it, as plain values.
public struct ChartSpec: Sendable, Hashable {
    public var title: String?
    public var x: Axis
    public var y: Axis
    /// Drawn in order (first underneath).
    public var marks: [Mark]
    public var legend: Legend
    public var colorBar: ColorBar?
    /// The size the builder designed the chart for; renderers use it unless told otherwise.
    public var preferredSize: FigureSize
    public init(title: String? = nil, x: Axis, y: Axis, marks: [Mark], legend: Legend = .none,
                colorBar: ColorBar? = nil, preferredSize: FigureSize = .oneColumn) {
        self.title = title; self.x = x; self.y = y; self.marks = marks; self.legend = legend
        self.colorBar = colorBar; self.preferredSize = preferredSize
    }
}
