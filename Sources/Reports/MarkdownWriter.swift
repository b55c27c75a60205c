import Foundation
import Presentation

/// The report formats `bitsweep report --outputs` accepts.
public enum ReportFormat: String, CaseIterable, Sendable, Hashable {
    case md, pdf, ipynb, tex, html

    /// The file each format writes in the output folder.
    public var fileName: String {
        switch self {
        case .md: return "report.md"
        case .pdf: return "report.pdf"
        case .ipynb: return "report.ipynb"
        case .tex: return "tables.tex"
        case .html: return "report.html"
        }
    }

    /// Parses `md,pdf,ipynb,tex,html` (also `all`, `markdown`, `notebook`, `latex`).
    public static func parseList(_ text: String) throws -> [ReportFormat] {
        var out: [ReportFormat] = []
        for word in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) {
            let f: [ReportFormat]
            switch word {
            case "all": f = allCases
            case "md", "markdown": f = [.md]
            case "pdf": f = [.pdf]
            case "ipynb", "notebook": f = [.ipynb]
            case "tex", "latex": f = [.tex]
            case "html": f = [.html]
            default:
                throw ReportError("--outputs: unknown format '\(word)' (expected a comma-separated list of md, pdf, ipynb, tex, html, or all)")
            }
            for x in f where !out.contains(x) { out.append(x) }
        }
        if out.isEmpty { throw ReportError("--outputs: expected at least one of md, pdf, ipynb, tex, html") }
        return out
    }
}

/// The rendered chart files of a report: file stem → SVG and PNG bytes.
public struct RenderedFigures: Sendable {
    public var pdf: [String: Data] = [:]
    public var svg: [String: Data] = [:]
    public var png: [String: Data] = [:]
    public init() {}
}

/// One output format. A writer turns the executed document into files (name → bytes) and writes nothing
/// itself: the generator writes every file atomically once all writers have succeeded.
public protocol ReportWriter {
    var format: ReportFormat { get }
    func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data]
}

/// `report.md`: GitHub-flavoured Markdown. Template prose is copied as written; every generated string is
/// escaped; tables are padded so that columns line up in the source too; numeric columns are right-aligned.
public struct MarkdownWriter: ReportWriter {
    public init() {}
    public var format: ReportFormat { .md }

    public func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data] {
        [format.fileName: Data(markdown(document).utf8)]
    }

    public func markdown(_ document: ReportDocument) -> String {
        var parts: [String] = ["<!-- Written by `bitsweep report` from a template; edit the template, not this file. -->"]
        for cell in document.cells {
            switch cell.kind {
            case let .prose(text): parts.append(text)
            case .output: parts.append(contentsOf: cell.blocks.map(Self.block))
            }
        }
        return parts.joined(separator: "\n\n") + "\n"
    }

    /// One block as Markdown (no trailing newline). `padded: false` leaves table cells unpadded (the same table,
    /// smaller: the notebook's outputs).
    public static func block(_ b: Block) -> String { block(b, padded: true) }

    public static func block(_ b: Block, padded: Bool) -> String {
        switch b {
        case let .heading(level, text):
            return String(repeating: "#", count: max(1, min(level, 6))) + " " + Escape.markdown(text)
        case let .paragraph(inlines):
            return inline(inlines)
        case let .table(t):
            return table(t, padded: padded)
        case let .figure(f):
            let alt = Escape.markdown(f.caption)
            return "![\(alt)](\(f.svgPath))\n\n*\(alt)* Files: [SVG](\(f.svgPath)) · [PNG](\(f.pngPath))"
        case let .code(language, text):
            return codeBlock(language: language, text: text)
        case let .details(summary, blocks, _):
            return "<details>\n<summary>\(Escape.html(summary))</summary>\n\n" + blocks.map { block($0, padded: padded) }.joined(separator: "\n\n") + "\n\n</details>"
        }
    }

    static func inline(_ inlines: [Inline]) -> String {
        inlines.map { i -> String in
            switch i {
            case let .text(s): return Escape.markdown(s)
            case let .code(s): return Escape.codeSpan(s)
            case let .strong(s): return "**" + Escape.markdown(s) + "**"
            case let .emphasis(s): return "*" + Escape.markdown(s) + "*"
            }
        }.joined()
    }

    static func codeBlock(language: String, text: String) -> String {
        var longest = 0, run = 0
        for ch in text { if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        return fence + Escape.fileComponent(language) + "\n" + text + "\n" + fence
    }

    /// A GFM table, padded so the source lines up. Subtotal rows are bold.
    public static func table(_ t: Table, padded: Bool = true) -> String {
        let header = t.columns.map { Escape.markdown($0.header) }
        let rows: [[String]] = t.rows.enumerated().map { i, row in
            row.map { cell in
                let e = Escape.markdown(cell)
                return t.emphasizedRows.contains(i) && !cell.isEmpty ? "**\(e)**" : e
            }
        }
        let right = Set(t.columns.indices.filter { t.columns[$0].numeric })
        return String(PlainTable.markdown(header, rows, right: right, padded: padded).dropLast())
    }
}

/// HTML for generated blocks (the notebook's `text/html` outputs).
enum HTMLRender {
    static func block(_ b: Block) -> String {
        switch b {
        case let .heading(level, text):
            let l = max(1, min(level, 6))
            return "<h\(l)>\(Escape.html(text))</h\(l)>"
        case let .paragraph(inlines):
            return "<p>" + inline(inlines) + "</p>"
        case let .table(t):
            return table(t)
        case let .figure(f):
            return "<figure><img src=\"\(f.svgPath)\" alt=\"\(Escape.html(f.caption))\"><figcaption>\(Escape.html(f.caption))</figcaption></figure>"
        case let .code(_, text):
            return "<pre><code>" + Escape.html(text, keepNewlines: true) + "</code></pre>"
        case let .details(summary, blocks, _):
            return "<details>\n<summary>\(Escape.html(summary))</summary>\n" + blocks.map(block).joined(separator: "\n") + "\n</details>"
        }
    }

    static func inline(_ inlines: [Inline]) -> String {
        inlines.map { i -> String in
            switch i {
            case let .text(s): return Escape.html(s)
            case let .code(s): return "<code>" + Escape.html(s) + "</code>"
            case let .strong(s): return "<strong>" + Escape.html(s) + "</strong>"
            case let .emphasis(s): return "<em>" + Escape.html(s) + "</em>"
            }
        }.joined()
    }

    static func table(_ t: Table) -> String {
        func align(_ c: Table.Column) -> String { c.numeric ? " style=\"text-align: right\"" : " style=\"text-align: left\"" }
        var out = "<table>\n<thead>\n<tr>" + t.columns.map { "<th\(align($0))>\(Escape.html($0.header))</th>" }.joined() + "</tr>\n</thead>\n<tbody>\n"
        for (i, row) in t.rows.enumerated() {
            out += "<tr>" + t.columns.indices.map { j -> String in
                let v = Escape.html(j < row.count ? row[j] : "")
                let cell = t.emphasizedRows.contains(i) && !v.isEmpty ? "<strong>\(v)</strong>" : v
                return "<td\(align(t.columns[j]))>\(cell)</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</tbody>\n</table>"
    }
}
