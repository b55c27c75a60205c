import Foundation

// Plain geometry and styling values shared by chart specifications, layout and renderers.
// Units are PostScript points (1/72 inch); the origin is the top-left corner and y grows downwards,
// as in Cairo, PDF page space after flipping, and SVG.

/// A point in device space (points, y down).
public struct Point: Sendable, Hashable {
    public var x: Double
    public var y: Double
    public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
    public init(x: Double, y: Double) { self.x = x; self.y = y }
}

/// A width and a height in points.
public struct Size: Sendable, Hashable {
    public var width: Double
    public var height: Double
    public init(width: Double, height: Double) { self.width = width; self.height = height }
}

/// An axis-aligned rectangle in device space (points, y down).
public struct Rect: Sendable, Hashable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x; self.y = y; self.width = width; self.height = height
    }
    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.init(x: minX, y: minY, width: maxX - minX, height: maxY - minY)
    }
    public var minX: Double { x }
    public var minY: Double { y }
    public var maxX: Double { x + width }
    public var maxY: Double { y + height }
    public var midX: Double { x + width / 2 }
    public var midY: Double { y + height / 2 }
    public var size: Size { Size(width: width, height: height) }
    /// The rectangle shrunk by `d` on every side (grown when `d` is negative).
    public func insetBy(_ d: Double) -> Rect { Rect(x: x + d, y: y + d, width: width - 2 * d, height: height - 2 * d) }
    /// True when the two rectangles share interior area (touching edges do not count).
    public func intersects(_ other: Rect) -> Bool {
        minX < other.maxX && other.minX < maxX && minY < other.maxY && other.minY < maxY
    }
    /// True when `other` lies entirely inside this rectangle, allowing `tolerance` points of overhang.
    public func contains(_ other: Rect, tolerance: Double = 0) -> Bool {
        other.minX >= minX - tolerance && other.maxX <= maxX + tolerance
            && other.minY >= minY - tolerance && other.maxY <= maxY + tolerance
    }
    public func contains(_ p: Point) -> Bool { p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY }
    public var description: String {
        String(format: "Rect(x: %.2f, y: %.2f, w: %.2f, h: %.2f)", x, y, width, height)
    }
}

/// A colour with straight (not premultiplied) alpha; components in 0...1 (sRGB).
public struct Color: Sendable, Hashable, CustomStringConvertible {
    public var red: Double
    public var green: Double
    public var blue: Double
    public var alpha: Double
    public init(red: Double, green: Double, blue: Double, alpha: Double = 1) {
        self.red = red; self.green = green; self.blue = blue; self.alpha = alpha
    }
    /// A colour from a 24-bit `0xRRGGBB` literal.
    public init(rgb: UInt32, alpha: Double = 1) {
        self.init(red: Double((rgb >> 16) & 0xFF) / 255, green: Double((rgb >> 8) & 0xFF) / 255,
                  blue: Double(rgb & 0xFF) / 255, alpha: alpha)
    }
    /// A colour from `"#RRGGBB"` (or `"RRGGBB"`); nil when the string is not six hex digits.
    public init?(hex: String) {
        let digits = hex.hasPrefix("#") ? String(hex.dropFirst()) : hex
        guard digits.count == 6, let v = UInt32(digits, radix: 16) else { return nil }
        self.init(rgb: v)
    }
    public static let black = Color(rgb: 0x000000)
    public static let white = Color(rgb: 0xFFFFFF)
    /// Near-black used for text and axes (pure black is harsh next to coloured marks).
    public static let ink = Color(rgb: 0x1A1A1A)
    public static let clear = Color(red: 0, green: 0, blue: 0, alpha: 0)
    /// A neutral grey of the given lightness (0 black … 1 white).
    public static func grey(_ level: Double) -> Color { Color(red: level, green: level, blue: level) }

    public func withAlpha(_ a: Double) -> Color { Color(red: red, green: green, blue: blue, alpha: a) }
    /// WCAG relative luminance (0 black … 1 white), ignoring alpha.
    public var relativeLuminance: Double {
        func lin(_ c: Double) -> Double { c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4) }
        return 0.2126 * lin(red) + 0.7152 * lin(green) + 0.0722 * lin(blue)
    }
    /// Black or white, whichever reads better on top of this colour (WCAG contrast ratio).
    public var contrastingText: Color {
        let l = relativeLuminance
        let onBlack = (l + 0.05) / 0.05
        let onWhite = 1.05 / (l + 0.05)
        return onBlack >= onWhite ? .ink : .white
    }
    /// Linear interpolation in sRGB between two colours, `t` in 0...1.
    public static func mix(_ a: Color, _ b: Color, _ t: Double) -> Color {
        Color(red: a.red + (b.red - a.red) * t, green: a.green + (b.green - a.green) * t,
              blue: a.blue + (b.blue - a.blue) * t, alpha: a.alpha + (b.alpha - a.alpha) * t)
    }
    /// `#RRGGBB`.
    public var hex: String {
        func c(_ v: Double) -> Int { Int((max(0, min(1, v)) * 255).rounded()) }
        return String(format: "#%02X%02X%02X", c(red), c(green), c(blue))
    }
    public var description: String { alpha < 1 ? "\(hex)@\(alpha)" : hex }
}

/// A font request: family name as fontconfig knows it, size in points, weight and slant.
public struct Font: Sendable, Hashable {
    /// The project's default family, installed on every machine BitSweep supports.
    public static let defaultFamily = "DejaVu Sans"
    /// The monospaced companion of `defaultFamily`.
    public static let monospacedFamily = "DejaVu Sans Mono"

