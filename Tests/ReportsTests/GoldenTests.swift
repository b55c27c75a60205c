import BitOpsCore
import Foundation
import Results
import Testing
@testable import Reports

/// Golden Markdown and notebook for the fixed fixture. Set `BITSWEEP_UPDATE_GOLDEN=1` to rewrite the golden
/// files after an intended change (then read the diff before committing).
@Suite struct GoldenTests {
    static func document() throws -> ReportDocument {
        let ex = CellExecutor(results: try Fixture.results(), run: Fixture.runInfo(), resultsDirLabel: "Reports/fixture",
                              templateLabel: "(default template)", reportCommand: ["bitsweep", "report", "Reports/fixture"])
        return try ex.execute(Template.defaultTemplate())
    }

    /// Stand-in figure bytes, so the notebook golden does not change whenever the chart layout does.
    static func stubFigures(_ doc: ReportDocument) -> RenderedFigures {
        var f = RenderedFigures()
        for fig in doc.figures {
            f.svg[fig.fileStem] = Data("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><title>\(fig.fileStem)</title></svg>\n".utf8)
            f.png[fig.fileStem] = Data(fig.fileStem.utf8)
        }
        return f
    }

    func compare(_ actual: String, golden name: String) throws {
        let path = Fixture.testsDir + "/Golden/" + name
        if ProcessInfo.processInfo.environment["BITSWEEP_UPDATE_GOLDEN"] == "1" {
            try actual.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        if actual != expected {
            let a = actual.components(separatedBy: "\n"), e = expected.components(separatedBy: "\n")
            let i = (0..<min(a.count, e.count)).first { a[$0] != e[$0] } ?? min(a.count, e.count)
            Issue.record("\(name) differs from the golden file at line \(i + 1):\n  got:      \(i < a.count ? a[i] : "<end>")\n  expected: \(i < e.count ? e[i] : "<end>")")
        }
    }

    @Test func goldenMarkdown() throws {
        try compare(MarkdownWriter().markdown(Self.document()), golden: "report.md")
    }

    @Test func goldenNotebook() throws {
        let doc = try Self.document()
        try compare(try NotebookWriter().notebook(doc, figures: Self.stubFigures(doc)), golden: "report.ipynb")
    }

    @Test func goldenLaTeX() throws {
        try compare(LaTeXWriter().latex(Self.document()), golden: "tables.tex")
    }

    /// Numbers worked out by hand for seed, 2 blocks, 8-bit weights, 32×32 (weight convention):
    /// block 0 depthwise 3·9·32·32 = 27,648 MACs, pointwise 32·3·32·32 = 98,304; block 1 (stride 2, 16×16)
    /// depthwise 32·9·256 = 73,728, pointwise 64·32·256 = 524,288; classifier 64·10 = 640 MACs at 32 bits.
    /// BitOps = (27,648 + 98,304 + 73,728 + 524,288)·8 + 640·32 = 5,812,224.
    @Test func summaryRowCarriesExactCounts() throws {
        let md = MarkdownWriter().markdown(try Self.document())
        let row = try #require(md.components(separatedBy: "\n").first { $0.replacingOccurrences(of: " ", with: "").hasPrefix("|0|") })
        #expect(row.contains("5,812,224"))
        #expect(row.contains("724,608"))          // MACs: 723,968 + 640
        // Weight storage: (27 + 96 + 288 + 2,048) weights × 8 bits + (640 + 10) × 32 bits = 40,472 bits = 5,059 B.
        #expect(row.contains(String(format: "%.2f", 5059.0 / 1024)))
    }

    @Test func markdownIsDeterministic() throws {
        #expect(MarkdownWriter().markdown(try Self.document()) == MarkdownWriter().markdown(try Self.document()))
    }
}
