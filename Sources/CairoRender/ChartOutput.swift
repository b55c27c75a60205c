// # CairoRender — API overview
//
// The only module that imports Cairo. It draws `Charts.ChartSpec` values and writes paginated PDFs.
//
// ```swift
// import Charts
// import CairoRender
//
// // One chart, one file (format from the argument; the file is written whole or not at all):
// try renderChart(spec, to: "figs/total-vs-size.pdf", format: .pdf, size: .oneColumn)
// try renderChart(spec, to: "figs/total-vs-size.png", format: .png, size: .twoColumn, dpi: 300)
//
// // Bytes in memory (notebooks, HTML): PNG, SVG or PDF.
// let png: Data = try renderChartData(spec, format: .png, size: .oneColumn, dpi: 150)
//
// // A paginated PDF (reports): text, lines, rectangles, charts as vectors, pages.
// let doc = try PDFDocument(path: "report.pdf", pageSize: .a4, title: "BitSweep report")
// doc.drawText("Results", anchoredAt: Point(72, 72), horizontal: 0, vertical: 0,
//              font: Font(size: 18, bold: true), color: .ink)
// try doc.drawChart(spec, in: Rect(x: 72, y: 110, width: 451, height: 220))
// doc.newPage()
// try doc.finish()          // writes report.pdf.tmp-…, then renames to report.pdf
// ```
//
// Output properties: PDF embeds fonts as TrueType (CID) subsets, never Type 3, so text stays selectable and
// journals accept it; SVG from Cairo draws text as glyph outlines (`<symbol>`/`<use>` paths, no `<text>`),
// which look right everywhere but cannot be selected or searched; SVG bytes are deterministic (equal specs
// give equal files); PNG is rendered at the requested DPI on a white background (pixel size = inches × DPI,
// rounded) with that DPI in its pHYs chunk, so `\includegraphics` sizes it right. Layout uses unhinted font metrics, so PDF, SVG and PNG of one spec have the same layout.
//
// PDFDocument primitives: `measure(_:font:)`, `textWidth(_:font:)`, `lineHeight(_:)`, `wrap(_:font:width:)`,
// `drawText(_:at:font:color:)` (baseline origin), `drawText(_:anchoredAt:horizontal:vertical:font:color:)`
// (box anchor, returns the box), `drawLine`, `fillRect`, `strokeRect`, `fill(_:color:)`/`stroke(_:style:)`
// for any `Path`, `pushClip`/`popClip`, `drawChart(_:in:theme:)`, `drawPNG(atPath:in:)`, `newPage()`,
// `pageNumber`, `finish()`. Fonts: `Font(size:bold:)` (DejaVu Sans), `Font(family:size:)`,
// `Font.monospaced(size:)` (DejaVu Sans Mono).
//
// `cairoTextMetrics(_:font:)` measures text exactly as the renderer does (e.g. for a `RecordingRenderer`).
// `renderGallery(to:formats:dpi:theme:)` renders `ChartGallery.samples()` in the chosen formats.

import Charts
import Foundation
import StableIO

/// Output file formats.
public enum ChartFormat: String, CaseIterable, Sendable {
    /// Vector PDF, fonts embedded as TrueType/CID subsets (never Type 3); text selectable.
    case pdf
    /// Vector SVG (width/height in pt). Cairo draws text as glyph outlines (`<symbol>` paths, no `<text>`):
    /// it looks identical everywhere but cannot be selected, searched or restyled.
    case svg
    /// Raster PNG at the requested DPI, white background.
    case png

    /// The format a file name's extension names (`.pdf`, `.svg`, `.png`, any case), or nil.
    public init?(pathExtension path: String) {
        self.init(rawValue: (path as NSString).pathExtension.lowercased())
    }
}

/// Renders `spec` into memory and returns the file's bytes.
/// - Parameters:
///   - size: figure size; nil uses `spec.preferredSize`.
///   - dpi: raster resolution for PNG (ignored for PDF and SVG, which are vector).
///   - theme: fonts and sizes (e.g. `.paper(fontFamily: "DejaVu Serif")`).
/// - Throws: `ChartError` for data the chart cannot show, or when Cairo fails.
public func renderChartData(_ spec: ChartSpec, format: ChartFormat, size: FigureSize? = nil, dpi: Int = 300,
                            theme: ChartTheme = .paper) throws -> Data {
    try ChartLayout.validate(spec)
    try FontCatalog.require(theme.fontFamily)
    let figure = size ?? spec.preferredSize
    let pt = figure.points
    let frame = Rect(x: 0, y: 0, width: pt.width, height: pt.height)
    switch format {
    case .pdf:
        let canvas = try CairoCanvas.pdf(size: pt)
        canvas.setPDFMetadata(title: spec.title)
        try ChartLayout.draw(spec, in: frame, on: canvas, theme: theme)
        try canvas.finish("writing PDF")
        return canvas.sink?.data ?? Data()
    case .svg:
        let canvas = try CairoCanvas.svg(size: pt)
        try ChartLayout.draw(spec, in: frame, on: canvas, theme: theme)
        try canvas.finish("writing SVG")
        return renumberSVGSurfaces(canvas.sink?.data ?? Data())
    case .png:
        guard dpi > 0 && dpi <= 2400 else { throw ChartError.output("PNG resolution must be 1…2400 dpi, got \(dpi)") }
        let px = figure.pixels(dpi: dpi)
        let canvas = try CairoCanvas.image(width: px.width, height: px.height, size: pt)
        try ChartLayout.draw(spec, in: frame, on: canvas, theme: theme)
        return PNGResolution.setting(try canvas.pngData(), dpi: dpi)
    }
}

