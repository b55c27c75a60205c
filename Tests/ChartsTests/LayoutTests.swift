import BitOpsCore
import Foundation
import Testing
@testable import Charts

/// Draws `spec` on a recording renderer at `size`.
@discardableResult
func record(_ spec: ChartSpec, size: FigureSize? = nil) throws -> (RecordingRenderer, ChartGeometry, Rect) {
    let r = RecordingRenderer()
    let s = (size ?? spec.preferredSize).points
    let rect = Rect(x: 0, y: 0, width: s.width, height: s.height)
    let g = try ChartLayout.draw(spec, in: rect, on: r)
    return (r, g, rect)
}

struct LayoutTests {
    /// The gallery's sample names, fixed here: if the gallery threw or lost a sample, `everySampleIsDrawn`
    /// fails, instead of this parameterised test quietly running zero cases.
    static let galleryNames = ["1-layerwise-bitops", "1-layerwise-shares", "1-layerwise-log", "2-total-vs-size", "3-heatmap-bitops",
                               "3-heatmap-fidelity", "4-cost-quality", "5-grouped-bars", "6-delta-heatmap"]

    @Test func theGalleryHasExactlyTheseSamples() throws {
        #expect(try ChartGallery.samples().map(\.name) == Self.galleryNames)
    }

    @Test(arguments: galleryNames)
    func galleryChartsHaveNoOverlappingOrClippedText(name: String) throws {
        let sample = try #require(try ChartGallery.samples().first { $0.name == name })
        for size in [FigureSize.oneColumn, .twoColumn, .custom(width: 300, height: 300)] {
            let (r, g, rect) = try record(sample.spec, size: size)
            #expect(r.overlappingTexts().isEmpty, "\(name) at \(size): overlapping labels \(r.overlappingTexts())")
            for t in r.texts {
                #expect(rect.contains(t.box, tolerance: 0.01), "\(name) at \(size): \"\(t.text)\" leaves the figure: \(t.box)")
            }
            if let legend = g.legend, g.legendInsidePlot {
                #expect(!g.dataBoxes.contains { $0.intersects(legend) }, "\(name): legend covers data")
            }
            #expect(g.plot.width > rect.width * 0.4 && g.plot.height > rect.height * 0.35, "\(name) at \(size): plot too small \(g.plot)")
        }
    }

