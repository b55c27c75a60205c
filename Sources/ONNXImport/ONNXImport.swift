import BitOpsCore
import Engine
import Foundation
import ONNXProto
import SwiftProtobuf

/// An ONNX model (a trained network, usually exported from PyTorch) as a `GraphNetwork` with its float
/// weights (`GraphWeights`, the engine's naming contract) — what `--model FILE.onnx` reads.
///
/// ## What is read
/// One graph input `[N, C, H, W]` (float; N may be symbolic; H = W, fixed or symbolic — then the size comes
/// from the caller), one graph output, and the nodes in the file's order (ONNX requires a topological order).
/// Weights come from initializers and `Constant` nodes, float32 in `raw_data` or `float_data` (external
/// data, other element types and weights computed by the graph are refused; quantized codes through
/// `DequantizeLinear`, below). The operators
/// (`supportedOperators`), each checked attribute by attribute:
///
/// - `Conv`: square kernel, equal strides and dilations, `group`, optional bias; `pads` the same on all four
///   sides; `auto_pad` NOTSET, VALID, or SAME_UPPER / SAME_LOWER resolved to explicit symmetric padding at
///   the input size (refused when the padding they give is asymmetric).
/// - `BatchNormalization` (inference form; `epsilon` kept per layer in `GraphWeights.batchNormEpsilon`).
/// - `Relu`, `Sigmoid`, `HardSwish`; `HardSigmoid` with α = 1/6 and β = 0.5 (PyTorch's, as the engine
///   computes it); `Clip` with min 0 and max 6 (ReLU6) or no max (ReLU), as attributes (opset < 11) or as
///   constant inputs (opset ≥ 11); `Clip(0, R)` with 1e-6 ≤ R < 6 only when the QDQ of scale R/(2^a − 1) follows
///   it (below).
/// - `Add` of two feature maps of one shape (residual); `Mul` of two feature maps, one of them possibly
///   `C×1×1` (squeeze-and-excite).
/// - `GlobalAveragePool`; `ReduceMean` over exactly H and W (axes as attribute or, from opset 18, input);
///   `MaxPool` and `AveragePool` (square kernel, symmetric pads, no ceil mode or dilation; `AveragePool` with
///   padding only with `count_include_pad` = 0, which is what the engine computes).
/// - `Flatten` (axis 1); `Reshape` of a feature map to `[N, -1]` (first entry 0, 1 or -1; second -1 or C·H·W).
/// - `Gemm` (transA 0, transB 0 or 1, α and β folded into the weights and bias); `MatMul` by a constant
///   `[in, out]` matrix, with a following `Add` of a constant `[out]` vector taken as its bias.
/// - `Identity`, `Dropout` (inference: the identity) and `Constant` make no layers.
/// - `DequantizeLinear` of constant int8/uint8/int16/uint16/int32 codes (per tensor or per slice along `axis`)
///   is folded into the float tensor it stands for, as ONNX Runtime computes it; a convolution or gemm whose
///   weight is int8/int16 codes with zero point 0 takes as its weight bits the narrowest width that holds its
///   codes (what BitSweep's symmetric quantizer used; 1-bit codes {−1, 0, 1} read as 2 bits, the same values).
///   `QuantizeLinear → DequantizeLinear` on a feature map is read as BitSweep's fixed activation grid (scale
///   6/(2^a − 1), zero point 0, uint8 or uint16) right after ReLU6, Sigmoid or HardSigmoid, and sets that
///   layer's activation bits to `a`; right after `Clip(0, R)` its scale must be R/(2^a − 1), and the layer is a
///   ReLU6 on the calibrated range R (`GraphLayer.activationRange`: what `bitsweep export --calibrate` writes).
///   A calibrated static grid elsewhere (`Importer.calibratedGridClip`) is `Clip(0, R)` after values that are never
///   negative (named `LAYER/calibration/Clip` as the export names it, unless R > 6: a model's own Clip(0, R ≤ 6)
///   stays a ReLU6 layer) or `Clip(−R, R)` after values of either sign, read only by a QDQ of scale R/(2^a − 1) (uint8/uint16)
///   or R/(2^(a−1) − 1) (int8/int16; 1 and 2 signed bits are the same grid: read as 2): it makes no layer, and sets
///   the quantized layer's activation bits and `activationRange` R (what `export --calibrate` writes for a graph).
///   A quantization must be the only reader of the output it quantizes (`Importer.checkQuantizedLayers`), and
///   must quantize the output of an engine step's last layer (`Importer.checkQuantizedStepEnds`: one of a layer
///   the step absorbs, such as a convolution before its ReLU6, would be ignored, so it is refused). `Abs`, `ReduceMax`, `Div`, `Max`, `Round` and `Mul` in the pattern the
///   export writes for the engine's per-image quantization (`Importer.perImage`) set the quantized layer's bits
///   from the number of levels and the values' sign (as the engine decides it), and nowhere else. The bits read
///   back spread over the engine step whose output they quantize (`Importer.spreadActivationBits`). So an
///   exported model reads back as the configuration it was written from.
///
/// Anything else — an operator, an attribute value, a non-4-D input, a weight that is not a constant — is
/// one line naming the file, the node and its operator, and what is supported. Nothing is guessed.
///
/// ## Layer names
/// From the node names, so that layer patterns (`--layer-bits`) read like the model's own module names:
/// - a name with `/` is torch.onnx's scope path (`/features/features.1/conv/conv.0/conv.0.0/Conv`): its last
///   segment is the operator, the others are joined into the module's dotted path, a segment that repeats
///   the previous one as a prefix adding only its rest (`features` + `features.1` + `conv` + `conv.0` +
///   `conv.0.0` → `features.1.conv.0.0`, torchvision's own name). When the path is shared by several nodes
///   that make layers, or is the path of a container (a prefix of another node's path, as for a residual add
///   in `/features/features.3/Add`), `.` and the lower-cased operator segment are appended
///   (`features.3.add`, the `mobilenet-v2` preset's name); a node at the root scope is named by its operator
///   segment (`/GlobalAveragePool` → `globalaveragepool`).
/// - any other name is kept as it is; an empty one becomes `op_index` (`conv_3`);
/// - characters other than letters, digits, `_`, `-` and `.` become `_`, and a name taken already (or
///   `input`) gets `_2`, `_3`, ….
///
/// ## Blocks (the units of per-block precision)
/// A layer's group is the first two segments of its name when the second is a number (`features.3.conv.1.0`
/// → `features.3`, `layer.1.dw` → `layer.1`); other layers have none. The groups, in order of first
/// appearance, are the network's blocks — except that the group holding the network's first weight layer
/// (the stem) and the group holding its last (the classifier) stay outside the blocks when that is their only
/// weight layer, as the presets keep their stem and classifier outside. A group without a weight layer is not
/// a block either. An imported torchvision MobileNetV2 thus has the blocks `features.1` … `features.18`,
/// like the `mobilenet-v2` preset. A name whose first segment is `block` and a number (`block3.depthwise.conv`:
/// the node names `bitsweep export` writes for a block-form network, `block3.depthwise/Conv`) has that segment as
/// its group, so an exported block network reads back with its blocks `block0`, `block1`, … (its stem and
/// classifier outside them), and per-block precision keeps its meaning. Every weight is float (the model's own precision) until bits are set.
public struct ImportedModel: Sendable {
    public var network: GraphNetwork
    public var weights: GraphWeights
    /// The side of the square input the graph was imported at (the model's own when fixed).
    public var inputSize: Int
    /// Whether the model fixes its input's height and width (else any size can be imported).
    public var fixedSize: Bool
    /// The graph's input and output names.
    public var inputName: String
    public var outputName: String
    /// The default domain's opset the model imports.
    public var opset: Int
    /// The calibration method the model's metadata records (`bitsweep.calibrate`, which `bitsweep export
    /// --calibrate` writes: `minmax`, `percentile:P`); nil when the file records none (or a value that is not a
    /// method). It only describes the ranges the layers carry (`GraphLayer.activationRange`); they are read from
    /// the nodes, never from the metadata.
    public var recordedCalibration: Calibration?
}

/// A problem with an ONNX file: one line, starting with the file's path. Names from the file are quoted as they
/// are, except that control characters (a newline in a damaged name) are written as escapes (`\n`, `\u{7}`),
/// so the message stays one line.
public struct ONNXImportError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) {
        self.description = description.unicodeScalars.map { c in
            c.properties.generalCategory == .control ? c.escaped(asASCII: true) : String(c)
        }.joined()
    }
}

public enum ONNXImport {
    /// The operators the import understands (see the type's documentation for their attributes).
    public static let supportedOperators = Operator.allCases.map(\.rawValue)

    /// Limits against hostile files: more nodes or weights than any published classifier.
    public enum Limits {
        public static let nodes = GraphNetwork.Limits.layers
        public static let fileBytes = 2_000_000_000
    }

    /// Reads `path`. `size`: the square input side to import at; required when the model's height and width
    /// are symbolic, and must agree with them when they are fixed.
    public static func load(path: String, size: Int? = nil) throws -> ImportedModel {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            let exists = FileManager.default.fileExists(atPath: path)
            throw ONNXImportError("\(path): \(exists ? "cannot be read" : "no such file")")
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return try read(data, origin: path, name: name, size: size)
    }

    /// Reads a serialized ModelProto; `origin` (a path) starts every message, `name` names the network.
    public static func read(_ data: Data, origin: String, name: String, size: Int? = nil) throws -> ImportedModel {
        guard data.count <= Limits.fileBytes else {
            throw ONNXImportError("\(origin): \(data.count) bytes is too large for an ONNX model (at most \(Limits.fileBytes))")
        }
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw ONNXImportError("\(origin): not a readable ONNX model (protobuf decoding failed: \(error)); expected a .onnx file as torch.onnx.export writes it")
        }
        guard model.hasGraph, !model.graph.node.isEmpty else {
            throw ONNXImportError("\(origin): not an ONNX model: no graph with nodes (ir_version \(model.irVersion))")
        }
        var importer = try Importer(model: model, origin: origin, name: name, size: size)
        return try importer.run()
    }
}

