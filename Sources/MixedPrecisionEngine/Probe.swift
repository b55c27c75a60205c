#if canImport(Glibc)
import Glibc
#endif
import BitOpsCore
import Engine
import MixedPrecision

/// Runs configurations of one network on one set of images and measures their output noise against the
/// float network.
///
/// Everything that does not change between configurations is made once: the weights (generated or read
/// once, then handed to every build), the images (decoded and resized by the caller, kept as tensors), and
/// the float network's logits (the reference) and the base network's (the reference for sensitivities).
/// Each configuration then costs one network build (quantize weights, fold BatchNorm, create primitives)
/// and one run of its quantized network only — no float twin is built (`fidelity: false`): the twin's
/// outputs would be the reference again.
public final class QualityProbe {
    public let space: SearchSpace
    public let weights: NetworkWeights
    public let images: [Tensor]
    public let options: EngineOptions
    /// The float network's logits, per image.
    public let reference: [[Float]]
    /// The base network's logits (searched units float, the rest as given), per image.
    public let base: [[Float]]
    /// `S`: mean square of the reference logits.
    public let signalPower: Double
    /// The base network's engine time per image, ms (every precision runs in fp32 here).
    public private(set) var msPerImage: Double = 0
    /// Configurations built and run so far (the reference and base included).
    public private(set) var runs = 0
    /// Seconds spent in builds and runs.
    public private(set) var seconds = 0.0

    /// `options.batchSize` images per batch; `options.fidelity` is ignored (always off).
    public init(space: SearchSpace, weights: NetworkWeights, images: [Tensor], options: EngineOptions) throws {
        guard !images.isEmpty else { throw SearchError("no images given: the noise is measured on images") }
        self.space = space
        self.weights = weights
        self.images = images
        var o = options
        o.fidelity = false
        o.batchSize = max(1, min(o.batchSize, images.count))
        self.options = o
        var time = 0.0
        reference = try QualityProbe.logits(space.floatNetwork, inputSize: space.inputSize, weights: weights,
                                            images: images, options: o, seconds: &time)
        signalPower = NoiseModel.power(reference)
        let baseSpec = space.baseNetwork
        if baseSpec == space.floatNetwork {
            base = reference
        } else {
            time = 0
            base = try QualityProbe.logits(baseSpec, inputSize: space.inputSize, weights: weights, images: images,
                                           options: o, seconds: &time)
        }
        msPerImage = time * 1000 / Double(images.count)
        runs = baseSpec == space.floatNetwork ? 1 : 2
    }

    /// The logits of `spec` on every image.
    public func logits(_ spec: NetworkSpec) throws -> [[Float]] {
        let start = QualityProbe.now()
        var time = 0.0
        defer {
            runs += 1
            seconds += QualityProbe.now() - start
        }
        return try QualityProbe.logits(spec, inputSize: space.inputSize, weights: weights, images: images,
                                       options: options, seconds: &time)
    }

    /// Runs an assignment (bits per unit) and measures it against the float network.
    public func measure(bits: [BitWidth]) throws -> MeasuredNoise {
        let out = try logits(try space.network(bits: bits))
        return MeasuredNoise(noisePower: NoiseModel.noisePower(out, reference: reference),
                           top1Agreement: NoiseModel.top1Agreement(out, reference: reference))
    }

    /// Sensitivity: each unit alone at each choice (everything else as in the base network); noise against
    /// the base network, top-1 agreement against the float one. A float choice is not run: its noise
    /// is 0 by definition. `progress` is called after each run with (done, total).
    public func sensitivity(progress: (Int, Int) -> Void = { _, _ in }) throws -> SensitivityTable {
        let units = space.units.count, choices = space.choices
        var noise = Array(repeating: Array(repeating: 0.0, count: choices.count), count: units)
        var agree = Array(repeating: Array(repeating: 1.0, count: choices.count), count: units)
        let baseAgreement = NoiseModel.top1Agreement(base, reference: reference)
        let total = units * choices.count
        var done = 0
        for u in 0..<units {
            for (c, b) in choices.enumerated() {
                if b.isFloat {
                    agree[u][c] = baseAgreement
                } else {
                    var bits = Array(repeating: BitWidth.float, count: units)
                    bits[u] = b
                    let out = try logits(try space.network(bits: bits))
                    noise[u][c] = NoiseModel.noisePower(out, reference: base)
                    agree[u][c] = NoiseModel.top1Agreement(out, reference: reference)
                }
                done += 1
                progress(done, total)
            }
        }
        return SensitivityTable(granularity: space.granularity, units: space.units, choices: choices, images: images.count,
                                signalPower: signalPower, fixedNoisePower: NoiseModel.noisePower(base, reference: reference),
                                noisePower: noise, top1Agreement: agree, msPerImage: msPerImage)
    }

    static func logits(_ spec: NetworkSpec, inputSize: Int, weights: NetworkWeights, images: [Tensor],
                       options: EngineOptions, seconds: inout Double) throws -> [[Float]] {
        let net = try Network(spec: spec, inputSize: inputSize, weights: weights, options: options)
        var out: [[Float]] = []
        out.reserveCapacity(images.count)
        for start in stride(from: 0, to: images.count, by: options.batchSize) {
            let batch = try net.run(Array(images[start..<min(start + options.batchSize, images.count)]))
            out += batch.images.map(\.logits)
            seconds += batch.timings.quantizedSeconds
        }
        return out
    }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
