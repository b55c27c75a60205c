import CairoRender
import Foundation
import Results

/// One report cell, run on its own: what `bitsweep report DIR --cell TEXT --format F` prints and what every
/// code cell of `report.ipynb` calls.
///
/// The cell text is a template cell's body (`table: summary`, or `chart: heatmap` followed by `option: value`
/// lines; on one line, `;` separates them: `chart: heatmap; value: sqnr`). It runs through the same
/// `CellExecutor` as a whole report, so a cell's output here is the output of that cell in the report.
///
/// ```swift
/// let cell = try CellRun.run(resultsDir: "Reports/default", cell: "chart: heatmap; value: sqnr")
/// let png = try CellRun.render(cell, as: .png)        // the one chart of the cell
/// ```
public enum CellRun {
    /// What `--format` prints for one cell.
    public enum Format: String, CaseIterable, Sendable {
        /// A JSON array of nbformat `display_data` outputs: exactly the outputs `report.ipynb` stores.
        case ipynb
        /// The cell as `report.md` shows it (charts as links to `figures/`).
        case markdown
        /// The cell as HTML (tables, text; charts inline as PNG at `ReportGenerator.pngDPI`).
        case html
        /// The cell's chart (the cell must draw exactly one).
        case svg, png

        public static func parse(_ text: String) throws -> Format {
            switch text.lowercased() {
            case "ipynb", "notebook", "json": return .ipynb
            case "md", "markdown": return .markdown
            case "html": return .html
            case "svg": return .svg
            case "png": return .png
            default:
                throw ReportError("--format: unknown format '\(text)' for --cell (expected one of: ipynb, markdown, html, svg, png)")
            }
        }
    }

    /// Parses cell text into a template cell. Problems are `TemplateError`s naming `--cell` and the line
    /// within the cell text.
    public static func parse(_ text: String) throws -> TemplateCell {
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        if lines.count == 1 { lines = lines[0].components(separatedBy: ";") }
        var issues: [TemplateIssue] = []
        let body = lines.enumerated().map { ($0.offset + 1, $0.element) }
        let cell = Template.parseCell(body, openLine: 1) { issues.append(TemplateIssue(file: "--cell", line: $0, message: $1)) }
        if !issues.isEmpty { throw TemplateError(issues: issues) }
        guard let cell else {
            throw TemplateError(issues: [TemplateIssue(file: "--cell", line: 1, message: "expected a cell such as 'table: summary'")])
        }
        return cell
    }

    /// Runs one cell against a results folder.
    /// - Parameters:
    ///   - template: the report's template as the report names it (shown by `table: parameters` and in its
    ///     regenerate command; it is not read).
    ///   - budgets: a profiles file for `table: budget` (nil: the results folder's).
    ///   - where: keep only the cases matching this filter (as `bitsweep report --where`).
    public static func run(resultsDir: String, cell text: String, template: String? = nil, budgets: String? = nil,
                           where filter: String? = nil) throws -> ReportCell {
        let cell = try parse(text)
        let results = try ReportGenerator.loadResults(resultsDir, where: filter)
        let run = ResultsStore.loadRunInfo(resultsDir)
        let profilesPath = try budgets ?? ReportGenerator.budgetsFile(of: run, in: resultsDir)
        let loadedBudgets = try profilesPath.map(ReportBudgets.load)
        var executor = CellExecutor(results: results, run: run, resultsDirLabel: resultsDir,
                                    templateLabel: template ?? "(default template)",
                                    reportCommand: ReportGenerator.command(resultsDir: resultsDir, template: template,
                                                                           budgets: budgets, where: filter),
                                    budgets: loadedBudgets)
        executor.search = try ReportSearch.load(resultsDir: resultsDir)
        return try executor.executeOne(cell)
    }

