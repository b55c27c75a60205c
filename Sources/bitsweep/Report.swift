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

        With hardware-budget profiles (--budgets FILE, or the `budgets:` file the sweep spec named), the \
        template's `table: budget` cell adds a section answering which cases fit each profile.

        Exit status: 0 written; 2 bad input (no results, a template or profiles error — each as file:line); \
        1 an output could not be written.

        Examples:
          bitsweep report Reports/example
          bitsweep report Reports/example --template Inputs/report-template.md --format md,ipynb --out /tmp/r
          bitsweep report Reports/default --budgets Inputs/budgets.yaml
        """)

    @Argument(help: ArgumentHelp("A results folder (holding results.json). Default: the only results folder under Reports/.", valueName: "results-dir"))
    var resultsDir: String?

    @Option(help: ArgumentHelp("A report template (Markdown with ```bitsweep cells). Default: the built-in one.", valueName: "file"))
    var template: String?

    @Option(help: ArgumentHelp("Hardware-budget profiles (YAML) for the report's budget section. Default: the file the sweep spec named (budgets: in run.json), if any.", valueName: "file"))
    var budgets: String?

    @Option(help: ArgumentHelp("Output folder. Default: the results folder.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Comma-separated outputs: md, pdf, ipynb, tex (or all).", valueName: "list"))
    var format: String = "md,pdf,ipynb,tex"

    func run() throws {
        let formats: [ReportFormat]
        do { formats = try ReportFormat.parseList(format) } catch { throw ValidationError("\(error)") }
        let dir = try resultsDir ?? Self.defaultResultsDir()
        let command = ["bitsweep", "report"] + CommandLine.arguments.dropFirst(2)
        let args = resultsDir == nil ? command + [dir] : command
        do {
            let output = try ReportGenerator.generate(resultsDir: dir, template: template, outputs: formats, outDir: out,
                                                      command: Array(args), budgets: budgets)
            let reports = output.files.filter { !$0.contains("/figures/") }
            for f in reports { print(f) }
            let figures = output.files.count - reports.count
            if figures > 0 { print("\((output.outDir as NSString).appendingPathComponent("figures"))/ (\(figures) files)") }
        } catch let e as TemplateError {
            FileHandle.standardError.write(Data((e.description + "\n").utf8))   // file:line: message, one per line
            throw ExitCode(2)
        } catch let e as ConfigError {
            FileHandle.standardError.write(Data((e.description + "\n").utf8))   // the profiles file: file:line: message
            throw ExitCode(2)
        } catch let e as ResultsStore.LoadError {
            FileHandle.standardError.write(Data("error: \(e)\n".utf8))
            throw ExitCode(2)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }

    /// The only `Reports/*/results.json`, or `.` when the current folder is a results folder.
    static func defaultResultsDir() throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: "results.json") { return "." }
        let found = ((try? fm.contentsOfDirectory(atPath: "Reports")) ?? []).sorted()
            .filter { fm.fileExists(atPath: "Reports/\($0)/results.json") }
            .map { "Reports/\($0)" }
        guard found.count == 1 else {
            throw ValidationError(found.isEmpty
                ? "no results folder given and none found under Reports/ — run `bitsweep sweep` first, or give RESULTS_DIR"
                : "no results folder given and several found (\(found.joined(separator: ", "))) — give one")
        }
        return found[0]
    }
}
