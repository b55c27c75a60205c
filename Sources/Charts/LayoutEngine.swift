import Foundation

/// Lays one chart out and draws it: title, colour bar, legend placement, axes, marks — in that order. Each
/// concern is its own small type over the shared `LayoutContext`: `TextFit`, `AxesLayout`, `BarGeometry`,
/// `PlotObstacles`, `MarkPainter`, `LegendLayout`, `ColorBarPainter`.
struct LayoutEngine: LayoutPart {
    let ctx: LayoutContext


    func run(in rect: Rect) throws -> ChartGeometry {
        if let bg = theme.background { r.fill(.rect(rect), color: bg) }
        var frame = rect.insetBy(theme.padding)

        // Title: shrunk a little if needed, then wrapped onto up to three lines, then truncated.
        var titleDraw: [(String, Font, Point)] = []
        if let title = spec.title, !title.isEmpty {
            var font = theme.font(theme.titleSize, bold: true)
            let smallest = max(6, theme.titleSize - 1.5)
            while r.measure(title, font: font).width > frame.width && font.size > smallest { font.size -= 0.5 }
            let lines = text.wrapped(title, font: font, width: frame.width, maxLines: 3)
            var y = frame.minY
            for line in lines {
                titleDraw.append((line, font, Point(frame.midX, y)))
                y += r.measure(line, font: font).height
            }
            frame = Rect(minX: frame.minX, minY: y + 4, maxX: frame.maxX, maxY: frame.maxY)
        }

        // Colour bar column on the right.
        var colorBarInfo: ColorBarPainter.ColorBarLayout?
        if let cb = spec.colorBar {
            let l = try colorBar.colorBarLayout(cb)
            colorBarInfo = l
            frame.width -= l.width + 10
        }

        let hasLegend = !spec.legend.entries.isEmpty
        var placement = spec.legend.placement
        var legendSize = Size(width: 0, height: 0)
        var axesFrame = frame
        if hasLegend && placement == .right {
            legendSize = legend.legendColumnSize()
            axesFrame.width -= legendSize.width + 8
        }
        var axes = try axesLayout.layoutAxes(in: axesFrame)
        var boxes = obstacles.dataBoxes(axes)
        var legendBox: Rect?
        var inside = false
        if hasLegend && placement == .automatic {
            legendSize = legend.legendColumnSize()
            let plot = axes.plot.insetBy(3)
            let candidates = [
                Rect(x: plot.maxX - legendSize.width, y: plot.minY, width: legendSize.width, height: legendSize.height),
                Rect(x: plot.minX, y: plot.minY, width: legendSize.width, height: legendSize.height),
                Rect(x: plot.maxX - legendSize.width, y: plot.maxY - legendSize.height, width: legendSize.width, height: legendSize.height),
                Rect(x: plot.minX, y: plot.maxY - legendSize.height, width: legendSize.width, height: legendSize.height),
            ]
            if let free = candidates.first(where: { c in plot.contains(c, tolerance: 0.5) && !boxes.contains { $0.intersects(c.insetBy(-2)) } }) {
                legendBox = free; inside = true
            } else {
                placement = .top
            }
        }
        if hasLegend && placement == .top {
            let rows = legend.legendRows(maxWidth: frame.width)
            let h = Double(rows.count) * legend.legendRowHeight
            legendBox = Rect(x: frame.minX, y: frame.minY, width: frame.width, height: h)
            axesFrame = Rect(minX: frame.minX, minY: frame.minY + h + 4, maxX: frame.maxX, maxY: frame.maxY)
            axes = try axesLayout.layoutAxes(in: axesFrame)
            boxes = obstacles.dataBoxes(axes)
        } else if hasLegend && placement == .right {
            legendBox = Rect(x: axesFrame.maxX + 8, y: axes.plot.minY, width: legendSize.width, height: legendSize.height)
        }

        // Draw, bottom layer first.
        let geometry = painter.drawAxesAndMarks(axes)
        if !titleDraw.isEmpty {
            r.beginGroup("title")
            for (t, f, p) in titleDraw { r.drawText(t, anchoredAt: p, horizontal: 0.5, vertical: 0, font: f, color: theme.textColor) }
            r.endGroup()
        }
        if let box = legendBox {
            r.beginGroup("legend")
            if placement == .top { legend.drawLegendRows(in: box) } else { legend.drawLegendColumn(in: box, background: inside) }
            r.endGroup()
        }
        if let cb = colorBarInfo, let spec = spec.colorBar {
            r.beginGroup("colorbar")
            colorBar.drawColorBar(cb, spec: spec, plot: axes.plot, frameMaxX: frame.maxX + cb.width + 10)
            r.endGroup()
        }
        return ChartGeometry(plot: axes.plot, bars: geometry, legend: legendBox, legendInsidePlot: inside, dataBoxes: boxes)
    }
}
