import Foundation
import StableIO

/// `report.ipynb`: an nbformat 4.5 notebook that runs.
///
/// - Template prose becomes Markdown cells (placeholders filled in when the report was written).
/// - A code cell tagged `parameters` (papermill's convention) assigns `results_dir` (the results folder, from
///   the notebook's folder), `budgets`, `where` and `bitsweep` (the binary; None: `$BITSWEEP`, else
///   `bitsweep` on the kernel's PATH); the next cell defines `report_cell(text)`, which runs
///   `bitsweep report RESULTS_DIR --cell TEXT --format ipynb` and displays what it prints.
/// - Every `bitsweep` cell of the template becomes `report_cell("""…the cell's text…""")`, stored with the
///   outputs that call gives: tables and text once, as `text/markdown` (report.md's text, tables unpadded; every
///   front end renders it with its column alignment) with a one-line `text/plain`, each chart once, as `image/png` at
///   `NotebookWriter.pngDPI` (with its caption as `text/plain`). Executing the notebook
///   (`jupyter nbconvert --to notebook --execute`, or papermill with another `results_dir`) reproduces them.
///
/// JSON is written by hand with sorted keys and one-space indentation (as Jupyter writes it), so the same
/// report gives the same bytes. Cell ids are `cell-1`, `cell-2`, … in order.
public struct NotebookWriter: ReportWriter {
    /// The notebook's parameters: the results folder as seen from the notebook's folder, and the options
    /// the report was written with.
    public var resultsDir: String
    public var budgets: String?
    public var filter: String?

    public init(resultsDir: String = ".", budgets: String? = nil, where filter: String? = nil) {
        self.resultsDir = resultsDir
        self.budgets = budgets
        self.filter = filter
    }

    public var format: ReportFormat { .ipynb }

    /// PNG resolution of the notebook's charts: a 7-inch chart is 700 pixels wide, about a notebook's column.
    public static let pngDPI = 100

