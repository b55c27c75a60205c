import BitOpsCore
import Foundation
import Presentation

// Text renderings of a `CostReport` (`bitsweep calc`): an aligned table for terminals, CSV, GitHub Markdown
// and booktabs LaTeX. All are built from the same rows, so they always agree; JSON is the Codable form (see
// the CLI). BitOpsCore only counts; how counts are written lives here.

/// One line of the per-layer table: a layer, a block subtotal, or the total.
public struct CostTableRow: Sendable {
    public enum Role: Sendable { case layer, subtotal, total }
    public var role: Role
    public var cells: [String]
}

/// How to render counts in the table.
public enum CountStyle: Sendable {
    /// SI-prefixed (2.36 M) — for reading.
    case si
    /// Exact integers with thousands separators.
    case exact
    /// Exact integers, no separators (CSV).
    case raw
}

extension CostReport {
    public static let tableHeaders = ["layer", "kind", "input", "output", "k/s", "weight bits", "input bits", "MACs", "BitOps",
                                      "params", "weight storage", "share"]

    /// One line summarising the configuration, e.g. `seed · 5 blocks · 32×32 · weights 4-bit · activations float · weight`.
    public var title: String {
        // A block whose layers differ shows `depthwise/pointwise` (e.g. `8,4/2,8`).
        func blockWeights(_ b: BlockSpec) -> String {
            let dw = b.depthwiseBits ?? b.bits, pw = b.pointwiseBits ?? b.bits
            return dw == pw ? dw.description : "\(dw)/\(pw)"
        }
        let perLayer = network.blocks.contains { ($0.depthwiseBits ?? $0.bits) != ($0.pointwiseBits ?? $0.bits) }
        let w = Set(network.blocks.map { $0.depthwiseBits ?? $0.bits } + network.blocks.map { $0.pointwiseBits ?? $0.bits })
        let a = Set(network.blocks.map(\.actBits))
        let wText = w.count == 1 ? w.first!.prose
            : network.blocks.map(blockWeights).joined(separator: ",") + (perLayer ? " (depthwise/pointwise)" : "")
        let aText = a.count == 1 ? a.first!.prose : network.blocks.map(\.actBits.description).joined(separator: ",")
        return "\(network.name) · \(network.blocks.count) blocks · \(inputSize)×\(inputSize) input · weights \(wText) · activations \(aText) · convention \(convention.rawValue)"
    }

    /// The rows of the per-layer table: each layer, a subtotal after each block, and the total.
    public func tableRows(_ style: CountStyle) -> [CostTableRow] {
        func n(_ v: Int) -> String {
            switch style {
            case .si: return NumberText.si(v)
            case .exact: return NumberText.grouped(v)
            case .raw: return String(v)
            }
        }
        func storage(_ bits: Int) -> String { style == .raw ? String(bits) : NumberText.bytes(bits: bits) }
        let total = totals.bitops
        var rows: [CostTableRow] = []
        for l in layers {
            rows.append(CostTableRow(role: .layer, cells: [
                l.name, l.kind.rawValue, l.inputShape.description, l.outputShape.description,
                l.kind == .linear ? "–" : "\(l.kernel)/\(l.stride)", l.weightBits.description,
                l.inputBits.description, n(l.macs), n(l.bitops), n(l.params), storage(l.weightStorageBits),
                NumberText.percent(l.bitops, of: total),
            ]))
            if let b = l.block, l.kind == .pointwise {
                let t = blocks[b].totals
                rows.append(CostTableRow(role: .subtotal, cells: [
                    "block\(b) total", "", "", "", "", "", "", n(t.macs), n(t.bitops), n(t.params),
                    storage(t.weightStorageBits), NumberText.percent(t.bitops, of: total),
                ]))
            }
        }
        rows.append(CostTableRow(role: .total, cells: [
            "total", "", "", "", "", "", "", n(totals.macs), n(totals.bitops), n(totals.params),
            storage(totals.weightStorageBits), NumberText.percent(totals.bitops, of: total),
        ]))
        return rows
    }

    /// The aligned terminal table: text left-aligned, numbers right-aligned, a rule above subtotals/total.
    public func textTable(_ style: CountStyle = .si) -> String {
        CostTableText.text(title: title, headers: Self.tableHeaders, rows: tableRows(style), footer: [totalsLine(totals)]
                           + (convention == .seedLegacy ? [CostTableText.seedLegacyNote] : []))
    }

