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
    /// Part of every cache key: a new oneDNN, or a bump of the number here when the engine's numerics change,
    /// makes every cached case stale. (The Engine module has no version of its own; only oneDNN's.)
    public static let engineVersion = "bitsweep-engine-1 oneDNN-\(Engine.oneDNNVersion)"

    public init() {}

    public var version: String { Self.engineVersion }

    public func decode(path: String) throws -> RGBImage {
        try ImageFile.load(path: path)
    }

    public func prepare(_ image: RGBImage, size: Int) throws -> Tensor {
        image.resized(to: size).tensor()
    }

    public func evaluate(_ job: EvaluationJob, images: [Tensor]) throws -> Evaluation {
        let weights: WeightSource
        switch job.weights {
        case .seed(let s): weights = .seed(UInt64(s))
        case .safetensors(let path, _): weights = .safetensors(path)
        }
        guard let granularity = QuantGranularity(rawValue: job.quantization) else {
            throw SweepError("quantization '\(job.quantization)' is unknown to the engine")
        }
        let batch = max(1, min(job.batch, images.count))
        let network = try Network(spec: job.network, inputSize: job.size, weights: weights,
                                  options: EngineOptions(granularity: granularity, threads: job.threads, batchSize: batch))
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
                    top1Agree: f?.top1Agree ?? true, blockSQNR: f?.blockSQNR.map(Self.finite) ?? []))
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
