import Foundation

/// Where bars and their value labels go, for a given pair of scales.
struct BarGeometry: LayoutPart {
    let ctx: LayoutContext


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
                s.values.enumerated().filter { !bars.skipsZeros || $0.element != 0 }
                    .map { ValueLabel(category: $0.offset, series: si, value: $0.element, text: bars.labelFormat.string($0.element)) }
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
                let w = min(slot * 0.72, BarGeometry.maxBarWidth)
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
                let shown = bars.skipsZeros ? bars.series.filter { $0.values[i] != 0 } : bars.series
                // The group of the fullest category fills 80% of the slot (bars at most maxBarWidth); with
                // skipsZeros, the bars of a category with fewer values keep that width and are centred.
                let most = bars.skipsZeros ? (0..<n).map { c in bars.series.filter { $0.values[c] != 0 }.count }.max() ?? 1
                    : bars.series.count
                let w = min(slot * 0.8, BarGeometry.maxBarWidth * Double(max(1, most))) / Double(max(1, most))
                let group = w * Double(shown.count)
                for (k, s) in shown.enumerated() {
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
}
