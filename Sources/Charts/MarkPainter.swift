import Foundation

/// Draws the grid, the marks (cells, bars, lines, rules, points, regions) and the axes.
struct MarkPainter: LayoutPart {
    let ctx: LayoutContext


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
                let rects = barGeometry.barRects(b, axes)
                bars += rects
                let series = Dictionary(b.series.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
                for bar in rects {
                    guard let s = series[bar.series] else { r.fill(.rect(bar.rect), color: .grey(0.5)); continue }
                    if s.outlined {
                        r.fill(.rect(bar.rect), color: BarSeries.tint(s.color))
                        if bar.rect.width > 1, bar.rect.height > 1 {
                            r.stroke(.rect(bar.rect.insetBy(0.5)), style: StrokeStyle(color: s.color, width: 1))
                        }
                    } else {
                        r.fill(.rect(bar.rect), color: s.color)
                    }
                }
                r.endGroup()
                if axes.y.lo < 0 && axes.y.hi > 0 {
                    let y0 = axes.y.map(0)
                    r.stroke(.segment(Point(plot.minX, y0), Point(plot.maxX, y0)), style: StrokeStyle(color: theme.axisColor, width: theme.axisWidth))
                }
                r.beginGroup("bar-labels")
                for (text, box) in barGeometry.barLabelBoxes(b, axes, rects: rects) {
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
                if let (text, box) = obstacles.ruleLabelBox(rule, axes) {
                    r.fill(.rect(box.insetBy(-1)), color: Color.white.withAlpha(0.8))
                    r.drawText(text, anchoredAt: Point(box.minX, box.minY), horizontal: 0, vertical: 0, font: annotationFont, color: rule.color)
                }
                r.endGroup()
            case let .points(p):
                r.beginGroup("points")
                // Hollow (dominated), faded and grey points first so filled coloured ones sit on top.
                func layer(_ q: ScatterPoint) -> Int {
                    q.highlighted ? 2 : (q.fill == .hollow || q.color.alpha < 1 || q.color == OkabeIto.grey ? 0 : 1)
                }
                let ordered = p.points.enumerated().sorted { a, b in
                    let ga = layer(a.element), gb = layer(b.element)
                    return ga != gb ? ga < gb : a.offset < b.offset
                }.map(\.element)
                for q in ordered {
                    let c = Point(axes.x.map(q.x), axes.y.map(q.y))
                    drawMarker(q.marker, fill: q.fill, at: c, radius: q.radius, color: q.color, edgeAlways: true)
                    if q.highlighted {
                        r.stroke(.circle(center: c, radius: q.radius + 2.2), style: StrokeStyle(color: theme.textColor, width: 0.9))
                    }
                }
                for (label, box, backed) in obstacles.pointLabels(p, axes) {
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

    /// Width of a hollow marker's outline, points.
    static let hollowWidth = 1.1

    /// One marker, in the plot or the legend. Filled: `color` inside an edge (`markerEdge`; in the legend
    /// only for light colours, `edgeAlways` false). Hollow: white inside an outline of `color` at full
    /// strength, drawn just inside the filled marker's outline (so both kinds have the same size); a light
    /// colour's outline gets a thin darker rim outside it, as its filled marker gets a darker edge.
    func drawMarker(_ shape: MarkerShape, fill: MarkerFill, at c: Point, radius: Double, color: Color, edgeAlways: Bool) {
        switch fill {
        case .filled:
            r.fill(shape.path(at: c, radius: radius), color: color)
            if edgeAlways || color.relativeLuminance > 0.5 {
                r.stroke(shape.path(at: c, radius: radius), style: StrokeStyle(color: markerEdge(color), width: edgeAlways ? 0.4 : 0.5))
            }
        case .hollow:
            let w = Self.hollowWidth
            let ring = shape.path(at: c, radius: max(radius - w / 2, w))
            r.fill(ring, color: .white)
            r.stroke(ring, style: StrokeStyle(color: color, width: w))
            if color.relativeLuminance > 0.5 {
                r.stroke(shape.path(at: c, radius: radius + 0.2), style: StrokeStyle(color: markerEdge(color), width: 0.4))
            }
        }
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
            let t = text.truncated(t, font: font, width: plot.width + 40)
            r.drawText(t, anchoredAt: Point(plot.midX, plot.maxY + tl + 2 + labelsExtent + 3), horizontal: 0.5, vertical: 0, font: font, color: theme.textColor)
        }
        if let t = spec.y.title {
            let labelW = axes.y.labels.map { r.measure($0, font: tickFont).width }.max() ?? 0
            var font = axisTitleFont
            while r.measure(t, font: font).width > plot.height + 20 && font.size > 5.5 { font.size -= 0.5 }
            let t = text.truncated(t, font: font, width: plot.height + 20)
            r.drawText(t, anchoredAt: Point(plot.minX - tl - 2 - labelW - 3, plot.midY), horizontal: 1, vertical: 0.5, font: font,
                       color: theme.textColor, orientation: .vertical)
        }
        r.endGroup()
    }
}
