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

    @Option(help: ArgumentHelp("Comma-separated chart files to write: pdf, svg, png.", valueName: "list"))
    var outputs: String = "pdf,svg,png"

    @Option(help: .hidden)
    var format: String?

    @Option(parsing: .unconditional, help: "PNG resolution in dots per inch (1–2400).")
    var dpi: Int = 200

    @OptionGroup var font: FontOption

    func validate() throws {
        guard (1...2400).contains(dpi) else { throw ValidationError("--dpi \(dpi) is out of range: expected 1–2400 dots per inch") }
    }

    func run() throws {
        if format != nil { warn("gallery", "--format is deprecated here; use --outputs (the chart files to write)") }
        let list = format ?? outputs
        var formats: [ChartFormat] = []
        for name in list.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) where !name.isEmpty {
            guard let f = ChartFormat(rawValue: name) else {
                throw InputError("--outputs: unknown format '\(name)'; expected pdf, svg or png")
            }
            if !formats.contains(f) { formats.append(f) }
        }
        guard !formats.isEmpty else { throw InputError("--outputs needs at least one of pdf, svg, png") }
        let paths = try renderGallery(to: out, formats: formats, dpi: dpi, theme: .paper(fontFamily: try font.checked()))
        for p in paths { print(p) }
    }
}
