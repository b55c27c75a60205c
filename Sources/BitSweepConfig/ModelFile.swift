import BitOpsCore
import Foundation

/// Model files (`--model FILE`): YAML, or JSON. Example:
///
/// ```yaml
/// input_channels: 3        # optional, default 3
/// classes: 10              # optional, default 10
/// classifier_bits: float   # optional, default float (32 also means float)
/// stem: {out_channels: 32, stride: 2, bits: 8}   # optional: a full 3×3 conv
/// blocks:
///   - {out_channels: 64, stride: 1, bits: 8}
///   - {out_channels: 128, stride: 2, bits: 4, act_bits: 8, kernel: 5}
///   - {out_channels: 128, stride: 1, bits: 4, depthwise_bits: 8}   # per layer: 8-bit depthwise, 4-bit pointwise
/// ```
/// `depthwise_bits` and `pointwise_bits` (optional) give one layer of a block other weight bits than the
/// block's `bits`; a sweep's precision other than `model` (and `--bits`) sets both layers again.
/// Unknown keys are errors; every problem is reported with its line, all at once.
public enum ModelFile {
    static let topKeys = ["name", "input_channels", "input_bits", "classes", "classifier_bits", "stem", "blocks"]
    static let blockKeys = ["out_channels", "stride", "bits", "act_bits", "kernel", "depthwise_bits", "pointwise_bits"]
    static let stemKeys = ["out_channels", "stride", "bits", "act_bits", "kernel"]

    /// Reads a model file. The network's name is the `name` key, or the file's base name.
    public static func load(path: String) throws -> NetworkSpec {
        let (root, d) = try ConfigNode.load(path: path)
        let fallbackName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try read(root, diagnostics: d, defaultName: fallbackName)
    }

    /// Parses model-file text (for tests and embedded specs).
    public static func parse(_ text: String, file: String = "<model>") throws -> NetworkSpec {
        let (root, d) = try ConfigNode.parse(text, file: file)
        return try read(root, diagnostics: d, defaultName: "model")
    }

    /// Reads a model description from a node (also used inside sweep specs).
    public static func read(_ root: ConfigNode, diagnostics d: Diagnostics, defaultName: String) throws -> NetworkSpec {
        guard let m = root.mapping("model file", allowed: topKeys) else { try d.check(); throw ConfigError(d.issues) }
        let name = m["name"]?.string("name") ?? defaultName
        let inputChannels = m["input_channels"]?.int("input_channels", in: 1...1_000_000, expected: "a positive integer") ?? 3
        let inputBits = m["input_bits"]?.bits("input_bits") ?? .bits(8)
        let classes = m["classes"]?.int("classes", in: 1...1_000_000, expected: "a positive integer") ?? 10
        let classifierBits = m["classifier_bits"]?.bits("classifier_bits") ?? .float
        var stem: StemSpec?
        if let s = m["stem"], let sm = s.mapping("stem", allowed: stemKeys) {
            let bits = sm.required("bits")?.bits("stem bits")
            stem = StemSpec(
                outChannels: sm["out_channels"]?.int("stem out_channels", in: 1...1_000_000, expected: "a positive integer") ?? 32,
                kernel: sm["kernel"].flatMap { oddKernel($0, "stem kernel") } ?? 3,
                stride: sm["stride"]?.int("stem stride", in: 1...64, expected: "a stride 1–64") ?? 2,
                bits: bits ?? .bits(8),
                actBits: sm["act_bits"]?.bits("stem act_bits") ?? .float)
        }
        var blocks: [BlockSpec] = []
        if let bl = m.required("blocks"), let items = bl.list("blocks") {
            if items.isEmpty { d.error("blocks: the list is empty; a network needs at least one block", at: bl) }
            for (i, item) in items.enumerated() {
                guard let bm = item.mapping("block \(i)", allowed: blockKeys) else { continue }
                let out = bm.required("out_channels")?.int("block \(i): out_channels", in: 1...1_000_000, expected: "a positive integer")
                let stride = bm.required("stride")?.int("block \(i): stride", in: 1...64, expected: "a stride 1–64")
                let bits = bm.required("bits")?.bits("block \(i): bits")
                let act = bm["act_bits"]?.bits("block \(i): act_bits") ?? .float
                let kernel = bm["kernel"].flatMap { oddKernel($0, "block \(i): kernel") } ?? 3
                let dw = bm["depthwise_bits"]?.bits("block \(i): depthwise_bits")
                let pw = bm["pointwise_bits"]?.bits("block \(i): pointwise_bits")
                if let out, let stride, let bits {
                    var b = BlockSpec(outChannels: out, stride: stride, bits: bits, actBits: act, kernel: kernel)
                    // Stored only where a layer differs from the block's bits (so a network's description and
                    // hash do not change when a file repeats `bits`).
                    b.depthwiseBits = dw == bits ? nil : dw
                    b.pointwiseBits = pw == bits ? nil : pw
                    blocks.append(b)
                }
            }
        }
        try d.check()
        let spec = NetworkSpec(name: name, inputChannels: inputChannels, inputBits: inputBits, stem: stem,
                               blocks: blocks, classes: classes, classifierBits: classifierBits)
        do { try spec.validate() } catch let e as SpecError {
            throw ConfigError([ConfigIssue(file: d.file, line: root.line, message: e.message)])
        }
        return spec
    }

    static func oddKernel(_ n: ConfigNode, _ what: String) -> Int? {
        guard let k = n.int(what, in: 1...31, expected: "an odd kernel size 1–31") else { return nil }
        guard k % 2 == 1 else {
            n.diagnostics.error("\(what) \(k) must be odd (padding is K/2 on each side)", at: n)
            return nil
        }
        return k
    }
}
