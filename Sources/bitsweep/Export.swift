import ArgumentParser
import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import ONNXExport
import Presentation
import StableIO
import Sweep

/// `bitsweep export`: one configuration as an ONNX model (QDQ), with the engine's quantized weights.
struct Export: ParsableCommand, UsesEngineFlags {
    static let configuration = CommandConfiguration(
        abstract: "Write a configuration as an ONNX model: quantized weights as int8 codes with DequantizeLinear, quantized activations as QuantizeLinear/DequantizeLinear.",
        discussion: """
        The model is the network `infer` runs with the same options, with the same quantized weights: each \
        convolution is Conv → BatchNormalization → Clip(0, 6) (ReLU6), then GlobalAveragePool → Flatten → \
        Gemm. Quantized weights are stored as the quantizer's integer codes (int8 up to 8 bits, in the narrowed \
        range; int16 above) with their scale (per tensor, or per output channel with --granularity \
        per-channel) and zero point 0, followed by DequantizeLinear; tensors keep the state_dict names. \
        Layers that infer runs on int8 kernels (--kernels integer or auto) are written as those kernels compute \
        them instead: BatchNorm folded into per-channel weight scales and an int32 bias, Conv → Clip (ONNX \
        Runtime runs this form as QLinearConv); --kernels float writes the BatchNorm form throughout, and \
        --kernels integer with no layer that can run int8 is an error. \
        Quantized activations (--act-bits) are QuantizeLinear → DequantizeLinear on the fixed ReLU6 grid \
        (scale 6/(2^a − 1), zero point 0, uint8), or with --calibrate minmax|percentile:P on the ranges R measured \
        with the float network (on --threads threads) on --calibration-images (Clip(0, R), scale R/(2^a − 1)), as infer would run them; \
        the images are read and preprocessed as infer reads its images (files or folders; --resize/--crop/--mean/--std/--channel-order \
        over the model's sidecar m.preprocess.yaml); such a model reads back with --model as that calibrated network \
        (Clip(0, R) then the QDQ of scale R/L: a ReLU6 on the range R). Opset 13 (IR 7); opset 21 (IR 10) when a width above 8 bits \
        needs int16/uint16 storage. The input `input` is [batch, C, size, size] (batch symbolic), the image as \
        infer preprocesses it (RGB in [0, 1] by default); \
        the output is `logits`. The file is written whole or not at all.

        Graph networks (--preset mobilenet-v2, --model FILE.onnx; precision also by --layer-bits) are written \
        one node per layer, named after the layer: Conv (any groups, stride, padding, dilation), \
        BatchNormalization, Relu, Clip(0, 6), HardSwish, HardSigmoid, Sigmoid, Add, Mul, GlobalAveragePool or \
        ReduceMean, MaxPool, AveragePool, Flatten, Gemm — always the simulated form, what infer --kernels float \
        runs: float kernels with fake-quantized weights and activations, with --kernels auto too (--kernels integer \
        is refused). infer --kernels auto (its default) runs a graph's convolutions on int8 kernels where their \
        input has a static grid; those round the requantization their own way, so compare such an export with \
        infer --kernels float. Quantized weights as above; quantized activations where infer quantizes them: QDQ \
        on the fixed [0, 6] grid after ReLU6, Sigmoid and HardSigmoid, and the engine's per-image range elsewhere \
        (ReduceMax(|x|) → Div → Round → Mul). With --calibrate minmax|percentile:P (on --calibration-images, as \
        for block networks) every quantized output gets the static grid infer --calibrate measures on the float \
        network: values that are never negative Clip(0, R) then QDQ of scale R/(2^a − 1) (uint8, uint16 above 8 \
        bits; a ReLU6 is itself the Clip(0, R)), values of either sign (linear bottlenecks, residual sums) \
        Clip(−R, R) then QDQ of scale R/(2^(a−1) − 1) (int8, int16 above 8 bits); read back with --model, the model runs as that calibrated network. An ONNX \
        model keeps its own weights (--weights does not apply).

        Calibration, block and graph networks alike: the metadata records the method (bitsweep.calibrate) and the \
        ranges (bitsweep.activation_ranges); infer --model on the file runs on the ranges it carries and reports them \
        with that method (source model). A model that carries calibrated ranges is refused --calibrate (exit 2): \
        calibrate the model it was exported from. With every activation float (no --act-bits) there is nothing to \
        calibrate: --calibrate is accepted as infer and sweep accept it (with --calibration-images, none decoded), the heading says \
        `activations float: nothing to calibrate`, and the file is the one written without --calibrate.

        Examples:
          bitsweep export --blocks 5 --bits 4 --act-bits 8 --out seed-w4a8.onnx
          bitsweep export --preset mobilenet-v1 --bits 8 --act-bits 8 --out mobilenet-w8a8.onnx
          bitsweep export --bits 4 --weights trained.safetensors --granularity per-channel --out model.onnx
          bitsweep export --preset mobilenet-v2 --bits 4 --out mobilenet-v2-w4.onnx
          bitsweep export --model trained.onnx --layer-bits 'features.*.conv.*.0=4' --out trained-w4.onnx
          bitsweep export --bits 8 --act-bits 4 --calibrate percentile:99.99 --calibration-images Inputs/images --out w8a4.onnx
          bitsweep export --model trained.onnx --bits 8 --act-bits 8 --calibrate minmax --calibration-images Inputs/images --out w8a8-static.onnx
        """)

