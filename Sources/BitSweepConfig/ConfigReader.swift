import BitOpsCore
import Foundation
import Yams

/// Reading YAML (and JSON, which YAML 1.2 contains) with line numbers, for every file BitSweep accepts:
/// model files, sweep specifications and budget profiles.
///
/// Readers collect *all* problems of a file before failing, each as `file:line: message`, and treat unknown
/// keys as errors (a typo must never fall back silently to a default).

/// One problem in an input file.
public struct ConfigIssue: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var message: String
    public init(file: String, line: Int?, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }
}

/// All problems found in a file (at least one). `description` is one line per problem.
public struct ConfigError: Error, CustomStringConvertible, Sendable {
    public var issues: [ConfigIssue]
    public init(_ issues: [ConfigIssue]) { self.issues = issues }
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// Collects problems while a file is read.
public final class Diagnostics {
    public let file: String
    public private(set) var issues: [ConfigIssue] = []
    public init(file: String) { self.file = file }

    public func error(_ message: String, at node: ConfigNode?) {
        issues.append(ConfigIssue(file: file, line: node?.line, message: message))
    }
    public func error(_ message: String, line: Int?) {
        issues.append(ConfigIssue(file: file, line: line, message: message))
    }
    /// Throws every collected problem at once, if any.
    public func check() throws {
        if !issues.isEmpty { throw ConfigError(issues) }
    }
}

/// A YAML node with its line, and typed accessors that report mismatches to a `Diagnostics`.
public struct ConfigNode {
    public let node: Node
    public let diagnostics: Diagnostics

    public var line: Int? { node.mark?.line }

    /// Parses `text` (YAML or JSON) read from `file`. Syntax errors become a `ConfigError` with the line.
    public static func parse(_ text: String, file: String) throws -> (ConfigNode, Diagnostics) {
        let d = Diagnostics(file: file)
        do {
            guard let root = try Yams.compose(yaml: text) else {
                throw ConfigError([ConfigIssue(file: file, line: nil, message: "the file is empty; expected a mapping")])
            }
            return (ConfigNode(node: root, diagnostics: d), d)
        } catch let e as YamlError {
            throw ConfigError([ConfigNode.issue(from: e, file: file)])
        }
    }

