import BitSweepConfig
import Charts
import Foundation
import Results
import Testing
@testable import Analysis
import Reports

/// The budget's cost–quality chart with exact cases: the SQNR axis fits the finite cases, exact ones are on
/// the marked band above it, the SQNR minimum bounds only the feasible region, and a report's colours and
/// precision order are kept.
@Suite struct BudgetChartTests {
    static let huge = 1 << 50

    /// The fixture grid with the `8` cases made exact.
    static func withExact() throws -> ResultsSet {
        try Fixture.grid { c in
            if c.config.weightPrecision.description == "8" {
                c.images = c.images.map { var i = $0; i.sqnrDB = nil; return i }
                c.fidelity = FidelitySummary(images: c.images)
            }
        }
    }

    @Test func exactCasesAreOnTheBandAndTheAxisFitsTheFiniteOnes() throws {
        let set = try Self.withExact()
        let profile = BudgetProfile(name: "p", maxBitOps: Self.huge, maxWeightStorageBytes: Self.huge,
                                    maxActivationBytes: Self.huge, minSQNRDB: 30)
        let r = try #require(budget(set, profiles: [profile]).profiles.first)
        let chart = try #require(try r.costQualityChart())
        let finite = set.cases.compactMap { $0.fidelity?.sqnrDBMean }
        #expect(!finite.isEmpty)
        let domain = try #require(chart.spec.y.domain)
        guard case let .values(ticks) = chart.spec.y.ticks else { Issue.record("no explicit ticks"); return }
        #expect(!ticks.isEmpty && ticks.last! <= finite.max()! + 0.1 * (finite.max()! - finite.min()!))
        #expect(domain.upperBound < finite.max()! + 0.5 * (finite.max()! - finite.min()!))
        let points = chart.spec.marks.compactMap { if case let .points(p) = $0 { return p.points } else { return nil } }.flatMap { $0 }
        #expect(points.count == set.cases.count)
        #expect(points.filter { $0.marker == .triangle }.count == set.cases.filter { $0.config.weightPrecision.description == "8" }.count)
        #expect(points.filter { $0.marker == .triangle }.allSatisfy { $0.y > finite.max()! && $0.y < domain.upperBound })
        // The minimum bounds the feasible region only; the exact band keeps its own extent.
        let regions = chart.spec.marks.compactMap { if case let .region(g) = $0 { return g } else { return nil } }
        #expect(regions.contains { $0.xTo != nil && $0.yFrom == 30 })
        #expect(regions.contains { $0.xTo == nil && $0.yFrom != nil && $0.yFrom! > finite.max()! })
        #expect(chart.title.contains("exact cases (∞ dB)"))
        #expect(!chart.title.contains("6 dB"))
    }

    @Test func aReportsColoursAndPrecisionOrderAreKept() throws {
        let set = try Fixture.grid()
        let profile = BudgetProfile(name: "p", maxBitOps: Self.huge, maxWeightStorageBytes: Self.huge, maxActivationBytes: Self.huge)
        let r = try #require(budget(set, profiles: [profile]).profiles.first)
        // A report's colours: one label set for the whole report, here with a label this chart does not draw.
        let colors = PrecisionColors(labels: set.cases.map(\.config.weightPrecision.description) + ["2"])
        let order = CellExecutor.precisionOrder(of: set)
        #expect(order == ["8", "4", "first-last(8,4)"])   // the fixture's grid order
        let chart = try #require(try r.costQualityChart(precisionOrder: order, colors: colors))
        let legend = chart.spec.legend.entries.filter { order.contains($0.label) }
        #expect(legend.map(\.label) == order.filter { p in legend.contains { $0.label == p } })
        for e in legend { #expect(e.color == colors.color(for: e.label)) }
    }
}
