import BitOpsCore
import Engine
import Foundation
import ONNXProto
import SwiftProtobuf

/// A graph network (BitOpsCore/Graph.swift: the `mobilenet-v2` preset, an imported ONNX model) as an ONNX
/// model with the engine's quantized weights — the graph form of `ONNXExport.init(spec:…)`, describing what the
/// graph executor computes on float kernels with simulated quantization.
///
/// ## The graph
/// Input `input` `[batch, C_in, S, S]` (float, NCHW, as `infer` feeds it; `batch` symbolic), output `logits`
/// (the last layer's output: `[batch, classes]` after a gemm). One node per layer, **named after the layer**
/// (`features.3.conv.1.0`; the import keeps such names as they are, so an exported model re-imports with the
/// same layer names), its output value named after the layer too:
///
///     conv          [DequantizeLinear(codes, scale, 0) → L.weight]  Conv(x, L.weight[, L.bias]; group, kernel,
///                   stride, dilation, symmetric pads)
///     batch-norm    BatchNormalization(L.weight, L.bias, L.running_mean, L.running_var; ε of the weights)
///     relu, relu6   Relu; Clip(0, 6), or Clip(0, R) for a quantized relu6 with a calibrated range R < 6
///                   (its QDQ then has scale R/L)
///     sigmoid       Sigmoid
///     hard-sigmoid  HardSigmoid(α = 1/6, β = 0.5)    (PyTorch's, as the engine computes it)
///     hard-swish    HardSwish                          (opset 14)
///     add, mul      Add, Mul (a C×1×1 second input broadcasts)
///     global pool   GlobalAveragePool; ReduceMean(axes 2, 3, keepdims 0) when every reader is a gemm
///                   (ONNX's Gemm takes a matrix)
///     max/avg pool  MaxPool, AveragePool (count_include_pad 0: padding is not averaged, as the engine)
///     flatten       Flatten(axis 1)
///     gemm          [DequantizeLinear → L.weight]  Gemm(x, L.weight[, L.bias]; transB 1)
///
/// A batch norm stays its own node, as the block exporter writes its float-kernel form: the engine quantizes a
/// convolution's weights and then folds the batch norm into them, which is `BatchNormalization(Conv(x, Ŵ))`.
/// A rank mismatch ONNX needs spelled out (a gemm reading a feature map that is not flattened; a layer reading
/// a gemm's `N×C` output as a map) gets a `Flatten` / `Reshape` node named `L/Flatten` / `L/Reshape`.
///
/// - **Weights** of `b` quantized bits: the quantizer's integer codes (`Quantizer.weightCodes`; int8 up to 8
///   bits in the narrowed range, int16 above), zero point 0, one scale per tensor or per output channel
///   (`axis 0`), then `DequantizeLinear`, which gives back exactly the engine's fake-quantized weights. Float
///   weights and every bias and batch-norm tensor are plain float initializers under the GraphWeights names.
/// - **Activations** are quantized where the engine quantizes them: at the end of each step the executor
///   builds (a convolution with the batch norm and activation it absorbs, an add or mul with its activation, …;
///   the engine's `GraphSteps`: the next layer absorbs only when it reads this one alone, in the same block), at the
///   `actBits` of the step's last layer, on the engine's grids (GraphPostOps.swift):
///   - values known to lie in [0, 6] (after ReLU6, Sigmoid, HardSigmoid; pooling and flatten of such values;
///     the input image): `QuantizeLinear → DequantizeLinear` with scale 6/L, zero point 0 (uint8 up to 8
///     bits, uint16 above), L = 2^a − 1: `L/QuantizeLinear`, `L/DequantizeLinear`;
///   - any other values (a linear bottleneck, a residual sum, ReLU, HardSwish) the engine quantizes per image
///     with the image's own range (`DynamicQuantization`), which QDQ with a fixed scale cannot express: it is
///     written as the same arithmetic, `s = max(ReduceMax(|x|) / levels, tiny)`, `Round(x / s) · s`, with
///     levels 2^a − 1 (values ≥ 0) or 2^(a−1) − 1 (either sign; at least 1), nodes named `L/dynamic_quant/…`.
///     (`tiny`, the least normal float, only keeps an all-zero image at zero, as the engine leaves it.)
///   - calibrated (`activationRanges`, measured by `GraphExecutor.calibratedRanges` and keyed by each step's first
///     layer, as the engine keys them; else the range the network carries, `GraphLayer.activationRange` of the
///     step's last layer): every quantized output on the static grid the engine runs, `clip(x, lower, R)` then
///     `k · R/L` — values that are never negative on [0, R] (`Clip(0, R)` named `L/calibration/Clip`, bound
///     `L.clip_max`, then uint8/uint16 QDQ of scale R/(2^a − 1); a ReLU6 is itself the `Clip(0, R)`, and values in
///     [0, 6] need no clip at R = 6), values of either sign on [−R, R] (`Clip(−R, R)`, bounds `L.clip_min`,
///     `L.clip_max`, then int8/int16 QDQ of scale R/max(1, 2^(a−1) − 1)). No per-image quantization is left. The
///     import reads such a clip and QDQ back as the range the layer carries, so the model re-imports as the
///     calibrated network; the metadata records `bitsweep.calibrate` and `bitsweep.activation_ranges`.
/// - **Opset 13** (IR 7); **14** (IR 7) when a HardSwish is present; **21** (IR 10) when a width above 8 bits
///   needs int16/uint16 storage (then ReduceMax and ReduceMean take their axes as an input).
///
/// The model is always the simulated form (float kernels, fake-quantized weights and activations: what `infer
/// --kernels float` runs): `kernels` `auto` writes it too, and `integer` is refused. (`infer --kernels auto` runs a
/// graph's convolutions on int8 kernels where their input has a static grid, rounding requantization its own way.)
extension ONNXExport {
    public init(graph network: GraphNetwork, inputSize: Int, weights: GraphWeights, granularity: QuantGranularity,
                kernels: Kernels = .float, source: String, calibration: Calibration = .fixed,
                activationRanges: [String: Float] = [:]) throws {
        if kernels == .integer {
            throw ExportError("kernels integer: integer kernels are not available for graph networks (\(network.name)); export with --kernels float or auto (float kernels, simulated quantization)")
        }
        do {
            try network.validate()
            try weights.validate(for: network, inputSize: inputSize)
        } catch {
            throw ExportError("\(error)")
        }
        let cost = try network.cost(inputSize: inputSize)
        var writer = GraphWriter(network: network, cost: cost, inputSize: inputSize, weights: weights, granularity: granularity,
                                 calibrated: activationRanges)
        try writer.write()
        layers = writer.summary
        opset = writer.opset
        let last = network.layers.last!.name
        let outShape = writer.shapes[last]!

        let outDims: [Dim] = writer.rank[last] == 2 ? [.param("batch"), .value(outShape.channels)]
            : [.param("batch"), .value(outShape.channels), .value(outShape.height), .value(outShape.width)]
        let weighted = network.layers.filter(\.op.hasWeights)
        model = Self.makeModel(
            name: network.name,
            docString: "BitSweep \(network.name), \(network.layers.count) layers, \(network.blocks.count) blocks, \(inputSize)×\(inputSize); weights \(source), \(granularity.rawValue); float kernels, simulated quantization",
            nodes: writer.g, inputChannels: network.inputChannels, inputSize: inputSize, outputDims: outDims, opset: opset,
            metadata: [
                ("bitsweep.network", network.name), ("bitsweep.size", "\(inputSize)"),
                ("bitsweep.blocks", network.blocks.joined(separator: ", ")),
                ("bitsweep.weights", source), ("bitsweep.granularity", granularity.rawValue),
                ("bitsweep.kernels", Kernels.float.rawValue),
                ("bitsweep.weight_bits", weighted.map { "\($0.name) \($0.bits)" }.joined(separator: ", ")),
                ("bitsweep.act_bits", writer.quantizedOutputs.map { "\($0.layer) \($0.bits)" }.joined(separator: ", ")),
            ] + (calibration == .fixed ? [] : [("bitsweep.calibrate", calibration.description)])
              + (writer.staticRanges.isEmpty ? [] : [
                ("bitsweep.activation_ranges", writer.staticRanges.map { "\($0.layer) \($0.range)" }.joined(separator: ", ")),
              ]))
    }
}

