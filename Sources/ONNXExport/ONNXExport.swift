import BitOpsCore
import Engine
import Foundation
import ONNXProto
import SwiftProtobuf

/// A network configuration as an ONNX model: the network BitSweep runs, with the engine's own quantized
/// weights, in the QDQ form (quantized tensors stored as integers, `DequantizeLinear` in front of the
/// operators that use them). Only this module and the `export` command see ONNXProto.
///
/// ## The graph
/// Input `input` `[batch, C_in, S, S]` (float, NCHW, values as `infer` feeds them: RGB in [0, 1]; `batch` is
/// symbolic), output `logits` `[batch, classes]`. For each convolution (`stem`, `blockI.depthwise`,
/// `blockI.pointwise`), in order:
///
///     [DequantizeLinear(codes, scale, zero point) → weight]    quantized weights only
///     Conv(x, weight; group = C for depthwise, kernel, stride, symmetric pads, no bias)
///     BatchNormalization(γ, β, μ, σ²; ε = 1e-5)
///     Clip(0, 6)                                              ReLU6
///     [QuantizeLinear → DequantizeLinear (scale 6/L, zero point 0, L = 2^a − 1)]   quantized activations only
///
/// then `GlobalAveragePool → Flatten → Gemm(transB = 1)` with the classifier's (possibly quantized) weight and
/// its float bias.
///
/// - **Weights** of `b` bits (1–16) are stored as the quantizer's integer codes (`Quantizer.weightCodes`):
///   int8 for `b` ≤ 8 (codes in the narrowed range `−2^(b−1) … 2^(b−1) − 1`; 1 bit: {−1, 0, 1}), int16 above;
///   zero point 0; one scale per tensor (`--granularity per-tensor`, a scalar) or per output channel (a vector,
///   `axis = 0`). `DequantizeLinear` gives back exactly the engine's fake-quantized weights (one Float product).
///   The initializers are named after the state_dict: `<name>_quantized`, `<name>_scale`, `<name>_zero_point`,
///   and the dequantized tensor itself is `<name>` (e.g. `blocks.0.depthwise.weight`). Float weights are
///   plain initializers under their state_dict name.
/// - **BatchNorm** stays a `BatchNormalization` node with the state_dict's `bnN.*` tensors: the engine
///   quantizes the weights and then folds BatchNorm into them, which is the same arithmetic as
///   `BatchNormalization(Conv(x, dequantized weights))` (up to Float rounding).
/// - **Activations** of `a` bits after ReLU6 are on the fixed grid `k · 6/L`: `QuantizeLinear` (scale `6/L`,
///   zero point 0, uint8 for `a` ≤ 8, uint16 above) then `DequantizeLinear`. ONNX rounds half to even, as the
///   engine does.
/// - **Opset 13** (IR version 7) when every quantized tensor fits 8 bits; **opset 21** (IR version 10) when a
///   width above 8 bits needs int16/uint16 storage.
public struct ONNXExport {
    /// How one layer appears in the model (for the command's summary).
    public struct Layer: Sendable, Equatable {
        public var name: String
        /// `Conv`, `Conv (group 32)`, `GlobalAveragePool`, `Gemm`.
        public var op: String
        /// `int8 codes, 4-bit, per tensor` or `float`.
        public var weights: String
        /// `uint8 QDQ, 8-bit` or `float` (`–` for layers without activations of their own).
        public var activations: String
    }

    public let model: Onnx_ModelProto
    public let layers: [Layer]
    public let opset: Int

