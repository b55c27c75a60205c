import ArgumentParser
import BitSweepConfig
import Foundation
import Results

/// The results folder that `report` and `budget` read: one positional argument, one default.
struct ResultsFolderArgument: ParsableArguments {
    @Argument(help: ArgumentHelp("A results folder (holding results.json). Default: the current folder if it holds results.json, else the default spec's folder (Reports/default).", valueName: "results-dir"))
    var resultsDir: String?

    /// The folder given, else `DefaultResults.folder()`.
    func folder() throws -> String { try resultsDir ?? DefaultResults.folder() }
}

/// The results folder `report` and `budget` use when none is given.
enum DefaultResults {
    /// The default sweep spec (what `bitsweep sweep` runs with no SPEC).
    static let spec = "Inputs/sweep.yaml"

    /// `.` when the current folder holds results.json; else the default spec's folder, `Reports/<name>`
    /// (`Reports/default`), which must hold results.json. Other folders under Reports/ (such as the committed
    /// `Reports/example`) are used only when named.
    static func folder() throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: ResultsStore.resultsFile) { return "." }
        let name = (try? SweepSpecReader.load(path: spec).name.value) ?? "default"
        let dir = "Reports/\(name)"
        guard fm.fileExists(atPath: (dir as NSString).appendingPathComponent(ResultsStore.resultsFile)) else {
            throw InputError("no results folder given, and the default spec's folder \(dir) holds no results.json: run `bitsweep sweep` first, or give RESULTS_DIR")
        }
        return dir
    }

    /// The profiles file a sweep kept in results folder `dir`, if any.
    static func keptBudgets(in dir: String) -> String? { ResultsStore.keptBudgets(in: dir) }
}
