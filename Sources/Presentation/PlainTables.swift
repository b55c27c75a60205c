/// Plain tables for terminals and for Markdown written without the report's document model (`calc`).
/// Cells are written as given: escaping is the caller's (see `Escape`).
public enum PlainTable {
    /// The width of each column: its widest cell (in characters).
    public static func widths(_ rows: [[String]]) -> [Int] {
        let n = rows.map(\.count).max() ?? 0
        return (0..<n).map { i in rows.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
    }

    /// One terminal line: cells padded to `widths` (right-aligned where `right` says), two spaces apart,
    /// trailing spaces dropped.
    public static func line(_ cells: [String], widths: [Int], right: Set<Int> = []) -> String {
        var s = cells.enumerated().map { i, cell in
            let pad = String(repeating: " ", count: max(0, (i < widths.count ? widths[i] : 0) - cell.count))
            return right.contains(i) ? pad + cell : cell + pad
        }.joined(separator: "  ")
        while s.last == " " { s.removeLast() }
        return s
    }

    /// A terminal table: the header, a rule of `-` under each column, the rows.
    public static func text(_ header: [String], _ rows: [[String]], right: Set<Int> = []) -> String {
        let widths = widths([header] + rows)
        var out = [line(header, widths: widths, right: right),
                   widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map { line($0, widths: widths, right: right) }
        return out.joined(separator: "\n") + "\n"
    }

    /// A GitHub-flavoured Markdown table: header, alignment row, rows; cells as given (escape them first).
    /// Compact (the default): unpadded, alignment `---:` where `right` says, else `:---`. Padded: every column
    /// as wide as its widest cell (at least 3), right-aligned columns padded on the left, so the source lines up.
    public static func markdown(_ header: [String], _ rows: [[String]], right: Set<Int> = [], padded: Bool = false) -> String {
        guard padded else {
            var out = ["| " + header.joined(separator: " | ") + " |",
                       "|" + header.indices.map { right.contains($0) ? "---:|" : ":---|" }.joined()]
            out += rows.map { "| " + $0.joined(separator: " | ") + " |" }
            return out.joined(separator: "\n") + "\n"
        }
        let cells = rows.map { r in header.indices.map { $0 < r.count ? r[$0] : "" } }
        let widths = header.indices.map { j in max(header[j].count, cells.map { max($0[j].count, 3) }.max() ?? 0) }
        func row(_ r: [String]) -> String {
            "| " + r.enumerated().map { j, c in
                let fill = String(repeating: " ", count: max(0, widths[j] - c.count))
                return right.contains(j) ? fill + c : c + fill
            }.joined(separator: " | ") + " |"
        }
        var out = [row(header), "|" + header.indices.map { j in
            right.contains(j) ? " " + String(repeating: "-", count: widths[j] - 1) + ": " : " " + String(repeating: "-", count: widths[j]) + " "
        }.joined(separator: "|") + "|"]
        out += cells.map(row)
        return out.joined(separator: "\n") + "\n"
    }
}