    /// Builds the model of `spec` at `inputSize` with `weights` (checked against the spec) quantized at
    /// `granularity`, as the engine quantizes them. `source` describes the weights in the model's metadata.
    public init(spec: NetworkSpec, inputSize: Int, weights: NetworkWeights, granularity: QuantGranularity,
                source: String) throws {
        try weights.validate(for: spec)
        let cost = try spec.cost(inputSize: inputSize)
        let widths = cost.layers.map(\.weightBits) + cost.layers.filter { $0.kind != .linear }.map(\.outputBits)
        let wide = widths.contains { ($0.quantized ?? 0) > 8 }
        opset = wide ? 21 : 13
        var g = GraphBuilder()
        g.floatScalar("relu6.min", 0)
        g.floatScalar("relu6.max", 6)
        var layers: [Layer] = []
        var x = "input"

        func tensor(_ name: String) throws -> Tensor {
            guard let t = weights.tensors[name] else { throw ExportError("\(weights.origin): missing tensor '\(name)'") }
            return t
        }

        for layer in cost.layers where layer.kind != .linear {
            let names = Network.tensorNames(layer)
            let w = try tensor(names.weight)
            let weightText = try g.weight(names.weight, w, bits: layer.weightBits, granularity: granularity, layer: layer.name)
            let k = Int64(layer.kernel), s = Int64(layer.stride), p = Int64(layer.padding)
            g.node("Conv", [x, names.weight], "\(layer.name).conv", name: "\(layer.name)/Conv", attributes: [
                .ints("dilations", [1, 1]), .int("group", Int64(layer.groups)), .ints("kernel_shape", [k, k]),
                .ints("pads", [p, p, p, p]), .ints("strides", [s, s]),
            ])
            var bnInputs = ["\(layer.name).conv"]
            for part in ["weight", "bias", "running_mean", "running_var"] {
                let name = "\(names.bn).\(part)"
                g.floatTensor(name, dims: [layer.outputShape.channels], try tensor(name).data)
                bnInputs.append(name)
            }
            g.node("BatchNormalization", bnInputs, "\(layer.name).bn", name: "\(layer.name)/BatchNormalization",
                   attributes: [.float("epsilon", NetworkWeights.batchNormEpsilon)])
            g.node("Clip", ["\(layer.name).bn", "relu6.min", "relu6.max"], "\(layer.name).relu6", name: "\(layer.name)/Clip")
            x = "\(layer.name).relu6"
            var actText = "float"
            if let a = layer.outputBits.quantized, let f = Quantizer.activationFactors(bits: layer.outputBits) {
                let type: Onnx_TensorProto.DataType = a <= 8 ? .uint8 : .uint16
                g.floatScalar("\(layer.name).output_scale", f.down)
                g.zeroPoint("\(layer.name).output_zero_point", type: type, dims: [])
                let q = ["\(layer.name).output_scale", "\(layer.name).output_zero_point"]
                g.node("QuantizeLinear", [x] + q, "\(layer.name).output_quantized", name: "\(layer.name)/QuantizeLinear")
                g.node("DequantizeLinear", ["\(layer.name).output_quantized"] + q, "\(layer.name).output",
                       name: "\(layer.name)/DequantizeLinear")
                x = "\(layer.name).output"
                actText = "\(type == .uint8 ? "uint8" : "uint16") QDQ, \(a)-bit"
            }
            layers.append(Layer(name: layer.name, op: layer.groups > 1 ? "Conv (group \(layer.groups))" : "Conv",
                                weights: weightText, activations: actText))
        }
        g.node("GlobalAveragePool", [x], "pool", name: "pool/GlobalAveragePool")
        g.node("Flatten", ["pool"], "features", name: "pool/Flatten", attributes: [.int("axis", 1)])
        layers.append(Layer(name: "pool", op: "GlobalAveragePool", weights: "–", activations: "float"))
        let cw = try tensor("classifier.weight")
        let classifierText = try g.weight("classifier.weight", cw, bits: spec.classifierBits, granularity: granularity, layer: "classifier")
        g.floatTensor("classifier.bias", dims: [spec.classes], try tensor("classifier.bias").data)
        g.node("Gemm", ["features", "classifier.weight", "classifier.bias"], "logits", name: "classifier/Gemm",
               attributes: [.int("transB", 1)])
        layers.append(Layer(name: "classifier", op: "Gemm", weights: classifierText, activations: "float"))
        self.layers = layers

        var graph = Onnx_GraphProto()
        graph.name = spec.name
        graph.docString = "BitSweep \(spec.name), \(spec.blocks.count) blocks, \(inputSize)×\(inputSize); weights \(source), \(granularity.rawValue)"
        graph.node = g.nodes
        graph.initializer = g.initializers
        graph.input = [Self.valueInfo("input", dims: [.param("batch"), .value(spec.inputChannels), .value(inputSize), .value(inputSize)])]
        graph.output = [Self.valueInfo("logits", dims: [.param("batch"), .value(spec.classes)])]

        var model = Onnx_ModelProto()
        model.irVersion = wide ? 10 : 7
        model.producerName = "bitsweep"
        model.producerVersion = ONNXExport.producerVersion
        model.domain = "bitsweep"
        model.docString = graph.docString
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = Int64(opset)
        model.opsetImport = [opsetID]
        model.graph = graph
        model.metadataProps = [
            ("bitsweep.network", spec.name), ("bitsweep.size", "\(inputSize)"), ("bitsweep.blocks", "\(spec.blocks.count)"),
            ("bitsweep.weights", source), ("bitsweep.granularity", granularity.rawValue),
            ("bitsweep.weight_bits", cost.layers.map { "\($0.name) \($0.weightBits)" }.joined(separator: ", ")),
            ("bitsweep.act_bits", cost.layers.filter { $0.kind != .linear }.map { "\($0.name) \($0.outputBits)" }.joined(separator: ", ")),
        ].map { key, value in
            var e = Onnx_StringStringEntryProto()
            e.key = key
            e.value = value
            return e
        }
        self.model = model
    }