/// A layer's values as the engine sees them, which decides how it quantizes them (`Importer.valueRange`).
private enum ValueRange { case zeroToSix, nonNegative, signed }

/// The operators the import understands, in the order its messages list them.
private enum Operator: String, CaseIterable {
    case conv = "Conv", batchNormalization = "BatchNormalization", relu = "Relu", clip = "Clip"
    case hardSwish = "HardSwish", hardSigmoid = "HardSigmoid", sigmoid = "Sigmoid", add = "Add", mul = "Mul"
    case globalAveragePool = "GlobalAveragePool", reduceMean = "ReduceMean", maxPool = "MaxPool"
    case averagePool = "AveragePool", flatten = "Flatten", reshape = "Reshape", gemm = "Gemm", matMul = "MatMul"
    case quantizeLinear = "QuantizeLinear", dequantizeLinear = "DequantizeLinear"
    case abs = "Abs", reduceMax = "ReduceMax", div = "Div", max = "Max", round = "Round"
    case identity = "Identity", dropout = "Dropout", constant = "Constant"
}

/// A value of the graph: a feature map made by a layer (or the network's input), a constant, or a feature map
/// quantized by a `QuantizeLinear` (valid only as the input of the `DequantizeLinear` that undoes it).
private enum Value {
    /// `rank` 4 (`N×C×H×W`) or 2 (`N×C`, then `shape` is `C×1×1`).
    case activation(layer: String, shape: Shape, rank: Int)
    case constant(Constant)
    /// Layer `layer`'s output on the grid `k · scale`, stored as `type` (uint8 or uint16; int8 or int16 for a
    /// signed calibrated grid), zero point 0; `clip`: the calibrated range it was clipped to first.
    case quantized(layer: String, shape: Shape, rank: Int, scale: Float, type: Onnx_TensorProto.DataType, clip: StaticClip?)
    /// Layer `layer`'s output clipped to its calibrated grid's range (`Clip(0, R)` or `Clip(−R, R)`), valid only as
    /// the input of the `QuantizeLinear` that quantizes it on that grid.
    case clipped(layer: String, shape: Shape, rank: Int, clip: StaticClip)
    /// A step of the per-image quantization of layer `layer`'s output (see `PerImageStep`).
    case perImage(PerImageStep, layer: String, shape: Shape, rank: Int)
}

/// The range of a calibrated static grid: [0, R], or [−R, R] when `signed`.
private struct StaticClip {
    var range: Float
    var signed: Bool
    /// How messages name the Clip node (`origin: node 'name' (Clip)`).
    var at = ""
}

/// The steps of per-image activation quantization as `bitsweep export` writes it (the engine's
/// `DynamicQuantization`): `|x|` → its maximum over the image → `/ levels` → `max(·, tiny)` (the scale `s`) →
/// `x / s` → rounded → `· s`, the last giving the quantized feature map back.
private enum PerImageStep: Equatable {
    case abs, maxAbs, step(levels: Float), scale(levels: Float), scaled(levels: Float), rounded(levels: Float)
}

/// A constant tensor: float32 values, or integer values (int64 shapes and axes; int8/uint8/int16/uint16/int32
/// tensors for `DequantizeLinear`).
private struct Constant {
    var dims: [Int]
    var floats: [Float]?
    var ints: [Int64]?
    /// The element type of integer values.
    var type: Onnx_TensorProto.DataType = .float
    /// For float values made by `DequantizeLinear` of int8/int16 codes with zero point 0: the narrowest
    /// two's-complement width (at least 2) that holds every code — the bits BitSweep's symmetric quantizer
    /// used for them.
    var codeBits: Int?
    var count: Int { dims.reduce(1, *) }
}

private struct Importer {
    let model: Onnx_ModelProto
    let origin: String
    let name: String
    let opset: Int
    var values: [String: Value] = [:]
    var layers: [GraphLayer] = []
    var tensors: [String: Tensor] = [:]
    var epsilons: [String: Float] = [:]
    var usedNames: Set<String> = [GraphNetwork.inputName]
    /// How many nodes read each value (for fusing MatMul + Add); the graph's output counts as a reader.
    var consumers: [String: Int] = [:]
    /// The nodes that read each value (node indices; −1: the graph's output).
    var readerNodes: [String: [Int]] = [:]
    /// The value each layer wrote (after a MatMul's bias Add: the Add's output).
    var layerOutput: [String: String] = [:]
    /// Values that only pass another value on unchanged (Identity, Dropout, a Flatten of a flat value, the bias
    /// Add of a MatMul's gemm): source → the values that pass it on.
    var passedOn: [String: [String]] = [:]
    /// Nodes that only pass their input on (see `passedOn`).
    var passNodes: Set<Int> = []
    /// Layer outputs quantized for the engine (QDQ, per-image): the layer, how many nodes of the quantization
    /// read its output, and the quantizing node (`file: node 'name' (Op)`). Checked when every node is read:
    /// the engine quantizes a layer's output for all its readers, so nothing else may read it unquantized.
    var quantizedLayers: [(layer: String, readers: Int, at: String)] = []
    /// The node being read, as messages name it (`file: node 'name' (Op)`).
    var current = ""
    /// `Clip(0, R)` layers with 1e-6 ≤ R < 6 not yet followed by their QDQ: layer → R and the Clip node (`file: node
    /// 'name' (Clip)`).
    var calibratedClips: [String: (range: Float, at: String)] = [:]
    /// How many layer-making nodes share each torch scope path.
    var pathCounts: [String: Int] = [:]
    /// Scope paths that contain other nodes' paths (container modules).
    var containers: Set<String> = []
    var inputName = ""
    var channels = 0
    var size = 0
    var fixedSize = false
    /// Gemm layers made from a MatMul that may still take an `Add` as bias: value name → layer index.
    var openMatMul: [String: Int] = [:]

    init(model: Onnx_ModelProto, origin: String, name: String, size requested: Int?) throws {
        self.model = model
        self.origin = origin
        self.name = name
        guard let op = model.opsetImport.first(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" }) else {
            throw ONNXImportError("\(origin): the model imports no opset of the default ONNX domain")
        }
        opset = Int(op.version)
        let graph = model.graph
        guard graph.node.count <= ONNXImport.Limits.nodes else {
            throw ONNXImportError("\(origin): \(graph.node.count) nodes is too many (at most \(ONNXImport.Limits.nodes))")
        }

        for t in graph.initializer {
            values[t.name] = .constant(try Self.constant(t, origin: origin, what: "initializer '\(t.name)'"))
        }
        let inputs = graph.input.filter { values[$0.name] == nil }
        guard inputs.count == 1 else {
            throw ONNXImportError("\(origin): the graph has \(inputs.count) inputs (\(inputs.map(\.name).joined(separator: ", "))); expected one image input N×C×H×W")
        }
        let input = inputs[0]
        inputName = input.name
        guard input.type.tensorType.elemType == Int32(Onnx_TensorProto.DataType.float.rawValue) else {
            throw ONNXImportError("\(origin): input '\(input.name)' is not float32; expected a float image input N×C×H×W")
        }
        let dims = input.type.tensorType.shape.dim.map { d -> Int? in
            if case .dimValue(let v)? = d.value { return Int(v) }
            return nil
        }
        let shown = input.type.tensorType.shape.dim.map { d -> String in
            switch d.value {
            case .dimValue(let v)?: return String(v)
            case .dimParam(let p)?: return p.isEmpty ? "?" : p
            case nil: return "?"
            }
        }.joined(separator: "×")
        guard dims.count == 4 else {
            throw ONNXImportError("\(origin): input '\(input.name)' has shape \(shown.isEmpty ? "(none)" : shown); expected 4 dimensions N×C×H×W")
        }
        guard let c = dims[1], (1...NetworkSpec.Limits.channels).contains(c) else {
            throw ONNXImportError("\(origin): input '\(input.name)' \(shown): the channel count must be a fixed number from 1 to \(NetworkSpec.Limits.channels)")
        }
        channels = c
        switch (dims[2], dims[3]) {
        case let (h?, w?):
            guard h == w else {
                throw ONNXImportError("\(origin): input '\(input.name)' is \(shown); BitSweep's networks take square images (H = W)")
            }
            guard (1...16384).contains(h) else { throw ONNXImportError("\(origin): input '\(input.name)' \(shown): H and W must be 1–16384") }
            if let requested, requested != h {
                throw ONNXImportError("\(origin): the model's input is fixed at \(h)×\(h); size \(requested) differs (leave --size out, or give \(h))")
            }
            size = h
            fixedSize = true
        case (nil, nil):
            guard let requested else {
                throw ONNXImportError("\(origin): input '\(input.name)' \(shown) has a symbolic height and width: give the image size (--size)")
            }
            guard (1...16384).contains(requested) else { throw ONNXImportError("\(origin): size \(requested) is out of range: expected 1–16384") }
            size = requested
        default:
            throw ONNXImportError("\(origin): input '\(input.name)' is \(shown): height and width must both be fixed or both symbolic")
        }
        values[input.name] = .activation(layer: GraphNetwork.inputName, shape: Shape(channels: c, height: size, width: size), rank: 4)

        for (index, n) in graph.node.enumerated() {
            for i in n.input where !i.isEmpty {
                consumers[i, default: 0] += 1
                readerNodes[i, default: []].append(index)
            }
            if !["Constant", "Identity", "Dropout"].contains(n.opType), let (path, _) = Self.torchScope(n.name), !path.isEmpty {
                pathCounts[path, default: 0] += 1
            }
        }
        for o in graph.output {
            consumers[o.name, default: 0] += 1
            readerNodes[o.name, default: []].append(-1)
        }
        for path in pathCounts.keys {
            var p = Substring(path)
            while let dot = p.lastIndex(of: ".") {
                p = p[..<dot]
                containers.insert(String(p))
            }
        }
    }

