import BitOpsCore
import Foundation
import Presentation

// Text renderings of a `GraphCostReport` (`bitsweep calc --preset mobilenet-v2`): the terminal table, CSV,
// Markdown and booktabs LaTeX, all from the same rows.
// Rows are the convolutions and gemm layers (as in the block form's table) and the layers with their own op
// counts (add, mul, pooling); batch norm, activations and flatten count nothing and are left out.

extension GraphCostReport {
    public static let tableHeaders = ["layer", "kind", "input", "output", "k/s", "weight bits", "input bits", "MACs", "BitOps",
                                      "params", "weight storage", "other ops", "share"]

    /// `mobilenet-v2 · 18 blocks · 224×224 input · weights 8-bit · activations float · convention weight`.
    public var title: String {
        let inBlocks = network.layers.filter { $0.block != nil }
        func text(_ widths: [BitWidth]) -> String {
            let set = Set(widths)
            return set.count == 1 ? set.first!.prose : "mixed (\(set.sorted().map(\.description).joined(separator: ", ")))"
        }
        let w = text(inBlocks.filter(\.op.hasWeights).map(\.bits))
        let a = text(inBlocks.compactMap(\.actBits))
        return "\(network.name) · \(network.blocks.count) blocks · \(inputSize)×\(inputSize) input · weights \(w) · activations \(a) · convention \(convention.rawValue)"
    }

    /// The rows in graph order: counted layers, a subtotal after each block, and the total.
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
        let weightRows = Dictionary(uniqueKeysWithValues: layers.map { ($0.name, $0) })
        let opRows = Dictionary(uniqueKeysWithValues: operations.map { ($0.name, $0) })
        var rows: [CostTableRow] = []
        let lastOfBlock = Dictionary(network.layers.enumerated().compactMap { i, l in l.block.map { ($0, i) } },
                                     uniquingKeysWith: { max($0, $1) })
        for (i, l) in network.layers.enumerated() {
            if let c = weightRows[l.name] {
                rows.append(CostTableRow(role: .layer, cells: [
                    c.name, c.kind.rawValue, c.inputShape.description, c.outputShape.description,
                    c.kind == .linear ? "–" : "\(c.kernel)/\(c.stride)", c.weightBits.description,
                    c.inputBits.description, n(c.macs), n(c.bitops), n(c.params), storage(c.weightStorageBits), "",
                    NumberText.percent(c.bitops, of: total),
                ]))
            } else if let o = opRows[l.name], o.elementwiseOps + o.poolingOps > 0 {
                let window: String
                switch l.op {
                case .maxPool(let k, let s, _), .averagePool(let k, let s, _): window = "\(k)/\(s)"
                default: window = "–"
                }
                rows.append(CostTableRow(role: .layer, cells: [
                    o.name, o.op, o.inputShape.description, o.outputShape.description, window, "", "", "", "", "", "",
                    n(o.elementwiseOps + o.poolingOps), "",
                ]))
            }
            if let b = l.block, lastOfBlock[b] == i {
                let t = blocks[b]
                rows.append(CostTableRow(role: .subtotal, cells: [
                    "\(t.name) total", "", "", "", "", "", "", n(t.totals.macs), n(t.totals.bitops), n(t.totals.params),
                    storage(t.totals.weightStorageBits), n(t.elementwiseOps + t.poolingOps),
                    NumberText.percent(t.totals.bitops, of: total),
                ]))
            }
        }
        rows.append(CostTableRow(role: .total, cells: [
            "total", "", "", "", "", "", "", n(totals.macs), n(totals.bitops), n(totals.params),
            storage(totals.weightStorageBits), n(elementwiseOps + poolingOps), NumberText.percent(totals.bitops, of: total),
        ]))
        return rows
    }

    /// The aligned terminal table, as the block form's, with an `other ops` column (element-wise and pooling).
    public func textTable(_ style: CountStyle = .si) -> String {
        CostTableText.text(title: title, headers: Self.tableHeaders, rows: tableRows(style), footer: [totalsLine(totals), otherOpsLine]
                           + (convention == .seedLegacy ? [CostTableText.seedLegacyNote] : []))
    }

    /// GitHub-flavoured Markdown table (exact integers, numbers right-aligned; subtotal and total rows bold).
    public func markdownTable() -> String {
        CostTableText.markdown(title: title, headers: Self.tableHeaders, rows: tableRows(.exact)) + "\n" + Escape.markdown(otherOpsLine) + "\n"
    }

    /// A booktabs table ready for a paper (needs `\usepackage{booktabs}`).
    public func latexTable() -> String {
        CostTableText.latex(title: title, headers: Self.tableHeaders, rows: tableRows(.exact), trailer: ["% \(otherOpsLine)"])
    }

    /// The line that reports element-wise and pooling ops apart from BitOps.
    public var otherOpsLine: String {
        "other ops (not in BitOps or MACs): element-wise \(NumberText.grouped(elementwiseOps)) (add, mul) · pooling \(NumberText.grouped(poolingOps))"
    }

    /// One row per layer that counts (convolutions, gemm, add, mul, pooling), exact integers, then the total.
    /// `activation_elements` is left empty on the add/mul/pooling rows: totals count convolution and gemm outputs.
    public func csvTable() -> String {
        var out = ["name,block,kind,input_shape,output_shape,kernel,stride,groups,weight_bits,input_bits,macs,bitops,params,weight_storage_bits,activation_elements,elementwise_ops,pooling_ops"]
        let weightRows = Dictionary(uniqueKeysWithValues: layers.map { ($0.name, $0) })
        let opRows = Dictionary(uniqueKeysWithValues: operations.map { ($0.name, $0) })
        for l in network.layers {
            let block = l.block.map { network.blocks[$0] } ?? ""
            if let c = weightRows[l.name] {
                out.append([c.name, block, c.kind.rawValue, c.inputShape.description, c.outputShape.description,
                            String(c.kernel), String(c.stride), String(c.groups), c.weightBits.description,
                            c.inputBits.description, String(c.macs), String(c.bitops), String(c.params),
                            String(c.weightStorageBits), String(c.activationElements), "0", "0"].joined(separator: ","))
            } else if let o = opRows[l.name], o.elementwiseOps + o.poolingOps > 0 {
                out.append([o.name, block, o.op, o.inputShape.description, o.outputShape.description, "", "", "", "", "",
                            "0", "0", "0", "0", "", String(o.elementwiseOps),
                            String(o.poolingOps)].joined(separator: ","))
            }
        }
        out.append(["total", "", "", "", "", "", "", "", "", "", String(totals.macs), String(totals.bitops),
                    String(totals.params), String(totals.weightStorageBits), String(totals.activationElements),
                    String(elementwiseOps), String(poolingOps)].joined(separator: ","))
        return out.joined(separator: "\n") + "\n"
    }
}
