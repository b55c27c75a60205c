import Foundation

/// The colour bar beside a heatmap: its ticks, its width, and drawing it.
struct ColorBarPainter: LayoutPart {
    let ctx: LayoutContext


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
            if s.lower < 0 && s.map == .diverging && cb.format != .log2Ratio {   // signed changes; not a plain value that dips below 0
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
