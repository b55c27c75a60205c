import ArgumentParser
import Foundation
import CairoRender
import Charts

/// `bitsweep gallery`: renders every chart kind from built-in sample data, so anyone can look at them.
struct Gallery: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gallery",
        abstract: "Render every chart kind from built-in sample data (PDF, SVG, PNG).")

    @Option(help: "Directory to write the charts into (created if missing).")
    var out: String = "Reports/gallery"

    @Option(help: "Comma-separated formats: pdf, svg, png.")
    var format: String = "pdf,svg,png"

    @Option(help: "PNG resolution in dots per inch.")
    var dpi: Int = 200

    @Option(help: "Font family for all labels (fontconfig name).")
    var font: String = Font.defaultFamily

    func run() throws {
        var formats: [ChartFormat] = []
        for name in format.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !name.isEmpty {
            guard let f = ChartFormat(rawValue: name) else {
                throw ValidationError("unknown format \"\(name)\": use pdf, svg or png")
            }
            if !formats.contains(f) { formats.append(f) }
        }
        guard !formats.isEmpty else { throw ValidationError("--format needs at least one of pdf, svg, png") }
        let paths = try renderGallery(to: out, formats: formats, dpi: dpi, theme: .paper(fontFamily: font))
        for p in paths { print(p) }
    }
}
