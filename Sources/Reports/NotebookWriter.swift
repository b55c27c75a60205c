import Foundation
import StableIO

/// `report.ipynb`: an nbformat 4.5 notebook that reads like an executed one.
///
/// - Template prose becomes Markdown cells.
/// - The `table: parameters` cell becomes a Python code cell tagged `parameters` (as papermill expects) that
///   assigns the report's parameters, with the parameters table as its output.
/// - Every other `bitsweep` cell becomes a code cell whose source is the cell's text as Python comments
///   (running it in Python does nothing harmful; regenerate the outputs with `bitsweep report`), with its
///   outputs as `display_data`: tables, headings and sentences as `text/markdown` + `text/html`, charts as
///   `image/svg+xml` + `image/png` (+ `text/plain` alt text).
///
/// JSON is written by hand with sorted keys and one-space indentation (as Jupyter writes it), so the same
/// report gives the same bytes. Cell ids are `cell-1`, `cell-2`, … in order.
public struct NotebookWriter: ReportWriter {
    public init() {}
    public var format: ReportFormat { .ipynb }

    public func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data] {
        [format.fileName: Data(notebook(document, figures: figures).utf8)]
    }

    public func notebook(_ document: ReportDocument, figures: RenderedFigures) -> String {
        var cells: [JSON] = []
        var execution = 0
        func id() -> JSON { .string("cell-\(cells.count + 1)") }
        for cell in document.cells {
            switch cell.kind {
            case let .prose(text):
                cells.append(.object([
                    ("cell_type", .string("markdown")), ("id", id()), ("metadata", .object([])), ("source", lines(text)),
                ]))
            case let .output(tc):
                execution += 1
                let source: String
                var metadata: [(String, JSON)] = []
                if tc.kind == .parameters {
                    source = parametersSource(document.parameters)
                    metadata.append(("tags", .array([.string("parameters")])))
                } else {
                    source = "# bitsweep cell — its outputs come from `bitsweep report`, not from running it\n"
                        + tc.source.components(separatedBy: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
                        .map { "# " + $0 }.joined(separator: "\n")
                }
                cells.append(.object([
                    ("cell_type", .string("code")), ("execution_count", .int(execution)), ("id", id()),
                    ("metadata", .object(metadata)), ("outputs", .array(outputs(cell.blocks, figures: figures))),
                    ("source", lines(source)),
                ]))
            }
        }
        let nb: JSON = .object([
            ("cells", .array(cells)),
            ("metadata", .object([
                ("bitsweep", .object([
                    ("results", .safeString(document.parameters.resultsDir)),
                    ("sweep", .safeString(document.parameters.name)),
                    ("template", .safeString(document.parameters.template)),
                ])),
                ("kernelspec", .object([
                    ("display_name", .string("Python 3")), ("language", .string("python")), ("name", .string("python3")),
                ])),
                ("language_info", .object([("name", .string("python"))])),
                ("title", .safeString(document.title)),
            ])),
            ("nbformat", .int(4)),
            ("nbformat_minor", .int(5)),
        ])
        return nb.serialized(indent: 0) + "\n"
    }

    /// Consecutive non-figure blocks share one `display_data`; each figure is its own.
    func outputs(_ blocks: [Block], figures: RenderedFigures) -> [JSON] {
        var out: [JSON] = []
        var pending: [Block] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let md = pending.map(MarkdownWriter.block).joined(separator: "\n\n")
            let html = pending.map(HTMLRender.block).joined(separator: "\n")
            out.append(.object([
                ("data", .object([("text/html", lines(html)), ("text/markdown", lines(md)), ("text/plain", lines(plainText(pending)))])),
                ("metadata", .object([])), ("output_type", .string("display_data")),
            ]))
            pending = []
        }
        for b in blocks {
            if case let .figure(f) = b {
                flush()
                var data: [(String, JSON)] = []
                if let svg = figures.svg[f.fileStem] {
                    data.append(("image/svg+xml", lines(Self.prefixingIDs(String(decoding: svg, as: UTF8.self), with: f.fileStem))))
                }
                if let png = figures.png[f.fileStem] { data.append(("image/png", .string(png.base64EncodedString()))) }
                data.append(("text/plain", lines("<Figure: \(f.caption)>")))
                out.append(.object([("data", .object(data)), ("metadata", .object([])), ("output_type", .string("display_data"))]))
            } else {
                pending.append(b)
            }
        }
        flush()
        return out
    }

    /// Cairo names glyphs and clips `glyph0-1`, `clip1`, … in every SVG; a front end that puts several SVGs
    /// inline in one page would mix them up. Prefix every `id` (and each `#id` reference) with the figure's
    /// file stem so that ids are unique across the notebook.
    static func prefixingIDs(_ svg: String, with prefix: String) -> String {
        // One pass over the bytes: after ` id="`, `href="#` and `url(#` insert `prefix-` (colours like
        // `fill="#fff"` are left alone).
        let src = Array(svg.utf8)
        let p = Array((prefix + "-").utf8)
        let idMark = Array(" id=\"".utf8)
        let hrefMark = Array("href=\"".utf8)
        let urlMark = Array("url(".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(src.count + src.count / 20)
        var i = 0
        while i < src.count {
            let b = src[i]
            out.append(b)
            if b == UInt8(ascii: "#"), i >= 6, Array(src[(i - 6)..<i]) == hrefMark || Array(src[(i - 4)..<i]) == urlMark {
                out += p
            } else if b == UInt8(ascii: "\""), i >= 4, Array(src[(i - 4)...i]) == idMark {
                out += p
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    func plainText(_ blocks: [Block]) -> String {
        blocks.map { b -> String in
            switch b {
            case let .heading(_, t): return t
            case let .paragraph(i): return i.map(\.plainText).joined()
            case let .table(t): return "[table: \(t.caption), \(t.rows.count) rows]"
            case let .figure(f): return "[figure: \(f.caption)]"
            case let .code(_, text): return text
            case let .details(s, inner, _): return s + "\n" + plainText(inner)
            }
        }.joined(separator: "\n")
    }

    /// The papermill `parameters` cell: Python assignments of what the report was made from.
    func parametersSource(_ p: Parameters) -> String {
        // A JSON string is a valid Python string literal; `<`, `>` and `&` are written as \u escapes so that
        // no HTML-looking text from the user appears in the notebook at all.
        func py(_ s: String) -> String { JSONText.quote(s, escapeHTML: true) }
        var l = ["# Parameters (papermill tags this cell `parameters`): what this report was made from."]
        l.append("results_dir = \(py(p.resultsDir))")
        l.append("template = \(py(p.template))")
        l.append("sweep_name = \(py(p.name))")
        l.append("cases = \(p.cases)")
        l.append("images = \(p.imageCount)")
        l.append("bitsweep_version = \(py(p.bitsweepVersion))")
        l.append("engine_version = \(py(p.engineVersion))")
        l.append("commit = \(py(p.commit))")
        l.append("machine = \(py(p.machine))")
        l.append("sweep_date = \(py(p.date))")
        l.append("spec_hash = \(py(p.specHash))")
        if let s = p.shard { l.append("shard = \(py(s))") }
        l.append("sweep_command = \(py(p.sweepCommand))")
        l.append("report_command = \(py(p.reportCommand))")
        return l.joined(separator: "\n")
    }

    /// Jupyter's multi-line string form: a list of lines, each but the last ending in "\n".
    func lines(_ text: String) -> JSON {
        let parts = text.components(separatedBy: "\n")
        return .array(parts.enumerated().compactMap { i, s in
            if i == parts.count - 1 { return s.isEmpty ? nil : .string(s) }
            return .string(s + "\n")
        })
    }
}

/// A tiny JSON value with ordered keys and stable, Jupyter-like output.
indirect enum JSON {
    case string(String)
    /// A string whose `<`, `>`, `&` are written as `\u` escapes (user text in metadata).
    case safeString(String)
    case int(Int)
    case bool(Bool)
    case null
    case array([JSON])
    case object([(String, JSON)])

    func serialized(indent: Int) -> String {
        let pad = String(repeating: " ", count: indent)
        let inner = String(repeating: " ", count: indent + 1)
        switch self {
        case let .string(s): return JSONText.quote(s)
        case let .safeString(s): return JSONText.quote(s, escapeHTML: true)
        case let .int(i): return String(i)
        case let .bool(b): return b ? "true" : "false"
        case .null: return "null"
        case let .array(items):
            if items.isEmpty { return "[]" }
            return "[\n" + items.map { inner + $0.serialized(indent: indent + 1) }.joined(separator: ",\n") + "\n" + pad + "]"
        case let .object(pairs):
            if pairs.isEmpty { return "{}" }
            let sorted = pairs.sorted { $0.0 < $1.0 }
            return "{\n" + sorted.map { inner + JSONText.quote($0.0) + ": " + $0.1.serialized(indent: indent + 1) }.joined(separator: ",\n") + "\n" + pad + "}"
        }
    }
}
