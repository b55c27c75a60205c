import ArgumentParser

// Placeholder while the subcommand is being built; replaced by its issue's implementation.
struct Gallery: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gallery", abstract: "(not built yet)")
    func run() throws { throw ValidationError("`bitsweep gallery` is not built yet") }
}
