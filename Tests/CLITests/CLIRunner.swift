import Foundation

/// Runs the built `bitsweep` binary (it sits beside the test bundle in the build folder) and captures its
/// output and exit status. Shared by every end-to-end test.
enum CLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("bitsweep"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("bitsweep"),
            Bundle.main.bundleURL.appendingPathComponent("bitsweep"),
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// The package root (for golden files and Inputs/).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// Runs `executable` (the built `bitsweep` unless given) with `arguments` from `cwd` (the package root).
    static func run(_ arguments: [String], cwd: URL? = nil, executable: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? binary
        p.arguments = arguments
        p.currentDirectoryURL = cwd ?? packageRoot
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let errData = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            errData.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// A pipe's bytes, written by the one reader before `group.leave()` and read only after `group.wait()`.
    final class Collected: @unchecked Sendable { var data = Data() }

    static func snapshot(_ name: String) throws -> String {
        let url = packageRoot.appendingPathComponent("Tests/CLITests/Snapshots/\(name)")
        return try String(contentsOf: url, encoding: .utf8)
    }
}
