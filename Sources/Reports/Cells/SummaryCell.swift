import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `table: summary`: one row per selected case, sortable by any column.
struct SummaryCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        summaryBlocks(cell, selected)
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
                    .init("weight storage", unit: "KiB", numeric: true), .init("peak act.", unit: "KiB", numeric: true),
                    .init("SQNR mean", unit: "dB", numeric: true), .init("SQNR min", unit: "dB", numeric: true),
                    .init("top-1 agree", unit: "%", numeric: true)]
        // Labelled images: each case's top-1/top-5 accuracy (quantized network) next to its fidelity.
        let showAccuracy = cases.contains { $0.accuracy != nil }
        if showAccuracy {
            columns += [.init("top-1 acc.", unit: "%", numeric: true), .init("top-5 acc.", unit: "%", numeric: true)]
        }
        // Which kernels ran, when the cases differ in it: the time column means different things on each.
        let showKernels = Set(cases.map { $0.kernels?.runsInteger }).count > 1
        if showKernels { columns.append(.init("kernels")) }
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
            if showKernels { row.append(c.kernels.map { $0.runsInteger ? "int8" : "float" } ?? "—") }
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
        if let note = Self.kernelNote(cases) { intro.append(.text(" " + note)) }
        if let note = Self.calibrationNote(cases) { intro.append(.text(" " + note)) }
        if let note = Self.preprocessingNote(cases) { intro.append(.text(" " + note)) }
        return [.paragraph(intro),
                .table(Table(caption: "Summary of all cases", label: "summary", columns: columns, rows: rows, keyColumns: 2))]
    }

    /// Which kernels the times were measured on: `Times per image: 15 cases on int8 kernels (…), 60 on float
    /// kernels, simulated quantization.` Nil when no case ran.
    static func kernelNote(_ cases: [CaseResult]) -> String? {
        let ran = cases.filter { $0.error == nil && $0.timings != nil }
        guard !ran.isEmpty else { return nil }
        let int8 = ran.filter { $0.kernels?.runsInteger ?? false }.count, float = ran.count - int8
        var parts: [String] = []
        if int8 > 0 { parts.append("\(int8) case\(int8 == 1 ? "" : "s") on int8 kernels (oneDNN, where weights and input activations have at most 8 bits; sub-8-bit weights execute as int8)") }
        if float > 0 { parts.append("\(float) case\(float == 1 ? "" : "s") on float kernels, simulated quantization (float arithmetic on fake-quantized values: no faster at fewer bits)") }
        return "Times per image: " + parts.joined(separator: ", ") + "."
    }

    /// How the activation ranges were chosen, when some case did not use the fixed [0, 6]: `Activation ranges:
    /// minmax, measured per case on its images (per layer in results.json).` Nil otherwise (the default).
    static func calibrationNote(_ cases: [CaseResult]) -> String? {
        let methods = cases.compactMap(\.calibration?.method).filter { $0 != .fixed }
        guard !methods.isEmpty else { return nil }
        let names = methods.map(\.description).reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
        return "Activation ranges: " + names.joined(separator: ", ")
            + ", measured per case by the float network on its images (per layer in results.json), instead of the fixed [0, 6]."
    }

    /// How images became the input of the graph networks' cases (their model's preprocessing, as results.json
    /// records it): `Images preprocessed as resize 36 · centre crop · mean … · rgb.` Nil when no case records one
    /// (block-form networks take the seed's pipeline).
    static func preprocessingNote(_ cases: [CaseResult]) -> String? {
        let seen = cases.compactMap(\.preprocessing).reduce(into: [Preprocessing]()) { if !$0.contains($1) { $0.append($1) } }
        guard !seen.isEmpty else { return nil }
        return "Images preprocessed as " + seen.map(\.description).joined(separator: "; ") + " (results.json: preprocessing)."
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
}
