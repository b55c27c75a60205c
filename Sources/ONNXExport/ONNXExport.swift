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
///   engine does. With calibrated ranges (`activationRanges`, `--calibrate`) a layer's grid is `k · R/L`: its
///   Clip is `Clip(0, R)` (a scalar `<layer>.clip_max`) and its QDQ scale `R/L`, exactly the engine's Float
///   factors; the integer form's input step is `R_in/L_in`.
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
    ///
    /// `kernels` chooses the form of each convolution as the engine's `--kernels` chooses its kernel: `float`
    /// writes every convolution in the BatchNorm form above; `integer` and `auto` write the layers that the
    /// engine runs on int8 kernels (weights ≤ 8 bits, input activations quantized to ≤ 8 bits, usable
    /// requantization factors — `IntegerNetwork.swift`'s rule) in the **folded form** those kernels compute:
    ///
    ///     DequantizeLinear(codes, s_w·|g|, 0; axis 0) → weight     g = γ/√(σ²+ε) per output channel; a
    ///                                                              channel with g < 0 has its codes negated
    ///     DequantizeLinear(int32 bias, s_in·s_w·|g|; axis 0) → bias    bias = roundHalfToEven(β' / eff),
    ///                                                              β' = β − μ·g, eff = s_in·s_w·g (as the engine)
    ///     Conv(x, weight, bias) → Clip(0, 6) → [QuantizeLinear → DequantizeLinear]
    ///
    /// (`s_in` = the input grid's step 6/L_in). This is the shape ONNX Runtime fuses into its int8 QLinearConv.
    /// `integer` is refused when no layer can run int8, as the engine refuses it.
    ///
    /// `activationRanges` (by layer name; 6 when absent) are the calibrated ranges of `calibration`
    /// (`Network.calibratedRanges`), recorded in the metadata as `bitsweep.calibrate` when not fixed.
    public init(spec: NetworkSpec, inputSize: Int, weights: NetworkWeights, granularity: QuantGranularity,
                kernels: Kernels = .float, source: String, calibration: Calibration = .fixed,
                activationRanges: [String: Float] = [:]) throws {
        func range(_ layer: String) -> Float { activationRanges[layer] ?? Quantizer.fixedActivationRange }
        try weights.validate(for: spec)
        let cost = try spec.cost(inputSize: inputSize)
        let convs = cost.layers.filter { $0.kind != .linear }
        // The engine's rule for which layers run int8 (IntegerNetwork.swift), on the configuration alone.
        func fits8(_ b: BitWidth) -> Bool { b.quantized.map { $0 <= 8 } ?? false }
        let int8Capable = convs.indices.map { i in i > 0 && fits8(convs[i - 1].outputBits) && fits8(convs[i].weightBits) }
        if kernels == .integer && !int8Capable.contains(true) {
            throw ExportError("kernels integer: no layer of \(spec.name) with \(spec.blocks.count) blocks at \(inputSize)×\(inputSize) can run on integer kernels (they need weights of at most 8 bits and input activations quantized to at most 8 bits; the first layer sees the float image)")
        }
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

        for (i, layer) in convs.enumerated() {
            let names = Network.tensorNames(layer)
            let w = try tensor(names.weight)
            let bn = try ["weight", "bias", "running_mean", "running_var"].map { try tensor("\(names.bn).\($0)").data }
            let k = Int64(layer.kernel), s = Int64(layer.stride), p = Int64(layer.padding)
            let convAttributes: [GraphBuilder.Attribute] = [
                .ints("dilations", [1, 1]), .int("group", Int64(layer.groups)), .ints("kernel_shape", [k, k]),
                .ints("pads", [p, p, p, p]), .ints("strides", [s, s]),
            ]
            let weightText: String
            var folded = false
            if kernels != .float, int8Capable[i],
               let f = Quantizer.activationFactors(bits: convs[i - 1].outputBits, range: range(convs[i - 1].name)),
               let b = layer.weightBits.quantized,
               let text = g.foldedConvolution(names.weight, w, bits: b, granularity: granularity, batchNorm: bn,
                                              inputStep: f.down, layer: layer.name) {
                weightText = text
                g.node("Conv", [x, names.weight, "\(names.weight.dropLast("weight".count))bias"], "\(layer.name).conv",
                       name: "\(layer.name)/Conv", attributes: convAttributes)
                folded = true
            } else {
                weightText = try g.weight(names.weight, w, bits: layer.weightBits, granularity: granularity, layer: layer.name)
                g.node("Conv", [x, names.weight], "\(layer.name).conv", name: "\(layer.name)/Conv", attributes: convAttributes)
                var bnInputs = ["\(layer.name).conv"]
                for (part, values) in zip(["weight", "bias", "running_mean", "running_var"], bn) {
                    let name = "\(names.bn).\(part)"
                    g.floatTensor(name, dims: [layer.outputShape.channels], values)
                    bnInputs.append(name)
                }
                g.node("BatchNormalization", bnInputs, "\(layer.name).bn", name: "\(layer.name)/BatchNormalization",
                       attributes: [.float("epsilon", NetworkWeights.batchNormEpsilon)])
            }
            // ReLU6, or Clip(0, R) for an activation quantized on a calibrated range R < 6.
            var clipMax = "relu6.max"
            if layer.outputBits.quantized != nil && range(layer.name) != Quantizer.fixedActivationRange {
                clipMax = "\(layer.name).clip_max"
                g.floatScalar(clipMax, range(layer.name))
            }
            g.node("Clip", [folded ? "\(layer.name).conv" : "\(layer.name).bn", "relu6.min", clipMax], "\(layer.name).relu6",
                   name: "\(layer.name)/Clip")
            x = "\(layer.name).relu6"
            var actText = "float"
            if let a = layer.outputBits.quantized, let f = Quantizer.activationFactors(bits: layer.outputBits, range: range(layer.name)) {
                actText = g.activationQDQ(layer.name, x, bits: a, scale: f.down)
                    + (range(layer.name) == Quantizer.fixedActivationRange ? "" : ", [0, \(range(layer.name))]")
                x = "\(layer.name).output"
            }
            layers.append(Layer(name: layer.name, op: (layer.groups > 1 ? "Conv (group \(layer.groups))" : "Conv") + (folded ? ", BN folded" : ""),
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

        model = Self.makeModel(
            name: spec.name,
            docString: "BitSweep \(spec.name), \(spec.blocks.count) blocks, \(inputSize)×\(inputSize); weights \(source), \(granularity.rawValue); kernels \(kernels)",
            nodes: g, inputChannels: spec.inputChannels, inputSize: inputSize,
            outputDims: [.param("batch"), .value(spec.classes)], opset: opset,
            metadata: [
                ("bitsweep.network", spec.name), ("bitsweep.size", "\(inputSize)"), ("bitsweep.blocks", "\(spec.blocks.count)"),
                ("bitsweep.weights", source), ("bitsweep.granularity", granularity.rawValue),
                ("bitsweep.kernels", kernels.rawValue),
                ("bitsweep.weight_bits", cost.layers.map { "\($0.name) \($0.weightBits)" }.joined(separator: ", ")),
                ("bitsweep.act_bits", cost.layers.filter { $0.kind != .linear }.map { "\($0.name) \($0.outputBits)" }.joined(separator: ", ")),
            ] + (calibration == .fixed ? [] : [
                ("bitsweep.calibrate", calibration.description),
                ("bitsweep.activation_ranges", convs.filter { $0.outputBits.quantized != nil }.map { "\($0.name) \(range($0.name))" }.joined(separator: ", ")),
            ]))
    }

    /// The model around the nodes and initializers of `nodes`: the graph `name` with input `input`
    /// `[batch, C_in, S, S]` and output `logits` of `outputDims`; IR version 7, or 10 from opset 21; producer
    /// `bitsweep`; one opset import (the default domain); `metadata` as its properties, in order. Both exports
    /// (block form and graph) make their model here.
    static func makeModel(name: String, docString: String, nodes g: GraphBuilder, inputChannels: Int, inputSize: Int,
                          outputDims: [Dim], opset: Int, metadata: [(String, String)]) -> Onnx_ModelProto {
        var graph = Onnx_GraphProto()
        graph.name = name
        graph.docString = docString
        graph.node = g.nodes
        graph.initializer = g.initializers
        graph.input = [valueInfo("input", dims: [.param("batch"), .value(inputChannels), .value(inputSize), .value(inputSize)])]
        graph.output = [valueInfo("logits", dims: outputDims)]

        var model = Onnx_ModelProto()
        model.irVersion = opset >= 21 ? 10 : 7
        model.producerName = "bitsweep"
        model.producerVersion = ONNXExport.producerVersion
        model.domain = "bitsweep"
        model.docString = docString
        var opsetID = Onnx_OperatorSetIdProto()
        opsetID.domain = ""
        opsetID.version = Int64(opset)
        model.opsetImport = [opsetID]
        model.graph = graph
        model.metadataProps = metadata.map { key, value in
            var e = Onnx_StringStringEntryProto()
            e.key = key
            e.value = value
            return e
        }
        return model
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
public struct ExportError: Error, CustomStringConvertible, Equatable, Sendable {
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

    /// Activations of `bits` (quantized) on the grid of step `scale`: `<name>.output_scale`, a zero point 0
    /// (`<name>.output_zero_point`: uint8 up to 8 bits, uint16 above; int8 / int16 for the `signed` grid
    /// [−R, R]), `QuantizeLinear` of `x` then `DequantizeLinear` into `<name>.output`. Returns its description
    /// for the summary.
    mutating func activationQDQ(_ name: String, _ x: String, bits: Int, scale: Float, signed: Bool = false) -> String {
        let type: Onnx_TensorProto.DataType = signed ? (bits <= 8 ? .int8 : .int16) : (bits <= 8 ? .uint8 : .uint16)
        floatScalar("\(name).output_scale", scale)
        zeroPoint("\(name).output_zero_point", type: type, dims: [])
        let q = ["\(name).output_scale", "\(name).output_zero_point"]
        node("QuantizeLinear", [x] + q, "\(name).output_quantized", name: "\(name)/QuantizeLinear")
        node("DequantizeLinear", ["\(name).output_quantized"] + q, "\(name).output", name: "\(name)/DequantizeLinear")
        let typeName: String
        switch type {
        case .int8: typeName = "int8"
        case .int16: typeName = "int16"
        case .uint16: typeName = "uint16"
        default: typeName = "uint8"
        }
        return "\(typeName) QDQ, \(bits)-bit"
    }

    mutating func zeroPoint(_ name: String, type: Onnx_TensorProto.DataType, dims: [Int]) {
        let bytes = type == .int8 || type == .uint8 ? 1 : 2
        add(name, type: type, dims: dims, raw: Data(count: dims.reduce(1, *) * bytes))
    }

    /// A convolution's weights and bias in the folded form of the integer kernels (see `ONNXExport.init`):
    /// `<w>_quantized` (int8, per output channel), `<w>_scale`, `<w>_zero_point`, `<prefix>.bias_quantized` (int32)
    /// and its scale (zero point 0, left out as ONNX allows), with the two `DequantizeLinear` nodes. Nil (nothing added) when the engine
    /// would run the layer float: a channel whose factor is zero or not finite, or whose bias does not fit s32.
    mutating func foldedConvolution(_ name: String, _ w: Tensor, bits: Int, granularity: QuantGranularity, batchNorm bn: [[Float]],
                                    inputStep: Float, layer: String) -> String? {
        let channels = w.shape[0], per = w.data.count / channels
        let q = Quantizer.weightCodes(w.data, bits: bits, channels: channels, granularity: granularity)
        var codes = q.codes, scales = [Float](), biasScales = [Float](), bias = [Int32]()
        for o in 0..<channels {
            let sw = q.scales[granularity == .perChannel ? o : 0]
            // As the engine (IntegerNetwork.integerParameters, IntegerLayerParameters): g, β', eff, bias.
            let gain = bn[0][o] / (bn[3][o] + NetworkWeights.batchNormEpsilon).squareRoot()
            let beta = bn[1][o] - bn[2][o] * gain
            let eff = inputStep * sw * gain
            guard eff != 0, eff.isFinite else { return nil }
            let b = (Double(beta) / Double(eff)).rounded(.toNearestOrEven)
            guard b.isFinite, abs(b) < 2_000_000_000 else { return nil }
            if gain < 0 { for i in (o * per)..<((o + 1) * per) { codes[i] = -codes[i] } }
            let scale = sw * abs(gain)
            scales.append(scale)
            biasScales.append(inputStep * scale)
            bias.append(Int32(gain < 0 ? -b : b))
        }
        add("\(name)_quantized", type: .int8, dims: w.shape, raw: Data(codes.map { UInt8(bitPattern: Int8($0)) }))
        floatTensor("\(name)_scale", dims: [channels], scales)
        zeroPoint("\(name)_zero_point", type: .int8, dims: [channels])
        node("DequantizeLinear", ["\(name)_quantized", "\(name)_scale", "\(name)_zero_point"], name,
             name: "\(layer)/weight/DequantizeLinear", attributes: [.int("axis", 0)])
        let b = "\(name.dropLast("weight".count))bias"
        var raw = Data(capacity: channels * 4)
        for v in bias { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
        add("\(b)_quantized", type: .int32, dims: [channels], raw: raw)
        floatTensor("\(b)_scale", dims: [channels], biasScales)
        node("DequantizeLinear", ["\(b)_quantized", "\(b)_scale"], b,
             name: "\(layer)/bias/DequantizeLinear", attributes: [.int("axis", 0)])
        return "int8 codes, \(bits)-bit, BN folded per channel; int32 bias"
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
