import BitOpsCore

/// How one convolution's weights are prepared before they are placed into a oneDNN primitive, as plain
/// arithmetic with no oneDNN and no state: quantize (per tensor, with the whole tensor's statistics, or per
/// output channel), then fold BatchNorm (`w·γ/√(σ²+ε)`, bias `β − μ·γ/√(σ²+ε)`). The float twin's copy is
/// folded without quantization.
///
/// Rows are output channels. The network prepares big layers a chunk of rows at a time; `rows` says which
/// rows `values` holds, and the result does not depend on the chunking as long as per-tensor `statistics`
/// cover the whole tensor (nil: `values` is the whole tensor).
public enum WeightPreparation {
    /// BatchNorm parameters of one convolution, one value per output channel.
    public struct BatchNorm: Sendable, Equatable {
        public var gamma: [Float]
        public var beta: [Float]
        public var mean: [Float]
        public var variance: [Float]
        public init(gamma: [Float], beta: [Float], mean: [Float], variance: [Float]) {
            self.gamma = gamma; self.beta = beta; self.mean = mean; self.variance = variance
        }
    }

    /// Quantizes rows `rows` of a weight tensor (`values` holds exactly those rows, row-major), then folds
    /// BatchNorm into them. A float `bits` only folds.
    static func quantizedRows(_ values: inout [Float], rows: Range<Int>, bits: BitWidth,
                                     granularity: QuantGranularity, statistics: Quantizer.SliceStatistics?,
                                     batchNorm bn: BatchNorm) {
        if case .bits(let b) = bits {
            switch granularity {
            case .perTensor:
                var whole = Quantizer.SliceStatistics()
                if statistics == nil { whole.add(values, 0..<values.count) }   // one piece: the whole tensor
                Quantizer.quantizeSlice(&values, 0..<values.count, bits: b, statistics: statistics ?? whole)
            case .perChannel:
                let per = values.count / rows.count
                for o in 0..<rows.count { Quantizer.quantizeSlice(&values, (o * per)..<((o + 1) * per), bits: b) }
            }
        }
        fold(&values, rows: rows, batchNorm: bn)
    }

    /// The float twin's rows: BatchNorm folded, nothing quantized.
    public static func floatRows(_ values: inout [Float], rows: Range<Int>, batchNorm bn: BatchNorm) {
        fold(&values, rows: rows, batchNorm: bn)
    }

    /// The bias BatchNorm leaves behind: `β − μ·γ/√(σ²+ε)` per output channel.
    public static func foldedBias(_ bn: BatchNorm) -> [Float] {
        (0..<bn.gamma.count).map { o in
            bn.beta[o] - bn.mean[o] * (bn.gamma[o] / (bn.variance[o] + NetworkWeights.batchNormEpsilon).squareRoot())
        }
    }

    static func fold(_ values: inout [Float], rows r: Range<Int>, batchNorm bn: BatchNorm) {
        _ = foldBatchNormInPlace(&values, outChannels: r.count, gamma: Array(bn.gamma[r]), beta: Array(bn.beta[r]),
                                 mean: Array(bn.mean[r]), variance: Array(bn.variance[r]))
    }
}
