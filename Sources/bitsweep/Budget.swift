import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct Budget: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "budget", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep budget` is not built yet") }
}
