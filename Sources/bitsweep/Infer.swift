import ArgumentParser
import BitOpsCore
import Engine
import Foundation
import Presentation

/// `bitsweep infer`: run images through one quantized configuration and its float twin.
struct Infer: ParsableCommand, UsesEngineFlags {
    static let configuration = CommandConfiguration(
        abstract: "Run images through the quantized network and report logits, top-5 and fidelity vs the float twin.",
        discussion: """
        Images (PNG or JPEG) are converted to RGB, resized to the network's size as torchvision's \
        Resize((s, s)) does on PIL images (Pillow's antialiased bilinear), and scaled to [0, 1]. Weights are \
        deterministic from --seed (He-normal, or PyTorch's default with --init pytorch-default) unless --weights gives a safetensors file \
        with the demo's state_dict names.

        Examples:
          bitsweep infer --blocks 5 --bits 4 --act-bits 8 Inputs/images/*.png
          bitsweep infer --preset mobilenet-v1 --bits 4 --format json photo.jpg
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var network: NetworkOptions

    @OptionGroup var engine: EngineFlags

    @Option(parsing: .unconditional, help: "Images per batch (default: all images, at most 16).")
    var batch: Int?

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Argument(help: ArgumentHelp("Image files (PNG or JPEG).", valueName: "image"))
    var images: [String] = []

    func run() throws {
        guard !images.isEmpty else { throw InputError("no images given: expected one or more PNG or JPEG files") }
        OpenMPWaitPolicy.preferPassive(threads: threads)
        let (spec, size) = try network.resolve()
        let batchSize = batch ?? min(images.count, 16)
        guard batchSize >= 1 else { throw InputError("--batch \(batchSize) must be at least 1") }
        // Refuse before any image is decoded, resized or allocated: the network and the resized images.
        try MemoryEstimate(cost: try spec.cost(inputSize: size), batch: batchSize, twin: true).check(
            limit: nil, what: "\(spec.name) with \(spec.blocks.count) blocks at \(size)×\(size), batch \(batchSize)",
            imageBytes: MemoryEstimate.inputTensorBytes(count: images.count, channels: spec.inputChannels, size: size))
        // A missing or unreadable image, or a --weights file that does not fit the network, is an input error.
        let inputs = try CommandFailure.asInput { try images.map { try ImageFile.load(path: $0).resized(to: size).tensor() } }
        let source = engine.source
        let label = weights ?? "seed \(seed) (\(initialization.rawValue))"
        let net = try engine.build {
            try Network(spec: spec, inputSize: size, weights: source,
                        options: EngineOptions(granularity: granularity, threads: threads, batchSize: batchSize,
                                               initialization: initialization, kernels: kernels))
        }
        var outputs: [ImageOutput] = []
        var timings = RunTimings()
        for start in stride(from: 0, to: inputs.count, by: batchSize) {
            let out = try net.run(Array(inputs[start..<min(start + batchSize, inputs.count)]))
            outputs += out.images
            timings.quantizedSeconds += out.timings.quantizedSeconds
            timings.floatSeconds += out.timings.floatSeconds
            timings.overheadSeconds += out.timings.overheadSeconds
        }
        switch format {
        case .json:
            let doc = InferJSON(
                network: spec, size: size, weights: label, granularity: granularity.rawValue,
                threads: threads, batch: batchSize, buildSeconds: net.buildSeconds, timings: timings,
                images: zip(images, outputs).map { InferJSON.Image(file: $0, logits: $1.logits, top5: $1.top5, fidelity: $1.fidelity,
                                                                   simulatedSQNR: $1.simulatedSQNR.map(JSONDouble.init)) },
                kernels: kernelSummary(net), layerKernels: net.layerKernels.map { InferJSON.Kernel(layer: $0.layer, kernel: $0.kernel.rawValue) })
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try e.encode(doc), as: UTF8.self))
        case .table:
            print(table(spec: spec, size: size, source: label, net: net, outputs: outputs, timings: timings), terminator: "")
        }
    }

    func table(spec: NetworkSpec, size: Int, source: String, net: Network, outputs: [ImageOutput],
               timings: RunTimings) -> String {
        var s = "\(spec.name), \(spec.blocks.count) blocks, \(size)×\(size), weights \(source) (\(granularity.rawValue)), "
        s += "\(threads) thread\(threads == 1 ? "" : "s")\n\(kernelSummary(net))\n\n"
        let fidelityRows = zip(images, outputs).map { file, o -> [String] in
            let f = o.fidelity
            return [file, o.top5.map(String.init).joined(separator: " "), f.map { NumberText.fixed($0.sqnrDB, 2) } ?? "–",
                    f.map { NumberText.fixed($0.cosine, 5) } ?? "–", f.map { $0.top1Agree ? "yes" : "no" } ?? "–",
                    f.map { "\($0.top5Overlap)/\(min(5, spec.classes))" } ?? "–"]
        }
        s += PlainTable.text(["image", "top-5 (quantized)", "SQNR dB", "cosine", "top-1 agree", "top-5 overlap"], fidelityRows,
                             right: [2, 3, 4, 5])
        s += "\nper-block output SQNR vs the float twin (dB):\n"
        let blockRows = zip(images, outputs).map { file, o in [file] + (o.fidelity?.blockSQNR ?? []).map { NumberText.fixed($0, 2) } }
        s += PlainTable.text(["image"] + spec.blocks.indices.map { "block\($0)" }, blockRows, right: Set(1..<(spec.blocks.count + 1)))
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
        var logits: [Float]
        var top5: [Int]
        var fidelity: Fidelity?
        var simulatedSQNR: JSONDouble?
        enum CodingKeys: String, CodingKey { case file, logits, top5, fidelity, simulatedSQNR = "simulated_sqnr_db" }
    }
    struct Kernel: Encodable { var layer: String; var kernel: String }
    var network: NetworkSpec
    var size: Int
    var weights: String
    var granularity: String
    var threads: Int
    var batch: Int
    var buildSeconds: Double
    var timings: RunTimings
    var images: [Image]
    var kernels: String
    var layerKernels: [Kernel]

    enum CodingKeys: String, CodingKey {
        case network, size, weights, granularity, threads, batch, buildSeconds = "build_seconds", timings, images
        case kernels, layerKernels = "layer_kernels"
    }
}
