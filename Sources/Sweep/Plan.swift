import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import Results

/// One fully resolved case of a sweep: its configuration, its network, its exact counts, and the engine job
/// that computes its fidelity.
public struct SweepCase: Sendable {
    /// Position in the expanded grid; results are written in this order.
    public var index: Int
    /// A stable hash of the configuration and the network (16 hex digits).
    public var id: String
    public var config: CaseConfig
    /// A block-form network, or a graph network (the mobilenet-v2 preset, an ONNX model).
    public var network: CaseNetwork
    /// Computed once, here: counts do not depend on images.
    public var cost: CaseCost
    /// The engine's work for this case (threads are set by the runner).
    public var job: EvaluationJob
    /// Cases with the same `group` share one engine evaluation (they differ only in the BitOps convention).
    public var group: String
}

/// The expanded grid of a spec. `expand` validates every case before anything runs.
public struct SweepPlan: Sendable {
    public var spec: SweepSpec
    public var cases: [SweepCase]
    /// Things worth saying that are not errors (an `exclude` entry that matches nothing, …).
    public var warnings: [String]

    /// The number of engine evaluations (distinct groups).
    public var groupCount: Int { Set(cases.map(\.group)).count }

    /// The grid is the product sizes × blocks × precisions × act_bits × kernels × conventions, in that nesting
    /// order (conventions innermost). A case's configuration names its kernels only when the cases ask for more
    /// than one kernel choice (so that a spec without a kernels axis keeps its case ids and labels); its engine
    /// job always carries the choice. A per-block list pairs only with its own block count. `exclude` entries then
    /// remove the cases they match; `include` entries add theirs (an entry's missing keys take every value of
    /// that axis). Cases with equal ids are kept once, at their first position.
    public static func expand(_ spec: SweepSpec, maxCases: Int = defaultMaxCases) throws -> SweepPlan {
        if spec.network.value.isGraph { return try expandGraph(spec, maxCases: maxCases) }
        let bound = countBound(spec)
        guard bound <= maxCases else {
            let axes = "\(spec.sizes.count) sizes × \(spec.blocks.count) blocks × \(spec.precisions.count) precisions × \(spec.actBits.count) act_bits × \(spec.conventions.count) conventions"
                + (spec.kernels.count > 1 ? " × \(spec.kernels.count) kernels" : "")
            throw ConfigError([ConfigIssue(file: spec.file, line: nil, message: "the grid has \(bound == Int.max ? "more than \(Int.max)" : String(bound)) cases (\(axes)\(spec.include.isEmpty ? "" : ", with include entries"), before exclusions), more than the limit of \(maxCases); narrow an axis, or raise the limit with --max-cases \(bound == Int.max ? "N" : String(bound))")])
        }
        var issues: [ConfigIssue] = []
        var warnings: [String] = []
        let weights = try specWeights(spec)
        let modelBits = modelFileBits(spec)
        // A per-block list pairs only with its own block count.
        let points = try gridPoints(spec, sizes: spec.sizes, blocks: spec.blocks, warnings: &warnings, issues: &issues) { p in
            p.precision.value.resolve(blocks: p.blocks!.value, modelBits: modelBits?.bits) != nil
                && p.act.value.resolve(blocks: p.blocks!.value, modelBits: modelBits?.act) != nil
        }

        // The kernels are part of a case's configuration (its id and label) only when the cases differ in them.
        let namesKernels = Set(points.map(\.kernels.value)).count > 1
        var cases: [SweepCase] = []
        var seen = Set<String>()
        for p in points {
            let n = p.blocks!.value
            let bits = ResolvedPrecision(policy: p.precision.value, blocks: p.precision.value.resolve(blocks: n, modelBits: modelBits?.bits)!)
            let act = ResolvedPrecision(policy: p.act.value, blocks: p.act.value.resolve(blocks: n, modelBits: modelBits?.act)!)
            let network: NetworkSpec
            do {
                network = try buildNetwork(spec, blocks: n, bits: bits.blocks, actBits: act.blocks,
                                           keepLayerBits: p.precision.value == .model)
            } catch {
                let o = p.precision.origin
                issues.append(ConfigIssue(file: o.file, line: o.line, message: "blocks \(n), precision \(p.precision.value), act_bits \(p.act.value): \(error)"))
                continue
            }
            let config = CaseConfig(
                family: spec.network.value.name, size: p.size.value, blocks: n, weightPrecision: bits,
                actPrecision: act, width: spec.width, stemBits: network.stem?.bits, classifierBits: network.classifierBits,
                convention: p.convention.value, quantization: spec.quantization, weights: weights.label,
                kernels: namesKernels ? p.kernels.value : nil, calibration: spec.calibration)
            let id = caseID(config: config, network: network)
            if !seen.insert(id).inserted { continue }
            let cost: CostReport
            do {
                cost = try network.cost(inputSize: p.size.value, convention: p.convention.value)
            } catch {
                let o = p.size.origin
                issues.append(ConfigIssue(file: o.file, line: o.line, message: "size \(p.size.value) with \(config.label): \(error)"))
                continue
            }
            var job = EvaluationJob(network: network, size: p.size.value, quantization: spec.quantization,
                                    weights: weights, batch: spec.batch, threads: 1, kernels: p.kernels.value)
            job.calibration = spec.calibration
            cases.append(SweepCase(index: cases.count, id: id, config: config, network: .block(network), cost: .block(cost),
                                   job: job, group: groupKey(job)))
        }
        if !issues.isEmpty { throw ConfigError(issues) }
        return SweepPlan(spec: spec, cases: cases, warnings: warnings)
    }