    mutating func run() throws -> ImportedModel {
        let graph = model.graph
        for (index, node) in graph.node.enumerated() {
            try importNode(node, index: index)
        }
        guard graph.output.count == 1 else {
            throw ONNXImportError("\(origin): the graph has \(graph.output.count) outputs; expected one (the logits)")
        }
        let out = graph.output[0].name
        guard case .activation(let last, _, _)? = values[out], last == layers.last?.name else {
            throw ONNXImportError("\(origin): output '\(out)' is not made by the graph's last layer\(layers.last.map { " ('\($0.name)')" } ?? ""); expected the logits to come last")
        }
        if let clip = calibratedClips.values.min(by: { $0.at < $1.at }) {
            throw ONNXImportError("\(clip.at): range 0.0…\(clip.range) without a QuantizeLinear → DequantizeLinear of scale \(clip.range)/(2^a − 1) after it; supported: \(Self.clipRanges)")
        }
        try checkQuantizedLayers()
        let (blocks, blockOf) = Self.blocks(layers)
        for i in layers.indices { layers[i].block = blockOf[i] }
        try checkQuantizedStepEnds(blocks: blocks)
        Self.spreadActivationBits(&layers)
        let network = GraphNetwork(name: name, inputChannels: channels, inputBits: .bits(8), layers: layers, blocks: blocks)
        do {
            try network.validate()
            _ = try network.cost(inputSize: size)
        } catch {
            throw ONNXImportError("\(origin): \(error)")
        }
        return ImportedModel(network: network, weights: GraphWeights(tensors: tensors, batchNormEpsilon: epsilons, origin: origin),
                             inputSize: size, fixedSize: fixedSize, inputName: inputName, outputName: out, opset: opset,
                             recordedCalibration: Self.recordedCalibration(model.metadataProps))
    }

    /// The method of `bitsweep.calibrate` among the model's metadata (the first such entry), if it reads as one;
    /// `fixed` counts as none (the export records no method for fixed ranges).
    static func recordedCalibration(_ metadata: [Onnx_StringStringEntryProto]) -> Calibration? {
        guard let text = metadata.first(where: { $0.key == "bitsweep.calibrate" })?.value,
              let method = Calibration(text), method != .fixed else { return nil }
        return method
    }

    // MARK: - Nodes

    /// How messages name node `index`: `node 'name' (Op)`, or `node '#index' (Op)` for an unnamed one.
    func describeNode(_ index: Int) -> String {
        let n = model.graph.node[index]
        return "node '\(n.name.isEmpty ? "#\(index)" : n.name)' (\(n.opType))"
    }