    @Test func stackedBarHeightsAreProportionalToValues() throws {
        let layers = [
            LayerBitOpsBar(label: "stem", stem: 3e8), LayerBitOpsBar(label: "b1", depthwise: 2e7, pointwise: 1.6e9),
            LayerBitOpsBar(label: "b2", depthwise: 1e7, pointwise: 8e8), LayerBitOpsBar(label: "fc", classifier: 6.5e7),
        ]
        let spec = try ChartKinds.layerwiseBitOps(title: "t", layers: layers)
        let (r, g, _) = try record(spec)
        let drawn = r.filledRects(inGroup: "bars")
        #expect(drawn.count == 6)
        let perUnit = drawn[0].rect.height / 3e8
        let heights = g.bars.map(\.rect.height)
        let values = g.bars.map(\.value)
        #expect(values.sorted() == [1e7, 2e7, 6.5e7, 3e8, 8e8, 1.6e9].sorted())
        for (h, v) in zip(heights, values) { #expect(abs(h / v - perUnit) < perUnit * 1e-9) }
        // Segments of one stack touch: depthwise sits directly on pointwise's base.
        let b1 = g.bars.filter { $0.category == 1 }
        #expect(b1.count == 2)
        let dw = try #require(b1.first { $0.series == "depthwise" }), pw = try #require(b1.first { $0.series == "pointwise" })
        #expect(abs(dw.rect.minY - pw.rect.maxY) < 1e-9)
        // Value labels sit above their bars, inside the plot.
        let labels = r.texts.filter { $0.group == "bar-labels" }
        #expect(labels.map(\.text) == ["300 M", "1.62 G", "810 M", "65 M"])
        for l in labels { #expect(l.box.minY >= g.plot.minY - 0.01) }
    }

    @Test func groupedBarHeightsAreProportionalAndNegativeBarsHangDown() throws {
        let spec = try ChartKinds.groupedBars(title: nil, categories: ["a", "b", "c"],
                                              series: [NamedValues(name: "x", values: [10, 20, -5]), NamedValues(name: "y", values: [40, 0, 15])],
                                              format: .plain)
        let (_, g, _) = try record(spec)
        let nonzero = g.bars.filter { $0.value != 0 }
        let perUnit = nonzero[0].rect.height / abs(nonzero[0].value)
        for b in nonzero { #expect(abs(b.rect.height / abs(b.value) - perUnit) < perUnit * 1e-9) }
        let neg = try #require(g.bars.first { $0.value < 0 }), pos = try #require(g.bars.first { $0.value == 10 })
        #expect(abs(neg.rect.minY - pos.rect.maxY) < 1e-9, "negative bar should start at the zero line")
    }

    @Test func manyCategoriesRotateOrThinTheirLabels() throws {
        let cats = (1...60).map { "block-\($0)" }
        let spec = try ChartKinds.groupedBars(title: "many", categories: cats, series: [NamedValues(name: "v", values: cats.indices.map { Double($0 + 1) * 1e12 })])
        for size in [FigureSize.oneColumn, .twoColumn] {
            let (r, _, rect) = try record(spec, size: size)
            #expect(r.overlappingTexts().isEmpty, "\(r.overlappingTexts().prefix(3))")
            #expect(r.texts.allSatisfy { rect.contains($0.box, tolerance: 0.01) })
            #expect(r.texts.contains { $0.text.hasPrefix("block-") })
        }
    }

    @Test(arguments: [1e0, 1e3, 1e6, 1e9, 1e12, 1e15])
    func barsAtEveryMagnitudeLayOutCleanly(scale: Double) throws {
        let spec = try ChartKinds.groupedBars(title: "scale \(scale)", categories: ["a", "b", "c", "d"],
                                              series: [NamedValues(name: "v", values: [0.7, 3.3, 9.9, 1.2].map { $0 * scale }),
                                                       NamedValues(name: "w", values: [0, 2, 8, 5].map { $0 * scale })],
                                              valueLabels: true)
        let (r, _, rect) = try record(spec)
        #expect(r.overlappingTexts().isEmpty, "\(r.overlappingTexts())")
        #expect(r.texts.allSatisfy { rect.contains($0.box, tolerance: 0.01) })
    }

    @Test func logAxesRefuseNonPositiveData() throws {
        #expect(throws: ChartError.nonPositiveOnLogScale(axis: "y axis (Total BitOps)", value: 0)) {
            try ChartKinds.totalVersusSize(title: nil, series: [LineSeries(label: "w8a8", points: [(96, 1e9), (128, 0)])])
        }
        #expect(throws: ChartError.self) {
            try ChartKinds.totalVersusSize(title: nil, series: [LineSeries(label: "w8a8", points: [(-96, 1e9), (128, 2e9)])])
        }
        #expect(throws: ChartError.self) {
            try ChartKinds.costQuality(title: nil, points: [CostQualityPoint(label: "a", cost: 0, quality: 1)])
        }
        #expect(throws: ChartError.self) {
            try ChartKinds.heatmap(title: nil, rowLabels: ["r"], columnLabels: ["a", "b"], values: [[1, -1]], logColor: true)
        }
        // A hand-built spec is checked when drawn.
        let spec = ChartSpec(x: Axis(scale: .linear), y: Axis(scale: .log),
                             marks: [.line(LineMark(name: "l", points: [DataPoint(1, 5), DataPoint(2, -3)], color: .black))])
        #expect(throws: ChartError.self) { try record(spec) }
        // The same data on linear axes is fine, negative values included.
        var linear = spec; linear.y.scale = .linear
        let (r, _, _) = try record(linear)
        #expect(r.texts.contains { $0.text.hasPrefix("−") })
    }

    @Test func mismatchedLengthsAreReported() {
        #expect(throws: ChartError.lengthMismatch(what: "bar series \"v\"", expected: 2, got: 3)) {
            try ChartKinds.groupedBars(title: nil, categories: ["a", "b"], series: [NamedValues(name: "v", values: [1, 2, 3])])
        }
        #expect(throws: ChartError.lengthMismatch(what: "heatmap row 1", expected: 2, got: 1)) {
            try ChartKinds.heatmap(title: nil, rowLabels: ["r", "s"], columnLabels: ["a", "b"], values: [[1, 2], [3]])
        }
    }

    @Test func heatmapCellsUseContrastingTextAndLeaveNilBlank() throws {
        let values: [[Double?]] = [[1e6, 1e7, nil], [1e8, 1e9, 1e10]]
        let spec = try ChartKinds.heatmap(title: "h", rowLabels: ["a", "b"], columnLabels: ["x", "y", "z"], values: values)
        let (r, _, _) = try record(spec)
        let cells = r.filledRects(inGroup: "cells")
        #expect(cells.count == 5)
        let texts = r.texts.filter { $0.group == "cells" }
        #expect(texts.map(\.text) == ["1 M", "10 M", "100 M", "1 G", "10 G"])
        for t in texts {
            let cell = try #require(cells.first { $0.rect.contains(t.box) }, "\(t.text) is not inside a cell")
            let textColor = r.commands.compactMap { c -> Color? in
                if case let .text(s, box, _, color, _, _) = c, s == t.text, box == t.box { return color }
                return nil
            }.first
            #expect(textColor == cell.color.contrastingText)
        }
        // Darkest cell (smallest value) gets white text, brightest gets dark text.
        #expect(cells.first!.color.contrastingText == .white && cells.last!.color.contrastingText == .ink)
        #expect(r.texts.contains { $0.group == "colorbar" })
    }

    @Test func deltaHeatmapBlanksUnchangedCellsAndSignsTheRest() throws {
        let deltas: [[Double?]] = [[0, 0.1], [nil, -0.05]]
        let spec = try ChartKinds.deltaHeatmap(title: nil, rowLabels: ["a", "b"], columnLabels: ["x", "y"], deltas: deltas)
        let (r, _, _) = try record(spec)
        #expect(r.filledRects(inGroup: "cells").count == 2)
        #expect(r.texts.filter { $0.group == "cells" }.map(\.text) == ["+10%", "−5%"])
        // Centred at zero: +x and −x get mirrored colours (red vs blue side).
        let scale = try #require(spec.colorBar?.scale)
        #expect(scale.lower == -scale.upper)
        #expect(scale.color(for: 0.1).red > scale.color(for: 0.1).blue && scale.color(for: -0.1).blue > scale.color(for: -0.1).red)
    }

    // costs, qualities, expected front (sorted by cost)
    static let paretoCases: [([Double], [Double], [Int])] = [
        ([1, 2, 3], [1, 2, 3], [0, 1, 2]),
        ([1, 2, 3], [3, 2, 1], [0]),
        ([1, 2, 3, 4], [1, 3, 2, 4], [0, 1, 3]),
        ([5, 1, 3], [9, 2, 9], [1, 2]),
        ([2, 2], [1, 1], [0, 1]),
        ([1], [0], [0]),
    ]
    @Test(arguments: paretoCases)
    func paretoFront(costs: [Double], qualities: [Double], front: [Int]) {
        #expect(ChartKinds.paretoFront(costs: costs, qualities: qualities) == front)
    }

    @Test func costQualityDrawsDominatedPointsHollowAndShadesTheBudget() throws {
        let pts = [
            CostQualityPoint(label: "a", cost: 1e9, quality: 10, group: "w4a4"),
            CostQualityPoint(label: "b", cost: 2e9, quality: 8, group: "w4a4"),
            CostQualityPoint(label: "c", cost: 4e9, quality: 30, group: "w8a8"),
        ]
        let colors = PrecisionColors(groups: [("w4a4", .bits(4)), ("w8a8", .bits(8))])
        let spec = try ChartKinds.costQuality(title: nil, points: pts, budget: 3e9, highlight: "c", colors: colors)
        guard case let .points(pm)? = spec.marks.first(where: { if case .points = $0 { return true }; return false }) else {
            Issue.record("no points mark"); return
        }
        #expect(pm.points[0].color == OkabeIto.orange && pm.points[2].color == OkabeIto.blue)
        // Dominated: hollow, in its precision's colour at full strength.
        #expect(pm.points[1].color == OkabeIto.orange && pm.points.map(\.fill) == [.filled, .hollow, .filled])
        #expect(pm.points[2].highlighted && pm.points[2].label == "c")
        let (r, g, _) = try record(spec)
        let region = try #require(r.filledRects(inGroup: "region").first)
        #expect(abs(region.rect.minX - g.plot.minX) < 1e-9 && region.rect.maxX < g.plot.maxX)
        #expect(r.texts.contains { $0.text == "budget 3 G" })
    }

    @Test func legendNeverCoversData() throws {
        // A line that fills every corner forces the legend out of the plot.
        let series = (0..<4).map { k in LineSeries(label: "w\(k + 2)a\(k + 2)", points: [(96, 1e9 * pow(10, Double(k))), (160, 1e11), (224, 1e9 * pow(10, Double(3 - k)))]) }
        let spec = try ChartKinds.totalVersusSize(title: "x", series: series)
        let (_, g, _) = try record(spec)
        let legend = try #require(g.legend)
        #expect(!g.legendInsidePlot)
        #expect(legend.maxY <= g.plot.minY)
    }

    @Test func scatterLabelsAvoidMarkersLinesAndEachOther() throws {
        var pts: [CostQualityPoint] = []
        for (i, b) in [2.0, 3, 4, 5, 6, 8].enumerated() {
            for (j, size) in [96.0, 128, 160, 192, 224].enumerated() {
                pts.append(CostQualityPoint(label: "#\(i * 5 + j + 1)", cost: 5.7e8 * (size / 224) * (size / 224) * b * b,
                                            quality: 6 * b - 3 + size / 60 + Double((i + j) % 3), group: "w\(Int(b))a\(Int(b))"))
            }
        }
        var spec = try ChartKinds.costQuality(title: "all labelled", points: pts, budget: 1e10, highlight: "#13")
        spec.marks = spec.marks.map { m in
            guard case var .points(pm) = m else { return m }
            for i in pm.points.indices { pm.points[i].label = pts[i].label }
            return .points(pm)
        }
        for size in [FigureSize.oneColumn, .twoColumn] {
            let (r, g, _) = try record(spec, size: size)
            #expect(r.overlappingTexts().isEmpty, "\(r.overlappingTexts())")
            let labels = r.texts.filter { $0.group == "points" }
            #expect(labels.contains { $0.text == "#13" }, "the highlighted label must be placed")
            #expect(labels.count >= 8, "only \(labels.count) labels placed")
            for l in labels { #expect(g.plot.contains(l.box)) }
            // No label sits on a marker.
            for case let .fill(path, _, groups) in r.commands where groups.last == "points" {
                guard case let .move(p)? = path.elements.first else { continue }
                for l in labels { #expect(!l.box.contains(p), "\(l.text) covers a marker") }
            }
        }
    }
}

/// The axes layout is a fixed point: it passes until a pass finds the plot size and domain stretch it
/// assumed, and says so when that never happens.
struct AxesFixedPointTests {
    @Test(arguments: LayoutTests.galleryNames)
    func everyGalleryChartSettlesAndTheResultIsAFixedPoint(name: String) throws {
        let sample = try #require(try ChartGallery.samples().first { $0.name == name })
        for size in [FigureSize.oneColumn, .twoColumn, .custom(width: 300, height: 300)] {
            let s = size.points
            let ctx = LayoutContext(spec: sample.spec, r: RecordingRenderer(), theme: .paper)
            let frame = Rect(x: 0, y: 0, width: s.width, height: s.height).insetBy(ChartTheme.paper.padding)
            let layout = AxesLayout(ctx: ctx)
            let (axes, passes) = try layout.settledAxes(in: frame)
            #expect(passes >= 2 && passes <= 4, "\(name) at \(size): \(passes) passes")
            // One more pass from where it settled changes nothing.
            let settled = AxesLayout.Assumptions(plotW: axes.plot.width, plotH: axes.plot.height,
                                                 extraMin: nil, extraMax: nil)
            let (again, _) = try layout.pass(in: frame, assuming: settled)
            if layout.barMark == nil || layout.barMark?.valueLabels == BarMark.ValueLabels.none {
                #expect(again.plot == axes.plot, "\(name) at \(size): \(again.plot) ≠ \(axes.plot)")
            }
        }
    }

    @Test func settlingComparesSizesWithinAHundredthOfAPointAndTheStretchExactly() {
        let a = AxesLayout.Assumptions(plotW: 100, plotH: 80)
        #expect(a.settle(.init(plotW: 100.004, plotH: 79.996)))
        #expect(!a.settle(.init(plotW: 100.02, plotH: 80)))
        #expect(!a.settle(.init(plotW: 100, plotH: 80, extraMax: 5)))
    }
}