    /// Grids with more cases than this are refused before they are expanded, unless `--max-cases` raises it.
    public static let defaultMaxCases = 10_000

    /// The number of cases `expand` would make, by arithmetic alone (nothing is expanded): the grid's
    /// product plus every `include` entry's, where a per-block list counts only with its own block count.
    /// Exclusions and duplicates are not subtracted, so it is an upper bound, exact for a spec without
    /// `exclude` and `include`. Saturates at `Int.max`.
    public static func countBound(_ spec: SweepSpec) -> Int {
        // A graph network has no blocks axis, and an ONNX model without sizes runs at its own size.
        let graph = spec.network.value.isGraph
        let modelBits = modelFileBits(spec)
        func count(sizes: Int, blocks: [Int], precisions: [PrecisionPolicy], acts: [PrecisionPolicy], conventions: Int, kernels: Int) -> Int {
            var perSizeAndConvention = 0
            if graph {
                perSizeAndConvention = saturatingProduct(precisions.count, acts.count)
            } else {
                for b in blocks {
                    let p = precisions.filter { $0.resolve(blocks: b, modelBits: modelBits?.bits) != nil }.count
                    let a = acts.filter { $0.resolve(blocks: b, modelBits: modelBits?.act) != nil }.count
                    perSizeAndConvention = saturatingSum(perSizeAndConvention, saturatingProduct(p, a))
                }
            }
            return saturatingProduct(saturatingProduct(sizes, conventions, perSizeAndConvention), max(kernels, 1))
        }
        let sizes = graph ? max(spec.sizes.count, 1) : spec.sizes.count
        var total = count(sizes: sizes, blocks: spec.blocks.map(\.value), precisions: spec.precisions.map(\.value),
                          acts: spec.actBits.map(\.value), conventions: spec.conventions.count, kernels: spec.kernels.count)
        for f in spec.include {
            total = saturatingSum(total, count(
                sizes: f.size == nil ? sizes : 1,
                blocks: f.blocks.map { [$0] } ?? spec.blocks.map(\.value),
                precisions: f.precision.map { [$0] } ?? spec.precisions.map(\.value),
                acts: f.actBits.map { [$0] } ?? spec.actBits.map(\.value),
                conventions: f.convention == nil ? spec.conventions.count : 1,
                kernels: f.kernels == nil ? spec.kernels.count : 1))
        }
        return total
    }

    /// A model file's own weight and activation bits per block (what the `model` precision resolves to); nil
    /// for a preset.
    static func modelFileBits(_ spec: SweepSpec) -> (bits: [BitWidth], act: [BitWidth])? {
        if case .model(_, let s) = spec.network.value { return (s.blocks.map(\.bits), s.blocks.map(\.actBits)) }
        return nil
    }

    /// The weights of a preset or model file's cases: the spec's safetensors file (its digest in every case's
    /// id), or He-normal from the spec's seed.
    static func specWeights(_ spec: SweepSpec) throws -> EvaluationJob.Weights {
        guard let w = spec.weights else { return .seed(spec.seed, initialization: spec.initialization) }
        let path = spec.resolve(w.value)
        guard let digest = Digest.sha256(file: path) else {
            throw ConfigError([ConfigIssue(file: w.origin.file, line: w.origin.line, message: "network weights '\(w.value)' cannot be read")])
        }
        return .safetensors(path: path, sha256: digest)
    }

