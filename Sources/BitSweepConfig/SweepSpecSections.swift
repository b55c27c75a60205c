import BitOpsCore
import Foundation

// `SweepSpecReader.read` in sections: each reads its own keys from the spec's nodes (after `--set`
// overrides) and keeps its own problems; `read` runs them in the order below, so the problems the nodes'
// diagnostics collect, and the sections' own, are listed in the order the keys are read, all at once.
extension SweepSpecReader {
    /// The spec's nodes after `--set` overrides: the value of each top-level key and of each `network:` key,
    /// from the file unless overridden.
    struct SpecNodes {
        let file: String
        var top: [String: ConfigNode] = [:]
        var networkNodes: [String: ConfigNode] = [:]
        var networkOrigin: SpecOrigin

        init(root: ConfigNode, file: String, overrides: [Override]) {
            self.file = file
            networkOrigin = SpecOrigin(file: file, line: root.line)
            if let m = root.mapping("sweep spec", allowed: topKeys) {
                for (k, _, v) in m.entries { top[k] = v }
            }
            if let n = top["network"] {
                networkOrigin = origin(n)
                if !overrides.contains(where: { $0.path == ["network"] }), let m = n.mapping("network", allowed: networkKeys) {
                    for (k, _, v) in m.entries { networkNodes[k] = v }
                }
            }
            for o in overrides {
                // `kernels` is one setting written in either place: an override of one replaces the file's other.
                if o.path == ["kernels"], !overrides.contains(where: { $0.path == ["network", "kernels"] }) {
                    networkNodes["kernels"] = nil
                }
                if o.path == ["network", "kernels"], !overrides.contains(where: { $0.path == ["kernels"] }) {
                    top["kernels"] = nil
                }
                if o.path.count == 1 {
                    top[o.path[0]] = o.node
                    if o.path[0] == "network" {
                        networkNodes = [:]
                        networkOrigin = origin(o.node)
                        if let m = o.node.mapping("network", allowed: networkKeys) {
                            for (k, _, v) in m.entries { networkNodes[k] = v }
                        }
                    }
                } else {
                    networkNodes[o.path[1]] = o.node
                    // Choosing the family on the command line replaces the file's choice.
                    let other = o.path[1] == "model" ? "preset" : o.path[1] == "preset" ? "model" : nil
                    if let other, !overrides.contains(where: { $0.path == ["network", other] }) {
                        networkNodes[other] = nil
                    }
                }
            }
        }

        /// A path as written in the spec, resolved against the spec file's folder.
        func resolve(_ t: String) -> String {
            t.hasPrefix("/") ? t : ((file as NSString).deletingLastPathComponent as NSString).appendingPathComponent(t)
        }

        /// A top-level key naming a file relative to the spec (`budgets`, `history`): nil without the key or
        /// when the name is empty or `check` (given the name, its resolved path and where it was written)
        /// finds problems with the file; the problems.
        func fileKey(_ key: String, expected: String,
                     check: (_ name: String, _ path: String, _ at: SpecOrigin) -> [ConfigIssue]) -> (Located<String>?, [ConfigIssue]) {
            guard let n = top[key], let t = n.string(key) else { return (nil, []) }
            let at = origin(n)
            if t.isEmpty { return (nil, [at.issue("\(key): the file name is empty; expected \(expected)")]) }
            let problems = check(t, resolve(t), at)
            return (problems.isEmpty ? Located(t, at: at) : nil, problems)
        }

        /// Where a node is: its file and line, or the `--set` text (no line) for an override.
        func origin(_ n: ConfigNode) -> SpecOrigin {
            SpecOrigin(file: n.diagnostics.file, line: n.diagnostics.file == file ? n.line : nil)
        }
    }

    /// `name` (the results folder's name) and `images` (the images folder).
    struct NamesSection {
        var name: Located<String>
        var images: Located<String>
        /// Problems between values (the nodes' diagnostics hold the rest).
        var issues: [ConfigIssue]

