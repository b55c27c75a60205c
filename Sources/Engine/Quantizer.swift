import BitOpsCore

/// Weight and activation quantizers (fake quantization: values are returned as floats on the grid).
///
/// ## Weights (the demo's quantizer)
/// For `b` bits, 2 ≤ b ≤ 16, symmetric:
///
///     scale = max|w| / (2^(b−1) − 1)
///     q     = clamp(roundHalfToEven(w / scale), −2^(b−1), 2^(b−1) − 1) · scale
///
/// - Rounding is **round half to even** (`Float.rounded(.toNearestOrEven)`), which is what PyTorch's
///   `torch.round` does: 0.5 → 0, 1.5 → 2, 2.5 → 2, −0.5 → −0, −1.5 → −2. Not half away from zero.
/// - `w / scale` is computed in `Float` as PyTorch does in float32; the lower clamp bound −2^(b−1) is never
///   reached by the per-tensor rule (|w/scale| ≤ 2^(b−1) − 1) but is applied as the demo does.
/// - A tensor (or channel) that is all zeros has scale 0 and quantizes to zeros.
/// - `b = 1`: `sign(w) · mean|w|`, with sign(0) = 0 (as `torch.sign`).
/// - Float (`BitWidth.float`): unquantized (returned unchanged).
///
/// Granularity: `perTensor` (default, the demo) uses one scale per tensor; `perChannel` one per output
/// channel (dimension 0 of the weight tensor; for 1 bit, one mean|w| per output channel).
///
/// ## Activations
/// For a quantized width of `a` bits, unsigned on the range [0, R] after ReLU6, with `L = 2^a − 1` steps:
///
///     q = roundHalfToEven(clamp(x, 0, R) · (L / R)) · (R / L)
///
/// computed in `Float` with the two factors `L/R` and `R/L` rounded to `Float` first (exactly what the
/// fused oneDNN post-op chain computes: `up·clip(x, 0, R)`, then `down·round(·)`). `a = 1` gives {0, R}.
/// R is 6 (the seed's fixed range, the default) or a calibrated range ≤ 6 per layer (`Calibration`).
public enum Quantizer {
    /// Quantizes a weight tensor whose dimension 0 is the output channel (`channels` slices of equal size).
    public static func quantizeWeights(_ w: [Float], bits: BitWidth, channels: Int,
                                       granularity: QuantGranularity = .perTensor) -> [Float] {
        var out = w
        quantizeWeightsInPlace(&out, bits: bits, channels: channels, granularity: granularity)
        return out
    }

    /// `quantizeWeights`, overwriting `w`.
    public static func quantizeWeightsInPlace(_ w: inout [Float], bits: BitWidth, channels: Int,
                                              granularity: QuantGranularity = .perTensor) {
        precondition(bits.isValid, "weight bits must be 1–16 or float")
        guard case .bits(let bits) = bits, !w.isEmpty else { return }
        let groups = granularity == .perChannel ? max(channels, 1) : 1
        precondition(w.count % groups == 0, "weight tensor of \(w.count) elements does not split into \(groups) channels")
        let n = w.count / groups
        for g in 0..<groups {
            quantizeSlice(&w, (g * n)..<((g + 1) * n), bits: bits)
        }
    }

    /// What the rule needs from a tensor or channel: max |w| and Σ|w| (accumulated in Double, index order).
    struct SliceStatistics {
        var maxAbs: Float = 0
        var sumAbs: Double = 0
        var count = 0

        mutating func add(_ x: [Float], _ range: Range<Int>) {
            for i in range {
                let a = abs(x[i])
                maxAbs = max(maxAbs, a)
                sumAbs += Double(a)
            }
            count += range.count
        }
    }

    static func quantizeSlice(_ x: inout [Float], _ range: Range<Int>, bits: Int) {
        var stats = SliceStatistics()
        stats.add(x, range)
        quantizeSlice(&x, range, bits: bits, statistics: stats)
    }

