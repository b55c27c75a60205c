import BitOpsCore
import Foundation
import StableIO

/// Sweep specifications (`bitsweep sweep SPEC`): the YAML side. This file reads and validates a spec into
/// plain values (`SweepSpec`); the `Sweep` module expands those values into cases and runs them.
///
/// ```yaml
/// name: demo                      # default: the file's base name
/// images: images                  # folder, relative to this file (default: images)
/// network:
///   preset: seed                  # seed | mobilenet-v1 | mobilenet-v2   — or   model: models/seed5-mixed.yaml
///   seed: 0                       # weight-initialisation seed
///   calibrate: minmax             # activation ranges: fixed (default) | minmax | percentile:P (on the case's images)
/// ```
///
/// Graph networks — the `mobilenet-v2` preset, or `model: path/to/model.onnx` (an imported ONNX model with
/// its own weights) — take the same axes except `blocks` (their blocks are fixed by the network), and three
/// keys of their own in `network:`:
///
/// ```yaml
/// network:
///   model: ../models/mnv2.onnx    # an ONNX model (its sidecar mnv2.preprocess.yaml is read when present)
///   layer_bits:                   # weight bits by layer-name pattern, over the precision (as --layer-bits)
///     "features.*.conv.0.*": 4
///   preprocess: {resize: 36, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225]}   # over the sidecar
/// ```
///
/// A per-block precision list has one entry per named block of the graph (`features.1`, …); `kernels:
/// integer` is refused (the graph executor runs float kernels).
///
/// ```yaml
/// sizes: [16, 32]
/// blocks: [2, 3, 4, 5]
/// precisions:                     # weight bits per case
///   - 8                           # a global bit-width
///   - uniform: 4                  # the same, spelled as a policy
///   - first-last: {edge: 8, inner: 2}
///   - [8, 4, 2, 4, 8]             # one per block: pairs only with blocks = 5
/// act_bits: [32, 8]               # same grammar as precisions
/// conventions: [weight, wa]
/// kernels: [float, auto]          # float | integer | auto (default auto); or one value as network.kernels
/// exclude:
///   - {size: 32, blocks: 2}
/// include:
///   - {size: 64, blocks: 5, precision: 4}
/// budgets: budgets.yaml           # optional: hardware-budget profiles for the report (relative to this file)
/// history: ../Reports/history.sqlite   # optional: nightly history database (sweep adds the run; report section)
/// ```
///
/// Every value is validated here, and every problem is reported at once as `file:line: message`; unknown
/// keys are errors. `--set key=value` overrides (papermill's `-p`) replace one key, parsed as YAML; nested
/// network keys are addressed as `network.preset`. Problems in an override name the override instead of a
/// line of the file.

/// Where a value came from: a line of the spec file, or a `--set` override.
public struct SpecOrigin: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public init(file: String, line: Int?) {
        self.file = file
        self.line = line
    }
    public var description: String { line.map { "\(file):\($0)" } ?? file }
    func issue(_ message: String) -> ConfigIssue { ConfigIssue(file: file, line: line, message: message) }
}

/// A value of a spec together with where it was written.
public struct Located<Value: Hashable & Sendable>: Hashable, Sendable {
    public var value: Value
    public var origin: SpecOrigin
    public init(_ value: Value, at origin: SpecOrigin) {
        self.value = value
        self.origin = origin
    }
}

extension BitWidth {
    /// The width as JSON-compatible plain data: `4` or `"float"`.
    public var plain: PlainValue {
        switch self {
        case .bits(let n): return .int(n)
        case .float: return .string("float")
        }
    }
}

extension PrecisionPolicy {
    /// The value as JSON-compatible plain data (for the resolved spec in `run.json`).
    public var plain: PlainValue {
        switch self {
        case .uniform(let b): return b.plain
        case .firstLast(let e, let i): return .map([("first-last", .map([("edge", e.plain), ("inner", i.plain)]))])
        case .perBlock(let l): return .list(l.map(\.plain))
        case .model: return .string("model")
        }
    }
}