    /// The grid's points, before any network is built: the product sizes × blocks × precisions × act_bits ×
    /// kernels × conventions in that nesting order (conventions innermost; no blocks axis for a graph network,
    /// `blocks` nil), less the points `pairs` refuses; then `exclude` entries remove the points they match and
    /// `include` entries add theirs (an entry's missing keys take every value of that axis). Warns of an
    /// `exclude` entry that matches nothing and of a per-block list that pairs with no block count; an `include`
    /// entry that adds nothing is an issue; no point at all is an error.
    static func gridPoints(_ spec: SweepSpec, sizes: [Located<Int>], blocks: [Located<Int>]?, warnings: inout [String],
                           issues: inout [ConfigIssue], pairs: (GridPoint) -> Bool = { _ in true }) throws -> [GridPoint] {
        func product(sizes: [Located<Int>], blocks: [Located<Int>]?, precisions: [Located<PrecisionPolicy>],
                     acts: [Located<PrecisionPolicy>], kernels: [Located<Kernels>], conventions: [Located<BitOpsConvention>]) -> [GridPoint] {
            var out: [GridPoint] = []
            let blockValues: [Located<Int>?] = blocks ?? [nil]
            for s in sizes { for b in blockValues { for p in precisions { for a in acts { for k in kernels { for c in conventions {
                let pt = GridPoint(size: s, blocks: b, precision: p, act: a, convention: c, kernels: k)
                if pairs(pt) { out.append(pt) }
            } } } } } }
            return out
        }
        let kernelAxis = spec.kernels.isEmpty ? [Located(Kernels.auto, at: SpecOrigin(file: spec.file, line: nil))] : spec.kernels

        // A per-block list that pairs with no block count adds no case (say so: often a `--set blocks=…`).
        if let blocks {
            let blockValues = Set(blocks.map(\.value))
            for (axis, list) in [("precision", spec.precisions), ("act_bits", spec.actBits)] {
                for p in list {
                    if case .perBlock(let l) = p.value, !blockValues.contains(l.count) {
                        warnings.append("\(p.origin): \(axis) [\(p.value)] has \(l.count) entries, one per block, but no blocks value is \(l.count); it adds no case")
                    }
                }
            }
        }
        var points = product(sizes: sizes, blocks: blocks, precisions: spec.precisions, acts: spec.actBits,
                             kernels: kernelAxis, conventions: spec.conventions)
        for f in spec.exclude {
            let before = points.count
            points.removeAll { $0.matches(f) }
            if points.count == before {
                warnings.append("\(f.origin): exclude entry \(f.plain.json()) matches no case")
            }
        }
        for f in includedFilters(spec, warnings: &warnings) {
            let o = f.origin
            let added = product(
                sizes: f.size.map { [Located($0, at: o)] } ?? sizes,
                blocks: blocks.map { all in f.blocks.map { [Located($0, at: o)] } ?? all },
                precisions: f.precision.map { [Located($0, at: o)] } ?? spec.precisions,
                acts: f.actBits.map { [Located($0, at: o)] } ?? spec.actBits,
                kernels: f.kernels.map { [Located($0, at: o)] } ?? kernelAxis,
                conventions: f.convention.map { [Located($0, at: o)] } ?? spec.conventions)
            if added.isEmpty {
                issues.append(ConfigIssue(file: o.file, line: o.line, message: "include entry \(f.plain.json()) adds no case (a per-block list must have one entry per block)"))
            }
            points += added
        }
        if points.isEmpty && issues.isEmpty {
            let perBlock = blocks == nil ? "" : ", or no per-block list matches a block count"
            throw ConfigError([ConfigIssue(file: spec.file, line: nil, message: "the spec selects no case (every combination was excluded\(perBlock))")])
        }
        return points
    }

    /// The `include` entries that still apply. An axis given with `--set` narrows (or replaces) the grid the
    /// file's entries were written for: an entry that fixes a value outside such an axis is dropped, not run,
    /// and a warning names it (e.g. `--set sizes=[96,128]` drops `{size: 64, …}`).
    static func includedFilters(_ spec: SweepSpec, warnings: inout [String]) -> [GridEntry] {
        let overridden = Set(spec.overrides.map { String($0.prefix { $0 != "=" }).trimmingCharacters(in: .whitespaces) })
        return spec.include.filter { f in
            var outside: [String] = []
            if overridden.contains("sizes"), let v = f.size, !spec.sizes.contains(where: { $0.value == v }) { outside.append("size \(v)") }
            if overridden.contains("blocks"), let v = f.blocks, !spec.blocks.contains(where: { $0.value == v }) { outside.append("blocks \(v)") }
            if overridden.contains("precisions"), let v = f.precision, !spec.precisions.contains(where: { $0.value == v }) { outside.append("precision \(v)") }
            if overridden.contains("act_bits"), let v = f.actBits, !spec.actBits.contains(where: { $0.value == v }) { outside.append("act_bits \(v)") }
            if overridden.contains("conventions"), let v = f.convention, !spec.conventions.contains(where: { $0.value == v }) { outside.append("convention \(v.rawValue)") }
            if overridden.contains("kernels") || overridden.contains("network.kernels"), let v = f.kernels,
               !spec.kernels.contains(where: { $0.value == v }) { outside.append("kernels \(v.rawValue)") }
            if outside.isEmpty { return true }
            warnings.append("\(f.origin): include entry \(f.plain.json()) dropped: \(outside.joined(separator: ", ")) is outside the grid narrowed by --set")
            return false
        }
    }

