import ArgumentParser
import BitOpsCore
import BitSweepConfig
import Foundation

/// `bitsweep`: the root command only lists the subcommands; each lives in its own file and is a thin layer
/// over the library targets.
///
/// Exit codes, the same for every subcommand: 0 success; 1 a negative answer (`compare`: a regression) or a
/// failure while working; 2 a usage or input error (a bad option or value, a malformed file) — reported as
/// one line per problem, before any work starts.
@main
struct BitSweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitsweep",
        abstract: "What a quantized MobileNet-style network costs, bit by bit — and what the precision costs you.",
        discussion: """
        Count BitOps layer by layer (calc), run real images through the quantized network (infer, bench), \
        sweep grids of sizes × blocks × precisions (sweep, merge), and turn the results into charts and \
        reports (report, gallery), regression verdicts (compare) and hardware-budget answers (budget).

        Exit codes: 0 success; 1 a regression (compare) or a failure while working; 2 a usage or input error.
        """,
        version: BitSweepVersion.string,
        subcommands: [
            Calc.self, Infer.self, Bench.self, SweepCommand.self, Merge.self,
            Report.self, Compare.self, Budget.self, Gallery.self,
        ]
    )

    /// Runs the command, mapping usage and input errors to exit code 2 (ArgumentParser's own is 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if isInputError(error) {
                FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
                Foundation.exit(2)
            }
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }

    /// Errors about what the user gave us: bad values, bad files.
    static func isInputError(_ error: Error) -> Bool {
        error is InputError || error is SpecError || error is ConfigError
    }
}

enum BitSweepVersion {
    static let string = "0.1.0"
}