    public var family: String
    public var size: Double
    public var bold: Bool
    public var italic: Bool
    public init(family: String = Font.defaultFamily, size: Double, bold: Bool = false, italic: Bool = false) {
        self.family = family; self.size = size; self.bold = bold; self.italic = italic
    }
    /// DejaVu Sans Mono at `size` points.
    public static func monospaced(size: Double, bold: Bool = false) -> Font {
        Font(family: monospacedFamily, size: size, bold: bold)
    }
    public func withBold(_ b: Bool = true) -> Font { var f = self; f.bold = b; return f }
}

/// A figure size. Paper figures are drawn at their printed size, so font sizes stay true.
public enum FigureSize: Sendable, Hashable {
    /// One column of a two-column paper: 3.5 in wide, 2.6 in tall (252 × 187.2 pt).
    case oneColumn
    /// The full text width of a two-column paper: 7 in wide, 3 in tall (504 × 216 pt).
    case twoColumn
    /// Any size, in points.
    case custom(width: Double, height: Double)

    /// Width and height in points.
    public var points: Size {
        switch self {
        case .oneColumn: return Size(width: 3.5 * 72, height: 2.6 * 72)
        case .twoColumn: return Size(width: 7 * 72, height: 3 * 72)
        case let .custom(w, h): return Size(width: w, height: h)
        }
    }
    /// Pixel size of a raster rendering at `dpi` dots per inch (rounded to whole pixels).
    public func pixels(dpi: Int) -> (width: Int, height: Int) {
        let s = points
        return (Int((s.width * Double(dpi) / 72).rounded()), Int((s.height * Double(dpi) / 72).rounded()))
    }
}

/// A vector path in device space: sequences of straight segments and circular arcs.
public struct Path: Sendable, Hashable {
    public enum Element: Sendable, Hashable {
        case move(Point)
        case line(Point)
        /// A circular arc (angles in radians, clockwise on screen from +x), joined to the current point.
        case arc(center: Point, radius: Double, start: Double, end: Double)
        case close
    }
    public var elements: [Element]
    public init(_ elements: [Element] = []) { self.elements = elements }

    public mutating func move(to p: Point) { elements.append(.move(p)) }
    public mutating func line(to p: Point) { elements.append(.line(p)) }
    public mutating func close() { elements.append(.close) }

    /// A closed rectangle.
    public static func rect(_ r: Rect) -> Path {
        Path([.move(Point(r.minX, r.minY)), .line(Point(r.maxX, r.minY)), .line(Point(r.maxX, r.maxY)),
              .line(Point(r.minX, r.maxY)), .close])
    }
    /// A full circle.
    public static func circle(center: Point, radius: Double) -> Path {
        Path([.move(Point(center.x + radius, center.y)),
              .arc(center: center, radius: radius, start: 0, end: 2 * .pi), .close])
    }
    /// An open polyline through `points`.
    public static func polyline(_ points: [Point]) -> Path {
        var p = Path()
        for (i, pt) in points.enumerated() { if i == 0 { p.move(to: pt) } else { p.line(to: pt) } }
        return p
    }
    /// A closed polygon through `points`.
    public static func polygon(_ points: [Point]) -> Path {
        var p = polyline(points); p.close(); return p
    }
    /// A straight segment.
    public static func segment(_ a: Point, _ b: Point) -> Path { Path([.move(a), .line(b)]) }

    /// The rectangle when this path is exactly one axis-aligned rectangle built by `rect(_:)`.
    public var asRect: Rect? {
        guard elements.count == 5, case let .move(a) = elements[0], case let .line(b) = elements[1],
              case let .line(c) = elements[2], case let .line(d) = elements[3], case .close = elements[4],
              a.y == b.y, b.x == c.x, c.y == d.y, d.x == a.x else { return nil }
        return Rect(minX: min(a.x, c.x), minY: min(a.y, c.y), maxX: max(a.x, c.x), maxY: max(a.y, c.y))
    }
}

/// How a path's outline is drawn.
public struct StrokeStyle: Sendable, Hashable {
    public var color: Color
    public var width: Double
    /// On/off dash lengths in points; empty for a solid line.
    public var dash: [Double]
    public init(color: Color, width: Double, dash: [Double] = []) {
        self.color = color; self.width = width; self.dash = dash
    }
}

/// Orientation of drawn text.
public enum TextOrientation: Sendable, Hashable {
    /// Left to right.
    case horizontal
    /// Rotated a quarter turn counter-clockwise: reads bottom to top (y-axis titles).
    case vertical
}

/// Metrics of a string in a font, as the renderer measures them (font ascent/descent, advance width).
public struct TextMetrics: Sendable, Hashable {
    /// Advance width of the whole string, points.
    public var width: Double
    /// Font ascent above the baseline, points (positive).
    public var ascent: Double
    /// Font descent below the baseline, points (positive).
    public var descent: Double
    public init(width: Double, ascent: Double, descent: Double) {
        self.width = width; self.ascent = ascent; self.descent = descent
    }
    public var height: Double { ascent + descent }

    /// The box a string occupies when drawn with its baseline start at `origin`.
    public func box(at origin: Point, orientation: TextOrientation) -> Rect {
        switch orientation {
        case .horizontal:
            return Rect(minX: origin.x, minY: origin.y - ascent, maxX: origin.x + width, maxY: origin.y + descent)
        case .vertical:
            return Rect(minX: origin.x - ascent, minY: origin.y - width, maxX: origin.x + descent, maxY: origin.y)
        }
    }
}
