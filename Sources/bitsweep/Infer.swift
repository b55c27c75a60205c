import ArgumentParser
import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import Presentation
import Results
import StableIO
import Sweep

/// `bitsweep infer`: run images through one quantized configuration and its float twin.
struct Infer: ParsableCommand, UsesEngineFlags {
    static let configuration = CommandConfiguration(
        abstract: "Run images through the quantized network and report logits, top-5 and fidelity vs the float twin.",
        discussion: """
        Images (PNG or JPEG) are converted to RGB, resized to the network's size as torchvision's \
        Resize((s, s)) does on PIL images (Pillow's antialiased bilinear), and scaled to [0, 1] — unless \
        --resize/--crop/--mean/--std/--channel-order, or a sidecar next to the model file (m.onnx → \
        m.preprocess.yaml), say otherwise (resize the shorter side, centre-crop, normalise). Weights are \
        deterministic from --seed (He-normal, or PyTorch's default with --init pytorch-default) unless --weights gives a safetensors file \
        with the demo's state_dict names.

        A folder stands for the images below it. A folder in the ImageFolder layout (one sub-folder per \
        class, or a classes.txt naming the class folders in class-index order) is labelled: each image gets \
        its class, and top-1/top-5 accuracy of the quantized network and of its float twin is printed. Files \
        in a folder that cannot be read as images are skipped with the reason (on stderr).

        Activation ranges: --calibrate minmax|percentile:P measures them now, with the float network on these \
        images (`activation ranges: minmax: … (measured now on N images)`). A model written by export --calibrate \
        carries its ranges (its Clip → QuantizeLinear → DequantizeLinear grids): infer runs on them and says so \
        (`activation ranges: carried in FILE (N layer outputs, minmax as its metadata records): …`), and refuses \
        --calibrate on it (exit 2): to measure new ranges, calibrate the model it was exported from. With every \
        activation float there is nothing to calibrate: --calibrate is accepted and the line says so. The JSON's \
        `calibration` has `source` (fixed, measured or model), `method`, `carried_layers` (source model) and per \
        activation on a static grid its `layer`, `bits`, `range` and `scale`.

        Examples:
          bitsweep infer --blocks 5 --bits 4 --act-bits 8 Inputs/images/*.png
          bitsweep infer --preset mobilenet-v1 --bits 4 --format json photo.jpg
          bitsweep infer --bits 4 --weights trained.safetensors labelled-images/
          bitsweep infer --model trained.onnx --bits 8 --act-bits 8 --calibrate percentile:99.99 Inputs/images
          bitsweep infer --model w8a8-static.onnx Inputs/images
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var network: NetworkOptions

    @OptionGroup var engine: EngineFlags

    @OptionGroup var layerBitsOptions: LayerBitsOptions

    @OptionGroup(title: "Preprocessing") var preprocess: PreprocessOptions

    @Option(parsing: .unconditional, help: "Images per batch (default: all images, at most 16).")
    var batch: Int?

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Argument(help: ArgumentHelp("Image files (PNG or JPEG) or folders of them (labelled in the ImageFolder layout).",
                                 valueName: "image-or-folder"))
    var arguments: [String] = []

    func run() throws {
        guard !arguments.isEmpty else { throw InputError("no images given: expected one or more PNG or JPEG files or folders") }
        OpenMPWaitPolicy.apply(threads: threads)
        let target = try network.resolveTarget(layerBits: try layerBitsOptions.rules(), engine: engine)
        let size = target.size
        let classCount = try target.classes()
        try ImageArguments.checkChannels(target.inputChannels, network: target.name, what: "the images")
        let preprocessing = try preprocess.resolve(model: network.model, channels: target.inputChannels, size: size)
        var expanded = try ImageArguments(expanding: arguments)
        let classes = expanded.classes
        if let classes, classes.count > classCount {
            throw InputError("the labelled images have \(classes.count) classes, more than the \(classCount) classes of \(target.name); expected at most \(classCount)")
        }
        // Images named on the command line must be readable (an input error); images found in a folder that
        // cannot be decoded are skipped with the reason, as a sweep does.
        var decoded = try expanded.decode { $0 }
        let inputs = expanded.inputs
        let images = inputs.map(\.file)
        let batchSize = batch ?? min(images.count, 16)
        guard batchSize >= 1 else { throw InputError("--batch \(batchSize) must be at least 1") }
        // Refuse before any image is resized or the network allocated: the network and the resized images.
        try target.estimate(batch: batchSize, twin: true).check(
            limit: nil, what: "\(target.describe), batch \(batchSize)",
            imageBytes: MemoryEstimate.inputTensorBytes(count: images.count, channels: target.inputChannels, size: size))
        // A missing or unreadable image, or a --weights file that does not fit the network, is an input error.
        let tensors = try decoded.map { try preprocessing.tensor($0, size: size) }
        decoded = []
        let label = network.onnxModel ?? weights ?? "seed \(seed) (\(initialization.rawValue))"
        let net = try target.build(engine, options: EngineOptions(granularity: granularity, threads: threads, batchSize: batchSize,
                                                                  initialization: initialization, kernels: kernels),
                                   calibrationImages: tensors)
        var results: [ImageOutput] = []
        var timings = RunTimings()
        for start in stride(from: 0, to: tensors.count, by: batchSize) {
            let out = try net.run(Array(tensors[start..<min(start + batchSize, tensors.count)]))
            results += out.images
            timings.quantizedSeconds += out.timings.quantizedSeconds
            timings.floatSeconds += out.timings.floatSeconds
            timings.overheadSeconds += out.timings.overheadSeconds
        }
        let outputs = results
        let accuracy = AccuracySummary(labelled: zip(inputs, outputs).compactMap { i, o in
            i.label.map { (label: $0, top5: o.top5, floatTop5: o.fidelity?.floatTop5) }
        })
        switch format {
        case .json:
            let doc = InferJSON(
                network: InferNetworkJSON(target.form), size: size, weights: label, granularity: granularity.rawValue,
                threads: threads, batch: batchSize, buildSeconds: net.buildSeconds, timings: timings,
                images: zip(inputs, outputs).map {
                    InferJSON.Image(file: $0.file, label: $0.label, className: $0.label.flatMap { classes?[$0] },
                                    logits: $1.logits, top5: $1.top5, fidelity: $1.fidelity,
                                    simulatedSQNR: $1.simulatedSQNR.map(JSONDouble.init))
                },
                kernels: kernelSummary(net), calibration: target.activationRanges(net), layerKernels: net.layerKernels.map { InferJSON.Kernel(layer: $0.layer, kernel: $0.kernel.rawValue) },
                classes: classes, accuracy: accuracy, preprocessing: preprocessing)
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try e.encode(doc), as: UTF8.self))
        case .table:
            let classNames = classes.map { c in inputs.map { $0.label.map { "\(c[$0]) (\($0))" } ?? "–" } }
            if preprocessing != .seedDefault { print("preprocessing: \(preprocessing)") }
            print(table(target: target, classes: classCount, source: label, net: net, images: images, classNames: classNames,
                        outputs: outputs, timings: timings), terminator: "")
            if let accuracy, let classes {
                print("\n" + Self.accuracyTable(accuracy, classes: classes.count), terminator: "")
            }
        }
    }

    /// Top-1 and top-5 accuracy of both networks, as percentages with the exact counts.
    static func accuracyTable(_ a: AccuracySummary, classes: Int) -> String {
        func cell(_ correct: Int?) -> String {
            guard let correct else { return "–" }
            return "\(NumberText.percent(correct, of: a.images)) (\(correct)/\(a.images))"
        }
        var s = "accuracy on \(a.images) labelled image\(a.images == 1 ? "" : "s") (\(classes) class\(classes == 1 ? "" : "es")):\n"
        s += PlainTable.text(["network", "top-1", "top-5"], [
            ["quantized", cell(a.top1Correct), cell(a.top5Correct)],
            ["float twin", cell(a.floatTop1Correct), cell(a.floatTop5Correct)],
        ], right: [1, 2])
        return s
    }

    /// `classNames`: each image's class (labelled folders), shown as a column with its index; nil: no column.
    func table(target: EngineTarget, classes: Int, source: String, net: any InferenceNetwork, images: [String], classNames: [String]?,
               outputs: [ImageOutput], timings: RunTimings) -> String {
        let blocks = target.blockNames, size = target.size
        var s = "\(target.name), \(blocks.count) blocks, \(size)×\(size), weights \(source) (\(granularity.rawValue)), "
        s += "\(threads) thread\(threads == 1 ? "" : "s")\n\(kernelSummary(net))\n"
        let measuredOn = "measured now on \(images.count) image\(images.count == 1 ? "" : "s")"
        if let line = target.activationRangesLine(target.activationRanges(net), measuredOn: measuredOn) { s += line + "\n" }
        s += "\n"
        let fidelityRows = zip(images, outputs).map { file, o -> [String] in
            let f = o.fidelity
            return [file, o.top5.map(String.init).joined(separator: " "), f.map { NumberText.fixed($0.sqnrDB, 2) } ?? "–",
                    f.map { NumberText.fixed($0.cosine, 5) } ?? "–", f.map { $0.top1Agree ? "yes" : "no" } ?? "–",
                    f.map { "\($0.top5Overlap)/\(min(5, classes))" } ?? "–"]
        }
        if let classNames {
            let rows = zip(fidelityRows, classNames).map { r, c in [r[0], c] + r.dropFirst() }
            s += PlainTable.text(["image", "class", "top-5 (quantized)", "SQNR dB", "cosine", "top-1 agree", "top-5 overlap"], rows,
                                 right: [3, 4, 5, 6])
        } else {
            s += PlainTable.text(["image", "top-5 (quantized)", "SQNR dB", "cosine", "top-1 agree", "top-5 overlap"], fidelityRows,
                                 right: [2, 3, 4, 5])
        }
        s += "\nper-block output SQNR vs the float twin (dB):\n"
        let blockRows = zip(images, outputs).map { file, o in [file] + (o.fidelity?.blockSQNR ?? []).map { NumberText.fixed($0, 2) } }
        s += PlainTable.text(["image"] + blocks, blockRows, right: Set(1..<(blocks.count + 1)))
        if net.runsInteger {
            s += "\ninteger run vs the simulated run (float kernels, same quantization), logits SQNR dB: "
            s += outputs.map { $0.simulatedSQNR.map { NumberText.fixed($0, 2) } ?? "–" }.joined(separator: " ") + "\n"
        }
        let n = Double(outputs.count)
        s += String(format: "\nquantized network %.2f ms/image, float twin %.2f ms/image, build %.2f s\n",
                    timings.quantizedSeconds * 1000 / n, timings.floatSeconds * 1000 / n, net.buildSeconds)
        return s
    }
}


/// The JSON of `infer --format json`.
struct InferJSON: Encodable {
    struct Image: Encodable {
        var file: String
        /// The class index, for an image of a labelled folder (absent otherwise).
        var label: Int?
        /// The class folder's name, likewise.
        var className: String?
        var logits: [Float]
        var top5: [Int]
        var fidelity: Fidelity?
        var simulatedSQNR: JSONDouble?

        enum CodingKeys: String, CodingKey {
            case file, label, className = "class", logits, top5, fidelity, simulatedSQNR = "simulated_sqnr_db"
        }
    }
    struct Kernel: Encodable { var layer: String; var kernel: String }
    var network: InferNetworkJSON
    var size: Int
    var weights: String
    var granularity: String
    var threads: Int
    var batch: Int
    var buildSeconds: Double
    var timings: RunTimings
    var images: [Image]
    var kernels: String
    /// The activation ranges and where they came from (`source`: fixed, measured, model), with the method and per
    /// activation on a static grid its range and scale; absent for a graph network on the fixed and per-image grids.
    var calibration: CalibrationJSON?
    var layerKernels: [Kernel]
    /// The class names of the labelled folders, in class-index order (absent without labels).
    var classes: [String]?
    /// Top-1/top-5 accuracy over the labelled images (absent without labels), as `results.json` writes it.
    var accuracy: AccuracySummary?
    /// How the images became input tensors (resize, crop, mean, std, channel order).
    var preprocessing: Preprocessing

    enum CodingKeys: String, CodingKey {
        case network, size, weights, granularity, threads, batch, buildSeconds = "build_seconds", timings, images
        case kernels, calibration, layerKernels = "layer_kernels", classes, accuracy, preprocessing
    }
}

/// `network` in `infer --format json`: the block form's spec as it always was; a graph network by its name,
/// blocks and layers (name, op, weight bits, output bits).
struct InferNetworkJSON: Encodable {
    var form: EngineTarget.Form
    init(_ form: EngineTarget.Form) { self.form = form }

    struct Layer: Encodable {
        var name: String
        var op: String
        var block: String?
        var bits: BitWidth?
        var actBits: BitWidth?
        enum CodingKeys: String, CodingKey { case name, op, block, bits, actBits = "act_bits" }
    }
    struct Graph: Encodable {
        var name: String
        var inputChannels: Int
        var blocks: [String]
        var layers: [Layer]
        enum CodingKeys: String, CodingKey { case name, inputChannels = "input_channels", blocks, layers }
    }

    func encode(to encoder: Encoder) throws {
        switch form {
        case .block(let spec): try spec.encode(to: encoder)
        case .graph(let g, _):
            try Graph(name: g.name, inputChannels: g.inputChannels, blocks: g.blocks, layers: g.layers.map {
                Layer(name: $0.name, op: $0.op.label, block: $0.block.map { g.blocks[$0] }, bits: $0.op.hasWeights ? $0.bits : nil,
                      actBits: $0.actBits)
            }).encode(to: encoder)
        }
    }
}
