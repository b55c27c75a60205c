/// Text renderings of a `CostReport`: an aligned table for terminals, CSV, GitHub Markdown and booktabs LaTeX.
/// All are built from the same rows, so they always agree; JSON is the Codable form (see the CLI).

/// Number formatting for counts: exact with thousands separators, or SI-prefixed.
public enum CountFormat {
    /// `2359296` → `2,359,296`.
    public static func grouped(_ v: Int) -> String {
        let digits = String(v.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (v < 0 ? "-" : "") + out
    }

    /// `2359296` → `2.36 M`; three significant digits, prefixes K M G T P E (powers of 1000).
    /// Integers below 1000 are printed exactly. Uses integer arithmetic only (round half up).
    public static func si(_ v: Int) -> String {
        let m = v.magnitude
        if m < 1000 { return String(v) }
        let prefixes = ["K", "M", "G", "T", "P", "E"]
        var p = 0
        var scale: UInt = 1000
        while p + 1 < prefixes.count, m / scale >= 1000 {
            scale *= 1000
            p += 1
        }
        // value = m / scale, in [1, 1000). Keep three significant digits.
        let whole = m / scale
        let decimals = whole >= 100 ? 0 : (whole >= 10 ? 1 : 2)
        var unit: UInt = 1
        for _ in 0..<decimals { unit *= 10 }
        // rounded = round(m * unit / scale), computed without overflow via quotient and remainder.
        let q = m / scale, r = m % scale
        let frac = (r.multipliedFullWidth(by: unit))
        let (fracQ, fracR) = scale.dividingFullWidth(frac)
        var rounded = q * unit + fracQ
        if fracR * 2 >= scale { rounded += 1 }
        if rounded >= 1000 * unit, p + 1 < prefixes.count {
            // e.g. 999.96 K rounds up to 1.00 M.
            return si(v.signum() * Int(rounded / unit) * Int(scale))
        }
        let intPart = rounded / unit
        let fracPart = rounded % unit
        var s = String(intPart)
        if decimals > 0 {
            var f = String(fracPart)
            while f.count < decimals { f = "0" + f }
            s += "." + f
        }
        return (v < 0 ? "-" : "") + s + " " + prefixes[p]
    }

    /// Bits as bytes with a binary prefix: `B`, `KiB`, `MiB`, `GiB` (two decimals above bytes).
    public static func bytes(bits: Int) -> String {
        let bytes = (bits + 7) / 8
        if bytes < 1000 { return "\(bytes) B" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var u = 0
        var scale = 1024
        while u + 1 < units.count, bytes / scale >= 1000 {
            scale *= 1024
            u += 1
        }
        let hundredths = (bytes * 100 + scale / 2) / scale
        let frac = hundredths % 100
        return "\(hundredths / 100).\(frac < 10 ? "0" : "")\(frac) \(units[u])"
    }

    /// A share in percent with one decimal, from integers: `part/total` → `12.3%`.
    public static func percent(_ part: Int, of total: Int) -> String {
        guard total > 0 else { return "–" }
        let (hi, lo) = part.multipliedFullWidth(by: 1000)
        let (q, r) = total.dividingFullWidth((hi, lo))
        let tenths = q + (2 * r >= total ? 1 : 0)
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// Bit-width as text: `32` is `float`.
    public static func bits(_ b: Int) -> String { b == Precision.float ? "float" : "\(b)" }
}

/// LaTeX text-mode escaping, shared by `calc --format latex` and the reports' `tables.tex`.
public enum TeX {
    /// Escapes LaTeX's special characters and writes the typographic symbols BitSweep prints (×, →, −, –, ·,
    /// ≥, ∞) in math mode, so that the text compiles with plain `pdflatex` and no extra packages.
    public static func escape(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "\\": out += "\\textbackslash{}"
            case "{", "}", "$", "&", "#", "_", "%": out.append("\\"); out.append(ch)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            case "<": out += "\\textless{}"
            case ">": out += "\\textgreater{}"
            case "|": out += "\\textbar{}"
            case "×": out += "$\\times$"
            case "→": out += "$\\to$"
            case "−": out += "$-$"
            case "–": out += "--"
            case "·": out += "$\\cdot$"
            case "≥": out += "$\\geq$"
            case "∞": out += "$\\infty$"
            default: out.append(ch)
            }
        }
        return out
    }
}

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
    public static let tableHeaders = ["layer", "kind", "input", "output", "k/s", "W bits", "in bits", "MACs", "BitOps",
                                      "params", "weights", "share"]

    /// One line summarising the configuration, e.g. `seed · 5 blocks · 32×32 · weights 4-bit · activations float · weight`.
    public var title: String {
        let w = Set(network.blocks.map(\.bits))
        let a = Set(network.blocks.map(\.actBits))
        let wText = w.count == 1 ? "\(CountFormat.bits(w.first!))\(w.first! == 32 ? "" : "-bit")" : network.blocks.map { CountFormat.bits($0.bits) }.joined(separator: ",")
        let aText = a.count == 1 ? "\(CountFormat.bits(a.first!))\(a.first! == 32 ? "" : "-bit")" : network.blocks.map { CountFormat.bits($0.actBits) }.joined(separator: ",")
        return "\(network.name) · \(network.blocks.count) blocks · \(inputSize)×\(inputSize) input · weights \(wText) · activations \(aText) · convention \(convention.rawValue)"
    }

