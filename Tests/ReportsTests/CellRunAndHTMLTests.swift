import BitOpsCore
import Foundation
import Results
import Testing
@testable import Reports

/// `bitsweep report --cell` (one cell on its own, what the notebook calls) and `report.html` with its explorer.
@Suite struct CellRunTests {
    @Test func cellTextParsesLikeATemplateCell() throws {
        let a = try CellRun.parse("chart: heatmap\nrows: size\nvalue: sqnr")
        let b = try CellRun.parse("chart: heatmap; rows: size; value: sqnr")
        #expect(a.kind == .heatmap && a.options == ["rows": "size", "value": "sqnr"])
        #expect(b.kind == a.kind && b.options == a.options)
        // Errors name --cell and the line within the cell text.
        #expect(throws: TemplateError.self) { try CellRun.parse("table: sumary") }
        do {
            _ = try CellRun.parse("chart: heatmap\nvalu: sqnr")
            Issue.record("an unknown option was accepted")
        } catch let e as TemplateError {
            #expect(e.description.hasPrefix("--cell:2: unknown option 'valu' for chart: heatmap"))
        }
        #expect(throws: TemplateError.self) { try CellRun.parse("") }
    }

    /// A cell run alone gives the blocks that cell has in the whole report.
    @Test func aCellAloneEqualsItsPartOfTheReport() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let doc = try CellExecutor(results: try Fixture.results(), run: Fixture.runInfo(), resultsDirLabel: dir,
                                   templateLabel: "(default template)", reportCommand: ["bitsweep", "report", dir])
            .execute(Template.defaultTemplate())
        let inReport = try #require(doc.cells.first { if case let .output(c) = $0.kind { c.kind == .summary } else { false } })
        let alone = try CellRun.run(resultsDir: dir, cell: "table: summary")
        #expect(MarkdownWriter.block(alone.blocks[1]) == MarkdownWriter.block(inReport.blocks[1]))
        let params = try CellRun.run(resultsDir: dir, cell: "table: parameters")
        let md = params.blocks.map(MarkdownWriter.block).joined(separator: "\n")
        #expect(md.contains("bitsweep report " + dir))
    }

    /// `where` keeps the matching cases: the fixture has 2 sizes × 2 block counts × 2 precisions.
    @Test func whereKeepsTheMatchingCases() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func rows(_ filter: String?) throws -> Int {
            let cell = try CellRun.run(resultsDir: dir, cell: "table: summary", where: filter)
            guard case let .table(t) = cell.blocks[1] else { return -1 }
            return t.rows.count
        }
        #expect(try rows(nil) == 8)
        #expect(try rows("size=32") == 4)
        #expect(try rows("size=32 blocks=3 precision=4") == 1)
        #expect(try rows("size=32|64 precision=8") == 4)
        #expect(throws: ReportError.self) { try rows("colour=red") }
    }

    @Test func chartFormatsNeedExactlyOneChart() throws {
        let dir = try Fixture.writeFolder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let one = try CellRun.run(resultsDir: dir, cell: "chart: layerwise; cases: first")
        let png = try CellRun.render(one, as: .png)
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        let svg = String(decoding: try CellRun.render(one, as: .svg), as: UTF8.self)
        #expect(svg.contains("<svg"))
        let many = try CellRun.run(resultsDir: dir, cell: "chart: layerwise")
        #expect(throws: ReportError.self) { try CellRun.render(many, as: .png) }
        let none = try CellRun.run(resultsDir: dir, cell: "table: summary")
        #expect(throws: ReportError.self) { try CellRun.render(none, as: .svg) }
        // The notebook's outputs: one display per chart, PNG once, no SVG, no Markdown copy.
        let outputs = try JSONSerialization.jsonObject(with: try CellRun.render(many, as: .ipynb)) as? [[String: Any]]
        #expect(outputs?.count == 8)
        #expect(outputs?.allSatisfy { Set(($0["data"] as? [String: Any] ?? [:]).keys) == ["image/png", "text/plain"] } == true)
    }

    @Test func relativePaths() {
        #expect(ReportGenerator.relativePath("Reports/default", from: "Reports/default") == ".")
        #expect(ReportGenerator.relativePath("Reports/default/", from: "./Reports/default") == ".")
        #expect(ReportGenerator.relativePath("a/b", from: "a/c") == "../b")
        #expect(ReportGenerator.relativePath("/x/y/budgets.yaml", from: "/x/y/z") == "../budgets.yaml")
        #expect(ReportGenerator.relativePath("/x/results", from: "/x/results/out/nb") == "../..")
    }

    /// Cell text becomes a Python literal that cannot end early or carry markup.
    @Test func cellTextAsPython() {
        #expect(NotebookWriter.pythonString("table: summary") == #""table: summary""#)
        #expect(NotebookWriter.pythonString("chart: heatmap\nvalue: sqnr\n") == "\"\"\"\nchart: heatmap\nvalue: sqnr\n\"\"\"")
        #expect(NotebookWriter.pythonString(#"chart: size; title: a "quoted" \ <b>"#) == #""chart: size; title: a \"quoted\" \\ \u003cb\u003e""#)
        #expect(NotebookWriter.pythonString("chart: size\ntitle: x\"\"\"y") == #""chart: size\ntitle: x\"\"\"y""#)
    }
}