/// Writes the nodes of one graph network (see `ONNXExport.init(graph:…)`).
private struct GraphWriter {
    let network: GraphNetwork
    let inputSize: Int
    let weights: GraphWeights
    let granularity: QuantGranularity
    let opset: Int
    var g = GraphBuilder()
    var summary: [ONNXExport.Layer] = []
    /// Each layer's output shape (from the accounting), and the input's.
    var shapes: [String: Shape] = [:]
    /// The engine's steps (`GraphSteps`): activations are quantized at the end of each.
    let steps: GraphSteps
    /// Each layer's inputs (an empty list resolved to the layer before it).
    var inputs: [[String]] { steps.inputs }
    /// Per layer (and `input`): the ONNX value holding its output, its rank (4: N×C×H×W; 2: N×C) and its range
    /// (the engine's `ActivationRange`, which decides how its activations are quantized).
    var value: [String: String] = [GraphNetwork.inputName: "input"]
    var rank: [String: Int] = [GraphNetwork.inputName: 4]
    var range: [String: ActivationRange] = [GraphNetwork.inputName: .zeroToSix]
    /// The layers whose output is quantized, in order, with the bits.
    var quantizedOutputs: [(layer: String, bits: BitWidth)] = []
    /// Calibrated ranges measured for this export (`GraphExecutor.calibratedRanges`), by the name of each step's
    /// first layer, as the engine keys them.
    let calibrated: [String: Float]
    /// The range R of each quantized step's static grid, by the name of the step's last layer (whose output is
    /// quantized): the measured one, else the one the network carries (`GraphLayer.activationRange`).
    var stepRanges: [String: Float] = [:]
    /// The quantized outputs written on a calibrated static grid, in order, with R (of [0, R] or [−R, R]).
    var staticRanges: [(layer: String, range: Float)] = []

