import CairoRender
import Charts
import Foundation
import Results
import Testing
@testable import Reports

/// The default report's figures as files a paper can use: PDF (vector, fonts embedded as TrueType, no
/// Type 3), SVG and PNG (with its DPI), under names that say what they show and do not change when the grid
/// grows.
@Suite struct FigureTests {
    func folder() throws -> String { try DefaultReport.folder.get() }

    static func figureStems(_ dir: String) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: "\(dir)/figures").map { ($0 as NSString).deletingPathExtension })
    }

    @Test func everyFigureIsWrittenAsPDFSVGAndPNG() throws {
        let dir = try folder()
        let files = try FileManager.default.contentsOfDirectory(atPath: "\(dir)/figures")
        let stems = try Self.figureStems(dir)
        #expect(stems.count >= 10)
        for stem in stems {
            for ext in ["pdf", "svg", "png"] {
                #expect(files.contains("\(stem).\(ext)"), "figures/\(stem).\(ext) missing")
            }
            #expect(stem.range(of: "[0-9a-f]{10}", options: .regularExpression) == nil, "\(stem) looks like a hash")
        }
        // Names say what the chart shows (worked out from Inputs/sweep.yaml: 5 blocks at float activations
        // over three sizes; the cost chart per convention; the first case of the 3-block shape).
        for expected in ["bitops-vs-size_blocks5_act32", "cost-vs-sqnr", "cost-vs-sqnr_wa", "heatmap-bitops_size32_act32",
                         "layerwise_size32_blocks3_w32_act32"] {
            #expect(stems.contains(expected), "no figure named \(expected) among \(stems.sorted())")
        }
    }

    @Test func pdfFiguresEmbedTrueTypeFontsAndNoType3() throws {
        guard let pdffonts = which("pdffonts") else { Issue.record("pdffonts (poppler-utils) is not installed: run scripts/setup.sh"); return }
        let dir = try folder()
        for stem in try Self.figureStems(dir).sorted().prefix(40) {
            let out = try run(pdffonts, ["\(dir)/figures/\(stem).pdf"]).output
            let rows = out.components(separatedBy: "\n").dropFirst(2).filter { !$0.isEmpty }
            #expect(!rows.isEmpty, "\(stem).pdf has no fonts (text drawn as paths?)")
            for r in rows {
                #expect(r.contains("TrueType"), "\(stem).pdf: \(r)")
                #expect(!r.contains("Type 3"), "\(stem).pdf: \(r)")
                #expect(r.contains(" yes "), "\(stem).pdf: font not embedded: \(r)")
            }
        }
    }

    /// A single-column figure is 3.5 in wide; its PNG carries 150 dpi, so it is 525 px and LaTeX takes it at
    /// 3.5 in too.
    @Test func pngCarriesItsResolution() throws {
        let dir = try folder()
        let stem = "bitops-vs-size_blocks5_act32"
        let png = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/figures/\(stem).png"))
        let dpi = try #require(pngResolution(png))
        #expect(abs(dpi - Double(ReportGenerator.pngDPI)) < 0.02)   // stored as whole pixels per metre
        let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
        #expect(width == 525)
        if let pdfinfo = which("pdfinfo") {
            let info = try run(pdfinfo, ["\(dir)/figures/\(stem).pdf"]).output
            #expect(info.contains(" 252 x 187.2 pts"), "\(info)")
        }
    }

    /// Adding a size to the grid (at the end) adds figures but renames none: every figure of the default
    /// report is still there, under the same name, and a per-case chart is byte-identical.
    @Test func addingASizeRenamesNothing() throws {
        func document(_ overrides: [String]) throws -> ReportDocument {
            let (set, run, _) = try DefaultReport.results(overrides: overrides)
            let ex = CellExecutor(results: set, run: run, resultsDirLabel: "r", templateLabel: "t", reportCommand: ["bitsweep"])
            return try ex.execute(Template.defaultTemplate())
        }
        let before = try document([])
        let after = try document(["sizes=[32, 64, 128, 256]"])
        let a = Set(before.figures.map(\.fileStem)), b = Set(after.figures.map(\.fileStem))
        #expect(a.isSubset(of: b), "renamed or dropped: \(a.subtracting(b).sorted())")
        #expect(b.count > a.count)
        let stem = "layerwise_size32_blocks3_w32_act32"
        let one = try #require(before.figures.first { $0.fileStem == stem }), two = try #require(after.figures.first { $0.fileStem == stem })
        #expect(try renderChartData(one.spec, format: .svg, size: one.size) == renderChartData(two.spec, format: .svg, size: two.size))
    }

    @Test func figureWidthsParse() throws {
        #expect(try FigureWidth(parsing: "single").width == 252)
        #expect(try FigureWidth(parsing: "double").width == 515.52)
        #expect(abs(try FigureWidth(parsing: "3.3in").width - 237.6) < 1e-9)
        #expect(abs(try FigureWidth(parsing: "8.5cm").width - 8.5 / 2.54 * 72) < 1e-9)
        #expect(abs(try FigureWidth(parsing: "85mm").width - 85 / 25.4 * 72) < 1e-9)
        #expect(abs(try FigureWidth(parsing: "240pt").width - 240 * 72 / 72.27) < 1e-9)
        for bad in ["wide", "3 parsecs", "0.5in", "30in", "in", "-4cm"] {
            #expect(throws: ReportError.self, "\(bad)") { try FigureWidth(parsing: bad) }
        }
        // Double is 7.16 in × 3 in; a custom width keeps the single-column proportions when narrower.
        #expect(FigureWidth.double.size.points.height == 216)
        let narrow = try FigureWidth(parsing: "3in").size.points
        #expect(narrow.width == 216 && abs(narrow.height - 216 * 2.6 / 3.5) < 1e-9)
    }

    /// `--figure-width double` and `--font "DejaVu Serif"` reach the files: the PDF is 7.16 in wide and its
    /// fonts are DejaVu Serif (as fontconfig resolves the name, and as pdffonts reads the file).
    @Test func widthAndFontReachTheFiles() throws {
        #expect(FontCatalog.matchedFamilies("DejaVu Serif").contains("DejaVu Serif"))
        let dir = try DefaultReport.generate(overrides: ["sizes=[32]", "blocks=[3]", "precisions=[8, 2]", "act_bits=[32]", "conventions=[weight]",
                                                         "exclude=[]", "include=[]"],
                                             options: ReportOptions(figureWidth: .double, fontFamily: "DejaVu Serif"), outputs: [.md])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let stem = "layerwise_size32_blocks3_w8_act32"
        if let pdfinfo = which("pdfinfo") {
            #expect(try run(pdfinfo, ["\(dir)/figures/\(stem).pdf"]).output.contains(" 515.52 x 216 pts"))
        }
        if let pdffonts = which("pdffonts") {
            let fonts = try run(pdffonts, ["\(dir)/figures/\(stem).pdf"]).output
            #expect(fonts.contains("DejaVuSerif") && !fonts.contains("DejaVuSans-"), "\(fonts)")
        }
    }

    /// A font that is not installed is an error naming it, not a silent fallback (fontconfig would give
    /// DejaVu Sans for it).
    @Test func aMissingFontIsAnErrorNamingIt() throws {
        let missing = "Nonexistent Grotesk 17"
        #expect(!FontCatalog.matchedFamilies(missing).contains(missing))
        #expect(!FontCatalog.matchedFamilies(missing).isEmpty)   // fontconfig substitutes something
        do {
            try FontCatalog.require(missing)
            Issue.record("no error for \(missing)")
        } catch {
            #expect("\(error)".contains("\"\(missing)\" is not installed"))
        }
        #expect(throws: Never.self) { try FontCatalog.require("DejaVu Sans Mono") }
        #expect(throws: Never.self) { try FontCatalog.require("serif") }
    }
}
