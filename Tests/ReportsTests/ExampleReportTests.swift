import Foundation
import Results
import Testing
@testable import Reports

/// `Reports/example/` holds the results of a real (small) sweep and the report written from them. This test
/// regenerates the report from the committed results and compares every text output and every SVG with the
/// committed files, with timing fields masked (they are the only numbers that differ between two runs of the
/// same sweep). To refresh the example after an intended change:
///
///     bitsweep sweep Reports/example/sweep.yaml --out Reports/example --fresh   # writes the report too
///     bitsweep report Reports/example
enum ExampleReport {
    static let root = URL(fileURLWithPath: Fixture.testsDir).deletingLastPathComponent().deletingLastPathComponent().path
    static let dir = root + "/Reports/example"

    /// Masks the time-per-image column (Markdown and HTML tables whose header names `ms/image`) and the
    /// `ms_per_image` column of summary.csv.
    static func maskTimings(_ text: String, file: String) -> String {
        if file.hasSuffix(".csv") {
            let lines = text.components(separatedBy: "\n")
            guard let header = lines.first?.components(separatedBy: ","), let j = header.firstIndex(of: "ms_per_image") else { return text }
            return lines.map { line in
                var cells = line.components(separatedBy: ",")
                if line != lines[0], j < cells.count { cells[j] = "*" }
                return cells.joined(separator: ",")
            }.joined(separator: "\n")
        }
        var out: [String] = []
        var mdColumn: Int? = nil
        var htmlColumn: Int? = nil
        for line in text.components(separatedBy: "\n") {
            var l = line
            // Markdown tables (also inside notebook JSON strings, which start with `"| `).
            let stripped = l.trimmingCharacters(in: .whitespaces)
            if stripped.hasPrefix("| ") || stripped.hasPrefix("\"| "),
               let start = l.range(of: "| "), let end = l.range(of: " |", options: .backwards), start.upperBound <= end.lowerBound {
                let cells = l[start.upperBound..<end.lowerBound].components(separatedBy: " | ")
                if let j = cells.firstIndex(where: { $0.contains("(ms/image)") }) {
                    mdColumn = j
                } else if let j = mdColumn, j < cells.count, !cells.allSatisfy({ $0.allSatisfy { "-: ".contains($0) } }) {
                    var c = cells
                    c[j] = String(repeating: "*", count: c[j].count)
                    l = String(l[..<start.upperBound]) + c.joined(separator: " | ") + String(l[end.lowerBound...])
                }
            } else {
                mdColumn = nil
            }
            // HTML table rows are one line each: `<tr><th …>…</th>…</tr>`.
            if l.contains("<tr><th") {
                let cells = l.components(separatedBy: "</th>")
                htmlColumn = cells.firstIndex { $0.contains("(ms/image)") }
            } else if l.contains("<tr><td"), let j = htmlColumn {
                var cells = l.components(separatedBy: "</td>")
                if j < cells.count, let open = cells[j].range(of: "\">", options: .backwards) {
                    cells[j] = String(cells[j][..<open.upperBound]) + "*"
                }
                l = cells.joined(separator: "</td>")
            } else if l.contains("</table>") {
                htmlColumn = nil
            }
            out.append(l)
        }
        return out.joined(separator: "\n")
    }
}

@Suite struct ExampleReportTests {
    @Test func maskingHidesOnlyTimes() {
        let md = "| # | BitOps | time (ms/image) |\n| -: | -: | -: |\n| 0 | 5,812,224 | 0.512 |\n\nafter | x"
        #expect(ExampleReport.maskTimings(md, file: "report.md") == "| # | BitOps | time (ms/image) |\n| -: | -: | -: |\n| 0 | 5,812,224 | ***** |\n\nafter | x")
        let csv = "index,bitops,ms_per_image\n0,5812224,0.5\n"
        #expect(ExampleReport.maskTimings(csv, file: "summary.csv") == "index,bitops,ms_per_image\n0,5812224,*\n")
    }

    /// Replaces every chart in a notebook by its file name: figures are the charts module's to test (and
    /// their bytes change whenever its layout does); the report's structure and text are compared here.
    static func maskFigures(_ notebook: Data) throws -> Data {
        func walk(_ v: Any) -> Any {
            if var d = v as? [String: Any] {
                for k in ["image/svg+xml", "image/png"] where d[k] != nil { d[k] = "<figure>" }
                for (k, x) in d { d[k] = walk(x) }
                return d
            }
            if let a = v as? [Any] { return a.map(walk) }
            return v
        }
        let obj = walk(try JSONSerialization.jsonObject(with: notebook))
        return try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys])
    }

    @Test func committedExampleRegeneratesIdentically() throws {
        let dir = ExampleReport.dir
        guard FileManager.default.fileExists(atPath: dir + "/results.json") else {
            Issue.record("Reports/example/results.json is missing: run the example sweep (see ExampleReport)")
            return
        }
        // The report as `bitsweep report Reports/example` writes it, minus chart rendering (fast in debug).
        let results = try ResultsStore.load(dir)
        let executor = CellExecutor(results: results, run: ResultsStore.loadRunInfo(dir), resultsDirLabel: "Reports/example",
                                    templateLabel: "(default template)", reportCommand: ["bitsweep", "report", "Reports/example"])
        let doc = try executor.execute(Template.defaultTemplate())
        let notebook = try ReportGenerator.notebookInputs(doc, executor: executor, resultsDir: dir, outDir: dir, template: nil,
                                                          budgets: nil, where: nil)
        let fresh: [String: Data] = [
            "report.md": Data(MarkdownWriter().markdown(doc).utf8),
            "report.ipynb": try Self.maskFigures(Data(try notebook.0.notebook(notebook.1, figures: GoldenTests.stubFigures(doc)).utf8)),
            "tables.tex": Data(LaTeXWriter().latex(doc).utf8),
            "summary.csv": Data(SummaryCSV.csv(results).utf8),
        ]
        for (f, data) in fresh.sorted(by: { $0.key < $1.key }) {
            guard var committed = FileManager.default.contents(atPath: dir + "/" + f) else {
                Issue.record("Reports/example/\(f) is not committed")
                continue
            }
            if f == "report.ipynb" { committed = try Self.maskFigures(committed) }
            let a = ExampleReport.maskTimings(String(decoding: data, as: UTF8.self), file: f)
            let b = ExampleReport.maskTimings(String(decoding: committed, as: UTF8.self), file: f)
            if a != b {
                let la = a.components(separatedBy: "\n"), lb = b.components(separatedBy: "\n")
                let i = (0..<min(la.count, lb.count)).first { la[$0] != lb[$0] } ?? min(la.count, lb.count)
                Issue.record("Reports/example/\(f) differs at line \(i + 1):\n  regenerated: \(i < la.count ? String(la[i].prefix(200)) : "<end>")\n  committed:   \(i < lb.count ? String(lb[i].prefix(200)) : "<end>")")
            }
        }
        // Every figure the report links is committed, as SVG and PNG; the PDF too (not byte-compared: it
        // carries a creation date).
        for fig in doc.figures {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + fig.svgPath), "\(fig.svgPath) missing")
            #expect(FileManager.default.fileExists(atPath: dir + "/" + fig.pngPath), "\(fig.pngPath) missing")
        }
        #expect(FileManager.default.fileExists(atPath: dir + "/report.pdf"))
    }
}