/// A small JSON-like value used to print a resolved spec canonically.
public indirect enum PlainValue: Hashable, Sendable {
    case int(Int), double(Double), string(String), bool(Bool), null
    case list([PlainValue])
    case map([(String, PlainValue)])

    public static func == (a: PlainValue, b: PlainValue) -> Bool { a.json() == b.json() }
    public func hash(into h: inout Hasher) { h.combine(json()) }

    /// Canonical JSON with every object's keys sorted, no whitespace: what `run.json` stores and hashes
    /// (sorted, so that the object read back from `run.json` prints the same text).
    public func sortedJSON() -> String {
        switch self {
        case .list(let l): return "[" + l.map { $0.sortedJSON() }.joined(separator: ",") + "]"
        case .map(let m):
            let sorted = m.sorted { (a: (String, PlainValue), b: (String, PlainValue)) -> Bool in a.0 < b.0 }
            let members: [String] = sorted.map { (k: String, v: PlainValue) -> String in JSONText.quote(k) + ":" + v.sortedJSON() }
            return "{" + members.joined(separator: ",") + "}"
        default: return json()
        }
    }

    /// Plain data from what `JSONSerialization` returns (numbers become integers when they are whole).
    init(jsonObject o: Any) {
        switch o {
        case let d as [String: Any]: self = .map(d.map { ($0.key, PlainValue(jsonObject: $0.value)) })
        case let a as [Any]: self = .list(a.map { PlainValue(jsonObject: $0) })
        case let s as String: self = .string(s)
        case let n as NSNumber:
            let v = n.doubleValue
            self = v == v.rounded() && abs(v) < 1e15 ? .int(n.intValue) : .double(v)
        default: self = .null
        }
    }

    /// Canonical JSON: keys in the order given, no whitespace.
    public func json() -> String {
        switch self {
        case .int(let v): return String(v)
        case .double(let v): return v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
        case .string(let s): return JSONText.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        case .list(let l): return "[" + l.map { $0.json() }.joined(separator: ",") + "]"
        case .map(let m): return "{" + m.map { JSONText.quote($0.0) + ":" + $0.1.json() }.joined(separator: ",") + "}"
        }
    }

}

/// Where the network of every case comes from.
public enum NetworkFamily: Hashable, Sendable {
    case preset(Preset)
    /// A model file: its path as written, and the network it describes.
    case model(path: String, spec: NetworkSpec)
    /// A preset that is a graph network (`mobilenet-v2`).
    case graphPreset(GraphPreset)
    /// An ONNX model: its path as written (imported when the plan is expanded).
    case onnx(path: String)

    public var name: String {
        switch self {
        case .preset(let p): return p.rawValue
        case .model(_, let s): return s.name
        case .graphPreset(let p): return p.rawValue
        case .onnx(let path): return URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        }
    }

    /// Whether the cases are graph networks (`GraphNetwork`) rather than block lists (`NetworkSpec`).
    public var isGraph: Bool {
        switch self {
        case .preset, .model: return false
        case .graphPreset, .onnx: return true
        }
    }
}

/// One `include` or `exclude` entry: a value for some axes. In `exclude`, a case matches when it has every
/// given value; in `include`, the entry adds the cases with the given values crossed with every value of the
/// axes it leaves out.
public struct GridEntry: Hashable, Sendable {
    public var origin: SpecOrigin
    public var size: Int?
    public var blocks: Int?
    public var precision: PrecisionPolicy?
    public var actBits: PrecisionPolicy?
    public var convention: BitOpsConvention?
    public var kernels: Kernels?

    public init(origin: SpecOrigin, size: Int? = nil, blocks: Int? = nil, precision: PrecisionPolicy? = nil,
                actBits: PrecisionPolicy? = nil, convention: BitOpsConvention? = nil, kernels: Kernels? = nil) {
        self.kernels = kernels
        self.origin = origin
        self.size = size
        self.blocks = blocks
        self.precision = precision
        self.actBits = actBits
        self.convention = convention
    }

    public var plain: PlainValue {
        var m: [(String, PlainValue)] = []
        if let size { m.append(("size", .int(size))) }
        if let blocks { m.append(("blocks", .int(blocks))) }
        if let precision { m.append(("precision", precision.plain)) }
        if let actBits { m.append(("act_bits", actBits.plain)) }
        if let convention { m.append(("convention", .string(convention.rawValue))) }
        if let kernels { m.append(("kernels", .string(kernels.rawValue))) }
        return .map(m)
    }
}