    /// The rows of the per-layer table: each layer, a subtotal after each block, and the total.
    public func tableRows(_ style: CountStyle) -> [CostTableRow] {
        func n(_ v: Int) -> String {
            switch style {
            case .si: return CountFormat.si(v)
            case .exact: return CountFormat.grouped(v)
            case .raw: return String(v)
            }
        }
        func storage(_ bits: Int) -> String { style == .raw ? String(bits) : CountFormat.bytes(bits: bits) }
        let total = totals.bitops
        var rows: [CostTableRow] = []
        for l in layers {
            rows.append(CostTableRow(role: .layer, cells: [
                l.name, l.kind.rawValue, l.inputShape.description, l.outputShape.description,
                l.kind == .linear ? "–" : "\(l.kernel)/\(l.stride)", CountFormat.bits(l.weightBits),
                CountFormat.bits(l.inputBits), n(l.macs), n(l.bitops), n(l.params), storage(l.weightStorageBits),
                CountFormat.percent(l.bitops, of: total),
            ]))
            if let b = l.block, l.kind == .pointwise {
                let t = blocks[b].totals
                rows.append(CostTableRow(role: .subtotal, cells: [
                    "block\(b) total", "", "", "", "", "", "", n(t.macs), n(t.bitops), n(t.params),
                    storage(t.weightStorageBits), CountFormat.percent(t.bitops, of: total),
                ]))
            }
        }
        rows.append(CostTableRow(role: .total, cells: [
            "total", "", "", "", "", "", "", n(totals.macs), n(totals.bitops), n(totals.params),
            storage(totals.weightStorageBits), CountFormat.percent(totals.bitops, of: total),
        ]))
        return rows
    }

    /// The aligned terminal table: text left-aligned, numbers right-aligned, a rule above subtotals/total.
    public func textTable(_ style: CountStyle = .si) -> String {
        let rows = tableRows(style)
        let all = [Self.tableHeaders] + rows.map(\.cells)
        let widths = Self.tableHeaders.indices.map { c in all.map { $0[c].count }.max() ?? 0 }
        let rightAligned = Set(7..<Self.tableHeaders.count)
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, s in
                let pad = String(repeating: " ", count: widths[i] - s.count)
                return rightAligned.contains(i) ? pad + s : s + pad
            }.joined(separator: "  ").replacingTrailingSpaces()
        }
        let rule = String(repeating: "─", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        var out = [title, "", line(Self.tableHeaders), rule]
        for r in rows {
            if r.role == .total { out.append(rule) }
            out.append(line(r.cells))
            if r.role == .subtotal { out.append("") }
        }
        out.append("")
        out.append("BitOps \(CountFormat.grouped(totals.bitops)) · MACs \(CountFormat.grouped(totals.macs)) · params \(CountFormat.grouped(totals.params)) · weights \(CountFormat.grouped(totals.weightStorageBits)) bits (\(CountFormat.bytes(bits: totals.weightStorageBits))) · peak activations \(CountFormat.bytes(bits: totals.peakActivationBits))")
        if convention == .seedLegacy {
            out.append("seed-legacy: the demo code's count — depthwise layers counted as C_out·C_in·K·K·H·W·B (C_in times too many), blocks only.")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Per-layer CSV (exact integers; storage in bits), one row per layer, no subtotals.
    public func csvTable() -> String {
        var out = ["name,block,kind,input_shape,output_shape,kernel,stride,groups,weight_bits,input_bits,macs,bitops,params,weight_storage_bits,activation_elements"]
        for l in layers {
            out.append([l.name, l.block.map(String.init) ?? "", l.kind.rawValue, l.inputShape.description,
                        l.outputShape.description, String(l.kernel), String(l.stride), String(l.groups),
                        String(l.weightBits), String(l.inputBits), String(l.macs), String(l.bitops), String(l.params),
                        String(l.weightStorageBits), String(l.activationElements)].joined(separator: ","))
        }
        out.append(["total", "", "", "", "", "", "", "", "", "", String(totals.macs), String(totals.bitops),
                    String(totals.params), String(totals.weightStorageBits), String(totals.activationElements)].joined(separator: ","))
        return out.joined(separator: "\n") + "\n"
    }

    /// GitHub-flavoured Markdown table (exact integers, numbers right-aligned; subtotal and total rows bold).
    public func markdownTable() -> String {
        let rows = tableRows(.exact)
        var out = ["**\(title)**", "", "| " + Self.tableHeaders.joined(separator: " | ") + " |",
                   "|" + Self.tableHeaders.indices.map { $0 >= 7 ? "---:|" : ":---|" }.joined()]
        for r in rows {
            let cells = r.cells.map { c -> String in
                let escaped = c.replacingOccurrences(of: "|", with: "\\|")
                return r.role == .layer || c.isEmpty ? escaped : "**\(escaped)**"
            }
            out.append("| " + cells.joined(separator: " | ") + " |")
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// A booktabs table ready for a paper (needs `\usepackage{booktabs}`).
    public func latexTable() -> String {
        let rows = tableRows(.exact)
        let tex = TeX.escape
        var out = ["% \(title)", "% Generated by bitsweep calc --format latex; requires \\usepackage{booktabs}.",
                   "\\begin{tabular}{lllllrrrrrrr}", "\\toprule",
                   Self.tableHeaders.map(tex).joined(separator: " & ") + " \\\\", "\\midrule"]
        for r in rows {
            if r.role == .total { out.append("\\midrule") }
            let cells = r.cells.map(tex).map { r.role == .layer || $0.isEmpty ? $0 : "\\textbf{\($0)}" }
            out.append(cells.joined(separator: " & ") + " \\\\")
            if r.role == .subtotal { out.append("\\addlinespace") }
        }
        out += ["\\bottomrule", "\\end{tabular}"]
        return out.joined(separator: "\n") + "\n"
    }
}

extension String {
    func replacingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Index>? {
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(target) {
                return i..<index(i, offsetBy: target.count)
            }
            i = index(after: i)
        }
        return nil
    }
}
