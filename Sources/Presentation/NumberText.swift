import Foundation

/// Locale-independent number formatting for every view: terminal tables, Markdown, LaTeX, notebooks, charts.
///
/// One spelling per thing: SI prefixes `k M G T P E` (lowercase k, as SI writes it) after a space; binary
/// byte prefixes `KiB MiB GiB TiB`; thousands grouped with commas; a minus that is either ASCII `-` (terminal
/// and machine-read text, the default) or the typographic `−` (U+2212, typeset text and charts).
public enum NumberText {
    /// Which minus sign a negative number gets.
    public enum Minus: Sendable {
        /// `-` (U+002D): terminals, CSV, anything a program may read back.
        case hyphen
        /// `−` (U+2212): typeset text and chart labels.
        case typographic

        public var text: String { self == .hyphen ? "-" : "\u{2212}" }
    }

    /// SI prefix symbols by power of 1000: `""`, `k`, `M`, `G`, `T`, `P`, `E`.
    public static let siSymbols = ["", "k", "M", "G", "T", "P", "E"]

    // MARK: Integers

    /// `2359296` → `2,359,296`.
    public static func grouped(_ v: Int, minus: Minus = .hyphen) -> String {
        let digits = String(v.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(ch)
        }
        return (v < 0 ? minus.text : "") + out
    }

    /// `+1,234`, `-56`, `0`: a change, signed.
    public static func signedGrouped(_ v: Int) -> String { (v > 0 ? "+" : "") + grouped(v) }

    /// An exact count with three significant digits and an SI prefix: `2359296` → `2.36 M`, `1000` → `1.00 k`;
    /// below 1000 the integer itself. Integer arithmetic only: rounds half up, never overflows (`Int.max` →
    /// `9.22 E`). With `trimmingZeros`, zeros after the decimal point are dropped (`1.00 k` → `1 k`,
    /// `1.50 M` → `1.5 M`).
    public static func si(_ v: Int, trimmingZeros: Bool = false, minus: Minus = .hyphen) -> String {
        let m = v.magnitude
        let sign = v < 0 ? minus.text : ""
        if m < 1000 { return sign + String(m) }
        var p = 1
        var scale: UInt = 1000
        while p + 1 < siSymbols.count, m / scale >= 1000 {
            scale *= 1000
            p += 1
        }
        // value = m / scale, in [1, 1000): keep three significant digits.
        let whole = m / scale
        let decimals = whole >= 100 ? 0 : (whole >= 10 ? 1 : 2)
        let (rounded, unit) = roundedQuotient(m, scale, decimals: decimals)
        if rounded >= 1000 * unit, p + 1 < siSymbols.count {
            // 999.96 k rounds up to 1.00 M.
            let next = Int(rounded / unit) * Int(scale)
            return si(v < 0 ? -next : next, trimmingZeros: trimmingZeros, minus: minus)
        }
        return sign + decimalText(rounded, unit: unit, decimals: decimals, trimmingZeros: trimmingZeros) + " " + siSymbols[p]
    }

    /// Bytes with a binary prefix: below 1000 bytes `812 B`, above that two decimals of the largest prefix
    /// that keeps the number below 1000 (`1.00 KiB`, `1.50 MiB`; `1000` bytes is `0.98 KiB`). Integer
    /// arithmetic, half up. With `trimmingZeros`: `1 KiB`, `1.5 MiB`.
    public static func bytes(_ n: Int, trimmingZeros: Bool = false) -> String {
        let m = n.magnitude
        let sign = n < 0 ? "-" : ""
        if m < 1000 { return sign + "\(m) B" }
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        var u = 0
        var scale: UInt = 1024
        while u + 1 < units.count, m / scale >= 1000 {
            scale *= 1024
            u += 1
        }
        let (rounded, unit) = roundedQuotient(m, scale, decimals: 2)
        return sign + decimalText(rounded, unit: unit, decimals: 2, trimmingZeros: trimmingZeros) + " " + units[u]
    }

    /// Storage given in bits, shown as whole bytes (rounded up): `bytes(bits: 9)` → `2 B`.
    public static func bytes(bits: Int) -> String { bytes((bits + 7) / 8) }

    /// Bytes as KiB with two decimals and no unit (for a column titled in KiB): `5059` → `4.94`.
    public static func kib(_ bytes: Int) -> String { fixed(Double(bytes) / 1024, 2, minus: .typographic) }