    public func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data] {
        [format.fileName: Data(try notebook(document, figures: figures).utf8)]
    }

    public func notebook(_ document: ReportDocument, figures: RenderedFigures) throws -> String {
        var cells: [JSON] = []
        var execution = 0
        func id() -> JSON { .string("cell-\(cells.count + 1)") }
        func code(_ source: String, outputs: [JSON] = [], tags: [String] = []) {
            execution += 1
            let metadata: [(String, JSON)] = tags.isEmpty ? [] : [("tags", .array(tags.map(JSON.string)))]
            cells.append(.object([
                ("cell_type", .string("code")), ("execution_count", .int(execution)), ("id", id()),
                ("metadata", .object(metadata)), ("outputs", .array(outputs)), ("source", lines(source)),
            ]))
        }
        func setup() {
            code(parametersSource(), tags: ["parameters"])
            code(Self.helperSource)
        }
        var setupDone = false
        for cell in document.cells {
            switch cell.kind {
            case let .prose(text):
                cells.append(.object([
                    ("cell_type", .string("markdown")), ("id", id()), ("metadata", .object([])), ("source", lines(text)),
                ]))
            case let .output(tc):
                if !setupDone { setup(); setupDone = true }
                code("report_cell(\(Self.pythonString(tc.source)))", outputs: try Self.outputs(cell.blocks, figures: figures))
            }
            // The parameters come right after the title (the first prose cell).
            if !setupDone, case .prose = cell.kind { setup(); setupDone = true }
        }
        if !setupDone { setup() }
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

    /// The papermill `parameters` cell.
    func parametersSource() -> String {
        // A JSON string is a valid Python string literal; `<`, `>` and `&` are written as \u escapes so that
        // no HTML-looking text from the user appears in the notebook at all.
        func py(_ s: String?) -> String { s.map { JSONText.quote($0, escapeHTML: true) } ?? "None" }
        return """
        # Parameters (papermill: -p results_dir DIR …)
        results_dir = \(py(resultsDir))  # the results folder (with results.json), seen from this notebook's folder
        budgets = \(py(budgets))  # a budget profiles file, or None for the one the sweep named
        where = \(py(filter))  # key=value pairs that cases must match (size=32 blocks=4), or None for all cases
        bitsweep = None  # the path of the bitsweep binary, or None for $BITSWEEP or else bitsweep on PATH
        """
    }

    /// The cell that defines `report_cell`: runs one report cell with `bitsweep` and displays its outputs.
    static let helperSource = """
    import json, os, shutil, subprocess
    from IPython.display import display

    BITSWEEP = shutil.which(bitsweep or os.environ.get("BITSWEEP") or "bitsweep")

    def report_cell(text):
        \"\"\"Shows one report cell: `bitsweep report RESULTS_DIR --cell TEXT --format ipynb`.\"\"\"
        if BITSWEEP is None:
            print("bitsweep is not on this kernel's PATH: set `bitsweep` in the parameters cell, or $BITSWEEP, to its path")
            return
        args = [BITSWEEP, "report", results_dir, "--cell", text, "--format", "ipynb"]
        for option, value in (("--budgets", budgets), ("--where", where)):
            if value:
                args += [option, value]
        run = subprocess.run(args, capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(run.stderr.strip())
        for output in json.loads(run.stdout):
            display(output["data"], metadata=output["metadata"], raw=True)
    """

    /// Cell text as a Python string literal: triple-quoted when it is plain, else a JSON string (valid Python).
    static func pythonString(_ text: String) -> String {
        let body = text.components(separatedBy: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        let joined = body.joined(separator: "\n")
        guard !joined.contains("\\"), !joined.contains("<"), !joined.contains("&") else { return JSONText.quote(joined, escapeHTML: true) }
        if body.count == 1, !joined.contains("\"") { return "\"" + joined + "\"" }
        if !joined.contains("\"\"\""), !joined.hasSuffix("\"") { return "\"\"\"\n" + joined + "\n\"\"\"" }
        return JSONText.quote(joined, escapeHTML: true)
    }

    /// A cell's outputs as nbformat `display_data`: consecutive non-figure blocks share one (Markdown, with a
    /// short plain-text summary); each figure is its own (PNG, with its caption as plain text).
    /// - Parameter split: text as Jupyter's list of lines (the file) or as one string (the kernel's display).
    static func outputs(_ blocks: [Block], figures: RenderedFigures, split: Bool = true) throws -> [JSON] {
        func lines(_ text: String) -> JSON { split ? Self.lines(text) : .string(text) }
        var out: [JSON] = []
        var pending: [Block] = []
        func flush() {
            guard !pending.isEmpty else { return }
            let md = pending.map { MarkdownWriter.block($0, padded: false) }.joined(separator: "\n\n")
            out.append(.object([
                ("data", .object([("text/markdown", .string(md)), ("text/plain", .string(summary(pending)))])),
                ("metadata", .object([])), ("output_type", .string("display_data")),
            ]))
            pending = []
        }
        for b in blocks {
            if case let .figure(f) = b {
                flush()
                guard let png = figures.png[f.fileStem] else { throw ReportError("no PNG rendered for figure \(f.fileStem)") }
                out.append(.object([
                    ("data", .object([("image/png", .string(png.base64EncodedString())), ("text/plain", lines(f.caption))])),
                    ("metadata", .object([])), ("output_type", .string("display_data")),
                ]))
            } else {
                pending.append(b)
            }
        }
        flush()
        return out
    }

    /// The plain-text stand-in for a Markdown output: its first line of text, and how much more there is.
    static func summary(_ blocks: [Block]) -> String {
        let lines = plainText(blocks).split(separator: "\n", omittingEmptySubsequences: true)
        guard let first = lines.first else { return "" }
        let head = first.count > 160 ? first.prefix(159) + "…" : first
        return lines.count > 1 ? "\(head) (+\(lines.count - 1) more lines: shown as Markdown)" : String(head)
    }

    /// What a plain-text front end shows instead of the HTML: headings and sentences as text, tables and
    /// code as a one-line note.
    static func plainText(_ blocks: [Block]) -> String {
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

    /// Jupyter's multi-line string form: a list of lines, each but the last ending in "\n".
    func lines(_ text: String) -> JSON { Self.lines(text) }

    static func lines(_ text: String) -> JSON {
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
