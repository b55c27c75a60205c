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
        let engine = LayoutEngine(spec: spec, renderer: renderer, theme: theme)
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
                    for s in b.series { v.append(contentsOf: s.values) }
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

final class LayoutEngine {
    let spec: ChartSpec
    let r: Renderer
    let theme: ChartTheme
    var tickFont: Font { theme.font(theme.tickLabelSize) }
    var axisTitleFont: Font { theme.font(theme.axisTitleSize) }
    var annotationFont: Font { theme.font(theme.annotationSize) }
    var legendFont: Font { theme.font(theme.legendSize) }

    init(spec: ChartSpec, renderer: Renderer, theme: ChartTheme) {
        self.spec = spec; self.r = renderer; self.theme = theme
    }

    var barMark: BarMark? {
        for m in spec.marks { if case let .bars(b) = m { return b } }
        return nil
    }
    var cellMark: CellMark? {
        for m in spec.marks { if case let .cells(c) = m { return c } }
        return nil
    }
    var isHeatmap: Bool { cellMark != nil }

    // MARK: Top-level flow

    func run(in rect: Rect) throws -> ChartGeometry {
        if let bg = theme.background { r.fill(.rect(rect), color: bg) }
        var frame = rect.insetBy(theme.padding)

        // Title: shrunk a little if needed, then wrapped onto up to three lines, then truncated.
        var titleDraw: [(String, Font, Point)] = []
        if let title = spec.title, !title.isEmpty {
            var font = theme.font(theme.titleSize, bold: true)
            let smallest = max(6, theme.titleSize - 1.5)
            while r.measure(title, font: font).width > frame.width && font.size > smallest { font.size -= 0.5 }
            let lines = wrapped(title, font: font, width: frame.width, maxLines: 3)
            var y = frame.minY
            for line in lines {
                titleDraw.append((line, font, Point(frame.midX, y)))
                y += r.measure(line, font: font).height
            }
            frame = Rect(minX: frame.minX, minY: y + 4, maxX: frame.maxX, maxY: frame.maxY)
        }

        // Colour bar column on the right.
        var colorBarInfo: ColorBarLayout?
        if let cb = spec.colorBar {
            let l = try colorBarLayout(cb)
            colorBarInfo = l
            frame.width -= l.width + 10
        }

        let hasLegend = !spec.legend.entries.isEmpty
        var placement = spec.legend.placement
        var legendSize = Size(width: 0, height: 0)
        var axesFrame = frame
        if hasLegend && placement == .right {
            legendSize = legendColumnSize()
            axesFrame.width -= legendSize.width + 8
        }
        var axes = try layoutAxes(in: axesFrame)
        var obstacles = dataBoxes(axes)
        var legendBox: Rect?
        var inside = false
        if hasLegend && placement == .automatic {
            legendSize = legendColumnSize()
            let plot = axes.plot.insetBy(3)
            let candidates = [
                Rect(x: plot.maxX - legendSize.width, y: plot.minY, width: legendSize.width, height: legendSize.height),
                Rect(x: plot.minX, y: plot.minY, width: legendSize.width, height: legendSize.height),
                Rect(x: plot.maxX - legendSize.width, y: plot.maxY - legendSize.height, width: legendSize.width, height: legendSize.height),
                Rect(x: plot.minX, y: plot.maxY - legendSize.height, width: legendSize.width, height: legendSize.height),
            ]
            if let free = candidates.first(where: { c in plot.contains(c, tolerance: 0.5) && !obstacles.contains { $0.intersects(c.insetBy(-2)) } }) {
                legendBox = free; inside = true
            } else {
                placement = .top
            }
        }
        if hasLegend && placement == .top {
            let rows = legendRows(maxWidth: frame.width)
            let h = Double(rows.count) * legendRowHeight
            legendBox = Rect(x: frame.minX, y: frame.minY, width: frame.width, height: h)
            axesFrame = Rect(minX: frame.minX, minY: frame.minY + h + 4, maxX: frame.maxX, maxY: frame.maxY)
            axes = try layoutAxes(in: axesFrame)
            obstacles = dataBoxes(axes)
        } else if hasLegend && placement == .right {
            legendBox = Rect(x: axesFrame.maxX + 8, y: axes.plot.minY, width: legendSize.width, height: legendSize.height)
        }

        // Draw, bottom layer first.
        let geometry = drawAxesAndMarks(axes)
        if !titleDraw.isEmpty {
            r.beginGroup("title")
            for (t, f, p) in titleDraw { r.drawText(t, anchoredAt: p, horizontal: 0.5, vertical: 0, font: f, color: theme.textColor) }
            r.endGroup()
        }
        if let box = legendBox {
            r.beginGroup("legend")
            if placement == .top { drawLegendRows(in: box) } else { drawLegendColumn(in: box, background: inside) }
            r.endGroup()
        }
        if let cb = colorBarInfo, let spec = spec.colorBar {
            r.beginGroup("colorbar")
            drawColorBar(cb, spec: spec, plot: axes.plot, frameMaxX: frame.maxX + cb.width + 10)
            r.endGroup()
        }
        return ChartGeometry(plot: axes.plot, bars: geometry, legend: legendBox, legendInsidePlot: inside, dataBoxes: obstacles)
    }

    /// `text` cut to fit `width`, ending in "…" when cut.
    func truncated(_ text: String, font: Font, width: Double) -> String {
        guard r.measure(text, font: font).width > width else { return text }
        var chars = Array(text)
        while !chars.isEmpty && r.measure(String(chars) + "…", font: font).width > width { chars.removeLast() }
        return String(chars).trimmingCharacters(in: .whitespaces) + "…"
    }