    mutating func importNode(_ n: Onnx_NodeProto, index: Int) throws {
        let at = "\(origin): \(describeNode(index))"
        current = at
        func fail(_ message: String) -> ONNXImportError { ONNXImportError("\(at): \(message)") }
        guard n.domain.isEmpty || n.domain == "ai.onnx" else {
            throw fail("operator domain '\(n.domain)' is not supported; expected the default ONNX domain")
        }
        guard let op = Operator(rawValue: n.opType) else {
            throw fail("operator not supported; supported: \(ONNXImport.supportedOperators.joined(separator: ", "))")
        }
        let attrs = Attributes(node: n, fail: fail)
        let known = Self.knownAttributes[n.opType] ?? []
        for a in n.attribute where !known.contains(a.name) {
            throw fail(known.isEmpty ? "attribute '\(a.name)' is not supported; \(n.opType) takes none"
                                     : "attribute '\(a.name)' is not supported; supported: \(known.sorted().joined(separator: ", "))")
        }
        guard let output = n.output.first, !output.isEmpty else { throw fail("has no output") }
        let extraOutputs = n.output.dropFirst().filter { !$0.isEmpty }
        if !extraOutputs.isEmpty {
            throw fail("has \(n.output.count) outputs (\(n.output.joined(separator: ", "))); only the inference form with one output is supported")
        }

        func activation(_ i: Int) throws -> (layer: String, shape: Shape, rank: Int) {
            guard i < n.input.count, !n.input[i].isEmpty else { throw fail("input \(i) is missing") }
            switch values[n.input[i]] {
            case .activation(let l, let s, let r)?: return (l, s, r)
            case .constant?: throw fail("input '\(n.input[i])' is a constant; expected a feature map")
            case .quantized?: throw fail("input '\(n.input[i])' is quantized (QuantizeLinear) and not dequantized; supported: QuantizeLinear → DequantizeLinear pairs")
            case .perImage?: throw fail("input '\(n.input[i])' is an unfinished per-image quantization; supported: \(Self.perImagePattern)")
            case .clipped?: throw fail("input '\(n.input[i])' is clipped to a calibrated range and not quantized; supported: \(Self.calibratedGrid)")
            case nil: throw fail("input '\(n.input[i])' is not the graph's input or the output of an earlier node")
            }
        }
        func constant(_ i: Int, _ what: String) throws -> Constant? {
            guard i < n.input.count, !n.input[i].isEmpty else { return nil }
            switch values[n.input[i]] {
            case .constant(let c)?: return c
            case .activation?, .quantized?, .perImage?, .clipped?: throw fail("\(what) '\(n.input[i])' is computed by the graph; only constant \(what)s (initializers or Constant nodes) are supported")
            case nil: throw fail("input '\(n.input[i])' is not an initializer or the output of an earlier node")
            }
        }
        func floats(_ i: Int, _ what: String, shape: [Int]) throws -> Tensor {
            guard let c = try constant(i, what) else { throw fail("\(what) (input \(i)) is missing") }
            guard let f = c.floats else { throw fail("\(what) '\(n.input[i])' is not float32") }
            guard c.dims == shape else {
                throw fail("\(what) '\(n.input[i])' has shape \(Tensor.describe(c.dims)); expected \(Tensor.describe(shape))")
            }
            return Tensor(shape: shape, data: f)
        }
        func alias(_ source: Int = 0) throws {
            guard source < n.input.count, let v = values[n.input[source]] else {
                throw fail("input '\(source < n.input.count ? n.input[source] : "")' is not the graph's input or the output of an earlier node")
            }
            values[output] = v
            passedOn[n.input[source], default: []].append(output)
            passNodes.insert(index)
        }
        @discardableResult
        func add(_ op: GraphOp, inputs: [String], shape: Shape, rank: Int = 4) -> String {
            let layer = layerName(n, index: index)
            let actBits: BitWidth? = {
                switch op {
                case .globalAveragePool, .maxPool, .averagePool, .flatten: return nil
                default: return .float
                }
            }()
            let prev = layers.last?.name ?? GraphNetwork.inputName
            // Inputs listed only when they are not simply the layer before (the graph's implicit chain).
            let explicit = inputs.count == 1 && inputs[0] == prev ? [] : inputs
            layers.append(GraphLayer(layer, op, inputs: explicit, block: nil, bits: .float, actBits: actBits))
            values[output] = .activation(layer: layer, shape: shape, rank: rank)
            layerOutput[layer] = output
            return layer
        }

        /// An activation layer reading input 0.
        func activationLayer(_ a: Activation) throws {
            let x = try activation(0)
            add(.activation(a), inputs: [x.layer], shape: x.shape, rank: x.rank)
        }

        switch op {
        case .constant:
            values[output] = .constant(try constantNode(n, attrs: attrs, fail: fail))
        case .identity:
            try alias()
        case .dropout:
            if n.input.count > 1, let ratio = try constant(1, "ratio"), ratio.floats == nil { throw fail("ratio is not float32") }
            if n.input.count > 2, let mode = try constant(2, "training_mode"), (mode.ints ?? []).contains(where: { $0 != 0 }) {
                throw fail("training_mode is true; only inference (the identity) is supported")
            }
            try alias()

        case .conv:
            let x = try activation(0)
            guard x.rank == 4 else { throw fail("input is \(x.shape.channels) features, not a feature map") }
            guard let wc = try constant(1, "weight"), wc.dims.count == 4 else {
                throw fail("weight '\(n.input.count > 1 ? n.input[1] : "")' must be a constant 4-D tensor [C_out, C_in/group, kH, kW]")
            }
            let (cout, cinPerGroup, kh, kw) = (wc.dims[0], wc.dims[1], wc.dims[2], wc.dims[3])
            guard kh == kw else { throw fail("kernel \(kh)×\(kw) is not square; supported: square kernels") }
            if let ks = try attrs.ints("kernel_shape"), ks != [kh, kw] {
                throw fail("kernel_shape \(ks) disagrees with the weight's \(kh)×\(kw)")
            }
            let group = try attrs.int("group") ?? 1
            guard group >= 1, x.shape.channels % group == 0, cout % group == 0, cinPerGroup * group == x.shape.channels else {
                throw fail("group \(group) with weight \(Tensor.describe(wc.dims)) does not fit \(x.shape.channels) input channels")
            }
            let stride = try attrs.square("strides", default: 1)
            let dilation = try attrs.square("dilations", default: 1)
            let pad = try padding(attrs, kernel: kh, stride: stride, dilation: dilation, input: x.shape.height, fail: fail)
            let w = try floats(1, "weight", shape: wc.dims)
            let bias = try constant(2, "bias") != nil ? try floats(2, "bias", shape: [cout]) : nil
            let span = dilation * (kh - 1) + 1
            guard let h = convOutputSize(input: x.shape.height, kernel: span, stride: stride, padding: pad) else {
                throw fail("the \(x.shape.height)×\(x.shape.width) input is smaller than the \(span)×\(span) window")
            }
            let out = Shape(channels: cout, height: h, width: h)
            let c = ConvAttributes(outChannels: cout, kernel: kh, stride: stride, padding: pad, dilation: dilation,
                                   groups: group, bias: bias != nil)
            let layer = add(.conv(c), inputs: [x.layer], shape: out)
            tensors[layer + ".weight"] = w
            if let b = wc.codeBits { layers[layers.count - 1].bits = .bits(b) }
            if let bias { tensors[layer + ".bias"] = bias }

        case .batchNormalization:
            let x = try activation(0)
            if let mode = try attrs.int("training_mode"), mode != 0 { throw fail("training_mode \(mode); only inference is supported") }
            if let spatial = try attrs.int("spatial"), spatial != 1 { throw fail("spatial \(spatial); only spatial = 1 is supported") }
            let c = x.shape.channels
            let parts = try ["weight", "bias", "running_mean", "running_var"].enumerated().map {
                try floats($0.offset + 1, ["scale", "B", "input_mean", "input_var"][$0.offset], shape: [c])
            }
            let eps = try attrs.float("epsilon") ?? 1e-5
            guard eps > 0, eps.isFinite else { throw fail("epsilon \(eps) must be positive") }
            let layer = add(.batchNorm, inputs: [x.layer], shape: x.shape, rank: x.rank)
            for (suffix, t) in zip(["weight", "bias", "running_mean", "running_var"], parts) { tensors[layer + "." + suffix] = t }
            epsilons[layer] = eps

        case .relu: try activationLayer(.relu)
        case .sigmoid: try activationLayer(.sigmoid)
        case .hardSwish: try activationLayer(.hardSwish)
        case .hardSigmoid:
            let alpha = try attrs.float("alpha") ?? 0.2, beta = try attrs.float("beta") ?? 0.5
            guard abs(alpha - 1 / 6) < 1e-6, beta == 0.5 else {
                throw fail("alpha \(alpha), beta \(beta); supported: alpha 1/6 and beta 0.5 (PyTorch's Hardsigmoid)")
            }
            try activationLayer(.hardSigmoid)
        case .clip:
            let (lo, hi) = try clipRange(n, attrs: attrs, constant: constant, fail: fail)
            if var clip = calibratedGridClip(n, output: output, lo: lo, hi: hi),
               case .activation(let layer, let shape, let rank)? = values[n.input[0]] {
                clip.at = at
                // The clip of a calibrated static grid: no layer of its own (`quantizeLinear`, `dequantizeLinear`).
                values[output] = .clipped(layer: layer, shape: shape, rank: rank, clip: clip)
                return
            }
            switch (lo, hi) {
            case (0?, 6?): try activationLayer(.relu6)
            case (0?, nil): try activationLayer(.relu)
            case (0?, let r?) where r >= GraphLayer.smallestActivationRange && r < 6:
                // A ReLU6 on a calibrated range: valid only with the QDQ of that range after it (`dequantizeLinear`).
                try activationLayer(.relu6)
                calibratedClips[layers[layers.count - 1].name] = (r, at)
            default:
                let range = "range \(lo.map { "\($0)" } ?? "-∞")…\(hi.map { "\($0)" } ?? "∞")"
                if (lo ?? -1) < 0, let readers = readerNodes[output], readers.count == 1, readers[0] >= 0,
                   model.graph.node[readers[0]].opType == "QuantizeLinear" {
                    // Before a QDQ: meant as a calibrated grid, whose signed form is Clip(−R, R) of signed values.
                    throw fail("\(range) before a QuantizeLinear; supported: \(Self.calibratedGrid)")
                }
                throw fail("\(range); supported: \(Self.clipRanges)")
            }

        case .add:
            guard n.input.count == 2 else { throw fail("has \(n.input.count) inputs; expected 2") }
            if case .constant? = values[n.input[1]] {
                try matMulBias(n, biasIndex: 1, output: output, index: index, fail: fail)
            } else if case .constant? = values[n.input[0]] {
                try matMulBias(n, biasIndex: 0, output: output, index: index, fail: fail)
            } else {
                let a = try activation(0), b = try activation(1)
                guard a.shape == b.shape, a.rank == b.rank else {
                    throw fail("adds \(a.shape) and \(b.shape); supported: two feature maps of the same shape (a residual)")
                }
                add(.add, inputs: [a.layer, b.layer], shape: a.shape, rank: a.rank)
            }

        case .abs, .reduceMax, .div, .max, .round:
            try perImage(n, op: op, output: output, attrs: attrs, fail: fail)
        case .mul:
            guard n.input.count == 2 else { throw fail("has \(n.input.count) inputs; expected 2") }
            if case .perImage? = values[n.input[0]] {
                try perImage(n, op: op, output: output, attrs: attrs, fail: fail)
                return
            }
            if case .perImage? = values[n.input[1]] {
                try perImage(n, op: op, output: output, attrs: attrs, fail: fail)
                return
            }
            var a = try activation(0), b = try activation(1)
            let gate = { (s: Shape) in Shape(channels: s.channels, height: 1, width: 1) }
            if a.shape != b.shape, a.shape == gate(b.shape) { swap(&a, &b) }
            guard a.rank == 4, b.rank == 4, b.shape == a.shape || b.shape == gate(a.shape) else {
                throw fail("multiplies \(a.shape) by \(b.shape); supported: two feature maps of one shape, or a map by a C×1×1 gate")
            }
            add(.mul, inputs: [a.layer, b.layer], shape: a.shape)

        case .globalAveragePool:
            let x = try activation(0)
            guard x.rank == 4 else { throw fail("input is not a feature map") }
            add(.globalAveragePool, inputs: [x.layer], shape: Shape(channels: x.shape.channels, height: 1, width: 1))

        case .reduceMean:
            let x = try activation(0)
            guard x.rank == 4 else { throw fail("input is not a feature map") }
            var axes = try attrs.ints("axes")
            if axes == nil, let c = try constant(1, "axes") {
                guard let ints = c.ints else { throw fail("axes are not int64") }
                axes = ints.map(Int.init)
            }
            let normalized = Set((axes ?? []).map { $0 < 0 ? $0 + 4 : $0 })
            guard normalized == [2, 3], axes?.count == 2 else {
                throw fail("axes \(axes.map { "\($0)" } ?? "(all)"); supported: the mean over H and W (axes 2, 3)")
            }
            let keep = try attrs.int("keepdims") ?? 1
            add(.globalAveragePool, inputs: [x.layer], shape: Shape(channels: x.shape.channels, height: 1, width: 1),
                rank: keep == 0 ? 2 : 4)

        case .maxPool, .averagePool:
            let x = try activation(0)
            guard x.rank == 4 else { throw fail("input is not a feature map") }
            guard let ks = try attrs.ints("kernel_shape"), ks.count == 2, ks[0] == ks[1], ks[0] >= 1 else {
                throw fail("kernel_shape must be two equal sizes (a square window)")
            }
            let k = ks[0]
            if let ceil = try attrs.int("ceil_mode"), ceil != 0 { throw fail("ceil_mode 1 is not supported; supported: ceil_mode 0") }
            if try attrs.square("dilations", default: 1) != 1 { throw fail("dilated pooling is not supported") }
            if let order = try attrs.int("storage_order"), order != 0 { throw fail("storage_order \(order) is not supported") }
            let stride = try attrs.square("strides", default: 1)
            let pad = try padding(attrs, kernel: k, stride: stride, dilation: 1, input: x.shape.height, fail: fail)
            if op == .averagePool, pad > 0, (try attrs.int("count_include_pad") ?? 0) != 0 {
                throw fail("count_include_pad 1 with padding is not supported; supported: count_include_pad 0 (the padding is not averaged)")
            }
            guard pad <= k / 2 else { throw fail("padding \(pad) is more than half the \(k)×\(k) window") }
            guard let h = convOutputSize(input: x.shape.height, kernel: k, stride: stride, padding: pad) else {
                throw fail("the \(x.shape.height)×\(x.shape.width) input is smaller than the \(k)×\(k) window")
            }
            let out = Shape(channels: x.shape.channels, height: h, width: h)
            add(op == .maxPool ? .maxPool(kernel: k, stride: stride, padding: pad)
                                      : .averagePool(kernel: k, stride: stride, padding: pad),
                inputs: [x.layer], shape: out)

        case .flatten:
            let x = try activation(0)
            let axis = try attrs.int("axis") ?? 1
            guard axis == 1 || axis == 1 - 4 && x.rank == 4 || axis == -1 && x.rank == 2 else {
                throw fail("axis \(axis); supported: axis 1 (keep the batch, flatten the rest)")
            }
            if x.rank == 2 { try alias(); return }
            add(.flatten, inputs: [x.layer], shape: Shape(channels: x.shape.elements, height: 1, width: 1), rank: 2)

        case .reshape:
            let x = try activation(0)
            guard let s = try constant(1, "shape"), let target = s.ints else { throw fail("shape must be a constant int64 tensor") }
            let features = x.shape.elements
            let ok = target.count == 2 && [0, 1, -1].contains(target[0])
                && (target[1] == Int64(features) || (target[1] == -1 && target[0] != -1))
            guard ok else {
                throw fail("target shape \(target) of a \(x.shape) input; supported: [N, -1] (flatten: [0, -1], [1, -1] or [-1, \(features)])")
            }
            if x.rank == 2 { try alias(); return }
            add(.flatten, inputs: [x.layer], shape: Shape(channels: features, height: 1, width: 1), rank: 2)

        case .gemm, .matMul:
            let x = try activation(0)
            guard x.rank == 2 else {
                throw fail("input is a \(x.shape) feature map; supported: a flattened N×features input (after Flatten or Reshape)")
            }
            guard let wc = try constant(1, "weight"), wc.dims.count == 2 else {
                throw fail("weight '\(n.input.count > 1 ? n.input[1] : "")' must be a constant 2-D matrix")
            }
            var w = try floats(1, "weight", shape: wc.dims)
            var transposed = op == .matMul
            var bias: Tensor?
            if op == .gemm {
                if let t = try attrs.int("transA"), t != 0 { throw fail("transA \(t) is not supported; supported: transA 0") }
                transposed = (try attrs.int("transB") ?? 0) == 0
                let alpha = try attrs.float("alpha") ?? 1, beta = try attrs.float("beta") ?? 1
                if alpha != 1 { w.data = w.data.map { $0 * alpha } }
                let outFeatures = transposed ? wc.dims[1] : wc.dims[0]
                if let c = try constant(2, "bias") {
                    guard let f = c.floats, c.dims == [outFeatures] || c.dims == [1, outFeatures] || c.count == 1 else {
                        throw fail("bias '\(n.input[2])' has shape \(Tensor.describe(c.dims)); expected \(outFeatures) float32 values")
                    }
                    let values = c.count == 1 ? [Float](repeating: f[0], count: outFeatures) : f
                    bias = Tensor(shape: [outFeatures], data: values.map { $0 * beta })
                }
            }
            if transposed { w = Self.transpose(w) }
            let (outFeatures, inFeatures) = (w.shape[0], w.shape[1])
            guard inFeatures == x.shape.channels else {
                throw fail("weight \(Tensor.describe(wc.dims)) takes \(inFeatures) features; the input has \(x.shape.channels)")
            }
            let layer = add(.gemm(outFeatures: outFeatures, bias: bias != nil), inputs: [x.layer],
                            shape: Shape(channels: outFeatures, height: 1, width: 1), rank: 2)
            tensors[layer + ".weight"] = w
            if let b = wc.codeBits { layers[layers.count - 1].bits = .bits(b) }
            if let bias { tensors[layer + ".bias"] = bias }
            if op == .matMul && consumers[output] == 1 { openMatMul[output] = layers.count - 1 }

        case .quantizeLinear, .dequantizeLinear:
            guard n.input.count >= 2 else { throw fail("has \(n.input.count) input\(n.input.count == 1 ? "" : "s"); expected x, scale and an optional zero point") }
            let scale = try constant(1, "scale"), zero = try constant(2, "zero point")
            let axis = try attrs.int("axis")
            if op == .quantizeLinear {
                try quantizeLinear(n, output: output, scale: scale, zero: zero, fail: fail)
            } else {
                try dequantizeLinear(n, output: output, scale: scale, zero: zero, axis: axis, fail: fail)
            }
        }
    }

