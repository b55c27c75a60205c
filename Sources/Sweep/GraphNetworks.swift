import BitOpsCore
import Engine
import Foundation
import ONNXImport

/// Graph networks (the `mobilenet-v2` preset, imported ONNX models) with their precision set — shared by the
/// sweep's plan and by `calc`, `infer` and `bench` (the executable's EngineTarget.swift), so that one setting
/// means the same network everywhere.

/// The precision settings of a graph network. Nil leaves a value as the network has it (an imported model's
/// weights are float; the preset's defaults are its own).
public struct GraphPrecision: Hashable, Sendable {
    /// Weight bits of the blocks: one width, first-last, or one per named block, in block order.
    public var bits: PrecisionPolicy?
    /// Output bits of the blocks' layers, the same way.
    public var actBits: PrecisionPolicy?
    /// The first weight layer's bits (it must stand outside the blocks, as a stem does).
    public var stemBits: BitWidth?
    /// The last weight layer's bits (it must stand outside the blocks, as a classifier does).
    public var classifierBits: BitWidth?
    public var inputBits: BitWidth
    /// Weight bits by layer-name pattern, applied last (LayerPattern.swift).
    public var layerBits: [LayerBitsRule]

    public init(bits: PrecisionPolicy? = nil, actBits: PrecisionPolicy? = nil, stemBits: BitWidth? = nil,
                classifierBits: BitWidth? = nil, inputBits: BitWidth = .bits(8), layerBits: [LayerBitsRule] = []) {
        self.bits = bits
        self.actBits = actBits
        self.stemBits = stemBits
        self.classifierBits = classifierBits
        self.inputBits = inputBits
        self.layerBits = layerBits
    }
}

/// How messages name the settings: the command line's flags or the sweep spec's keys.
public struct GraphSettingNames: Sendable {
    public var bits: String
    public var actBits: String
    public var stemBits: String
    public var classifierBits: String
    public var layerBits: String

    public static let flags = GraphSettingNames(bits: "--bits", actBits: "--act-bits", stemBits: "--stem-bits",
                                                classifierBits: "--classifier-bits", layerBits: "--layer-bits")
    public static let specKeys = GraphSettingNames(bits: "precision", actBits: "act_bits", stemBits: "network stem_bits",
                                                   classifierBits: "network classifier_bits", layerBits: "network layer_bits")
}

public enum GraphNetworks {
    /// The `mobilenet-v2` preset with width multiplier `width`, `classes` outputs (nil: 1000) and `precision`.
    public static func mobileNetV2(width: Double, classes: Int? = nil, precision p: GraphPrecision) throws -> GraphNetwork {
        try MobileNetV2.network(MobileNetV2.Options(
            width: width, bits: p.bits, actBits: p.actBits, stemBits: p.stemBits, classifierBits: p.classifierBits,
            inputBits: p.inputBits, classes: classes, layerBits: p.layerBits))
    }

    /// Imports an ONNX model at `size` (nil: the model's own); an unreadable or unsupported file is a one-line
    /// `SpecError` naming the file (ONNXImport's message).
    public static func importONNX(path: String, size: Int? = nil) throws -> ImportedModel {
        do {
            return try ONNXImport.load(path: path, size: size)
        } catch let e as ONNXImportError {
            throw SpecError(e.description)
        }
    }

    /// `network` (an imported model, named `model` in messages) with `p` applied: the blocks' weight and
    /// output bits (`settingBlockPrecision`; a per-block list has one entry per named block), the first and
    /// last weight layers' bits when they stand outside the blocks (stem and classifier), the input bits, and
    /// the layer-bits rules last (they win).
    public static func applying(_ p: GraphPrecision, to network: GraphNetwork, model: String,
                                names: GraphSettingNames = .flags) throws -> GraphNetwork {
        var g = network
        let blockCount = g.blocks.count
        func perBlock(_ policy: PrecisionPolicy?, _ name: String) throws -> [BitWidth]? {
            guard let policy else { return nil }
            guard blockCount > 0 else {
                throw SpecError("\(name) \(policy): \(model) has no blocks (no layer names of the form NAME.N.…); set layers with \(names.layerBits)")
            }
            return try policy.resolved(blocks: blockCount, what: name.hasPrefix("--") ? String(name.dropFirst(2)) : name)
        }
        g = try g.settingBlockPrecision(bits: try perBlock(p.bits, names.bits), actBits: try perBlock(p.actBits, names.actBits))
        let weighted = g.layers.indices.filter { g.layers[$0].op.hasWeights }
        for (bits, name, first) in [(p.stemBits, names.stemBits, true), (p.classifierBits, names.classifierBits, false)] {
            guard let bits else { continue }
            guard let i = first ? weighted.first : weighted.last, g.layers[i].block == nil else {
                throw SpecError("\(name) \(bits): \(model)'s \(first ? "first" : "last") weight layer is inside a block; set it with \(names.bits) or \(names.layerBits)")
            }
            g.layers[i].bits = bits
        }
        g.inputBits = p.inputBits
        return try g.settingLayerBits(p.layerBits)
    }

    /// The values per image of the network's output (its classes), from its accounting.
    public static func classes(_ cost: GraphCostReport) -> Int {
        guard let last = cost.network.layers.last?.name else { return 0 }
        let shape = cost.layers.last { $0.name == last }?.outputShape ?? cost.operations.last { $0.name == last }?.outputShape
        return shape?.elements ?? 0
    }

    /// A canonical text of the network (every layer's name, operation, inputs, block and bits, the blocks and
    /// the input), hashed into case ids and cache keys.
    public static func canonicalText(_ g: GraphNetwork) -> String {
        func bits(_ b: BitWidth?) -> String { b.map(\.description) ?? "-" }
        var lines = ["graph \(g.name) input \(g.inputChannels)x\(bits(g.inputBits)) blocks \(g.blocks.joined(separator: ","))"]
        for l in g.layers {
            let op: String
            switch l.op {
            case .conv(let c):
                op = "conv(out \(c.outChannels), k \(c.kernel), s \(c.stride), p \(c.padding), d \(c.dilation), g \(c.groups), bias \(c.bias))"
            case .maxPool(let k, let s, let p): op = "max-pool(k \(k), s \(s), p \(p))"
            case .averagePool(let k, let s, let p): op = "average-pool(k \(k), s \(s), p \(p))"
            case .gemm(let n, let b): op = "gemm(out \(n), bias \(b))"
            default: op = l.op.label
            }
            lines.append("\(l.name) \(op) in [\(l.inputs.joined(separator: ","))] block \(l.block.map(String.init) ?? "-") bits \(bits(l.bits)) act \(bits(l.actBits))")
        }
        return lines.joined(separator: "\n")
    }
}
