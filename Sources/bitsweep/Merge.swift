import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep merge` is not built yet") }
}