    @OptionGroup var network: NetworkOptions

    @OptionGroup var engine: EngineFlags

    @OptionGroup var layerBitsOptions: LayerBitsOptions

    @OptionGroup(title: "Preprocessing (of --calibration-images)") var preprocess: PreprocessOptions

    @Option(name: .customLong("calibration-images"), parsing: .upToNextOption,
            help: ArgumentHelp("Images (PNG or JPEG files, or folders of them) to calibrate on with --calibrate minmax|percentile:P, preprocessed as infer preprocesses them (the Preprocessing flags, over the model's sidecar).", valueName: "path"))
    var calibrationImages: [String] = []

    @Option(help: ArgumentHelp("The ONNX file to write.", valueName: "file"))
    var out: String

    /// The calibration images as input tensors at `target`'s size, preprocessed as infer preprocesses them
    /// (`preprocessing`), expanded and decoded as infer expands and decodes its images (`ImageArguments`). The
    /// memory budget is checked before any image is decoded; an unreadable named image, or a network that does
    /// not take RGB images, is an input error.
    func calibrationTensors(_ target: EngineTarget) throws -> (images: [Tensor], preprocessing: Preprocessing) {
        try requireCalibrationImages()
        try ImageArguments.checkChannels(target.inputChannels, network: target.name, what: "--calibration-images")
        // Resolved here, not for every export: the model's sidecar and the flags matter only to the images read.
        let preprocessing = try preprocess.resolve(model: network.model, channels: target.inputChannels, size: target.size)
        var images = try ImageArguments(expanding: calibrationImages)
        let size = target.size
        // Refuse before any image is decoded: the float network calibration runs and the resized images (at most
        // as many as were found).
        let count = max(1, images.inputs.count)
        try target.estimate(batch: min(count, 16), twin: false).check(
            limit: nil, what: "calibrating \(target.describe), batch \(min(count, 16))",
            imageBytes: MemoryEstimate.inputTensorBytes(count: count, channels: target.inputChannels, size: size))
        return (try images.decode { image in try CommandFailure.asInput { try preprocessing.tensor(image, size: size) } }, preprocessing)
    }

    /// `--calibrate minmax|percentile:P` takes `--calibration-images`, whatever the network.
    func requireCalibrationImages() throws {
        guard !calibrationImages.isEmpty else {
            throw InputError("--calibrate \(engine.calibrationFlags.calibrate) needs --calibration-images: expected PNG or JPEG files or folders of them")
        }
    }