@Suite struct HTMLReportTests {
    static func page() throws -> (html: String, results: ResultsSet) {
        var run = Fixture.runInfo()
        run.machine = EscapingTests.hostile
        let results = try EscapingTests.hostileResults()
        let doc = try CellExecutor(results: results, run: run, resultsDirLabel: "Reports/x", templateLabel: "(default template)",
                                   reportCommand: ["bitsweep", "report", "Reports/x"]).execute(Template.defaultTemplate())
        return (try HTMLWriter(results: results).html(doc, figures: GoldenTests.stubFigures(doc)), results)
    }

    @Test func selfContainedWithContentsAndNoLiveUserHTML() throws {
        let (html, _) = try Self.page()
        // Nothing from elsewhere: no external script, style, image or font.
        #expect(!html.contains("<script src"))
        #expect(!html.contains("<link"))
        #expect(!html.contains("src=\"http"))
        #expect(!html.contains("url(http"))
        #expect(html.contains("<img src=\"data:image/png;base64,"))
        // The same sections as report.md, each in the contents.
        for section in ["Parameters", "Summary", "Cost against fidelity", "Layer by layer", "Failures and skipped images", "Explorer"] {
            let id = section.lowercased().replacingOccurrences(of: " ", with: "-")
            #expect(html.contains("<a href=\"#\(id)\">\(section)</a>"), "contents entry \(section)")
            #expect(html.contains("id=\"\(id)\">"), "heading \(section)")
        }
        // Hostile text is escaped everywhere; exactly the two page scripts exist.
        #expect(!html.contains("<script>alert(1)"))
        #expect(!html.contains("<img src=x"))
        #expect(html.components(separatedBy: "<script").count == 3)
        // Tables scroll in their own box.
        #expect(html.components(separatedBy: "<table>").count == html.components(separatedBy: "<div class=\"table-wrap\">\n<table>").count)
    }

    /// The explorer's data is the results file's numbers, looked up, not recomputed.
    @Test func explorerDataIsTheResultsNumbers() throws {
        let (html, results) = try Self.page()
        let start = try #require(html.range(of: "<script type=\"application/json\" id=\"explorer-data\">"))
        let end = try #require(html[start.upperBound...].range(of: "</script>"))
        let json = String(html[start.upperBound..<end.lowerBound])
        #expect(!json.contains("<"))
        let data = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let dims = try #require(data["dims"] as? [[String: Any]])
        let values = Dictionary(uniqueKeysWithValues: dims.map { ($0["key"] as! String, $0["values"] as! [String]) })
        #expect(values["size"] == ["32", "64"])
        #expect(values["blocks"] == ["2", "3"])
        #expect(values["precision"] == ["8", "4"])
        #expect(values["act"] == ["float"])
        #expect(values["family"] != nil)   // the hostile family makes the family vary
        #expect(data["images"] as? [String] == ["../up|one`<img src=x onerror=alert(1)>.png", "cat.png", "dog.jpg"])
        let cases = try #require(data["cases"] as? [[String: Any]])
        #expect(cases.count == results.cases.count)
        for (c, r) in zip(cases, results.cases) {
            let t = try #require(c["totals"] as? [String: Any])
            #expect(t["bitops"] as? Int == r.cost.totals.bitops)
            #expect(t["macs"] as? Int == r.cost.totals.macs)
            let layers = try #require(c["layers"] as? [[String: Any]])
            #expect(layers.map { $0["bitops"] as? Int } == r.cost.layers.map(\.bitops))
            let images = try #require(c["images"] as? [[String: Any]])
            for (i, ri) in zip(images, r.images) {
                #expect(i["top5"] as? [Int] == ri.top5)
                // Fixture logits have two entries: class 0 and 1 have scores, others are out of range.
                let scores = i["scores"] as? [Any] ?? []
                #expect(scores.count == 5)
                #expect((scores[3] as? Double) == ri.logits[0])
            }
        }
        // Case 0 worked out by hand (GoldenTests): 5,812,224 BitOps.
        #expect((cases[0]["totals"] as? [String: Any])?["bitops"] as? Int == 5_812_224)
    }

    @Test func proseMarkdownSubset() {
        var toc = TOC()
        let html = ProseHTML.render("# Title *x*\n\nSome `a<b` and **bold** and [link](https://x.org) [bad](javascript:alert(1)).\n\n- one\n- two\n\n```sh\nrun <this>\n```\n<script>", toc: &toc)
        #expect(html.contains("<h1 id=\"title-x\">Title <em>x</em></h1>"))
        #expect(html.contains("<code>a&lt;b</code>"))
        #expect(html.contains("<strong>bold</strong>"))
        #expect(html.contains("<a href=\"https://x.org\">link</a>"))
        #expect(!html.contains("href=\"javascript"))
        #expect(html.contains("<ul><li>one</li><li>two</li></ul>"))
        #expect(html.contains("<pre><code>run &lt;this&gt;</code></pre>"))
        #expect(html.contains("<p>&lt;script&gt;</p>"))
        #expect(toc.entries.map(\.text) == ["Title x"])
    }
}