/// A validated sweep specification: the axes, the fixed network settings, and where each value came from.
public struct SweepSpec: Sendable {
    /// The spec file's path as given.
    public var file: String
    public var name: Located<String>
    /// The images folder as written (relative paths are relative to the spec file's folder).
    public var images: Located<String>
    public var network: Located<NetworkFamily>
    /// mobilenet-v1 (and mobilenet-v2) width multiplier α.
    public var width: Double
    /// Stem weight bits (mobilenet-v1, or a model file with a stem); nil = the family's default.
    public var stemBits: BitWidth?
    /// Classifier weight bits; nil = the family's default.
    public var classifierBits: BitWidth?
    public var inputBits: BitWidth
    /// Classifier outputs; nil = the family's default.
    public var classes: Int?
    /// Weight-initialisation seed (ignored when `weights` is set).
    public var seed: Int
    /// How seeded weights are drawn (default he-normal).
    public var initialization: WeightInit
    /// A safetensors file with the weights, as written (relative to the spec file's folder).
    public var weights: Located<String>?
    public var quantization: QuantGranularity
    public var sizes: [Located<Int>]
    public var blocks: [Located<Int>]
    public var precisions: [Located<PrecisionPolicy>]
    public var actBits: [Located<PrecisionPolicy>]
    public var conventions: [Located<BitOpsConvention>]
    public var exclude: [GridEntry]
    public var include: [GridEntry]
    /// Images per engine batch.
    public var batch: Int
    /// The `--set` overrides applied, as given.
    public var overrides: [String]
    /// A hardware-budget profiles file for the report, as written (relative to the spec file's folder);
    /// read and checked when the spec is read. `budgetsPath` is the file to open.
    public var budgets: Located<String>? = nil

    /// The budgets file resolved against the spec's folder (what the report reads), or nil.
    public var budgetsPath: String? { budgets.map { resolve($0.value) } }

    /// A nightly history database (SQLite) as written (relative to the spec file's folder): `sweep` adds each
    /// finished run to it and the report gets a "History" section. It need not exist yet.
    public var history: Located<String>? = nil

    /// The history file resolved against the spec's folder, or nil.
    public var historyPath: String? { history.map { resolve($0.value) } }

    /// `search:`: a mixed-precision search `sweep` runs after the grid (the report's "Mixed-precision search").
    public var search: SweepSearchSpec? = nil

    /// Timing rounds as written (`repeats: N`), or nil: each case is timed `N` times, in rounds interleaved
    /// over the cases (`sweep --repeats` overrides it).
    public var repeats: Located<Int>? = nil

    /// The kernels the engine runs each case on (`kernels:` as an axis, or one value as `network.kernels`);
    /// default `[auto]`. A case's label and id name its kernels only when this axis has more than one value.
    public var kernels: [Located<Kernels>] = []

    /// How the quantized activations' ranges are chosen (`network.calibrate`: fixed, the default, minmax or
    /// percentile:P), measured per case on the case's images. A case's label and id name it only when it is
    /// not fixed.
    public var calibration: Calibration = .fixed
    /// `network.layer_bits` (graph networks): weight bits by layer-name pattern, each rule where it was written.
    public var layerBits: [Located<LayerBitsRule>] = []

    /// The preprocessing of a graph network's images: an ONNX model's sidecar (`m.preprocess.yaml`), with
    /// `network.preprocess` keys over it; nil for block-form networks (the seed's pipeline) and for a graph
    /// network without either (the seed's default). The origin is the key's line, or the sidecar file.
    public var preprocess: Located<Preprocessing>? = nil

    /// The preprocessing every case's images go through.
    public var preprocessing: Preprocessing { preprocess?.value ?? .seedDefault }

    /// The default number of timing rounds: 10. The timing verdict (`TimingVerdict`) needs at least 5 samples a
    /// side for any finite 99% interval of the shift (4 against 4 has none), and then the interval spans every
    /// one of the 25 sample ratios; 10 against 10 gives the interval from the 17th to the 84th of the 100 ratios
    /// (critical U = 16 at 0.01), so a few samples hit by a busy moment neither hide a real 30% slow-down nor
    /// make one. The default sweep's 81 cases take about ten times as long to time (seconds, not minutes).
    public static let defaultRepeats = 10

