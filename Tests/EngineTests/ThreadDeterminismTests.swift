import BitOpsCore
@testable import Engine
import Testing

/// Logits do not depend on the number of engine threads, on the MobileNetV1 layer shapes the benchmarks time
/// (at width 0.25 and 64 px, so the test stays fast; oneDNN picks the same kernel families as at 224 px).
///
/// Integer kernels: bit-identical, as they must be — the s32 sums are exact whatever order the threads add
/// them in, and requantization is per element. Float kernels: bit-identical too, because oneDNN 2.6 splits a
/// convolution between threads over output positions and channels, never over the reduction, and the
/// classifier runs image by image; nothing is summed in a thread-dependent order.
@Suite struct ThreadDeterminismTests {
    static func spec(bits: Int, actBits: Int) throws -> NetworkSpec {
        try Preset.mobilenetV1.network(PresetOptions(bits: .uniform(BitWidth(integerLiteral: bits)), actBits: .uniform(BitWidth(integerLiteral: actBits)), width: 0.25,
                                                     stemBits: BitWidth(integerLiteral: bits), classifierBits: BitWidth(integerLiteral: bits)))
    }

    @Test(arguments: [(Kernels.integer, 8, 8), (Kernels.float, 8, 8), (Kernels.float, 32, 32)])
    func logitsAreBitIdenticalOnOneTwoAndThreeThreads(kernels: Kernels, bits: Int, actBits: Int) throws {
        let spec = try Self.spec(bits: bits, actBits: actBits)
        let weights = Reference.weightsWithBatchNorm(spec, seed: 11)
        let images = (0..<2).map { Reference.randomImage(channels: 3, size: 64, seed: UInt64(40 + $0)) }
        var logits: [[[Float]]] = []
        for threads in [1, 2, 3] {
            let net = try Network(spec: spec, inputSize: 64, weights: weights,
                                  options: EngineOptions(threads: threads, batchSize: 2, fidelity: false, kernels: kernels))
            #expect(net.runsInteger == (kernels == .integer))
            if kernels == .integer {   // every layer after the stem, up to the last convolution, on int8
                #expect(net.layerKernels.filter { $0.kernel == .int8 }.count == 2 * spec.blocks.count)
            }
            logits.append(try net.run(images).images.map(\.logits))
        }
        #expect(logits[0].count == 2 && logits[0].allSatisfy { $0.count == 1000 && $0.contains { $0 != 0 } })
        #expect(logits[1] == logits[0], "2 threads")
        #expect(logits[2] == logits[0], "3 threads")
    }
}

/// `Metrics.topK`'s one-pass selection against the definition (a full sort by value, then index).
@Suite struct TopKTests {
    @Test func agreesWithAFullSortIncludingTies() {
        var rng = SplitMix64(seed: 77)
        for trial in 0..<200 {
            let n = Int(rng.next() % 40)
            // Few distinct values, so that ties are common; some ±0.
            let x = (0..<n).map { _ in Float(Int(rng.next() % 7) - 3) * (rng.next() % 5 == 0 ? -0.0 : 1) }
            for k in [0, 1, 3, 5, 50] {
                let expected = Array(x.indices.sorted { x[$0] != x[$1] ? x[$0] > x[$1] : $0 < $1 }.prefix(k))
                #expect(Metrics.topK(x, k) == expected, "trial \(trial), k \(k), x \(x)")
            }
        }
        #expect(Metrics.topK([2, 9, 9, -1, 9, 4], 4) == [1, 2, 4, 5])
    }
}
