import Foundation

/// Escaping of text that comes from the user (spec names, image file names, error messages) for each output.
///
/// Rules, per context:
/// - Markdown (inline, table cells): `\ | ` * _ [ ] < > # ~` are backslash-escaped or entity-encoded so they
///   cannot start formatting, links, HTML or a new table column; `&` becomes `&amp;`; every line break
///   becomes a space (a newline would end a table row).
/// - HTML: `& < > " '` become entities; line breaks become spaces.
/// - LaTeX: the ten special characters become their text commands, BitSweep's symbols math mode; line breaks
///   become spaces.
/// - JSON string literals: `StableIO.JSONText.quote` (it also serves files that are not views).
/// - File names: only `[A-Za-z0-9._-]` survive; anything else becomes `-`; leading dots are dropped, so
///   `../x` can never leave the report folder.
public enum Escape {
    /// Replaces CR, LF and other vertical whitespace (and tabs) with single spaces.
    public static func oneLine(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for ch in s {
            if ch.isNewline || ch == "\t" { out.append(" ") } else if let a = ch.asciiValue, a < 0x20 || a == 0x7F { out.append(" ") } else { out.append(ch) }
        }
        return out
    }

    /// Text safe anywhere in a Markdown paragraph or a GFM table cell.
    public static func markdown(_ s: String) -> String {
        var out = ""
        for ch in oneLine(s) {
            switch ch {
            case "\\", "`", "*", "_", "[", "]", "|", "#", "~", "!": out.append("\\"); out.append(ch)
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Text inside a Markdown code span: chosen fence length so backticks inside cannot close it.
    public static func codeSpan(_ s: String) -> String {
        let t = oneLine(s)
        var longest = 0, run = 0
        for ch in t { if ch == "`" { run += 1; longest = max(longest, run) } else { run = 0 } }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = (t.hasPrefix("`") || t.hasSuffix("`")) ? " " : ""
        // A `|` inside a code span would still split a GFM table row.
        let safe = t.replacingOccurrences(of: "|", with: "\\|")
        return fence + pad + safe + pad + fence
    }

    /// Text safe as HTML element content or a quoted attribute value.
    public static func html(_ s: String, keepNewlines: Bool = false) -> String {
        var out = ""
        for ch in keepNewlines ? s : oneLine(s) {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Text safe in LaTeX text mode, on one line: the ten special characters become their escapes or text
    /// commands, and the typographic symbols BitSweep prints (×, →, −, –, ·, ≥, ≤, ≈, ∞; ✗ as ×, … as \ldots) are written in math mode,
    /// so the text compiles with plain `pdflatex` and no extra packages.
    public static func latex(_ s: String) -> String {
        var out = ""
        for ch in oneLine(s) {
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
            case "≤": out += "$\\leq$"
            case "≈": out += "$\\approx$"
            case "✗": out += "$\\times$"
            case "…": out += "\\ldots{}"
            case "∞": out += "$\\infty$"
            default: out.append(ch)
            }
        }
        return out
    }

    /// A file-name component that cannot escape its folder or need quoting.
    public static func fileComponent(_ s: String, maxLength: Int = 80) -> String {
        var out = ""
        for ch in s {
            if ch.isASCII, ch.isLetter || ch.isNumber || ch == "." || ch == "_" || ch == "-" { out.append(ch) } else { out.append("-") }
        }
        while out.hasPrefix(".") { out.removeFirst() }
        out = out.replacingOccurrences(of: "..", with: "-")
        if out.count > maxLength { out = String(out.prefix(maxLength)) }
        return out.isEmpty ? "x" : out
    }

    /// A POSIX shell word: quoted only when it needs to be.
    public static func shellWord(_ s: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
        if !s.isEmpty, s.allSatisfy({ safe.contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
