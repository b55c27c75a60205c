import Foundation

/// Sizes, fonts and neutral colours used when laying out a chart. `.paper` suits figures printed at their
/// real size (3.5 in or 7 in wide): 7 pt tick labels, 8 pt axis titles, 9 pt bold title.
public struct ChartTheme: Sendable, Hashable {
    /// Font family for every label (fontconfig name). DejaVu Sans unless the user names another.
    public var fontFamily: String
    public var titleSize: Double
    public var axisTitleSize: Double
    public var tickLabelSize: Double
    public var annotationSize: Double
    public var legendSize: Double
    public var textColor: Color
    public var axisColor: Color
    public var gridColor: Color
    public var axisWidth: Double
    public var tickLength: Double
    /// Blank space around the whole figure, points.
    public var padding: Double
    /// Filled behind the figure; nil leaves it transparent.
    public var background: Color?

    public init(fontFamily: String = Font.defaultFamily, titleSize: Double = 9, axisTitleSize: Double = 8,
                tickLabelSize: Double = 7, annotationSize: Double = 6.5, legendSize: Double = 7,
                textColor: Color = .ink, axisColor: Color = .grey(0.2), gridColor: Color = .grey(0.9),
                axisWidth: Double = 0.6, tickLength: Double = 3, padding: Double = 4, background: Color? = .white) {
        self.fontFamily = fontFamily; self.titleSize = titleSize; self.axisTitleSize = axisTitleSize
        self.tickLabelSize = tickLabelSize; self.annotationSize = annotationSize; self.legendSize = legendSize
        self.textColor = textColor; self.axisColor = axisColor; self.gridColor = gridColor
        self.axisWidth = axisWidth; self.tickLength = tickLength; self.padding = padding; self.background = background
    }
    /// The default theme for paper figures.
    public static let paper = ChartTheme()
    /// The paper theme with another font family (e.g. "Liberation Serif" to match a paper's body text).
    public static func paper(fontFamily: String) -> ChartTheme { ChartTheme(fontFamily: fontFamily) }

    func font(_ size: Double, bold: Bool = false) -> Font { Font(family: fontFamily, size: size, bold: bold) }
}

/// Where things ended up after layout (device points). Tests use it; reports may use `plot` to align text.
public struct ChartGeometry: Sendable {
    /// One drawn bar segment.
    public struct Bar: Sendable, Hashable {
        public var category: Int
        public var series: String
        public var value: Double
        public var rect: Rect
    }
    /// The plot area (inside the axes).
    public var plot: Rect
    public var bars: [Bar]
    /// The legend's box, when there is a legend.
    public var legend: Rect?
    /// True when the legend sits inside the plot area (in a corner free of data).
    public var legendInsidePlot: Bool
    /// Boxes of everything drawn in the plot from data (bars, markers, line samples, value labels).
    public var dataBoxes: [Rect]
}

/// Lays a `ChartSpec` out and draws it on a `Renderer`.
public enum ChartLayout {
    /// Draws `spec` inside `rect` (device points) on `renderer`.
    ///
    /// Layout measures every label with the renderer, reserves room for titles, tick labels, legend and
    /// colour bar, rotates or thins category labels that would collide, drops tick counts until axis labels
    /// do not overlap, and raises the y range so bar value labels fit.
    /// - Throws: `ChartError` for data a scale cannot show (≤ 0 on a log axis, NaN, mismatched lengths).
    @discardableResult
    public static func draw(_ spec: ChartSpec, in rect: Rect, on renderer: Renderer, theme: ChartTheme = .paper) throws -> ChartGeometry {
        try validate(spec)
        let engine = LayoutEngine(ctx: LayoutContext(spec: spec, r: renderer, theme: theme))
        return try engine.run(in: rect)
    }

    /// Checks a spec without drawing it (the same checks `draw` makes).
    public static func validate(_ spec: ChartSpec) throws {
        let xCats = spec.x.categories?.count, yCats = spec.y.categories?.count
        for mark in spec.marks {
            switch mark {
            case let .bars(b):
                guard let n = xCats else { throw ChartError.empty("bars need a categorical x axis") }
                for s in b.series {
                    if s.values.count != n { throw ChartError.lengthMismatch(what: "bar series \"\(s.name)\"", expected: n, got: s.values.count) }
                    if let bad = s.values.first(where: { !$0.isFinite }) { throw ChartError.nonFinite(what: "bar series \"\(s.name)\"", value: bad) }
                }
            case let .line(l):
                for p in l.points where !p.x.isFinite || !p.y.isFinite {
                    throw ChartError.nonFinite(what: "line \"\(l.name)\"", value: p.x.isFinite ? p.y : p.x)
                }
            case let .points(p):
                for q in p.points where !q.x.isFinite || !q.y.isFinite {
                    throw ChartError.nonFinite(what: "scatter points", value: q.x.isFinite ? q.y : q.x)
                }
            case let .cells(c):
                guard let rows = yCats, let cols = xCats else { throw ChartError.empty("cells need categorical x and y axes") }
                if c.values.count != rows { throw ChartError.lengthMismatch(what: "heatmap rows", expected: rows, got: c.values.count) }
                for (i, row) in c.values.enumerated() where row.count != cols {
                    throw ChartError.lengthMismatch(what: "heatmap row \(i)", expected: cols, got: row.count)
                }
                for (i, row) in c.notes.enumerated() where i >= rows || row.count > cols {
                    throw ChartError.lengthMismatch(what: "heatmap notes row \(i)", expected: cols, got: row.count)
                }
                if c.colorScale.logarithmic, let bad = c.values.joined().compactMap({ $0 }).first(where: { !($0 > 0) }) {
                    throw ChartError.nonPositiveOnLogScale(axis: "colour scale", value: bad)
                }
            case let .rule(r):
                if !r.value.isFinite { throw ChartError.nonFinite(what: "rule", value: r.value) }
            case .region:
                break
            }
        }
        for (axis, name) in [(spec.x, "x axis"), (spec.y, "y axis")] where axis.scale == .log {
            let values = continuousValues(spec, x: name == "x axis")
            if let bad = values.first(where: { !($0 > 0) }) {
                throw ChartError.nonPositiveOnLogScale(axis: axis.title.map { "\(name) (\($0))" } ?? name, value: bad)
            }
        }
    }

