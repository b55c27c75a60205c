import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import ONNXImport
import Results

/// The expansion of a sweep over a graph network: the `mobilenet-v2` preset, or an ONNX model (imported here,
/// once per size, its SHA-256 in every case's weights label and so in its id and cache key).
///
/// The grid is sizes × precisions × act_bits × kernels × conventions (no blocks axis: a graph's blocks are
/// fixed by the network). A precision sets the weight bits of every convolution and gemm of the named blocks
/// (a per-block list has one entry per block, in block order), act_bits their output bits; `stem_bits` and
/// `classifier_bits` set the first and last weight layers (which must stand outside the blocks), and
/// `layer_bits` rules apply last. An ONNX model's default size is its own input size. Counts are the graph's
/// (`GraphCost`).
extension SweepPlan {
    static func expandGraph(_ spec: SweepSpec, maxCases: Int) throws -> SweepPlan {
        let family = spec.network.value
        let netOrigin = spec.network.origin
        let bound = countBound(spec)
        guard bound <= maxCases else {
            throw ConfigError([ConfigIssue(file: spec.file, line: nil, message: "the grid has \(bound) cases (\(max(spec.sizes.count, 1)) sizes × \(spec.precisions.count) precisions × \(spec.actBits.count) act_bits × \(spec.conventions.count) conventions × \(max(spec.kernels.count, 1)) kernels, before exclusions), more than the limit of \(maxCases); narrow an axis, or raise the limit with --max-cases \(bound)")])
        }
        var issues: [ConfigIssue] = []
        func issue(_ o: SpecOrigin, _ message: String) {
            let i = ConfigIssue(file: o.file, line: o.line, message: message)
            if !issues.contains(i) { issues.append(i) }
        }
        var warnings: [String] = []

        // Weights, and for an ONNX model the model itself at its own size (its blocks and default size).
        let weights: EvaluationJob.Weights
        var sizes = spec.sizes
        var modelPath = ""
        switch family {
        case .onnx(let path):
            modelPath = spec.resolve(path)
            guard let digest = Digest.sha256(file: modelPath) else {
                throw ConfigError([ConfigIssue(file: netOrigin.file, line: netOrigin.line, message: "network model '\(path)' cannot be read")])
            }
            weights = .onnx(path: modelPath, sha256: digest)
            if sizes.isEmpty {
                do {
                    let m = try GraphNetworks.importONNX(path: modelPath)
                    guard m.fixedSize else {
                        throw ConfigError([ConfigIssue(file: spec.file, line: nil, message: "sizes: \(path) does not fix its input size; give sizes (e.g. sizes: [224])")])
                    }
                    sizes = [Located(m.inputSize, at: netOrigin)]
                } catch let e as SpecError {
                    throw ConfigError([ConfigIssue(file: netOrigin.file, line: netOrigin.line, message: "network model: \(e.message)")])
                }
            }
        default:
            weights = try specWeights(spec)
        }

        // The imported model per size (a fixed-size model refuses other sizes: one line at that size).
        var models: [Int: ImportedModel] = [:]
        func base(size: Located<Int>) -> GraphNetwork? {
            guard case .onnx(let path) = family else { return nil }
            if let m = models[size.value] { return m.network }
            do {
                let m = try GraphNetworks.importONNX(path: modelPath, size: size.value)
                models[size.value] = m
                return m.network
            } catch {
                issue(size.origin, "size \(size.value) with network model '\(path)': \(error)")
                return nil
            }
        }

        let points = try gridPoints(spec, sizes: sizes, blocks: nil, warnings: &warnings, issues: &issues)

        let namesKernels = Set(points.map(\.kernels.value)).count > 1
        let preprocessing = spec.preprocessing
        let preprocessOrigin = spec.preprocess?.origin ?? netOrigin
        var cases: [SweepCase] = []
        var seen = Set<String>()
        for p in points {
            let size = p.size.value
            // The network with the point's precision; each problem at the line that caused it.
            let precision = GraphPrecision(bits: p.precision.value, actBits: p.act.value, stemBits: spec.stemBits,
                                           classifierBits: spec.classifierBits, inputBits: spec.inputBits)
            var g: GraphNetwork
            do {
                switch family {
                case .graphPreset:
                    g = try GraphNetworks.mobileNetV2(width: spec.width, classes: spec.classes, precision: precision)
                default:
                    guard let b = base(size: p.size) else { continue }
                    g = try GraphNetworks.applying(precision, to: b, model: family.name, names: .specKeys)
                }
            } catch {
                let o = "\(error)".hasPrefix("act") ? p.act.origin : p.precision.origin
                let names = models[size]?.network.blocks
                    ?? (try? GraphNetworks.mobileNetV2(width: spec.width, precision: GraphPrecision()).blocks) ?? []
                issue(o, "precision \(p.precision.value), act_bits \(p.act.value) for \(family.name) (\(blockList(names))): \(error)")
                continue
            }
            do {
                g = try g.settingLayerBits(spec.layerBits.map(\.value))
            } catch {
                let text = "\(error)"
                let rule = spec.layerBits.first { text.contains("'\($0.value.pattern)'") } ?? spec.layerBits.first
                issue(rule?.origin ?? netOrigin, "network layer_bits: \(text)")
                continue
            }
            do {
                try preprocessing.validate(channels: g.inputChannels, size: size)
            } catch {
                issue(preprocessOrigin, "network preprocess at size \(size): \(error)")
                continue
            }
            let report: GraphCostReport
            do {
                report = try g.cost(inputSize: size, convention: p.convention.value)
            } catch {
                issue(p.size.origin, "size \(size) with \(family.name): \(error)")
                continue
            }
            let weightLayers = g.layers.filter { $0.op.hasWeights }
            func perBlock(_ value: (GraphLayer) -> BitWidth?) -> [BitWidth] {
                g.blocks.indices.map { b in g.layers.first { $0.block == b && value($0) != nil }.flatMap(value) ?? .float }
            }
            let stem = weightLayers.first.flatMap { $0.block == nil ? $0.bits : nil }
            let classifier = weightLayers.last.map { $0.block == nil ? $0.bits : BitWidth.float } ?? .float
            let config = CaseConfig(
                family: family.name, size: size, blocks: g.blocks.count,
                weightPrecision: ResolvedPrecision(policy: p.precision.value, blocks: perBlock { $0.op.hasWeights ? $0.bits : nil }),
                actPrecision: ResolvedPrecision(policy: p.act.value, blocks: perBlock { $0.actBits }),
                width: spec.width, stemBits: stem, classifierBits: classifier, convention: p.convention.value,
                quantization: spec.quantization, weights: weights.label, kernels: namesKernels ? p.kernels.value : nil,
                calibration: spec.calibration)
            let network = CaseNetwork.graph(GraphCase(network: g, classes: GraphNetworks.classes(report), preprocessing: preprocessing))
            let id = caseID(config: config, network: network)
            if !seen.insert(id).inserted { continue }
            var job = EvaluationJob(network: network, size: size, quantization: spec.quantization, weights: weights,
                                    batch: spec.batch, threads: 1, kernels: p.kernels.value)
            job.calibration = spec.calibration
            cases.append(SweepCase(index: cases.count, id: id, config: config, network: network,
                                   cost: .graph(GraphCaseCost(report)), job: job, group: groupKey(job)))
        }
        if !issues.isEmpty { throw ConfigError(issues) }
        return SweepPlan(spec: spec, cases: cases, warnings: warnings)
    }

    /// `18 blocks: features.1 … features.18`, for messages.
    static func blockList(_ names: [String]) -> String {
        guard let first = names.first, let last = names.last else { return "no named blocks" }
        return names.count == 1 ? "1 block: \(first)" : "\(names.count) blocks: \(first) … \(last)"
    }
}
