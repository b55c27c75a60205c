import ArgumentParser
import BitSweepConfig
import Foundation
import Reports
import Results

/// `bitsweep report`: the report of a results folder, from a template. Thin over `ReportGenerator.generate`.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write report.md, report.pdf, report.ipynb and tables.tex for a results folder.",
        discussion: """
        Runs a report template against a sweep's results (results.json, run.json) and writes, into the \
        results folder or --out: report.md, report.pdf, report.ipynb, tables.tex, summary.csv and the \
        charts as figures/*.svg and *.png. `bitsweep sweep` writes the same report when it finishes.

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
        """)

    @Argument(help: ArgumentHelp("A results folder (holding results.json). Default: the current folder if it holds results.json, else the default spec's folder (Reports/default).", valueName: "results-dir"))
    var resultsDir: String?

    @Option(help: ArgumentHelp("A report template (Markdown with ```bitsweep cells). Default: the built-in one.", valueName: "file"))
    var template: String?

    @Option(help: ArgumentHelp("Hardware-budget profiles (YAML) for the report's budget section. Default: the copy the sweep kept in the results folder (budgets.yaml), if any.", valueName: "file"))
    var budgets: String?

    @Option(help: ArgumentHelp("Output folder. Default: the results folder.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Comma-separated outputs to write: md, pdf, ipynb, tex (or all).", valueName: "list"))
    var outputs: String = "md,pdf,ipynb,tex"

    /// The old name of `--outputs` (kept working, with a deprecation note): `--format` names the one format
    /// of what a command prints.
    @Option(help: .hidden)
    var format: String?

    func run() throws {
        if format != nil { warn("report", "--format is deprecated for report; use --outputs (the files to write)") }
        let formats = try CommandFailure.asInput { try ReportFormat.parseList(format ?? outputs) }
        let dir = try resultsDir ?? DefaultResults.folder()
        let command = ["bitsweep", "report"] + CommandLine.arguments.dropFirst(2)
        let args = resultsDir == nil ? command + [dir] : command
        // Bad input (no results, a template or profiles error) is reported as file:line and exits 2; an output
        // that cannot be written exits 1 (see ErrorReport).
        let output = try ReportGenerator.generate(resultsDir: dir, template: template, outputs: formats, outDir: out,
                                                  command: Array(args), budgets: budgets)
        let reports = output.files.filter { !$0.contains("/figures/") }
        for f in reports { print(f) }
        let figures = output.files.count - reports.count
        if figures > 0 { print("\((output.outDir as NSString).appendingPathComponent("figures"))/ (\(figures) files)") }
    }
}