    /// The version written as `producer_version`.
    public static var producerVersion = "0.1.0"

    /// The model's protobuf bytes.
    public func serializedData() throws -> Data {
        try model.serializedData()
    }

    enum Dim { case value(Int), param(String) }

    static func valueInfo(_ name: String, dims: [Dim]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case .value(let v): dim.dimValue = Int64(v)
            case .param(let p): dim.dimParam = p
            }
            return dim
        }
        var t = Onnx_TypeProto.Tensor()
        t.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = t
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }
}

/// An export that cannot be made (a weight missing from the weights given).
public struct ExportError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Nodes and initializers, in the order they are added.
struct GraphBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []

    enum Attribute {
        case int(String, Int64)
        case ints(String, [Int64])
        case float(String, Float)

        var proto: Onnx_AttributeProto {
            var a = Onnx_AttributeProto()
            switch self {
            case .int(let n, let v): a.name = n; a.type = .int; a.i = v
            case .ints(let n, let v): a.name = n; a.type = .ints; a.ints = v
            case .float(let n, let v): a.name = n; a.type = .float; a.f = v
            }
            return a
        }
    }

    mutating func node(_ op: String, _ inputs: [String], _ output: String, name: String, attributes: [Attribute] = []) {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = [output]
        n.attribute = attributes.map(\.proto)
        nodes.append(n)
    }

    mutating func add(_ name: String, type: Onnx_TensorProto.DataType, dims: [Int], raw: Data) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(type.rawValue)
        t.dims = dims.map(Int64.init)
        t.rawData = raw
        initializers.append(t)
    }

    mutating func floatTensor(_ name: String, dims: [Int], _ values: [Float]) {
        var raw = Data(capacity: values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { raw.append(contentsOf: $0) } }
        add(name, type: .float, dims: dims, raw: raw)
    }

    mutating func floatScalar(_ name: String, _ v: Float) { floatTensor(name, dims: [], [v]) }

    mutating func zeroPoint(_ name: String, type: Onnx_TensorProto.DataType, dims: [Int]) {
        let bytes = type == .int8 || type == .uint8 ? 1 : 2
        add(name, type: type, dims: dims, raw: Data(count: dims.reduce(1, *) * bytes))
    }

    /// A weight: plain float, or int8/int16 codes with scale and zero point and a `DequantizeLinear` whose
    /// output is `name`. Returns its description for the summary.
    mutating func weight(_ name: String, _ w: Tensor, bits: BitWidth, granularity: QuantGranularity, layer: String) throws -> String {
        guard let b = bits.quantized else {
            floatTensor(name, dims: w.shape, w.data)
            return "float"
        }
        let channels = w.shape[0]
        let codes = Quantizer.weightCodes(w.data, bits: b, channels: channels, granularity: granularity)
        let type: Onnx_TensorProto.DataType = b <= 8 ? .int8 : .int16
        var raw = Data(capacity: codes.codes.count * (b <= 8 ? 1 : 2))
        for c in codes.codes {
            if b <= 8 { raw.append(UInt8(bitPattern: Int8(c))) } else {
                withUnsafeBytes(of: Int16(c).littleEndian) { raw.append(contentsOf: $0) }
            }
        }
        add("\(name)_quantized", type: type, dims: w.shape, raw: raw)
        let perChannel = granularity == .perChannel
        let dims = perChannel ? [channels] : []
        floatTensor("\(name)_scale", dims: dims, codes.scales)
        zeroPoint("\(name)_zero_point", type: type, dims: dims)
        node("DequantizeLinear", ["\(name)_quantized", "\(name)_scale", "\(name)_zero_point"], name,
             name: "\(layer)/weight/DequantizeLinear", attributes: perChannel ? [.int("axis", 0)] : [])
        return "\(type == .int8 ? "int8" : "int16") codes, \(b)-bit, \(perChannel ? "per channel" : "per tensor")"
    }
}
