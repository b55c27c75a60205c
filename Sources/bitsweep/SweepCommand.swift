import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sweep", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep sweep` is not built yet") }
}
