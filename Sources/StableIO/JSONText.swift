/// JSON string literals, written by hand where a file's bytes must be exactly controlled (canonical spec JSON
/// for cache keys, safetensors headers, notebooks). Everything else goes through `JSONEncoder`.
public enum JSONText {
    /// `s` as a JSON string literal, quotes included (RFC 8259): `"` and `\` are backslash-escaped; `\n \r \t
    /// \b \f` use their short escapes; other control characters, DEL, U+2028 and U+2029 become `\u00XX`
    /// (lowercase hex), so the literal is also valid JavaScript. With `escapeHTML`, `<`, `>` and `&` are also
    /// written as `\u003c`, `\u003e`, `\u0026`, so the text cannot open a tag when a page embeds it.
    public static func quote(_ s: String, escapeHTML: Bool = false) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where escapeHTML && (u == "<" || u == ">" || u == "&"): out += unicodeEscape(u)
            default:
                if u.value < 0x20 || u.value == 0x7F || u.value == 0x2028 || u.value == 0x2029 {
                    out += unicodeEscape(u)
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }

    /// `\uXXXX` with four lowercase hex digits (scalars below U+10000 only).
    static func unicodeEscape(_ u: Unicode.Scalar) -> String {
        let hex = String(u.value, radix: 16)
        return "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }
}

#if canImport(Foundation)
import Foundation

extension JSONText {
    /// The canonical `JSONEncoder` of every JSON file BitSweep writes: pretty-printed, sorted keys, slashes
    /// unescaped — the same value always gives the same bytes.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }
}
#endif
