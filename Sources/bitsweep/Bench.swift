import ArgumentParser
import BitOpsCore
import Engine
import Foundation
import Presentation

/// `bitsweep bench`: how fast the engine runs one configuration.
struct Bench: ParsableCommand, UsesEngineFlags {
    static let configuration = CommandConfiguration(
        abstract: "Time the quantized network: ms per image, images/s, GMAC/s, per-layer time shares, peak memory.",
        discussion: """
        Builds the configuration once (the float twin is not built: this measures the network itself), runs \
        --warmup batches, then --runs timed batches of --batch images, and reports the median. Per-layer \
        shares come from separately profiled runs. Benchmarks/compare_ort.py drives this command to compare \
        with ONNX Runtime (--save-weights, --input, --save-logits).

        Examples:
          bitsweep bench --preset mobilenet-v1 --bits float --stem-bits float --classifier-bits float --threads 2
          bitsweep bench --blocks 10 --size 32 --batch 8
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var network: NetworkOptions

    @OptionGroup var engine: EngineFlags

    @OptionGroup var layerBitsOptions: LayerBitsOptions

    @Option(parsing: .unconditional, help: "Images per batch.")
    var batch: Int = 1

    @Option(parsing: .unconditional, help: "Timed runs (the median is reported).")
    var runs: Int = 50

    @Option(parsing: .unconditional, help: "Untimed runs first.")
    var warmup: Int = 10

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Option(name: .customLong("save-weights"), help: ArgumentHelp("Write the network's (unquantized) weights to this safetensors file.", valueName: "file"))
    var saveWeights: String?

    @Option(help: ArgumentHelp("Run on the tensor 'input' [batch, 3, size, size] of this safetensors file instead of a synthetic batch.", valueName: "file"))
    var input: String?

    @Option(name: .customLong("save-logits"), help: ArgumentHelp("Write the logits of the input batch as tensor 'logits' to this safetensors file.", valueName: "file"))
    var saveLogits: String?

    func run() throws {
        OpenMPWaitPolicy.apply(threads: threads)
        guard batch >= 1 else { throw InputError("--batch \(batch) must be at least 1") }
        guard runs >= 1 else { throw InputError("--runs \(runs) must be at least 1") }
        guard warmup >= 0 else { throw InputError("--warmup \(warmup) must be at least 0") }
        let target = try network.resolveTarget(layerBits: try layerBitsOptions.rules(), engine: engine)
        let size = target.size, channels = target.inputChannels, classes = try target.classes()
        let source = engine.source
        if let saveWeights {
            guard case .seed(let s) = source, network.onnxModel == nil else {
                throw InputError("--save-weights writes seeded weights; drop --weights")
            }
            let w = try target.seededWeights(s, initialization: initialization)
            try Safetensors.write(w.tensors, to: saveWeights, metadata: ["format": "pt", "origin": w.origin])
        }
        var images: [Tensor]
        if let input {
            let t = try CommandFailure.asInput {
                try Safetensors.read(path: input).tensor("input", shape: [batch, channels, size, size])
            }
            let per = channels * size * size
            images = (0..<batch).map { Tensor(shape: [channels, size, size], data: Array(t.data[($0 * per)..<(($0 + 1) * per)])) }
        } else {
            var rng = SplitMix64(seed: 1)
            images = (0..<batch).map { _ in
                Tensor(shape: [channels, size, size], data: (0..<(channels * size * size)).map { _ in rng.nextUnitFloat() })
            }
        }
        // With --calibrate minmax|percentile:P the activation ranges are measured on this batch.
        let net = try target.build(engine, options: EngineOptions(granularity: granularity, threads: threads, batchSize: batch,
                                                                  fidelity: false, initialization: initialization, kernels: kernels),
                                   calibrationImages: images)
        let first = try net.run(images)
        if let saveLogits {
            let logits = first.images.flatMap(\.logits)
            try Safetensors.write(["logits": Tensor(shape: [batch, classes], data: logits)], to: saveLogits)
        }
        for _ in 0..<warmup { _ = try net.run(images) }
        var times: [Double] = []
        for _ in 0..<runs {
            // Wall time of the whole call (copying the batch in, every primitive, reading the logits out).
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try net.run(images)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        let median = times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        var layers: [String: Double] = [:]
        let profiled = max(3, runs / 5)
        for _ in 0..<profiled {
            for (k, v) in try net.runProfiled(images).timings.layerSeconds { layers[k, default: 0] += v }
        }
        let layerTotal = layers.values.reduce(0, +)
        let order = try target.layerOrder()
        let shares = order.compactMap { name in layers[name].map { BenchJSON.Share(layer: name, share: $0 / layerTotal) } }
        let msPerImage = median * 1000 / Double(batch)
        let doc = BenchJSON(
            network: target.name, blocks: target.blockNames.count, size: size, batch: batch, threads: threads,
            weights: network.onnxModel ?? source.description, runs: runs, msPerImageMedian: msPerImage,
            msPerImageMin: times[0] * 1000 / Double(batch), imagesPerSecond: 1000 / msPerImage,
            gmacPerSecond: Double(try target.macs()) / (msPerImage / 1000) / 1e9, macsPerImage: try target.macs(),
            peakMemoryBytes: ProcessMemory.peakResidentBytes() ?? 0, estimatedBytes: net.estimate.totalBytes,
            buildSeconds: net.buildSeconds, oneDNN: Engine.oneDNNVersion,
            layoutConversions: net.layoutConversions, layerShares: shares,
            implementations: net.implementations.map { BenchJSON.Impl(layer: $0.layer, implementation: $0.implementation) },
            kernels: kernelSummary(net), calibration: target.activationRanges(net),
            calibrationLine: target.activationRanges(net).flatMap {
                target.activationRangesLine($0, measuredOn: input == nil ? "calibrated on uniform noise: no --input" : "calibrated on the input batch")
            },
            layerKernels: net.layerKernels.map { BenchJSON.Kernel(layer: $0.layer, kernel: $0.kernel.rawValue) },
            ompWaitPolicy: OpenMPWaitPolicy.current,
            loadAverage: LoadAverage.current())
        switch format {
        case .json:
            let e = JSONEncoder()
            e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try e.encode(doc), as: UTF8.self))
        case .table:
            print(doc.table(), terminator: "")
        }
    }
}

struct BenchJSON: Encodable {
    struct Share: Encodable { var layer: String; var share: Double }
    struct Impl: Encodable { var layer: String; var implementation: String }
    struct Kernel: Encodable { var layer: String; var kernel: String }
    var network: String
    var blocks: Int
    var size: Int
    var batch: Int
    var threads: Int
    var weights: String
    var runs: Int
    var msPerImageMedian: Double
    var msPerImageMin: Double
    var imagesPerSecond: Double
    var gmacPerSecond: Double
    var macsPerImage: Int
    var peakMemoryBytes: Int
    var estimatedBytes: Int
    var buildSeconds: Double
    var oneDNN: String
    var layoutConversions: [String]
    var layerShares: [Share]
    var implementations: [Impl]
    var kernels: String
    /// The activation ranges and where they came from, as `infer --format json` records them (`source`, `method`,
    /// per activation on a static grid its range and scale); absent for a graph network on the fixed and per-image grids.
    var calibration: CalibrationJSON?
    /// The table's line about the ranges (measured, carried in the model, nothing to calibrate; nil for the fixed
    /// ranges; not in JSON).
    var calibrationLine: String?
    var layerKernels: [Kernel]
    var ompWaitPolicy: String
    var loadAverage: Double?

    enum CodingKeys: String, CodingKey {
        case network, blocks, size, batch, threads, weights, runs
        case msPerImageMedian = "ms_per_image_median", msPerImageMin = "ms_per_image_min"
        case imagesPerSecond = "images_per_second", gmacPerSecond = "gmac_per_second", macsPerImage = "macs_per_image"
        case peakMemoryBytes = "peak_memory_bytes", estimatedBytes = "estimated_bytes", buildSeconds = "build_seconds"
        case oneDNN = "onednn", layoutConversions = "layout_conversions", layerShares = "layer_shares", implementations
        case kernels, calibration, layerKernels = "layer_kernels", ompWaitPolicy = "omp_wait_policy", loadAverage = "load_average"
    }

    func table() -> String {
        var s = "\(network), \(blocks) blocks, \(size)×\(size), batch \(batch), \(threads) thread\(threads == 1 ? "" : "s"), weights \(weights), oneDNN \(oneDNN)\n"
        s += "\(kernels)\n"
        if let calibrationLine { s += calibrationLine + "\n" }
        s += "OpenMP waiting: \(ompWaitPolicy)" + (loadAverage.map { String(format: ", load average %.2f", $0) } ?? "") + "\n\n"
        s += String(format: "  ms per image (median of %d)  %10.3f   (min %.3f)\n", runs, msPerImageMedian, msPerImageMin)
        s += String(format: "  images/s                    %10.1f\n", imagesPerSecond)
        s += String(format: "  GMAC/s                      %10.1f   (%.3f GMAC per image)\n", gmacPerSecond, Double(macsPerImage) / 1e9)
        s += "  peak memory                 \(NumberText.bytes(peakMemoryBytes).leftPadded(10))   (estimate \(NumberText.bytes(estimatedBytes)))\n"
        s += String(format: "  build                       %10.2f s\n", buildSeconds)
        if !layoutConversions.isEmpty { s += "  layout conversions before   \(layoutConversions.joined(separator: ", "))\n" }
        s += "\n  layer                    share  kernel  implementation\n"
        let impl = Dictionary(implementations.map { ($0.layer, $0.implementation) }, uniquingKeysWith: { a, _ in a })
        let kernel = Dictionary(layerKernels.map { ($0.layer, $0.kernel) }, uniquingKeysWith: { a, _ in a })
        for sh in layerShares {
            s += "  " + sh.layer.padding(toLength: 22, withPad: " ", startingAt: 0)
            s += String(format: "%6.1f%%", sh.share * 100) + "  " + (kernel[sh.layer] ?? "").padding(toLength: 6, withPad: " ", startingAt: 0)
            s += "  " + (impl[sh.layer] ?? "") + "\n"
        }
        return s
    }
}

/// The 1-minute load average (from /proc/loadavg), to state the machine's load with every figure.
enum LoadAverage {
    static func current() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Double($0) }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