    /// The ranges `--calibrate` asks for (none when it is `fixed`), measured by `measure` on the calibration images
    /// (`calibrationTensors`), the method the export records, and the export heading's words for them.
    ///
    /// A network whose activations are all float (`quantizesActivations` false: no --act-bits) has no grid to
    /// calibrate: as `infer --calibrate` and a sweep accept such a configuration and calibrate nothing, the export
    /// still takes --calibration-images (folders are listed, no image is decoded), writes the very model it writes
    /// without --calibrate (no `bitsweep.calibrate` in its metadata) and its heading says so — for block and graph
    /// networks alike.
    func calibratedRanges(_ target: EngineTarget, quantizesActivations: Bool,
                          measure: (_ images: [Tensor], _ options: EngineOptions) throws -> [String: Float]) throws
        -> (ranges: [String: Float], method: Calibration, heading: String) {
        guard calibration != .fixed else { return ([:], .fixed, "") }
        guard quantizesActivations else {
            try requireCalibrationImages()
            _ = try ImageArguments(expanding: calibrationImages)
            return ([:], .fixed, ", " + nothingToCalibrate(calibration))
        }
        let (images, preprocessing) = try calibrationTensors(target)
        let ranges = try measure(images, EngineOptions(threads: threads, batchSize: min(images.count, 16), fidelity: false))
        return (ranges, calibration, ", activations calibrated \(calibration) on \(calibrationImages.joined(separator: " "))"
                + (preprocessing == .seedDefault ? "" : " (preprocessing: \(preprocessing))"))
    }

    func run() throws {
        OpenMPWaitPolicy.apply(threads: threads)
        // The network as infer resolves it: a block-form network, or a graph (mobilenet-v2, an ONNX model).
        let target = try network.resolveTarget(layerBits: try layerBitsOptions.rules(), engine: engine)
        if calibration == .fixed, let flag = preprocess.given.first {
            throw InputError("\(flag) applies to --calibration-images, which only --calibrate minmax or percentile:P reads")
        }
        if calibration == .fixed, !calibrationImages.isEmpty {
            throw InputError("--calibration-images is used only with --calibrate minmax or percentile:P")
        }
        switch target.form {
        case .block(let spec): try exportBlocks(spec, target: target)
        case .graph(let g, let carried): try exportGraph(g, target: target, carried: carried)
        }
    }

    /// Refuses, before anything large is made, a network whose weights protobuf cannot hold (a message of 2 GiB or
    /// more) or whose export does not fit the memory budget (weights held in plain form, as the model and as its
    /// bytes: about 3 × 4 bytes per value).
    func checkSize(values: Int, what: String, advice: String) throws {
        guard saturatingProduct(values, 4) < Int(Int32.max) else {
            throw InputError("\(what) has \(NumberText.grouped(values)) weights (\(NumberText.bytes(saturatingProduct(values, 4))) as float); an ONNX file holds less than 2 GiB; \(advice)")
        }
        if let budget = MemoryEstimate.budget(limit: nil), saturatingProduct(values, 12) > budget {
            throw InputError("\(what) needs about \(NumberText.bytes(saturatingProduct(values, 12))) to export but only \(NumberText.bytes(budget)) may be used; \(advice)")
        }
    }

    /// Writes `export` atomically and prints its summary after `heading`.
    func write(_ export: ONNXExport, heading: String) throws {
        let data = try export.serializedData()
        try AtomicFile.write(data, to: out)
        let graph = export.model.graph
        print(heading)
        print("wrote \(out): \(NumberText.bytes(data.count)), ONNX opset \(export.opset) (IR \(export.model.irVersion)), "
              + "\(graph.node.count) nodes, \(graph.initializer.count) initializers\n")
        print(PlainTable.text(["layer", "op", "weights", "activations"],
                              export.layers.map { [$0.name, $0.op, $0.weights, $0.activations] }), terminator: "")
    }