    /// The timing rounds this spec asks for: `repeats`, or `defaultRepeats`.
    public var timingRepeats: Int { repeats?.value ?? Self.defaultRepeats }

    /// The folder relative paths are resolved against.
    public var baseDirectory: String { (file as NSString).deletingLastPathComponent }

    /// A path as written in the spec, resolved against the spec's folder.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let base = baseDirectory
        return base.isEmpty ? path : (base as NSString).appendingPathComponent(path)
    }

    /// The spec as resolved (after overrides), as canonical JSON (keys sorted): what `run.json` records, as an
    /// object, and hashes.
    /// Paths are kept as written (so shards on machines with different mount points agree); a model file's
    /// network is included in full.
    public var resolvedJSON: String {
        var net: [(String, PlainValue)] = []
        switch network.value {
        case .preset(let p): net.append(("preset", .string(p.rawValue)))
        case .model(let path, let spec):
            net.append(("model", .string(path)))
            // A network value encodes without fail (ints, strings and nulls), and reads back as JSON.
            let data = (try? ModelJSON.encoder.encode(spec)) ?? Data()
            let object = (try? JSONSerialization.jsonObject(with: data)) ?? NSNull()
            net.append(("model_network", PlainValue(jsonObject: object)))
        case .graphPreset(let p): net.append(("preset", .string(p.rawValue)))
        case .onnx(let path): net.append(("model", .string(path)))
        }
        // Graph networks only (block-form specs keep their hash).
        if network.value.isGraph {
            net.append(("layer_bits", .map(layerBits.map { ($0.value.pattern, $0.value.bits.plain) })))
            let p = preprocessing
            net.append(("preprocess", .map([
                ("resize", p.resize.map { .int($0) } ?? .null), ("crop", p.crop.map { .int($0) } ?? .null),
                ("mean", .list(p.mean.map { .double($0) })), ("std", .list(p.std.map { .double($0) })),
                ("channel_order", .string(p.channelOrder.rawValue))])))
        }
        net.append(("width", .double(width)))
        net.append(("stem_bits", stemBits?.plain ?? .null))
        net.append(("classifier_bits", classifierBits?.plain ?? .null))
        net.append(("input_bits", inputBits.plain))
        net.append(("classes", classes.map { .int($0) } ?? .null))
        net.append(("seed", .int(seed)))
        net.append(("init", .string(initialization.rawValue)))
        net.append(("weights", weights.map { .string($0.value) } ?? .null))
        net.append(("quantization", .string(quantization.rawValue)))
        // Only when not the default (fixed), so that specs without it keep their hash.
        if calibration != .fixed { net.append(("calibrate", .string(calibration.description))) }
        let top: [(String, PlainValue)] = [
            ("name", .string(name.value)),
            ("images", .string(images.value)),
            ("network", .map(net)),
            ("sizes", .list(sizes.map { .int($0.value) })),
            ("blocks", .list(blocks.map { .int($0.value) })),
            ("precisions", .list(precisions.map { $0.value.plain })),
            ("act_bits", .list(actBits.map { $0.value.plain })),
            ("conventions", .list(conventions.map { .string($0.value.rawValue) })),
            ("exclude", .list(exclude.map(\.plain))),
            ("include", .list(include.map(\.plain))),
            ("batch", .int(batch)),
        ]
        // Only when given, so that specs without it keep their hash. Recorded resolved (a path from the
        // folder the sweep ran in), because `bitsweep report` reads it from run.json without the spec file.
        let budgetsEntry: [(String, PlainValue)] = budgetsPath.map { [("budgets", .string($0))] } ?? []
        let historyEntry: [(String, PlainValue)] = historyPath.map { [("history", .string($0))] } ?? []
        let searchEntry: [(String, PlainValue)] = search.map { [("search", $0.plain)] } ?? []
        let repeatsEntry: [(String, PlainValue)] = repeats.map { [("repeats", .int($0.value))] } ?? []
        // Only when not the default (auto), so that specs without it keep their hash.
        let kernelsEntry: [(String, PlainValue)] = kernels.map(\.value) == [.auto] || kernels.isEmpty ? []
            : [("kernels", .list(kernels.map { .string($0.value.rawValue) }))]
        return PlainValue.map(top + budgetsEntry + historyEntry + searchEntry + repeatsEntry + kernelsEntry).sortedJSON()
    }
}