    /// Reads and parses a file; an unreadable file is a one-line error naming it.
    public static func load(path: String) throws -> (ConfigNode, Diagnostics) {
        guard let data = FileManager.default.contents(atPath: path) else {
            let why = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            throw ConfigError([ConfigIssue(file: path, line: nil, message: "the file \(why)")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError([ConfigIssue(file: path, line: nil, message: "the file is not UTF-8 text")])
        }
        return try parse(text, file: path)
    }

    static func issue(from e: YamlError, file: String) -> ConfigIssue {
        switch e {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
             .composer(_, let problem, let mark, _):
            return ConfigIssue(file: file, line: mark.line, message: "not valid YAML/JSON: \(problem)")
        case .duplicatedKeysInMapping(let dups, _):
            return ConfigIssue(file: file, line: nil, message: "duplicated keys: \(dups.joined(separator: ", "))")
        default:
            return ConfigIssue(file: file, line: nil, message: "not valid YAML/JSON: \(e)")
        }
    }

    func child(_ n: Node) -> ConfigNode { ConfigNode(node: n, diagnostics: diagnostics) }

    /// The scalar's text, or nil (with an error) when the node is not a scalar.
    public func scalarText(_ what: String) -> String? {
        guard case .scalar(let s) = node else {
            diagnostics.error("\(what) must be a single value", at: self)
            return nil
        }
        return s.string
    }

    public func string(_ what: String) -> String? { scalarText(what) }

    public func int(_ what: String, in range: ClosedRange<Int>? = nil, expected: String? = nil) -> Int? {
        guard let t = scalarText(what) else { return nil }
        guard let v = Int(t) else {
            diagnostics.error("\(what) '\(t)' is not an integer\(expected.map { "; expected \($0)" } ?? "")", at: self)
            return nil
        }
        if let range, !range.contains(v) {
            diagnostics.error("\(what) \(v) is out of range; expected \(expected ?? "\(range.lowerBound)–\(range.upperBound)")", at: self)
            return nil
        }
        return v
    }

    public func double(_ what: String) -> Double? {
        guard let t = scalarText(what) else { return nil }
        guard let v = Double(t), v.isFinite else {
            diagnostics.error("\(what) '\(t)' is not a number", at: self)
            return nil
        }
        return v
    }

    public func bool(_ what: String) -> Bool? {
        guard let t = scalarText(what) else { return nil }
        switch t.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            diagnostics.error("\(what) '\(t)' is not true or false", at: self)
            return nil
        }
    }

    public var isSequence: Bool { if case .sequence = node { return true } else { return false } }
    public var isMapping: Bool { if case .mapping = node { return true } else { return false } }
    public var isScalar: Bool { if case .scalar = node { return true } else { return false } }

    /// The items of a sequence, or nil (with an error) when the node is not a list.
    public func list(_ what: String) -> [ConfigNode]? {
        guard case .sequence(let s) = node else {
            diagnostics.error("\(what) must be a list", at: self)
            return nil
        }
        return s.map(child)
    }

    /// A mapping whose keys must all be in `allowed`; unknown keys are reported with their line.
    public func mapping(_ what: String, allowed: [String]) -> ConfigMap? {
        guard case .mapping(let m) = node else {
            diagnostics.error("\(what) must be a mapping of keys to values", at: self)
            return nil
        }
        var entries: [(key: String, keyNode: ConfigNode, value: ConfigNode)] = []
        for (k, v) in m {
            let kn = child(k)
            guard case .scalar(let ks) = k else {
                diagnostics.error("\(what): keys must be plain names", at: kn)
                continue
            }
            if !allowed.contains(ks.string) {
                let hint = ConfigMap.closest(ks.string, among: allowed).map { " (did you mean '\($0)'?)" } ?? ""
                diagnostics.error("\(what): unknown key '\(ks.string)'\(hint); expected one of \(allowed.joined(separator: ", "))", at: kn)
                continue
            }
            entries.append((ks.string, kn, child(v)))
        }
        return ConfigMap(what: what, node: self, entries: entries)
    }
}

/// A mapping read through `ConfigNode.mapping`, keyed by the allowed names.
public struct ConfigMap {
    public let what: String
    public let node: ConfigNode
    public let entries: [(key: String, keyNode: ConfigNode, value: ConfigNode)]

    public subscript(key: String) -> ConfigNode? { entries.first { $0.key == key }?.value }
    public var keys: [String] { entries.map(\.key) }

    /// The value of a key that must be present (reports an error at the mapping's line otherwise).
    public func required(_ key: String) -> ConfigNode? {
        if let v = self[key] { return v }
        node.diagnostics.error("\(what): missing required key '\(key)'", at: node)
        return nil
    }

    static func closest(_ word: String, among options: [String]) -> String? {
        func distance(_ a: String, _ b: String) -> Int {
            let a = Array(a), b = Array(b)
            var prev = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var cur = [i] + Array(repeating: 0, count: b.count)
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                prev = cur
            }
            return prev[b.count]
        }
        let best = options.map { ($0, distance(word, $0)) }.min { $0.1 < $1.1 }
        guard let best, best.1 <= 2 else { return nil }
        return best.0
    }
}

extension ConfigNode {
    /// A bit width: 1–16, or 32 or `float` for float.
    public func bits(_ what: String) -> BitWidth? {
        guard let t = scalarText(what) else { return nil }
        if let b = BitWidth(text: t) { return b }
        if let v = Int(t) {
            diagnostics.error("\(what) \(v) is out of range; expected a bit width \(BitWidth.expected)", at: self)
        } else {
            diagnostics.error("\(what) '\(t)' is not a bit width; expected \(BitWidth.expected)", at: self)
        }
        return nil
    }
}
