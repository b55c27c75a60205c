import Foundation

// Number formatting and escaping shared by the compare and budget writers. Counts are always also available
// exactly (grouped digits in tables, raw integers in JSON).

/// `1234567` → `1,234,567` (exact).
func grouped(_ v: Int) -> String {
    let digits = String(v.magnitude)
    var out = ""
    for (i, ch) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
        out.append(ch)
    }
    return v < 0 ? "-" + out : out
}

/// `+1,234` / `-56` / `0`.
func signedGrouped(_ v: Int) -> String { v > 0 ? "+" + grouped(v) : grouped(v) }

/// An SI-prefixed count: `4.72 G`, `340 M`, `812`.
func si(_ v: Double) -> String {
    let a = abs(v)
    let prefixes: [(Double, String)] = [(1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")]
    for (scale, p) in prefixes where a >= scale {
        return threeDigits(v / scale) + " " + p
    }
    return threeDigits(v)
}

/// Three significant digits without trailing zeros: 4.72, 34.5, 812, 1.5.
func threeDigits(_ v: Double) -> String {
    let a = abs(v)
    let decimals = a >= 100 ? 0 : a >= 10 ? 1 : 2
    var s = String(format: "%.\(decimals)f", v)
    if s.contains(".") {
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
    }
    return s == "-0" ? "0" : s
}

/// Bytes with a binary prefix: `1.5 MiB`, `256 KiB`, `812 B`.
func bytesText(_ v: Double) -> String {
    let a = abs(v)
    if a >= 1_073_741_824 { return threeDigits(v / 1_073_741_824) + " GiB" }
    if a >= 1_048_576 { return threeDigits(v / 1_048_576) + " MiB" }
    if a >= 1024 { return threeDigits(v / 1024) + " KiB" }
    return threeDigits(v) + " B"
}

/// `0.1` → `10%`, `0.125` → `12.5%`.
func formatPercent(_ fraction: Double) -> String { threeDigits(fraction * 100) + "%" }

/// `+12.5%` / `-3%`.
func signedPercent(_ fraction: Double) -> String { (fraction > 0 ? "+" : "") + formatPercent(fraction) }

/// Milliseconds: `1.23 ms`, `450 µs`.
func msText(_ ms: Double) -> String {
    ms < 1 ? threeDigits(ms * 1000) + " µs" : threeDigits(ms) + " ms"
}

/// SQNR in dB with nil meaning exact: `23.41 dB`, `exact (∞)`.
func dbText(_ v: Double?) -> String {
    guard let v else { return "exact (∞ dB)" }
    return String(format: "%.2f dB", v)
}

func fixed(_ v: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", v) }

func signedFixed(_ v: Double, _ decimals: Int) -> String { (v > 0 ? "+" : "") + fixed(v, decimals) }

/// Escapes user-provided text (case labels, file names, sweep names) for a GFM table cell or a line of
/// Markdown: pipes, backticks, emphasis and HTML characters are escaped, newlines become spaces.
func md(_ s: String) -> String {
    var out = ""
    for ch in s {
        switch ch {
        case "|": out += "\\|"
        case "`": out += "\\`"
        case "*": out += "\\*"
        case "_": out += "\\_"
        case "[": out += "\\["
        case "]": out += "\\]"
        case "#": out += "\\#"
        case "\\": out += "\\\\"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "&": out += "&amp;"
        case "\n", "\r": out += " "
        default: out.append(ch)
        }
    }
    return out
}

/// A GFM table: header, alignment row (right-aligned where `right` says), rows.
func markdownTable(_ header: [String], _ rows: [[String]], right: Set<Int> = []) -> String {
    var lines = ["| " + header.joined(separator: " | ") + " |"]
    lines.append("|" + header.indices.map { right.contains($0) ? "---:" : "---" }.joined(separator: "|") + "|")
    for r in rows { lines.append("| " + r.joined(separator: " | ") + " |") }
    return lines.joined(separator: "\n") + "\n"
}

/// A plain-text table for terminals: columns padded to their widest cell, right-aligned where `right` says.
func textTable(_ header: [String], _ rows: [[String]], right: Set<Int> = []) -> String {
    let all = [header] + rows
    let widths = header.indices.map { i in all.map { $0.indices.contains(i) ? $0[i].count : 0 }.max() ?? 0 }
    func line(_ r: [String]) -> String {
        r.enumerated().map { i, cell in
            let pad = String(repeating: " ", count: max(0, widths[i] - cell.count))
            return right.contains(i) ? pad + cell : cell + pad
        }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    var out = [line(header), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
    out += rows.map(line)
    return out.joined(separator: "\n") + "\n"
}

/// The canonical JSON encoding for analysis outputs (sorted keys, pretty, stable bytes).
func analysisEncoder() -> JSONEncoder {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return e
}