        init(_ s: SpecNodes) {
            let file = s.file, top = s.top, origin = s.origin
            var extra: [ConfigIssue] = []
            let fileBase = URL(fileURLWithPath: file).deletingPathExtension().lastPathComponent
            let nameNode = top["name"]
            let name = Located(nameNode?.string("name") ?? fileBase, at: nameNode.map(origin) ?? SpecOrigin(file: file, line: nil))
            if name.value.isEmpty || name.value.contains("/") || name.value.hasPrefix(".") {
                extra.append(name.origin.issue("name '\(name.value)' must be a plain, non-empty folder name (no '/', not starting with '.')"))
            }
            let imagesNode = top["images"]
            let images = Located(imagesNode?.string("images") ?? "images", at: imagesNode.map(origin) ?? SpecOrigin(file: file, line: nil))
            if images.value.isEmpty { extra.append(images.origin.issue("images: the folder name is empty")) }
            self.name = name
            self.images = images
            issues = extra
        }
    }

    /// `network:`: the family (a preset or a model file) and its settings.
    struct NetworkSection {
        var family: Located<NetworkFamily>
        var preset: Preset?
        var modelSpec: NetworkSpec?
        var width: Double
        var stemBits: BitWidth?
        var classifierBits: BitWidth?
        var inputBits: BitWidth
        var classes: Int?
        var seed: Int
        var initialization: WeightInit
        var weights: Located<String>?
        var quantization: QuantGranularity
        /// `network.calibrate` (default fixed).
        var calibration: Calibration
        var layerBits: [Located<LayerBitsRule>]
        var preprocess: Located<Preprocessing>?
        /// Problems between values (the nodes' diagnostics hold the rest).
        var issues: [ConfigIssue]

        init(_ s: SpecNodes) {
            let networkNodes = s.networkNodes, networkOrigin = s.networkOrigin, origin = s.origin
            var extra: [ConfigIssue] = []
            var family: Located<NetworkFamily> = Located(.preset(.seed), at: networkOrigin)
            let presetNode = networkNodes["preset"], modelNode = networkNodes["model"]
            if let presetNode, modelNode != nil {
                extra.append(origin(presetNode).issue("network: give either preset or model, not both"))
            } else if let presetNode, let t = presetNode.string("network preset") {
                if let p = Preset(rawValue: t) {
                    family = Located(.preset(p), at: origin(presetNode))
                } else if let g = GraphPreset(rawValue: t) {
                    family = Located(.graphPreset(g), at: origin(presetNode))
                } else {
                    let all = Preset.allCases.map(\.rawValue) + GraphPreset.allCases.map(\.rawValue)
                    presetNode.diagnostics.error("network preset '\(t)' is unknown; expected one of \(all.joined(separator: ", "))", at: presetNode)
                }
            } else if let modelNode, let t = modelNode.string("network model"), t.lowercased().hasSuffix(".onnx") {
                // Imported when the plan is expanded (the import is the Sweep module's); here only its presence.
                let path = s.resolve(t)
                var isDir: ObjCBool = false
                if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) || isDir.boolValue
                    || !FileManager.default.isReadableFile(atPath: path) {
                    extra.append(origin(modelNode).issue("network model '\(t)' does not exist or cannot be read (looked for \(path)); expected an ONNX model file"))
                } else {
                    family = Located(.onnx(path: t), at: origin(modelNode))
                }
            } else if let modelNode, let t = modelNode.string("network model") {
                let path = s.resolve(t)
                do {
                    let spec = try ModelFile.load(path: path)
                    family = Located(.model(path: t, spec: spec), at: origin(modelNode))
                } catch let e as ConfigError {
                    extra.append(contentsOf: e.issues)
                    if !e.issues.contains(where: { $0.file == path && $0.line != nil }) {
                        extra.append(origin(modelNode).issue("network model '\(t)' could not be read (see above)"))
                    }
                } catch {
                    extra.append(origin(modelNode).issue("network model '\(t)': \(error)"))
                }
            }
            let preset: Preset? = { if case .preset(let p) = family.value { return p } else { return nil } }()
            let modelSpec: NetworkSpec? = { if case .model(_, let s) = family.value { return s } else { return nil } }()
            let onnx: Bool = { if case .onnx = family.value { return true } else { return false } }()
            let graph = family.value.isGraph

