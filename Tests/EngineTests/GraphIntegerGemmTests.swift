import BitOpsCore
@testable import Engine
import Testing

/// A graph's gemm on oneDNN's int8 inner product (GraphBuilder's `integerGemm`), on a hand-built graph:
///
///     input 3×6×6 → conv 3×3 3→16 (pad 1), BN[, ReLU6]   (reads the float image: float kernels)
///       → global average pool with its own act bits (8: the fixed [0, 6] grid after ReLU6, or a calibrated
///         [−R, R] grid for the signed values without it)
///       → flatten (no act bits: passes the grid on) → gemm 16 → 10 (bias; weights ≤ 8 bits)
///
/// The gemm is the only layer that can run int8, so everything before it is computed alike by the integer run
/// and the simulated run: the gemm's logits are checked against a naive integer evaluation (codes of the
/// simulated run's features, exact integer sums, then the scale) and against the simulated run.
@Suite struct GraphIntegerGemmTests {
    static let size = 6
    static let features = 16
    static let classes = 10
    /// The calibrated range of the signed pooled features (values beyond it clip).
    static let signedRange: Float = 0.5

    static func graph(signed: Bool, weightBits: BitWidth, poolBits: BitWidth? = .bits(8)) -> GraphNetwork {
        var layers = [
            GraphLayer("c", .conv(ConvAttributes(outChannels: features, kernel: 3, padding: 1)), inputs: ["input"], block: 0,
                       bits: .bits(8), actBits: .bits(8)),
            GraphLayer("c.bn", .batchNorm, block: 0, actBits: .bits(8)),
        ]
        if !signed { layers.append(GraphLayer("c.act", .activation(.relu6), block: 0, actBits: .bits(8))) }
        layers += [
            GraphLayer("gap", .globalAveragePool, actBits: poolBits),
            GraphLayer("flat", .flatten, actBits: nil),
            GraphLayer("fc", .gemm(outFeatures: classes, bias: true), bits: weightBits, actBits: .float),
        ]
        return GraphNetwork(name: "gemm-head", inputChannels: 3, layers: layers, blocks: ["b0"])
    }

    static func weights(_ g: GraphNetwork) throws -> GraphWeights {
        try Reference.perturbedGraphWeights(g, size: size, seed: 91) { name in !name.hasSuffix(".weight") || name.hasPrefix("c.bn") }
    }

    static let images = (0..<2).map { Reference.randomImage(channels: 3, size: size, seed: UInt64(30 + $0)) }

    static func options(_ kernels: Kernels, signed: Bool, granularity: QuantGranularity = .perTensor,
                        fidelity: Bool = true) -> EngineOptions {
        EngineOptions(granularity: granularity, batchSize: 2, fidelity: fidelity, kernels: kernels,
                      calibration: signed ? .minmax : .fixed, activationRanges: signed ? ["gap": signedRange] : [:])
    }

    /// The gemm's logits on int8: equal (to float rounding) to the naive integer evaluation, and within the bias
    /// rounding of the simulated run's. Unsigned (u8 codes of [0, 6]) and signed (s8 codes of [−R, R]) inputs,
    /// 8-bit per-tensor and 4-bit per-channel weights.
    @Test(arguments: [(false, 8, QuantGranularity.perTensor), (true, 8, .perTensor), (false, 4, .perChannel), (true, 4, .perChannel)])
    func int8GemmAgreesWithNaiveIntegersAndTheSimulatedRun(signed: Bool, bits: Int, granularity: QuantGranularity) throws {
        let g = Self.graph(signed: signed, weightBits: .bits(bits))
        let w = try Self.weights(g)
        let integer = try GraphExecutor(network: g, inputSize: Self.size, weights: w,
                                        options: Self.options(.integer, signed: signed, granularity: granularity))
        #expect(integer.layerKernels.filter { $0.kernel == .int8 }.map(\.layer) == ["fc"])
        let simulated = try GraphExecutor(network: g, inputSize: Self.size, weights: w,
                                          options: Self.options(.float, signed: signed, granularity: granularity))
        // The features the gemm reads: the same network up to flatten, float kernels (its "logits").
        var head = g
        head.layers.removeLast()
        var headWeights = w
        headWeights.tensors = w.tensors.filter { !$0.key.hasPrefix("fc.") }
        let featureNet = try GraphExecutor(network: head, inputSize: Self.size, weights: headWeights,
                                           options: Self.options(.float, signed: signed, granularity: granularity, fidelity: false))
        let x = try featureNet.run(Self.images).images.map(\.logits)
        let a = try integer.run(Self.images).images, s = try simulated.run(Self.images).images

        // The naive integer evaluation, from the definitions (IntegerKernels.swift): codes of the input grid,
        // weight codes of the quantizer, bias in accumulator units, exact integer sums.
        let levels: Float = signed ? 127 : 255
        let range = signed ? Self.signedRange : 6
        let step = range / levels
        let raw = w.tensors["fc.weight"]!.data, bias = w.tensors["fc.bias"]!.data
        let qmax = Float((1 << (bits - 1)) - 1)
        var wScale = [Float](), wCodes = [Int](repeating: 0, count: raw.count)
        for o in 0..<Self.classes {
            let rows = granularity == .perChannel ? (o * Self.features)..<((o + 1) * Self.features) : 0..<raw.count
            let scale = rows.map { abs(raw[$0]) }.max()! / qmax
            wScale.append(scale)
            for i in (o * Self.features)..<((o + 1) * Self.features) {
                wCodes[i] = Int(min(max((raw[i] / scale).rounded(.toNearestOrEven), -qmax - 1), qmax))
            }
        }
        var sawClipped = false
        for img in Self.images.indices {
            let codes = x[img].map { v -> Int in
                let k = (v / step).rounded(.toNearestOrEven)
                #expect(abs(v / step - k) < 1e-3, "feature \(v) is not on the grid of step \(step)")
                return Int(k)
            }
            sawClipped = sawClipped || codes.contains { abs($0) == Int(levels) }
            var naive = [Float](), tolerance = [Float]()
            for o in 0..<Self.classes {
                var acc = 0
                for i in 0..<Self.features { acc += codes[i] * wCodes[o * Self.features + i] }
                let eff = step * wScale[o]
                let b = Int((Double(bias[o]) / Double(eff)).rounded(.toNearestOrEven))
                naive.append(eff * (Float(acc) + Float(b)))
                // The simulated run adds the float bias: the integer one differs by its rounding (≤ eff/2), plus
                // float rounding of the sums.
                let magnitude = (0..<Self.features).reduce(Float(abs(bias[o]))) {
                    $0 + abs(Float(codes[$1]) * step * Float(wCodes[o * Self.features + $1]) * wScale[o])
                }
                tolerance.append(eff / 2 + 1e-5 * magnitude)
            }
            #expect(maxRelativeError(a[img].logits, naive) < 1e-6, "image \(img): \(a[img].logits) vs \(naive)")
            for o in 0..<Self.classes {
                #expect(abs(a[img].logits[o] - s[img].logits[o]) <= tolerance[o],
                        "image \(img) logit \(o): \(a[img].logits[o]) vs simulated \(s[img].logits[o])")
            }
            // The engine's own check: its simulated lane is the simulated run (as the int8 convolutions' tests).
            let own = try #require(a[img].simulatedSQNR)
            #expect(own >= 30, "image \(img): \(own) dB")
            #expect(own == Metrics.sqnr(reference: s[img].logits, test: a[img].logits))
        }
        // The signed case reaches the calibrated range's edge (codes ±127) on some feature: the clip is exercised.
        if signed { #expect(sawClipped) }
    }

