import Foundation
import Testing
@testable import Reports

/// The default report's tables (and, below, its figures) compiled with pdflatex as a paper author would use
/// them: `\input{tables}` or one `tables/<name>.tex` at a time, in a one-column and a two-column `article`.
/// Any LaTeX error, any overfull box wider than 1 pt and any float too large for the page fails the test.
/// pdflatex comes from `texlive-latex-recommended` (scripts/setup.sh installs it; CI runs setup.sh).
@Suite(.serialized) struct LaTeXCompileTests {
    static let preamble = """
    \\usepackage{booktabs}
    \\usepackage{longtable}
    \\usepackage{graphicx}
    """

    /// A plain article, and a two-column one. `ieee` sets the two-column text block of IEEE and ACM
    /// proceedings (7.16 in wide, 3.5 in columns) — what the default single-column figure width is for.
    enum Layout: String, CaseIterable {
        case oneColumn = "one-column article"
        case twoColumn = "two-column article"
        case ieee = "two-column article with IEEE's 7.16 in text width"
        var documentClass: String {
            switch self {
            case .oneColumn: return "\\documentclass{article}"
            case .twoColumn: return "\\documentclass[twocolumn]{article}"
            case .ieee:
                return "\\documentclass[twocolumn]{article}\n\\setlength{\\textwidth}{7.16in}\\setlength{\\columnsep}{0.16in}\n"
                    + "\\setlength{\\oddsidemargin}{-0.18in}\\setlength{\\evensidemargin}{-0.18in}"
            }
        }
    }

    static func pdflatex() throws -> String {
        guard let path = which("pdflatex") else {
            throw TeXFailure("pdflatex not found on PATH: run scripts/setup.sh (it installs texlive-latex-recommended)")
        }
        return path
    }

    struct TeXFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Compiles `body` in `dir` (as `<name>.tex`) and returns every problem found in the log: errors
    /// (`! …` with the line that follows), overfull boxes wider than 1 pt, floats too large for the page.
    static func compile(_ name: String, layout: Layout, body: String, in dir: String) throws -> [String] {
        let tex = layout.documentClass + "\n" + preamble + "\n\\begin{document}\n" + body + "\n\\end{document}\n"
        try tex.write(toFile: "\(dir)/\(name).tex", atomically: true, encoding: .utf8)
        // longtable settles its column widths over passes (through the .aux file): rerun while it asks.
        var result = try run(try pdflatex(), ["-interaction=nonstopmode", "-halt-on-error", "\(name).tex"], in: dir)
        var log = (try? String(contentsOfFile: "\(dir)/\(name).log", encoding: .isoLatin1)) ?? result.output
        for _ in 0..<2 where result.status == 0 && log.contains("Rerun LaTeX") {
            result = try run(try pdflatex(), ["-interaction=nonstopmode", "-halt-on-error", "\(name).tex"], in: dir)
            log = (try? String(contentsOfFile: "\(dir)/\(name).log", encoding: .isoLatin1)) ?? result.output
        }
        var problems: [String] = []
        let lines = log.components(separatedBy: "\n")
        for (i, line) in lines.enumerated() {
            if line.hasPrefix("!") {
                problems.append(([line] + lines[(i + 1)..<min(i + 3, lines.count)]).joined(separator: " / "))
            } else if line.hasPrefix("Overfull \\"), let amount = overfullAmount(line), amount > 1 {
                problems.append(line + " / " + (i + 1 < lines.count ? lines[i + 1] : ""))
            } else if line.contains("Float too large") {
                problems.append(line)
            }
        }
        if result.status != 0 && problems.isEmpty { problems.append("pdflatex exited with \(result.status)") }
        return problems.map { "\(layout.rawValue), \(name).tex: \($0)" }
    }

    /// `Overfull \hbox (12.5pt too wide) …` → 12.5.
    static func overfullAmount(_ line: String) -> Double? {
        guard let open = line.firstIndex(of: "("), let pt = line.range(of: "pt too") else { return nil }
        return Double(line[line.index(after: open)..<pt.lowerBound])
    }

    func folder() throws -> String { try DefaultReport.folder.get() }

    @Test func tablesTeXCompilesInOneAndTwoColumns() throws {
        let dir = try folder()
        for layout in [Layout.oneColumn, .twoColumn] {
            let problems = try Self.compile("all-tables-\(layout == .oneColumn ? 1 : 2)", layout: layout, body: "\\input{tables}", in: dir)
            #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
        }
    }