enum ModelJSON {
    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

/// Reads sweep specifications.
public enum SweepSpecReader {
    public static let topKeys = ["name", "images", "network", "sizes", "blocks", "precisions", "act_bits",
                                 "conventions", "kernels", "exclude", "include", "batch", "budgets", "history", "search", "repeats"]
    public static let networkKeys = ["preset", "model", "width", "stem_bits", "classifier_bits", "input_bits",
                                     "classes", "seed", "init", "weights", "quantization", "kernels", "calibrate", "layer_bits",
                                     "preprocess"]
    static let filterKeys = ["size", "blocks", "precision", "act_bits", "convention", "kernels"]

    /// Reads `path`, applies `overrides` (`key=value`, value parsed as YAML), and validates everything.
    /// Throws a `ConfigError` listing every problem.
    public static func load(path: String, overrides: [String] = []) throws -> SweepSpec {
        let (root, d) = try ConfigNode.load(path: path)
        return try read(root, diagnostics: d, overrides: overrides)
    }

    /// Parses spec text as if read from `file` (tests, embedded specs).
    public static func parse(_ text: String, file: String = "<spec>", overrides: [String] = []) throws -> SweepSpec {
        let (root, d) = try ConfigNode.parse(text, file: file)
        return try read(root, diagnostics: d, overrides: overrides)
    }

    /// One parsed override: the key path and the value node (with its own diagnostics, naming the override).
    struct Override {
        var text: String
        var path: [String]
        var node: ConfigNode
        var diagnostics: Diagnostics
    }

    static func parseOverrides(_ overrides: [String], issues: inout [ConfigIssue]) -> [Override] {
        var out: [Override] = []
        for o in overrides {
            let label = "--set \(o)"
            guard let eq = o.firstIndex(of: "=") else {
                issues.append(ConfigIssue(file: label, line: nil, message: "expected key=value (e.g. sizes=[32,64])"))
                continue
            }
            let key = String(o[..<eq]).trimmingCharacters(in: .whitespaces)
            let value = String(o[o.index(after: eq)...])
            let path = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            if path.isEmpty || path.contains(where: \.isEmpty) {
                issues.append(ConfigIssue(file: label, line: nil, message: "empty key; expected key=value (e.g. sizes=[32,64])"))
                continue
            }
            let known: Bool
            switch path.count {
            case 1: known = topKeys.contains(path[0])
            case 2: known = path[0] == "network" && networkKeys.contains(path[1])
            default: known = false
            }
            if !known {
                let all = topKeys + networkKeys.map { "network.\($0)" }
                let hint = ConfigMap.closest(key, among: all).map { " (did you mean '\($0)'?)" } ?? ""
                issues.append(ConfigIssue(file: label, line: nil, message: "unknown key '\(key)'\(hint); expected one of \(all.joined(separator: ", "))"))
                continue
            }
            do {
                // An empty value is YAML null; give it as the empty string so that errors say what was expected.
                let (node, d) = try ConfigNode.parse(value.isEmpty ? "''" : value, file: label)
                out.append(Override(text: o, path: path, node: node, diagnostics: d))
            } catch let e as ConfigError {
                issues.append(contentsOf: e.issues.map { ConfigIssue(file: label, line: nil, message: $0.message) })
            } catch {
                issues.append(ConfigIssue(file: label, line: nil, message: "\(error)"))
            }
        }
        return out
    }

