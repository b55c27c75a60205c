import CCairo
import Charts
import Foundation

/// The one owner of Cairo handles: a surface and its drawing context. Everything in this module that
/// touches Cairo goes through a canvas; the handles never leave it.
///
/// A canvas implements `Charts.Renderer`, measuring text with Cairo's own text extents (the toy font API,
/// fonts found through fontconfig; a family that is not installed silently falls back to fontconfig's
/// substitute, usually DejaVu Sans).
final class CairoCanvas: Renderer, @unchecked Sendable {
    private let surface: OpaquePointer
    private let cr: OpaquePointer
    /// Where a stream surface writes; kept alive as long as the surface.
    let sink: ByteSink?
    private var clipDepth = 0

    // MARK: Surfaces

    /// A PDF written into memory (`sink.data` once finished).
    static func pdf(size: Size) throws -> CairoCanvas {
        let sink = ByteSink()
        return try CairoCanvas(surface: cairo_pdf_surface_create_for_stream(appendToByteSink, sink.closure, size.width, size.height), sink: sink)
    }

    /// A PDF written to `path` as it is drawn (pages are flushed as they are finished).
    static func pdf(path: String, size: Size) throws -> CairoCanvas {
        try CairoCanvas(surface: cairo_pdf_surface_create(path, size.width, size.height), sink: nil)
    }

    /// An SVG (user units = points) written into memory.
    static func svg(size: Size) throws -> CairoCanvas {
        let sink = ByteSink()
        let surface = cairo_svg_surface_create_for_stream(appendToByteSink, sink.closure, size.width, size.height)
        if let surface { cairo_svg_surface_set_document_unit(surface, CAIRO_SVG_UNIT_PT) }
        return try CairoCanvas(surface: surface, sink: sink)
    }

