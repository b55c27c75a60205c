import Foundation
import Testing
@testable import Charts

/// Exact cases (SQNR +∞: logits equal to the float twin's) in cost–quality charts and heatmaps: the axis is
/// scaled to the finite data, exact cases are shown apart and named, never as a made-up finite number.
struct ExactCaseTests {
    static let points = [
        CostQualityPoint(label: "a", cost: 1e6, quality: 12, group: "2"),
        CostQualityPoint(label: "b", cost: 4e6, quality: 31, group: "4"),
        CostQualityPoint(label: "c", cost: 8e6, quality: 55, group: "8"),
        CostQualityPoint(label: "d", cost: 3e7, quality: .infinity, group: "32"),
        CostQualityPoint(label: "e", cost: 6e7, quality: .infinity, group: "32"),
    ]

    func scatter(_ spec: ChartSpec) -> [ScatterPoint] {
        spec.marks.compactMap { if case let .points(p) = $0 { return p.points } else { return nil } }.flatMap { $0 }
    }

    @Test func theAxisFitsTheFiniteDataAndExactPointsSitOnABandAboveIt() throws {
        let spec = try ChartKinds.costQuality(title: nil, points: Self.points)
        let domain = try #require(spec.y.domain)
        guard case let .values(ticks) = spec.y.ticks else {
            Issue.record("expected explicit ticks for the finite range, got \(spec.y.ticks)")
            return
        }
        // Ticks only where the finite data (12…55) are: at least three, none in the band.
        #expect(ticks.count >= 3)
        #expect(ticks.allSatisfy { $0 >= domain.lowerBound && $0 <= 55 + 0.1 * (55 - 12) }, "\(ticks)")
        #expect(domain.lowerBound <= 12)
        // The finite data take most of the height (not squashed under a 200 dB ceiling).
        #expect((55 - 12) / (domain.upperBound - domain.lowerBound) > 0.6, "domain \(domain)")
        let pts = scatter(spec)
        #expect(pts.count == 5)
        let bandRule = spec.marks.compactMap { if case let .rule(r) = $0 { return r.value } else { return nil } }.max() ?? .infinity
        #expect(bandRule > 55, "the band starts at \(bandRule)")
        for (p, src) in zip(pts, Self.points) {
            if src.quality.isInfinite {
                #expect(p.y > bandRule && p.y < domain.upperBound, "exact point at \(p.y)")
                #expect(p.marker == .triangle)
            } else {
                #expect(p.y == src.quality)
                #expect(p.marker == .circle)
            }
        }
        // The band is marked and explained in the legend.
        let rules = spec.marks.compactMap { if case let .rule(r) = $0 { return r } else { return nil } }
        #expect(rules.contains { $0.orientation == .horizontal && $0.label == "exact (∞ dB)" && $0.value > 55 })
        #expect(spec.legend.entries.contains { $0.label == "exact (∞ dB)" && $0.symbol == .marker(.triangle) })
        // Exact is best: the exact cases are on the Pareto front (coloured, not grey).
        #expect(pts[3].color == PrecisionColors.standard.color(for: "32"))
        // It draws, with no label overlapping another.
        let (r, _, _) = try record(spec, size: .twoColumn)
        #expect(r.overlappingTexts().isEmpty, "\(r.overlappingTexts())")
        #expect(r.texts.contains { $0.text == "exact (∞ dB)" })
        #expect(!r.texts.contains { $0.text == "200" })
    }

    @Test func withoutExactPointsNothingChanges() throws {
        let finite = Array(Self.points.prefix(3))
        let spec = try ChartKinds.costQuality(title: nil, points: finite)
        #expect(spec.y.domain == nil && spec.y.ticks == .automatic)
        #expect(!spec.legend.entries.contains { $0.label.contains("exact") })
    }

    @Test func onlyExactPointsStillDraw() throws {
        let spec = try ChartKinds.costQuality(title: nil, points: Array(Self.points.suffix(2)))
        let (r, _, _) = try record(spec, size: .twoColumn)
        #expect(r.texts.contains { $0.text == "exact (∞ dB)" })
    }

    @Test func legendGroupsFollowTheOrderOfThePoints() throws {
        let pts = [
            CostQualityPoint(label: "p", cost: 1e8, quality: 90, group: "32"),
            CostQualityPoint(label: "q", cost: 1e7, quality: 40, group: "first-last(8,2)"),
            CostQualityPoint(label: "r", cost: 1e6, quality: 10, group: "2"),
        ]
        let spec = try ChartKinds.costQuality(title: nil, points: pts)
        let groups = spec.legend.entries.map(\.label).filter { ["32", "first-last(8,2)", "2"].contains($0) }
        #expect(groups == ["32", "first-last(8,2)", "2"])
    }

    @Test func negativeInfinityOrNaNAreStillErrors() {
        for bad in [-Double.infinity, .nan] {
            #expect(throws: ChartError.self) {
                _ = try ChartKinds.costQuality(title: nil, points: [CostQualityPoint(label: "x", cost: 1, quality: bad)])
            }
        }
    }

    @Test func heatmapWritesExactCellsAsTextOutsideTheColourScale() throws {
        let values: [[Double?]] = [[70.5, .infinity], [20.25, nil]]
        let spec = try ChartKinds.heatmap(title: nil, rowLabels: ["3", "4"], columnLabels: ["8", "32"], values: values,
                                          logColor: false, format: .fixed(1), infinityLabel: "exact")
        guard case let .cells(c) = spec.marks[0] else { Issue.record("no cells"); return }
        #expect(c.note(0, 1)?.text == "exact")
        #expect(c.note(0, 0) == nil && c.note(1, 1) == nil)
        // The colour scale spans the finite values only.
        #expect(c.colorScale.color(for: 70.5) == c.colorScale.color(for: 1e6))
        let (r, _, _) = try record(spec)
        let texts = r.texts.filter { $0.group == "cells" }.map(\.text)
        #expect(Set(texts) == ["70.5", "exact", "20.3"] || Set(texts) == ["70.5", "exact", "20.2"], "\(texts)")
        // Without the label, an infinite value is an error as before.
        #expect(throws: ChartError.self) {
            _ = try ChartKinds.heatmap(title: nil, rowLabels: ["3"], columnLabels: ["8"], values: [[.infinity]], logColor: false)
        }
    }

    /// The band's label is not written across another reference line (here a budget near the right edge).
    @Test func theBandLabelKeepsOffOtherRules() throws {
        let budget = 5e7
        let spec = try ChartKinds.costQuality(title: nil, points: Self.points, budget: budget)
        let (r, g, _) = try record(spec, size: .twoColumn)
        let label = try #require(r.texts.first { $0.text == "exact (∞ dB)" })
        // Where the budget line is drawn: find the vertical segment at the budget's x among the strokes.
        let xs = r.commands.compactMap { c -> Double? in
            guard case let .stroke(path, _, groups) = c, groups.contains("rule"), path.elements.count == 2,
                  case let .move(a) = path.elements[0], case let .line(b) = path.elements[1],
                  abs(a.x - b.x) < 0.01, abs(a.y - b.y) > g.plot.height * 0.9 else { return nil }
            return a.x
        }
        #expect(!xs.isEmpty)
        for x in xs { #expect(!(label.box.minX < x && label.box.maxX > x), "label \(label.box) crosses the line at x = \(x)") }
    }
}
