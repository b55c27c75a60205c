import BitOpsCore
import BitSweepConfig
import Charts
import Foundation
import Results
import MixedPrecision
import StableIO
import Presentation

/// Runs a template's cells against a results set and produces the format-neutral `ReportDocument`.
///
/// Nothing here recomputes a count: every number comes from `results.json` (the per-layer `CostReport` of
/// each case, its `FidelitySummary`, its timings). Cases appear in grid order unless a cell sorts them.
public struct CellExecutor {
    public var results: ResultsSet
    public var run: RunInfo?
    /// How the results folder and the template are named in the report (as the user typed them).
    public var resultsDirLabel: String
    public var templateLabel: String
    /// The command that regenerates the report, as shell words.
    public var reportCommand: [String]
    /// Hardware-budget profiles for `table: budget` (nil: that cell writes nothing).
    public var budgets: ReportBudgets?
    /// The nightly history for `table: history` (nil: that cell writes nothing).
    public var history: ReportHistory?
    /// The results folder's mixed-precision search for `table: search` (nil: that cell writes nothing).
    public var search: SearchDocument?
    /// The printed width of figures whose cell has no `width:` option (`--figure-width`).
    public var figureWidth: FigureWidth = .single

    public init(results: ResultsSet, run: RunInfo?, resultsDirLabel: String, templateLabel: String, reportCommand: [String],
                budgets: ReportBudgets? = nil, history: ReportHistory? = nil) {
        self.history = history
        self.results = results
        self.run = run
        self.resultsDirLabel = resultsDirLabel
        self.templateLabel = templateLabel
        self.reportCommand = reportCommand
        self.budgets = budgets
    }

    /// One colour per weight precision across the whole report.
    var colors: PrecisionColors { results.precisionColors }

    public func execute(_ template: Template) throws -> ReportDocument {
        let params = parameters()
        var cells: [ReportCell] = []
        var usedStems: [String: Int] = [:]
        for part in template.parts {
            switch part {
            case let .prose(text, _):
                cells.append(ReportCell(kind: .prose(substitute(text)), blocks: []))
            case let .cell(cell):
                do {
                    var blocks = try run(cell, parameters: params)
                    blocks = blocks.map { uniquify($0, &usedStems) }
                    // A budget cell without profiles leaves no trace (no empty notebook cell either).
                    // Nor does an accuracy cell on results without labelled images.
                    if blocks.isEmpty && (cell.kind == .budget || cell.kind == .history || cell.kind == .accuracy || cell.kind == .search) { continue }
                    cells.append(ReportCell(kind: .output(cell), blocks: blocks))
                } catch let e as TemplateError {
                    throw e
                } catch {
                    throw TemplateError(issues: [TemplateIssue(file: template.file, line: cell.line, message: "\(cell.kind.rawValue): \(error)")])
                }
            }
        }
        let title = "BitSweep report: \(results.name)"
        return ReportDocument(title: title, cells: cells, parameters: params)
    }

    /// Figure file names are unique in a report: a repeated stem gets `-2`, `-3` …
    func uniquify(_ block: Block, _ used: inout [String: Int]) -> Block {
        switch block {
        case var .figure(f):
            let n = used[f.fileStem, default: 0] + 1
            used[f.fileStem] = n
            if n > 1 { f.fileStem += "-\(n)" }
            return .figure(f)
        case let .details(s, blocks, printed):
            return .details(summary: s, blocks: blocks.map { uniquify($0, &used) }, printed: printed)
        default:
            return block
        }
    }

    func substitute(_ text: String) -> String {
        let p = parameters()
        var out = text
        let values: [String: String] = [
            "name": Escape.markdown(results.name),
            "cases": String(results.cases.count),
            "images": String(p.imageCount),
            "date": Escape.markdown(p.date),
            "version": Escape.markdown(p.bitsweepVersion),
        ]
        for (k, v) in values {
            out = out.replacingOccurrences(of: "{{\(k)}}", with: v)
            out = out.replacingOccurrences(of: "{{ \(k) }}", with: v)
        }
        return out
    }

    // MARK: - Parameters

