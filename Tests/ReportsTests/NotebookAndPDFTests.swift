import Foundation
import Results
import Testing
@testable import Reports
import Presentation

/// Runs a program and returns its exit status and combined output.
func runProcess(_ path: String, _ args: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

func which(_ tool: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

/// The whole report of the fixture, generated once per test run into a temporary folder.
enum GeneratedFixture {
    static let dir: Result<String, Error> = Result {
        let results = try Fixture.writeFolder()
        try ReportGenerator.generate(resultsDir: results)
        return results
    }
}

@Suite struct NotebookValidationTests {
    /// The test environment's python (`scripts/test-venv.sh`: nbformat and Jupyter from PyPI, made once).
    static let python: Result<String, ReportError> = {
        let root = URL(fileURLWithPath: Fixture.testsDir).deletingLastPathComponent().deletingLastPathComponent().path
        guard let r = try? runProcess("/bin/bash", [root + "/scripts/test-venv.sh"]), r.status == 0,
              let py = r.output.split(separator: "\n").last.map(String.init) else {
            return .failure(ReportError("scripts/test-venv.sh could not make the test environment"))
        }
        return .success(py.hasPrefix("/") ? py : root + "/" + py)
    }()

    @Test func notebookPassesTheNbformatValidator() throws {
        let py = try Self.python.get()
        let dir = try GeneratedFixture.dir.get()
        let script = """
        import json, sys, nbformat
        nb = nbformat.read(sys.argv[1], as_version=4)
        nbformat.validate(nb)
        cells = nb.cells
        params = [c for c in cells if 'parameters' in c.metadata.get('tags', [])]
        assert len(params) == 1 and params[0].cell_type == 'code', 'one code cell tagged parameters'
        compile(params[0].source, 'parameters', 'exec')
        kinds = set()
        for c in cells:
            if c.cell_type == 'code':
                compile(c.source, 'cell', 'exec')
                for o in c.outputs:
                    assert o.output_type == 'display_data'
                    kinds.update(o.data.keys())
        assert {'image/png', 'text/markdown', 'text/plain'} == kinds, kinds
        print('ok', nb.nbformat, nb.nbformat_minor, len(cells))
        """
        let r = try runProcess(py, ["-c", script, dir + "/report.ipynb"])
        #expect(r.status == 0, "nbformat rejected the notebook:\n\(r.output)")
        #expect(r.output.hasPrefix("ok 4 5"))
    }
}

@Suite struct PDFTests {
    @Test func pdfHasTitlePageNumberedPagesAndEmbeddedTrueTypeFonts() throws {
        guard let pdfinfo = which("pdfinfo"), let pdffonts = which("pdffonts"), let pdftotext = which("pdftotext") else {
            Issue.record("poppler-utils is not installed (scripts/setup.sh installs it)")
            return
        }
        let dir = try GeneratedFixture.dir.get()
        let pdf = dir + "/report.pdf"
        let info = try runProcess(pdfinfo, [pdf])
        #expect(info.status == 0)
        let pagesLine = info.output.components(separatedBy: "\n").first { $0.hasPrefix("Pages:") } ?? ""
        let pages = Int(pagesLine.dropFirst(6).trimmingCharacters(in: .whitespaces)) ?? 0
        // Title page + parameters + summary + 8 cases with a chart and two tables each: well over 8 pages,
        // and not absurdly many.
        #expect(pages >= 10 && pages <= 40, "pages: \(pages)")
        #expect(info.output.contains("BitSweep report: fixture"))

        let fonts = try runProcess(pdffonts, [pdf])
        #expect(fonts.status == 0)
        let rows = fonts.output.components(separatedBy: "\n").dropFirst(2).filter { !$0.isEmpty }
        #expect(!rows.isEmpty)
        for row in rows {
            #expect(!row.contains("Type 3"), "Type 3 font: \(row)")
            #expect(row.contains("TrueType"), "not TrueType: \(row)")
            // The "emb" column: every font embedded.
            let cols = row.split(separator: " ", omittingEmptySubsequences: true)
            #expect(cols.count >= 5 && cols[cols.count - 5] == "yes", "not embedded: \(row)")
        }

        // Page numbers in the footer of every page after the title page; the summary numbers are real text.
        for page in [2, pages] {
            let text = try runProcess(pdftotext, ["-f", "\(page)", "-l", "\(page)", "-layout", pdf, "-"]).output
            let lastLine = text.components(separatedBy: "\n").last { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.contains("\u{0C}") } ?? ""
            #expect(lastLine.hasSuffix(" \(page)"), "page \(page) footer: \(lastLine)")
        }
        let all = try runProcess(pdftotext, [pdf, "-"]).output
        #expect(all.contains("5,812,224"))     // case 0's BitOps, worked out by hand in GoldenTests
        #expect(all.contains("broken.png"))    // the skipped image
    }

    /// The contents on the title page name the page each section starts on.
    @Test func contentsPageNumbersAreRight() throws {
        guard let pdftotext = which("pdftotext") else {
            Issue.record("poppler-utils is not installed (scripts/setup.sh installs it)")
            return
        }
        let pdf = try GeneratedFixture.dir.get() + "/report.pdf"
        let pages = try runProcess(pdftotext, ["-layout", pdf, "-"]).output.components(separatedBy: "\u{0C}")
        let entries: [(String, Int)] = pages[0].components(separatedBy: "\n").compactMap { line in
            guard line.contains(". . ."), let n = Int(line.split(separator: " ").last ?? "") else { return nil }
            let title = line.components(separatedBy: " . ")[0].trimmingCharacters(in: .whitespaces)
            return (title, n)
        }
        #expect(entries.map(\.0).contains("Summary"))
        #expect(entries.count >= 8)
        for (title, n) in entries {
            let lines = pages[n - 1].components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(lines.contains(title), "'\(title)' is not on page \(n)")
            if n > 2 { #expect(!pages[n - 2].components(separatedBy: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.contains(title)) }
        }
    }

    /// A table longer than a page continues on the next page with its header repeated, rows never split.
    @Test func longTableSplitsAcrossPagesWithRepeatedHeader() throws {
        guard let pdfinfo = which("pdfinfo"), let pdftotext = which("pdftotext") else {
            Issue.record("poppler-utils is not installed (scripts/setup.sh installs it)")
            return
        }
        let rows = (0..<150).map { ["row \($0)", NumberText.grouped($0 * 1_000_003)] }
        let t = Table(caption: "A long table", label: "long", columns: [.init("name"), .init("value", unit: "BitOps", numeric: true)], rows: rows)
        let doc = ReportDocument(title: "long", cells: [ReportCell(kind: .prose("# Long"), blocks: []),
                                                        ReportCell(kind: .output(TemplateCell(kind: .summary, options: [:], source: "", line: 1)), blocks: [.table(t)])],
                                 parameters: CellExecutor(results: ResultsSet(name: "long", cases: [], skippedImages: []), run: nil,
                                                          resultsDirLabel: "x", templateLabel: "t", reportCommand: ["bitsweep"]).parameters())
        let data = try #require(try PDFReportWriter().render(doc, figures: RenderedFigures())["report.pdf"])
        let path = NSTemporaryDirectory() + "bitsweep-long-\(UUID().uuidString).pdf"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try data.write(to: URL(fileURLWithPath: path))
        let info = try runProcess(pdfinfo, [path]).output
        let pages = Int(info.components(separatedBy: "\n").first { $0.hasPrefix("Pages:") }?.dropFirst(6).trimmingCharacters(in: .whitespaces) ?? "") ?? 0
        #expect(pages >= 4)   // title page + at least three pages of rows
        let text = try runProcess(pdftotext, [path, "-"]).output
        #expect(text.components(separatedBy: "A long table (continued)").count - 1 == pages - 2)
        for i in rows.indices { #expect(text.contains("row \(i)\n") || text.contains("row \(i) ")) }
    }
}
