import Foundation

/// Fitting text into a width: truncation with "…" and greedy word wrap.
struct TextFit: LayoutPart {
    let ctx: LayoutContext

    /// `text` cut to fit `width`, ending in "…" when cut.
    func truncated(_ text: String, font: Font, width: Double) -> String {
        guard r.measure(text, font: font).width > width else { return text }
        var chars = Array(text)
        while !chars.isEmpty && r.measure(String(chars) + "…", font: font).width > width { chars.removeLast() }
        return String(chars).trimmingCharacters(in: .whitespaces) + "…"
    }

    /// Greedy word wrap to `width`, at most `maxLines` lines (the last one truncated if text remains).
    func wrapped(_ text: String, font: Font, width: Double, maxLines: Int) -> [String] {
        var lines: [String] = []
        var line = ""
        let words = text.split(separator: " ").map(String.init)
        var i = 0
        while i < words.count {
            let candidate = line.isEmpty ? words[i] : line + " " + words[i]
            if line.isEmpty || r.measure(candidate, font: font).width <= width {
                line = candidate; i += 1
            } else {
                lines.append(line); line = ""
                if lines.count == maxLines - 1 { line = words[i...].joined(separator: " "); i = words.count }
            }
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { truncated($0, font: font, width: width) }
    }
}