    /// The cell's output in one format.
    public static func render(_ cell: ReportCell, as format: Format) throws -> Data {
        switch format {
        case .ipynb:
            let outputs = try NotebookWriter.outputs(cell.blocks, figures: ReportGenerator.renderPNGs(cell.blocks.flatMap(\.figures), dpi: NotebookWriter.pngDPI),
                                                     split: false)
            return Data((JSON.array(outputs).serialized(indent: 0) + "\n").utf8)
        case .markdown:
            return Data((cell.blocks.map(MarkdownWriter.block).joined(separator: "\n\n") + "\n").utf8)
        case .html:
            let figures = try ReportGenerator.renderPNGs(cell.blocks.flatMap(\.figures))
            return Data((cell.blocks.map { HTMLBlocks.block($0, figures: figures) }.joined(separator: "\n") + "\n").utf8)
        case .svg, .png:
            let figures = cell.blocks.flatMap(\.figures)
            guard figures.count == 1, let f = figures.first else {
                throw ReportError(figures.isEmpty
                    ? "--format \(format.rawValue): this cell draws no chart (use --format markdown, html or ipynb)"
                    : "--format \(format.rawValue): this cell draws \(figures.count) charts; narrow it with `where:` (or use --format html or ipynb)")
            }
            if format == .svg { return try renderChartData(f.spec, format: .svg, size: f.size) }
            return try renderChartData(f.spec, format: .png, size: f.size, dpi: ReportGenerator.pngDPI)
        }
    }
}

extension CellExecutor {
    /// `document` with its `table: parameters` cells run again by this executor (other labels: the
    /// notebook's view of the results folder).
    func withParametersFor(_ document: ReportDocument) throws -> ReportDocument {
        var doc = document
        doc.parameters = parameters()
        for i in doc.cells.indices where doc.cells[i].isParameters {
            if case let .output(cell) = doc.cells[i].kind { doc.cells[i] = try executeOne(cell) }
        }
        return doc
    }

    /// Runs one cell as `execute` runs each cell of a template (figure names unique within the cell).
    func executeOne(_ cell: TemplateCell) throws -> ReportCell {
        var used: [String: Int] = [:]
        do {
            let blocks = try run(cell, parameters: parameters()).map { uniquify($0, &used) }
            return ReportCell(kind: .output(cell), blocks: blocks)
        } catch let e as TemplateError {
            throw e
        } catch {
            throw TemplateError(issues: [TemplateIssue(file: "--cell", line: cell.line, message: "\(cell.kind.rawValue): \(error)")])
        }
    }
}

extension ReportGenerator {
    /// `results.json` of a folder, with only the cases matching `filter` (`key=value …`, as a template's
    /// `where:`) when one is given.
    static func loadResults(_ resultsDir: String, where filter: String?) throws -> ResultsSet {
        var results = try ResultsStore.load(resultsDir)
        if let filter {
            let f: CaseSelector
            do { f = try CaseSelector(filter) } catch let e as CaseSelector.ParseError { throw ReportError("--where: " + e.message.replacingOccurrences(of: "option 'where': ", with: "")) }
            results.cases = results.cases.filter { f.matches($0.config) }
        }
        return results
    }

    /// `bitsweep report DIR [--template T] [--budgets B] [--where W]`: the command that regenerates a report.
    static func command(resultsDir: String, template: String?, budgets: String?, where filter: String?,
                        outDir: String? = nil) -> [String] {
        ["bitsweep", "report", resultsDir] + (template.map { ["--template", $0] } ?? []) + (budgets.map { ["--budgets", $0] } ?? [])
            + (filter.map { ["--where", $0] } ?? []) + (outDir.map { ["--out", $0] } ?? [])
    }

    /// The PNG of each figure (a stem appearing twice is rendered once).
    static func renderPNGs(_ figures: [Figure], dpi: Int = pngDPI) throws -> RenderedFigures {
        var out = RenderedFigures()
        for f in figures where out.png[f.fileStem] == nil {
            out.png[f.fileStem] = try renderChartData(f.spec, format: .png, size: f.size, dpi: dpi)
        }
        return out
    }

    /// `path` as seen from the folder `from` (both relative to the working folder, or absolute): `.` when they
    /// are the same folder.
    static func relativePath(_ path: String, from: String) -> String {
        let cwd = FileManager.default.currentDirectoryPath
        func parts(_ p: String) -> [String] {
            let abs = p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p)
            return (abs as NSString).standardizingPath.split(separator: "/").map(String.init)
        }
        let a = parts(path), b = parts(from)
        var common = 0
        while common < min(a.count, b.count), a[common] == b[common] { common += 1 }
        let rel = Array(repeating: "..", count: b.count - common) + a[common...]
        return rel.isEmpty ? "." : rel.joined(separator: "/")
    }
}
