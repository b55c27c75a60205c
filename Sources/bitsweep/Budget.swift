import Analysis
import ArgumentParser
import Foundation
import Reports

/// `bitsweep budget [RESULTS_DIR] --profiles FILE`: which configurations fit which device. Thin over
/// `BudgetRun.run`. Exit codes: 0 answered (whether or not anything fits), 2 usage or input error, 1 an output
/// could not be written.
struct Budget: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "budget",
        abstract: "Which configurations fit each hardware budget profile, best first per network shape; what binds the rest.",
        discussion: """
        Profiles (YAML; see Inputs/budgets.yaml and docs/budget.md) give a maximum of BitOps per image, weight \
        storage and peak activation memory, and optionally a time per image and a minimum fidelity. For each \
        profile: the cases that fit, ranked by fidelity (mean logit SQNR) then cost within each network shape \
        (fidelity compares a case with its own float twin), or by top-1 accuracy across shapes when every image \
        has a label; for the others, the binding constraint and by how much it is exceeded. With --out DIR: budget.md, budget.json and a cost–quality \
        chart per profile (figures/budget-<profile>.svg|png) with the feasible region shaded and the best case ringed (when one ranking compares every fitting case).

        Examples:
          bitsweep budget Reports/default --profiles Inputs/budgets.yaml
          bitsweep budget --out Reports/budget        # Reports/default, with the profiles its sweep kept
        """)

    @OptionGroup var results: ResultsFolderArgument

    @Option(help: ArgumentHelp("The budget profiles file (YAML or JSON). Default: the copy the sweep kept in the results folder (budgets.yaml).", valueName: "file"))
    var profiles: String?

    @Option(help: ArgumentHelp("Write budget.md, budget.json and the charts into this folder.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("What to print: table, json or markdown.", valueName: "format"))
    var format: String = "table"

    func run() throws {
        let fmt = try AnalysisCLI().format(format)
        let dir = try results.folder()
        guard let profiles = profiles ?? DefaultResults.keptBudgets(in: dir) else {
            throw InputError("--profiles FILE is required: \(dir) keeps no budget profiles (e.g. --profiles Inputs/budgets.yaml)")
        }
        let output = try BudgetRun.run(resultsPath: dir, profilesPath: profiles, out: out, format: fmt)
        print(output.printed, terminator: output.printed.hasSuffix("\n") ? "" : "\n")
        fflush(stdout)
        if !output.written.isEmpty {
            FileHandle.standardError.write(Data("wrote \(output.written.count) files to \(out ?? "")\n".utf8))
        }
    }
}