    public func parameters() -> Parameters {
        let images = (run?.images ?? [:]).sorted { $0.key < $1.key }.map { (file: $0.key, digest: $0.value) }
        var imageCount = images.count
        if imageCount == 0 { imageCount = results.cases.map(\.images.count).max() ?? 0 }
        var spec = run?.spec ?? ""
        if let data = spec.data(using: .utf8), let obj = try? JSONSerialization.jsonObject(with: data),
           let pretty = try? JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
            // Foundation writes an empty array or object over two lines with a blank one between: fold them.
            spec = String(decoding: pretty, as: UTF8.self)
                .replacingOccurrences(of: #"\[\s*\n\s*\n\s*\]"#, with: "[]", options: .regularExpression)
                .replacingOccurrences(of: #"\{\s*\n\s*\n\s*\}"#, with: "{}", options: .regularExpression)
        }
        return Parameters(
            name: results.name, resultsDir: resultsDirLabel, template: templateLabel, cases: results.cases.count,
            imageCount: imageCount, images: images, bitsweepVersion: run?.bitsweepVersion ?? "unknown",
            engineVersion: run?.engineVersion ?? "unknown", commit: run?.gitCommit ?? "unknown",
            machine: run?.machine ?? "unknown", date: run?.date ?? "unknown", specHash: run?.specHash ?? "unknown",
            spec: spec, sweepCommand: Self.displayCommand(run?.commandLine ?? []),
            reportCommand: reportCommand.map(Escape.shellWord).joined(separator: " "), shard: run?.shard,
            specYAML: SpecYAML.yaml(fromJSON: run?.spec ?? "") ?? "")
    }

    /// A command line as shell words, with the program shown as `bitsweep` when that is what ran (run.json
    /// keeps the exact argv[0], e.g. `.build/release/bitsweep`).
    static func displayCommand(_ argv: [String]) -> String {
        var words = argv
        if let first = words.first, (first as NSString).lastPathComponent == "bitsweep" { words[0] = "bitsweep" }
        return words.map(Escape.shellWord).joined(separator: " ")
    }

    // MARK: - Dispatch

    func run(_ cell: TemplateCell, parameters p: Parameters) throws -> [Block] {
        let filter = try cell.options["where"].map { try CaseSelector($0) }
        let selected = results.cases.filter { filter?.matches($0.config) ?? true }
        let whereText = cell.options["where"].map { " matching `where: \($0)`" } ?? ""
        if cell.kind == .accuracy, !results.cases.contains(where: { $0.accuracy != nil }) { return [] }
        if selected.isEmpty, cell.kind != .parameters, cell.kind != .failures, cell.kind != .budget, cell.kind != .history, cell.kind != .search {
            return [.paragraph([.emphasis("No case\(whereText.isEmpty ? "" : " matches `where: \(cell.options["where"]!)`") — nothing to show.")])]
        }
        return try renderer(for: cell.kind).blocks(cell, selected, p)
    }

    /// The renderer of each cell kind (one small type per kind, in `Cells/`).
    func renderer(for kind: CellKind) -> any CellRenderer {
        switch kind {
        case .parameters: return ParametersCell(executor: self)
        case .summary: return SummaryCell(executor: self)
        case .layers: return LayersCell(executor: self)
        case .images: return ImagesCell(executor: self)
        case .failures: return FailuresCell(executor: self)
        case .budget: return BudgetCell(executor: self)
        case .history: return HistoryCell(executor: self)
        case .search: return SearchCell(executor: self)
        case .accuracy: return AccuracyCell(executor: self)
        case .layerwise: return LayerwiseCell(executor: self)
        case .size: return SizeCell(executor: self)
        case .heatmap: return HeatmapCell(executor: self)
        case .costQuality: return CostQualityCell(executor: self)
        case .storage: return StorageCell(executor: self)
        case .speedup: return SpeedupCell(executor: self)
        }
    }

    /// Above this many cases, per-case sections are folded, per-case charts are drawn for one case of each
    /// block count only, and the PDF leaves the per-layer lists to the other formats.
    public static let foldCasesAbove = 12

    /// Every precision label of `results`, in order of first appearance (the sweep spec's grid order).
    public static func precisionOrder(of results: ResultsSet) -> [String] {
        var seen: Set<String> = []
        return results.cases.map(\.config.weightPrecision.description).filter { seen.insert($0).inserted }
    }
}

/// An error while executing a cell (the executor adds the template file and line).
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
