import BitSweepConfig
import Foundation

/// Where `bitsweep sweep` writes when no `--out` is given.
public enum ResultsFolder {
    /// `Reports/<name>` for a spec as written. With `--set` overrides, the spec's own folder is never used:
    /// the folder is named after the spec plus the overrides (`Reports/default+sizes=32,64`), so a variant
    /// cannot overwrite the spec's results. An override of `name` chooses the folder's name itself
    /// (`--set name=quick --set sizes=[32]` → `Reports/quick`). The name depends only on the overrides, in the
    /// order given, so the same command resumes in the same folder.
    public static func defaultPath(for spec: SweepSpec, under parent: String = "Reports") -> String {
        (parent as NSString).appendingPathComponent(defaultName(for: spec))
    }

    static func defaultName(for spec: SweepSpec) -> String {
        let named = spec.overrides.contains { key(of: $0) == "name" }
        let rest = spec.overrides.filter { key(of: $0) != "name" }
        if named || rest.isEmpty { return spec.name.value }
        let full = ([spec.name.value] + rest.map(slug)).joined(separator: "+")
        guard full.count > 120 else { return full }
        // Very long override lists: a readable prefix and a digest of the whole, still one folder per command.
        return String(full.prefix(100)) + "+" + String(Digest.sha256(Data(full.utf8)).prefix(12))
    }

    /// The key of a `key=value` override.
    static func key(of override: String) -> String {
        String(override.prefix { $0 != "=" }).trimmingCharacters(in: .whitespaces)
    }

    /// `sizes=[32, 64]` → `sizes=32,64`: brackets, braces, quotes and spaces dropped, `/` and `:` as `-`.
    static func slug(_ override: String) -> String {
        var out = ""
        for ch in override {
            if ch.isASCII && (ch.isLetter || ch.isNumber || "._,=-".contains(ch)) { out.append(ch) }
            else if ch == "/" || ch == ":" { out.append("-") }
            else if ch.isWhitespace || "[]{}\"'".contains(ch) { continue }
            else { out.append("_") }
        }
        return out
    }
}