    // MARK: - Quantization (QDQ)

    /// `QuantizeLinear` of a feature map (see `activationGrid`): valid only as the input of the `DequantizeLinear`
    /// that undoes it.
    mutating func quantizeLinear(_ n: Onnx_NodeProto, output: String, scale: Constant?, zero: Constant?,
                                 fail: (String) -> ONNXImportError) throws {
        switch values[n.input.first ?? ""] {
        case .activation(let layer, let shape, let rank)?:
            let grid = try Self.activationGrid(scale: scale, zero: zero, signed: false, fail: fail)
            values[output] = .quantized(layer: layer, shape: shape, rank: rank, scale: grid.scale, type: grid.type, clip: nil)
        case .clipped(let layer, let shape, let rank, let clip)?:
            let grid = try Self.activationGrid(scale: scale, zero: zero, signed: clip.signed, fail: fail)
            values[output] = .quantized(layer: layer, shape: shape, rank: rank, scale: grid.scale, type: grid.type, clip: clip)
        default:
            throw fail("quantizes '\(n.input.first ?? "")', which is not a feature map; supported: QuantizeLinear → DequantizeLinear of a feature map, and DequantizeLinear of constant codes (weights)")
        }
    }

    /// The grid of a feature map's `QuantizeLinear` / `DequantizeLinear`: one float32 scale, and a zero point 0
    /// of type uint8 or uint16 (absent: uint8, as ONNX defaults), or int8 or int16 for a `signed` calibrated grid.
    static func activationGrid(scale s: Constant?, zero z: Constant?, signed: Bool,
                               fail: (String) -> ONNXImportError) throws -> (scale: Float, type: Onnx_TensorProto.DataType) {
        guard let s, let f = s.floats, f.count == 1 else {
            throw fail("scale must be one float32 value (per-tensor quantization of a feature map)")
        }
        guard let z else {
            if signed { throw fail("zero point is missing (uint8); supported: int8 or int16 zero point 0 after Clip(−R, R), the calibrated grid [−R, R]") }
            return (f[0], .uint8)
        }
        let types: [Onnx_TensorProto.DataType] = signed ? [.int8, .int16] : [.uint8, .uint16]
        guard let zi = z.ints, zi.count == 1, types.contains(z.type) else {
            throw fail(signed ? "zero point must be one int8 or int16 value; supported: the calibrated grid [−R, R] after Clip(−R, R)"
                              : "zero point must be one uint8 or uint16 value; supported: BitSweep's unsigned activation grids")
        }
        guard zi[0] == 0 else { throw fail("zero point \(zi[0]); supported: 0 (BitSweep's grids have zero point 0)") }
        return (f[0], z.type)
    }

    /// `DequantizeLinear`: of constant codes, the float tensor they stand for (weights); of a `QuantizeLinear`'s
    /// output, the feature map again, with the grid's bits as the quantized layer's activation bits.
    ///
    /// A feature map's pair must be BitSweep's fixed grid — scale 6/(2^a − 1) (`Quantizer.activationFactors`),
    /// zero point 0, uint8 for a ≤ 8 or uint16 — right after ReLU6, Sigmoid or HardSigmoid, whose values lie in
    /// [0, 6]: that is where the engine quantizes on that grid. (Elsewhere the engine quantizes each image with
    /// its own range, which no fixed scale describes; such a pair is refused.)
    mutating func dequantizeLinear(_ n: Onnx_NodeProto, output: String, scale: Constant?, zero: Constant?, axis: Int?,
                                   fail: (String) -> ONNXImportError) throws {
        switch values[n.input.first ?? ""] {
        case .quantized(let layer, let shape, let rank, let qScale, let type, let staticClip)?:
            let grid = try Self.activationGrid(scale: scale, zero: zero, signed: staticClip?.signed ?? false, fail: fail)
            let scale = qScale
            guard grid.scale == scale, grid.type == type else {
                throw fail("scale \(grid.scale) (\(grid.type)) differs from its QuantizeLinear's \(scale) (\(type)); supported: a DequantizeLinear that undoes its QuantizeLinear")
            }
            let top = type == .uint8 || type == .int8 ? 8 : 16
            if let clip = staticClip {
                // Clip(0, R) or Clip(−R, R) → QDQ of scale R/L: the calibrated static grid of the layer's step.
                let r = clip.range
                let bits = clip.signed ? 2...top : 1...top
                guard let a = StaticGrid.bits(step: scale, range: r, signed: clip.signed, in: bits),
                      let i = layers.lastIndex(where: { $0.name == layer }) else {
                    throw fail("scale \(scale) is not on the grid R/\(clip.signed ? "(2^(a−1) − 1)" : "(2^a − 1)"), a = \(bits.lowerBound)…\(top), of the Clip(\(clip.signed ? -r : 0), R = \(r)) before it; supported: \(Self.calibratedGrid)")
                }
                layers[i].actBits = .bits(a)
                layers[i].activationRange = r
                values[output] = .activation(layer: layer, shape: shape, rank: rank)
                quantizedLayers.append((layer, 1, clip.at))
                return
            }
            if let clip = calibratedClips[layer] {
                // Clip(0, R) → QDQ of scale R/L: a ReLU6 on the calibrated range R (`GraphLayer.activationRange`).
                guard let a = StaticGrid.bits(step: scale, range: clip.range, signed: false, in: 1...top),
                      let i = layers.lastIndex(where: { $0.name == layer }) else {
                    throw fail("scale \(scale) is not on the grid R/(2^a − 1), a = 1…\(top), of the Clip(0, R = \(clip.range)) before it; supported: a calibrated ReLU6 as bitsweep export --calibrate writes it")
                }
                layers[i].actBits = .bits(a)
                layers[i].activationRange = clip.range
                calibratedClips[layer] = nil
                values[output] = .activation(layer: layer, shape: shape, rank: rank)
                quantizedLayers.append((layer, 1, current))
                return
            }
            guard let a = StaticGrid.bits(step: scale, range: Quantizer.fixedActivationRange, signed: false, in: 1...top) else {
                throw fail("scale \(scale) is not on BitSweep's activation grid 6/(2^a − 1), a = 1…\(top); supported: the fixed [0, 6] grid")
            }
            let fixedRange: [Activation] = [.relu6, .sigmoid, .hardSigmoid]
            guard let i = layers.lastIndex(where: { $0.name == layer }), case .activation(let act) = layers[i].op,
                  fixedRange.contains(act) else {
                throw fail("quantizes the output of '\(layer)' on the fixed [0, 6] grid; supported: right after ReLU6 (Clip 0…6), Sigmoid or HardSigmoid, whose values lie in [0, 6]")
            }
            layers[i].actBits = .bits(a)
            values[output] = .activation(layer: layer, shape: shape, rank: rank)
            quantizedLayers.append((layer, 1, current))
        case .constant(let c)?:
            values[output] = .constant(try Self.dequantized(c, n, scale: scale, zero: zero, axis: axis, fail: fail))
        case .activation?, .perImage?, .clipped?:
            throw fail("dequantizes the feature map '\(n.input[0])', which no QuantizeLinear made; supported: DequantizeLinear of constant codes or of a QuantizeLinear's output")
        case nil:
            throw fail("input '\(n.input.first ?? "")' is not an initializer or the output of an earlier node")
        }
    }

