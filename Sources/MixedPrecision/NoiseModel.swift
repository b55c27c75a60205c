#if canImport(Glibc)
import Glibc
#endif
import BitOpsCore

/// The output noise of quantized networks, pooled over images, and the additive model that predicts it.
///
/// Definitions (f = the float network's logits, q = a configuration's logits, over N images × K classes):
/// - signal power `S = Σ f² / (N·K)`; noise power `P = Σ (q − f)² / (N·K)`;
/// - SQNR `= 10·log₁₀(S / P)` dB, pooled over all images (not a mean of per-image dB values: powers add,
///   decibels do not); +∞ when P = 0.
///
/// **The additive-noise model.** When blocks are quantized independently, their errors are small and
/// roughly uncorrelated, so the output noise powers add: `P(a) ≈ P_fixed + Σ_u P_u(a_u)`, where `P_u(b)` is
/// the noise measured with only unit u quantized to b bits (everything else as in the base network) and
/// `P_fixed` the noise of the base network itself (layers outside the search that are quantized anyway; 0
/// when the base is all float). This is the model HAWQ-V3 and AIMET rely on too. It is an approximation:
/// errors compound through the network (a quantized block feeds noisy inputs to the next), and large errors
/// are not small perturbations — that is why every predicted front is verified by running it.
public enum NoiseModel {
    /// `10·log₁₀(signal / noise)`: +∞ when noise is 0; −∞ when signal is 0 and noise is not.
    public static func sqnrDB(signal: Double, noise: Double) -> Double {
        if noise == 0 { return .infinity }
        if signal == 0 { return -.infinity }
        return 10 * log10(signal / noise)
    }

    /// Mean of squares over every value of every image (the signal power of `reference`).
    public static func power(_ values: [[Float]]) -> Double {
        var sum = 0.0, n = 0
        for row in values {
            for v in row { sum += Double(v) * Double(v) }
            n += row.count
        }
        return n == 0 ? 0 : sum / Double(n)
    }

    /// Mean squared difference between `test` and `reference`, over every value of every image.
    public static func noisePower(_ test: [[Float]], reference: [[Float]]) -> Double {
        precondition(test.count == reference.count, "noise power: image counts differ")
        var sum = 0.0, n = 0
        for (q, f) in zip(test, reference) {
            precondition(q.count == f.count, "noise power: logit counts differ")
            for i in q.indices {
                let d = Double(q[i]) - Double(f[i])
                sum += d * d
            }
            n += q.count
        }
        return n == 0 ? 0 : sum / Double(n)
    }

    /// The fraction of images whose top-1 class (lowest index among ties) matches the reference's.
    public static func top1Agreement(_ test: [[Float]], reference: [[Float]]) -> Double {
        precondition(test.count == reference.count, "top-1 agreement: image counts differ")
        guard !test.isEmpty else { return 1 }
        func top1(_ x: [Float]) -> Int {
            var best = 0
            for i in x.indices where x[i] > x[best] { best = i }
            return best
        }
        let agree = zip(test, reference).filter { top1($0) == top1($1) }.count
        return Double(agree) / Double(test.count)
    }
}

/// Sensitivity: the output noise of the network with one unit quantized at a time.
public struct SensitivityTable: Codable, Sendable, Hashable {
    public var granularity: SearchGranularity
    /// Unit names (`block0`, …).
    public var units: [String]
    /// Weight bit-widths measured (columns).
    public var choices: [BitWidth]
    /// Images the noise is pooled over.
    public var images: Int
    /// `S`: mean square of the float network's logits.
    public var signalPower: Double
    /// `P_fixed`: the base network (searched units float, everything else as given) against the float one.
    public var fixedNoisePower: Double
    /// `noisePower[u][c]`: only unit u at `choices[c]`, against the base network.
    public var noisePower: [[Double]]
    /// `top1Agreement[u][c]`: fraction of images whose top-1 class matches the float network's.
    public var top1Agreement: [[Double]]
    /// The base network's engine time per image (the engine simulates every precision in fp32, so this
    /// time does not depend on the weight bits).
    public var msPerImage: Double?

    public init(granularity: SearchGranularity, units: [String], choices: [BitWidth], images: Int, signalPower: Double,
                fixedNoisePower: Double, noisePower: [[Double]], top1Agreement: [[Double]], msPerImage: Double? = nil) {
        self.granularity = granularity
        self.units = units
        self.choices = choices
        self.images = images
        self.signalPower = signalPower
        self.fixedNoisePower = fixedNoisePower
        self.noisePower = noisePower
        self.top1Agreement = top1Agreement
        self.msPerImage = msPerImage
    }

    /// SQNR of the network with only unit u at choice c (fixed noise included).
    public func sqnrDB(unit u: Int, choice c: Int) -> Double {
        NoiseModel.sqnrDB(signal: signalPower, noise: fixedNoisePower + noisePower[u][c])
    }

    /// The additive prediction for an assignment (choice indices): `P_fixed + Σ P_u`, summed in unit order.
    public func predictedNoise(choices picks: [Int]) -> Double {
        var n = fixedNoisePower
        for (u, c) in picks.enumerated() { n += noisePower[u][c] }
        return n
    }

    enum CodingKeys: String, CodingKey {
        case granularity, units, choices, images, signalPower = "signal_power", fixedNoisePower = "fixed_noise_power"
        case noisePower = "noise_power", top1Agreement = "top1_agreement", msPerImage = "ms_per_image"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(granularity, forKey: .granularity)
        try c.encode(units, forKey: .units)
        try c.encodeWidths(choices, forKey: .choices)
        try c.encode(images, forKey: .images)
        try c.encode(signalPower, forKey: .signalPower)
        try c.encode(fixedNoisePower, forKey: .fixedNoisePower)
        try c.encode(noisePower, forKey: .noisePower)
        try c.encode(top1Agreement, forKey: .top1Agreement)
        try c.encodeIfPresent(msPerImage, forKey: .msPerImage)
    }
}
