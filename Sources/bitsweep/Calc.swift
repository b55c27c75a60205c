import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct Calc: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "calc", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep calc` is not built yet") }
}