    /// The network of one case. A model file's per-layer weight bits (`depthwise_bits`, `pointwise_bits`) are
    /// kept when the precision is `model` (`keepLayerBits`); any other precision sets both layers of a block.
    static func buildNetwork(_ spec: SweepSpec, blocks n: Int, bits: [BitWidth], actBits: [BitWidth],
                             keepLayerBits: Bool = false) throws -> NetworkSpec {
        switch spec.network.value {
        case .preset(let p):
            return try p.network(PresetOptions(
                blocks: n, bits: .perBlock(bits), actBits: .perBlock(actBits), width: spec.width,
                stemBits: spec.stemBits, classifierBits: spec.classifierBits, inputBits: spec.inputBits,
                classes: spec.classes))
        case .graphPreset, .onnx:
            throw SpecError("\(spec.network.value.name) is a graph network, not a list of blocks")
        case .model(_, var net):
            net.blocks = Array(net.blocks.prefix(n))
            for i in net.blocks.indices {
                net.blocks[i].bits = bits[i]
                net.blocks[i].actBits = actBits[i]
                if !keepLayerBits {
                    net.blocks[i].depthwiseBits = nil
                    net.blocks[i].pointwiseBits = nil
                }
            }
            if let s = spec.stemBits { net.stem?.bits = s }
            if let c = spec.classifierBits { net.classifierBits = c }
            if let c = spec.classes { net.classes = c }
            net.inputBits = spec.inputBits
            try net.validate()
            return net
        }
    }

    /// The case id: SHA-256 of the canonical JSON of the configuration and the network, 16 hex digits.
    public static func caseID(config: CaseConfig, network: NetworkSpec) -> String {
        caseID(config: config, network: .block(network))
    }

    /// The case id of either form (a block-form network's text is its canonical JSON, as it always was).
    public static func caseID(config: CaseConfig, network: CaseNetwork) -> String {
        let text = Canonical.json(config) + "\n" + network.canonical
        return String(Digest.sha256(Data(text.utf8)).prefix(16))
    }

    static func groupKey(_ job: EvaluationJob) -> String {
        var j = job
        j.threads = 0
        let text = j.network.canonical + "\n\(j.size)\n\(j.quantization.rawValue)\n\(j.weights.label)\n\(j.batch)\nkernels \(j.kernels.rawValue)"
            + (j.calibration == .fixed ? "" : "\ncalibrate \(j.calibration)")
        return Digest.sha256(Data(text.utf8))
    }

    /// The subset of cases shard `index` of `count` runs: whole evaluation groups, dealt round-robin in grid
    /// order, so that every case belongs to exactly one shard and the assignment depends only on the spec.
    public func shard(_ index: Int, of count: Int) -> [SweepCase] {
        var ordinal: [String: Int] = [:]
        for c in cases where ordinal[c.group] == nil { ordinal[c.group] = ordinal.count }
        return cases.filter { ordinal[$0.group]! % count == index }
    }
}

/// Stable JSON text for hashing.
enum Canonical {
    static func json<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value hashed here is a plain struct of ints, strings, doubles and enums; encoding cannot fail.
        return String(decoding: (try? e.encode(value)) ?? Data(), as: UTF8.self)
    }
}

/// One point of a sweep's grid, each value with the line that gave it. `blocks` is nil for a graph network
/// (its blocks are fixed by the network: there is no blocks axis).
struct GridPoint {
    var size: Located<Int>
    var blocks: Located<Int>?
    var precision: Located<PrecisionPolicy>
    var act: Located<PrecisionPolicy>
    var convention: Located<BitOpsConvention>
    var kernels: Located<Kernels>

    /// Whether an `exclude` entry matches this point (a missing key matches every value; an entry's blocks
    /// never decide for a point without a blocks axis).
    func matches(_ f: GridEntry) -> Bool {
        (f.size == nil || f.size == size.value) && (f.blocks == nil || blocks == nil || f.blocks == blocks?.value)
            && (f.precision == nil || f.precision == precision.value) && (f.actBits == nil || f.actBits == act.value)
            && (f.convention == nil || f.convention == convention.value) && (f.kernels == nil || f.kernels == kernels.value)
    }
}