    init(network: GraphNetwork, cost: GraphCostReport, inputSize: Int, weights: GraphWeights, granularity: QuantGranularity,
         calibrated: [String: Float] = [:]) {
        self.network = network
        self.calibrated = calibrated
        self.inputSize = inputSize
        self.weights = weights
        self.granularity = granularity
        shapes[GraphNetwork.inputName] = Shape(channels: network.inputChannels, height: inputSize, width: inputSize)
        for l in cost.layers { shapes[l.name] = l.outputShape }
        for o in cost.operations { shapes[o.name] = o.outputShape }
        steps = GraphSteps(network)
        let wide = network.layers.contains { l in
            (l.op.hasWeights && (l.bits.quantized ?? 0) > 8) || (l.actBits?.quantized ?? 0) > 8
        }
        let hardSwish = network.layers.contains { $0.op == .activation(.hardSwish) }
        opset = wide ? 21 : (hardSwish ? 14 : 13)
    }

    func tensor(_ name: String) throws -> Tensor {
        guard let t = weights.tensors[name] else { throw ExportError("\(weights.origin): missing tensor '\(name)'") }
        return t
    }

    mutating func write() throws {
        g.floatScalar("relu6.min", 0)
        g.floatScalar("relu6.max", 6)
        let layers = network.layers
        var i = 0
        while i < layers.count {
            let end = steps.end(from: i)
            if layers[end].actBits?.quantized != nil, let r = calibrated[layers[i].name] ?? layers[end].activationRange {
                stepRanges[layers[end].name] = r
            }
            i = end + 1
        }
        i = 0
        while i < layers.count {
            let end = steps.end(from: i)
            for k in i...end { try layer(k) }
            // The step's output range: its activation's, else what its first layer makes of its inputs.
            let bits = layers[end].actBits
            if let bits, bits.quantized != nil {
                try quantize(layers[end].name, bits: bits)
            }
            i = end + 1
        }
        // The graph's output is `logits`.
        let last = layers.last!.name
        g.node("Identity", [value[last]!], "logits", name: "logits/Identity")
    }

