import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import CairoRender
@testable import Charts

/// A fresh empty directory under the system temporary directory.
func scratchDirectory(_ name: String) throws -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("bitsweep-cairo-\(name)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

/// Runs a poppler tool and returns its standard output; records a failure when the tool is missing.
func poppler(_ tool: String, _ args: [String]) throws -> String {
    let candidates = ["/usr/bin/\(tool)", "/usr/local/bin/\(tool)", "/opt/homebrew/bin/\(tool)"]
    guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        Issue.record("\(tool) not found: install poppler-utils (scripts/setup.sh does)")
        return ""
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let out = Pipe()
    p.standardOutput = out
    p.standardError = Pipe()
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(tool) \(args) failed")
    return String(decoding: data, as: UTF8.self)
}

/// Width and height from a PNG's IHDR chunk.
func pngSize(_ data: Data) -> (Int, Int)? {
    let b = [UInt8](data.prefix(24))
    guard b.count == 24, b[0..<8] == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], String(decoding: b[12..<16], as: UTF8.self) == "IHDR" else { return nil }
    func be(_ i: Int) -> Int { b[i..<i + 4].reduce(0) { $0 << 8 | Int($1) } }
    return (be(16), be(20))
}

func sampleSpec() throws -> ChartSpec {
    try ChartKinds.totalVersusSize(title: "Total BitOps vs image size",
                                   series: [LineSeries(label: "w8a8", points: [(96, 1.2e9), (160, 3.3e9), (224, 6.5e9)]),
                                            LineSeries(label: "w4a4", points: [(96, 3e8), (160, 8.2e8), (224, 1.6e9)])])
}

struct ChartOutputTests {
    @Test(arguments: [(FigureSize.oneColumn, 100, 350, 260), (.twoColumn, 300, 2100, 900), (.custom(width: 144, height: 72), 150, 300, 150)])
    func pngHasTheRequestedPixelSize(size: FigureSize, dpi: Int, width: Int, height: Int) throws {
        let data = try renderChartData(try sampleSpec(), format: .png, size: size, dpi: dpi)
        let s = try #require(pngSize(data))
        #expect(s.0 == width && s.1 == height)
    }