    /// Each `tables/<name>.tex` on its own, as floats (a page break every few, as an author's text would
    /// provide), in both layouts.
    @Test func everyTableFileCompilesInOneAndTwoColumns() throws {
        let dir = try folder()
        let names = try Self.tableFiles(dir)
        #expect(names.contains("summary"))
        let body = Self.inputs(names)
        for layout in [Layout.oneColumn, .twoColumn] {
            let problems = try Self.compile("each-table-\(layout == .oneColumn ? 1 : 2)", layout: layout, body: body, in: dir)
            #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
        }
    }

    /// `--latex-floats off`: bare tabulars (and longtables without captions) compile as well, placed as an
    /// author would: in a one-column article as they are, in a two-column one inside `table*` (long tables
    /// are longtables, which switch to one column themselves).
    @Test func bareTablesCompile() throws {
        let dir = try DefaultReport.generate(options: ReportOptions(latexFloats: false), outputs: [.tex])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let names = try Self.tableFiles(dir)
        for name in names {
            let text = try String(contentsOfFile: "\(dir)/tables/\(name).tex", encoding: .utf8)
            #expect(!text.contains("\\caption") && !text.contains("\\begin{table"), "\(name).tex")
        }
        let long = try Set(names.filter { try String(contentsOfFile: "\(dir)/tables/\($0).tex", encoding: .utf8).contains("\\begin{longtable}") })
        #expect(long.contains("summary"))
        let wrapped = names.enumerated().map { i, n in
            (long.contains(n) ? "\\input{tables/\(n)}" : "\\begin{table*}\\centering\\input{tables/\(n)}\\end{table*}") + (i % 6 == 5 ? "\n\\clearpage" : "")
        }.joined(separator: "\n")
        for (layout, body) in [(Layout.oneColumn, Self.inputs(names)), (.twoColumn, wrapped)] {
            let problems = try Self.compile("bare-\(layout == .oneColumn ? 1 : 2)", layout: layout, body: body, in: dir)
            #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
        }
    }

    /// Every figure (PDF and PNG) included at its natural size, one per paragraph: none may overflow the
    /// column of a one-column article or of a two-column paper with IEEE's 3.5 in columns. A PNG without
    /// its DPI would be taken at 72 dpi — twice too wide — and fail here too.
    @Test func everyFigureFitsTheColumnAtNaturalSize() throws {
        let dir = try folder()
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/figures")
            .filter { $0.hasSuffix(".pdf") || $0.hasSuffix(".png") }.sorted()
        #expect(files.count >= 20)
        let body = files.map { "\\noindent\\includegraphics{figures/\($0)}\\par\\medskip" }.joined(separator: "\n")
        for layout in [Layout.oneColumn, .ieee] {
            let problems = try Self.compile("figures-\(layout == .oneColumn ? 1 : 2)", layout: layout, body: body, in: dir)
            #expect(problems.isEmpty, "\(problems.prefix(10).joined(separator: "\n"))")
        }
    }

    static func tableFiles(_ dir: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: "\(dir)/tables").filter { $0.hasSuffix(".tex") }
            .map { String($0.dropLast(4)) }.sorted()
    }

    static func inputs(_ names: [String]) -> String {
        names.enumerated().map { i, n in "\\input{tables/\(n)}" + (i % 6 == 5 ? "\n\\clearpage" : "") }.joined(separator: "\n")
    }

    /// The check itself can fail: a table wider than the column and a float taller than the page are
    /// reported, and so is an error.
    @Test func theCheckCatchesOverfullBoxesAndErrors() throws {
        let dir = NSTemporaryDirectory() + "bitsweep-latex-check-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let wide = "\\noindent\\begin{tabular}{l}" + String(repeating: "wide ", count: 80) + "\\end{tabular}"
        #expect(try Self.compile("wide", layout: .oneColumn, body: wide, in: dir).contains { $0.contains("Overfull \\hbox") })
        let tall = "\\begin{table}\\rule{1pt}{12in}\\end{table}"
        #expect(try Self.compile("tall", layout: .oneColumn, body: tall, in: dir).contains { $0.contains("Float too large") })
        #expect(try Self.compile("error", layout: .oneColumn, body: "\\undefinedmacro", in: dir).contains { $0.contains("Undefined control sequence") })
    }
}
