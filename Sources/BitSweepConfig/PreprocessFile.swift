import BitOpsCore
import Foundation

/// A model's preprocessing sidecar: `m.preprocess.yaml` next to `m.onnx` (see `Preprocessing`). Example
/// (torchvision's ImageNet models):
///
/// ```yaml
/// resize: 256                      # shorter side, then a centre crop of the network's size
/// crop: 224                        # optional; must equal the input size
/// mean: [0.485, 0.456, 0.406]      # per channel, after scaling to [0, 1]
/// std: [0.229, 0.224, 0.225]
/// channel_order: rgb               # or bgr
/// ```
/// Every key is optional (missing keys keep the seed's default). Unknown keys and bad values are reported with
/// their line, all at once.
public enum PreprocessFile {
    static let keys = ["resize", "crop", "mean", "std", "channel_order"]

    /// The sidecar of `model`: the same path with its extension replaced by `.preprocess.yaml`.
    public static func sidecar(of model: String) -> String {
        let url = URL(fileURLWithPath: model)
        let base = url.deletingPathExtension().lastPathComponent + ".preprocess.yaml"
        let folder = (model as NSString).deletingLastPathComponent
        return folder.isEmpty ? base : folder + "/" + base
    }

    /// The sidecar of `model` if it exists, else nil.
    public static func loadSidecar(of model: String) throws -> Preprocessing? {
        let path = sidecar(of: model)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try load(path: path)
    }

    public static func load(path: String) throws -> Preprocessing {
        let (root, d) = try ConfigNode.load(path: path)
        return try read(root, diagnostics: d)
    }

    public static func parse(_ text: String, file: String = "<preprocess>") throws -> Preprocessing {
        let (root, d) = try ConfigNode.parse(text, file: file)
        return try read(root, diagnostics: d)
    }

    static func read(_ root: ConfigNode, diagnostics d: Diagnostics) throws -> Preprocessing {
        guard let m = root.mapping("preprocessing", allowed: keys) else { try d.check(); throw ConfigError(d.issues) }
        var p = Preprocessing()
        apply(m, to: &p)
        try d.check()
        return p
    }

    /// Sets the values `m` gives (each key replaces only its own value); problems go to the mapping's
    /// diagnostics, each message starting with `what` (`network preprocess ` in a sweep spec).
    static func apply(_ m: ConfigMap, to p: inout Preprocessing, what: String = "") {
        let d = m.node.diagnostics
        if let n = m["resize"] { p.resize = n.int(what + "resize", in: 1...16384, expected: "a side in pixels, 1–16384") }
        if let n = m["crop"] { p.crop = n.int(what + "crop", in: 1...16384, expected: "a side in pixels, 1–16384") }
        func triple(_ key: String, positive: Bool) -> [Double]? {
            guard let node = m[key] else { return nil }
            guard let items = node.list(what + key) else { return nil }
            guard items.count == 3 else {
                d.error("\(what)\(key) has \(items.count) values; expected 3 (one per channel)", at: node)
                return nil
            }
            let values = items.compactMap { $0.double(what + key) }
            guard values.count == 3 else { return nil }
            if positive, let bad = values.first(where: { $0 <= 0 }) {
                d.error("\(what)\(key) \(bad) must be positive", at: node)
                return nil
            }
            return values
        }
        if let mean = triple("mean", positive: false) { p.mean = mean }
        if let std = triple("std", positive: true) { p.std = std }
        if let node = m["channel_order"], let t = node.string(what + "channel_order") {
            if let o = Preprocessing.ChannelOrder(rawValue: t.lowercased()) {
                p.channelOrder = o
            } else {
                d.error("\(what)channel_order '\(t)' is not rgb or bgr", at: node)
            }
        }
    }
}
