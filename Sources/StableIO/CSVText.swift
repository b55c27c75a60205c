/// CSV fields as RFC 4180 writes them (for `results.csv` and the report's `summary.csv`).
public enum CSVText {
    /// `s` as it is, or quoted (with `"` doubled) when it holds a comma, a quote or a line break.
    public static func field(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return s }
        var out = "\""
        for ch in s {
            if ch == "\"" { out += "\"\"" } else { out.append(ch) }
        }
        return out + "\""
    }
}