    /// Reads a parsed spec. All problems (of the file, of the overrides, and between values) are thrown at once.
    public static func read(_ root: ConfigNode, diagnostics d: Diagnostics, overrides overrideTexts: [String]) throws -> SweepSpec {
        var extra: [ConfigIssue] = []
        let overrides = parseOverrides(overrideTexts, issues: &extra)
        let file = d.file
        let nodes = SpecNodes(root: root, file: file, overrides: overrides)

        // Each section reads its keys in this order and keeps its own problems (see SweepSpecSections.swift).
        let names = NamesSection(nodes)
        let network = NetworkSection(nodes)
        let axes = AxesSection(nodes, network: network)
        let grid = FiltersSection(nodes, network: network, axes: axes)
        let batch = nodes.top["batch"]?.int("batch", in: 1...4096, expected: "images per batch, 1–4096") ?? 8
        var repeats: Located<Int>?
        if let n = nodes.top["repeats"], let r = n.int("repeats", in: 1...1000, expected: "timing rounds per case, 1–1000") {
            repeats = Located(r, at: nodes.origin(n))
        }
        let budgets = BudgetsSection(nodes)
        let history = HistorySection(nodes)
        // A graph network takes no search (one line below); its section is not read, so it adds no other problem.
        let search = network.family.value.isGraph ? nil : SearchSection(nodes, axes: axes).search
        extra += names.issues + network.issues + axes.issues + grid.issues + budgets.issues + history.issues
        if network.family.value.isGraph, let n = nodes.top["search"] {
            extra.append(nodes.origin(n).issue("search: the mixed-precision search takes block-form networks; \(network.family.value.name) is a graph network"))
        }

        // Gather problems from the file, from every override, and between values.
        var issues = d.issues
        for o in overrides { issues += o.diagnostics.issues.map { ConfigIssue(file: $0.file, line: nil, message: $0.message) } }
        issues += extra
        if !issues.isEmpty { throw ConfigError(issues) }
        var spec = SweepSpec(file: file, name: names.name, images: names.images, network: network.family, width: network.width, stemBits: network.stemBits,
                         classifierBits: network.classifierBits, inputBits: network.inputBits, classes: network.classes, seed: network.seed,
                         initialization: network.initialization, weights: network.weights, quantization: network.quantization,
                         sizes: axes.sizes, blocks: axes.blocks,
                         precisions: axes.precisions, actBits: axes.actBits, conventions: axes.conventions, exclude: grid.exclude,
                         include: grid.include, batch: batch, overrides: overrideTexts, budgets: budgets.budgets,
                         history: history.history, search: search, repeats: repeats, kernels: axes.kernels,
                         layerBits: network.layerBits, preprocess: network.preprocess)
        spec.calibration = network.calibration
        return spec
    }

    /// An axis: a non-empty list of distinct values (a single value is accepted as a list of one).
    static func axis<T: Hashable & Sendable>(_ node: ConfigNode?, _ what: String, origin: (ConfigNode) -> SpecOrigin,
                                             item: (ConfigNode) -> T?) -> [Located<T>]? {
        guard let node else { return nil }
        // A list of values, or one value standing for a list of one. For precisions this means that
        // `[8, 4, 2]` is three global precisions; a per-block list is written as an item: `[[8, 4, 2]]`.
        let items: [ConfigNode] = node.isSequence ? (node.list(what) ?? []) : [node]
        if items.isEmpty {
            node.diagnostics.error("\(what): the list is empty; give at least one value", at: node)
            return nil
        }
        var out: [Located<T>] = []
        var seen: [T: SpecOrigin] = [:]
        for i in items {
            guard let v = item(i) else { continue }
            let o = origin(i)
            if let first = seen[v] {
                i.diagnostics.error("\(what): \(v) is listed twice (first at \(first)); each value must appear once", at: i)
                continue
            }
            seen[v] = o
            out.append(Located(v, at: o))
        }
        return out
    }