/// Cairo names SVG surfaces `surface<N>` from a process-wide counter, so the same chart rendered twice would
/// differ. Renumbers them by order of appearance (`surface1`, …): equal specs give equal SVG bytes.
func renumberSVGSurfaces(_ data: Data) -> Data {
    let text = String(decoding: data, as: UTF8.self)
    var out = ""
    out.reserveCapacity(text.utf8.count)
    var numbers: [Substring: Int] = [:]
    var rest = text[...]
    while let hit = rest.range(of: "surface") {
        out += rest[..<hit.upperBound]
        rest = rest[hit.upperBound...]
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty {
            let n = numbers[digits] ?? numbers.count + 1
            numbers[digits] = n
            out += String(n)
            rest = rest.dropFirst(digits.count)
        }
    }
    out += rest
    return Data(out.utf8)
}

/// Renders `spec` to a file. The bytes are produced in memory and written atomically (temporary file,
/// then rename), so a failed render never leaves a partial file under `path`. Missing parent directories
/// are created.
/// - Parameters:
///   - format: nil takes the format from `path`'s extension.
///   - size: nil uses `spec.preferredSize`. `dpi` applies to PNG only.
public func renderChart(_ spec: ChartSpec, to path: String, format: ChartFormat? = nil, size: FigureSize? = nil,
                        dpi: Int = 300, theme: ChartTheme = .paper) throws {
    guard let fmt = format ?? ChartFormat(pathExtension: path) else {
        throw ChartError.output("cannot tell the chart format from \"\(path)\": use .pdf, .svg or .png, or pass format:")
    }
    let data = try renderChartData(spec, format: fmt, size: size, dpi: dpi, theme: theme)
    try AtomicFile.write(data, to: path)
}

/// Renders every `ChartGallery` sample into `directory` as `<name>.<format>` for each format, plus
/// `gallery.pdf` (all charts in one paginated document, two per A4 page) when PDF is among the formats.
/// Returns the paths written, in order.
@discardableResult
public func renderGallery(to directory: String, formats: [ChartFormat] = ChartFormat.allCases, dpi: Int = 200,
                          theme: ChartTheme = .paper) throws -> [String] {
    let samples = try ChartGallery.samples()
    var written: [String] = []
    for s in samples {
        for f in formats {
            let path = (directory as NSString).appendingPathComponent("\(s.name).\(f.rawValue)")
            try renderChart(s.spec, to: path, format: f, dpi: dpi, theme: theme)
            written.append(path)
        }
    }
    if formats.contains(.pdf) {
        let path = (directory as NSString).appendingPathComponent("gallery.pdf")
        let doc = try PDFDocument(path: path, pageSize: .a4, title: "BitSweep chart gallery")
        let margin = 56.0
        let body = Rect(x: margin, y: margin, width: doc.pageSize.width - 2 * margin, height: doc.pageSize.height - 2 * margin)
        let heading = Font(family: theme.fontFamily, size: 14, bold: true)
        let small = Font(family: theme.fontFamily, size: 8)
        for (i, s) in samples.enumerated() {
            let slot = i % 2
            if slot == 0 {
                if i > 0 { doc.newPage() }
                if i == 0 {
                    doc.drawText("BitSweep chart gallery", anchoredAt: Point(body.minX, body.minY), horizontal: 0, vertical: 0, font: heading, color: .ink)
                }
                doc.drawText("page \(doc.pageNumber)", anchoredAt: Point(body.maxX, body.maxY + 20), horizontal: 1, vertical: 1, font: small, color: .grey(0.4))
            }
            let size = s.spec.preferredSize.points
            let scale = min(1, body.width / size.width)
            let w = size.width * scale, h = size.height * scale
            let top = body.minY + 40 + Double(slot) * (body.height - 40) / 2
            doc.drawText(s.name, anchoredAt: Point(body.minX, top - 6), horizontal: 0, vertical: 1, font: Font.monospaced(size: 8), color: .grey(0.35))
            try doc.drawChart(s.spec, in: Rect(x: body.minX + (body.width - w) / 2, y: top, width: w, height: h), theme: theme)
        }
        try doc.finish()
        written.append(path)
    }
    return written
}
