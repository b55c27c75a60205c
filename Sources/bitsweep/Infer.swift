import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct Infer: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "infer", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep infer` is not built yet") }
}
