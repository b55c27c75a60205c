import ArgumentParser

/// `bitsweep`: the root command only lists the subcommands; each lives in its own file and is a thin layer
/// over the library targets.
@main
struct BitSweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bitsweep",
        abstract: "What a quantized MobileNet-style network costs, bit by bit — and what the precision costs you.",
        discussion: """
        Count BitOps layer by layer (calc), run real images through the quantized network (infer, bench), \
        sweep grids of sizes × blocks × precisions (sweep, merge), and turn the results into charts and \
        reports (report, gallery), regression verdicts (compare) and hardware-budget answers (budget).
        """,
        version: BitSweepVersion.string,
        subcommands: [
            Calc.self, Infer.self, Bench.self, SweepCommand.self, Merge.self,
            Report.self, Compare.self, Budget.self, Gallery.self,
        ]
    )
}

enum BitSweepVersion {
    static let string = "0.1.0"
}
