import Foundation

/// Why a chart cannot be laid out or drawn. Messages name the axis or mark and the offending value.
public enum ChartError: Error, Equatable, CustomStringConvertible {
    /// A log axis (or log colour scale) met a value ≤ 0 or not finite.
    case nonPositiveOnLogScale(axis: String, value: Double)
    /// A value is NaN or infinite.
    case nonFinite(what: String, value: Double)
    /// Two lists that must have the same length do not.
    case lengthMismatch(what: String, expected: Int, got: Int)
    /// A chart was asked to draw with nothing in it.
    case empty(String)
    /// A drawing surface or file could not be created or written.
    case output(String)

    public var description: String {
        switch self {
        case let .nonPositiveOnLogScale(axis, value):
            return "the \(axis) uses a log scale but the data contain \(value); a log scale needs values > 0 "
                + "(use a linear scale, or drop the zero/negative points)"
        case let .nonFinite(what, value):
            return "\(what) contains a non-finite value (\(value))"
        case let .lengthMismatch(what, expected, got):
            return "\(what): expected \(expected) values, got \(got)"
        case let .empty(what):
            return "nothing to draw: \(what)"
        case let .output(message):
            return message
        }
    }
}

/// Tick positions at "nice" numbers (1, 2 or 5 × 10^k steps; decades on log axes).
public enum NiceTicks {
    /// The step of 1, 2 or 5 × 10^k nearest to `rough` (on a log scale: mantissas below 1.5 round to 1,
    /// below 3 to 2, below 7 to 5, the rest to 10), so a range split into n rough steps gets about n ticks.
    public static func niceStep(_ rough: Double) -> Double {
        precondition(rough > 0 && rough.isFinite, "niceStep needs a positive finite step")
        let exponent = floor(log10(rough))
        let base = pow(10, exponent)
        let fraction = rough / base
        let nice: Double = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        return nice * base
    }

    /// Linear ticks for data in `lower...upper`.
    ///
    /// Returns the ticks, the step between them and the domain the axis should show: the data range
    /// extended outwards to whole steps (so the first and last tick sit on the axis ends). A degenerate range
    /// (`lower == upper`) is widened around the value. About `targetCount` intervals are produced
    /// (never fewer than one).
    public static func linear(lower: Double, upper: Double, targetCount: Int = 5)
        -> (ticks: [Double], step: Double, domain: ClosedRange<Double>)
    {
        var lo = min(lower, upper), hi = max(lower, upper)
        if lo == hi {
            let pad = lo == 0 ? 1 : abs(lo) * 0.5
            lo -= pad; hi += pad
            if lower == 0 { lo = 0 }
        }
        let step = niceStep((hi - lo) / Double(max(1, targetCount)))
        let first = (lo / step).rounded(.down)
        let last = (hi / step).rounded(.up)
        var ticks: [Double] = []
        var i = first
        while i <= last + 0.5 {
            ticks.append(clean(i * step, step: step))
            i += 1
        }
        return (ticks, step, ticks.first!...ticks.last!)
    }

    /// Ticks for a log₁₀ axis showing `lower...upper` (both must be > 0).
    ///
    /// Uses whole decades when at least three fall in the range (thinned to every 2nd, 3rd, … decade so that
    /// no more than `maxCount` remain); otherwise the densest of 1-2-5, 1-3 or decade multiples giving 2…
    /// `maxCount` ticks; for ranges narrower than that, 1…9 multiples or linear nice ticks inside the range. `minor` lists the 2…9 multiples between decade ticks when decades
    /// are used (empty otherwise).
    /// - Throws: `ChartError.nonPositiveOnLogScale` when a bound is ≤ 0 or not finite.
    public static func log(lower: Double, upper: Double, maxCount: Int = 8, axis: String = "axis") throws
        -> (ticks: [Double], minor: [Double])
    {
        for v in [lower, upper] where !(v > 0 && v.isFinite) {
            throw ChartError.nonPositiveOnLogScale(axis: axis, value: v)
        }
        if max(lower, upper) / min(lower, upper) < 1 + 1e-9 { return ([lower], []) }
        let lo = min(lower, upper) * (1 - 1e-9), hi = max(lower, upper) * (1 + 1e-9)
        let k0 = Int(log10(lo).rounded(.up)), k1 = Int(log10(hi).rounded(.down))
        if k1 - k0 + 1 >= 3 {
            let count = k1 - k0 + 1
            let every = Int((Double(count) / Double(max(2, maxCount))).rounded(.up))
            let ticks = stride(from: k0, through: k1, by: 1).filter { ($0 - k0) % every == 0 }.map { pow(10, Double($0)) }
            var minor: [Double] = []
            if every == 1 {
                for k in (k0 - 1)...k1 {
                    for m in 2...9 {
                        let v = Double(m) * pow(10, Double(k))
                        if v >= lo && v <= hi { minor.append(v) }
                    }
                }
            } else {
                minor = stride(from: k0, through: k1, by: 1).filter { ($0 - k0) % every != 0 }.map { pow(10, Double($0)) }
            }
            return (ticks, minor)
        }
        // Fewer than three decades: the densest of 1-2-5, 1-3 and decade ticks that fits `maxCount`; for
        // ranges too narrow for two such ticks, 1…9 multiples.
        func multiples(_ mantissas: [Double]) -> [Double] {
            var ticks: [Double] = []
            for k in (k0 - 1)...(k1 + 1) {
                for m in mantissas {
                    let v = m * pow(10, Double(k))
                    if v >= lo && v <= hi { ticks.append(clean(v, step: pow(10, Double(k)))) }
                }
            }
            return ticks
        }
        for mantissas in [[1.0, 2, 5], [1.0, 3], [1.0]] {
            let ticks = multiples(mantissas)
            if ticks.count >= 2 && ticks.count <= maxCount { return (ticks, []) }
        }
        if multiples([1, 2, 5]).count < 2 {
            let ticks = multiples([1, 2, 3, 4, 5, 6, 7, 8, 9])
            if ticks.count >= 2 && ticks.count <= maxCount { return (ticks, []) }
        }
        // Less than a decade: linear nice ticks that fall inside the range.
        var target = 4
        while true {
            let (lin, _, _) = linear(lower: lo, upper: hi, targetCount: target)
            let inside = lin.filter { $0 >= lo && $0 <= hi && $0 > 0 }
            if inside.count >= 2 || target > 12 { return (inside, []) }
            target += 2
        }
    }

    /// Removes floating-point noise from `i × step` (e.g. 0.30000000000000004 → 0.3).
    static func clean(_ v: Double, step: Double) -> Double {
        if abs(v) < step * 1e-9 { return 0 }
        let digits = max(0, -Int(floor(log10(step))) + 2)
        guard digits < 15 else { return v }
        let scale = pow(10, Double(digits))
        let r = (v * scale).rounded() / scale
        return r.isFinite ? r : v
    }
}