    /// Quantizes `x[range]` with the scale of `statistics` (which may cover more than the range).
    /// `bits` is a quantized width, 1…16.
    static func quantizeSlice(_ x: inout [Float], _ range: Range<Int>, bits: Int, statistics: SliceStatistics) {
        if bits == 1 {
            let mean = Float(statistics.sumAbs / Double(statistics.count))
            for i in range { x[i] = x[i] > 0 ? mean : (x[i] < 0 ? -mean : 0) }
            return
        }
        let qmax = Float((1 << (bits - 1)) - 1)
        let qmin = -Float(1 << (bits - 1))
        let scale = statistics.maxAbs / qmax
        guard scale > 0, scale.isFinite else {
            for i in range { x[i] = 0 }
            return
        }
        for i in range { x[i] = quantize(x[i], scale: scale, qmin: qmin, qmax: qmax) }
    }

    /// One value of the symmetric rule: `clamp(roundHalfToEven(w / scale), qmin, qmax) · scale`.
    @inline(__always)
    public static func quantize(_ w: Float, scale: Float, qmin: Float, qmax: Float) -> Float {
        min(max((w / scale).rounded(.toNearestOrEven), qmin), qmax) * scale
    }

    /// A weight tensor as the quantizer's integer codes and scales: `codes[i] · scales[group(i)]` is exactly
    /// `quantizeWeights` of the same values (the same Float operations). Groups are the output channels
    /// (dimension 0, `channels` equal slices) for `perChannel`, the whole tensor for `perTensor`. Codes lie in
    /// `−2^(b−1) … 2^(b−1) − 1` for `b` ≥ 2 bits and in {−1, 0, 1} for 1 bit (scale mean|w|); an all-zero group
    /// has codes 0 and scale 0. Used where the quantized weights leave the engine as integers (ONNX export).
    public struct WeightCodes: Equatable, Sendable {
        public var codes: [Int32]
        /// One scale per group: 1 for per-tensor, `channels` for per-channel.
        public var scales: [Float]
    }

    /// The codes and scales of `w` at `bits` quantized bits (1–16).
    public static func weightCodes(_ w: [Float], bits: Int, channels: Int, granularity: QuantGranularity) -> WeightCodes {
        precondition(BitWidth.quantizedRange.contains(bits), "weight bits must be 1–16")
        let groups = granularity == .perChannel ? max(channels, 1) : 1
        precondition(w.count % groups == 0, "weight tensor of \(w.count) elements does not split into \(groups) channels")
        let n = w.count / groups
        var codes = [Int32](repeating: 0, count: w.count)
        var scales = [Float](repeating: 0, count: groups)
        for g in 0..<groups {
            let range = (g * n)..<((g + 1) * n)
            var stats = SliceStatistics()
            stats.add(w, range)
            if bits == 1 {
                scales[g] = Float(stats.sumAbs / Double(max(stats.count, 1)))
                for i in range { codes[i] = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0) }
                continue
            }
            let qmax = Float((1 << (bits - 1)) - 1), qmin = -Float(1 << (bits - 1))
            let scale = stats.maxAbs / qmax
            guard scale > 0, scale.isFinite else { continue }
            scales[g] = scale
            for i in range { codes[i] = Int32(min(max((w[i] / scale).rounded(.toNearestOrEven), qmin), qmax)) }
        }
        return WeightCodes(codes: codes, scales: scales)
    }

    /// The activation grid's two factors for `bits` on [0, `range`] (nil for float): `L/range` and `range/L`.
    /// With the default range 6 these are exactly the fixed grid's factors.
    public static func activationFactors(bits: BitWidth, range: Float = fixedActivationRange) -> (up: Float, down: Float)? {
        guard case .bits(let bits) = bits else { return nil }
        let grid = StaticGrid(bits: bits, range: range, signed: false)
        return (grid.levels / range, grid.step)
    }

    /// The seed's range of every ReLU6 output, [0, 6] (`--calibrate fixed`).
    public static let fixedActivationRange: Float = 6

    /// Reference activation quantizer (ReLU6 included); the network fuses the same arithmetic into oneDNN.
    /// With a calibrated `range` R < 6 the values are clipped to [0, R] and quantized on `k · R/L`; float
    /// activations are ReLU6 alone (the range does not apply).
    @inline(__always)
    public static func quantizeActivation(_ x: Float, bits: BitWidth, range: Float = fixedActivationRange) -> Float {
        guard let f = activationFactors(bits: bits, range: range) else { return min(max(x, 0), 6) }
        let clipped = min(max(x, 0), range)
        return (clipped * f.up).rounded(.toNearestOrEven) * f.down
    }
}
