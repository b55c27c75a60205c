import BitSweepConfig
import CairoRender
import Charts
import Foundation
import Results
import StableIO

/// How a report's paper outputs look (`bitsweep report --latex-floats …`).
public struct ReportOptions: Sendable, Hashable {
    /// `tables/<name>.tex` as `table` floats (true) or bare `tabular`s (false).
    public var latexFloats: Bool
    /// The printed width of every figure (a template cell's `width:` option overrides it).
    public var figureWidth: FigureWidth
    /// The font family of every figure's text (fontconfig name); it must be installed.
    public var fontFamily: String
    public init(latexFloats: Bool = true, figureWidth: FigureWidth = .single, fontFamily: String = Font.defaultFamily) {
        self.latexFloats = latexFloats
        self.figureWidth = figureWidth
        self.fontFamily = fontFamily
    }
    var theme: ChartTheme { .paper(fontFamily: fontFamily) }
}

/// The one entry point for writing reports: `bitsweep report` calls it, and so does `bitsweep sweep` when a
/// sweep ends.
///
/// ```swift
/// let written = try ReportGenerator.generate(resultsDir: "Reports/default")          // every format
/// try ReportGenerator.generate(resultsDir: dir, template: "Inputs/report-template.md",
///                              outputs: [.md, .ipynb], outDir: "out/")
/// ```
///
/// What it writes into `outDir` (default: the results folder): `report.md`, `report.pdf`, `report.ipynb`,
/// `tables.tex` (as `outputs` asks), `summary.csv`, and every chart as `figures/<kind>-<case id or hash>.svg`
/// and `.png`. Nothing is written until every output has been produced in memory; then each file is written
/// atomically (temporary file + rename), so a failure never leaves a half-written report.
///
/// Deterministic: the same results folder and template give byte-identical Markdown, notebook, LaTeX, CSV and
/// SVG (the PDF carries a creation date). The report's date is the sweep's date from `run.json`.
public enum ReportGenerator {
    /// The files a call wrote, in order.
    public struct Output: Sendable {
        public var outDir: String
        public var files: [String]
        public var document: ReportDocument
    }

    /// PNG resolution of chart files (and the notebook's PNG outputs).
    public static let pngDPI = 150

