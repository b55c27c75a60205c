import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compare", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep compare` is not built yet") }
}
