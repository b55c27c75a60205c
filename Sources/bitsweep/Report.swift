import ArgumentParser
import BitSweepConfig
import Foundation
import Reports
import Results

/// `bitsweep report`: the report of a results folder, from a template. Thin over `ReportGenerator.generate`.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write report.md, report.pdf, report.ipynb, report.html and tables.tex for a results folder.",
        discussion: """
        Runs a report template against a sweep's results (results.json, run.json) and writes, into the \
        results folder or --out: report.md, report.pdf, report.ipynb (a notebook that runs: each cell calls `bitsweep report --cell`), report.html (one self-contained page with an explorer of the sweep's cases), tables.tex (and one file per table, tables/<name>.tex), summary.csv \
        and the charts as figures/*.pdf, *.svg and *.png. `bitsweep sweep` writes the same report when it finishes.

        The default template is built in; Inputs/report-template.md is a copy that documents every cell \
        and option. Edit the copy (reorder, remove or add cells and prose) and pass it with --template.

        With hardware-budget profiles (--budgets FILE, or the copy of the spec's `budgets:` file that the sweep \
        keeps in the results folder), the template's `table: budget` cell adds a section answering which cases \
        fit each profile.

        Exit status: 0 written; 2 bad input (no results, a template or profiles error — each as file:line); \
        1 an output could not be written.

        Examples:
          bitsweep report Reports/example
          bitsweep report Reports/example --template Inputs/report-template.md --outputs md,ipynb --out /tmp/r
          bitsweep report Reports/default --budgets Inputs/budgets.yaml
          bitsweep report Reports/example --cell 'table: summary'
          bitsweep report Reports/example --cell 'chart: heatmap; value: sqnr' --format png > sqnr.png
        """)

    @OptionGroup var results: ResultsFolderArgument

    @Option(help: ArgumentHelp("A report template (Markdown with ```bitsweep cells). Default: the built-in one.", valueName: "file"))
    var template: String?

    @Option(help: ArgumentHelp("Hardware-budget profiles (YAML) for the report's budget section. Default: the copy the sweep kept in the results folder (budgets.yaml), if any.", valueName: "file"))
    var budgets: String?

    @Option(help: ArgumentHelp("Output folder. Default: the results folder.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Comma-separated outputs to write: md, pdf, ipynb, html, tex (or all, the default).", valueName: "list"))
    var outputs: String = "all"

    /// With `--cell`: the one format of what is printed. Without it: the old name of `--outputs` (kept working,
    /// with a deprecation note).
    @Option(help: ArgumentHelp("With --cell, how to print the cell: markdown (default), html, ipynb (the notebook's outputs as JSON), svg or png (a cell that draws one chart).", valueName: "format"))
    var format: String?

    @Option(help: ArgumentHelp("Keep only the cases matching key=value pairs (as a template cell's `where:`), e.g. 'size=32 blocks=4'.", valueName: "filter"))
    var `where`: String?

    @Option(help: ArgumentHelp("Print one cell's output instead of writing the report: the cell's text, as in a template (`table: summary`, or 'chart: heatmap; value: sqnr' with `;` between lines). Nothing is written.", valueName: "cell"))
    var cell: String?

    @OptionGroup(title: "Paper outputs") var paper: PaperOptions

    func run() throws {
        if let w = `where` {
            do { _ = try Reports.CaseSelector(w) } catch let e as Reports.CaseSelector.ParseError {
                throw InputError("--where: " + e.message.replacingOccurrences(of: "option 'where': ", with: ""))
            }
        }
        if let cell { return try printCell(cell) }
        if format != nil { warn("report", "--format is deprecated for report; use --outputs (the files to write)") }
        let formats = try CommandFailure.asInput { try ReportFormat.parseList(format ?? outputs) }
        let dir = try results.folder()
        let command = ["bitsweep", "report"] + CommandLine.arguments.dropFirst(2)
        let args = results.resultsDir == nil ? command + [dir] : command
        // Bad input (no results, a template or profiles error) is reported as file:line and exits 2; an output
        // that cannot be written exits 1 (see ErrorReport).
        let output = try ReportGenerator.generate(resultsDir: dir, template: template, outputs: formats, outDir: out,
                                                  command: Array(args), budgets: budgets, where: `where`,
                                                  options: try paper.reportOptions())
        let reports = output.files.filter { !$0.contains("/figures/") }
        for f in reports { print(f) }
        let figures = output.files.count - reports.count
        if figures > 0 { print("\((output.outDir as NSString).appendingPathComponent("figures"))/ (\(figures) files)") }
    }

    /// `--cell`: runs one cell and prints it in `--format` on standard output. Every problem is an input error
    /// (exit 2): nothing is written.
    func printCell(_ text: String) throws {
        if out != nil { throw InputError("--out writes a report; --cell prints one cell (redirect its output instead)") }
        let cellFormat = try CommandFailure.asInput { try CellRun.Format.parse(format ?? "markdown") }
        let dir = try results.folder()
        let data = try CommandFailure.asInput {
            try CellRun.render(try CellRun.run(resultsDir: dir, cell: text, template: template, budgets: budgets, where: `where`), as: cellFormat)
        }
        FileHandle.standardOutput.write(data)
    }
}