    /// Constant codes as floats, `(x − zero point) · scale` in float32 as ONNX Runtime computes it: per tensor
    /// (one scale) or per slice along `axis` (default 1). For int8/int16 codes with zero point 0 the result
    /// carries `codeBits` (see `Constant`); a layer that reads it as its weight gets those weight bits. All-zero
    /// codes carry their storage width.
    static func dequantized(_ c: Constant, _ n: Onnx_NodeProto, scale: Constant?, zero: Constant?, axis: Int?,
                            fail: (String) -> ONNXImportError) throws -> Constant {
        guard let codes = c.ints, c.type != .int64 else {
            throw fail("'\(n.input[0])' must be int8, uint8, int16, uint16 or int32 codes")
        }
        guard let s = scale, let scales = s.floats, !scales.isEmpty else { throw fail("scale must be float32 values") }
        var zeros = [Int64](repeating: 0, count: scales.count)
        if let z = zero {
            guard let zi = z.ints, z.type == c.type, zi.count == scales.count else {
                throw fail("zero point must be \(scales.count) value\(scales.count == 1 ? "" : "s") of x's type (\(c.type))")
            }
            zeros = zi
        }
        let rank = c.dims.count
        var axis = axis ?? 1
        if axis < 0 { axis += rank }
        var channels = 1, inner = 1
        if scales.count > 1 || s.dims.count > 1 {
            guard (0..<rank).contains(axis), s.dims == [c.dims[axis]] else {
                throw fail("scale \(Tensor.describe(s.dims)) fits neither one scale nor one per slice along axis \(axis) of \(Tensor.describe(c.dims))")
            }
            channels = c.dims[axis]
            inner = c.dims[(axis + 1)...].reduce(1, *)
        }
        var floats = [Float](repeating: 0, count: codes.count)
        for i in codes.indices {
            let k = (i / inner) % channels
            floats[i] = Float(codes[i] - zeros[k]) * scales[k]
        }
        var out = Constant(dims: c.dims, floats: floats, ints: nil)
        if (c.type == .int8 || c.type == .int16), zeros.allSatisfy({ $0 == 0 }) {
            let lo = codes.min() ?? 0, hi = codes.max() ?? 0
            if lo == 0 && hi == 0 {
                out.codeBits = c.type == .int8 ? 8 : 16
            } else {
                out.codeBits = (2...16).first { b in -(Int64(1) << (b - 1)) <= lo && hi <= (Int64(1) << (b - 1)) - 1 }
            }
        }
        return out
    }

    static let calibratedGrid = "Clip(0, R) after values that are never negative (ReLU, Sigmoid, HardSigmoid, pooling of those, a sum of those) or Clip(−R, R) after values of either sign, read only by QuantizeLinear → DequantizeLinear of scale R/(2^a − 1) (uint8/uint16) or R/(2^(a−1) − 1) (int8/int16), zero point 0: a calibrated static grid as bitsweep export --calibrate writes it (a Clip(0, R ≤ 6) named NAME/calibration/Clip, else it is a ReLU6 layer)"

    /// A `Clip` that is the clip of a calibrated static grid (`GraphLayer.activationRange` of a step that does not end
    /// in a ReLU6, as `bitsweep export --calibrate` writes it): its only reader is a `QuantizeLinear`, its input the
    /// unquantized output of a layer, and its bounds `0…R` for values that are never negative (the export writes none
    /// at R = 6 for values in [0, 6], where the fixed grid needs no clip) or `−R…R` for values of either sign,
    /// 1e-6 ≤ R finite. Nil for
    /// any other Clip (a ReLU6, a ReLU, `Clip(0, R)` of signed values: a ReLU6 on the calibrated range R).
    ///
    /// A `Clip(0, R)` that could be a plain activation layer — R ≤ 6, a ReLU6 (on a calibrated range when R < 6) —
    /// is the static clip only when named as the export names it (`NAME/calibration/Clip`), so that a model's own
    /// ReLU6 before a QDQ stays a layer (and the per-layer counts of such models stay as they were).
    func calibratedGridClip(_ n: Onnx_NodeProto, output: String, lo: Float?, hi: Float?) -> StaticClip? {
        guard let lo, let r = hi, r >= GraphLayer.smallestActivationRange, r.isFinite,
              let readers = readerNodes[output], readers.count == 1, readers[0] >= 0,
              model.graph.node[readers[0]].opType == "QuantizeLinear",
              case .activation(let layer, _, _)? = values[n.input.first ?? ""], layer != GraphNetwork.inputName,
              !quantizedLayers.contains(where: { $0.layer == layer }) else { return nil }
        let exported = n.name.hasSuffix("/calibration/Clip")
        switch valueRange(of: layer) {
        case .signed: return lo == -r ? StaticClip(range: r, signed: true) : nil
        case .nonNegative: return lo == 0 && (exported || r > Quantizer.fixedActivationRange) ? StaticClip(range: r, signed: false) : nil
        // In [0, 6] (ReLU6, Sigmoid, HardSigmoid): any R the export wrote (R ≥ 6 of a range a network carries too).
        case .zeroToSix: return lo == 0 && exported ? StaticClip(range: r, signed: false) : nil
        }
    }

    static let clipRanges = "0…6 (ReLU6), 0…∞ (ReLU), and 0…R with 1e-6 ≤ R < 6 followed by QuantizeLinear → DequantizeLinear of scale R/(2^a − 1) (a ReLU6 quantized on a calibrated range, as bitsweep export --calibrate writes it)"

    static let perImagePattern = "per-image quantization as bitsweep export writes it: s = Max(Div(ReduceMax(Abs(x), all but the batch axis, keepdims 1), levels), tiny), then Mul(Round(Div(x, s)), s)"

    /// One node of the per-image activation quantization `bitsweep export` writes for values without a fixed
    /// range (the engine's `DynamicQuantization`: `s = max|x| / levels` per image, `round(x / s) · s`). The
    /// final `Mul` gives the feature map back and sets its layer's activation bits: `levels` is `2^a − 1` where
    /// the engine quantizes the values as unsigned (after ReLU, or a sum or product of such values) and
    /// `2^(a−1) − 1` where they have either sign (1 and 2 signed bits are the same grid: read as 2). Any other
    /// use of these operators is refused.
    mutating func perImage(_ n: Onnx_NodeProto, op: Operator, output: String, attrs: Attributes,
                           fail: (String) -> ONNXImportError) throws {
        func unsupported() -> ONNXImportError { fail("supported only as part of \(Self.perImagePattern)") }
        func value(_ i: Int) -> Value? { i < n.input.count ? values[n.input[i]] : nil }
        func scalar(_ i: Int) -> Float? {
            guard case .constant(let c)? = value(i), let f = c.floats, f.count == 1 else { return nil }
            return f[0]
        }
        func set(_ step: PerImageStep, _ layer: String, _ shape: Shape, _ rank: Int) {
            values[output] = .perImage(step, layer: layer, shape: shape, rank: rank)
        }
        switch op {
        case .abs:
            guard case .activation(let l, let shape, let rank)? = value(0) else { throw unsupported() }
            set(.abs, l, shape, rank)
        case .reduceMax:
            guard case .perImage(.abs, let l, let shape, let rank)? = value(0) else { throw unsupported() }
            var axes = try attrs.ints("axes")
            if axes == nil, n.input.count > 1, case .constant(let c)? = value(1) { axes = c.ints.map { $0.map(Int.init) } }
            let all = Set(1..<rank)
            guard let axes, Set(axes.map { $0 < 0 ? $0 + rank : $0 }) == all, axes.count == all.count,
                  (try attrs.int("keepdims") ?? 1) == 1 else {
                throw fail("axes \(axes.map { "\($0)" } ?? "(all)"); supported: the maximum over every axis but the batch (\(all.sorted())), keepdims 1, in \(Self.perImagePattern)")
            }
            set(.maxAbs, l, shape, rank)
        case .div:
            if case .perImage(.maxAbs, let l, let shape, let rank)? = value(0), let levels = scalar(1) {
                guard levels >= 1, levels <= 65_535, levels == levels.rounded() else {
                    throw fail("levels \(levels); supported: a whole number of levels 1…65535 in \(Self.perImagePattern)")
                }
                set(.step(levels: levels), l, shape, rank)
            } else if case .activation(let l, let shape, let rank)? = value(0),
                      case .perImage(.scale(let levels), l, _, _)? = value(1) {
                set(.scaled(levels: levels), l, shape, rank)
            } else {
                throw unsupported()
            }
        case .max:
            let pair = [value(0), value(1)]
            guard let i = pair.firstIndex(where: { if case .perImage(.step, _, _, _)? = $0 { return true } else { return false } }),
                  case .perImage(.step(let levels), let l, let shape, let rank)? = pair[i],
                  let tiny = scalar(1 - i), tiny > 0, tiny <= Float.leastNormalMagnitude else {
                throw unsupported()
            }
            set(.scale(levels: levels), l, shape, rank)
        case .round:
            guard case .perImage(.scaled(let levels), let l, let shape, let rank)? = value(0) else { throw unsupported() }
            set(.rounded(levels: levels), l, shape, rank)
        case .mul:
            let pair = [value(0), value(1)]
            guard let i = pair.firstIndex(where: { if case .perImage(.rounded, _, _, _)? = $0 { return true } else { return false } }),
                  case .perImage(.rounded(let levels), let l, let shape, let rank)? = pair[i],
                  case .perImage(.scale(levels), l, _, _)? = pair[1 - i] else {
                throw unsupported()
            }
            let range = valueRange(of: l)
            guard range != .zeroToSix, let index = layers.lastIndex(where: { $0.name == l }) else {
                throw fail("quantizes the output of '\(l)' per image; its values lie in [0, 6], which the engine quantizes on the fixed grid (QuantizeLinear → DequantizeLinear)")
            }
            let k = Int(levels + 1).trailingZeroBitCount
            guard 1 << k == Int(levels) + 1 else {
                throw fail("levels \(Int(levels)) is not 2^k − 1; supported: the engine's per-image grids in \(Self.perImagePattern)")
            }
            let bits = range == .nonNegative ? k : max(2, k + 1)
            guard bits <= 16 else { throw fail("\(Int(levels)) levels of signed values need \(bits) bits; supported: at most 16") }
            layers[index].actBits = .bits(bits)
            values[output] = .activation(layer: l, shape: shape, rank: rank)
            quantizedLayers.append((l, 2, current))
        default:
            throw unsupported()
        }
    }

