import Foundation

/// The laid-out axes: the plot rectangle, both scales, and how their labels are written.
struct Axes {
    var plot: Rect
    var x: ScaleLayout
    var y: ScaleLayout
    var xLabelOrientation: TextOrientation
    var xLabelEvery: Int
    var yLabelEvery: Int
    var barLabelOrientation: TextOrientation
}

/// The plot rectangle, both scales, their ticks and label orientation for a frame: a fixed point of "tick
/// labels take room" and "the room left decides the ticks".
struct AxesLayout: LayoutPart {
    let ctx: LayoutContext



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

    /// What one pass of the layout assumes: the plot's size (which decides how many ticks fit) and how far bar
    /// value labels stretch the y domain. A pass computes these again from the layout it finds.
    struct Assumptions: Equatable {
        var plotW: Double
        var plotH: Double
        var extraMin: Double? = nil
        var extraMax: Double? = nil

        /// A pass that found `next` under these assumptions has settled (sizes within 0.01 pt).
        func settle(_ next: Assumptions) -> Bool {
            abs(plotW - next.plotW) < 0.01 && abs(plotH - next.plotH) < 0.01
                && extraMin == next.extraMin && extraMax == next.extraMax
        }
    }

    /// Passes before the layout gives up. Every chart seen settles in at most four (the first pass starts from a
    /// guess, the second from the real plot size, bar value labels may take one or two more).
    static let maxPasses = 8

    /// Finds plot rect, ticks and label orientation for `frame`: passes until one finds what it assumed.
    /// - Throws: `ChartError.empty` when no fixed point is reached in `maxPasses` passes.
    func layoutAxes(in frame: Rect) throws -> Axes { try settledAxes(in: frame).axes }

    /// `layoutAxes`, with the number of passes it took.
    func settledAxes(in frame: Rect) throws -> (axes: Axes, passes: Int) {
        var assumed = Assumptions(plotW: frame.width * 0.8, plotH: frame.height * 0.75)
        for n in 1...Self.maxPasses {
            let (axes, found) = try pass(in: frame, assuming: assumed)
            if assumed.settle(found) { return (axes, n) }
            assumed = found
        }
        throw ChartError.empty("layout did not converge in \(Self.maxPasses) passes (plot \(assumed.plotW)×\(assumed.plotH) pt)")
    }

    /// One pass: the axes laid out under `a`, and what that layout implies for the next pass.
    func pass(in frame: Rect, assuming a: Assumptions) throws -> (Axes, Assumptions) {
        let tickH = r.measure("0", font: tickFont).height
        let titleH = r.measure("Ag", font: axisTitleFont).height
        let tl = isHeatmap ? 0 : theme.tickLength
        let gap = 2.0
        var plotW = a.plotW, plotH = a.plotH
        var extraMin = a.extraMin, extraMax = a.extraMax
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
            let labels = barGeometry.barValueLabels(bars)
            var probe = Axes(plot: Rect(minX: left, minY: top, maxX: right, maxY: bottom), x: xs, y: ysFinal,
                             xLabelOrientation: orientation, xLabelEvery: xEvery, yLabelEvery: yEvery,
                             barLabelOrientation: .horizontal)
            let boxes = barGeometry.barLabelBoxes(bars, probe, rects: barGeometry.barRects(bars, probe)).map(\.1)
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
                let axes = Axes(plot: Rect(minX: left, minY: top, maxX: right, maxY: bottom), x: xs, y: ysFinal,
                                xLabelOrientation: orientation, xLabelEvery: xEvery, yLabelEvery: yEvery,
                                barLabelOrientation: barOrientation)
                return (axes, Assumptions(plotW: plotW, plotH: plotH, extraMin: extraMin, extraMax: extraMax))
            }
        }
        let axes = Axes(plot: Rect(minX: left, minY: top, maxX: right, maxY: bottom), x: xs, y: ysFinal,
                        xLabelOrientation: orientation, xLabelEvery: xEvery, yLabelEvery: yEvery,
                        barLabelOrientation: barOrientation)
        return (axes, Assumptions(plotW: plotW, plotH: plotH, extraMin: extraMin, extraMax: extraMax))
    }
}