    /// Loads `resultsDir` (`results.json`, and `run.json` when present), runs `template` (a file path; nil =
    /// the built-in default) and writes the requested `outputs` into `outDir` (nil = `resultsDir`).
    /// - Parameters:
    ///   - command: the command line to print as "regenerate this report" (shell words, e.g. from
    ///     `CommandLine.arguments`); nil composes `bitsweep report <resultsDir> …` from the arguments.
    ///   - resultsLabel: how the report names the results folder (default: `resultsDir` as given), so a
    ///     report regenerated from another working directory can stay byte-identical.
    ///   - history: a nightly history database for the template's `table: history` cell; nil: the file the
    ///     sweep spec named (`history:` in run.json's resolved spec), if any.
    ///   - budgets: a hardware-budget profiles file for the template's `table: budget` cell; nil: the file the
    ///     sweep spec named (`budgets:` in run.json's resolved spec), if any. Without either, that cell writes
    ///     nothing.
    /// - Throws: `ResultsStore.LoadError` for a missing or bad results folder, `TemplateError` (file:line) for
    ///   a bad template, `ConfigError` (file:line) for a bad profiles file, `ReportError` when the profiles file
    ///   named by run.json is missing, `ChartError`/`ReportError` when an output cannot be produced or written.
    @discardableResult
    public static func generate(resultsDir: String, template: String? = nil,
                                outputs: [ReportFormat] = ReportFormat.allCases, outDir: String? = nil,
                                command: [String]? = nil, resultsLabel: String? = nil, budgets: String? = nil,
                                where filter: String? = nil, history: String? = nil,
                                options: ReportOptions = ReportOptions()) throws -> Output {
        let results = try loadResults(resultsDir, where: filter)
        let run = ResultsStore.loadRunInfo(resultsDir)
        let tmpl = try template.map(Template.load) ?? Template.defaultTemplate()
        let profilesPath = try budgets ?? Self.budgetsFile(of: run, in: resultsDir)
        let loadedBudgets = try profilesPath.map(ReportBudgets.load)
        let loadedHistory = try (history ?? Self.specEntry("history", of: run)).map { try ReportHistory.load($0) }
        var cmd = command ?? Self.command(resultsDir: resultsDir, template: template, budgets: budgets, where: filter, outDir: outDir)
        if command == nil, Set(outputs) != Set(ReportFormat.allCases) {
            cmd += ["--outputs", outputs.map(\.rawValue).joined(separator: ",")]
        }
        try FontCatalog.require(options.fontFamily)
        var executor = CellExecutor(results: results, run: run, resultsDirLabel: resultsLabel ?? resultsDir,
                                    templateLabel: template ?? "(default template)", reportCommand: cmd, budgets: loadedBudgets,
                                    history: loadedHistory)
        executor.search = try ReportSearch.load(resultsDir: resultsDir)
        executor.figureWidth = options.figureWidth
        let document = try executor.execute(tmpl)
        let dir = outDir ?? resultsDir
        let notebook = try notebookInputs(document, executor: executor, resultsDir: resultsDir, outDir: dir, template: template,
                                          budgets: budgets, where: filter)
        let files = try render(document, results: results, outputs: outputs, notebook: notebook, options: options)
        let written = try write(files, to: dir)
        removeStaleFigures(in: dir, keeping: Set(written.map { ($0 as NSString).lastPathComponent }))
        if outputs.contains(.tex) { removeStaleTables(in: dir, keeping: Set(written.map { ($0 as NSString).lastPathComponent })) }
        return Output(outDir: dir, files: written, document: document)
    }

    /// The notebook's writer and document. The notebook reads the results folder from its own folder
    /// (`outDir`), through `bitsweep report --cell`: its parameters cell shows what that call shows.
    public static func notebookInputs(_ document: ReportDocument, executor: CellExecutor, resultsDir: String, outDir: String,
                                      template: String?, budgets: String?, where filter: String?) throws -> (NotebookWriter, ReportDocument) {
        let notebookDir = relativePath(resultsDir, from: outDir)
        let notebookBudgets = budgets.map { relativePath($0, from: outDir) }
        var notebookExecutor = executor
        notebookExecutor.resultsDirLabel = notebookDir
        notebookExecutor.reportCommand = Self.command(resultsDir: notebookDir, template: template, budgets: notebookBudgets, where: filter)
        return (NotebookWriter(resultsDir: notebookDir, budgets: notebookBudgets, where: filter),
                try notebookExecutor.withParametersFor(document))
    }

    /// The profiles file of a results folder: the copy the sweep kept in it (`budgets.yaml`), else the file the
    /// sweep spec named (`budgets` in run.json's resolved spec: a path from the folder the sweep ran in), or
    /// nil. A named file that does not exist (here) is a `ConfigError` naming run.json that says how to fix it.
    public static func budgetsFile(of run: RunInfo?, in resultsDir: String) throws -> String? {
        if let kept = ResultsStore.keptBudgets(in: resultsDir) { return kept }
        guard let spec = run?.spec, let data = spec.data(using: .utf8),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let path = obj["budgets"] as? String else { return nil }
        guard FileManager.default.fileExists(atPath: path) else {
            let runFile = ((runFolder(resultsDir)) as NSString).appendingPathComponent("run.json")
            throw ConfigError([ConfigIssue(file: runFile, line: nil, message: "the sweep spec named the budget profiles file '\(path)', which does not exist here; run from the folder the sweep ran in, or give --budgets FILE")])
        }
        return path
    }

    /// A string entry of the resolved spec in run.json (`history`), or nil.
    static func specEntry(_ key: String, of run: RunInfo?) -> String? {
        guard let spec = run?.spec, let data = spec.data(using: .utf8),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return obj[key] as? String
    }

