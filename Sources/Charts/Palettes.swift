import BitOpsCore
import Foundation
import StableIO

/// The Okabe–Ito categorical palette (colour-blind safe), in its customary order.
public enum OkabeIto {
    public static let orange = Color(rgb: 0xE69F00)
    public static let skyBlue = Color(rgb: 0x56B4E9)
    public static let bluishGreen = Color(rgb: 0x009E73)
    public static let yellow = Color(rgb: 0xF0E442)
    public static let blue = Color(rgb: 0x0072B2)
    public static let vermillion = Color(rgb: 0xD55E00)
    public static let reddishPurple = Color(rgb: 0xCC79A7)
    public static let grey = Color(rgb: 0x999999)
    public static let black = Color(rgb: 0x000000)

    /// All nine, in the order used when series have no precision of their own. Yellow comes late: it is
    /// hard to see as a thin line on white.
    public static let all: [Color] = [orange, skyBlue, bluishGreen, blue, vermillion, reddishPurple, yellow, grey, black]

    /// The `index`-th colour, wrapping around.
    public static func color(_ index: Int) -> Color { all[((index % all.count) + all.count) % all.count] }
}

/// Continuous colour maps for heatmaps. `color(at:)` takes t in 0...1 (clamped).
public enum ColorMap: Sendable, Hashable {
    /// Perceptually uniform, dark purple → yellow (matplotlib's viridis, sampled at tenths).
    case viridis
    /// Perceptually uniform and colour-vision-deficiency friendly, dark blue → yellow (cividis, sampled at tenths).
    case cividis
    /// Blue → near-white → red, for signed differences. t = 0.5 is the neutral centre.
    case diverging

    var stops: [Color] {
        switch self {
        case .viridis:
            return [0x440154, 0x482475, 0x414487, 0x355F8D, 0x2A788E, 0x21918C, 0x22A884, 0x44BF70, 0x7AD151, 0xBDDF26, 0xFDE725]
                .map { Color(rgb: $0) }
        case .cividis:
            return [0x00224E, 0x123570, 0x3B496C, 0x575D6D, 0x707173, 0x8A8678, 0xA59C74, 0xC3B369, 0xE1CC55, 0xFEE838]
                .map { Color(rgb: $0) }
        case .diverging:
            return [0x2166AC, 0x67A9CF, 0xD1E5F0, 0xF7F7F7, 0xFDDBC7, 0xEF8A62, 0xB2182B].map { Color(rgb: $0) }
        }
    }

    /// The colour at `t` (0...1), linearly interpolated between the map's stops.
    public func color(at t: Double) -> Color {
        let s = stops
        let u = max(0, min(1, t.isFinite ? t : 0)) * Double(s.count - 1)
        let i = min(s.count - 2, Int(u))
        return Color.mix(s[i], s[i + 1], u - Double(i))
    }
}

/// Maps data values to colours: a colour map over a domain, linear or logarithmic, optionally centred at
/// zero (diverging: −m…+m with m = the larger magnitude).
public struct ColorScale: Sendable, Hashable {
    public var map: ColorMap
    public var lower: Double
    public var upper: Double
    public var logarithmic: Bool

    public init(map: ColorMap, lower: Double, upper: Double, logarithmic: Bool = false) {
        self.map = map; self.lower = lower; self.upper = upper; self.logarithmic = logarithmic
    }

    /// A scale spanning `values` (nil and non-finite ignored).
    /// - Throws: `ChartError.nonPositiveOnLogScale` when `logarithmic` and a value is ≤ 0;
    ///   `ChartError.empty` when there is no value.
    public static func spanning(_ values: [Double?], map: ColorMap, logarithmic: Bool) throws -> ColorScale {
        let v = values.compactMap { $0 }.filter(\.isFinite)
        guard let lo = v.min(), let hi = v.max() else { throw ChartError.empty("colour scale has no values") }
        if logarithmic, let bad = v.first(where: { $0 <= 0 }) {
            throw ChartError.nonPositiveOnLogScale(axis: "colour scale", value: bad)
        }
        return ColorScale(map: map, lower: lo, upper: hi, logarithmic: logarithmic)
    }

    /// A diverging scale symmetric about zero, covering the largest magnitude in `values`.
    public static func centredAtZero(_ values: [Double?], map: ColorMap = .diverging) -> ColorScale {
        let m = values.compactMap { $0 }.filter(\.isFinite).map(abs).max() ?? 1
        let mm = m > 0 ? m : 1
        return ColorScale(map: map, lower: -mm, upper: mm)
    }

    /// Position of `v` along the scale, 0...1 (clamped).
    public func fraction(_ v: Double) -> Double {
        let t: Double
        if logarithmic {
            let a = log10(max(lower, Double.leastNormalMagnitude)), b = log10(max(upper, Double.leastNormalMagnitude))
            t = b == a ? 0.5 : (log10(max(v, Double.leastNormalMagnitude)) - a) / (b - a)
        } else {
            t = upper == lower ? 0.5 : (v - lower) / (upper - lower)
        }
        return max(0, min(1, t))
    }

    public func color(for v: Double) -> Color { map.color(at: fraction(v)) }
}

