import Charts
import Foundation
import Results
import Testing
@testable import Reports

/// `table: accuracy` in the default template: present with labelled images (a table of both networks'
/// accuracy with BitOps, and the cost-quality chart with top-1 accuracy on its y axis), absent without.
@Suite struct AccuracySectionTests {
    /// The fixture with labels: image i of every case has label i + 3, so "cat.png" (top-5 [3, 5, 1, 0, 2])
    /// is right at top-1 when its top-1 is 3, and "dog.jpg" (label 4) is never in the top five.
    static func labelled() throws -> ResultsSet {
        var set = try Fixture.results()
        for i in set.cases.indices {
            set.cases[i].images = set.cases[i].images.enumerated().map { k, r in
                var r = r
                r.label = 3 + k
                r.floatTop5 = [3, 4, 1, 0, 2]
                return r
            }
            set.cases[i].accuracy = AccuracySummary(images: set.cases[i].images)
        }
        return set
    }

    static func document(_ set: ResultsSet) throws -> ReportDocument {
        try CellExecutor(results: set, run: Fixture.runInfo(), resultsDirLabel: "r", templateLabel: "t", reportCommand: ["x"])
            .execute(Template.defaultTemplate())
    }

    @Test func labelledResultsGetAnAccuracySectionWithTableAndChart() throws {
        let set = try Self.labelled()
        let doc = try Self.document(set)
        let md = MarkdownWriter().markdown(doc)
        #expect(md.contains("## Accuracy on labelled images"))
        // Hand-derived: cat.png is right at top-1 (its top-1 is 3 whenever it agrees; always at 8 bits and 4
        // bits alike, since only dog.jpg disagrees), dog.jpg (label 4) is not in [3, 5, 1, 0, 2]: 50 % / 50 %.
        // The twin's top five [3, 4, 1, 0, 2]: cat right at top-1, dog at top-5 only: 50 % / 100 %.
        for c in set.cases {
            #expect(c.accuracy?.top1Correct == 1 && c.accuracy?.top5Correct == 1)
            #expect(c.accuracy?.floatTop1Correct == 1 && c.accuracy?.floatTop5Correct == 2)
            let row = md.split(separator: "\n").first { $0.contains("| \(c.config.label) |") && $0.contains("100.0") }
            #expect(row != nil, "no accuracy row for \(c.config.label)")
        }
        let chart = try #require(doc.figures.first { $0.fileStem.hasPrefix("cost-vs-top1-accuracy") })
        let points = chart.spec.marks.flatMap { m -> [ScatterPoint] in
            if case let .points(p) = m { return p.points }
            return []
        }
        #expect(points.count >= set.cases.count)
        #expect(Set(points.map(\.y)).isSubset(of: [50]))
        #expect(Set(points.map(\.x)) == Set(set.cases.map { Double($0.cost.totals.bitops) }))
        // Accuracy is measured against the labels, the same for every network shape: one front (the fidelity
        // chart of the same cases, measured against each shape's float twin, has one per shape).
        func fronts(_ f: Figure) -> [String] { f.spec.marks.compactMap { if case let .line(l) = $0 { return l.name } else { return nil } } }
        #expect(Set(set.cases.map(\.config.blocks)).count > 1)
        #expect(fronts(chart) == ["Pareto front"])
        let fidelity = try #require(doc.figures.first { $0.fileStem.hasPrefix("cost-vs-sqnr") })
        #expect(fronts(fidelity).count == Set(set.cases.map(\.config.blocks)).count)
        // The summary shows the quantized network's accuracy next to the fidelity.
        #expect(md.contains("top-1 acc. (%)") && md.contains("top-5 acc. (%)"))
    }

    @Test func unlabelledResultsHaveNoAccuracySectionNorColumns() throws {
        let md = MarkdownWriter().markdown(try Self.document(try Fixture.results()))
        #expect(!md.contains("ccuracy"))
        #expect(!SummaryCSV.csv(try Fixture.results()).contains("accuracy"))
        #expect(SummaryCSV.csv(try Self.labelled()).hasPrefix((SummaryCSV.columns + ResultsSet.accuracyColumns).joined(separator: ",")))
    }
}