    /// Every file of a report, in memory: relative path → bytes (figures under `figures/`).
    /// - Parameter notebook: the notebook writer and the document it writes (its parameters cell as the notebook
    ///   sees them); nil: a `NotebookWriter()` of `document`.
    public static func render(_ document: ReportDocument, results: ResultsSet, outputs: [ReportFormat],
                              notebook: (NotebookWriter, ReportDocument)? = nil,
                              options: ReportOptions = ReportOptions()) throws -> [(String, Data)] {
        let figures = try renderFigures(document, theme: options.theme)
        var files: [(String, Data)] = []
        let writers: [(ReportWriter, ReportDocument)] = outputs.map { f in
            switch f {
            case .md: return (MarkdownWriter(), document)
            case .pdf: return (PDFReportWriter(theme: options.theme), document)
            case .ipynb: return notebook ?? (NotebookWriter(), document)
            case .tex: return (LaTeXWriter(floats: options.latexFloats), document)
            case .html: return (HTMLWriter(results: results), document)
            }
        }
        for (w, doc) in writers {
            // The notebook stores its charts at its own, smaller resolution.
            let given = w.format == .ipynb ? try renderPNGs(doc.figures, dpi: NotebookWriter.pngDPI) : figures
            for (name, data) in try w.render(doc, figures: given).sorted(by: { $0.key < $1.key }) {
                files.append((name, data))
            }
        }
        files.append(("summary.csv", Data(SummaryCSV.csv(results).utf8)))
        for f in document.figures {
            if let pdf = figures.pdf[f.fileStem] { files.append((f.pdfPath, pdf)) }
            if let svg = figures.svg[f.fileStem] { files.append((f.svgPath, svg)) }
            if let png = figures.png[f.fileStem] { files.append((f.pngPath, png)) }
        }
        return files
    }

    /// PDF, SVG and PNG of every figure (a figure stem appearing twice is rendered once).
    public static func renderFigures(_ document: ReportDocument, theme: ChartTheme = .paper) throws -> RenderedFigures {
        var out = RenderedFigures()
        for f in document.figures where out.svg[f.fileStem] == nil {
            out.pdf[f.fileStem] = try renderChartData(f.spec, format: .pdf, size: f.size, theme: theme)
            out.svg[f.fileStem] = try renderChartData(f.spec, format: .svg, size: f.size, theme: theme)
            out.png[f.fileStem] = try renderChartData(f.spec, format: .png, size: f.size, dpi: pngDPI, theme: theme)
        }
        return out
    }

    /// Chart kinds whose files the generator names; only such files are ever removed.
    /// (Also the hash-named files of earlier versions: `size-…`, `cost-quality-…`, `storage-…`.)
    static let figurePrefixes = ["layerwise_", "layerwise-shares_", "bitops-vs-size", "heatmap-", "cost-vs-", "weight-storage",
                                 "layerwise-", "size-", "cost-quality-", "storage-", "budget-", "history-", "search-"]

