import BitOpsCore
@testable import Engine
import Testing

/// Weight preparation is plain arithmetic: quantize, then fold BatchNorm — the same numbers whole or in
/// chunks of output channels, and the same as quantizing and folding one after the other.
@Suite struct WeightPreparationTests {
    /// 4 output channels × 6 weights, values spread over both signs with different scales per channel.
    static let weights: [Float] = (0..<24).map { i in Float((i * 37) % 23 - 11) * (i < 12 ? 0.05 : 0.4) }
    static let bn = WeightPreparation.BatchNorm(gamma: [1, 0.5, 2, -1], beta: [0, 0.25, -1, 3],
                                                mean: [0.1, -0.2, 0, 1], variance: [1, 4, 0.25, 9])

    @Test func theFoldedBiasIsBetaMinusMeanTimesGammaOverSigma() {
        // Hand-derived with ε = 1e-5: β − μ·γ/√(σ²+ε).
        let b = WeightPreparation.foldedBias(Self.bn)
        let expected: [Float] = [0 - 0.1 * 1 / 1.000005, 0.25 + 0.2 * 0.5 / 2.0000025, -1 - 0, 3 + 1 / 3.0000017]
        for (x, e) in zip(b, expected) { #expect(abs(x - e) < 1e-6, "\(b) vs \(expected)") }
    }

    @Test(arguments: [QuantGranularity.perTensor, .perChannel], [1, 2, 4, 8])
    func quantizeThenFoldWholeEqualsTheTwoStepsApart(granularity: QuantGranularity, bits: Int) throws {
        let width = try #require(BitWidth(bits))
        var prepared = Self.weights
        WeightPreparation.quantizedRows(&prepared, rows: 0..<4, bits: width, granularity: granularity, statistics: nil, batchNorm: Self.bn)
        // Independently: the engine's tested quantizer on the whole tensor, then the tested BatchNorm fold.
        let q = Quantizer.quantizeWeights(Self.weights, bits: width, channels: 4, granularity: granularity)
        let folded = foldBatchNorm(weight: q, outChannels: 4, gamma: Self.bn.gamma, beta: Self.bn.beta,
                                   mean: Self.bn.mean, variance: Self.bn.variance).weight
        #expect(prepared == folded)
    }

    @Test(arguments: [QuantGranularity.perTensor, .perChannel])
    func chunksOfRowsGiveTheSameNumbersAsTheWholeTensor(granularity: QuantGranularity) throws {
        let width: BitWidth = 3
        var whole = Self.weights
        WeightPreparation.quantizedRows(&whole, rows: 0..<4, bits: width, granularity: granularity, statistics: nil, batchNorm: Self.bn)
        var stats = Quantizer.SliceStatistics()
        stats.add(Self.weights, 0..<24)
        var chunked: [Float] = []
        for r in [0..<1, 1..<3, 3..<4] {
            var part = Array(Self.weights[(r.lowerBound * 6)..<(r.upperBound * 6)])
            WeightPreparation.quantizedRows(&part, rows: r, bits: width, granularity: granularity,
                                            statistics: granularity == .perTensor ? stats : nil, batchNorm: Self.bn)
            chunked += part
        }
        #expect(chunked == whole)
    }

    @Test func floatWeightsAreOnlyFolded() {
        var prepared = Self.weights
        WeightPreparation.quantizedRows(&prepared, rows: 0..<4, bits: .float, granularity: .perTensor, statistics: nil, batchNorm: Self.bn)
        var twin = Self.weights
        WeightPreparation.floatRows(&twin, rows: 0..<4, batchNorm: Self.bn)
        #expect(prepared == twin)
        // Channel 2: γ/√(σ²+ε) = 2/√0.25001 ≈ 3.99992; every weight scaled by it.
        let s = Float(2) / (Float(0.25) + 1e-5).squareRoot()
        for j in 0..<6 { #expect(twin[12 + j] == Self.weights[12 + j] * s) }
    }
}
