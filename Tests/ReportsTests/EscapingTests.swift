import BitOpsCore
import Foundation
import Results
import Testing
@testable import Reports

/// Text from the user — the sweep's name, image file names, error messages, case ids read from a results
/// file — must not break a table, inject HTML, or write outside the report folder.
@Suite struct EscapingTests {
    static let hostile = "evil | name `tick` <script>alert(1)</script>\nsecond line ../../x *bold* [link](http://x) & #"

    /// The fixture with hostile text in every user-controlled string.
    static func hostileResults() throws -> ResultsSet {
        var set = try Fixture.results(name: hostile)
        set.cases[0].id = "../../etc/passwd"
        set.cases[1].config.family = "fam|ily`<b>"
        set.cases[1].error = "failed:\n| injected | row |\n<script>x</script> }{ \\end{table}"
        set.cases[2].images[0].file = "../up|one`<img src=x onerror=alert(1)>.png"
        set.skippedImages = [SkippedImage(file: "a|b\n<script>.png", reason: "bad | reason `x`\nline two")]
        return set
    }

    static func document() throws -> ReportDocument {
        var run = Fixture.runInfo()
        run.machine = hostile
        run.commandLine = ["bitsweep", "sweep", "it's a spec.yaml", "--set", "name=a|b"]
        let ex = CellExecutor(results: try hostileResults(), run: run, resultsDirLabel: "Reports/<script>",
                              templateLabel: "t|`.md", reportCommand: ["bitsweep", "report", "Reports/x y"])
        return try ex.execute(Template.defaultTemplate())
    }

    /// Counts `|` that are not backslash-escaped.
    static func unescapedPipes(_ line: String) -> Int {
        var n = 0
        var escaped = false
        for ch in line {
            if escaped { escaped = false; continue }
            if ch == "\\" { escaped = true; continue }
            if ch == "|" { n += 1 }
        }
        return n
    }

    @Test func markdownTablesKeepTheirShapeAndNoHTMLGetsThrough() throws {
        let md = MarkdownWriter().markdown(try Self.document())
        if let look = ProcessInfo.processInfo.environment["BITSWEEP_REPORT_LOOK"] {
            try md.write(toFile: look + "/hostile.md", atomically: true, encoding: .utf8)
        }
        #expect(!md.contains("<script"))
        #expect(!md.contains("<img"))
        #expect(!md.contains("<b>"))
        // Every table: all rows have the header's number of cell separators.
        let lines = md.components(separatedBy: "\n")
        var i = 0
        var tables = 0
        while i < lines.count {
            if lines[i].hasPrefix("| "), i + 1 < lines.count, lines[i + 1].hasPrefix("|"), lines[i + 1].contains("---") {
                tables += 1
                let n = Self.unescapedPipes(lines[i])
                var j = i + 1
                while j < lines.count, lines[j].hasPrefix("|") {
                    #expect(Self.unescapedPipes(lines[j]) == n, "row \(j + 1) breaks its table: \(lines[j])")
                    j += 1
                }
                // The line after a table is blank: no row was split by a newline.
                #expect(j == lines.count || lines[j].isEmpty, "line \(j + 1) continues a table: \(lines[j])")
                i = j
            } else {
                i += 1
            }
        }
        #expect(tables > 5)
        // The hostile name appears escaped, on one line.
        #expect(md.contains("# BitSweep report: evil \\| name \\`tick\\` &lt;script&gt;alert(1)&lt;/script&gt; second line ../../x \\*bold\\* \\[link\\](http://x) &amp; \\#"))
    }

    @Test func figureFileNamesStayInTheFiguresFolder() throws {
        let doc = try Self.document()
        #expect(!doc.figures.isEmpty)
        for f in doc.figures {
            #expect(!f.fileStem.contains("/"))
            #expect(!f.fileStem.contains(".."))
            #expect(!f.fileStem.hasPrefix("."))
            #expect(f.fileStem.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) })
        }
        // A hostile family name is cleaned into the names of its figures.
        #expect(doc.figures.contains { $0.fileStem.hasPrefix("layerwise_") && $0.fileStem.hasSuffix("_fam-ily--b-") })
    }

    @Test func notebookIsValidJSONWithoutLiveHTML() throws {
        let doc = try Self.document()
        let text = try NotebookWriter().notebook(doc, figures: GoldenTests.stubFigures(doc))
        let obj = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(obj?["nbformat"] as? Int == 4)
        // Nothing a notebook renders as Markdown or HTML carries live user HTML (text/plain may: it is shown
        // as text).
        var rendered: [String] = []
        for cell in obj?["cells"] as? [[String: Any]] ?? [] {
            if cell["cell_type"] as? String == "markdown" { rendered.append((cell["source"] as? [String] ?? []).joined()) }
            for out in cell["outputs"] as? [[String: Any]] ?? [] {
                let data = out["data"] as? [String: Any] ?? [:]
                for key in ["text/html", "text/markdown"] { rendered.append((data[key] as? String) ?? (data[key] as? [String] ?? []).joined()) }
            }
        }
        #expect(rendered.count > 10)
        for r in rendered {
            #expect(!r.contains("<script"))
            #expect(!r.contains("<img src=x"))
            #expect(!r.contains("<b>"))
        }
        // The hostile machine string reaches the parameters table as escaped text.
        #expect(text.contains(#"evil \\| name \\`tick\\` &lt;script&gt;alert(1)&lt;/script&gt; second line"#))
    }

    @Test func latexEscapesSpecials() throws {
        let tex = LaTeXWriter().latex(try Self.document())
        #expect(!tex.contains("<script>"))
        #expect(tex.contains("fam\\textbar{}ily`\\textless{}b\\textgreater{}"))
        // No raw newline inside a row: every row line ends with \\ or is a LaTeX command or a group brace.
        for line in tex.components(separatedBy: "\n") where !line.isEmpty && !line.hasPrefix("\\") && !line.hasPrefix("%")
            && !line.hasPrefix(" ") && !["{\\small", "}"].contains(line) {
            #expect(line.hasSuffix("\\\\"), "stray line: \(line)")
        }
    }
}

/// `tables.tex` is well-formed even with hostile text: environments pair up and braces balance over the
/// whole file (PaperTests compiles the default report's tables with pdflatex).
@Suite struct LaTeXStructureTests {
    @Test func environmentsPairAndBracesBalance() throws {
        let tex = LaTeXWriter().latex(try EscapingTests.document())
        for env in ["table", "table*", "tabular", "longtable"] {
            #expect(tex.components(separatedBy: "\\begin{\(env)}").count == tex.components(separatedBy: "\\end{\(env)}").count)
        }
        var depth = 0
        for line in tex.components(separatedBy: "\n") where !line.hasPrefix("%") {
            var escaped = false
            for ch in line {
                if escaped { escaped = false; continue }
                if ch == "\\" { escaped = true; continue }
                if ch == "{" { depth += 1 }
                if ch == "}" { depth -= 1; #expect(depth >= 0, "unbalanced: \(line)") }
            }
        }
        #expect(depth == 0)
    }
}