/// Stable colours for precision groups, so that the same precision has the same colour in every chart
/// of a report.
///
/// A group is a label and, when the group stands for one bit width, that width (given by the caller from
/// its typed precision: labels are never parsed for digits).
/// - `PrecisionColors.color(for: BitWidth)` is the fixed Okabe–Ito colour of a width (float → black,
///   16 → grey, 8 → blue, 6 → bluish green, 5 → yellow, 4 → orange, 3 → sky blue, 2 → vermillion,
///   1 → reddish purple; other widths have none).
/// - `PrecisionColors(groups:)` takes every group of a report at once and gives each label a distinct
///   colour (as long as there are at most nine): groups of one width keep their width's colour where it is
///   free, the rest take the free colours in sorted-label order. Build it once per report and pass it to
///   every chart builder.
/// - `PrecisionColors.standard` knows no groups: it colours a label from a stable hash of the label.
/// - A group given to `init(groups:)` without a width is a mixed-precision policy (`isMixed`): charts draw it
///   in a style of its own besides its colour (squares in scatter plots, dashed lines), named in the legend.
public struct PrecisionColors: Sendable, Hashable {
    /// The mapping with no groups (see the type's documentation).
    public static let standard = PrecisionColors(assigned: [:])

    private var assigned: [String: Color]
    private var mixed: Set<String> = []
    private init(assigned: [String: Color]) { self.assigned = assigned }

    /// Distinct colours for all of a report's precision groups (see the type's documentation). A label
    /// given twice keeps the first width given for it; a group without a width is mixed precision.
    public init(groups: [(label: String, width: BitWidth?)]) {
        self.init(groups: groups, widthless: true)
    }

    private init(groups: [(label: String, width: BitWidth?)], widthless mixed: Bool) {
        var widths: [String: BitWidth?] = [:]
        for g in groups where widths[g.label] == nil { widths[g.label] = .some(g.width) }
        var result: [String: Color] = [:]
        var used: Set<Color> = []
        var rest: [String] = []
        for l in widths.keys.sorted() {
            if let w = widths[l] ?? nil, let c = PrecisionColors.color(for: w), !used.contains(c) {
                result[l] = c
                used.insert(c)
            } else {
                rest.append(l)
            }
        }
        var free = OkabeIto.all.filter { !used.contains($0) }
        for l in rest {
            if free.isEmpty { result[l] = PrecisionColors.hashColor(l) } else { result[l] = free.removeFirst() }
        }
        assigned = result
        if mixed { self.mixed = Set(widths.filter { $0.value == nil }.map(\.key)) }
    }

    /// Distinct colours for labels that stand for no single width (free text; none is taken as mixed).
    public init(labels: [String]) {
        self.init(groups: labels.map { (label: $0, width: nil) }, widthless: false)
    }

    /// Whether `label` is a mixed-precision group (given to `init(groups:)` without a width).
    public func isMixed(_ label: String) -> Bool { mixed.contains(label) }

    /// The dash pattern of a line drawn for `label`: dashed for mixed precision, solid otherwise.
    public func dash(for label: String) -> [Double] { isMixed(label) ? [4, 2] : [] }

    /// The colour for `label`.
    public func color(for label: String) -> Color {
        assigned[label] ?? PrecisionColors.hashColor(label)
    }

    /// The fixed colour of a bit width, or nil for a width without one (7, 9…15).
    public static func color(for width: BitWidth) -> Color? {
        switch width {
        case .float: return OkabeIto.black
        case .bits(16): return OkabeIto.grey
        case .bits(8): return OkabeIto.blue
        case .bits(6): return OkabeIto.bluishGreen
        case .bits(5): return OkabeIto.yellow
        case .bits(4): return OkabeIto.orange
        case .bits(3): return OkabeIto.skyBlue
        case .bits(2): return OkabeIto.vermillion
        case .bits(1): return OkabeIto.reddishPurple
        default: return nil
        }
    }

    /// FNV-1a over the label's UTF-8 bytes: the same on every run and platform (unlike `hashValue`).
    static func hashColor(_ label: String) -> Color {
        OkabeIto.all[Int(StableHash.fnv1a(label) % UInt64(OkabeIto.all.count))]
    }
}

/// Marker shapes for line and scatter charts; series cycle through them so charts stay readable in grey.
public enum MarkerShape: Sendable, Hashable, CaseIterable {
    case circle, square, triangle, diamond, invertedTriangle

    /// The `index`-th shape, wrapping around.
    public static func shape(_ index: Int) -> MarkerShape { allCases[((index % allCases.count) + allCases.count) % allCases.count] }

    /// The marker outline centred at `c` with circumscribed radius `r`.
    public func path(at c: Point, radius r: Double) -> Path {
        switch self {
        case .circle: return .circle(center: c, radius: r)
        case .square:
            let s = r * 0.85
            return .rect(Rect(x: c.x - s, y: c.y - s, width: 2 * s, height: 2 * s))
        case .triangle:
            let rr = r * 1.15
            return .polygon([Point(c.x, c.y - rr), Point(c.x + rr * 0.866, c.y + rr * 0.5), Point(c.x - rr * 0.866, c.y + rr * 0.5)])
        case .invertedTriangle:
            let rr = r * 1.15
            return .polygon([Point(c.x, c.y + rr), Point(c.x + rr * 0.866, c.y - rr * 0.5), Point(c.x - rr * 0.866, c.y - rr * 0.5)])
        case .diamond:
            let rr = r * 1.2
            return .polygon([Point(c.x, c.y - rr), Point(c.x + rr * 0.8, c.y), Point(c.x, c.y + rr), Point(c.x - rr * 0.8, c.y)])
        }
    }
}
