import Foundation

/// The legend: its size as a column or as rows, and drawing it.
struct LegendLayout: LayoutPart {
    let ctx: LayoutContext


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
        case .outlinedSwatch:
            let box = Rect(x: x, y: midY - 3.5, width: 7, height: 7)
            r.fill(.rect(box), color: BarSeries.tint(e.color))
            r.stroke(.rect(box.insetBy(0.5)), style: StrokeStyle(color: e.color, width: 1))
        case let .line(marker, dash):
            r.stroke(.segment(Point(x, midY), Point(x + 14, midY)), style: StrokeStyle(color: e.color, width: 1.25, dash: dash))
            if let m = marker {
                r.fill(m.path(at: Point(x + 7, midY), radius: 2.4), color: e.color)
                if e.color.relativeLuminance > 0.5 { r.stroke(m.path(at: Point(x + 7, midY), radius: 2.4), style: StrokeStyle(color: painter.markerEdge(e.color), width: 0.5)) }
            }
        case let .marker(m):
            painter.drawMarker(m, fill: .filled, at: Point(x + 3.5, midY), radius: 2.6, color: e.color, edgeAlways: false)
        case let .hollowMarker(m):
            painter.drawMarker(m, fill: .hollow, at: Point(x + 3.5, midY), radius: 2.6, color: e.color, edgeAlways: false)
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
}