    /// A white ARGB image of `width` × `height` pixels whose user space is `size` points.
    static func image(width: Int, height: Int, size: Size) throws -> CairoCanvas {
        let canvas = try CairoCanvas(surface: cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width), Int32(height)), sink: ByteSink())
        cairo_scale(canvas.cr, Double(width) / size.width, Double(height) / size.height)
        cairo_set_source_rgb(canvas.cr, 1, 1, 1)
        cairo_paint(canvas.cr)
        return canvas
    }

    /// Takes ownership of `surface` (one reference) and creates a context on it.
    private init(surface: OpaquePointer?, sink: ByteSink?) throws {
        guard let surface else { throw ChartError.output("cairo could not create a surface") }
        self.sink = sink
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            let message = String(cString: cairo_status_to_string(status))
            cairo_surface_destroy(surface)
            throw ChartError.output("cairo could not create the surface: \(message)")
        }
        self.surface = surface
        self.cr = cairo_create(surface)
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND)
        // Unhinted metrics everywhere, so a chart lays out identically in PDF, SVG and PNG at any DPI.
        if let options = cairo_font_options_create() {
            cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
            cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
            cairo_set_font_options(cr, options)
            cairo_font_options_destroy(options)
        }
    }

    deinit {
        cairo_destroy(cr)
        cairo_surface_destroy(surface)
    }

    /// PDF document metadata (title, author, subject; creator is always "BitSweep").
    func setPDFMetadata(title: String?, author: String? = nil, subject: String? = nil) {
        cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "BitSweep")
        if let title { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_TITLE, title) }
        if let author { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_AUTHOR, author) }
        if let subject { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_SUBJECT, subject) }
    }

    /// Ends the current page (PDF) and starts a new one.
    func showPage() { cairo_show_page(cr) }

    /// Finishes the surface (writes the PDF/SVG trailer) and reports any error.
    func finish(_ what: String) throws {
        cairo_surface_finish(surface)
        try check(what)
    }

    /// Encodes an image canvas as PNG into its sink and returns the bytes.
    func pngData() throws -> Data {
        guard let sink else { throw ChartError.output("writing PNG: no output buffer") }
        cairo_surface_flush(surface)
        let status = cairo_surface_write_to_png_stream(surface, appendToByteSink, sink.closure)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw ChartError.output("writing PNG: \(String(cString: cairo_status_to_string(status)))")
        }
        try check("writing PNG")
        return sink.data
    }

    /// Cairo's error state for the context or the surface, as a Swift error.
    func check(_ what: String) throws {
        for status in [cairo_status(cr), cairo_surface_status(surface)] where status != CAIRO_STATUS_SUCCESS {
            throw ChartError.output("\(what): \(String(cString: cairo_status_to_string(status)))")
        }
    }

    private func select(_ font: Font) {
        cairo_select_font_face(cr, font.family, font.italic ? CAIRO_FONT_SLANT_ITALIC : CAIRO_FONT_SLANT_NORMAL,
                               font.bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL)
        cairo_set_font_size(cr, font.size)
    }

    private func setColor(_ c: Color) {
        cairo_set_source_rgba(cr, c.red, c.green, c.blue, c.alpha)
    }

    private func build(_ path: Path) {
        cairo_new_path(cr)
        for e in path.elements {
            switch e {
            case let .move(p): cairo_move_to(cr, p.x, p.y)
            case let .line(p): cairo_line_to(cr, p.x, p.y)
            case let .arc(c, radius, start, end): cairo_arc(cr, c.x, c.y, radius, start, end)
            case .close: cairo_close_path(cr)
            }
        }
    }

    // MARK: Renderer

    func measure(_ text: String, font: Font) -> TextMetrics {
        select(font)
        var te = cairo_text_extents_t()
        var fe = cairo_font_extents_t()
        cairo_text_extents(cr, text, &te)
        cairo_font_extents(cr, &fe)
        return TextMetrics(width: te.x_advance, ascent: fe.ascent, descent: fe.descent)
    }

    func fill(_ path: Path, color: Color) {
        build(path)
        setColor(color)
        cairo_fill(cr)
    }

    func stroke(_ path: Path, style: StrokeStyle) {
        build(path)
        setColor(style.color)
        cairo_set_line_width(cr, style.width)
        if style.dash.isEmpty {
            cairo_set_dash(cr, nil, 0, 0)
        } else {
            style.dash.withUnsafeBufferPointer { cairo_set_dash(cr, $0.baseAddress, Int32($0.count), 0) }
        }
        cairo_stroke(cr)
        cairo_set_dash(cr, nil, 0, 0)
    }

    func drawText(_ text: String, at origin: Point, font: Font, color: Color, orientation: TextOrientation) {
        select(font)
        setColor(color)
        cairo_save(cr)
        cairo_new_path(cr)
        cairo_translate(cr, origin.x, origin.y)
        if orientation == .vertical { cairo_rotate(cr, -Double.pi / 2) }
        cairo_move_to(cr, 0, 0)
        cairo_show_text(cr, text)
        cairo_new_path(cr)
        cairo_restore(cr)
    }

    func pushClip(_ rect: Rect) {
        cairo_save(cr)
        cairo_new_path(cr)
        cairo_rectangle(cr, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(cr)
        clipDepth += 1
    }

    func popClip() {
        guard clipDepth > 0 else { return }
        cairo_restore(cr)
        clipDepth -= 1
    }

    /// Draws a PNG file scaled into `rect` (keeping its aspect ratio, centred).
    func drawPNG(path: String, in rect: Rect) throws {
        guard let image = cairo_image_surface_create_from_png(path) else { throw ChartError.output("cannot read PNG \(path)") }
        defer { cairo_surface_destroy(image) }
        guard cairo_surface_status(image) == CAIRO_STATUS_SUCCESS else {
            throw ChartError.output("cannot read PNG \(path): \(String(cString: cairo_status_to_string(cairo_surface_status(image))))")
        }
        let w = Double(cairo_image_surface_get_width(image)), h = Double(cairo_image_surface_get_height(image))
        guard w > 0, h > 0 else { return }
        let s = min(rect.width / w, rect.height / h)
        cairo_save(cr)
        cairo_translate(cr, rect.midX - w * s / 2, rect.midY - h * s / 2)
        cairo_scale(cr, s, s)
        cairo_set_source_surface(cr, image, 0, 0)
        cairo_paint(cr)
        cairo_restore(cr)
    }
}

/// Collects bytes written by a Cairo stream surface. Passed to Cairo's C callbacks through their
/// `closure` pointer (the callbacks are C function pointers and cannot capture).
final class ByteSink {
    var data = Data()
    /// This sink as Cairo's `closure` argument (unretained: the owner keeps the sink alive).
    var closure: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }
}

/// The C callback for Cairo's `*_for_stream` functions: appends to the `ByteSink` behind `closure`.
let appendToByteSink: cairo_write_func_t = { closure, bytes, length in
    guard let closure else { return CAIRO_STATUS_WRITE_ERROR }
    let sink = Unmanaged<ByteSink>.fromOpaque(closure).takeUnretainedValue()
    if let bytes, length > 0 { sink.data.append(bytes, count: Int(length)) }
    return CAIRO_STATUS_SUCCESS
}

/// Measures `text` with Cairo's text extents on a scratch surface — the same numbers the Cairo renderer
/// lays charts out with. Safe to call from any thread (each call uses its own surface).
@Sendable public func cairoTextMetrics(_ text: String, font: Font) -> TextMetrics {
    guard let canvas = try? CairoCanvas.image(width: 1, height: 1, size: Size(width: 1, height: 1)) else {
        return RecordingRenderer.approximateMetrics(text, font: font)
    }
    return canvas.measure(text, font: font)
}