            var width = 1.0
            if let n = networkNodes["width"], let w = n.double("network width") {
                if preset != .mobilenetV1 && family.value != .graphPreset(.mobilenetV2) {
                    extra.append(origin(n).issue("network width applies to the mobilenet-v1 and mobilenet-v2 presets only"))
                } else if !(w > 0 && w <= 4) {
                    extra.append(origin(n).issue("network width \(w) is out of range; expected a multiplier in (0, 4], e.g. 1.0, 0.75, 0.5, 0.25"))
                } else {
                    width = w
                }
            }
            var stemBits: BitWidth?
            if let n = networkNodes["stem_bits"], let b = n.bits("network stem_bits") {
                if preset == .seed || (modelSpec != nil && modelSpec?.stem == nil) {
                    extra.append(origin(n).issue("network stem_bits \(b) given, but this network has no stem"))
                } else {
                    stemBits = b
                }
            }
            let classifierBits = networkNodes["classifier_bits"]?.bits("network classifier_bits")
            let inputBits = networkNodes["input_bits"]?.bits("network input_bits") ?? .bits(8)
            var classes = networkNodes["classes"]?.int("network classes", in: 1...1_000_000, expected: "a positive integer")
            if onnx, let n = networkNodes["classes"], classes != nil {
                extra.append(origin(n).issue("network classes does not apply to an ONNX model: its classifier fixes the classes"))
                classes = nil
            }
            let seed = networkNodes["seed"]?.int("network seed", in: 0...Int(Int32.max), expected: "an integer 0–\(Int32.max)") ?? 0
            var initialization = WeightInit.heNormal
            if let n = networkNodes["init"], let t = n.string("network init") {
                if let i = WeightInit(rawValue: t) { initialization = i } else {
                    n.diagnostics.error("network init '\(t)' is unknown; expected one of \(WeightInit.spellings)", at: n)
                }
            }
            var weights: Located<String>?
            if let n = networkNodes["weights"], let t = n.string("network weights") {
                let path = s.resolve(t)
                if onnx {
                    extra.append(origin(n).issue("network weights '\(t)' does not apply to an ONNX model: it carries its weights"))
                } else if !FileManager.default.isReadableFile(atPath: path) {
                    extra.append(origin(n).issue("network weights '\(t)' does not exist or cannot be read (looked for \(path))"))
                } else {
                    weights = Located(t, at: origin(n))
                }
            }
            var quantization = QuantGranularity.perTensor
            if let n = networkNodes["quantization"], let t = n.string("network quantization") {
                if let q = QuantGranularity(rawValue: t) { quantization = q } else {
                    n.diagnostics.error("network quantization '\(t)' is unknown; expected one of \(QuantGranularity.spellings)", at: n)
                }
            }
            // layer_bits: pattern → bits (graph networks).
            var layerBits: [Located<LayerBitsRule>] = []
            if let n = networkNodes["layer_bits"] {
                if !graph {
                    extra.append(origin(n).issue("network layer_bits applies to graph networks (mobilenet-v2, ONNX models); set a block-form network's precision with precisions, stem_bits and classifier_bits"))
                } else if case .mapping(let m) = n.node {
                    for (k, v) in m {
                        let kn = n.child(k), vn = n.child(v)
                        guard let pattern = kn.string("network layer_bits pattern") else { continue }
                        if pattern.isEmpty {
                            kn.diagnostics.error("network layer_bits: an empty pattern matches no layer", at: kn)
                            continue
                        }
                        if let b = vn.bits("network layer_bits for '\(pattern)'") {
                            layerBits.append(Located(LayerBitsRule(pattern: pattern, bits: b), at: origin(kn)))
                        }
                    }
                } else {
                    n.diagnostics.error("network layer_bits must be a mapping of layer-name patterns to bits, e.g. {\"features.*.conv.0.*\": 4}", at: n)
                }
            }
            // preprocess: the model's sidecar, with the spec's keys over it (graph networks).
            var preprocess: Located<Preprocessing>?
            if case .onnx(let t) = family.value {
                let sidecar = PreprocessFile.sidecar(of: s.resolve(t))
                do {
                    if let p = try PreprocessFile.loadSidecar(of: s.resolve(t)) {
                        preprocess = Located(p, at: SpecOrigin(file: sidecar, line: nil))
                    }
                } catch let e as ConfigError {
                    extra.append(contentsOf: e.issues)
                } catch {
                    extra.append(SpecOrigin(file: sidecar, line: nil).issue("\(error)"))
                }
            }
            if let n = networkNodes["preprocess"] {
                if !graph {
                    extra.append(origin(n).issue("network preprocess applies to graph networks (mobilenet-v2, ONNX models); block-form networks take the seed's pipeline (resize to the size, [0, 1])"))
                } else if let m = n.mapping("network preprocess", allowed: PreprocessFile.keys) {
                    var p = preprocess?.value ?? .seedDefault
                    PreprocessFile.apply(m, to: &p, what: "network preprocess ")
                    preprocess = Located(p, at: origin(n))
                }
            }
            self.layerBits = layerBits
            self.preprocess = preprocess
            self.family = family
            self.preset = preset
            self.modelSpec = modelSpec
            self.width = width
            self.stemBits = stemBits
            self.classifierBits = classifierBits
            self.inputBits = inputBits
            self.classes = classes
            self.seed = seed
            self.initialization = initialization
            self.weights = weights
            self.quantization = quantization
            var calibration = Calibration.fixed
            if let n = networkNodes["calibrate"], let t = n.string("network calibrate") {
                if let c = Calibration(t) { calibration = c } else {
                    n.diagnostics.error("network calibrate '\(t)': expected \(Calibration.expected)", at: n)
                }
            }
            self.calibration = calibration
            issues = extra
        }
    }

    /// The axes of the grid: `sizes`, `blocks`, `precisions`, `act_bits`, `conventions`, `kernels` (each defaults
    /// to the network family's value; `kernels` to auto, and it may instead be given once as `network.kernels`).
    /// Their problems are all in the nodes' diagnostics.
    struct AxesSection {
        var sizes: [Located<Int>]
        /// The block counts this network allows, and how a problem with one names them.
        var blockRange: ClosedRange<Int>
        var blocksWhat: String
        var blocks: [Located<Int>]
        var precisions: [Located<PrecisionPolicy>]
        var actBits: [Located<PrecisionPolicy>]
        var conventions: [Located<BitOpsConvention>]
        var kernels: [Located<Kernels>]
        /// Problems between values (the nodes' diagnostics hold the rest).
        var issues: [ConfigIssue] = []

        init(_ s: SpecNodes, network: NetworkSection) {
            let file = s.file, top = s.top, origin = s.origin
            let preset = network.preset, modelSpec = network.modelSpec
            let family = network.family.value
            // An ONNX model's default size is its own (known once it is imported, when the plan is expanded).
            let defaultSizes: [Located<Int>]
            switch family {
            case .onnx: defaultSizes = []
            case .graphPreset(let g): defaultSizes = [Located(g.defaultSize, at: SpecOrigin(file: file, line: nil))]
            default: defaultSizes = [Located(preset?.defaultSize ?? 32, at: SpecOrigin(file: file, line: nil))]
            }
            let sizes = axis(top["sizes"], "sizes", origin: origin) { n in
                n.int("size", in: 1...16384, expected: "a size in pixels, 1–16384")
            } ?? defaultSizes

            let blockRange: ClosedRange<Int> = preset?.blockRange ?? 1...(modelSpec?.blocks.count ?? 1)
            let blocksWhat = preset.map { "blocks for the \($0.rawValue) preset" } ?? "blocks for this model (its first N blocks)"
            if family.isGraph, let n = top["blocks"] {
                n.diagnostics.error("blocks does not apply to \(family.name): a graph network's blocks are fixed by the network; remove the key (set their precision with precisions and network.layer_bits)", at: n)
            }
            let blocks = family.isGraph ? [] : axis(top["blocks"], "blocks", origin: origin) { n -> Int? in
                guard let v = n.int("blocks", expected: "a block count") else { return nil }
                if preset != nil || modelSpec != nil, !blockRange.contains(v) {
                    n.diagnostics.error("\(blocksWhat): \(v) is out of range; expected \(blockRange.lowerBound)–\(blockRange.upperBound)", at: n)
                    return nil
                }
                return v
            } ?? [Located(preset?.defaultBlocks ?? modelSpec?.blocks.count ?? 5, at: SpecOrigin(file: file, line: nil))]

            let defaultPolicy: PrecisionPolicy = modelSpec != nil ? .model : .uniform(family.isGraph ? .bits(8) : preset?.defaultBits ?? 4)
            let precisions = axis(top["precisions"], "precisions", origin: origin) { policy($0, "precision", modelFamily: modelSpec != nil) }
                ?? [Located(defaultPolicy, at: SpecOrigin(file: file, line: nil))]
            let actBits = axis(top["act_bits"], "act_bits", origin: origin) { policy($0, "act_bits", modelFamily: modelSpec != nil) }
                ?? [Located(modelSpec != nil ? .model : .uniform(.float), at: SpecOrigin(file: file, line: nil))]
            let conventions = axis(top["conventions"], "conventions", origin: origin) { convention($0, "convention") }
                ?? [Located(BitOpsConvention.weight, at: SpecOrigin(file: file, line: nil))]
            var kernels = axis(top["kernels"], "kernels", origin: origin) { SweepSpecReader.kernels($0, "kernels") }
            if let n = s.networkNodes["kernels"] {
                if let axisNode = top["kernels"] {
                    n.diagnostics.error("network kernels: kernels is also given as an axis (at \(origin(axisNode))); give it once, as network.kernels (one value) or as kernels: (a list)", at: n)
                } else if let k = SweepSpecReader.kernels(n, "network kernels") {
                    kernels = [Located(k, at: origin(n))]
                }
            }
            self.kernels = kernels ?? [Located(Kernels.auto, at: SpecOrigin(file: file, line: nil))]
            self.sizes = sizes
            self.blockRange = blockRange
            self.blocksWhat = blocksWhat
            self.blocks = blocks
            self.precisions = precisions
            self.actBits = actBits
            self.conventions = conventions
        }
    }

    /// `exclude:` and `include:` entries (an included block count must be one the network allows).
    struct FiltersSection {
        var exclude: [GridEntry]
        var include: [GridEntry]
        /// Problems between values (the nodes' diagnostics hold the rest).
        var issues: [ConfigIssue]

        init(_ s: SpecNodes, network: NetworkSection, axes: AxesSection) {
            let top = s.top, origin = s.origin
            let preset = network.preset, modelSpec = network.modelSpec
            let blockRange = axes.blockRange, blocksWhat = axes.blocksWhat
            var extra: [ConfigIssue] = []
            let exclude = filters(top["exclude"], "exclude", origin: origin, modelFamily: modelSpec != nil)
            let include = filters(top["include"], "include", origin: origin, modelFamily: modelSpec != nil)
            if network.family.value.isGraph {
                for f in exclude + include where f.blocks != nil {
                    extra.append(f.origin.issue("blocks does not apply to \(network.family.value.name): a graph network's blocks are fixed by the network; remove blocks from this entry"))
                }
            }
            for f in include {
                if let b = f.blocks, preset != nil || modelSpec != nil, !blockRange.contains(b) {
                    extra.append(f.origin.issue("include: \(blocksWhat): \(b) is out of range; expected \(blockRange.lowerBound)–\(blockRange.upperBound)"))
                }
            }
            self.exclude = exclude
            self.include = include
            issues = extra
        }
    }

    /// `budgets:`: the budget profiles file must exist and hold valid profiles before anything runs.
    struct BudgetsSection {
        var budgets: Located<String>?
        /// Problems with the file or in it.
        var issues: [ConfigIssue]

        init(_ s: SpecNodes) {
            (budgets, issues) = s.fileKey("budgets", expected: "a budget profiles file (YAML), e.g. budgets.yaml") { t, path, at in
                var isDir: ObjCBool = false
                if !FileManager.default.fileExists(atPath: path, isDirectory: &isDir) || isDir.boolValue
                    || !FileManager.default.isReadableFile(atPath: path) {
                    return [at.issue("budgets '\(t)' does not exist or cannot be read (looked for \(path)); expected a budget profiles file (YAML)")]
                }
                do {
                    _ = try BudgetProfiles.load(path: path)
                    return []
                } catch let e as ConfigError {
                    return e.issues + [at.issue("budgets '\(t)': the profiles file has \(e.issues.count == 1 ? "an error" : "\(e.issues.count) errors") (see above)")]
                } catch {
                    return [at.issue("budgets '\(t)': \(error)")]
                }
            }
        }
    }

    /// `history:`: the nightly history database, a file name (created by the first run that adds to it).
    struct HistorySection {
        var history: Located<String>?
        /// Problems with the file name.
        var issues: [ConfigIssue]

        init(_ s: SpecNodes) {
            (history, issues) = s.fileKey("history", expected: "a history database file, e.g. ../Reports/history.sqlite") { t, path, at in
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else { return [] }
                return [at.issue("history '\(t)' is a folder (\(path)); expected a history database file, e.g. ../Reports/history.sqlite")]
            }
        }
    }
}