    /// The data values a continuous axis must show.
    static func continuousValues(_ spec: ChartSpec, x: Bool) -> [Double] {
        var v: [Double] = []
        for mark in spec.marks {
            switch mark {
            case let .bars(b) where !x:
                let n = b.series.first?.values.count ?? 0
                if b.arrangement == .stacked {
                    for i in 0..<n {
                        let vals = b.series.map { $0.values[i] }
                        v.append(vals.filter { $0 > 0 }.reduce(0, +))
                        let neg = vals.filter { $0 < 0 }.reduce(0, +)
                        if neg < 0 { v.append(neg) }
                    }
                } else {
                    for s in b.series { v.append(contentsOf: b.skipsZeros ? s.values.filter { $0 != 0 } : s.values) }
                }
            case let .line(l): v.append(contentsOf: l.points.map { x ? $0.x : $0.y })
            case let .points(p): v.append(contentsOf: p.points.map { x ? $0.x : $0.y })
            case let .rule(r) where (r.orientation == .vertical) == x: v.append(r.value)
            default: break
            }
        }
        return v
    }
}

/// Resolved ticks and mapping for one axis.
struct ScaleLayout {
    enum Kind { case linear, log, band(Int) }
    var kind: Kind
    var lo: Double
    var hi: Double
    var major: [Double]
    var minor: [Double]
    var labels: [String]
    /// Device coordinates of `lo` and `hi` (for bands: of slot 0's start and slot n's end).
    var a: Double = 0
    var b: Double = 1

    func map(_ v: Double) -> Double {
        switch kind {
        case .linear: return hi == lo ? (a + b) / 2 : a + (v - lo) / (hi - lo) * (b - a)
        case .log:
            let l0 = log10(lo), l1 = log10(hi)
            return l1 == l0 ? (a + b) / 2 : a + (log10(max(v, .leastNormalMagnitude)) - l0) / (l1 - l0) * (b - a)
        case let .band(n): return a + v / Double(max(1, n)) * (b - a)
        }
    }
    /// Fraction 0…1 of `v` along the axis.
    func fraction(_ v: Double) -> Double { b == a ? 0 : (map(v) - a) / (b - a) }
    var bandWidth: Double {
        if case let .band(n) = kind { return abs(b - a) / Double(max(1, n)) }
        return 0
    }
    var isBand: Bool { if case .band = kind { return true }; return false }
}

/// What every part of a chart's layout reads: the spec, the renderer (text metrics and drawing), the theme.
struct LayoutContext {
    let spec: ChartSpec
    let r: Renderer
    let theme: ChartTheme

    var barMark: BarMark? {
        for m in spec.marks { if case let .bars(b) = m { return b } }
        return nil
    }
    var cellMark: CellMark? {
        for m in spec.marks { if case let .cells(c) = m { return c } }
        return nil
    }
}

/// One concern of the layout (axes, bars, legend, …), reading the shared context by its short names.
protocol LayoutPart {
    var ctx: LayoutContext { get }
}

extension LayoutPart {
    var spec: ChartSpec { ctx.spec }
    var r: Renderer { ctx.r }
    var theme: ChartTheme { ctx.theme }
    var tickFont: Font { theme.font(theme.tickLabelSize) }
    var axisTitleFont: Font { theme.font(theme.axisTitleSize) }
    var annotationFont: Font { theme.font(theme.annotationSize) }
    var legendFont: Font { theme.font(theme.legendSize) }
    var barMark: BarMark? { ctx.barMark }
    var cellMark: CellMark? { ctx.cellMark }
    var isHeatmap: Bool { ctx.cellMark != nil }

    // The other parts, over the same context.
    var text: TextFit { TextFit(ctx: ctx) }
    var axesLayout: AxesLayout { AxesLayout(ctx: ctx) }
    var barGeometry: BarGeometry { BarGeometry(ctx: ctx) }
    var obstacles: PlotObstacles { PlotObstacles(ctx: ctx) }
    var painter: MarkPainter { MarkPainter(ctx: ctx) }
    var legend: LegendLayout { LegendLayout(ctx: ctx) }
    var colorBar: ColorBarPainter { ColorBarPainter(ctx: ctx) }
}