    /// The kernel record: `integer` and `auto` put the gemm on int8 (with an inner product implementation); `float`
    /// never; weights above 8 bits, or a pooled mean without a grid of its own, keep it float with the reason —
    /// and `integer`, with nothing else eligible, is then refused in one line.
    @Test func kernelRecordSaysInt8ForTheGemm() throws {
        for kernels in [Kernels.integer, .auto] {
            let g = Self.graph(signed: false, weightBits: .bits(8))
            let net = try GraphExecutor(network: g, inputSize: Self.size, weights: try Self.weights(g),
                                        options: Self.options(kernels, signed: false, fidelity: false))
            #expect(net.layerKernels.first { $0.layer == "fc" }?.kernel == .int8)
            #expect(net.kernelUse.int8Layers == 1)
            let implementation = try #require(net.implementations.last { $0.layer == "fc" }?.implementation)
            #expect(implementation.contains("int8") || implementation.contains("gemm"), "\(implementation)")
            #expect(net.kernelFallbacks.map(\.layer) == ["c"])
        }
        let g = Self.graph(signed: false, weightBits: .bits(8))
        let float = try GraphExecutor(network: g, inputSize: Self.size, weights: try Self.weights(g),
                                      options: Self.options(.float, signed: false, fidelity: false))
        #expect(!float.runsInteger)

        for (variant, reason) in [(Self.graph(signed: false, weightBits: .bits(16)), "weights are 16"),
                                  (Self.graph(signed: false, weightBits: .bits(8), poolBits: nil),
                                   "input is the float mean of gap (an average of codes is not on their grid)")] {
            let w = try Self.weights(variant)
            let auto = try GraphExecutor(network: variant, inputSize: Self.size, weights: w,
                                         options: Self.options(.auto, signed: false, fidelity: false))
            #expect(!auto.runsInteger)
            #expect {
                try GraphExecutor(network: variant, inputSize: Self.size, weights: w,
                                  options: Self.options(.integer, signed: false, fidelity: false))
            } throws: { "\($0)".contains("fc: \(reason)") && !"\($0)".contains("\n") }
        }
    }

    /// Integer logits are bit-identical on 1 and 2 threads and for batches of 1 and 2 (exact s32 sums, image by image).
    @Test func int8GemmIsDeterministic() throws {
        let g = Self.graph(signed: true, weightBits: .bits(8))
        let w = try Self.weights(g)
        var runs: [[UInt32]] = []
        for (threads, batch) in [(1, 2), (2, 2), (1, 1)] {
            var o = Self.options(.integer, signed: true, fidelity: false)
            o.threads = threads
            o.batchSize = batch
            let net = try GraphExecutor(network: g, inputSize: Self.size, weights: w, options: o)
            let logits = batch == 2 ? try net.run(Self.images).images.flatMap(\.logits)
                                    : try Self.images.flatMap { try net.run([$0]).images[0].logits }
            runs.append(logits.map(\.bitPattern))
        }
        #expect(runs[0] == runs[1] && runs[0] == runs[2])
    }
}
