import BitOpsCore
import Foundation
import Presentation
import Results

/// Stable, meaningful file names for a report's figures and tables, derived from what they show.
///
/// A name is the chart or table kind followed by the fixed settings of the cases it shows, each written
/// as `<axis><value>` and joined with `_`: `bitops-vs-size_blocks5_act32`, `layerwise_size32_blocks5_w8_act32`.
/// The grid axes (size, blocks, weight precision, activation precision) are always written when fixed;
/// the other settings only when they differ from their default (convention `weight`, family `seed`, width
/// 1.0, `per-tensor` quantization). So a name depends only on the cases it shows: adding a size, a block
/// count or a convention to the grid never renames the files of the other cases.
public enum FileNames {
    /// The settings in the order names write them.
    static let order = ["size", "blocks", "precision", "act", "convention", "family", "width", "quantization", "kernels"]

    /// A precision as a file-name word: `8` → `8`, float → `32` (its counted bits, as spec files may write
    /// it), first-last(8,2) → `fl8-2`, the list 8,4,2,4,8 → `8-4-2-4-8`, `model`.
    static func precisionWord(_ p: PrecisionPolicy) -> String {
        let word: String
        switch p {
        case .uniform(.float): return String(BitWidth.float.countedBits)
        case .uniform(let b): word = b.description
        case .firstLast(let e, let i): word = "fl\(e)-\(i)"
        case .perBlock(let l):
            // A list of one float block carries the label `float`, as the uniform policy does.
            if l == [.float] { return String(BitWidth.float.countedBits) }
            word = l.map(\.description).joined(separator: "-")
        case .model: word = "model"
        }
        return Escape.fileComponent(word, maxLength: 40)
    }

    /// `<axis><value>` for one setting of `c`, or nil when the setting is at its default and names leave it out.
    static func word(_ key: String, _ c: CaseConfig) -> String? {
        switch key {
        case "size": return "size\(c.size)"
        case "blocks": return "blocks\(c.blocks)"
        case "precision": return "w" + precisionWord(c.weightPrecision.policy)
        case "act": return "act" + precisionWord(c.actPrecision.policy)
        case "convention": return c.convention.rawValue == "weight" ? nil : Escape.fileComponent(c.convention.rawValue)
        case "family": return c.family == "seed" ? nil : Escape.fileComponent(c.family)
        case "width": return c.width == 1 ? nil : "width" + CaseSelector.widthText(c.width)
        case "quantization": return c.quantization == .perTensor ? nil : Escape.fileComponent(c.quantization.rawValue)
        case "kernels": return c.kernels.map { "k" + $0.rawValue }
        default: return nil
        }
    }

    /// `kind_<settings>` for a set of cases that share every setting outside `excluding` (the settings
    /// that vary within the chart). Settings that nevertheless differ among `cases` are left out.
    public static func name(_ kind: String, cases: [CaseResult], excluding: Set<String> = []) -> String {
        guard let first = cases.first else { return kind }
        let words = order.filter { !excluding.contains($0) }.compactMap { key -> String? in
            let v = CaseSelector.value(of: key, in: first.config)
            guard cases.allSatisfy({ CaseSelector.value(of: key, in: $0.config) == v }) else { return nil }
            return word(key, first.config)
        }
        return ([kind] + words).joined(separator: "_")
    }

    /// `kind_<every setting of the case>`: `layerwise_size32_blocks5_w8_act32`.
    public static func name(_ kind: String, case c: CaseResult) -> String { name(kind, cases: [c]) }
}
