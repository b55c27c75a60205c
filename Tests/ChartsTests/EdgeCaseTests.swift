import Foundation
import Testing
@testable import Charts

/// Degenerate inputs a report can produce: one point, one bar, nothing changed, all zeros.
struct EdgeCaseTests {
    static func specs() throws -> [(String, ChartSpec)] {
        [
            ("one point, log–log", try ChartKinds.totalVersusSize(title: "one", series: [LineSeries(label: "w8a8", points: [(224, 3.4e9)])])),
            ("one bar", try ChartKinds.layerwiseBitOps(title: nil, layers: [LayerBitOpsBar(label: "fc", classifier: 1e6)])),
            ("all-zero bars", try ChartKinds.groupedBars(title: "zeros", categories: ["a", "b"], series: [NamedValues(name: "v", values: [0, 0])], valueLabels: true)),
            ("negative only", try ChartKinds.groupedBars(title: nil, categories: ["a", "b"], series: [NamedValues(name: "v", values: [-3e9, -1e9])], valueLabels: true)),
            ("1×1 heatmap", try ChartKinds.heatmap(title: "h", rowLabels: ["r"], columnLabels: ["c"], values: [[5e9]])),
            ("nothing changed", try ChartKinds.deltaHeatmap(title: "no change", rowLabels: ["a", "b"], columnLabels: ["x"], deltas: [[0], [nil]])),
            ("one case", try ChartKinds.costQuality(title: nil, points: [CostQualityPoint(label: "a", cost: 1e9, quality: 30)], budget: 5e8)),
            ("empty title strings", try ChartKinds.groupedBars(title: "", categories: [""], series: [NamedValues(name: "", values: [1])], xTitle: nil, yTitle: nil)),
            ("long title", try ChartKinds.groupedBars(title: String(repeating: "A very long title ", count: 6), categories: ["a"], series: [NamedValues(name: "v", values: [1])])),
        ]
    }

    @Test func degenerateChartsLayOutWithoutOverlaps() throws {
        for (name, spec) in try Self.specs() {
            for size in [FigureSize.oneColumn, .twoColumn] {
                let (r, g, rect) = try record(spec, size: size)
                #expect(r.overlappingTexts().isEmpty, "\(name): \(r.overlappingTexts())")
                let outside = r.texts.filter { !rect.contains($0.box, tolerance: 0.01) }.map { "\($0.text) \($0.box)" }
                #expect(outside.isEmpty, "\(name) at \(size): text outside the figure: \(outside)")
                #expect(g.plot.width > 0 && g.plot.height > 0, "\(name)")
                for c in r.commands {
                    if case let .fill(path, _, _) = c, let rr = path.asRect {
                        #expect([rr.minX, rr.minY, rr.maxX, rr.maxY].allSatisfy { $0.isFinite }, "\(name): non-finite geometry")
                    }
                }
            }
        }
    }

    @Test func nothingChangedDrawsNoCells() throws {
        let spec = try ChartKinds.deltaHeatmap(title: nil, rowLabels: ["a"], columnLabels: ["x", "y"], deltas: [[0, 0]])
        let (r, _, _) = try record(spec)
        #expect(r.filledRects(inGroup: "cells").isEmpty)
    }

    @Test func allNilHeatmapIsAnError() {
        #expect(throws: ChartError.self) {
            try ChartKinds.heatmap(title: nil, rowLabels: ["r"], columnLabels: ["c"], values: [[nil]])
        }
    }

    @Test func nonFiniteDataIsAnError() {
        #expect(throws: ChartError.nonFinite(what: "bar series \"v\"", value: .infinity)) {
            try ChartKinds.groupedBars(title: nil, categories: ["a"], series: [NamedValues(name: "v", values: [.infinity])])
        }
        #expect(throws: ChartError.self) {
            try ChartKinds.totalVersusSize(title: nil, series: [LineSeries(label: "x", points: [(1, .nan)])])
        }
    }

    @Test(arguments: [Legend.Placement.top, .right, .automatic])
    func everyLegendPlacementKeepsClearOfData(placement: Legend.Placement) throws {
        var spec = try ChartKinds.totalVersusSize(title: "legend", series: [
            LineSeries(label: "w8a8", points: [(96, 1e9), (224, 6e9)]), LineSeries(label: "w4a4", points: [(96, 3e8), (224, 1.5e9)]),
        ])
        spec.legend.placement = placement
        spec.legend.title = "weight bits"
        let (r, g, rect) = try record(spec)
        let legend = try #require(g.legend)
        #expect(r.overlappingTexts().isEmpty)
        #expect(rect.contains(legend, tolerance: 0.01))
        if !g.legendInsidePlot { #expect(!legend.intersects(g.plot)) }
        #expect(!g.dataBoxes.contains { $0.intersects(legend) })
        #expect(r.texts.filter { $0.group == "legend" }.map(\.text) == ["weight bits", "w8a8", "w4a4"])
    }
}