    /// What the engine knows of a layer's values (GraphPostOps.swift's `ActivationRange`): in [0, 6] after
    /// ReLU6, Sigmoid or HardSigmoid and for the input image; never negative after ReLU; either sign after
    /// HardSwish, a convolution, batch norm or gemm; a sum or product signed if either input is, else
    /// non-negative; pooling and flatten keep their input's.
    func valueRange(of name: String) -> ValueRange {
        guard let i = layers.lastIndex(where: { $0.name == name }) else { return .zeroToSix }   // the input image
        let l = layers[i]
        let inputs = l.inputs.isEmpty ? [i > 0 ? layers[i - 1].name : GraphNetwork.inputName] : l.inputs
        switch l.op {
        case .activation(.relu6), .activation(.sigmoid), .activation(.hardSigmoid): return .zeroToSix
        case .activation(.relu): return .nonNegative
        case .activation(.hardSwish), .conv, .batchNorm, .gemm: return .signed
        case .add, .mul:
            return inputs.map(valueRange).contains(.signed) ? .signed : .nonNegative
        case .globalAveragePool, .maxPool, .averagePool, .flatten:
            return valueRange(of: inputs[0])
        }
    }

    /// Each quantized layer output (`quantizedLayers`) must be read by its quantization alone: the engine quantizes
    /// a layer's output once, for every reader, so a node reading the unquantized output (through the values
    /// that pass it on unchanged, too) would get quantized values in BitSweep and float ones in ONNX Runtime.
    /// Such a model is refused, naming that node, rather than run with other numerics than the file's.
    func checkQuantizedLayers() throws {
        for q in quantizedLayers {
            guard let first = layerOutput[q.layer] else { continue }
            var names = [first], readers: [Int] = []
            var k = 0
            while k < names.count {
                readers += (readerNodes[names[k]] ?? []).filter { !passNodes.contains($0) }
                names += passedOn[names[k]] ?? []
                k += 1
            }
            guard readers.count > q.readers else { continue }
            let pattern: Set<String> = q.readers == 1 ? ["QuantizeLinear", "Clip"] : ["Abs", "Div"]
            let other = readers.first { $0 < 0 || !pattern.contains(model.graph.node[$0].opType) } ?? readers.last!
            let who = other < 0 ? "the graph's output '\(model.graph.output[0].name)' is" : "\(describeNode(other)) reads"
            throw ONNXImportError("\(origin): \(who) the output of '\(q.layer)' unquantized, which \(q.at.dropFirst(origin.count + 2)) quantizes; supported: a quantization (QuantizeLinear → DequantizeLinear, or the per-image pattern) that is the only reader of a layer's output, since BitSweep quantizes the output for every reader")
        }
    }

    /// Each quantized layer output (`quantizedLayers`) must end an engine step (`GraphSteps`): the engine quantizes
    /// a step's output once, on its last layer's grid, so a quantization of a layer the step absorbs (a convolution
    /// followed by its batch norm or activation, an add or gemm by its activation) would be ignored. Such a model is
    /// refused, naming the node that quantizes, rather than run with other numerics than the file's.
    func checkQuantizedStepEnds(blocks: [String]) throws {
        let steps = GraphSteps(GraphNetwork(name: name, layers: layers, blocks: blocks))
        let index = Dictionary(layers.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        var stepEnd = [Int](repeating: 0, count: layers.count)
        var i = 0
        while i < layers.count {
            let end = steps.end(from: i)
            for k in i...end { stepEnd[k] = end }
            i = end + 1
        }
        for q in quantizedLayers {
            guard let k = index[q.layer], stepEnd[k] != k else { continue }
            let what = layers[k].activationRange != nil ? "a calibrated grid" : "a quantization (QuantizeLinear → DequantizeLinear, or the per-image pattern)"
            throw ONNXImportError("\(q.at): quantizes the output of '\(q.layer)', which runs in one step with '\(layers[stepEnd[k]].name)'; supported: \(what) after a step's last layer")
        }
    }

    /// `Add(MatMul(x, W), b)`: the constant `b` becomes the bias of the gemm layer the MatMul made.
    mutating func matMulBias(_ n: Onnx_NodeProto, biasIndex: Int, output: String, index: Int,
                             fail: (String) -> ONNXImportError) throws {
        let other = n.input[1 - biasIndex]
        guard let li = openMatMul[other], case .gemm(let outFeatures, false) = layers[li].op else {
            throw fail("adds a constant to '\(other)'; supported: Add of two feature maps, or a constant bias right after a MatMul")
        }
        guard case .constant(let c)? = values[n.input[biasIndex]], let f = c.floats,
              c.dims == [outFeatures] || c.dims == [1, outFeatures] else {
            throw fail("bias '\(n.input[biasIndex])' must be \(outFeatures) float32 values ([\(outFeatures)] or [1, \(outFeatures)])")
        }
        openMatMul[other] = nil
        let layer = layers[li].name
        layers[li].op = .gemm(outFeatures: outFeatures, bias: true)
        tensors[layer + ".bias"] = Tensor(shape: [outFeatures], data: f)
        values[output] = values[other]
        passedOn[other, default: []].append(output)
        passNodes.insert(index)
    }

    /// Clip's bounds (nil: unbounded): attributes before opset 11, optional constant inputs from 11 on.
    func clipRange(_ n: Onnx_NodeProto, attrs: Attributes, constant: (Int, String) throws -> Constant?,
                   fail: (String) -> ONNXImportError) throws -> (Float?, Float?) {
        func bound(_ v: Float?) -> Float? { v.flatMap { abs($0) >= Float.greatestFiniteMagnitude ? nil : $0 } }
        if opset < 11 {
            return (bound(try attrs.float("min")), bound(try attrs.float("max")))
        }
        func scalar(_ i: Int, _ what: String) throws -> Float? {
            guard let c = try constant(i, what) else { return nil }
            guard let f = c.floats, f.count == 1 else { throw fail("\(what) must be one float32 value") }
            return f[0]
        }
        return (bound(try scalar(1, "min")), bound(try scalar(2, "max")))
    }

    /// Symmetric padding from `pads` / `auto_pad`, the same on all four sides.
    func padding(_ attrs: Attributes, kernel: Int, stride: Int, dilation: Int, input: Int,
                 fail: (String) -> ONNXImportError) throws -> Int {
        let auto = try attrs.string("auto_pad") ?? "NOTSET"
        switch auto {
        case "NOTSET", "":
            let pads = try attrs.ints("pads") ?? [0, 0, 0, 0]
            guard pads.count == 4, Set(pads).count == 1, pads[0] >= 0 else {
                throw fail("pads \(pads) are not the same on all four sides; supported: symmetric padding")
            }
            return pads[0]
        case "VALID":
            return 0
        case "SAME_UPPER", "SAME_LOWER":
            let span = dilation * (kernel - 1) + 1
            let out = (input + stride - 1) / stride
            let total = max(0, (out - 1) * stride + span - input)
            guard total % 2 == 0 else {
                throw fail("auto_pad \(auto) pads a \(input)×\(input) input by \(total) in each direction, which is asymmetric; supported: symmetric padding")
            }
            return total / 2
        default:
            throw fail("auto_pad '\(auto)' is not supported; supported: NOTSET, VALID, SAME_UPPER, SAME_LOWER (when symmetric)")
        }
    }

    func constantNode(_ n: Onnx_NodeProto, attrs: Attributes, fail: (String) -> ONNXImportError) throws -> Constant {
        guard let a = n.attribute.first else { throw fail("has no value") }
        switch a.name {
        case "value": return try Self.constant(a.t, origin: origin, what: "node '\(n.name)' (Constant) value")
        case "value_float": return Constant(dims: [], floats: [a.f], ints: nil)
        case "value_floats": return Constant(dims: [a.floats.count], floats: a.floats, ints: nil)
        case "value_int": return Constant(dims: [], floats: nil, ints: [a.i], type: .int64)
        case "value_ints": return Constant(dims: [a.ints.count], floats: nil, ints: a.ints, type: .int64)
        default: throw fail("attribute '\(a.name)' is not supported; supported: value, value_float(s), value_int(s)")
        }
    }

    /// A quantized output read back (QDQ or per-image) belongs to the last layer of an engine step — a
    /// convolution with the batch norm and activation it absorbs, a batch norm, add, mul or gemm with its
    /// activation (GraphBuilder.swift: each absorbed layer reads only the one before, is its only reader, and
    /// is in the same block). The step's other layers take the same activation bits, as a block's layers have
    /// them in the presets: the engine quantizes the step's output once either way, and the accounting counts
    /// each layer's output at its own bits.
    static func spreadActivationBits(_ layers: inout [GraphLayer]) {
        var readers: [String: Int] = [:]
        for (i, l) in layers.enumerated() {
            for name in l.inputs.isEmpty ? [i > 0 ? layers[i - 1].name : GraphNetwork.inputName] : l.inputs {
                readers[name, default: 0] += 1
            }
        }
        func absorbs(_ j: Int) -> Bool {
            let l = layers[j], previous = layers[j - 1]
            guard l.inputs.isEmpty || l.inputs == [previous.name], readers[previous.name] == 1, l.block == previous.block else { return false }
            switch (previous.op, l.op) {
            case (.conv, .batchNorm): return true
            case (.conv, .activation), (.batchNorm, .activation), (.add, .activation), (.mul, .activation), (.gemm, .activation):
                return true
            default: return false
            }
        }
        var i = 0
        while i < layers.count {
            var end = i
            // conv → batch norm → activation, or one layer and its activation.
            if end + 1 < layers.count, absorbs(end + 1) {
                end += 1
                if case .batchNorm = layers[end].op, case .conv = layers[i].op, end + 1 < layers.count,
                   case .activation = layers[end + 1].op, absorbs(end + 1) {
                    end += 1
                }
            }
            if case .bits? = layers[end].actBits {
                for k in i..<end where layers[k].actBits != nil { layers[k].actBits = layers[end].actBits }
            }
            i = end + 1
        }
    }

    // MARK: - Names and blocks

    /// The layer name of node `n` (see the type's documentation), unique among the layers so far.
    mutating func layerName(_ n: Onnx_NodeProto, index: Int) -> String {
        var base: String
        if let (path, op) = Self.torchScope(n.name) {
            let opName = Self.sanitize(op).lowercased()
            base = path.isEmpty ? opName
                : ((pathCounts[path] ?? 0) > 1 || containers.contains(path) ? path + "." + opName : path)
        } else {
            base = Self.sanitize(n.name)
        }
        if base.isEmpty { base = n.opType.lowercased() + "_\(index)" }
        var name = base, k = 2
        while usedNames.contains(name) { name = base + "_\(k)"; k += 1 }
        usedNames.insert(name)
        return name
    }

    /// A torch.onnx scope path (`/features/features.1/conv/conv.0/conv.0.0/Conv`) as the module's dotted path
    /// and the operator segment (`features.1.conv.0.0`, `Conv`); nil for a name without `/`.
    static func torchScope(_ name: String) -> (path: String, op: String)? {
        guard name.contains("/") else { return nil }
        let segments = name.split(separator: "/").map { sanitize(String($0)) }.filter { !$0.isEmpty }
        guard let op = segments.last else { return ("", "") }
        var path = "", previous = ""
        for s in segments.dropLast() {
            if !previous.isEmpty, s.hasPrefix(previous + ".") {
                path += String(s.dropFirst(previous.count))
            } else {
                path += (path.isEmpty ? "" : ".") + s
            }
            previous = s
        }
        return (path, op)
    }

    static func sanitize(_ s: String) -> String {
        var out = String(s.map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || "_-.".contains($0) ? $0 : "_" })
        while out.hasPrefix(".") { out.removeFirst() }
        while out.hasSuffix(".") { out.removeLast() }
        return out
    }

