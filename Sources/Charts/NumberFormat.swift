import Foundation
import Presentation

/// How numbers are written on axes, in cells and above bars.
public enum NumberFormat: Sendable, Hashable {
    /// SI prefixes for large counts: `950`, `1.5 k`, `340 M`, `1.2 G`, `3 T`, `1 P`, `2 E`.
    case si
    /// Plain decimal notation (`224`, `0.25`, `31.5`).
    case plain
    /// A fraction shown as a percentage: `0.125` → `12.5%`.
    case percent
    /// Plain with exactly this many decimals.
    case fixed(Int)
    /// The base-2 logarithm of a ratio, written as the ratio (`NumberText.ratio`): `1` → `×2`, `−1` → `×0.5`,
    /// `0` → `×1`. A scale of such values is symmetric in halving and doubling (a speed-up and a slow-down of
    /// the same factor sit equally far from 0).
    case log2Ratio

    /// The minus sign used in labels (U+2212, as typeset text uses; DejaVu has it).
    public static let minus = NumberText.Minus.typographic.text

    /// Labels for ticks spaced `step` apart: just enough decimals to tell neighbours apart, trailing zeros
    /// dropped. When `step` is nil (log axes), each label gets up to three significant digits.
    public func labels(for ticks: [Double], step: Double?) -> [String] {
        ticks.map { label($0, step: step) }
    }

    /// One tick label (see `labels(for:step:)`).
    public func label(_ value: Double, step: Double?) -> String {
        if self == .log2Ratio { return string(value) }
        guard let step, step > 0 else { return string(value) }
        if value == 0 {
            switch self {
            case .percent: return "0%"
            case let .fixed(d): return String(format: "%.\(max(0, d))f", 0.0)
            default: return "0"
            }
        }
        let sign = value < 0 ? NumberFormat.minus : ""
        let a = abs(value)
        switch self {
        case .si:
            let e = NumberFormat.siExponent(a)
            let unit = pow(10, Double(e))
            let decimals = NumberFormat.decimals(forStep: step / unit)
            return sign + NumberText.trim(String(format: "%.\(decimals)f", a / unit)) + NumberFormat.siSuffix(e)
        case .plain:
            let decimals = NumberFormat.decimals(forStep: step)
            return sign + NumberText.trim(String(format: "%.\(decimals)f", a))
        case .percent:
            let decimals = NumberFormat.decimals(forStep: step * 100)
            return sign + NumberText.trim(String(format: "%.\(decimals)f", a * 100)) + "%"
        case let .fixed(d):
            return NumberText.fixed(value, d, minus: .typographic)
        case .log2Ratio:
            return string(value)
        }
    }

    /// A single value with three significant digits (cell annotations, bar totals); `.plain` keeps every
    /// digit left of the decimal point. (`Presentation.NumberText` with the typographic minus.)
    public func string(_ value: Double, significantDigits: Int = 3) -> String {
        if self == .log2Ratio { return NumberText.ratio(pow(2, value), digits: significantDigits) }
        if value == 0 { return label(0, step: 1) }
        switch self {
        case .si: return NumberText.si(value, significantDigits: significantDigits, minus: .typographic)
        case .plain: return NumberText.significant(value, digits: significantDigits, minus: .typographic)
        case .percent: return NumberText.significant(value * 100, digits: significantDigits, minus: .typographic) + "%"
        case let .fixed(d): return NumberText.fixed(value, d, minus: .typographic)
        case .log2Ratio: return NumberText.ratio(pow(2, value), digits: significantDigits)   // (returned above)
        }
    }

    /// The SI exponent (multiple of 3, 0…18) for a magnitude; values below 1000 use no prefix.
    static func siExponent(_ a: Double) -> Int {
        guard a >= 1000 else { return 0 }
        return min(3 * (NumberText.siSymbols.count - 1), Int(floor(log10(a) / 3 + 1e-12)) * 3)
    }
    static func siSuffix(_ e: Int) -> String { e == 0 ? "" : " " + NumberText.siSymbols[e / 3] }

    /// The fewest decimals that write multiples of `s` exactly (0.25 → 2, 0.5 → 1, 20 → 0).
    static func decimals(forStep s: Double) -> Int {
        guard s > 0, s.isFinite else { return 0 }
        for d in 0...12 {
            let scaled = s * pow(10, Double(d))
            if abs(scaled - scaled.rounded()) <= 1e-6 * max(1, scaled) { return d }
        }
        return 12
    }
}
