import Foundation

/// What lies in the plot, as boxes: bars, markers, line samples, rules and the labels placed among them.
/// The legend inside the plot and every label placed there must avoid these.
struct PlotObstacles: LayoutPart {
    let ctx: LayoutContext


    func dataBoxes(_ axes: Axes) -> [Rect] {
        var out: [Rect] = []
        for mark in spec.marks {
            switch mark {
            case let .bars(b):
                let rects = barGeometry.barRects(b, axes)
                out += rects.map(\.rect)
                out += barGeometry.barLabelBoxes(b, axes, rects: rects).map(\.1)
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
            case let .bars(b): out += barGeometry.barRects(b, axes).map(\.rect)
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
}
