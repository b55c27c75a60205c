import ArgumentParser
import CairoRender
import Charts
import Reports

/// How a report's paper outputs look: figure width and font, tables as floats or bare tabulars
/// (`bitsweep report`; `bitsweep gallery` shares `--font`).
struct PaperOptions: ParsableArguments {
    enum Switch: String, ExpressibleByArgument, CaseIterable { case on, off }

    @Option(name: .customLong("figure-width"), help: ArgumentHelp("Printed width of the figures: single (3.5 in, one column of IEEE/ACM two-column papers), double (7.16 in) or a length such as 3.3in, 8.5cm, 240pt.", valueName: "single|double|length"))
    var figureWidth: String = "single"

    @OptionGroup var font: FontOption

    @Option(name: .customLong("latex-floats"), help: ArgumentHelp("tables/<name>.tex as table floats with caption and label (on) or bare tabulars to place yourself (off); long tables stay longtables.", valueName: "on|off"))
    var latexFloats: Switch = .on

    func validate() throws {
        _ = try reportOptions()
    }

    /// The options for `ReportGenerator.generate`; a bad width or a font that is not installed is a usage
    /// error naming the value.
    func reportOptions() throws -> ReportOptions {
        let width: FigureWidth
        do { width = try FigureWidth(parsing: figureWidth) } catch { throw ValidationError("\(error)") }
        return ReportOptions(latexFloats: latexFloats == .on, figureWidth: width, fontFamily: try font.checked())
    }
}

/// `--font FAMILY` for charts (fontconfig name); a family that is not installed is an error naming it.
struct FontOption: ParsableArguments {
    @Option(help: ArgumentHelp("Font family of the charts' text (fontconfig name, e.g. \"DejaVu Serif\"); it must be installed (fc-list : family).", valueName: "family"))
    var font: String = Font.defaultFamily

    /// The family, once fontconfig confirms it is installed.
    func checked() throws -> String {
        do { try FontCatalog.require(font) } catch { throw ValidationError("--font: \(error)") }
        return font
    }
}