    /// Per-layer CSV (exact integers; storage in bits), one row per layer, no subtotals.
    public func csvTable() -> String {
        var out = ["name,block,kind,input_shape,output_shape,kernel,stride,groups,weight_bits,input_bits,macs,bitops,params,weight_storage_bits,activation_elements"]
        for l in layers {
            out.append([l.name, l.block.map(String.init) ?? "", l.kind.rawValue, l.inputShape.description,
                        l.outputShape.description, String(l.kernel), String(l.stride), String(l.groups),
                        l.weightBits.description, l.inputBits.description, String(l.macs), String(l.bitops), String(l.params),
                        String(l.weightStorageBits), String(l.activationElements)].joined(separator: ","))
        }
        out.append(["total", "", "", "", "", "", "", "", "", "", String(totals.macs), String(totals.bitops),
                    String(totals.params), String(totals.weightStorageBits), String(totals.activationElements)].joined(separator: ","))
        return out.joined(separator: "\n") + "\n"
    }

    /// GitHub-flavoured Markdown table (exact integers, numbers right-aligned; subtotal and total rows bold).
    public func markdownTable() -> String {
        CostTableText.markdown(title: title, headers: Self.tableHeaders, rows: tableRows(.exact))
    }

    /// A booktabs table ready for a paper (needs `\usepackage{booktabs}`).
    public func latexTable() -> String {
        CostTableText.latex(title: title, headers: Self.tableHeaders, rows: tableRows(.exact))
    }
}

/// The terminal, Markdown and booktabs renderings shared by the block form's and the graph form's cost tables:
/// the first `textColumns` columns are text (left-aligned), the rest numbers; subtotal and total rows are
/// set apart (a blank line / rule in text, bold in Markdown and LaTeX).
enum CostTableText {
    /// Layer, kind, input, output, k/s, weight bits, input bits: the text columns of both cost tables.
    static let textColumns = 7

    static let seedLegacyNote = "seed-legacy: the demo code's count — depthwise layers counted as C_out·C_in·K·K·H·W·B (C_in times too many), blocks only."

    static func text(title: String, headers: [String], rows: [CostTableRow], footer: [String]) -> String {
        let widths = PlainTable.widths([headers] + rows.map(\.cells))
        let rightAligned = Set(textColumns..<headers.count)
        func line(_ cells: [String]) -> String { PlainTable.line(cells, widths: widths, right: rightAligned) }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        var out = [title, "", line(headers), rule]
        for r in rows {
            if r.role == .total { out.append(rule) }
            out.append(line(r.cells))
            if r.role == .subtotal { out.append("") }
        }
        out.append("")
        out += footer
        return out.joined(separator: "\n") + "\n"
    }

    static func markdown(title: String, headers: [String], rows: [CostTableRow]) -> String {
        let cells = rows.map { r in
            r.cells.map { c -> String in
                let escaped = Escape.markdown(c)
                return r.role == .layer || c.isEmpty ? escaped : "**\(escaped)**"
            }
        }
        return "**\(Escape.markdown(title))**\n\n" + PlainTable.markdown(headers, cells, right: Set(textColumns..<headers.count))
    }

    static func latex(title: String, headers: [String], rows: [CostTableRow], trailer: [String] = []) -> String {
        let tex = Escape.latex
        // In LaTeX the two bit-width columns are right-aligned with the numbers.
        let columns = String(repeating: "l", count: textColumns - 2) + String(repeating: "r", count: headers.count - textColumns + 2)
        var out = ["% \(title)", "% Generated by bitsweep calc --format latex; requires \\usepackage{booktabs}.",
                   "\\begin{tabular}{\(columns)}", "\\toprule",
                   headers.map(tex).joined(separator: " & ") + " \\\\", "\\midrule"]
        for r in rows {
            if r.role == .total { out.append("\\midrule") }
            let cells = r.cells.map(tex).map { r.role == .layer || $0.isEmpty ? $0 : "\\textbf{\($0)}" }
            out.append(cells.joined(separator: " & ") + " \\\\")
            if r.role == .subtotal { out.append("\\addlinespace") }
        }
        out += ["\\bottomrule", "\\end{tabular}"] + trailer
        return out.joined(separator: "\n") + "\n"
    }
}

/// The totals line under a terminal cost table.
func totalsLine(_ totals: CostTotals) -> String {
    "BitOps \(NumberText.grouped(totals.bitops)) · MACs \(NumberText.grouped(totals.macs)) · params \(NumberText.grouped(totals.params)) · weight storage \(NumberText.grouped(totals.weightStorageBits)) bits (\(NumberText.bytes(bits: totals.weightStorageBits))) · peak activations \(NumberText.bytes(bits: totals.peakActivationBits))"
}
