import CCairo
import Charts
import Foundation

/// Which installed face a font family name gets: Cairo's toy font API asks fontconfig, and fontconfig
/// always answers with *some* face — a family that is not installed silently becomes DejaVu Sans. Charts
/// call `FontCatalog.require` first, so that a misspelt or missing font is an error that names it.
public enum FontCatalog {
    /// Generic names fontconfig maps to an installed family by design; always accepted.
    public static let genericFamilies: Set<String> = ["sans-serif", "sans", "serif", "monospace", "mono"]

    /// The family names (all of them, e.g. `DejaVu Sans` and a localized alias) of the face fontconfig picks
    /// for `family` — the face Cairo draws with. Empty when fontconfig finds nothing at all.
    public static func matchedFamilies(_ family: String) -> [String] {
        guard let pattern = FcPatternCreate() else { return [] }
        defer { FcPatternDestroy(pattern) }
        _ = family.withCString { FcPatternAddString(pattern, FC_FAMILY, UnsafeRawPointer($0).assumingMemoryBound(to: FcChar8.self)) }
        FcConfigSubstitute(nil, pattern, FcMatchPattern)
        FcDefaultSubstitute(pattern)
        var result = FcResultNoMatch
        guard let match = FcFontMatch(nil, pattern, &result) else { return [] }
        defer { FcPatternDestroy(match) }
        var names: [String] = []
        var i: Int32 = 0
        var value: UnsafeMutablePointer<FcChar8>?
        while FcPatternGetString(match, FC_FAMILY, i, &value) == FcResultMatch, let value {
            names.append(String(cString: value))
            i += 1
        }
        return names
    }

    /// Every installed family name, sorted.
    public static func installedFamilies() -> [String] {
        guard let pattern = FcPatternCreate() else { return [] }
        defer { FcPatternDestroy(pattern) }
        guard let objects = FcObjectSetCreate() else { return [] }
        defer { FcObjectSetDestroy(objects) }
        _ = FcObjectSetAdd(objects, FC_FAMILY)
        guard let list = FcFontList(nil, pattern, objects) else { return [] }
        defer { FcFontSetDestroy(list) }
        var names: Set<String> = []
        for k in 0..<Int(list.pointee.nfont) {
            guard let font = list.pointee.fonts[k] else { continue }
            var value: UnsafeMutablePointer<FcChar8>?
            if FcPatternGetString(font, FC_FAMILY, 0, &value) == FcResultMatch, let value { names.insert(String(cString: value)) }
        }
        return names.sorted()
    }

    static func normalized(_ s: String) -> String { s.lowercased().filter { !$0.isWhitespace } }

    /// Throws `ChartError.font` naming `family` when it is not installed (fontconfig would substitute
    /// another face for it), with what it would get instead and the installed families.
    public static func require(_ family: String) throws {
        if genericFamilies.contains(family.lowercased()) { return }
        let matched = matchedFamilies(family)
        if matched.contains(where: { normalized($0) == normalized(family) }) { return }
        let installed = installedFamilies()
        let shown = installed.prefix(12).joined(separator: ", ") + (installed.count > 12 ? ", …" : "")
        throw ChartError.output("font \"\(family)\" is not installed (fontconfig would draw \(matched.first.map { "\"\($0)\"" } ?? "nothing") instead); installed families: \(shown) — `fc-list : family` lists them all")
    }
}