    /// The ONNX value of layer input `name` at rank `wanted` (a Flatten or Reshape node when it differs).
    mutating func input(_ name: String, rank wanted: Int, for layer: String) -> String {
        let v = value[name]!
        guard rank[name] != wanted else { return v }
        if wanted == 2 {
            g.node("Flatten", [v], "\(layer).flattened_input", name: "\(layer)/Flatten", attributes: [.int("axis", 1)])
            return "\(layer).flattened_input"
        }
        if !g.initializers.contains(where: { $0.name == "map_shape" }) {
            g.int64Tensor("map_shape", [0, -1, 1, 1])
        }
        g.node("Reshape", [v, "map_shape"], "\(layer).map_input", name: "\(layer)/Reshape")
        return "\(layer).map_input"
    }

    /// A weight: plain float, or codes + DequantizeLinear (the block exporter's `GraphBuilder.weight`).
    mutating func weight(_ l: GraphLayer) throws -> String {
        let w = try tensor("\(l.name).weight")
        return try g.weight("\(l.name).weight", w, bits: l.bits, granularity: granularity, layer: l.name)
    }

    mutating func layer(_ k: Int) throws {
        let l = network.layers[k]
        let ins = inputs[k]
        // The layer's output value is named after it (`logits` is the graph's output, written last).
        let out = l.name == "logits" ? "logits.layer" : l.name
        var op = "", weightText = "–"
        var outRank = 4
        switch l.op {
        case .conv(let c):
            let x = input(ins[0], rank: 4, for: l.name)
            weightText = try weight(l)
            var args = [x, "\(l.name).weight"]
            if c.bias {
                g.floatTensor("\(l.name).bias", dims: [c.outChannels], try tensor("\(l.name).bias").data)
                args.append("\(l.name).bias")
            }
            let kk = Int64(c.kernel), s = Int64(c.stride), p = Int64(c.padding), d = Int64(c.dilation)
            g.node("Conv", args, out, name: l.name, attributes: [
                .ints("dilations", [d, d]), .int("group", Int64(c.groups)), .ints("kernel_shape", [kk, kk]),
                .ints("pads", [p, p, p, p]), .ints("strides", [s, s]),
            ])
            op = c.groups > 1 ? "Conv (group \(c.groups))" : "Conv"
            range[l.name] = .signed
        case .batchNorm:
            let x = value[ins[0]]!
            outRank = rank[ins[0]]!
            let channels = shapes[l.name]!.channels
            var args = [x]
            for part in ["weight", "bias", "running_mean", "running_var"] {
                g.floatTensor("\(l.name).\(part)", dims: [channels], try tensor("\(l.name).\(part)").data)
                args.append("\(l.name).\(part)")
            }
            g.node("BatchNormalization", args, out, name: l.name, attributes: [.float("epsilon", weights.epsilon(l.name))])
            op = "BatchNormalization"
            range[l.name] = .signed
        case .activation(let a):
            let x = value[ins[0]]!
            outRank = rank[ins[0]]!
            switch a {
            case .relu: g.node("Relu", [x], out, name: l.name); op = "Relu"
            case .relu6:
                if let r = stepRanges[l.name], r < 6 {
                    // A calibrated range of the quantized output (measured, or GraphLayer.activationRange): Clip(0, R),
                    // as the block exporter writes it.
                    g.floatScalar("\(l.name).clip_max", r)
                    g.node("Clip", [x, "relu6.min", "\(l.name).clip_max"], out, name: l.name)
                    op = "Clip(0, \(r))"
                } else {
                    g.node("Clip", [x, "relu6.min", "relu6.max"], out, name: l.name)
                    op = "Clip(0, 6)"
                }
            case .sigmoid: g.node("Sigmoid", [x], out, name: l.name); op = "Sigmoid"
            case .hardSigmoid:
                g.node("HardSigmoid", [x], out, name: l.name, attributes: [.float("alpha", 1.0 / 6), .float("beta", 0.5)])
                op = "HardSigmoid"
            case .hardSwish: g.node("HardSwish", [x], out, name: l.name); op = "HardSwish"
            }
            range[l.name] = ActivationRange.after(a)
        case .add, .mul:
            let a = input(ins[0], rank: 4, for: l.name), b = input(ins[1], rank: 4, for: l.name)
            op = l.op == .add ? "Add" : "Mul"
            g.node(op, [a, b], out, name: l.name)
            range[l.name] = ActivationRange.combining(range[ins[0]]!, range[ins[1]]!)
        case .globalAveragePool:
            let x = input(ins[0], rank: 4, for: l.name)
            let readBy = network.layers.indices.filter { inputs[$0].contains(l.name) }
            if !readBy.isEmpty, readBy.allSatisfy({ if case .gemm = network.layers[$0].op { return true } else { return false } }) {
                // A matrix for the gemm: the mean over H and W without the 1×1 dimensions.
                if opset >= 18 {
                    g.int64Tensor("\(l.name).axes", [2, 3])
                    g.node("ReduceMean", [x, "\(l.name).axes"], out, name: l.name, attributes: [.int("keepdims", 0)])
                } else {
                    g.node("ReduceMean", [x], out, name: l.name, attributes: [.ints("axes", [2, 3]), .int("keepdims", 0)])
                }
                op = "ReduceMean(H, W)"
                outRank = 2
            } else {
                g.node("GlobalAveragePool", [x], out, name: l.name)
                op = "GlobalAveragePool"
            }
            range[l.name] = range[ins[0]]!
        case .maxPool(let kk, let s, let p), .averagePool(let kk, let s, let p):
            let x = input(ins[0], rank: 4, for: l.name)
            var attributes: [GraphBuilder.Attribute] = [
                .ints("kernel_shape", [Int64(kk), Int64(kk)]), .ints("pads", [Int64(p), Int64(p), Int64(p), Int64(p)]),
                .ints("strides", [Int64(s), Int64(s)]),
            ]
            if case .averagePool = l.op { attributes.append(.int("count_include_pad", 0)) }
            op = l.op.label == "max-pool" ? "MaxPool" : "AveragePool"
            g.node(op, [x], out, name: l.name, attributes: attributes)
            range[l.name] = range[ins[0]]!
        case .flatten:
            let x = value[ins[0]]!
            g.node("Flatten", [x], out, name: l.name, attributes: [.int("axis", 1)])
            op = "Flatten"
            outRank = 2
            range[l.name] = range[ins[0]]!
        case .gemm(let features, let hasBias):
            let x = input(ins[0], rank: 2, for: l.name)
            weightText = try weight(l)
            var args = [x, "\(l.name).weight"]
            if hasBias {
                g.floatTensor("\(l.name).bias", dims: [features], try tensor("\(l.name).bias").data)
                args.append("\(l.name).bias")
            }
            g.node("Gemm", args, out, name: l.name, attributes: [.int("transB", 1)])
            op = "Gemm"
            outRank = 2
            range[l.name] = .signed
        }
        value[l.name] = out
        rank[l.name] = outRank
        summary.append(ONNXExport.Layer(name: l.name, op: op, weights: weightText, activations: "float"))
    }

