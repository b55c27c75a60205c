import ArgumentParser
import BitOpsCore
import BitSweepConfig
import Analysis
import Foundation
import History
import Reports
import Results
import StableIO
import Sweep

/// An input problem found by the command-line layer itself (a value, a file): exit code 2.
struct InputError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

/// A failure whose exit code the subcommand chose: `lines` are printed one per line, then the process exits
/// with `status` (1 = a failure while working, 2 = a usage or input error).
struct CommandFailure: Error {
    var status: Int32
    var lines: [String]

    /// Any error, reported as an input error (exit 2): for steps that only read what the user gave.
    static func input(_ error: Error) -> CommandFailure {
        if let f = error as? CommandFailure { return CommandFailure(status: 2, lines: f.lines) }
        return CommandFailure(status: 2, lines: ErrorReport.lines(of: error))
    }

    /// Runs `body`; whatever it throws is an input error.
    static func asInput<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw input(error) }
    }
}

/// The one place where errors become text and exit codes. Every subcommand throws; `BitSweep.main` prints
/// what this says, one problem per line on stderr, and exits with its status:
///
/// - 2: a usage or input error — a bad option or value, a missing or malformed file, results that do not fit
///   together. ArgumentParser's own parse errors (its exit code 64) are mapped here too.
/// - 1: a failure while working (a file that cannot be written, an engine failure), or a negative answer
///   (`compare`: a regression, `sweep`: failed cases).
///
/// Each line starts with `file:line:` (or `file:`) when a file is at fault — the libraries write their
/// messages that way — and with `bitsweep SUBCOMMAND:` otherwise. A file-system error always names its path.
struct ErrorReport {
    var status: Int32
    var lines: [String]

    init(_ error: Error, subcommand: String?) {
        let prefix = "bitsweep" + (subcommand.map { " \($0)" } ?? "") + ": "
        let (status, raw) = Self.classify(error)
        self.status = status
        lines = raw.filter { !$0.isEmpty }.map { Self.startsWithLocation($0) ? $0 : prefix + $0 }
    }

    /// The exit status and the message lines (without the `bitsweep SUBCOMMAND:` prefix).
    static func classify(_ error: Error) -> (Int32, [String]) {
        switch error {
        case let e as CommandFailure: return (e.status, e.lines)
        case let e as SweepError: return (e.isInputError ? 2 : 1, lines(of: e))
        case is InputError, is ConfigError, is SpecError, is TemplateError, is AnalysisInputError,
             is ResultsStore.LoadError, is HistoryError:
            return (2, lines(of: error))
        default:
            if BitSweep.exitCode(for: error) == .validationFailure {
                return (2, [argumentParserMessage(error)])
            }
            return (1, lines(of: error))
        }
    }

    /// One line per problem. Foundation's file errors become `path: reason`; others print their description.
    static func lines(of error: Error) -> [String] {
        if let e = error as? CommandFailure { return e.lines }
        let text = "\(error)"
        if error is CocoaError || error is POSIXError || text.contains("Domain=") { return [foundationMessage(error)] }
        return text.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    }

    /// `path: reason` for a Foundation error that names a path, else its reason alone.
    static func foundationMessage(_ error: Error) -> String {
        let reason = FileSystemError.reason(of: error)
        return FileSystemError.path(of: error).map { "\($0): \(reason)" } ?? reason
    }

    /// ArgumentParser's message without its help and usage lines, e.g. `Missing value for '--out <dir>'`.
    static func argumentParserMessage(_ error: Error) -> String {
        let text = BitSweep.message(for: error)
        let first = text.split(separator: "\n").first.map(String.init) ?? text
        return first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
    }

    /// True when `line` starts with a file location: `path:`, `path:12:` — a first word (no spaces) that
    /// looks like a path (has a `/` or a file extension) or names something that exists.
    static func startsWithLocation(_ line: String) -> Bool {
        guard let colon = line.range(of: ": ") else { return false }
        var head = Substring(line[..<colon.lowerBound])
        guard !head.isEmpty, !head.contains(" "), !head.hasPrefix("-") else { return false }
        while let c = head.lastIndex(of: ":"), !head[head.index(after: c)...].isEmpty,
              head[head.index(after: c)...].allSatisfy(\.isNumber) {
            head = head[..<c]
        }
        let path = String(head)
        if path.contains("/") || FileManager.default.fileExists(atPath: path) { return true }
        guard let dot = path.lastIndex(of: "."), dot != path.startIndex else { return false }
        let ext = path[path.index(after: dot)...]
        return (1...8).contains(ext.count) && ext.allSatisfy { $0.isLetter || $0.isNumber }
    }

    /// The subcommand named on the command line (for the message prefix), if any.
    static func subcommand(in arguments: [String]) -> String? {
        let names = BitSweep.configuration.subcommands.compactMap { $0.configuration.commandName ?? String(describing: $0).lowercased() }
        return arguments.first { names.contains($0) }
    }
}

/// Writes a note to stderr in the one format (`bitsweep SUBCOMMAND: warning: …`), e.g. for a deprecated option.
func warn(_ subcommand: String, _ message: String) {
    FileHandle.standardError.write(Data("bitsweep \(subcommand): warning: \(message)\n".utf8))
}
