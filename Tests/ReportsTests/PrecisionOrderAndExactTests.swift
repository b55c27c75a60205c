import BitOpsCore
import Charts
import Foundation
import Results
import Testing
@testable import Reports

/// Report charts: precisions in the spec's (grid) order everywhere, one colour per precision across charts,
/// and exact cases (∞ dB) shown as such rather than at a 200 dB ceiling.
@Suite struct PrecisionOrderAndExactTests {
    /// The fixture with its cases in another grid order: 4-bit first, then 8-bit (a spec listing `[4, 8]`).
    static func fourFirst() throws -> ResultsSet {
        var set = try Fixture.results()
        let reordered = set.cases.filter { $0.config.weightPrecision.description == "4" } + set.cases.filter { $0.config.weightPrecision.description == "8" }
        set.cases = reordered.enumerated().map { i, c in var c = c; c.index = i; return c }
        return set
    }

    static func document(_ set: ResultsSet) throws -> ReportDocument {
        try CellExecutor(results: set, run: Fixture.runInfo(), resultsDirLabel: "r", templateLabel: "t", reportCommand: ["x"])
            .execute(Template.defaultTemplate())
    }

    @Test func everyChartListsPrecisionsInGridOrderWithOneColourEach() throws {
        let set = try Self.fourFirst()
        let doc = try Self.document(set)
        var colourOf: [String: Color] = [:]
        func sameColour(_ label: String, _ c: Color) {
            if let seen = colourOf[label] { #expect(seen == c, "precision \(label) changes colour") } else { colourOf[label] = c }
        }
        var checked = 0
        for f in doc.figures {
            if f.fileStem.hasPrefix("heatmap-") {
                #expect(f.spec.x.categories == ["4", "8"], "\(f.fileStem): \(f.spec.x.categories ?? [])")
                checked += 1
            }
            if f.fileStem.hasPrefix("size-") || f.fileStem.hasPrefix("storage-") {
                let labels = f.spec.legend.entries.map(\.label).filter { ["4", "8"].contains($0) }
                #expect(labels == ["4", "8"], "\(f.fileStem): \(labels)")
                for e in f.spec.legend.entries where ["4", "8"].contains(e.label) { sameColour(e.label, e.color) }
                checked += 1
            }
            if f.fileStem.hasPrefix("cost-vs-") {
                for e in f.spec.legend.entries where ["4", "8"].contains(e.label) { sameColour(e.label, e.color) }
            }
        }
        #expect(checked >= 4)
        #expect(colourOf["4"] != nil && colourOf["4"] != colourOf["8"])
    }

    /// The fixture with its 8-bit cases exact (every image's logits equal the float twin's).
    static func eightBitExact() throws -> ResultsSet {
        var set = try Fixture.results()
        for i in set.cases.indices where set.cases[i].config.weightPrecision.description == "8" {
            set.cases[i].images = set.cases[i].images.map { var m = $0; m.sqnrDB = nil; return m }
            set.cases[i].fidelity = FidelitySummary(images: set.cases[i].images)
        }
        return set
    }

    @Test func exactCasesAreWrittenAsExactNotAsTheCeiling() throws {
        let set = try Self.eightBitExact()
        let doc = try Self.document(set)
        let finiteMax = set.cases.compactMap { $0.fidelity?.sqnrDBMean }.max()!
        let heat = try #require(doc.figures.first { $0.fileStem.hasPrefix("heatmap-sqnr") })
        guard case let .cells(c) = heat.spec.marks[0] else { Issue.record("no cells"); return }
        let col8 = try #require(heat.spec.x.categories?.firstIndex(of: "8"))
        for row in c.values.indices { #expect(c.note(row, col8)?.text == "exact") }
        #expect(!c.values.joined().contains(FidelitySummary.exactSQNR))
        #expect(heat.caption.contains("exact"))

        let cq = try #require(doc.figures.first { $0.fileStem.hasPrefix("cost-vs-sqnr") })
        let domain = try #require(cq.spec.y.domain)
        #expect(domain.upperBound < finiteMax + 40, "y axis reaches \(domain.upperBound) for finite data up to \(finiteMax)")
        #expect(cq.spec.legend.entries.contains { $0.label == "exact (∞ dB)" })
        #expect(cq.caption.contains("exact cases"))
    }

    /// Cases that differ only in the BitOps convention share their fidelity: one SQNR heatmap for both,
    /// but one BitOps heatmap per convention (their counts differ).
    @Test func fidelityHeatmapsAreNotRepeatedPerConvention() throws {
        var set = try Fixture.results()
        let wa = set.cases.map { c -> CaseResult in
            var w = c
            w.config.convention = .wa
            w.id = Fixture.caseID(c.config.label + " wa")
            return w
        }
        set.cases = (set.cases + wa).enumerated().map { i, c in var c = c; c.index = i; return c }
        let doc = try Self.document(set)
        let sizes = Set(set.cases.map(\.config.size)).count
        #expect(doc.figures.filter { $0.fileStem.hasPrefix("heatmap-sqnr") }.count == sizes)
        #expect(doc.figures.filter { $0.fileStem.hasPrefix("heatmap-bitops") }.count == 2 * sizes)
    }

    @Test func valuesThatRoundToZeroHaveNoSign() {
        #expect(NumberFormat.fixed(1).string(-0.04) == "0.0")
        #expect(NumberFormat.fixed(1).string(-0.06) == NumberFormat.minus + "0.1")
        #expect(NumberFormat.fixed(2).label(-0.001, step: 0.5) == "0.00")
    }
}
