import Foundation

/// The handful of drawing primitives a chart needs. Chart layout (`ChartLayout`) talks only to this
/// protocol; `CairoRender` implements it for PDF, SVG and PNG, and `RecordingRenderer` records the calls for
/// tests. Coordinates are points, origin top-left, y down.
public protocol Renderer: AnyObject {
    /// Width, ascent and descent of `text` in `font`. Layout trusts these numbers to avoid overlaps, so a
    /// real renderer must measure with the same font machinery it draws with.
    func measure(_ text: String, font: Font) -> TextMetrics
    /// Fills the interior of `path` (non-zero winding).
    func fill(_ path: Path, color: Color)
    /// Strokes the outline of `path`.
    func stroke(_ path: Path, style: StrokeStyle)
    /// Draws `text` with its baseline start at `origin`; for `.vertical` text the baseline runs upwards from
    /// `origin`.
    func drawText(_ text: String, at origin: Point, font: Font, color: Color, orientation: TextOrientation)
    /// Restricts drawing to `rect` until the matching `popClip()`.
    func pushClip(_ rect: Rect)
    func popClip()
    /// Names the following drawing calls (e.g. `"bars"`, `"legend"`) until `endGroup()`. Purely descriptive:
    /// the recording renderer keeps the name with each call, Cairo ignores it.
    func beginGroup(_ name: String)
    func endGroup()
}

extension Renderer {
    public func beginGroup(_ name: String) {}
    public func endGroup() {}

    /// Draws `text` so that its box is anchored at `point` and returns that box.
    /// `horizontal`/`vertical` choose which point of the box sits on `point` (0 = left/top, 0.5 = centre,
    /// 1 = right/bottom).
    @discardableResult
    public func drawText(_ text: String, anchoredAt point: Point, horizontal: Double, vertical: Double,
                         font: Font, color: Color, orientation: TextOrientation = .horizontal) -> Rect {
        let m = measure(text, font: font)
        let box0 = m.box(at: Point(0, 0), orientation: orientation)
        let dx = point.x - (box0.minX + box0.width * horizontal)
        let dy = point.y - (box0.minY + box0.height * vertical)
        drawText(text, at: Point(dx, dy), font: font, color: color, orientation: orientation)
        return m.box(at: Point(dx, dy), orientation: orientation)
    }

    /// The box `text` would occupy when anchored as in `drawText(_:anchoredAt:...)`, without drawing it.
    public func textBox(_ text: String, anchoredAt point: Point, horizontal: Double, vertical: Double,
                        font: Font, orientation: TextOrientation = .horizontal) -> Rect {
        let m = measure(text, font: font)
        let box0 = m.box(at: Point(0, 0), orientation: orientation)
        let dx = point.x - (box0.minX + box0.width * horizontal)
        let dy = point.y - (box0.minY + box0.height * vertical)
        return m.box(at: Point(dx, dy), orientation: orientation)
    }
}

/// A renderer that draws nothing and remembers every call, for tests that check geometry without pixels.
///
/// Text is measured with a fixed, deterministic model (every character `0.6 × size` wide, ascent
/// `0.8 × size`, descent `0.2 × size`): a little wider than DejaVu Sans, so a layout that does not overlap
/// here does not overlap in Cairo either.
public final class RecordingRenderer: Renderer, @unchecked Sendable {
    /// One recorded drawing call, with the group names open when it was made (outermost first).
    public enum Command: Sendable, Hashable {
        case fill(Path, Color, groups: [String])
        case stroke(Path, StrokeStyle, groups: [String])
        case text(String, box: Rect, font: Font, color: Color, orientation: TextOrientation, groups: [String])
        case clip(Rect)
        case unclip
    }

    public private(set) var commands: [Command] = []
    private var groups: [String] = []
    private let measurer: @Sendable (String, Font) -> TextMetrics

    /// A recorder with the fixed text model (see the type's documentation).
    public init() { measurer = RecordingRenderer.approximateMetrics }

    /// A recorder that measures text with `measure` (e.g. `CairoRender.cairoTextMetrics`, to check layout
    /// against real font metrics).
    public init(measure: @escaping @Sendable (String, Font) -> TextMetrics) { measurer = measure }

    /// The fixed text model: `0.6 × size` per character, ascent `0.8 × size`, descent `0.2 × size`.
    @Sendable public static func approximateMetrics(_ text: String, font: Font) -> TextMetrics {
        TextMetrics(width: Double(text.count) * 0.6 * font.size, ascent: 0.8 * font.size, descent: 0.2 * font.size)
    }

    public func measure(_ text: String, font: Font) -> TextMetrics { measurer(text, font) }
    public func fill(_ path: Path, color: Color) { commands.append(.fill(path, color, groups: groups)) }
    public func stroke(_ path: Path, style: StrokeStyle) { commands.append(.stroke(path, style, groups: groups)) }
    public func drawText(_ text: String, at origin: Point, font: Font, color: Color, orientation: TextOrientation) {
        let box = measure(text, font: font).box(at: origin, orientation: orientation)
        commands.append(.text(text, box: box, font: font, color: color, orientation: orientation, groups: groups))
    }
    public func pushClip(_ rect: Rect) { commands.append(.clip(rect)) }
    public func popClip() { commands.append(.unclip) }
    public func beginGroup(_ name: String) { groups.append(name) }
    public func endGroup() { _ = groups.popLast() }

    /// Every drawn string with its box and the innermost group it was drawn in.
    public var texts: [(text: String, box: Rect, group: String?)] {
        commands.compactMap {
            if case let .text(s, box, _, _, _, g) = $0 { return (s, box, g.last) }
            return nil
        }
    }
    /// Every filled axis-aligned rectangle drawn inside a group named `group`.
    public func filledRects(inGroup group: String) -> [(rect: Rect, color: Color)] {
        commands.compactMap {
            if case let .fill(path, color, g) = $0, g.contains(group), let r = path.asRect { return (r, color) }
            return nil
        }
    }
    /// Pairs of drawn strings whose boxes overlap (shrunk by `tolerance` points first).
    public func overlappingTexts(tolerance: Double = 0.01) -> [(String, String)] {
        let t = texts
        var out: [(String, String)] = []
        for i in t.indices {
            for j in t.indices where j > i {
                if t[i].box.insetBy(tolerance).intersects(t[j].box.insetBy(tolerance)) { out.append((t[i].text, t[j].text)) }
            }
        }
        return out
    }
}