    /// A graph network: its ONNX model's own weights, or seeded ones, or the --weights file's (GraphWeights names).
    func exportGraph(_ g: GraphNetwork, target: EngineTarget, carried: GraphWeights?) throws {
        let size = target.size
        // (A model that carries calibrated ranges is refused --calibrate when resolved: `resolveTarget`.)
        if kernels == .integer {
            throw InputError("kernels integer: integer kernels are not available for graph networks (\(g.name)); export with --kernels float or auto (float kernels, simulated quantization)")
        }
        let shapes = try CommandFailure.asInput { try GraphWeights.expectedShapes(g, inputSize: size) }
        let values = shapes.reduce(0) { saturatingSum($0, saturatingProduct($1.shape.reduce(1) { saturatingProduct($0, $1) })) }
        try checkSize(values: values, what: "\(g.name) (\(g.layers.count) layers)", advice: "choose a smaller width")
        let weights = try engine.graphWeights(g, size: size, carried: carried)
        let source = carried != nil ? "\(weights.origin) (the model's own)" : engine.weightFlags.label
        // With --calibrate, the ranges infer --calibrate measures: every step's output on the float network, over the
        // calibration images read and preprocessed as infer reads its images.
        let (ranges, method, calibrated) = try calibratedRanges(target, quantizesActivations: g.quantizesActivations) { images, options in
            try GraphExecutor.calibratedRanges(network: g, inputSize: size, weights: weights, images: images, method: calibration, options: options)
        }
        // Weights that do not fit the network (a non-finite value, a negative variance) are an input error.
        let export = try CommandFailure.asInput {
            try ONNXExport(graph: g, inputSize: size, weights: weights, granularity: granularity,
                           kernels: kernels, source: source, calibration: method, activationRanges: ranges)
        }
        try write(export, heading: "\(g.name), \(g.layers.count) layers, \(g.blocks.count) blocks, \(size)×\(size), weights \(source) (\(granularity.rawValue)), float kernels, simulated quantization (as infer --kernels float runs it)" + calibrated)
    }

    func exportBlocks(_ spec: NetworkSpec, target: EngineTarget) throws {
        let size = target.size
        let values = NetworkWeights.expectedShapes(spec).reduce(0) { saturatingSum($0, saturatingProduct($1.shape.reduce(1) { saturatingProduct($0, $1) })) }
        try checkSize(values: values, what: "\(spec.name) with \(spec.blocks.count) blocks", advice: "choose fewer blocks or a smaller width")
        // The weights must fit the network: a missing, malformed or mis-shaped --weights file is an input error.
        let weights: NetworkWeights
        switch engine.source {
        case .seed(let s): weights = NetworkWeights.seeded(s, spec: spec, initialization: initialization)
        case .safetensors(let path):
            weights = try CommandFailure.asInput {
                let w = try NetworkWeights.load(safetensors: path, spec: spec)
                try w.validate(for: spec)
                return w
            }
        }
        let (ranges, method, calibrated) = try calibratedRanges(target, quantizesActivations: try spec.quantizesActivations(inputSize: size)) { images, options in
            try Network.calibratedRanges(spec: spec, inputSize: size, weights: weights, images: images, method: calibration, options: options)
        }
        // An export the configuration cannot make (--kernels integer with no int8 layer) is a usage error.
        let export = try CommandFailure.asInput {
            try ONNXExport(spec: spec, inputSize: size, weights: weights, granularity: granularity,
                           kernels: kernels, source: engine.weightFlags.label, calibration: method, activationRanges: ranges)
        }
        try write(export, heading: "\(spec.name), \(spec.blocks.count) blocks, \(size)×\(size), weights \(engine.weightFlags.label) (\(granularity.rawValue)), kernels \(kernels)" + calibrated)
    }
}