    /// A share in percent with one decimal, from integers: `percent(1, of: 3)` → `33.3%`; `–` when `total`
    /// is not positive. Exact (half up).
    public static func percent(_ part: Int, of total: Int) -> String {
        guard total > 0 else { return "–" }
        let (hi, lo) = part.multipliedFullWidth(by: 1000)
        let (q, r) = total.dividingFullWidth((hi, lo))
        let tenths = q + (2 * r >= total ? 1 : 0)
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// `round(m · 10^decimals / scale)` half up, without overflow; returns it with `10^decimals`.
    static func roundedQuotient(_ m: UInt, _ scale: UInt, decimals: Int) -> (rounded: UInt, unit: UInt) {
        var unit: UInt = 1
        for _ in 0..<decimals { unit *= 10 }
        let q = m / scale, r = m % scale
        let (fracQ, fracR) = scale.dividingFullWidth(r.multipliedFullWidth(by: unit))
        var rounded = q * unit + fracQ
        if fracR >= scale - fracR { rounded += 1 }
        return (rounded, unit)
    }

    /// `rounded / unit` written with `decimals` decimals.
    static func decimalText(_ rounded: UInt, unit: UInt, decimals: Int, trimmingZeros: Bool) -> String {
        var s = String(rounded / unit)
        if decimals > 0 {
            let f = String(rounded % unit)
            s += "." + String(repeating: "0", count: decimals - f.count) + f
        }
        return trimmingZeros ? trim(s) : s
    }

    // MARK: Real numbers

    /// A real number with an SI prefix and `significantDigits` significant digits, zeros after the point
    /// dropped: `1500` → `1.5 k`, `65_300_000` → `65.3 M`, `12.5` → `12.5`. Whole numbers (to 2^53) with three
    /// digits go through the exact integer formatter, so a count reads the same in a chart and in a table.
    public static func si(_ v: Double, significantDigits: Int = 3, minus: Minus = .hyphen) -> String {
        guard v.isFinite else { return nonFinite(v, minus: minus) }
        if significantDigits == 3, v == v.rounded(), abs(v) < 9_007_199_254_740_992 {
            return si(Int(v), trimmingZeros: true, minus: minus)
        }
        if v == 0 { return "0" }
        let a = abs(v)
        let r = roundSignificant(a, significantDigits)
        let p = r >= 1000 ? min(siSymbols.count - 1, Int(floor(log10(r) / 3 + 1e-12))) : 0
        let m = r / pow(1000, Double(p))
        let decimals = max(0, significantDigits - 1 - Int(floor(log10(m) + 1e-12)))
        let text = trim(String(format: "%.\(decimals)f", m))
        return (v < 0 ? minus.text : "") + text + (p > 0 ? " " + siSymbols[p] : "")
    }

    /// `digits` significant digits, zeros after the point dropped; digits left of the point are never rounded
    /// away (`3098` stays `3098`): `4.7234` → `4.72`, `0.001234` → `0.00123`, `99.96` → `100`. A value that
    /// rounds to zero has no sign.
    public static func significant(_ v: Double, digits: Int = 3, minus: Minus = .hyphen) -> String {
        guard v.isFinite else { return nonFinite(v, minus: minus) }
        if v == 0 { return "0" }
        let a = abs(v)
        let r = a >= 1 ? a : roundSignificant(a, digits)
        let decimals = max(0, min(12, digits - 1 - Int(floor(log10(r) + 1e-12))))
        let text = trim(String(format: "%.\(decimals)f", r))
        return text == "0" || v > 0 ? text : minus.text + text
    }

    /// Exactly `decimals` decimals; a value that rounds to zero has no sign (`-0.004` → `0.00`).
    public static func fixed(_ v: Double, _ decimals: Int, minus: Minus = .hyphen) -> String {
        guard v.isFinite else { return nonFinite(v, minus: minus) }
        let text = String(format: "%.\(max(0, decimals))f", abs(v))
        return v < 0 && !text.allSatisfy({ $0 == "0" || $0 == "." }) ? minus.text + text : text
    }

    /// `+1.25`, `-0.50`, `0.00`: a change with fixed decimals, signed.
    public static func signedFixed(_ v: Double, _ decimals: Int) -> String {
        let text = fixed(v, decimals)
        return v > 0 && text.contains(where: { $0 != "0" && $0 != "." }) ? "+" + text : text
    }

    /// A fraction as a percentage with up to three significant digits: `0.125` → `12.5%`, `0.1` → `10%`.
    public static func percent(_ fraction: Double) -> String { significant(fraction * 100) + "%" }

    /// `+12.5%`, `-3%`: a relative change, signed.
    public static func signedPercent(_ fraction: Double) -> String { (fraction > 0 ? "+" : "") + percent(fraction) }

    /// A fraction as a bare number of percent with fixed decimals, for a column titled in %: `0.1234` → `12.3`.
    public static func percentValue(_ fraction: Double, decimals: Int = 1) -> String {
        fixed(fraction * 100, decimals, minus: .typographic)
    }

    /// A ratio as a factor with up to three significant digits: `2` → `×2`, `0.5` → `×0.5`, `1.234` → `×1.23`
    /// (a time ratio, a speed-up). Never signed: a ratio is positive; 0 and non-finite values are written as
    /// they are (`×0`, `×∞`).
    public static func ratio(_ r: Double, digits: Int = 3) -> String { "×" + significant(r, digits: digits, minus: .typographic) }

    /// A duration given in milliseconds: `1.23 ms`, below one millisecond `450 µs`.
    public static func milliseconds(_ ms: Double) -> String {
        ms < 1 ? significant(ms * 1000) + " µs" : significant(ms) + " ms"
    }

    /// `∞`, `−∞` (with `minus`), `NaN`.
    static func nonFinite(_ v: Double, minus: Minus) -> String { v.isNaN ? "NaN" : (v > 0 ? "∞" : minus.text + "∞") }

    /// `a` (> 0) rounded to `digits` significant digits.
    public static func roundSignificant(_ a: Double, _ digits: Int) -> Double {
        guard a > 0, a.isFinite else { return a }
        let e = floor(log10(a))
        let scale = pow(10, Double(digits - 1) - e)
        return (a * scale).rounded() / scale
    }

    /// Drops zeros after the decimal point, and the point itself when nothing follows: `1.50` → `1.5`.
    public static func trim(_ s: String) -> String {
        guard s.contains(".") else { return s }
        var t = Substring(s)
        while t.hasSuffix("0") { t.removeLast() }
        if t.hasSuffix(".") { t.removeLast() }
        return String(t)
    }
}
