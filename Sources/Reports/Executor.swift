import BitOpsCore
import Charts
import Foundation
import Results
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
                    if blocks.isEmpty && (cell.kind == .budget || cell.kind == .history || cell.kind == .accuracy) { continue }
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
            reportCommand: reportCommand.map(Escape.shellWord).joined(separator: " "), shard: run?.shard)
    }

    /// A command line as shell words, with the program shown as `bitsweep` when that is what ran (run.json
    /// keeps the exact argv[0], e.g. `.build/release/bitsweep`).
    static func displayCommand(_ argv: [String]) -> String {
        var words = argv
        if let first = words.first, (first as NSString).lastPathComponent == "bitsweep" { words[0] = "bitsweep" }
        return words.map(Escape.shellWord).joined(separator: " ")
    }

    func parametersBlocks(_ cell: TemplateCell, _ p: Parameters) -> [Block] {
        var rows: [[String]] = [
            ["sweep", p.name],
            ["results", p.resultsDir],
            ["template", p.template],
            ["cases", String(p.cases)],
            ["images", String(p.imageCount) + (results.skippedImages.isEmpty ? "" : " (\(results.skippedImages.count) skipped)")],
            ["BitSweep", p.bitsweepVersion],
            ["engine", p.engineVersion],
            ["commit", p.commit],
            ["machine", p.machine],
            ["sweep date", p.date],
            ["spec hash", p.specHash],
        ]
        if let s = p.shard { rows.append(["shard", s]) }
        if let grid = run?.gridCases, grid != p.cases { rows.insert(["grid cases", "\(grid) (this folder holds \(p.cases))"], at: 4) }
        var blocks: [Block] = [
            .table(Table(caption: "Parameters of this report", label: "parameters",
                         columns: [.init("parameter"), .init("value")], rows: rows)),
            .paragraph([.text("Regenerate this report:")]),
            .code(language: "sh", text: p.reportCommand),
        ]
        if !p.sweepCommand.isEmpty {
            blocks += [.paragraph([.text("The sweep ran as:")]), .code(language: "sh", text: p.sweepCommand)]
        }
        let specMode = cell.options["spec"] ?? "folded"
        if !p.spec.isEmpty, specMode != "hidden" {
            let code = Block.code(language: "json", text: p.spec)
            blocks.append(specMode == "shown" ? code : .details(summary: "Resolved sweep spec (JSON)", blocks: [code]))
        }
        let imagesMode = cell.options["images"] ?? "folded"
        if !p.images.isEmpty, imagesMode != "hidden" {
            let t = Block.table(Table(caption: "Image set", label: "images",
                                      columns: [.init("image"), .init("SHA-256")],
                                      rows: p.images.map { [$0.file, $0.digest] }))
            blocks.append(imagesMode == "shown" ? t : .details(summary: "Image set: \(p.images.count) files with SHA-256 digests", blocks: [t]))
        }
        return blocks
    }

    // MARK: - Dispatch

    func run(_ cell: TemplateCell, parameters p: Parameters) throws -> [Block] {
        let filter = try cell.options["where"].map { try CaseSelector($0) }
        let selected = results.cases.filter { filter?.matches($0.config) ?? true }
        let whereText = cell.options["where"].map { " matching `where: \($0)`" } ?? ""
        if cell.kind == .accuracy, !results.cases.contains(where: { $0.accuracy != nil }) { return [] }
        if selected.isEmpty, cell.kind != .parameters, cell.kind != .failures, cell.kind != .budget, cell.kind != .history {
            return [.paragraph([.emphasis("No case\(whereText.isEmpty ? "" : " matches `where: \(cell.options["where"]!)`") — nothing to show.")])]
        }
        switch cell.kind {
        case .parameters: return parametersBlocks(cell, p)
        case .summary: return summaryBlocks(cell, selected)
        case .layers: return try layersCell(cell, pick(cell, selected))
        case .images: return try imageBlocks(pick(cell, selected))
        case .failures: return failureBlocks()
        case .budget: return try budgetBlocks(cell)
        case .history: return try historyBlocks(cell)
        case .accuracy: return try accuracyBlocks(cell, selected)
        case .layerwise: return try pick(cell, selected).map { try layerwiseFigure(cell, $0) }
        case .size: return try sizeFigures(cell, selected)
        case .heatmap: return try heatmapFigures(cell, selected)
        case .costQuality: return try costQualityFigures(cell, selected)
        case .storage: return try storageFigures(cell, selected)
        }
    }

    /// `cases: all | first | last | id prefixes…`.
    func pick(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [CaseResult] {
        let spec = cell.options["cases"] ?? "all"
        switch spec {
        case "all": return cases
        case "first": return Array(cases.prefix(1))
        case "last": return Array(cases.suffix(1))
        default:
            var out: [CaseResult] = []
            for word in spec.split(separator: " ") {
                let matches = cases.filter { $0.id.hasPrefix(word) }
                guard !matches.isEmpty else {
                    throw ReportError("cases: no case id starts with '\(word)'")
                }
                guard matches.count == 1 else {
                    throw ReportError("cases: '\(word)' matches \(matches.count) cases; give more of the id")
                }
                if !out.contains(where: { $0.id == matches[0].id }) { out.append(matches[0]) }
            }
            return out
        }
    }

    // MARK: - Tables

    /// Dimensions that vary among `cases` (the summary shows only those, plus size/blocks/precision).
    func varies(_ cases: [CaseResult], _ key: String) -> Bool {
        Set(cases.map { CaseSelector.value(of: key, in: $0.config) }).count > 1
    }

    func summaryBlocks(_ cell: TemplateCell, _ selected: [CaseResult]) -> [Block] {
        var cases = selected
        if let sortKey = cell.options["sort"].flatMap(SummaryColumn.init(rawValue:)) {
            let descending = cell.options["order"] == "descending"
            // Stable: ties keep grid order. Missing values sort last either way.
            cases = cases.enumerated().sorted { a, b in
                let ka = sortValue(a.element, sortKey), kb = sortValue(b.element, sortKey)
                switch (ka, kb) {
                case let (x?, y?) where x != y: return descending ? x > y : x < y
                case (nil, _?): return false
                case (_?, nil): return true
                default: return a.offset < b.offset
                }
            }.map(\.element)
        }
        let showFamily = varies(cases, "family"), showConv = varies(cases, "convention")
        let showWidth = varies(cases, "width"), showQuant = varies(cases, "quantization")
        var columns: [Table.Column] = [.init("#", numeric: true), .init("case")]
        if showFamily { columns.append(.init("family")) }
        columns += [.init("size", unit: "px", numeric: true), .init("blocks", numeric: true),
                    .init("weight bits"), .init("act. bits")]
        if showWidth { columns.append(.init("width", numeric: true)) }
        if showQuant { columns.append(.init("quantization")) }
        if showConv { columns.append(.init("convention")) }
        columns += [.init("BitOps", numeric: true), .init("MACs", numeric: true), .init("params", numeric: true),
                    .init("weights", unit: "KiB", numeric: true), .init("peak act.", unit: "KiB", numeric: true),
                    .init("SQNR mean", unit: "dB", numeric: true), .init("SQNR min", unit: "dB", numeric: true),
                    .init("top-1 agree", unit: "%", numeric: true)]
        // Labelled images: each case's top-1/top-5 accuracy (quantized network) next to its fidelity.
        let showAccuracy = cases.contains { $0.accuracy != nil }
        if showAccuracy {
            columns += [.init("top-1 acc.", unit: "%", numeric: true), .init("top-5 acc.", unit: "%", numeric: true)]
        }
        columns.append(.init("time", unit: "ms/image", numeric: true))
        var rows: [[String]] = []
        for c in cases {
            let t = c.cost.totals
            var row = [String(c.index), String(c.id.prefix(8))]
            if showFamily { row.append(c.config.family) }
            row += [String(c.config.size), String(c.config.blocks), c.config.weightPrecision.description, c.config.actPrecision.description]
            if showWidth { row.append(CaseSelector.widthText(c.config.width)) }
            if showQuant { row.append(c.config.quantization.rawValue) }
            if showConv { row.append(c.config.convention.rawValue) }
            row += [NumberText.grouped(t.bitops), NumberText.grouped(t.macs), NumberText.grouped(t.params),
                    NumberText.kib(t.weightStorageBytes), NumberText.kib(t.peakActivationBytes)]
            row += fidelityCells(c)
            if showAccuracy {
                row += [c.accuracy.map { NumberText.percentValue($0.top1) } ?? "—", c.accuracy.map { NumberText.percentValue($0.top5) } ?? "—"]
            }
            row.append(c.timings.map { NumberText.fixed($0.msPerImage, 3, minus: .typographic) } ?? "—")
            rows.append(row)
        }
        var intro: [Inline] = [.text("\(cases.count) case\(cases.count == 1 ? "" : "s")")]
        if let w = cell.options["where"] { intro += [.text(" with "), .code(w)] }
        if let s = cell.options["sort"] {
            intro.append(.text(", sorted by \(s)\(cell.options["order"] == "descending" ? " (descending)" : "")"))
        } else {
            intro.append(.text(" in grid order"))
        }
        intro.append(.text(". BitOps, MACs and parameters are exact; SQNR and top-1 agreement compare the quantized network with its float twin over the images; “∞” means bit-exact, “—” means not run. Sortable raw numbers: "))
        intro.append(.code("summary.csv"))
        intro.append(.text("."))
        return [.paragraph(intro),
                .table(Table(caption: "Summary of all cases", label: "summary", columns: columns, rows: rows, keyColumns: 2))]
    }

    func fidelityCells(_ c: CaseResult) -> [String] {
        guard let f = c.fidelity, f.images > 0 else { return ["—", "—", "—"] }
        let mean = f.sqnrDBMean.map { NumberText.fixed($0, 2, minus: .typographic) } ?? "∞"
        let min = f.sqnrDBMin.map { NumberText.fixed($0, 2, minus: .typographic) } ?? "∞"
        return [mean, min, NumberText.percentValue(f.top1Agreement)]
    }

    func sortValue(_ c: CaseResult, _ key: SummaryColumn) -> Double? {
        let t = c.cost.totals
        switch key {
        case .index: return Double(c.index)
        case .size: return Double(c.config.size)
        case .blocks: return Double(c.config.blocks)
        case .precision:
            let bits = c.config.weightPrecision.blocks
            return Double(bits.map(\.countedBits).reduce(0, +)) / Double(max(bits.count, 1))
        case .bitops: return Double(t.bitops)
        case .macs: return Double(t.macs)
        case .params: return Double(t.params)
        case .weights: return Double(t.weightStorageBits)
        case .activations: return Double(t.peakActivationBits)
        case .sqnr:
            guard let f = c.fidelity, f.images > 0 else { return nil }
            return f.sqnrDBMean ?? .infinity
        case .cosine: return c.fidelity.map(\.cosineMean)
        case .top1: return c.fidelity.map(\.top1Agreement)
        case .accuracy: return c.accuracy?.top1
        case .time: return c.timings?.msPerImage
        }
    }

    func caseHeading(_ c: CaseResult) -> String { "Case \(c.index): \(c.config.label)" }

    /// Above this many cases, per-case sections are folded, per-case charts are drawn for one case of each
    /// block count only, and the PDF leaves the per-layer lists to the other formats.
    public static let foldCasesAbove = 12

    func layersCell(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        let many = cases.count > Self.foldCasesAbove
        let chartMode = cell.options["chart"] ?? "auto"
        if !many {
            return try cases.flatMap { c -> [Block] in
                var blocks = layerBlocks(cell, c, folded: false)
                if chartMode != "false" { blocks.insert(try layerwiseFigure(cell, c), at: 1) }
                return blocks
            }
        }
        // Many cases: charts first (all, or one per network shape), then every case folded.
        var charted: [CaseResult] = []
        if chartMode == "true" {
            charted = cases
        } else if chartMode == "auto" {
            var seen: Set<String> = []
            for c in cases where seen.insert("\(c.config.family)|\(c.config.blocks)|\(c.config.width)").inserted { charted.append(c) }
        }
        var intro: [Inline] = [.text("\(cases.count) cases, each folded below with its block table and its full layer list.")]
        if chartMode == "auto", !charted.isEmpty {
            intro += [.text(" Layer-wise charts are drawn for the first case of each network shape (\(charted.count)); "),
                      .code("chart: true"), .text(" in the template draws one for every case.")]
        }
        intro.append(.text(" The PDF prints each case's block table; the per-layer lists are in report.md, report.ipynb and tables.tex."))
        var blocks: [Block] = [.paragraph(intro)]
        for c in charted { blocks.append(try layerwiseFigure(cell, c)) }
        for c in cases {
            let body = layerBlocks(cell, c, folded: true)
            blocks.append(.details(summary: "\(caseHeading(c)) — \(NumberText.si(c.cost.totals.bitops)) BitOps", blocks: body))
        }
        return blocks
    }

    func layerBlocks(_ cell: TemplateCell, _ c: CaseResult, folded: Bool) -> [Block] {
        let cost = c.cost
        let total = cost.totals.bitops
        func share(_ v: Int) -> String { total == 0 ? "—" : NumberText.percentValue(Double(v) / Double(total)) }
        var rows: [[String]] = []
        var emph: Set<Int> = []
        let columns: [Table.Column] = [
            .init("part"), .init("output"), .init("w/a bits"), .init("depthwise", unit: "BitOps", numeric: true),
            .init("pointwise", unit: "BitOps", numeric: true), .init("total", unit: "BitOps", numeric: true),
            .init("share", unit: "%", numeric: true), .init("dw share", unit: "%", numeric: true),
            .init("params", numeric: true), .init("weights", unit: "KiB", numeric: true),
        ]
        func bits(_ l: BitOpsCore.LayerCost) -> String { "\(l.weightBits)/\(l.outputBits)" }
        for l in cost.layers where l.block == nil && l.name == "stem" {
            rows.append(["stem", l.outputShape.description, bits(l), "—", "—", NumberText.grouped(l.bitops), share(l.bitops),
                         "—", NumberText.grouped(l.params), NumberText.kib((l.weightStorageBits + 7) / 8)])
        }
        for b in cost.blocks {
            let layers = cost.layers.filter { $0.block == b.block }
            let dw = layers.filter { $0.kind == .depthwise }.reduce(0) { $0 + $1.bitops }
            let pw = layers.filter { $0.kind == .pointwise }.reduce(0) { $0 + $1.bitops }
            let out = layers.last?.outputShape.description ?? ""
            let dwShare = b.totals.bitops == 0 ? "—" : NumberText.percentValue(Double(dw) / Double(b.totals.bitops))
            rows.append(["block \(b.block)", out, layers.first.map(bits) ?? "", NumberText.grouped(dw), NumberText.grouped(pw),
                         NumberText.grouped(b.totals.bitops), share(b.totals.bitops), dwShare,
                         NumberText.grouped(b.totals.params), NumberText.kib(b.totals.weightStorageBytes)])
        }
        for l in cost.layers where l.block == nil && l.kind == .linear {
            rows.append(["classifier", l.outputShape.description, bits(l), "—", "—", NumberText.grouped(l.bitops), share(l.bitops),
                         "—", NumberText.grouped(l.params), NumberText.kib((l.weightStorageBits + 7) / 8)])
        }
        let dwAll = cost.layers.filter { $0.kind == .depthwise }.reduce(0) { $0 + $1.bitops }
        let pwAll = cost.layers.filter { $0.kind == .pointwise }.reduce(0) { $0 + $1.bitops }
        emph.insert(rows.count)
        rows.append(["total", "", "", NumberText.grouped(dwAll), NumberText.grouped(pwAll), NumberText.grouped(total),
                     total == 0 ? "—" : "100.0", total == 0 ? "—" : NumberText.percentValue(Double(dwAll) / Double(total)),
                     NumberText.grouped(cost.totals.params), NumberText.kib(cost.totals.weightStorageBytes)])
        var blockTable = Table(caption: "Per-block BitOps of case \(c.index) (\(c.config.label))", label: FileNames.name("blocks", case: c),
                               columns: columns, rows: rows)
        blockTable.emphasizedRows = emph
        blockTable.rulesAfter = [rows.count - 2]

        let layerColumns: [Table.Column] = [
            .init("layer"), .init("kind"), .init("input → output"), .init("k/s", numeric: false), .init("groups", numeric: true),
            .init("w/a bits"), .init("MACs", numeric: true), .init("BitOps", numeric: true), .init("share", unit: "%", numeric: true),
            .init("params", numeric: true), .init("act. memory", unit: "KiB", numeric: true),
        ]
        let layerRows: [[String]] = cost.layers.map { l in
            [l.name, l.kind.rawValue, "\(l.inputShape) → \(l.outputShape)", "\(l.kernel)/\(l.stride)", String(l.groups),
             "\(l.weightBits)/\(l.outputBits)", NumberText.grouped(l.macs), NumberText.grouped(l.bitops), share(l.bitops),
             NumberText.grouped(l.params), NumberText.kib((l.activationBits + 7) / 8)]
        }
        let layerTable = Table(caption: "Every layer of case \(c.index) (\(c.config.label))", label: FileNames.name("layers", case: c),
                               columns: layerColumns, rows: layerRows)
        let fold = Int(cell.options["fold"] ?? "") ?? 8

        var blocks: [Block] = folded ? [] : [.heading(level: 3, text: caseHeading(c))]
        blocks += [
            .paragraph([.text("Case id "), .code(c.id), .text(": \(NumberText.grouped(total)) BitOps (\(NumberText.si(total))) under the "),
                        .code(cost.convention.rawValue),
                        .text(" convention on \(c.config.size)×\(c.config.size) images; depthwise layers take \(total == 0 ? "—" : NumberText.percentValue(Double(dwAll) / Double(total))) % of them.")]),
            .table(blockTable),
        ]
        if folded {
            blocks.append(.details(summary: "All \(layerRows.count) layers of case \(c.index)", blocks: [.table(layerTable)], printed: false))
        } else if layerRows.count > fold {
            blocks.append(.details(summary: "All \(layerRows.count) layers of case \(c.index)", blocks: [.table(layerTable)]))
        } else {
            blocks.append(.table(layerTable))
        }
        if let e = c.error {
            blocks.append(.paragraph([.strong("This case failed:"), .text(" " + e)]))
        }
        return blocks
    }

    /// One table: a row per case, a column per image, the logit SQNR (dB) in each cell and ✗ where the
    /// top-1 class differs from the float twin's.
    func imageBlocks(_ cases: [CaseResult]) -> [Block] {
        let ran = cases.filter { !$0.images.isEmpty }
        guard !ran.isEmpty else { return [.paragraph([.emphasis("No image ran in these cases.")])] }
        let files = Array(Set(ran.flatMap { $0.images.map(\.file) })).sorted()
        var columns: [Table.Column] = [.init("#", numeric: true), .init("configuration")]
        columns += files.map { Table.Column($0, unit: "dB", numeric: true) }
        let rows: [[String]] = ran.map { c in
            [String(c.index), c.config.label] + files.map { f in
                guard let im = c.images.first(where: { $0.file == f }) else { return "—" }
                let v = im.sqnrDB.map { NumberText.fixed($0, 2, minus: .typographic) } ?? "∞"
                return im.top1Agree ? v : v + " ✗"
            }
        }
        let table = Block.table(Table(caption: "Logit SQNR per image and case", label: "images", columns: columns, rows: rows))
        let disagreements = ran.reduce(0) { $0 + $1.images.filter { !$0.top1Agree }.count }
        let intro = Block.paragraph([.text("Logit SQNR in dB of each case (rows) on each image (columns), against the float twin; “∞” is bit-exact. ✗ marks an image whose top-1 class differs from the float twin's (\(disagreements) of \(ran.reduce(0) { $0 + $1.images.count }) here).")])
        if ran.count > Self.foldCasesAbove {
            return [intro, .details(summary: "SQNR of \(ran.count) cases on \(files.count) images", blocks: [table])]
        }
        return [intro, table]
    }

    func failureBlocks() -> [Block] {
        let failed = results.cases.filter { $0.error != nil }
        var blocks: [Block] = []
        if failed.isEmpty && results.skippedImages.isEmpty {
            return [.paragraph([.text("No case failed and no image was skipped.")])]
        }
        if failed.isEmpty {
            blocks.append(.paragraph([.text("No case failed.")]))
        } else {
            blocks.append(.table(Table(caption: "Failed cases", label: "failed-cases",
                                       columns: [.init("#", numeric: true), .init("case"), .init("configuration"), .init("reason")],
                                       rows: failed.map { [String($0.index), String($0.id.prefix(8)), $0.config.label, $0.error ?? ""] })))
        }
        if results.skippedImages.isEmpty {
            blocks.append(.paragraph([.text("No image was skipped.")]))
        } else {
            blocks.append(.paragraph([.text("\(results.skippedImages.count) image\(results.skippedImages.count == 1 ? " was" : "s were") skipped:")]))
            blocks.append(.table(Table(caption: "Skipped images", label: "skipped-images",
                                       columns: [.init("image"), .init("reason")],
                                       rows: results.skippedImages.map { [$0.file, $0.reason] })))
        }
        return blocks
    }

    // MARK: - Figures

    /// The `width` option, else `figureWidth` (`--figure-width`, single column by default) — except that a
    /// heatmap with at most four columns or grouped bars with at most twelve bars stay one column wide
    /// (fewer cells or bars across a wider figure are oversized).
    func figureSize(_ cell: TemplateCell, items: Int = .max) -> FigureSize {
        switch cell.options["width"] {
        case "one-column"?: return .oneColumn
        case "two-column"?: return FigureWidth.double.size
        default:
            if figureWidth.width > FigureWidth.singleWidth {
                if cell.kind == .heatmap, items <= 4 { return .oneColumn }
                if cell.kind == .storage, items <= 12 { return .oneColumn }
            }
            return figureWidth.size
        }
    }

    /// Groups cases by every dimension except `axes`, in grid order. Each group's label names the fixed values
    /// that vary across groups.
    func facets(_ cases: [CaseResult], excluding axes: Set<String>) -> [(label: String, cases: [CaseResult])] {
        let keys = CaseSelector.keys.filter { !axes.contains($0) }
        let varying = keys.filter { varies(cases, $0) }
        var order: [[String]] = []
        var groups: [[String]: [CaseResult]] = [:]
        for c in cases {
            let k = keys.map { CaseSelector.value(of: $0, in: c.config) }
            if groups[k] == nil { order.append(k) }
            groups[k, default: []].append(c)
        }
        return order.map { k in
            let label = zip(keys, k).filter { varying.contains($0.0) }.map { "\($0.0)=\($0.1)" }.joined(separator: ", ")
            return (label, groups[k]!)
        }
    }

    func layerwiseFigure(_ cell: TemplateCell, _ c: CaseResult) throws -> Block {
        let shares = cell.options["shares"] == "true"
        var layers: [LayerBitOpsBar] = []
        for l in c.cost.layers where l.name == "stem" { layers.append(LayerBitOpsBar(label: "stem", stem: Double(l.bitops))) }
        for b in c.cost.blocks {
            let ls = c.cost.layers.filter { $0.block == b.block }
            layers.append(LayerBitOpsBar(label: "B\(b.block)",
                                       depthwise: Double(ls.filter { $0.kind == .depthwise }.reduce(0) { $0 + $1.bitops }),
                                       pointwise: Double(ls.filter { $0.kind == .pointwise }.reduce(0) { $0 + $1.bitops })))
        }
        for l in c.cost.layers where l.kind == .linear { layers.append(LayerBitOpsBar(label: "FC", classifier: Double(l.bitops))) }
        let title = cell.options["title"] ?? "BitOps per block — case \(c.index): \(c.config.label)"
        let spec = try ChartAdapter.layerwise(title: title, bars: layers, asShares: shares, size: figureSize(cell))
        let stem = FileNames.name(shares ? "layerwise-shares" : "layerwise", case: c)
        return .figure(Figure(fileStem: stem, caption: "BitOps of each block of case \(c.index) (\(c.config.label)), split into depthwise and pointwise\(shares ? ", as shares of the total" : "").",
                              spec: spec, size: figureSize(cell)))
    }

    /// The precisions among `cases` in the spec's order: the order of first appearance in the whole results
    /// set (grid order), the same in every chart and table of a report.
    func precisionOrder(_ cases: [CaseResult]) -> [String] {
        let present = Set(cases.map(\.config.weightPrecision.description))
        return Self.precisionOrder(of: results).filter(present.contains)
    }

    /// Every precision label of `results`, in order of first appearance (the sweep spec's grid order).
    public static func precisionOrder(of results: ResultsSet) -> [String] {
        var seen: Set<String> = []
        return results.cases.map(\.config.weightPrecision.description).filter { seen.insert($0).inserted }
    }

    func sizeFigures(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        var out: [Block] = []
        for facet in facets(cases, excluding: ["size", "precision"]) {
            let sizes = Set(facet.cases.map(\.config.size))
            guard sizes.count > 1 else { continue }
            let series = precisionOrder(facet.cases).map { p in
                LineSeries(label: p, points: facet.cases.filter { $0.config.weightPrecision.description == p }
                    .map { (Double($0.config.size), Double($0.cost.totals.bitops)) }.sorted { $0.0 < $1.0 })
            }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let title = cell.options["title"] ?? "Total BitOps against image size\(suffix)"
            let spec = try ChartAdapter.totalVersusSize(title: title, series: series, colors: colors, size: figureSize(cell))
            out.append(.figure(Figure(fileStem: FileNames.name("bitops-vs-size", cases: facet.cases, excluding: ["size", "precision"]),
                                      caption: "Total BitOps against image size, one line per weight precision\(suffix).",
                                      spec: spec, size: figureSize(cell))))
        }
        if out.isEmpty { out.append(.paragraph([.emphasis("Only one image size in these cases — no size chart.")])) }
        return out
    }

    func heatmapFigures(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        let rowsKey = cell.options["rows"] ?? "blocks"
        let value = HeatmapValue(rawValue: cell.options["value"] ?? "bitops") ?? .bitops
        var out: [Block] = []
        var noValues = false
        // Fidelity does not depend on the BitOps convention (cases differing only there share one engine
        // run): one fidelity heatmap for all conventions rather than identical copies.
        let fidelity = value == .sqnr || value == .top1
        for facet in facets(cases, excluding: fidelity ? [rowsKey, "precision", "convention"] : [rowsKey, "precision"]) {
            let cols = precisionOrder(facet.cases)
            let rowValues = Array(Set(facet.cases.map { rowsKey == "size" ? $0.config.size : $0.config.blocks })).sorted()
            guard rowValues.count * cols.count > 1 else { continue }
            var grid: [[Double?]] = []
            for r in rowValues {
                grid.append(cols.map { p in
                    facet.cases.first { ($0.config.weightPrecision.description == p) && (rowsKey == "size" ? $0.config.size : $0.config.blocks) == r }
                        .flatMap { heatValue($0, value) }
                })
            }
            if grid.allSatisfy({ $0.allSatisfy { $0 == nil } }) { noValues = true; continue }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let what = heatTitle(value)
            let title = cell.options["title"] ?? "\(what.name) by \(rowsKey == "size" ? "image size" : "block count") and precision\(suffix)"
            let spec = try ChartAdapter.heatmap(title: title, rowTitle: rowsKey == "size" ? "image size (px)" : "blocks",
                                                rowLabels: rowValues.map(String.init), columnTitle: "weight precision",
                                                columnLabels: cols, values: grid, valueTitle: what.unit, logarithmic: what.log,
                                                percent: value == .top1, size: figureSize(cell, items: cols.count))
            let exactNote = grid.joined().contains(.infinity) ? " “exact”: the logits equal the float twin’s (∞ dB)." : ""
            out.append(.figure(Figure(fileStem: FileNames.name("heatmap-\(value.rawValue)\(rowsKey == "size" ? "-by-size" : "")", cases: facet.cases,
                                                                excluding: [rowsKey, "precision"]),
                                      caption: "\(what.name) for each \(rowsKey == "size" ? "image size" : "block count") and weight precision\(suffix).\(exactNote)",
                                      spec: spec, size: figureSize(cell, items: cols.count))))
        }
        if out.isEmpty {
            out.append(.paragraph([.emphasis(noValues ? "No case has \(heatTitle(value).name.lowercased()) figures — no heatmap."
                                             : "These cases do not span two axes — no heatmap.")]))
        }
        return out
    }

    func heatValue(_ c: CaseResult, _ v: HeatmapValue) -> Double? {
        switch v {
        case .bitops: return Double(c.cost.totals.bitops)
        case .macs: return Double(c.cost.totals.macs)
        case .weights: return Double(c.cost.totals.weightStorageBytes) / 1024
        case .sqnr:
            guard let f = c.fidelity, f.images > 0 else { return nil }
            return f.sqnrDBMean ?? .infinity   // exact: written "exact" in the cell
        case .top1:
            guard let f = c.fidelity, f.images > 0 else { return nil }
            return f.top1Agreement * 100
        }
    }

    func heatTitle(_ v: HeatmapValue) -> (name: String, unit: String, log: Bool) {
        switch v {
        case .bitops: return ("Total BitOps", "BitOps", true)
        case .macs: return ("MACs", "MACs", true)
        case .weights: return ("Weight storage", "weights (KiB)", true)
        case .sqnr: return ("Mean logit SQNR", "SQNR (dB)", false)
        case .top1: return ("Top-1 agreement", "top-1 agreement (%)", false)
        }
    }

    func costQualityFigures(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        let measure = FidelityMeasure(rawValue: cell.options["fidelity"] ?? "sqnr") ?? .sqnr
        let budget = cell.options["budget"].flatMap(SINumber.parse)
        var out: [Block] = []
        // BitOps are comparable only within one convention: one chart per convention.
        for facet in facetsBy(cases, key: "convention") {
            let pts: [CostQualityPoint] = facet.cases.compactMap { c in
                guard let f = c.fidelity, f.images > 0, c.error == nil else { return nil }
                let y: Double
                switch measure {
                case .sqnr: y = f.sqnrDBMean ?? .infinity   // exact: drawn on the band above the axis
                case .top1: y = f.top1Agreement * 100
                case .cosine: y = f.cosineMean
                case .top1Accuracy:
                    guard let a = c.accuracy else { return nil }
                    y = a.top1 * 100
                case .top5Accuracy:
                    guard let a = c.accuracy else { return nil }
                    y = a.top5 * 100
                }
                return CostQualityPoint(label: "#\(c.index)", cost: Double(c.cost.totals.bitops), quality: y,
                                        group: c.config.weightPrecision.description)
            }
            guard !pts.isEmpty else { continue }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let yTitle: String
            switch measure {
            case .sqnr: yTitle = "mean logit SQNR (dB)"
            case .top1: yTitle = "top-1 agreement with float (%)"
            case .cosine: yTitle = "mean cosine similarity"
            case .top1Accuracy: yTitle = "top-1 accuracy (%)"
            case .top5Accuracy: yTitle = "top-5 accuracy (%)"
            }
            let accuracy = measure == .top1Accuracy || measure == .top5Accuracy
            let title = cell.options["title"] ?? "\(accuracy ? "Accuracy against BitOps" : "Cost against fidelity")\(suffix)"
            let spec = try ChartAdapter.costQuality(title: title, points: pts, fidelityTitle: yTitle, budget: budget, colors: colors, size: figureSize(cell),
                                                      percentScale: measure == .top1 || accuracy)
            out.append(.figure(Figure(fileStem: FileNames.name("cost-vs-\(measure.rawValue)", cases: facet.cases, excluding: Set(FileNames.order).subtracting(["convention"])),
                                      caption: "Total BitOps (log scale) against \(yTitle), one point per case; the Pareto front is joined and its cases are labelled with their number\(budget.map { ", budget \(NumberText.si($0)) BitOps" } ?? "")\(suffix).\(pts.contains { $0.quality == .infinity } ? " Triangles on the shaded band at the top: exact cases (logits equal to the float twin’s, ∞ dB)." : "")",
                                      spec: spec, size: figureSize(cell))))
        }
        if out.isEmpty {
            let what = measure == .top1Accuracy || measure == .top5Accuracy ? "accuracy figures (no labelled images)" : "fidelity figures"
            out.append(.paragraph([.emphasis("No case has \(what) — no cost-quality chart.")]))
        }
        return out
    }

    func facetsBy(_ cases: [CaseResult], key: String) -> [(label: String, cases: [CaseResult])] {
        var order: [String] = []
        var groups: [String: [CaseResult]] = [:]
        for c in cases {
            let v = CaseSelector.value(of: key, in: c.config)
            if groups[v] == nil { order.append(v) }
            groups[v, default: []].append(c)
        }
        return order.map { (order.count > 1 ? "\(key)=\($0)" : "", groups[$0]!) }
    }

    func storageFigures(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        var out: [Block] = []
        // Weight storage depends on neither the image size, the activation bits nor the convention.
        for facet in facets(cases, excluding: ["blocks", "precision", "size", "convention", "act"]) {
            let blocks = Array(Set(facet.cases.map(\.config.blocks))).sorted()
            let precisions = precisionOrder(facet.cases)
            let series = precisions.map { p in
                NamedValues(name: p, values: blocks.map { n in
                    facet.cases.first { $0.config.blocks == n && $0.config.weightPrecision.description == p }
                        .map { Double($0.cost.totals.weightStorageBytes) / 1024 } ?? 0
                })
            }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let title = cell.options["title"] ?? "Weight storage by block count and precision\(suffix)"
            let spec = try ChartAdapter.groupedBars(title: title, categoryTitle: "blocks", categories: blocks.map(String.init),
                                                    valueTitle: "weight storage (KiB)", series: series, colors: colors, size: figureSize(cell, items: blocks.count * precisions.count))
            out.append(.figure(Figure(fileStem: FileNames.name("weight-storage", cases: facet.cases, excluding: ["blocks", "precision", "size", "convention", "act"]),
                                      caption: "Weight storage in KiB for each block count, one bar per weight precision\(suffix).",
                                      spec: spec, size: figureSize(cell, items: blocks.count * precisions.count))))
        }
        return out
    }
}

/// An error while executing a cell (the executor adds the template file and line).
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
