import BitOpsCore
import Foundation
import Testing
@testable import Charts

/// The cost–quality chart's fronts (one step line per network shape), the mixed-precision style, and the
/// layer-wise chart's log scale.
struct ParetoAndLayerScaleTests {
    static func lines(_ spec: ChartSpec) -> [LineMark] { spec.marks.compactMap { if case let .line(l) = $0 { return l } else { return nil } } }
    static func points(_ spec: ChartSpec) throws -> [ScatterPoint] {
        let pm = spec.marks.compactMap { if case let .points(p) = $0 { return p } else { return nil } }
        return try #require(pm.first).points
    }

    @Test func theFrontIsAStepLineWithoutDiagonals() {
        let step = ChartKinds.stepLine([DataPoint(1, 1), DataPoint(2, 3), DataPoint(4, 5)])
        #expect(step == [DataPoint(1, 1), DataPoint(2, 1), DataPoint(2, 3), DataPoint(4, 3), DataPoint(4, 5)])
        // Every segment is horizontal or vertical.
        for (a, b) in zip(step, step.dropFirst()) { #expect(a.x == b.x || a.y == b.y) }
        // Two cases at one cost: no zero-length step.
        #expect(ChartKinds.stepLine([DataPoint(1, 1), DataPoint(1, 2)]) == [DataPoint(1, 1), DataPoint(1, 2)])
        #expect(ChartKinds.stepLine([]).isEmpty)
    }

    /// Shape B's cases are better everywhere; on one front for all, A's cases would all be dominated. Each
    /// shape has its own front: A's two non-dominated cases stay on A's.
    @Test func eachNetworkShapeHasItsOwnFront() throws {
        let pts = [
            CostQualityPoint(label: "a1", cost: 1e6, quality: 10, group: "8", shape: "3 blocks"),
            CostQualityPoint(label: "a2", cost: 4e6, quality: 20, group: "8", shape: "3 blocks"),
            CostQualityPoint(label: "a3", cost: 5e6, quality: 15, group: "4", shape: "3 blocks"),
            CostQualityPoint(label: "b1", cost: 5e5, quality: 30, group: "8", shape: "5 blocks"),
            CostQualityPoint(label: "b2", cost: 2e6, quality: 40, group: "4", shape: "5 blocks"),
        ]
        let fronts = ChartKinds.paretoFronts(pts)
        #expect(fronts.map(\.shape) == ["3 blocks", "5 blocks"])
        #expect(fronts.map(\.indices) == [[0, 1], [3, 4]])
        #expect(ChartKinds.paretoFront(costs: pts.map(\.cost), qualities: pts.map(\.quality)) == [3, 4])   // one front for all

        let colors = PrecisionColors(groups: [("8", .bits(8)), ("4", .bits(4))])
        let spec = try ChartKinds.costQuality(title: nil, points: pts, colors: colors)
        let lines = Self.lines(spec)
        #expect(lines.map(\.name) == ["front: 3 blocks", "front: 5 blocks"])
        #expect(lines[0].points == [DataPoint(1e6, 10), DataPoint(4e6, 10), DataPoint(4e6, 20)])
        #expect(lines[0].dash != lines[1].dash)
        #expect(spec.legend.entries.contains { $0.label == "front: 5 blocks" && $0.symbol == .line(marker: nil, dash: lines[1].dash) })
        // On a front: filled; dominated (a3): hollow, in its colour at full strength.
        let p = try Self.points(spec)
        #expect(p[0].color == OkabeIto.blue && p[4].color == OkabeIto.orange)
        #expect(p[2].color == OkabeIto.orange && p.map(\.fill) == [.filled, .filled, .hollow, .filled, .filled])
        #expect(spec.legend.entries.contains { $0.label == ChartKinds.onAFrontLabel })
        // Without shapes: one front, named as before.
        let plain = try ChartKinds.costQuality(title: nil, points: pts.map { var q = $0; q.shape = nil; return q }, colors: colors)
        #expect(Self.lines(plain).map(\.name) == ["Pareto front"])
    }

    @Test func mixedPrecisionHasItsOwnStyleAndLegendEntry() throws {
        let colors = PrecisionColors(groups: [("8", .bits(8)), ("first-last(8,2)", nil), ("8,4,2", nil)])
        #expect(colors.isMixed("first-last(8,2)") && colors.isMixed("8,4,2") && !colors.isMixed("8"))
        #expect(!PrecisionColors(labels: ["w4a4"]).isMixed("w4a4") && !PrecisionColors.standard.isMixed("x"))
        let pts = [
            CostQualityPoint(label: "u", cost: 1e6, quality: 10, group: "8"),
            CostQualityPoint(label: "m", cost: 2e6, quality: 5, group: "first-last(8,2)"),   // dominated
        ]
        let spec = try ChartKinds.costQuality(title: nil, points: pts, colors: colors)
        let p = try Self.points(spec)
        #expect(p[0].marker == .circle && p[1].marker == .square)
        // Coloured although dominated (hollow, not grey), and in the legend with its square.
        let mixedColor = colors.color(for: "first-last(8,2)")
        #expect(p[1].color == mixedColor && p[1].fill == .hollow && mixedColor != colors.color(for: "8"))
        #expect(spec.legend.entries.contains { $0.label == "first-last(8,2)" && $0.symbol == .marker(.square) && $0.color == mixedColor })
        // Lines: dashed for mixed precision.
        let size = try ChartKinds.totalVersusSize(title: nil, series: [
            LineSeries(label: "8", points: [(32, 1e6), (64, 4e6)]), LineSeries(label: "8,4,2", points: [(32, 5e5), (64, 2e6)]),
        ], colors: colors)
        let l = Self.lines(size)
        #expect(l[0].dash.isEmpty && !l[1].dash.isEmpty)
        #expect(size.legend.entries[1].symbol == .line(marker: l[1].marker, dash: l[1].dash))
    }

    /// Bars of a mixed-precision group are outlined (a tint inside their colour), in the chart and the legend.
    @Test func mixedPrecisionBarsAreOutlined() throws {
        let colors = PrecisionColors(groups: [("8", .bits(8)), ("first-last(8,2)", nil)])
        let spec = try ChartKinds.groupedBars(title: nil, categories: ["3", "4"], series: [
            NamedValues(name: "8", values: [16, 54]), NamedValues(name: "first-last(8,2)", values: [10, 40]),
        ], colors: colors)
        guard case let .bars(b) = spec.marks[0] else { Issue.record("no bars"); return }
        #expect(b.series.map(\.outlined) == [false, true])
        #expect(spec.legend.entries.map(\.symbol) == [.swatch, .outlinedSwatch])
        let (r, _, _) = try record(spec)
        let mixed = colors.color(for: "first-last(8,2)")
        let fills = r.filledRects(inGroup: "bars").map(\.color)
        #expect(fills.filter { $0 == BarSeries.tint(mixed) }.count == 2 && fills.filter { $0 == OkabeIto.blue }.count == 2)
        #expect(!fills.contains(mixed))
        #expect(r.overlappingTexts().isEmpty)
    }

    static let layers = [
        LayerBitOpsBar(label: "stem", stem: 2e5),
        LayerBitOpsBar(label: "B1", depthwise: 1e4, pointwise: 1e6),
        LayerBitOpsBar(label: "B2", depthwise: 2e4, pointwise: 4e6),
        LayerBitOpsBar(label: "FC", classifier: 1e3),
    ]

    /// On a linear axis the classifier (1e3 of 5.2e6 BitOps) is a sliver under a pixel; on the log axis every
    /// layer kind has its own bar, at least a decade tall, on a log scale (height ∝ log of the value).
    @Test func theLogScaleKeepsSliversVisible() throws {
        let linear = try record(try ChartKinds.layerwiseBitOps(title: nil, layers: Self.layers, scale: .linear, size: .oneColumn))
        let fcLinear = try #require(linear.1.bars.first { $0.series == "classifier" })
        #expect(fcLinear.rect.height < 0.5)

        let spec = try ChartKinds.layerwiseBitOps(title: nil, layers: Self.layers, scale: .log, size: .oneColumn)
        #expect(spec.y.scale == .log && spec.y.domain?.lowerBound == 100)   // the decade below the smallest bar
        let (r, g, _) = try record(spec)
        #expect(r.overlappingTexts().isEmpty)
        #expect(g.bars.count == 6)   // no bar for the zeros: stem and FC have one each, blocks two
        let fc = try #require(g.bars.first { $0.series == "classifier" })
        let pw2 = try #require(g.bars.first { $0.series == "pointwise" && $0.category == 2 })
        #expect(fc.rect.height > g.plot.height * 0.1)
        // Heights from the axis bottom (100) go with log10(value / 100): 1e3 → 1, 4e6 → 4.6.
        let ratio = pw2.rect.height / fc.rect.height
        #expect(abs(ratio - log10(4e6 / 100) / log10(1e3 / 100)) < 1e-6)
        // A category's bars are centred in it: the stem's single bar sits in the middle of its slot.
        let stem = try #require(g.bars.first { $0.series == "stem" })
        let b1 = g.bars.filter { $0.category == 1 }
        #expect(abs(stem.rect.width - b1[0].rect.width) < 1e-9)
        let slot = (b1.map(\.rect.maxX).max()! + b1.map(\.rect.minX).min()!) / 2 - stem.rect.midX   // one slot apart
        #expect(slot > 0)
        for b in g.bars { #expect(g.plot.contains(b.rect, tolerance: 0.01)) }
    }

    /// The legend never covers a bar, at the sizes a report page gives a chart (half a page wide, and down to
    /// 80% of its height where a page is nearly full).
    @Test func theLegendKeepsOffTheBarsOnALogAxis() throws {
        let layers = [
            LayerBitOpsBar(label: "B0", depthwise: 8.8e5, pointwise: 3.1e6), LayerBitOpsBar(label: "B1", depthwise: 2.4e6, pointwise: 1.7e7),
            LayerBitOpsBar(label: "B2", depthwise: 4.7e6, pointwise: 6.7e7), LayerBitOpsBar(label: "B3", depthwise: 2.4e6, pointwise: 6.7e7),
            LayerBitOpsBar(label: "FC", classifier: 8.2e4),
        ]
        let spec = try ChartKinds.layerwiseBitOps(title: "BitOps per block — case 5: seed n=4 s=32 w=float a=float", layers: layers, scale: .log, size: .oneColumn)
        for (w, h) in [(234.5, 174.0), (234.5, 150.0), (234.5, 140.0), (252.0, 189.0), (483.0, 200.0)] {
            let (r, g, _) = try record(spec, size: .custom(width: w, height: h))
            let legend = try #require(g.legend)
            for b in g.bars { #expect(!b.rect.intersects(legend), "\(w)×\(h): the legend covers \(b.series) of \(b.category)") }
            #expect(r.overlappingTexts().isEmpty)
        }
    }

    @Test func shareScaleIsAPercentageOfTheTotal() throws {
        let spec = try ChartKinds.layerwiseBitOps(title: nil, layers: Self.layers, scale: .share)
        guard case let .bars(b) = spec.marks[0] else { Issue.record("no bars"); return }
        let total = b.series.flatMap(\.values).reduce(0, +)
        #expect(abs(total - 1) < 1e-12 && b.arrangement == .stacked && spec.y.format == .percent)
    }

    @Test func aNegativeValueOnTheLogScaleIsAnError() {
        #expect(throws: ChartError.self) {
            try ChartKinds.layerwiseBitOps(title: nil, layers: [LayerBitOpsBar(label: "x", depthwise: -1, pointwise: 5)], scale: .log)
        }
    }
}