    /// Greedy word wrap to `width`, at most `maxLines` lines (the last one truncated if text remains).
    func wrapped(_ text: String, font: Font, width: Double, maxLines: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        let words = text.split(separator: " ").map(String.init)
        var i = 0
        while i < words.count {
            let candidate = line.isEmpty ? words[i] : line + " " + words[i]
            if line.isEmpty || r.measure(candidate, font: font).width <= width {
                line = candidate; i += 1
            } else {
                lines.append(line); line = ""
                if lines.count == maxLines - 1 { line = words[i...].joined(separator: " "); i = words.count }
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { truncated($0, font: font, width: width) }
    }

    // MARK: Axes layout

    struct Axes {
        var plot: Rect
        var x: ScaleLayout
        var y: ScaleLayout
        var xLabelOrientation: TextOrientation
        var xLabelEvery: Int
        var yLabelEvery: Int
        var barLabelOrientation: TextOrientation
    }

    func dataRange(x: Bool) -> (Double, Double)? {
        let v = ChartLayout.continuousValues(spec, x: x)
        guard let lo = v.min(), let hi = v.max() else { return nil }
        return (lo, hi)
    }

    /// Ticks and domain for one axis. `extraMin`/`extraMax` stretch a linear domain (room for bar value
    /// labels) without changing the ticks chosen for the data.
    func scale(for axis: Axis, x: Bool, length: Double, target: Int, extraMin: Double? = nil, extraMax: Double? = nil) throws -> ScaleLayout {
        let name = x ? "x axis" : "y axis"
        switch axis.scale {
        case let .categories(c):
            return ScaleLayout(kind: .band(c.count), lo: 0, hi: Double(c.count),
                               major: c.indices.map { Double($0) + 0.5 }, minor: [], labels: c)
        case .linear:
            guard var (lo, hi) = axis.domain.map({ ($0.lowerBound, $0.upperBound) }) ?? dataRange(x: x) else {
                throw ChartError.empty("\(name) has no data")
            }
            let stretched = extraMin != nil || extraMax != nil
            if let e = extraMax { hi = max(hi, e) }
            if let e = extraMin { lo = min(lo, e) }
            if let d = axis.domain, !stretched {
                if case let .values(vals) = axis.ticks, !vals.isEmpty {
                    // A fixed domain with fixed ticks (e.g. ticks for part of the domain only).
                    let sorted = vals.sorted()
                    let step = zip(sorted, sorted.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }.min() ?? 1
                    let inside = sorted.filter { $0 >= d.lowerBound && $0 <= d.upperBound }
                    return ScaleLayout(kind: .linear, lo: d.lowerBound, hi: d.upperBound, major: inside, minor: [],
                                       labels: axis.format.labels(for: inside, step: step))
                }
                let t = NiceTicks.linear(lower: d.lowerBound, upper: d.upperBound, targetCount: target)
                let inside = t.ticks.filter { $0 >= d.lowerBound - t.step * 1e-9 && $0 <= d.upperBound + t.step * 1e-9 }
                return ScaleLayout(kind: .linear, lo: d.lowerBound, hi: d.upperBound, major: inside, minor: [],
                                   labels: axis.format.labels(for: inside, step: t.step))
            }
            if axis.includesZero { lo = min(lo, 0); hi = max(hi, 0) }
            let padded = barMark == nil
            if padded {
                let span = hi - lo
                let pad = span > 0 ? span * 0.04 : max(abs(hi) * 0.1, 1e-12)
                if !(axis.includesZero && lo == 0) { lo -= pad }
                if !(axis.includesZero && hi == 0) { hi += pad }
            }
            if case let .values(vals) = axis.ticks, !vals.isEmpty {
                let sorted = vals.sorted()
                lo = min(lo, sorted.first!); hi = max(hi, sorted.last!)
                let step = zip(sorted, sorted.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }.min() ?? 1
                let inside = sorted.filter { $0 >= lo && $0 <= hi }
                return ScaleLayout(kind: .linear, lo: lo, hi: hi, major: inside, minor: [],
                                   labels: axis.format.labels(for: inside, step: step))
            }
            if stretched {
                // Room for value labels: ticks for the data, the domain stretched just enough.
                let base = dataRange(x: x).map { (min($0.0, axis.includesZero ? 0 : $0.0), max($0.1, axis.includesZero ? 0 : $0.1)) } ?? (lo, hi)
                let t = NiceTicks.linear(lower: base.0, upper: base.1, targetCount: target)
                let top = max(t.domain.upperBound, extraMax ?? -.infinity)
                let bottom = min(t.domain.lowerBound, extraMin ?? .infinity)
                let inside = t.ticks.filter { $0 <= top + t.step * 1e-9 && $0 >= bottom - t.step * 1e-9 }
                return ScaleLayout(kind: .linear, lo: bottom, hi: top, major: inside, minor: [],
                                   labels: axis.format.labels(for: inside, step: t.step))
            }
            let t = NiceTicks.linear(lower: lo, upper: hi, targetCount: target)
            if padded {
                // Lines and points: the padded data range, with the nice ticks that fall inside it.
                let inside = t.ticks.filter { $0 >= lo - t.step * 1e-9 && $0 <= hi + t.step * 1e-9 }
                if inside.count >= 2 {
                    return ScaleLayout(kind: .linear, lo: lo, hi: hi, major: inside, minor: [],
                                       labels: axis.format.labels(for: inside, step: t.step))
                }
            }
            return ScaleLayout(kind: .linear, lo: t.domain.lowerBound, hi: t.domain.upperBound, major: t.ticks, minor: [],
                               labels: axis.format.labels(for: t.ticks, step: t.step))
        case .log:
            let label = axis.title.map { "\(name) (\($0))" } ?? name
            guard var (lo, hi) = axis.domain.map({ ($0.lowerBound, $0.upperBound) }) ?? dataRange(x: x) else {
                throw ChartError.empty("\(name) has no data")
            }
            for v in [lo, hi] where !(v > 0) { throw ChartError.nonPositiveOnLogScale(axis: label, value: v) }
            if axis.domain == nil {
                if lo == hi { lo /= 2; hi *= 2 } else {
                    let span = log10(hi) - log10(lo)
                    lo = pow(10, log10(lo) - span * 0.05); hi = pow(10, log10(hi) + span * 0.05)
                }
            }
            if case let .values(vals) = axis.ticks, !vals.isEmpty {
                let inside = vals.sorted().filter { $0 > 0 }
                lo = min(lo, inside.first! / 1.05); hi = max(hi, inside.last! * 1.05)
                return ScaleLayout(kind: .log, lo: lo, hi: hi, major: inside, minor: [],
                                   labels: inside.map { axis.format.string($0) })
            }
            let t = try NiceTicks.log(lower: lo, upper: hi, maxCount: max(2, target + 1), axis: label)
            return ScaleLayout(kind: .log, lo: lo, hi: hi, major: t.ticks, minor: t.minor,
                               labels: t.ticks.map { axis.format.string($0) })
        }
    }

    /// Finds plot rect, ticks and label orientation for `frame`.
    func layoutAxes(in frame: Rect) throws -> Axes {
        let tickH = r.measure("0", font: tickFont).height
        let titleH = r.measure("Ag", font: axisTitleFont).height
        let tl = isHeatmap ? 0 : theme.tickLength
        let gap = 2.0
        var plotW = frame.width * 0.8, plotH = frame.height * 0.75
        var extraMin: Double?, extraMax: Double?
        var result: Axes?
        for _ in 0..<4 {
            // y axis.
            // The most ticks whose spacing stays at least three label heights.
            var ys = try scale(for: spec.y, x: false, length: plotH, target: 2, extraMin: extraMin, extraMax: extraMax)
            if !ys.isBand {
                for target in stride(from: 10, through: 3, by: -1) {
                    var candidate = try scale(for: spec.y, x: false, length: plotH, target: target, extraMin: extraMin, extraMax: extraMax)
                    candidate.a = 0; candidate.b = plotH
                    let positions = candidate.major.map { candidate.map($0) }
                    let spacing = zip(positions, positions.dropFirst()).map { abs($1 - $0) }.min() ?? .infinity
                    if spacing >= tickH * 3 { ys = candidate; break }
                }
            }
            var yEvery = 1
            if ys.isBand {
                let slot = plotH / Double(max(1, ys.labels.count))
                yEvery = max(1, Int((tickH + 1) / max(slot, 0.01)) + ((tickH + 1) > slot ? 1 : 0))
            }
            let yLabelW = ys.labels.map { r.measure($0, font: tickFont).width }.max() ?? 0
            var left = frame.minX + yLabelW + gap + tl
            if spec.y.title != nil { left += titleH + 3 }
            // Top: half a tick label above the top tick.
            let top = frame.minY + (ys.isBand ? 0 : tickH / 2)

            // x axis: pick tick count / orientation so labels do not overlap.
            var xTarget = max(2, min(10, Int(plotW / 45)))
            var xs = try scale(for: spec.x, x: true, length: plotW, target: xTarget)
            var orientation = TextOrientation.horizontal
            var xEvery = 1
            var right = frame.maxX
            while true {
                // Keep the last (continuous) label inside the frame.
                if !xs.isBand, let lastLabel = xs.labels.last, let lastTick = xs.major.last {
                    let hw = r.measure(lastLabel, font: tickFont).width / 2
                    var probe = xs; probe.a = 0; probe.b = 1
                    let f = probe.map(lastTick)
                    let avail = frame.maxX - left
                    let w = f > 0 ? min(avail, (avail - hw) / f) : avail
                    right = left + max(10, w)
                } else {
                    right = frame.maxX
                }
                xs.a = left; xs.b = right
                if xs.isBand {
                    let slot = xs.bandWidth
                    let maxW = xs.labels.map { r.measure($0, font: tickFont).width }.max() ?? 0
                    if maxW + 3 <= slot { orientation = .horizontal; xEvery = 1 } else {
                        orientation = .vertical
                        xEvery = max(1, Int(ceil((tickH + 1) / max(slot, 0.01))))
                    }
                    break
                }
                let boxes = zip(xs.major, xs.labels).map { (v, s) in
                    r.textBox(s, anchoredAt: Point(xs.map(v), 0), horizontal: 0.5, vertical: 0, font: tickFont)
                }
                let overlaps = zip(boxes, boxes.dropFirst()).contains { $0.maxX + 4 > $1.minX }
                if !overlaps { break }
                if case .values = spec.x.ticks {
                    // Thin explicit ticks: keep every other one.
                    xs.major = xs.major.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
                    xs.labels = xs.labels.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
                    continue
                }
                if xTarget <= 1 { break }
                xTarget -= 1
                xs = try scale(for: spec.x, x: true, length: plotW, target: xTarget)
            }
            var bottomExtent: Double
            if orientation == .horizontal {
                bottomExtent = tickH
            } else {
                bottomExtent = xs.labels.enumerated().filter { $0.offset % xEvery == 0 }
                    .map { r.measure($0.element, font: tickFont).width }.max() ?? 0
            }
            var bottom = frame.maxY - bottomExtent - gap - tl
            if spec.x.title != nil { bottom -= titleH + 3 }
            var ysFinal = ys
            ysFinal.a = ys.isBand ? top : bottom
            ysFinal.b = ys.isBand ? bottom : top
            plotW = right - left; plotH = bottom - top
            var barOrientation = TextOrientation.horizontal
            // Bar value labels: choose orientation and make sure the tallest fits under the top edge.
            if let bars = barMark, bars.valueLabels != .none, case .linear = ysFinal.kind {
                // Horizontal labels when none would touch a neighbour at the current scale, else vertical.
                let labels = barValueLabels(bars)
                var probe = Axes(plot: Rect(minX: left, minY: top, maxX: right, maxY: bottom), x: xs, y: ysFinal,
                                 xLabelOrientation: orientation, xLabelEvery: xEvery, yLabelEvery: yEvery,
                                 barLabelOrientation: .horizontal)
                let boxes = barLabelBoxes(bars, probe, rects: barRects(bars, probe)).map(\.1)
                let crowded = boxes.enumerated().contains { i, a in boxes[(i + 1)...].contains { $0.insetBy(-0.75).intersects(a) } }
                barOrientation = crowded ? .vertical : .horizontal
                probe.barLabelOrientation = barOrientation
                // Position from the bottom is H·(v − lo)/(hi − lo); a label of extent e above a bar of
                // value v > 0 fits when hi ≥ lo + (v − lo)·H/(H − e), and below a bar of v < 0 when
                // lo ≤ (v·H − e·hi)/(H − e).
                var needMax = ysFinal.hi, needMin = ysFinal.lo
                for l in labels where l.value != 0 {
                    let m = r.measure(l.text, font: annotationFont)
                    let ext = (barOrientation == .horizontal ? m.height : m.width) + 2
                    guard plotH - ext > 10 else { continue }
                    if l.value > 0 {
                        needMax = max(needMax, ysFinal.lo + (l.value - ysFinal.lo) * plotH / (plotH - ext))
                    } else {
                        needMin = min(needMin, (l.value * plotH - ext * ysFinal.hi) / (plotH - ext))
                    }
                }
                let tolerance = (ysFinal.hi - ysFinal.lo) * 0.002
                if needMax > ysFinal.hi + tolerance || needMin < ysFinal.lo - tolerance {
                    if needMax > ysFinal.hi + tolerance { extraMax = needMax }
                    if needMin < ysFinal.lo - tolerance { extraMin = needMin }
                    result = Axes(plot: Rect(minX: left, minY: top, maxX: right, maxY: bottom), x: xs, y: ysFinal,
                                  xLabelOrientation: orientation, xLabelEvery: xEvery, yLabelEvery: yEvery,
                                  barLabelOrientation: barOrientation)
                    continue
                }
            }
            result = Axes(plot: Rect(minX: left, minY: top, maxX: right, maxY: bottom), x: xs, y: ysFinal,
                          xLabelOrientation: orientation, xLabelEvery: xEvery, yLabelEvery: yEvery,
                          barLabelOrientation: barOrientation)
        }
        // Four passes settle every case seen; if not, the last layout is still a valid one.
        guard let result else { throw ChartError.empty("layout did not converge") }
        return result
    }

    // MARK: Bars

    /// Bars wider than this (points) look like blocks, not bars: few categories get narrower bars.
    static let maxBarWidth = 40.0

    struct ValueLabel { var category: Int; var series: Int?; var value: Double; var text: String }

    func barValueLabels(_ bars: BarMark) -> [ValueLabel] {
        let n = bars.series.first?.values.count ?? 0
        switch bars.arrangement {
        case .stacked:
            return (0..<n).map { i in
                let total = bars.series.map { $0.values[i] }.reduce(0, +)
                return ValueLabel(category: i, series: nil, value: total, text: bars.labelFormat.string(total))
            }
        case .grouped:
            return bars.series.enumerated().flatMap { (si, s) in
                s.values.enumerated().map { ValueLabel(category: $0.offset, series: si, value: $0.element, text: bars.labelFormat.string($0.element)) }
            }
        }
    }

    func barRects(_ bars: BarMark, _ axes: Axes) -> [ChartGeometry.Bar] {
        var out: [ChartGeometry.Bar] = []
        let n = bars.series.first?.values.count ?? 0
        let slot = axes.x.bandWidth
        let y = axes.y
        let base = y.map(max(y.lo, min(y.hi, 0))) // zero line (or the axis end when 0 is off-scale)
        for i in 0..<n {
            let x0 = axes.x.map(Double(i))
            switch bars.arrangement {
            case .stacked:
                let w = min(slot * 0.72, LayoutEngine.maxBarWidth)
                var pos = 0.0, neg = 0.0
                for s in bars.series {
                    let v = s.values[i]
                    if v == 0 { continue }
                    let from = v > 0 ? pos : neg
                    let to = from + v
                    if v > 0 { pos = to } else { neg = to }
                    let ya = from == 0 ? base : y.map(from), yb = y.map(to)
                    out.append(.init(category: i, series: s.name, value: v,
                                     rect: Rect(minX: x0 + (slot - w) / 2, minY: min(ya, yb), maxX: x0 + (slot + w) / 2, maxY: max(ya, yb))))
                }
            case .grouped:
                let group = min(slot * 0.8, LayoutEngine.maxBarWidth * Double(max(1, bars.series.count)))
                let w = group / Double(max(1, bars.series.count))
                for (k, s) in bars.series.enumerated() {
                    let v = s.values[i]
                    let yb = y.map(v)
                    let left = x0 + (slot - group) / 2 + Double(k) * w
                    out.append(.init(category: i, series: s.name, value: v,
                                     rect: Rect(minX: left + w * 0.04, minY: min(base, yb), maxX: left + w * 0.96, maxY: max(base, yb))))
                }
            }
        }
        return out
    }

    /// Value-label boxes (not drawn) for bars.
    func barLabelBoxes(_ bars: BarMark, _ axes: Axes, rects: [ChartGeometry.Bar]) -> [(String, Rect)] {
        guard bars.valueLabels != .none else { return [] }
        var out: [(String, Rect)] = []
        for l in barValueLabels(bars) {
            let cx: Double, topY: Double, bottomY: Double
            if let s = l.series {
                guard let b = rects.first(where: { $0.category == l.category && $0.series == bars.series[s].name }) else { continue }
                cx = b.rect.midX; topY = b.rect.minY; bottomY = b.rect.maxY
            } else {
                let mine = rects.filter { $0.category == l.category }
                let slot = axes.x.bandWidth
                cx = axes.x.map(Double(l.category)) + slot / 2
                topY = mine.map(\.rect.minY).min() ?? axes.y.map(0)
                bottomY = mine.map(\.rect.maxY).max() ?? axes.y.map(0)
            }
            let o = axes.barLabelOrientation
            let box = l.value >= 0
                ? r.textBox(l.text, anchoredAt: Point(cx, topY - 2), horizontal: 0.5, vertical: 1, font: annotationFont, orientation: o)
                : r.textBox(l.text, anchoredAt: Point(cx, bottomY + 2), horizontal: 0.5, vertical: 0, font: annotationFont, orientation: o)
            out.append((l.text, box))
        }
        return out
    }

    // MARK: Data boxes (for legend placement)

    func dataBoxes(_ axes: Axes) -> [Rect] {
        var out: [Rect] = []
        for mark in spec.marks {
            switch mark {
            case let .bars(b):
                let rects = barRects(b, axes)
                out += rects.map(\.rect)
                out += barLabelBoxes(b, axes, rects: rects).map(\.1)
            case let .line(l):
                out += lineSamples(l, axes)
            case let .points(p):
                for q in p.points {
                    let c = Point(axes.x.map(q.x), axes.y.map(q.y))
                    let rr = q.radius + (q.highlighted ? 3 : 1)
                    out.append(Rect(x: c.x - rr, y: c.y - rr, width: 2 * rr, height: 2 * rr))
                }
                out += pointLabels(p, axes).map(\.box)
            case let .cells(c):
                for (i, row) in c.values.enumerated() {
                    for (j, _) in row.enumerated() {
                        let x0 = axes.x.map(Double(j)), x1 = axes.x.map(Double(j + 1))
                        let y0 = axes.y.map(Double(i)), y1 = axes.y.map(Double(i + 1))
                        out.append(Rect(minX: min(x0, x1), minY: min(y0, y1), maxX: max(x0, x1), maxY: max(y0, y1)))
                    }
                }
            case let .rule(rule):
                if rule.orientation == .vertical {
                    let x = axes.x.map(rule.value)
                    out.append(Rect(minX: x - 1, minY: axes.plot.minY, maxX: x + 1, maxY: axes.plot.maxY))
                } else {
                    let y = axes.y.map(rule.value)
                    out.append(Rect(minX: axes.plot.minX, minY: y - 1, maxX: axes.plot.maxX, maxY: y + 1))
                }
                if let (_, box) = ruleLabelBox(rule, axes) { out.append(box) }
            case .region:
                break
            }
        }
        return out
    }

    /// Places the labels of scatter points: for each labelled point (highlighted ones first) the first of
    /// eight positions around it that stays in the plot and touches no marker, line, bar, rule or earlier
    /// label. A label with no free position is left out (a paper figure is better without it than with an
    /// unreadable pile).
    func pointLabels(_ p: PointMark, _ axes: Axes) -> [(text: String, box: Rect, backed: Bool)] {
        let labelled = p.points.filter { $0.label != nil }
        guard !labelled.isEmpty else { return [] }
        var obstacles = markBoxes(axes)
        for mark in spec.marks {
            if case let .rule(rule) = mark {
                if rule.orientation == .vertical {
                    let x = axes.x.map(rule.value)
                    obstacles.append(Rect(minX: x - 1, minY: axes.plot.minY, maxX: x + 1, maxY: axes.plot.maxY))
                } else {
                    let y = axes.y.map(rule.value)
                    obstacles.append(Rect(minX: axes.plot.minX, minY: y - 1, maxX: axes.plot.maxX, maxY: y + 1))
                }
            }
        }
        var placed: [(String, Rect, Bool)] = []
        let ordered = labelled.filter(\.highlighted) + labelled.filter { !$0.highlighted }
        for q in ordered {
            let label = q.label!
            let c = Point(axes.x.map(q.x), axes.y.map(q.y))
            let d = q.radius + (q.highlighted ? 3.5 : 1.5)
            // (anchor offset, horizontal anchor, vertical anchor): NE, SE, NW, SW, E, W, N, S.
            let spots: [(Double, Double, Double, Double)] = [
                (d, -d, 0, 1), (d, d, 0, 0), (-d, -d, 1, 1), (-d, d, 1, 0),
                (d + 1, 0, 0, 0.5), (-d - 1, 0, 1, 0.5), (0, -d - 1, 0.5, 1), (0, d + 1, 0.5, 0),
            ]
            var fallback: (box: Rect, hits: Int)?
            for (dx, dy, h, v) in spots {
                let box = r.textBox(label, anchoredAt: Point(c.x + dx, c.y + dy), horizontal: h, vertical: v, font: annotationFont)
                guard axes.plot.contains(box, tolerance: 0) else { continue }
                let hits = obstacles.filter { $0.intersects(box) }.count + placed.filter { $0.1.insetBy(-1).intersects(box) }.count
                if hits == 0 { fallback = nil; placed.append((label, box, false)); break }
                if fallback == nil || hits < fallback!.hits { fallback = (box, hits) }
            }
            // A highlighted point keeps its label even where every spot touches something (never over text).
            if q.highlighted, let f = fallback, !placed.contains(where: { $0.1.intersects(f.box) }) {
                placed.append((label, f.box, true))
            }
        }
        return placed
    }

    /// The rule's label box: beside the line, in whichever of its ends/sides collides with the fewest data
    /// marks (and stays inside the plot).
    func ruleLabelBox(_ rule: RuleMark, _ axes: Axes) -> (String, Rect)? {
        guard let label = rule.label else { return nil }
        let p = axes.plot
        var candidates: [Rect] = []
        if rule.orientation == .vertical {
            let x = axes.x.map(rule.value)
            for (y, v) in [(p.minY + 2, 0.0), (p.maxY - 2, 1.0)] {
                candidates.append(r.textBox(label, anchoredAt: Point(x - 3, y), horizontal: 1, vertical: v, font: annotationFont))
                candidates.append(r.textBox(label, anchoredAt: Point(x + 3, y), horizontal: 0, vertical: v, font: annotationFont))
            }
        } else {
            let y = axes.y.map(rule.value)
            for (x, h) in [(p.maxX - 2, 1.0), (p.minX + 2, 0.0)] {
                candidates.append(r.textBox(label, anchoredAt: Point(x, y - 2), horizontal: h, vertical: 1, font: annotationFont))
                candidates.append(r.textBox(label, anchoredAt: Point(x, y + 2), horizontal: h, vertical: 0, font: annotationFont))
            }
        }
        let inside = candidates.filter { p.contains($0, tolerance: 0.5) }
        let pool = inside.isEmpty ? candidates : inside
        // Data marks, and the other reference lines (a label across another rule is hard to read).
        var marks = markBoxes(axes)
        for case let .rule(other) in spec.marks where other != rule {
            if other.orientation == .vertical {
                let x = axes.x.map(other.value)
                marks.append(Rect(minX: x - 1, minY: p.minY, maxX: x + 1, maxY: p.maxY))
            } else {
                let y = axes.y.map(other.value)
                marks.append(Rect(minX: p.minX, minY: y - 1, maxX: p.maxX, maxY: y + 1))
            }
        }
        let best = pool.min { a, b in
            marks.filter { $0.intersects(a.insetBy(-1)) }.count < marks.filter { $0.intersects(b.insetBy(-1)) }.count
        }
        return best.map { (label, $0) }
    }

    /// Boxes of bars, markers and line samples only (what text placed in the plot must avoid).
    func markBoxes(_ axes: Axes) -> [Rect] {
        var out: [Rect] = []
        for mark in spec.marks {
            switch mark {
            case let .bars(b): out += barRects(b, axes).map(\.rect)
            case let .line(l): out += lineSamples(l, axes)
            case let .points(p):
                for q in p.points {
                    let c = Point(axes.x.map(q.x), axes.y.map(q.y))
                    let rr = q.radius + (q.highlighted ? 3 : 1)
                    out.append(Rect(x: c.x - rr, y: c.y - rr, width: 2 * rr, height: 2 * rr))
                }
            default: break
            }
        }
        return out
    }

    func lineSamples(_ l: LineMark, _ axes: Axes) -> [Rect] {
        var out: [Rect] = []
        let pts = l.points.map { Point(axes.x.map($0.x), axes.y.map($0.y)) }
        for (p, q) in zip(pts, pts.dropFirst()) {
            let len = hypot(q.x - p.x, q.y - p.y)
            let steps = max(1, Int(len / 2))
            for s in 0...steps {
                let t = Double(s) / Double(steps)
                out.append(Rect(x: p.x + (q.x - p.x) * t - 1.5, y: p.y + (q.y - p.y) * t - 1.5, width: 3, height: 3))
            }
        }
        out += pts.map { Rect(x: $0.x - 3.5, y: $0.y - 3.5, width: 7, height: 7) }
        return out
    }

    // MARK: Drawing

    func drawAxesAndMarks(_ axes: Axes) -> [ChartGeometry.Bar] {
        let plot = axes.plot
        var bars: [ChartGeometry.Bar] = []
        // Grid.
        r.beginGroup("grid")
        if spec.y.grid, !axes.y.isBand {
            for v in axes.y.major { let y = axes.y.map(v); r.stroke(.segment(Point(plot.minX, y), Point(plot.maxX, y)), style: StrokeStyle(color: theme.gridColor, width: 0.5)) }
        }
        if spec.x.grid, !axes.x.isBand {
            for v in axes.x.major { let x = axes.x.map(v); r.stroke(.segment(Point(x, plot.minY), Point(x, plot.maxY)), style: StrokeStyle(color: theme.gridColor, width: 0.5)) }
        }
        r.endGroup()

        r.pushClip(plot.insetBy(-6))
        for mark in spec.marks {
            switch mark {
            case let .region(reg):
                let x0 = reg.xFrom.map { axes.x.map($0) } ?? plot.minX, x1 = reg.xTo.map { axes.x.map($0) } ?? plot.maxX
                let y0 = reg.yFrom.map { axes.y.map($0) } ?? plot.maxY, y1 = reg.yTo.map { axes.y.map($0) } ?? plot.minY
                let rr = Rect(minX: max(plot.minX, min(x0, x1)), minY: max(plot.minY, min(y0, y1)),
                              maxX: min(plot.maxX, max(x0, x1)), maxY: min(plot.maxY, max(y0, y1)))
                if rr.width > 0 && rr.height > 0 { r.beginGroup("region"); r.fill(.rect(rr), color: reg.color); r.endGroup() }
            case let .cells(c):
                r.beginGroup("cells"); drawCells(c, axes); r.endGroup()
            case let .bars(b):
                r.beginGroup("bars")
                let rects = barRects(b, axes)
                bars += rects
                let colors = Dictionary(b.series.map { ($0.name, $0.color) }, uniquingKeysWith: { a, _ in a })
                for bar in rects { r.fill(.rect(bar.rect), color: colors[bar.series] ?? .grey(0.5)) }
                r.endGroup()
                if axes.y.lo < 0 && axes.y.hi > 0 {
                    let y0 = axes.y.map(0)
                    r.stroke(.segment(Point(plot.minX, y0), Point(plot.maxX, y0)), style: StrokeStyle(color: theme.axisColor, width: theme.axisWidth))
                }
                r.beginGroup("bar-labels")
                for (text, box) in barLabelBoxes(b, axes, rects: rects) {
                    r.drawText(text, anchoredAt: Point(box.midX, box.midY), horizontal: 0.5, vertical: 0.5, font: annotationFont,
                               color: theme.textColor, orientation: axes.barLabelOrientation)
                }
                r.endGroup()
            case let .line(l):
                r.beginGroup("line")
                let pts = l.points.map { Point(axes.x.map($0.x), axes.y.map($0.y)) }
                if pts.count > 1 { r.stroke(.polyline(pts), style: StrokeStyle(color: l.color, width: l.width, dash: l.dash)) }
                if let m = l.marker {
                    for p in pts {
                        r.fill(m.path(at: p, radius: 2.6), color: l.color)
                        r.stroke(m.path(at: p, radius: 2.6), style: StrokeStyle(color: markerEdge(l.color), width: 0.5))
                    }
                }
                r.endGroup()
            case let .rule(rule):
                r.beginGroup("rule")
                let style = StrokeStyle(color: rule.color, width: rule.width, dash: rule.dash)
                if rule.orientation == .vertical {
                    let x = axes.x.map(rule.value)
                    r.stroke(.segment(Point(x, plot.minY), Point(x, plot.maxY)), style: style)
                } else {
                    let y = axes.y.map(rule.value)
                    r.stroke(.segment(Point(plot.minX, y), Point(plot.maxX, y)), style: style)
                }
                if let (text, box) = ruleLabelBox(rule, axes) {
                    r.fill(.rect(box.insetBy(-1)), color: Color.white.withAlpha(0.8))
                    r.drawText(text, anchoredAt: Point(box.minX, box.minY), horizontal: 0, vertical: 0, font: annotationFont, color: rule.color)
                }
                r.endGroup()
            case let .points(p):
                r.beginGroup("points")
                // Grey (dominated) points first so coloured ones sit on top.
                let ordered = p.points.enumerated().sorted { a, b in
                    let ga = a.element.highlighted ? 2 : (a.element.color.alpha < 1 || a.element.color == OkabeIto.grey ? 0 : 1)
                    let gb = b.element.highlighted ? 2 : (b.element.color.alpha < 1 || b.element.color == OkabeIto.grey ? 0 : 1)
                    return ga != gb ? ga < gb : a.offset < b.offset
                }.map(\.element)
                for q in ordered {
                    let c = Point(axes.x.map(q.x), axes.y.map(q.y))
                    r.fill(q.marker.path(at: c, radius: q.radius), color: q.color)
                    r.stroke(q.marker.path(at: c, radius: q.radius), style: StrokeStyle(color: markerEdge(q.color), width: 0.4))
                    if q.highlighted {
                        r.stroke(.circle(center: c, radius: q.radius + 2.2), style: StrokeStyle(color: theme.textColor, width: 0.9))
                    }
                }
                for (label, box, backed) in pointLabels(p, axes) {
                    // A label that had to go over lines gets a light backing so it stays readable.
                    if backed { r.fill(.rect(box.insetBy(-1)), color: Color.white.withAlpha(0.85)) }
                    r.drawText(label, anchoredAt: Point(box.minX, box.minY), horizontal: 0, vertical: 0, font: annotationFont, color: theme.textColor)
                }
                r.endGroup()
            }
        }
        r.popClip()

        drawAxis(axes)
        return bars
    }

    /// Marker outline: white separates overlapping markers; light colours (Okabe–Ito yellow) get a darker
    /// edge of their own hue instead, or they vanish on white paper.
    func markerEdge(_ c: Color) -> Color {
        c.relativeLuminance > 0.5 ? Color.mix(c, .black, 0.45) : .white
    }

    func drawCells(_ c: CellMark, _ axes: Axes) {
        // Pick one annotation size that fits every cell, or none.
        var font = annotationFont
        let cellW = axes.x.bandWidth, cellH = axes.y.bandWidth
        var texts: [[String?]] = c.values.enumerated().map { (i, row) in
            row.enumerated().map { (j, v) in
                if let n = c.note(i, j) { return n.text }
                guard let v, !(c.blankZeros && v == 0) else { return nil }
                let s = c.format.string(v)
                return c.signed && v > 0 ? "+" + s : s
            }
        }
        if c.annotate {
            let all = texts.joined().compactMap { $0 }
            while font.size > 5, all.contains(where: { r.measure($0, font: font).width > cellW - 3 || r.measure($0, font: font).height > cellH - 1 }) {
                font.size -= 0.5
            }
            if all.contains(where: { r.measure($0, font: font).width > cellW - 2 || r.measure($0, font: font).height > cellH }) {
                texts = texts.map { $0.map { _ in nil } }
            }
        }
        // With blank cells, a faint frame shows the grid's extent.
        if c.values.enumerated().contains(where: { (i, row) in
            row.enumerated().contains { (j, v) in c.note(i, j) == nil && (v == nil || (c.blankZeros && v == 0)) }
        }) {
            r.stroke(.rect(axes.plot), style: StrokeStyle(color: .grey(0.8), width: 0.4))
        }
        for (i, row) in c.values.enumerated() {
            for (j, v) in row.enumerated() {
                let note = c.note(i, j)
                if note == nil { guard let v, !(c.blankZeros && v == 0) else { continue } }
                let x0 = axes.x.map(Double(j)), x1 = axes.x.map(Double(j + 1))
                let y0 = axes.y.map(Double(i)), y1 = axes.y.map(Double(i + 1))
                let cell = Rect(minX: min(x0, x1), minY: min(y0, y1), maxX: max(x0, x1), maxY: max(y0, y1)).insetBy(0.5)
                let color = note?.fill ?? c.colorScale.color(for: v!)
                r.fill(.rect(cell), color: color)
                if c.annotate, let t = texts[i][j] {
                    r.drawText(t, anchoredAt: Point(cell.midX, cell.midY), horizontal: 0.5, vertical: 0.5, font: font, color: color.contrastingText)
                }
            }
        }
    }

    func drawAxis(_ axes: Axes) {
        let plot = axes.plot
        let tl = isHeatmap ? 0 : theme.tickLength
        let axisStyle = StrokeStyle(color: theme.axisColor, width: theme.axisWidth)
        r.beginGroup("axes")
        if !isHeatmap {
            r.stroke(.polyline([Point(plot.minX, plot.minY), Point(plot.minX, plot.maxY), Point(plot.maxX, plot.maxY)]), style: axisStyle)
        }
        r.endGroup()

        // x ticks and labels.
        r.beginGroup("x-ticks")
        for (k, (v, label)) in zip(axes.x.major, axes.x.labels).enumerated() {
            let x = axes.x.isBand ? axes.x.map(v) : axes.x.map(v)
            if !axes.x.isBand { r.stroke(.segment(Point(x, plot.maxY), Point(x, plot.maxY + tl)), style: axisStyle) }
            guard k % axes.xLabelEvery == 0 else { continue }
            if axes.xLabelOrientation == .horizontal {
                r.drawText(label, anchoredAt: Point(x, plot.maxY + tl + 2), horizontal: 0.5, vertical: 0, font: tickFont, color: theme.textColor)
            } else {
                r.drawText(label, anchoredAt: Point(x, plot.maxY + tl + 2), horizontal: 0.5, vertical: 0, font: tickFont, color: theme.textColor, orientation: .vertical)
            }
        }
        if !axes.x.isBand {
            for v in axes.x.minor { let x = axes.x.map(v); r.stroke(.segment(Point(x, plot.maxY), Point(x, plot.maxY + tl * 0.6)), style: axisStyle) }
        }
        r.endGroup()

        // y ticks and labels.
        r.beginGroup("y-ticks")
        for (k, (v, label)) in zip(axes.y.major, axes.y.labels).enumerated() {
            let y = axes.y.map(v)
            if !axes.y.isBand { r.stroke(.segment(Point(plot.minX - tl, y), Point(plot.minX, y)), style: axisStyle) }
            guard k % axes.yLabelEvery == 0 else { continue }
            r.drawText(label, anchoredAt: Point(plot.minX - tl - 2, y), horizontal: 1, vertical: 0.5, font: tickFont, color: theme.textColor)
        }
        if !axes.y.isBand {
            for v in axes.y.minor { let y = axes.y.map(v); r.stroke(.segment(Point(plot.minX - tl * 0.6, y), Point(plot.minX, y)), style: axisStyle) }
        }
        r.endGroup()

        // Axis titles.
        r.beginGroup("axis-titles")
        let tickH = r.measure("0", font: tickFont).height
        if let t = spec.x.title {
            var labelsExtent = tickH
            if axes.xLabelOrientation == .vertical {
                labelsExtent = axes.x.labels.enumerated().filter { $0.offset % axes.xLabelEvery == 0 }.map { r.measure($0.element, font: tickFont).width }.max() ?? 0
            }
            var font = axisTitleFont
            while r.measure(t, font: font).width > plot.width + 40 && font.size > 5.5 { font.size -= 0.5 }
            let t = truncated(t, font: font, width: plot.width + 40)
            r.drawText(t, anchoredAt: Point(plot.midX, plot.maxY + tl + 2 + labelsExtent + 3), horizontal: 0.5, vertical: 0, font: font, color: theme.textColor)
        }
        if let t = spec.y.title {
            let labelW = axes.y.labels.map { r.measure($0, font: tickFont).width }.max() ?? 0
            var font = axisTitleFont
            while r.measure(t, font: font).width > plot.height + 20 && font.size > 5.5 { font.size -= 0.5 }
            let t = truncated(t, font: font, width: plot.height + 20)
            r.drawText(t, anchoredAt: Point(plot.minX - tl - 2 - labelW - 3, plot.midY), horizontal: 1, vertical: 0.5, font: font,
                       color: theme.textColor, orientation: .vertical)
        }
        r.endGroup()
    }

    // MARK: Legend

    var legendRowHeight: Double { max(r.measure("Ag", font: legendFont).height, 7) + 2 }
    func symbolWidth(_ e: LegendEntry) -> Double {
        if case .line = e.symbol { return 14 }
        return 7
    }
    func entryWidth(_ e: LegendEntry) -> Double { symbolWidth(e) + 3 + r.measure(e.label, font: legendFont).width }

    func legendColumnSize() -> Size {
        var w = spec.legend.entries.map(entryWidth).max() ?? 0
        var h = Double(spec.legend.entries.count) * legendRowHeight
        if let t = spec.legend.title { w = max(w, r.measure(t, font: legendFont.withBold()).width); h += legendRowHeight }
        return Size(width: w + 6, height: h + 4)
    }

    /// Entries grouped into rows no wider than `maxWidth`.
    func legendRows(maxWidth: Double) -> [[LegendEntry]] {
        var rows: [[LegendEntry]] = [[]]
        var used = 0.0
        if let t = spec.legend.title { used = r.measure(t, font: legendFont.withBold()).width + 8 }
        for e in spec.legend.entries {
            let w = entryWidth(e) + 10
            if used + w > maxWidth && !rows[rows.count - 1].isEmpty { rows.append([]); used = 0 }
            rows[rows.count - 1].append(e); used += w
        }
        return rows
    }

    func drawSymbol(_ e: LegendEntry, at x: Double, midY: Double) {
        switch e.symbol {
        case .swatch:
            r.fill(.rect(Rect(x: x, y: midY - 3.5, width: 7, height: 7)), color: e.color)
        case let .line(marker, dash):
            r.stroke(.segment(Point(x, midY), Point(x + 14, midY)), style: StrokeStyle(color: e.color, width: 1.25, dash: dash))
            if let m = marker {
                r.fill(m.path(at: Point(x + 7, midY), radius: 2.4), color: e.color)
                if e.color.relativeLuminance > 0.5 { r.stroke(m.path(at: Point(x + 7, midY), radius: 2.4), style: StrokeStyle(color: markerEdge(e.color), width: 0.5)) }
            }
        case let .marker(m):
            r.fill(m.path(at: Point(x + 3.5, midY), radius: 2.6), color: e.color)
            if e.color.relativeLuminance > 0.5 { r.stroke(m.path(at: Point(x + 3.5, midY), radius: 2.6), style: StrokeStyle(color: markerEdge(e.color), width: 0.5)) }
        }
    }

    func drawLegendRows(in box: Rect) {
        let rows = legendRows(maxWidth: box.width)
        for (ri, row) in rows.enumerated() {
            var total = row.map { entryWidth($0) }.reduce(0, +) + Double(max(0, row.count - 1)) * 10
            var titleW = 0.0
            if ri == 0, let t = spec.legend.title { titleW = r.measure(t, font: legendFont.withBold()).width + 8; total += titleW }
            var x = box.midX - total / 2
            let midY = box.minY + (Double(ri) + 0.5) * legendRowHeight
            if ri == 0, let t = spec.legend.title {
                r.drawText(t, anchoredAt: Point(x, midY), horizontal: 0, vertical: 0.5, font: legendFont.withBold(), color: theme.textColor)
                x += titleW
            }
            for e in row {
                drawSymbol(e, at: x, midY: midY)
                r.drawText(e.label, anchoredAt: Point(x + symbolWidth(e) + 3, midY), horizontal: 0, vertical: 0.5, font: legendFont, color: theme.textColor)
                x += entryWidth(e) + 10
            }
        }
    }

    func drawLegendColumn(in box: Rect, background: Bool) {
        if background {
            r.fill(.rect(box), color: Color.white.withAlpha(0.85))
            r.stroke(.rect(box), style: StrokeStyle(color: .grey(0.8), width: 0.4))
        }
        var y = box.minY + 2
        if let t = spec.legend.title {
            r.drawText(t, anchoredAt: Point(box.minX + 3, y + legendRowHeight / 2), horizontal: 0, vertical: 0.5, font: legendFont.withBold(), color: theme.textColor)
            y += legendRowHeight
        }
        for e in spec.legend.entries {
            let midY = y + legendRowHeight / 2
            drawSymbol(e, at: box.minX + 3, midY: midY)
            r.drawText(e.label, anchoredAt: Point(box.minX + 3 + symbolWidth(e) + 3, midY), horizontal: 0, vertical: 0.5, font: legendFont, color: theme.textColor)
            y += legendRowHeight
        }
    }

    // MARK: Colour bar

    struct ColorBarLayout {
        var width: Double
        var ticks: [Double]
        var labels: [String]
        var labelWidth: Double
    }

    func colorBarLayout(_ cb: ColorBar) throws -> ColorBarLayout {
        let s = cb.scale
        var ticks: [Double]
        var labels: [String]
        if s.logarithmic {
            ticks = try NiceTicks.log(lower: s.lower, upper: s.upper, maxCount: 6, axis: "colour bar").ticks
            labels = ticks.map { cb.format.string($0) }
        } else {
            let t = NiceTicks.linear(lower: s.lower, upper: s.upper, targetCount: 4)
            ticks = t.ticks.filter { $0 >= s.lower - t.step * 1e-9 && $0 <= s.upper + t.step * 1e-9 }
            labels = cb.format.labels(for: ticks, step: t.step)
            if s.lower < 0 && s.map == .diverging {   // signed changes; not a plain value that dips below 0
                labels = zip(ticks, labels).map { $0 > 0 ? "+" + $1 : $1 }
            }
        }
        if ticks.count < 2 && s.upper > s.lower {
            ticks = [s.lower, s.upper]; labels = ticks.map { cb.format.string($0) }
        }
        let lw = labels.map { r.measure($0, font: tickFont).width }.max() ?? 0
        var width = 8 + 2 + 2 + lw
        if cb.title != nil { width += 4 + r.measure("Ag", font: axisTitleFont).height }
        return ColorBarLayout(width: width, ticks: ticks, labels: labels, labelWidth: lw)
    }

    func drawColorBar(_ l: ColorBarLayout, spec cb: ColorBar, plot: Rect, frameMaxX: Double) {
        let x = frameMaxX - l.width
        let bar = Rect(x: x, y: plot.minY, width: 8, height: plot.height)
        // Each band is painted from its own bottom to the top of the bar, so the next band covers it: no
        // anti-aliasing seams between bands in any viewer.
        let n = 64
        for i in 0..<n {
            let t0 = Double(i) / Double(n), t1 = Double(i + 1) / Double(n)
            let y0 = bar.maxY - t0 * bar.height
            r.fill(.rect(Rect(minX: bar.minX, minY: bar.minY, maxX: bar.maxX, maxY: y0)), color: cb.scale.map.color(at: (t0 + t1) / 2))
        }
        r.stroke(.rect(bar), style: StrokeStyle(color: theme.axisColor, width: 0.4))
        let style = StrokeStyle(color: theme.axisColor, width: theme.axisWidth)
        var lastBox: Rect?
        for (v, s) in zip(l.ticks, l.labels) {
            let y = bar.maxY - cb.scale.fraction(v) * bar.height
            r.stroke(.segment(Point(bar.maxX, y), Point(bar.maxX + 2, y)), style: style)
            let box = r.textBox(s, anchoredAt: Point(bar.maxX + 4, y), horizontal: 0, vertical: 0.5, font: tickFont)
            if let lb = lastBox, lb.insetBy(-0.5).intersects(box) { continue }
            r.drawText(s, anchoredAt: Point(bar.maxX + 4, y), horizontal: 0, vertical: 0.5, font: tickFont, color: theme.textColor)
            lastBox = box
        }
        if let t = cb.title {
            var font = axisTitleFont
            while r.measure(t, font: font).width > plot.height + 10 && font.size > 5.5 { font.size -= 0.5 }
            r.drawText(t, anchoredAt: Point(bar.maxX + 4 + l.labelWidth + 4, plot.midY), horizontal: 0, vertical: 0.5, font: font,
                       color: theme.textColor, orientation: .vertical)
        }
    }
}
