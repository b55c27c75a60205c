import ArgumentParser
import BitOpsCore
import BitSweepConfig
import Foundation

/// `bitsweep`: the root command only lists the subcommands; each lives in its own file and is a thin layer
/// over the library targets.
///
/// Exit codes, the same for every subcommand (see `ErrorReport`): 0 success; 1 a negative answer (`compare`: a
/// regression; `sweep`: failed cases) or a failure while working; 2 a usage or input error (a bad option or
/// value, a missing or malformed file) — reported as one line per problem, before any work starts.
@main
struct BitSweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitsweep",
        abstract: "What a quantized MobileNet-style network costs, bit by bit — and what the precision costs you.",
        discussion: """
        Count BitOps layer by layer (calc), run real images through the quantized network (infer, bench), \
        write it as an ONNX model (export), \
        sweep grids of sizes × blocks × precisions (sweep, merge), and turn the results into charts and \
        reports (report, gallery), regression verdicts (compare), nightly trends (history) and hardware-budget answers (budget); measure \
        per-block sensitivity and find the whole Pareto front of mixed-precision assignments (sensitivity, search).

        Exit codes: 0 success; 1 a regression (compare, history show), failed cases (sweep) or a failure while working; \
        2 a usage or input error. Errors are one line each on stderr, starting with file:line when a file is \
        at fault.
        """,
        version: BitSweepVersion.string,
        subcommands: [
            Calc.self, Infer.self, Bench.self, Export.self, SweepCommand.self, Merge.self,
            Report.self, Compare.self, HistoryCommand.self, Budget.self, Gallery.self, SensitivityCommand.self, SearchCommand.self,
        ]
    )

    /// Runs the command. Every error comes back here and is reported by `ErrorReport`: one line per problem
    /// on stderr, exit 2 for usage and input errors (ArgumentParser's own 64 included), 1 for failures.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)                        // compare's regression: already printed
        } catch {
            if exitCode(for: error) == .success { exit(withError: error) }   // --help, --version
            let report = ErrorReport(error, subcommand: ErrorReport.subcommand(in: arguments))
            FileHandle.standardError.write(Data(report.lines.map { $0 + "\n" }.joined().utf8))
            Foundation.exit(report.status)
        }
    }
}

enum BitSweepVersion {
    static let string = "0.1.0"
}