    /// The blocks and each layer's block (see the type's documentation).
    static func blocks(_ layers: [GraphLayer]) -> (names: [String], blockOf: [Int?]) {
        func group(_ name: String) -> String? {
            let parts = name.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2 else { return nil }
            func digits(_ s: Substring) -> Bool { !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber } }
            if digits(parts[1]) { return parts[0] + "." + parts[1] }
            // BitSweep's own block-form names (`block3.depthwise/Conv` as `bitsweep export` writes a block network).
            if parts[0].hasPrefix("block"), digits(parts[0].dropFirst("block".count)) { return String(parts[0]) }
            return nil
        }
        let groups = layers.map { group($0.name) }
        let weighted = layers.indices.filter { layers[$0].op.hasWeights }
        var weightCount: [String: Int] = [:]
        for i in weighted { if let g = groups[i] { weightCount[g, default: 0] += 1 } }
        var excluded: Set<String> = []
        for end in [weighted.first, weighted.last].compactMap({ $0 }) {
            if let g = groups[end], weightCount[g] == 1 { excluded.insert(g) }
        }
        var names: [String] = []
        var index: [String: Int] = [:]
        let blockOf: [Int?] = groups.map { g in
            guard let g, !excluded.contains(g), weightCount[g] != nil else { return nil }
            if let i = index[g] { return i }
            index[g] = names.count
            names.append(g)
            return names.count - 1
        }
        return (names, blockOf)
    }

    // MARK: - Tensors

    static func transpose(_ t: Tensor) -> Tensor {
        let (r, c) = (t.shape[0], t.shape[1])
        var out = [Float](repeating: 0, count: r * c)
        for i in 0..<r { for j in 0..<c { out[j * r + i] = t.data[i * c + j] } }
        return Tensor(shape: [c, r], data: out)
    }

    /// A float32 or int64 TensorProto's values (raw little-endian bytes or the typed field).
    static func constant(_ t: Onnx_TensorProto, origin: String, what: String) throws -> Constant {
        func fail(_ m: String) -> ONNXImportError { ONNXImportError("\(origin): \(what): \(m)") }
        if t.dataLocation == .external || !t.externalData.isEmpty {
            throw fail("weights in an external data file are not supported; save the model with its weights inside")
        }
        guard t.dims.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else { throw fail("dimensions \(t.dims) are out of range") }
        let dims = t.dims.map(Int.init)
        var count = 1
        for d in dims {
            let (m, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, m <= 1 << 31 else { throw fail("shape \(dims) is too large") }
            count = m
        }
        let raw = t.rawData
        switch Onnx_TensorProto.DataType(rawValue: Int(t.dataType)) {
        case .float?:
            if t.hasRawData {
                guard raw.count == count * 4 else { throw fail("raw_data holds \(raw.count) bytes; shape \(dims) needs \(count * 4)") }
                let values = raw.withUnsafeBytes { p in
                    (0..<count).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                }
                return Constant(dims: dims, floats: values, ints: nil)
            }
            guard t.floatData.count == count else { throw fail("float_data holds \(t.floatData.count) values; shape \(dims) needs \(count)") }
            return Constant(dims: dims, floats: t.floatData, ints: nil)
        case .int64?:
            if t.hasRawData {
                guard raw.count == count * 8 else { throw fail("raw_data holds \(raw.count) bytes; shape \(dims) needs \(count * 8)") }
                let values = raw.withUnsafeBytes { p in
                    (0..<count).map { Int64(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 8, as: Int64.self)) }
                }
                return Constant(dims: dims, floats: nil, ints: values, type: .int64)
            }
            guard t.int64Data.count == count else { throw fail("int64_data holds \(t.int64Data.count) values; shape \(dims) needs \(count)") }
            return Constant(dims: dims, floats: nil, ints: t.int64Data, type: .int64)
        case let type? where integerWidth[type] != nil:
            // Quantized tensors for DequantizeLinear: little-endian raw bytes, or one int32_data entry per value.
            let (bytes, signed) = integerWidth[type]!
            if t.hasRawData {
                guard raw.count == count * bytes else { throw fail("raw_data holds \(raw.count) bytes; shape \(dims) needs \(count * bytes)") }
                let values = raw.withUnsafeBytes { p -> [Int64] in
                    (0..<count).map { i in
                        var u: UInt64 = 0
                        for b in 0..<bytes { u |= UInt64(p[i * bytes + b]) << (8 * UInt64(b)) }
                        let shift = UInt64(64 - 8 * bytes)
                        return signed ? Int64(bitPattern: u << shift) >> Int64(shift) : Int64(u)
                    }
                }
                return Constant(dims: dims, floats: nil, ints: values, type: type)
            }
            guard t.int32Data.count == count else { throw fail("int32_data holds \(t.int32Data.count) values; shape \(dims) needs \(count)") }
            return Constant(dims: dims, floats: nil, ints: t.int32Data.map(Int64.init), type: type)
        default:
            let type = Onnx_TensorProto.DataType(rawValue: Int(t.dataType)).map { "\($0)" } ?? "type \(t.dataType)"
            throw fail("element type \(type) is not supported; supported: float32 (weights), int64 (shapes, axes), and int8, uint8, int16, uint16, int32 (DequantizeLinear inputs)")
        }
    }

    /// The integer element types a `DequantizeLinear` may read: bytes per value and signedness.
    static let integerWidth: [Onnx_TensorProto.DataType: (bytes: Int, signed: Bool)] = [
        .int8: (1, true), .uint8: (1, false), .int16: (2, true), .uint16: (2, false), .int32: (4, true),
    ]

    /// The attributes each operator may carry (any other is refused, so that nothing is silently ignored).
    static let knownAttributes: [String: Set<String>] = [
        "Conv": ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"],
        "BatchNormalization": ["epsilon", "momentum", "training_mode", "spatial"],
        "Relu": [], "Sigmoid": [], "HardSwish": [], "HardSigmoid": ["alpha", "beta"], "Clip": ["min", "max"],
        "Add": [], "Mul": [], "GlobalAveragePool": [], "ReduceMean": ["axes", "keepdims"],
        "MaxPool": ["kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode", "storage_order"],
        "AveragePool": ["kernel_shape", "strides", "pads", "dilations", "auto_pad", "ceil_mode", "count_include_pad"],
        "Flatten": ["axis"], "Reshape": ["allowzero"], "Gemm": ["alpha", "beta", "transA", "transB"], "MatMul": [],
        "Identity": [], "Dropout": ["seed", "ratio"], "QuantizeLinear": ["axis"], "DequantizeLinear": ["axis"],
        "Abs": [], "ReduceMax": ["axes", "keepdims"], "Div": [], "Max": [], "Round": [],
        "Constant": ["value", "value_float", "value_floats", "value_int", "value_ints"],
    ]
}

/// A node's attributes by name, typed.
private struct Attributes {
    let node: Onnx_NodeProto
    let fail: (String) -> ONNXImportError

    func find(_ name: String) -> Onnx_AttributeProto? { node.attribute.first { $0.name == name } }

    func int(_ name: String) throws -> Int? {
        guard let a = find(name) else { return nil }
        guard a.type == .int || a.hasI else { throw fail("attribute '\(name)' must be an integer") }
        guard let v = Int(exactly: a.i), abs(v) <= 1 << 30 else { throw fail("attribute '\(name)' \(a.i) is out of range") }
        return v
    }

    func ints(_ name: String) throws -> [Int]? {
        guard let a = find(name) else { return nil }
        guard a.type == .ints || !a.ints.isEmpty else { throw fail("attribute '\(name)' must be a list of integers") }
        return try a.ints.map { v in
            guard abs(v) <= 1 << 30 else { throw fail("attribute '\(name)' value \(v) is out of range") }
            return Int(v)
        }
    }

    func float(_ name: String) throws -> Float? {
        guard let a = find(name) else { return nil }
        guard a.type == .float || a.hasF else { throw fail("attribute '\(name)' must be a float") }
        return a.f
    }

    func string(_ name: String) throws -> String? {
        guard let a = find(name) else { return nil }
        return String(decoding: a.s, as: UTF8.self)
    }

    /// A two-entry attribute with both entries equal (strides, dilations), or `default`.
    func square(_ name: String, default d: Int) throws -> Int {
        guard let v = try ints(name) else { return d }
        guard v.count == 2, v[0] == v[1], v[0] >= 1 else {
            throw fail("\(name) \(v) must be two equal positive values (the same along H and W)")
        }
        return v[0]
    }
}
