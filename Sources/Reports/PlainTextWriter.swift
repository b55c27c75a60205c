import Presentation

/// Report blocks as terminal text (what `bitsweep budget` prints): headings underlined, paragraphs as
/// lines, tables aligned (numbers right), figures left out (they are files), and folded content shown as
/// its summary only, since the Markdown and JSON carry it in full.
public enum PlainTextWriter {
    public static func text(_ blocks: [Block]) -> String {
        blocks.map(block).filter { !$0.isEmpty }.joined(separator: "\n\n") + "\n"
    }

    static func block(_ b: Block) -> String {
        switch b {
        case let .heading(level, text):
            let line = Escape.oneLine(text)
            return level <= 2 ? line + "\n" + String(repeating: level == 1 ? "=" : "-", count: line.count) : "== " + line
        case let .paragraph(inlines):
            return Escape.oneLine(inlines.map(\.plainText).joined())
        case let .table(t):
            let right = Set(t.columns.indices.filter { t.columns[$0].numeric })
            let rows = t.rows.map { $0.map(Escape.oneLine) }
            return String(PlainTable.text(t.columns.map(\.header), rows, right: right).dropLast())
        case .figure:
            return ""
        case let .code(_, text):
            return text
        case let .details(summary, _, _):
            return "… " + Escape.oneLine(summary) + " (in full in the Markdown and JSON)"
        }
    }
}

extension Inline {
    /// The text without its styling.
    var plainText: String {
        switch self {
        case let .text(s), let .code(s), let .strong(s), let .emphasis(s): return s
        }
    }
}