    /// Whether layer `name` is a ReLU6 written as `Clip(0, R)` of its calibrated range (see `layer`).
    func isClipped(_ name: String) -> Bool {
        guard let r = stepRanges[name], r < 6 else { return false }
        return network.layers.first { $0.name == name }?.op == .activation(.relu6)
    }

    /// Quantizes layer `name`'s output at `bits` (quantized) on the engine's grid for its range.
    mutating func quantize(_ name: String, bits: BitWidth) throws {
        guard case .bits(let a) = bits else { return }
        let x = value[name]!
        let out = "\(name).output"
        let text: String
        let given = stepRanges[name]
        if range[name] == .zeroToSix || given != nil {
            // A static grid: [0, 6], or [0, R] / [−R, R] of a calibrated range R, with the clip the engine's grid
            // makes (a ReLU6 written as Clip(0, R) clips already; values in [0, 6] need none on [0, 6]).
            let r = given ?? Quantizer.fixedActivationRange
            let signed = range[name] == .signed
            var input = x
            if signed || (r != Quantizer.fixedActivationRange || range[name] != .zeroToSix) && !isClipped(name) {
                let lower = signed ? "\(name).clip_min" : "relu6.min"
                if signed { g.floatScalar(lower, -r) }
                g.floatScalar("\(name).clip_max", r)
                g.node("Clip", [x, lower, "\(name).clip_max"], "\(name).clipped", name: "\(name)/calibration/Clip")
                input = "\(name).clipped"
            }
            text = g.activationQDQ(name, input, bits: a, scale: StaticGrid(bits: a, range: r, signed: signed).step, signed: signed)
                + (given == nil ? "" : signed ? ", [−\(r), \(r)]" : ", [0, \(r)]")
            if given != nil { staticRanges.append((name, r)) }
        } else {
            let unsigned = range[name] == .nonNegative
            // `bits` is quantized (the guard above), so the engine's per-image quantization exists.
            let levels = DynamicQuantization(bits: bits, unsigned: unsigned)!.levels
            let p = "\(name)/dynamic_quant"
            let axes = Array(1..<Int64(rank[name]!))
            g.floatScalar("\(name).output_levels", levels)
            if !g.initializers.contains(where: { $0.name == "dynamic_quant.tiny" }) {
                g.floatScalar("dynamic_quant.tiny", Float.leastNormalMagnitude)
            }
            g.node("Abs", [x], "\(name).output_abs", name: "\(p)/Abs")
            if opset >= 18 {
                g.int64Tensor("\(name).output_axes", axes)
                g.node("ReduceMax", ["\(name).output_abs", "\(name).output_axes"], "\(name).output_max", name: "\(p)/ReduceMax",
                       attributes: [.int("keepdims", 1)])
            } else {
                g.node("ReduceMax", ["\(name).output_abs"], "\(name).output_max", name: "\(p)/ReduceMax",
                       attributes: [.ints("axes", axes), .int("keepdims", 1)])
            }
            g.node("Div", ["\(name).output_max", "\(name).output_levels"], "\(name).output_step", name: "\(p)/Div_scale")
            g.node("Max", ["\(name).output_step", "dynamic_quant.tiny"], "\(name).output_scale", name: "\(p)/Max")
            g.node("Div", [x, "\(name).output_scale"], "\(name).output_scaled", name: "\(p)/Div")
            g.node("Round", ["\(name).output_scaled"], "\(name).output_rounded", name: "\(p)/Round")
            g.node("Mul", ["\(name).output_rounded", "\(name).output_scale"], out, name: "\(p)/Mul")
            text = "per image \(unsigned ? "unsigned" : "signed"), \(a)-bit"
        }
        value[name] = out
        quantizedOutputs.append((name, bits))
        if let i = summary.lastIndex(where: { $0.name == name }) { summary[i].activations = text }
    }
}

extension GraphBuilder {
    mutating func int64Tensor(_ name: String, _ values: [Int64]) {
        var raw = Data(capacity: values.count * 8)
        for v in values { withUnsafeBytes(of: v.littleEndian) { raw.append(contentsOf: $0) } }
        add(name, type: .int64, dims: [values.count], raw: raw)
    }
}
