import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `table: layers`: per case, the block table and every layer (folded above `CellExecutor.foldCasesAbove` cases).
struct LayersCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try layersCell(cell, pick(cell, selected))
    }

    /// The layer-wise chart of one case, as `chart: layerwise` draws it.
    func layerwiseFigure(_ cell: TemplateCell, _ c: CaseResult) throws -> Block {
        try LayerwiseCell(executor: executor).layerwiseFigure(cell, c)
    }

    func caseHeading(_ c: CaseResult) -> String { "Case \(c.index): \(c.config.label)" }

    func layersCell(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        let many = cases.count > CellExecutor.foldCasesAbove
        let chartMode = cell.options["chart"] ?? "auto"
        if !many {
            return try cases.flatMap { c -> [Block] in
                var blocks = layerBlocks(cell, c, folded: false)
                if chartMode != "false" { blocks.insert(try layerwiseFigure(cell, c), at: 1) }
                return blocks
            }
        }
        // Many cases: charts first (all, or per network shape the first case and the first of each
        // mixed-precision policy — a uniform width only scales the first case's bars, a mixed one moves them),
        // then every case folded.
        var charted: [CaseResult] = []
        if chartMode == "true" {
            charted = cases
        } else if chartMode == "auto" {
            var seen: Set<String> = []
            for c in cases {
                let shape = "\(c.config.family)|\(c.config.blocks)|\(c.config.width)"
                let mixed = c.config.weightPrecision.policy.uniformWidth == nil ? c.config.weightPrecision.description : ""
                if seen.insert(shape).inserted || (!mixed.isEmpty && seen.insert(shape + "|" + mixed).inserted) { charted.append(c) }
            }
        }
        var intro: [Inline] = [.text("\(cases.count) cases, each folded below with its block table and its full layer list.")]
        if chartMode == "auto", !charted.isEmpty {
            intro += [.text(" Layer-wise charts are drawn for the first case of each network shape and of each mixed-precision policy in it (\(charted.count)); "),
                      .code("chart: true"), .text(" in the template draws one for every case.")]
        }
        // The PDF keeps to what a reader needs: the block tables of the charted cases (all of them without
        // charts); every table is in report.md, report.ipynb and tables.tex.
        let printed = Set((charted.isEmpty ? cases : charted).map(\.id))
        intro.append(.text(printed.count == cases.count
            ? " The PDF prints each case's block table; the per-layer lists are in report.md, report.ipynb and tables.tex."
            : " The PDF prints the block tables of the charted cases; every case's block table and per-layer list are in report.md, report.ipynb and tables.tex."))
        var blocks: [Block] = [.paragraph(intro)]
        for c in charted { blocks.append(try layerwiseFigure(cell, c)) }
        for c in cases {
            let body = layerBlocks(cell, c, folded: true)
            blocks.append(.details(summary: "\(caseHeading(c)) — \(NumberText.si(c.cost.totals.bitops)) BitOps", blocks: body,
                                   printed: printed.contains(c.id)))
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
            .init("part"), .init("output"), .init("weight/act. bits"), .init("depthwise", unit: "BitOps", numeric: true),
            .init("pointwise", unit: "BitOps", numeric: true), .init("total", unit: "BitOps", numeric: true),
            .init("share", unit: "%", numeric: true), .init("dw share", unit: "%", numeric: true),
            .init("params", numeric: true), .init("weight storage", unit: "KiB", numeric: true),
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
            .init("weight/act. bits"), .init("MACs", numeric: true), .init("BitOps", numeric: true), .init("share", unit: "%", numeric: true),
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
}
