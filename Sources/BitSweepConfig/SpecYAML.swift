import Foundation
import Yams

/// The resolved sweep spec (`run.json`'s canonical JSON) written back as YAML, the way a spec file reads:
/// mappings one key per line, short lists and small mappings of scalars on one line (`sizes: [32, 64, 128]`,
/// `{edge: 8, inner: 2}`), strings quoted only where YAML needs it. For the report's appendix; the JSON stays the record.
public enum SpecYAML {
    /// `json` as block YAML, or nil when it is not JSON.
    public static func yaml(fromJSON json: String) -> String? {
        guard !json.isEmpty, let node = try? Yams.compose(yaml: json) else { return nil }
        return try? Yams.serialize(node: restyle(node, top: true), width: 100, allowUnicode: true)
    }

    /// Keys and values plain where YAML reads them back as the same thing: a JSON string that would read as
    /// a number, a boolean or null when unquoted (`"8"`, `"true"`) keeps its quotes. (The emitter itself
    /// quotes what plain style cannot hold, such as `a: b` or a leading `{`.)
    static func restyle(_ node: Node, top: Bool = false) -> Node {
        switch node {
        case var .scalar(s):
            let quotedString = s.style == .doubleQuoted || s.style == .singleQuoted
            let readsAsOther = Resolver.default.resolveTag(of: Node(s.string)) != .str
            s.style = quotedString && readsAsOther ? .doubleQuoted : .any
            return .scalar(s)
        case let .mapping(m):
            // A small mapping of scalars on one line, as spec files write them: `{edge: 8, inner: 2}`.
            let scalars = m.allSatisfy { if case .scalar = $0.value { return true }; return false }
            return .mapping(Node.Mapping(m.map { (restyle($0.key), restyle($0.value)) }, m.tag, !top && scalars && m.count <= 3 ? .flow : .block))
        case let .sequence(q):
            let scalars = q.allSatisfy { if case .scalar = $0 { return true }; return false }
            return .sequence(Node.Sequence(q.map { restyle($0) }, q.tag, scalars && q.count <= 12 ? .flow : .block))
        case .alias:
            return node
        }
    }
}