    /// Removes chart files of an earlier report from `dir/figures` that this report no longer links (so a
    /// regenerated report never sits next to charts of cases it dropped). Only `.svg`/`.png` files named
    /// like the generator's charts are touched.
    static func removeStaleFigures(in dir: String, keeping: Set<String>) {
        let figures = (dir as NSString).appendingPathComponent("figures")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: figures) else { return }
        for name in names where !keeping.contains(name) {
            guard name.hasSuffix(".svg") || name.hasSuffix(".png") || name.hasSuffix(".pdf"),
                  figurePrefixes.contains(where: { name.hasPrefix($0) }) else { continue }
            try? FileManager.default.removeItem(atPath: (figures as NSString).appendingPathComponent(name))
        }
    }

    /// Removes `tables/*.tex` files of an earlier report that this report no longer writes.
    static func removeStaleTables(in dir: String, keeping: Set<String>) {
        let folder = (dir as NSString).appendingPathComponent(LaTeXWriter.folder)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return }
        for name in names where name.hasSuffix(".tex") && !keeping.contains(name) {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
    }

    /// Writes each file atomically under `dir`; returns the full paths. Figures go first and the documents
    /// that link them last, so that a failure part-way (a full disk) never leaves a new document that links a
    /// figure that was not written; a document is either the previous one or the complete new one.
    static func write(_ files: [(String, Data)], to dir: String) throws -> [String] {
        let documentNames: Set<String> = ["report.md", "report.pdf", "report.ipynb", "tables.tex"]
        let ordered = files.filter { $0.0.hasPrefix("figures/") }
            + files.filter { !$0.0.hasPrefix("figures/") && !documentNames.contains($0.0) }
            + files.filter { documentNames.contains($0.0) }
        var written: [String] = []
        for (name, data) in ordered {
            // Names are built from sanitized components; refuse anything that could leave `dir` regardless.
            guard !name.hasPrefix("/"), !name.split(separator: "/").contains("..") else {
                throw ReportError("refusing to write \(name) outside \(dir)")
            }
            let path = (dir as NSString).appendingPathComponent(name)
            try Folder.create((path as NSString).deletingLastPathComponent)
            try AtomicFile.write(data, to: path)
            written.append(path)
        }
        return written
    }
}

/// The folder of a results path (a folder, or its `results.json`).
func runFolder(_ path: String) -> String {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return path }
    return (path as NSString).deletingLastPathComponent
}

/// `summary.csv`: the summary table's columns as raw, sortable values (exact integers, full-precision
/// doubles, empty when unknown), one row per case in grid order. `kernels` says which kernels the case's
/// timing came from (`KernelUse.summary`: `int8 kernels on 10 of 12 layers (float: …)` or `float kernels,
/// simulated quantization`; empty for a case that did not run or a file without the record); `calibrate` how
/// its activation ranges were chosen (`minmax`, `percentile:99.99`; empty for the fixed [0, 6]). Labelled
/// images append the accuracy columns after these.
public enum SummaryCSV {
    public static let columns = [
        "index", "id", "family", "size", "blocks", "weight_precision", "act_precision", "width", "convention", "quantization",
        "bitops", "macs", "params", "weight_storage_bytes", "peak_activation_bytes", "images", "sqnr_db_mean", "sqnr_db_min",
        "cosine_mean", "top1_agreement", "ms_per_image", "error", "kernels", "calibrate",
    ]

    public static func csv(_ results: ResultsSet) -> String {
        let q = CSVText.field
        func d(_ v: Double?) -> String { v.map { String(format: "%.17g", $0) } ?? "" }
        // Labelled images: the accuracy columns of `results.csv` are appended (an unlabelled set has none).
        let labelled = results.cases.contains { $0.accuracy != nil }
        var lines = [(columns + (labelled ? ResultsSet.accuracyColumns : [])).joined(separator: ",")]
        for c in results.cases {
            let t = c.cost.totals, f = c.fidelity, a = c.accuracy
            let calibrate: String = c.config.calibration?.description ?? "", kernels: String = c.kernels?.summary ?? ""
            let row = [String(c.index), c.id, c.config.family, String(c.config.size), String(c.config.blocks), c.config.weightPrecision.description,
                       c.config.actPrecision.description, CaseSelector.widthText(c.config.width), c.config.convention.rawValue,
                       c.config.quantization.rawValue, String(t.bitops), String(t.macs), String(t.params), String(t.weightStorageBytes),
                       String(t.peakActivationBytes), String(f?.images ?? 0), d(f?.sqnrDBMean), d(f?.sqnrDBMin),
                       d(f?.cosineMean), d(f?.top1Agreement), d(c.timings?.msPerImage), c.error ?? "",
                       kernels, calibrate]
                + (labelled ? [d(a?.top1), d(a?.top5), d(a?.floatTop1), d(a?.floatTop5)] : [])
            lines.append(row.map(q).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
