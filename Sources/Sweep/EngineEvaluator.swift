import BitOpsCore
import Engine
import Foundation
import Results

/// The real evaluator: images through libpng/libjpeg-turbo, networks through oneDNN (the `Engine` module).
///
/// Per job: one `Network` (quantized, with its float twin) is built for the batch size and thread count and
/// then run on the images in batches. Infinite SQNRs (exact) become nil in `ImageResult`; −∞ (a twin whose
/// logits are all zero) is written as −`FidelitySummary.exactSQNR` so that JSON can hold it.
public struct EngineEvaluator: CaseEvaluator {
    /// Part of every cache key. The Engine module has no version number of its own, so this is oneDNN's
    /// version plus a fingerprint of the engine's numerics: a tiny probe network (stem, 3×3 and 5×5
    /// depthwise, strides 1 and 2, 1- to 6-bit weights, quantized and float activations) built with every
    /// quantization granularity and initialisation, run on two resized synthetic images, and hashed to the
    /// last bit. Any change to initialisation, quantization, resizing or the kernels that shows in the probe
    /// makes every cached case stale. Computed once per process (a few milliseconds).
    public static let engineVersion: String = {
        let fingerprint: String
        do { fingerprint = try probeFingerprint() } catch { fingerprint = "unavailable (\(error))" }
        return "oneDNN \(Engine.oneDNNVersion), numerics \(fingerprint)"
    }()

    static func probeFingerprint() throws -> String {
        var text = ""
        func bits(_ v: Float) -> String { String(v.bitPattern, radix: 16) }
        func bits(_ v: Double) -> String { String(v.bitPattern, radix: 16) }
        let a = RGBImage(width: 7, height: 5, pixels: (0..<105).map { UInt8(($0 * 37 + 11) % 256) }).resized(to: 9).tensor()
        let b = RGBImage(width: 4, height: 11, pixels: (0..<132).map { UInt8(($0 * 91 + 3) % 256) }).resized(to: 9).tensor()
        text += (a.data + b.data).map(bits).joined(separator: ",") + "\n"
        let spec = NetworkSpec(
            name: "probe", inputChannels: 3, inputBits: 8,
            stem: StemSpec(outChannels: 6, kernel: 3, stride: 2, bits: 5, actBits: 6),
            blocks: [BlockSpec(outChannels: 8, stride: 1, bits: 3, actBits: 4, kernel: 3),
                     BlockSpec(outChannels: 12, stride: 2, bits: .bits(1), actBits: .float, kernel: 5)],
            classes: 4, classifierBits: 6)
        for granularity in QuantGranularity.allCases {
            for initialization in WeightInit.allCases {
                let net = try Network(spec: spec, inputSize: 9, weights: .seed(1), options: EngineOptions(
                    granularity: granularity, threads: 1, batchSize: 2, initialization: initialization))
                for o in try net.run([a, b]).images {
                    text += o.logits.map(bits).joined(separator: ",") + ";" + o.top5.map(String.init).joined(separator: ",")
                    if let f = o.fidelity {
                        text += ";" + ([f.sqnrDB, f.cosine] + f.blockSQNR).map(bits).joined(separator: ",")
                    }
                    text += "\n"
                }
            }
        }
        return String(Digest.sha256(text).prefix(16))
    }

    public init() {}

    public var version: String { Self.engineVersion }

    public func decode(path: String) throws -> RGBImage {
        try ImageFile.load(path: path)
    }

    public func memoryBytes(_ image: RGBImage) -> Int { image.pixels.count }

    public func checkMemory(_ job: EvaluationJob, imageCount: Int) throws {
        let batch = max(1, min(job.batch, imageCount))
        try MemoryEstimate(cost: try job.network.cost(inputSize: job.size), batch: batch, twin: true).check(
            limit: nil, what: "\(job.network.name) with \(job.network.blocks.count) blocks at \(job.size)×\(job.size)",
            imageBytes: MemoryEstimate.inputTensorBytes(count: imageCount, channels: job.network.inputChannels, size: job.size))
    }

    public func prepare(_ image: RGBImage, size: Int) throws -> Tensor {
        image.resized(to: size).tensor()
    }

    public func evaluate(_ job: EvaluationJob, images: [Tensor]) throws -> Evaluation {
        let weights: WeightSource
        var initialization = WeightInit.heNormal
        switch job.weights {
        case .seed(let s, let i):
            weights = .seed(UInt64(s))
            initialization = i
        case .safetensors(let path, _): weights = .safetensors(path)
        }
        let granularity = job.quantization
        let batch = max(1, min(job.batch, images.count))
        let network = try Network(spec: job.network, inputSize: job.size, weights: weights,
                                  options: EngineOptions(granularity: granularity, threads: job.threads, batchSize: batch,
                                                         initialization: initialization))
        var results: [ImageResult] = []
        var perImage: [Double] = []
        var start = 0
        while start < images.count {
            let chunk = Array(images[start..<min(start + batch, images.count)])
            let out = try network.run(chunk)
            perImage.append(out.timings.quantizedSeconds * 1000 / Double(chunk.count))
            for o in out.images {
                let f = o.fidelity
                results.append(ImageResult(
                    file: "", top1: o.top5.first ?? 0, top5: o.top5, logits: o.logits.map(Double.init),
                    sqnrDB: f.flatMap { Self.finite($0.sqnrDB) } ?? nil, cosine: f?.cosine ?? 1,
                    top1Agree: f?.top1Agree ?? true, blockSQNR: f?.blockSQNR.map(Self.finite) ?? [],
                    floatTop5: f?.floatTop5))
            }
            start += chunk.count
        }
        return Evaluation(images: results, buildMs: network.buildSeconds * 1000, batchMsPerImage: perImage)
    }

    /// +∞ (exact) → nil; −∞ → −200 dB; NaN → nil is never expected from the engine and is treated as exact.
    static func finite(_ v: Double) -> Double? {
        if v.isNaN || v == .infinity { return nil }
        if v == -.infinity { return -FidelitySummary.exactSQNR }
        return v
    }
}
