import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "report", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep report` is not built yet") }
}