    @Test func svgParsesAsXMLWithPointUnits() throws {
        let data = try renderChartData(try sampleSpec(), format: .svg, size: .oneColumn)
        final class Root: NSObject, XMLParserDelegate {
            var name: String?; var attributes: [String: String] = [:]; var elements = 0
            func parser(_ p: XMLParser, didStartElement e: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String] = [:]) {
                if name == nil { name = e; attributes = a }
                elements += 1
            }
        }
        let root = Root()
        let parser = XMLParser(data: data)
        parser.delegate = root
        #expect(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #expect(root.name == "svg")
        #expect(root.attributes["width"] == "252pt")
        #expect(root.elements > 50)
    }

    @Test func svgAndPNGAreDeterministic() throws {
        let spec = try sampleSpec()
        #expect(try renderChartData(spec, format: .svg) == renderChartData(spec, format: .svg))
        #expect(try renderChartData(spec, format: .png, dpi: 72) == renderChartData(spec, format: .png, dpi: 72))
    }

    @Test func pdfEmbedsTrueTypeFontsOnOnePage() throws {
        let dir = try scratchDirectory("pdf")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("total.pdf")
        try renderChart(try sampleSpec(), to: path)
        let fonts = try poppler("pdffonts", [path])
        #expect(!fonts.contains("Type 3"), "Type 3 font in \(fonts)")
        #expect(fonts.contains("TrueType") && fonts.contains("DejaVuSans"), "\(fonts)")
        #expect(try poppler("pdfinfo", [path]).contains("Pages:           1"))
        let text = try poppler("pdftotext", [path, "-"])
        #expect(text.contains("Total BitOps vs image size"), "\(text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["total.pdf"])
    }

    @Test func formatComesFromTheExtensionOrIsRefused() throws {
        let dir = try scratchDirectory("ext")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try renderChart(try sampleSpec(), to: (dir as NSString).appendingPathComponent("a/b/chart.PNG"), dpi: 72)
        #expect(FileManager.default.fileExists(atPath: (dir as NSString).appendingPathComponent("a/b/chart.PNG")))
        #expect(throws: ChartError.self) { try renderChart(try sampleSpec(), to: (dir as NSString).appendingPathComponent("chart.jpg")) }
        #expect(throws: ChartError.self) { try renderChartData(try sampleSpec(), format: .png, dpi: 0) }
    }

    @Test func badDataIsAnErrorNotAFile() throws {
        let dir = try scratchDirectory("bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = ChartSpec(x: Axis(scale: .log), y: Axis(), marks: [.line(LineMark(name: "l", points: [DataPoint(0, 1), DataPoint(1, 2)], color: .black))])
        let path = (dir as NSString).appendingPathComponent("bad.pdf")
        #expect(throws: ChartError.self) { try renderChart(spec, to: path) }
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func cairoMetricsAreSane() {
        let regular = cairoTextMetrics("1.2 G", font: Font(size: 10))
        let bold = cairoTextMetrics("1.2 G", font: Font(size: 10, bold: true))
        let long = cairoTextMetrics("1.2 G and more", font: Font(size: 10))
        #expect(regular.width > 15 && regular.width < 40, "\(regular)")
        #expect(bold.width > regular.width && long.width > regular.width)
        #expect(regular.ascent > 6 && regular.descent > 1 && regular.height < 14)
        #expect(cairoTextMetrics("x", font: Font(size: 20)).width > cairoTextMetrics("x", font: Font(size: 10)).width * 1.9)
    }

    @Test func galleryLayoutHasNoOverlapsWithRealFontMetrics() throws {
        for sample in try ChartGallery.samples() {
            for size in [FigureSize.oneColumn, .twoColumn] {
                let r = RecordingRenderer(measure: cairoTextMetrics)
                let s = size.points
                let rect = Rect(x: 0, y: 0, width: s.width, height: s.height)
                try ChartLayout.draw(sample.spec, in: rect, on: r)
                #expect(r.overlappingTexts().isEmpty, "\(sample.name) at \(size): \(r.overlappingTexts())")
                #expect(r.texts.allSatisfy { rect.contains($0.box, tolerance: 0.01) }, "\(sample.name) at \(size): text leaves the figure")
            }
        }
    }

    @Test func galleryRendersEveryKindInEveryFormat() throws {
        let dir = try scratchDirectory("gallery")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let written = try renderGallery(to: dir, formats: [.png, .svg], dpi: 36)
        let kinds = try ChartGallery.samples().count
        #expect(written.count == kinds * 2)
        for name in ["1-layerwise-bitops", "2-total-vs-size", "3-heatmap-bitops", "4-cost-quality", "5-grouped-bars", "6-delta-heatmap"] {
            #expect(written.contains { $0.hasSuffix("\(name).png") }, "missing \(name)")
        }
    }
}

struct PDFDocumentTests {
    @Test func multiPageDocumentWithTextAndChartsIsWrittenOnlyWhenFinished() throws {
        let dir = try scratchDirectory("doc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("report.pdf")
        let doc = try PDFDocument(path: path, pageSize: .a4, title: "Test report")
        #expect(abs(doc.pageSize.width - 595.28) < 0.01 && abs(doc.pageSize.height - 841.89) < 0.01)
        let body = Font(size: 10), mono = Font.monospaced(size: 9)
        doc.drawText("Title page", anchoredAt: Point(72, 72), horizontal: 0, vertical: 0, font: Font(size: 20, bold: true), color: .ink)
        let lines = doc.wrap(String(repeating: "word ", count: 60), font: body, width: 200)
        #expect(lines.count > 3 && lines.allSatisfy { doc.textWidth($0, font: body) <= 200 })
        doc.drawLine(from: Point(72, 100), to: Point(523, 100))
        doc.fillRect(Rect(x: 72, y: 110, width: 100, height: 20), color: OkabeIto.skyBlue)
        doc.strokeRect(Rect(x: 72, y: 110, width: 100, height: 20))
        doc.newPage()
        doc.drawText("cases: 42", at: Point(72, 90), font: mono)
        try doc.drawChart(try sampleSpec(), in: Rect(x: 72, y: 120, width: 252, height: 187))
        doc.newPage()
        try doc.drawChart(try ChartGallery.samples()[0].spec, in: Rect(x: 45, y: 72, width: 504, height: 216))
        #expect(doc.pageCount == 3)
        // Nothing under the final name until finish().
        #expect(!FileManager.default.fileExists(atPath: path))
        try doc.finish()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["report.pdf"])
        #expect(try poppler("pdfinfo", [path]).contains("Pages:           3"))
        let fonts = try poppler("pdffonts", [path])
        #expect(!fonts.contains("Type 3") && fonts.contains("DejaVuSansMono"), "\(fonts)")
        let text = try poppler("pdftotext", [path, "-"])
        #expect(text.contains("Title page") && text.contains("cases: 42") && text.contains("Total BitOps vs image size"))
    }

    @Test func abandonedDocumentLeavesNoFile() throws {
        let dir = try scratchDirectory("abandon")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("half.pdf")
        do {
            let doc = try PDFDocument(path: path, pageSize: .letter)
            #expect(doc.pageSize == Size(width: 612, height: 792))
            doc.drawText("never finished", at: Point(72, 72), font: Font(size: 12))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty)
    }

    @Test func finishReplacesAnExistingFile() throws {
        let dir = try scratchDirectory("replace")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = (dir as NSString).appendingPathComponent("r.pdf")
        try Data("old".utf8).write(to: URL(fileURLWithPath: path))
        let doc = try PDFDocument(path: path)
        doc.drawText("new", at: Point(72, 72), font: Font(size: 12))
        // The old file is untouched while drawing.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("old".utf8))
        try doc.finish()
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).prefix(5) == Data("%PDF-".utf8))
    }
}
