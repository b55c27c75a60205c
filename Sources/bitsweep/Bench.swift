import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "bench", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep bench` is not built yet") }
}
