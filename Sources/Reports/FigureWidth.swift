import Charts
import Foundation

/// The printed width of a report's figures, for the venue: `single` (one column of IEEE/ACM two-column
/// proceedings, 3.5 in — the default), `double` (their full text width, 7.16 in) or any length
/// (`3.3in`, `8.5cm`, `85mm`, `240pt`). Figures are drawn at this size, so their text is printed at its
/// true size (7–9 pt) when included at natural size.
public enum FigureWidth: Sendable, Hashable, CustomStringConvertible {
    case single
    case double
    /// A width in points (1/72 in).
    case points(Double)

    /// 3.5 in.
    public static let singleWidth = 252.0
    /// 7.16 in.
    public static let doubleWidth = 515.52

    /// Parses `single`, `double`, or a number with a unit `in`, `cm`, `mm`, `pt` (TeX points, 72.27/in) or `bp`
    /// (PostScript points, 72/in), between 1 and 20 in.
    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        switch t {
        case "single": self = .single; return
        case "double": self = .double; return
        default: break
        }
        let units: [(String, Double)] = [("in", 72), ("cm", 72 / 2.54), ("mm", 72 / 25.4), ("bp", 1), ("pt", 72 / 72.27)]
        for (unit, scale) in units where t.hasSuffix(unit) {
            let number = t.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
            guard let v = Double(number), v.isFinite else { break }
            let pt = v * scale
            guard pt >= 72, pt <= 20 * 72 else {
                throw ReportError("--figure-width: \(text) is outside 1 in … 20 in")
            }
            self = .points(pt)
            return
        }
        throw ReportError("--figure-width: expected single, double or a length such as 3.3in, 8.5cm, 85mm, 240pt; got '\(text)'")
    }

    /// Width in points.
    public var width: Double {
        switch self {
        case .single: return Self.singleWidth
        case .double: return Self.doubleWidth
        case let .points(w): return w
        }
    }

    /// The figure size: `single` keeps the one-column 3.5 × 2.6 in; wider figures grow less in height
    /// (7.16 in × 3 in for `double`).
    public var size: FigureSize {
        switch self {
        case .single: return .oneColumn
        default:
            let w = width
            let h = w <= Self.singleWidth ? w * 2.6 / 3.5 : max(187.2, 187.2 + (w - Self.singleWidth) * (216.0 - 187.2) / (Self.doubleWidth - Self.singleWidth))
            return .custom(width: w, height: h)
        }
    }

    public var description: String {
        switch self {
        case .single: return "single"
        case .double: return "double"
        case let .points(w): return String(format: "%.2fin", w / 72)
        }
    }
}
