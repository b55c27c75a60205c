import Charts
import Foundation

/// A multi-page PDF written with Cairo, for reports: text, lines, rectangles, images and charts (as vector
/// graphics) on pages of a fixed size. Coordinates are points from the page's top-left corner, y down.
///
/// The document is drawn into `<path>.tmp-<pid>-<uuid>` next to the destination; `finish()` completes it and
/// renames it to `path`, so no half-written PDF is ever left under the final name. If the document is
/// discarded without `finish()`, the temporary file is removed.
///
/// Fonts are embedded as TrueType/CID subsets (never Type 3). It also conforms to `Charts.Renderer`, so the
/// anchored-text helpers (`drawText(_:anchoredAt:horizontal:vertical:font:color:orientation:)`,
/// `textBox(...)`) work on it directly.
///
/// Not thread-safe: use one document from one thread.
public final class PDFDocument: Renderer, @unchecked Sendable {
    /// Paper sizes.
    public enum PageSize: Sendable, Hashable {
        /// ISO A4, 210 × 297 mm (595.28 × 841.89 pt).
        case a4
        /// US Letter, 8.5 × 11 in (612 × 792 pt).
        case letter
        /// Any size in points.
        case custom(width: Double, height: Double)

        public var points: Size {
            switch self {
            case .a4: return Size(width: 210 / 25.4 * 72, height: 297 / 25.4 * 72)
            case .letter: return Size(width: 612, height: 792)
            case let .custom(w, h): return Size(width: w, height: h)
            }
        }
    }

    /// The final file name.
    public let path: String
    /// Page width and height in points.
    public let pageSize: Size
    /// The page being drawn, 1-based.
    public private(set) var pageNumber = 1
    /// Pages so far (the current one included).
    public var pageCount: Int { pageNumber }

    private let temporaryPath: String
    private var canvas: CairoCanvas?

    /// Starts a document whose first page is ready for drawing.
    /// - Parameters:
    ///   - title, author, subject: PDF metadata shown by viewers.
    /// - Throws: `ChartError.output` when the directory cannot be created or Cairo cannot open the file.
    public init(path: String, pageSize: PageSize = .a4, title: String? = nil, author: String? = nil, subject: String? = nil) throws {
        self.path = path
        self.pageSize = pageSize.points
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent()
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw ChartError.output("\(dir.path): cannot create the folder for \(path) (\(error.localizedDescription))")
        }
        temporaryPath = "\(path).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        let c = try CairoCanvas.pdf(path: temporaryPath, size: self.pageSize)
        c.setPDFMetadata(title: title, author: author, subject: subject)
        canvas = c
    }

    deinit {
        if canvas != nil {
            canvas = nil
            try? FileManager.default.removeItem(atPath: temporaryPath)
        }
    }

    private var c: CairoCanvas {
        guard let canvas else { preconditionFailure("PDFDocument used after finish()") }
        return canvas
    }

    // MARK: Pages

    /// Ends the current page and starts a blank one.
    public func newPage() {
        c.showPage()
        pageNumber += 1
    }

    /// Completes the PDF and moves it to `path` (replacing an existing file). The document cannot be drawn
    /// on afterwards.
    /// - Throws: `ChartError.output` when Cairo reports an error or the rename fails (the temporary file is
    ///   removed in that case).
    public func finish() throws {
        let canvas = c
        do { try canvas.finish("writing \(path)") } catch {
            self.canvas = nil
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw error
        }
        self.canvas = nil
        do {
            if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
            try FileManager.default.moveItem(atPath: temporaryPath, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: temporaryPath)
            throw ChartError.output("cannot move the finished PDF to \(path): \(error.localizedDescription)")
        }
    }

    // MARK: Text

    /// Width, ascent and descent of `text` (Cairo text extents, same fonts as drawing).
    public func measure(_ text: String, font: Font) -> TextMetrics { c.measure(text, font: font) }

    /// Advance width of `text` in points.
    public func textWidth(_ text: String, font: Font) -> Double { c.measure(text, font: font).width }

    /// Line height (ascent + descent) of `font` in points.
    public func lineHeight(_ font: Font) -> Double { c.measure("Ag", font: font).height }

    /// Draws `text` with its baseline starting at `origin`.
    public func drawText(_ text: String, at origin: Point, font: Font, color: Color = .ink, orientation: TextOrientation = .horizontal) {
        c.drawText(text, at: origin, font: font, color: color, orientation: orientation)
    }

    /// Breaks `text` into lines no wider than `width` at spaces (a word longer than `width` gets its own
    /// line and may overflow). Explicit newlines are kept.
    public func wrap(_ text: String, font: Font, width: Double) -> [String] {
        var lines: [String] = []
        for paragraph in text.components(separatedBy: "\n") {
            var line = ""
            for word in paragraph.split(separator: " ", omittingEmptySubsequences: true) {
                let candidate = line.isEmpty ? String(word) : line + " " + word
                if line.isEmpty || textWidth(candidate, font: font) <= width { line = candidate } else {
                    lines.append(line); line = String(word)
                }
            }
            lines.append(line)
        }
        return lines
    }

    // MARK: Shapes

    public func fill(_ path: Path, color: Color) { c.fill(path, color: color) }
    public func stroke(_ path: Path, style: StrokeStyle) { c.stroke(path, style: style) }
    public func pushClip(_ rect: Rect) { c.pushClip(rect) }
    public func popClip() { c.popClip() }

    /// A straight line.
    public func drawLine(from a: Point, to b: Point, width: Double = 0.5, color: Color = .ink, dash: [Double] = []) {
        c.stroke(.segment(a, b), style: StrokeStyle(color: color, width: width, dash: dash))
    }

    /// A filled rectangle.
    public func fillRect(_ rect: Rect, color: Color) { c.fill(.rect(rect), color: color) }

    /// A rectangle outline.
    public func strokeRect(_ rect: Rect, width: Double = 0.5, color: Color = .ink) {
        c.stroke(.rect(rect), style: StrokeStyle(color: color, width: width))
    }

    // MARK: Charts and images

    /// Draws `spec` as vector graphics inside `rect` (the chart fills the rectangle; fonts stay at the
    /// theme's sizes, so give it about the chart's `preferredSize`).
    @discardableResult
    public func drawChart(_ spec: ChartSpec, in rect: Rect, theme: ChartTheme = .paper) throws -> ChartGeometry {
        try ChartLayout.draw(spec, in: rect, on: c, theme: theme)
    }

    /// Draws a PNG file scaled to fit `rect`, centred, keeping its aspect ratio.
    public func drawPNG(atPath png: String, in rect: Rect) throws { try c.drawPNG(path: png, in: rect) }
}
