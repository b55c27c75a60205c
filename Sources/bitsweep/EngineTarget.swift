import ArgumentParser
import BitOpsCore
import Engine
import ONNXImport
import Sweep

/// What `infer` and `bench` run: a block-form network (`Network`) or a graph network (`GraphExecutor`: the
/// mobilenet-v2 preset or an ONNX model), with what the commands print about it.
struct EngineTarget {
    enum Form {
        case block(NetworkSpec)
        /// A graph and, for an ONNX model, the weights it carries.
        case graph(GraphNetwork, carried: GraphWeights?)
    }
    var form: Form
    var size: Int
    /// The ONNX file a graph was read from (`--model FILE.onnx`), and the calibration method its metadata records
    /// (`bitsweep.calibrate`, ImportedModel.recordedCalibration): what infer says of the ranges the model carries.
    var modelFile: String?
    var recordedCalibration: Calibration?
    /// A graph's accounting at `size` (weight convention), computed once when the target is resolved.
    private(set) var graphCost: GraphCostReport?

    init(form: Form, size: Int) throws {
        self.form = form
        self.size = size
        if case .graph(let g, _) = form { graphCost = try g.cost(inputSize: size) }
    }

    var name: String {
        switch form {
        case .block(let s): return s.name
        case .graph(let g, _): return g.name
        }
    }

    var inputChannels: Int {
        switch form {
        case .block(let s): return s.inputChannels
        case .graph(let g, _): return g.inputChannels
        }
    }

    /// Block names in block order (`block0`, … for the block form; `features.1`, … for mobilenet-v2).
    var blockNames: [String] {
        switch form {
        case .block(let s): return s.blocks.indices.map { "block\($0)" }
        case .graph(let g, _): return g.blocks
        }
    }

    /// Logits per image.
    func classes() throws -> Int {
        switch form {
        case .block(let s): return s.classes
        case .graph: return GraphNetworks.classes(graphCost!)
        }
    }

    /// The exact MACs per image.
    func macs() throws -> Int {
        switch form {
        case .block(let s): return try s.cost(inputSize: size).totals.macs
        case .graph: return graphCost!.totals.macs
        }
    }

    /// Every layer's name in order, for per-layer time shares.
    func layerOrder() throws -> [String] {
        switch form {
        case .block(let s): return try s.cost(inputSize: size).layers.map(\.name).filter { $0 != "classifier" } + ["pool", "classifier"]
        case .graph(let g, _): return g.layers.map(\.name)
        }
    }

    /// The memory estimate for `batch` images (refused before anything is decoded or allocated).
    func estimate(batch: Int, twin: Bool) throws -> MemoryEstimate {
        switch form {
        case .block(let s): return MemoryEstimate(cost: try s.cost(inputSize: size), batch: batch, twin: twin)
        case .graph: return MemoryEstimate(graph: graphCost!, batch: batch, twin: twin)
        }
    }

    var describe: String {
        switch form {
        case .block(let s): return "\(s.name) with \(s.blocks.count) blocks at \(size)×\(size)"
        case .graph(let g, _): return "\(g.name) (\(g.layers.count) layers, \(g.blocks.count) blocks) at \(size)×\(size)"
        }
    }

    /// Builds the network; a graph's weights are its ONNX model's, the `--weights` file's (the graph's parameter
    /// names, GraphWeights.swift) or seeded.
    ///
    /// With `--calibrate minmax|percentile:P` the activation ranges are first measured on `calibrationImages` with
    /// the float network (Engine/Calibration.swift).
    func build(_ engine: EngineFlags, options: EngineOptions, calibrationImages: [Tensor] = []) throws -> any InferenceNetwork {
        switch form {
        case .block(let spec):
            return try engine.build {
                var o = options
                if engine.calibration != .fixed {
                    o.calibration = engine.calibration
                    o.activationRanges = try Network.calibratedRanges(spec: spec, inputSize: size, weights: engine.source,
                                                                      images: calibrationImages, method: engine.calibration, options: o)
                }
                return try Network(spec: spec, inputSize: size, weights: engine.source, options: o)
            }
        case .graph(let g, let carried):
            // A model that carries calibrated ranges is refused --calibrate when resolved (`resolveTarget`).
            return try engine.build {
                if engine.calibration == .fixed, carried == nil, case .seed(let s) = engine.source {
                    // The memory estimate is checked before the weights are generated.
                    return try GraphExecutor(network: g, inputSize: size, seed: s, options: options)
                }
                let weights = try engine.graphWeights(g, size: size, carried: carried)
                var o = options
                if engine.calibration != .fixed {
                    o.calibration = engine.calibration
                    o.activationRanges = try GraphExecutor.calibratedRanges(network: g, inputSize: size, weights: weights,
                                                                            images: calibrationImages, method: engine.calibration, options: o)
                }
                return try GraphExecutor(network: g, inputSize: size, weights: weights, options: o)
            }
        }
    }

    /// The unquantized weights `--save-weights` writes (seeded only).
    func seededWeights(_ seed: UInt64, initialization: WeightInit) throws -> (tensors: [String: Tensor], origin: String) {
        switch form {
        case .block(let s):
            let w = NetworkWeights.seeded(seed, spec: s, initialization: initialization)
            return (w.tensors, w.origin)
        case .graph(let g, _):
            let w = try GraphWeights.seeded(seed, network: g, inputSize: size, initialization: initialization)
            return (w.tensors, w.origin)
        }
    }
}

extension NetworkOptions {
    /// The network `infer`, `bench` and `export` take: a graph for the mobilenet-v2 preset and for ONNX models (with
    /// `layerBits` applied), the block form otherwise (where `--layer-bits` does not apply).
    func resolveTarget(layerBits: [LayerBitsRule], engine: EngineFlags) throws -> EngineTarget {
        if let path = onnxModel {
            if let w = engine.weights {
                throw InputError("--weights \(w) does not apply to \(path): an ONNX model carries its weights")
            }
            let (model, g, size) = try resolveONNX(path, layerBits: layerBits)
            var target = try EngineTarget(form: .graph(g, carried: model.weights), size: size)
            target.modelFile = path
            target.recordedCalibration = model.recordedCalibration
            if engine.calibration != .fixed, g.calibratedLayerCount > 0 {
                throw target.carriedRangesRefusal(engine.calibration)
            }
            return target
        }
        if let p = graphPreset {
            let (g, size) = try resolveGraph(p, layerBits: layerBits)
            return try EngineTarget(form: .graph(g, carried: nil), size: size)
        }
        guard layerBits.isEmpty else {
            let (spec, _) = try resolve()
            throw InputError("--layer-bits applies to graph networks (mobilenet-v2, ONNX models); \(spec.name) is a block-form network: set its precision with --bits, --stem-bits and --classifier-bits")
        }
        let (spec, size) = try resolve()
        return try EngineTarget(form: .block(spec), size: size)
    }
}

/// `--layer-bits PATTERN=BITS`, shared by the commands that take a network's precision per layer.
struct LayerBitsOptions: ParsableArguments {
    @Option(name: .customLong("layer-bits"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Weight bits of the layers whose names match a pattern, e.g. 'features.*.conv.0.*=4' (mobilenet-v2, ONNX models). `*` stays within a dot-separated segment, `**` crosses them; the most specific pattern wins. Repeatable.", valueName: "pattern=bits"))
    var layerBits: [String] = []

    func rules() throws -> [LayerBitsRule] { try layerBits.map { try LayerBitsRule(parsing: $0) } }
}