    /// A precision: `4`, `uniform: 4`, `first-last: {edge: 8, inner: 4}`, `[8, 4, 2, 4, 8]`, or `model`.
    static func policy(_ n: ConfigNode, _ what: String, modelFamily: Bool) -> PrecisionPolicy? {
        let expected = "a bit-width (4), a per-block list ([8, 4, 2, 4, 8]), uniform: B, first-last: {edge: E, inner: B}" + (modelFamily ? ", or model" : "")
        if n.isScalar {
            if n.scalarText(what) == "model" {
                guard modelFamily else {
                    n.diagnostics.error("\(what) 'model' applies only to a network given as a model file", at: n)
                    return nil
                }
                return .model
            }
            guard let t = n.scalarText(what), Int(t) != nil || t == "float" else {
                n.diagnostics.error("\(what) '\(n.scalarText(what) ?? "")' is not a precision; expected \(expected)", at: n)
                return nil
            }
            return n.bits(what).map { .uniform($0) }
        }
        if n.isSequence {
            guard let items = n.list(what) else { return nil }
            if items.isEmpty {
                n.diagnostics.error("\(what): a per-block list is empty; expected one bit-width per block", at: n)
                return nil
            }
            let values = items.map { $0.bits("\(what) list entry") }
            if values.contains(where: { $0 == nil }) { return nil }
            return .perBlock(values.map { $0! })
        }
        guard let m = n.mapping(what, allowed: ["uniform", "first-last"]) else { return nil }
        guard m.entries.count == 1 else {
            if m.entries.count > 1 {
                n.diagnostics.error("\(what): give one policy per entry (uniform or first-last), not \(m.keys.joined(separator: " and "))", at: n)
            } else {
                n.diagnostics.error("\(what): empty policy; expected \(expected)", at: n)
            }
            return nil
        }
        let (key, _, value) = m.entries[0]
        switch key {
        case "uniform":
            return value.bits("\(what) uniform").map { .uniform($0) }
        default:
            guard let fm = value.mapping("\(what) first-last", allowed: ["edge", "inner"]) else { return nil }
            let edge = fm.required("edge")?.bits("\(what) first-last edge")
            let inner = fm.required("inner")?.bits("\(what) first-last inner")
            guard let edge, let inner else { return nil }
            return .firstLast(edge: edge, inner: inner)
        }
    }

    static func convention(_ n: ConfigNode, _ what: String) -> BitOpsConvention? {
        guard let t = n.string(what) else { return nil }
        guard let c = BitOpsConvention(rawValue: t) else {
            n.diagnostics.error("\(what) '\(t)' is unknown; expected one of \(BitOpsConvention.spellings)", at: n)
            return nil
        }
        return c
    }

    /// A kernel choice: `float`, `integer` or `auto`.
    static func kernels(_ n: ConfigNode, _ what: String) -> Kernels? {
        guard let t = n.string(what) else { return nil }
        guard let k = Kernels(rawValue: t) else {
            n.diagnostics.error("\(what) '\(t)' is unknown; expected one of \(Kernels.spellings)", at: n)
            return nil
        }
        return k
    }

    static func filters(_ node: ConfigNode?, _ what: String, origin: (ConfigNode) -> SpecOrigin, modelFamily: Bool) -> [GridEntry] {
        guard let node else { return [] }
        // `exclude:` with nothing after it (YAML null) is an empty list.
        if node.isScalar, ["", "~", "null"].contains(node.scalarText(what) ?? "x") { return [] }
        guard let items = node.list(what) else { return [] }
        var out: [GridEntry] = []
        for (i, item) in items.enumerated() {
            guard let m = item.mapping("\(what) entry \(i + 1)", allowed: filterKeys) else { continue }
            if m.entries.isEmpty {
                item.diagnostics.error("\(what) entry \(i + 1) is empty; give at least one of \(filterKeys.joined(separator: ", "))", at: item)
                continue
            }
            var f = GridEntry(origin: origin(item))
            var ok = true
            func take<T>(_ v: T?) -> T? { if v == nil { ok = false }; return v }
            if let n = m["size"] { f.size = take(n.int("\(what) size", in: 1...16384, expected: "a size in pixels, 1–16384")) }
            if let n = m["blocks"] { f.blocks = take(n.int("\(what) blocks", in: 1...1_000, expected: "a block count")) }
            if let n = m["precision"] { f.precision = take(policy(n, "\(what) precision", modelFamily: modelFamily)) }
            if let n = m["act_bits"] { f.actBits = take(policy(n, "\(what) act_bits", modelFamily: modelFamily)) }
            if let n = m["convention"] { f.convention = take(convention(n, "\(what) convention")) }
            if let n = m["kernels"] { f.kernels = take(kernels(n, "\(what) kernels")) }
            if case .perBlock(let l) = f.precision, let b = f.blocks, l.count != b {
                item.diagnostics.error("\(what) entry \(i + 1): precision list has \(l.count) entries but blocks is \(b)", at: item)
                ok = false
            }
            if case .perBlock(let l) = f.actBits, let b = f.blocks, l.count != b {
                item.diagnostics.error("\(what) entry \(i + 1): act_bits list has \(l.count) entries but blocks is \(b)", at: item)
                ok = false
            }
            if ok { out.append(f) }
        }
        return out
    }
}
