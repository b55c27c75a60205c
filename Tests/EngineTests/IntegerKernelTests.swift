import BitOpsCore
@testable import Engine
import Testing

/// oneDNN's int8 convolution against a naive integer reference, the integer weights against the float
/// quantizer, and the integer network's boundaries with float layers.
@Suite struct IntegerKernelTests {
    /// Exact s32 accumulations (`Σ k · c` over the receptive field, zero padding), NCHW.
    static func accumulators(_ g: ConvGeometry, input: [UInt8], codes: [Int8]) -> [Int32] {
        let icg = g.inChannels / g.groups, ocg = g.outChannels / g.groups
        var out = [Int32](repeating: 0, count: g.batch * g.outChannels * g.outHeight * g.outWidth)
        for n in 0..<g.batch {
            for o in 0..<g.outChannels {
                let group = o / ocg
                for y in 0..<g.outHeight {
                    for x in 0..<g.outWidth {
                        var acc: Int32 = 0
                        for ci in 0..<icg {
                            let c = group * icg + ci
                            for ky in 0..<g.kernel {
                                for kx in 0..<g.kernel {
                                    let iy = y * g.stride - g.padding + ky, ix = x * g.stride - g.padding + kx
                                    guard (0..<g.height).contains(iy), (0..<g.width).contains(ix) else { continue }
                                    let a = Int32(input[((n * g.inChannels + c) * g.height + iy) * g.width + ix])
                                    let w = Int32(codes[((o * icg + ci) * g.kernel + ky) * g.kernel + kx])
                                    acc += a * w
                                }
                            }
                        }
                        out[((n * g.outChannels + o) * g.outHeight + y) * g.outWidth + x] = acc
                    }
                }
            }
        }
        return out
    }

    static func random(_ g: ConvGeometry, inputBits: Int, weightBits: Int, perChannel: Bool, seed: UInt64)
        -> (input: [UInt8], parameters: IntegerLayerParameters) {
        var rng = SplitMix64(seed: seed)
        let levels = UInt64((1 << inputBits) - 1)
        let input = (0..<(g.batch * g.inChannels * g.height * g.width)).map { _ in UInt8(rng.next() % (levels + 1)) }
        let half = UInt64(1 << (weightBits - 1))
        let codes = (0..<(g.outChannels * g.perChannel)).map { _ in Int8(Int(rng.next() % (2 * half)) - Int(half)) }
        // Scales that put y mostly inside [0, 6] (and some below 0 and above 6, to exercise the clip).
        let base = 6 / (Float(levels) * Float(half) * Float(g.perChannel).squareRoot())
        let scales = (0..<g.outChannels).map { o in perChannel ? base * (0.5 + Float(o % 5) * 0.4) : base }
        let bias = (0..<g.outChannels).map { _ in Int32(Int(rng.next() % 4001) - 1000) }
        return (input, IntegerLayerParameters(codes: codes, scales: scales, bias: bias))
    }

    static let geometries: [(String, ConvGeometry)] = [
        ("depthwise 3×3 stride 2, odd map", ConvGeometry(batch: 1, inChannels: 5, outChannels: 5, groups: 5, kernel: 3, stride: 2, padding: 1, height: 9, width: 9)),
        ("depthwise 5×5 stride 1", ConvGeometry(batch: 2, inChannels: 19, outChannels: 19, groups: 19, kernel: 5, stride: 1, padding: 2, height: 7, width: 7)),
        ("pointwise 7 → 9", ConvGeometry(batch: 1, inChannels: 7, outChannels: 9, groups: 1, kernel: 1, stride: 1, padding: 0, height: 5, width: 5)),
        ("pointwise 64 → 33", ConvGeometry(batch: 1, inChannels: 64, outChannels: 33, groups: 1, kernel: 1, stride: 1, padding: 0, height: 3, width: 3)),
        ("full 3×3 stride 2, 3 → 6", ConvGeometry(batch: 1, inChannels: 3, outChannels: 6, groups: 1, kernel: 3, stride: 2, padding: 1, height: 11, width: 11)),
    ]

    /// u8 destination: every output code is the documented requantization of the exact accumulator.
    @Test(arguments: geometries.indices, [false, true])
    func int8ConvolutionMatchesNaiveIntegerReference(index: Int, perChannel: Bool) throws {
        let (what, g) = Self.geometries[index]
        let (input, p) = Self.random(g, inputBits: 8, weightBits: 8, perChannel: perChannel, seed: UInt64(index) + 1)
        let context = try DNNLContext()
        let conv = try IntegerConvolution(g, parameters: p, outputBits: 8, outputCodes: true, context: context, name: "test")
        let out = try conv.runPlain(input, context: context)
        let acc = Self.accumulators(g, input: input, codes: p.codes)
        let per = g.outHeight * g.outWidth
        var mismatches = 0, interior = 0
        for i in acc.indices {
            let o = (i / per) % g.outChannels
            let ref = requantize(accumulator: acc[i], bias: p.bias[o], scale: p.scales[o], outputBits: 8)
            if UInt8(out[i]) != ref { mismatches += 1 }
            if ref > 0 && ref < 255 { interior += 1 }
        }
        #expect(mismatches == 0, "\(what): \(mismatches) of \(acc.count) codes differ from the reference")
        #expect(interior > acc.count / 4, "\(what): the test data should mostly fall inside the grid")
    }

    /// f32 destination (the next layer runs float): the float path's activation chain applied to y.
    @Test func int8ConvolutionWithFloatOutputMatchesReference() throws {
        let g = Self.geometries[2].1
        let (input, p) = Self.random(g, inputBits: 4, weightBits: 4, perChannel: true, seed: 9)
        let context = try DNNLContext()
        let conv = try IntegerConvolution(g, parameters: p, outputBits: 5, outputCodes: false, context: context, name: "test")
        let out = try conv.runPlain(input, context: context)
        let acc = Self.accumulators(g, input: input, codes: p.codes)
        let per = g.outHeight * g.outWidth
        for i in acc.indices {
            let o = (i / per) % g.outChannels
            let y = p.scales[o] * (Float(acc[i]) + Float(p.bias[o]))
            #expect(out[i] == Quantizer.quantizeActivation(y, bits: 5), "element \(i)")
        }
    }

    /// Integer codes times their scales are exactly the float quantizer's values, for every width ≤ 8.
    @Test(arguments: [1, 2, 3, 4, 8], QuantGranularity.allCases)
    func integerWeightsReproduceTheQuantizer(bits: Int, granularity: QuantGranularity) throws {
        var rng = SplitMix64(seed: UInt64(bits))
        let channels = 6
        var w = (0..<(channels * 10)).map { _ in rng.nextUnitFloat() * 2 - 1 }
        w[3] = 0
        let iw = try #require(IntegerWeights(w, bits: .bits(bits), channels: channels, granularity: granularity))
        let q = Quantizer.quantizeWeights(w, bits: .bits(bits), channels: channels, granularity: granularity)
        for i in w.indices { #expect(Float(iw.codes[i]) * iw.scales[i / 10] == q[i], "weight \(i)") }
        let limit = bits == 1 ? 1 : (1 << (bits - 1)) - 1
        #expect(iw.codes.allSatisfy { abs(Int($0)) <= limit })
        #expect(IntegerWeights(w, bits: 9, channels: channels, granularity: granularity) == nil)
        #expect(IntegerWeights(w, bits: 32, channels: channels, granularity: granularity) == nil)
    }
}

extension IntegerKernelTests {
    /// stem (float image in) 8/8 · block0 4/8 · block1 16-bit weights (float) · block2 8/8 · block3 8/float.
    static func mixedSpec() -> NetworkSpec {
        NetworkSpec(name: "mixed", inputChannels: 3,
                    stem: StemSpec(outChannels: 8, kernel: 3, stride: 2, bits: 8, actBits: 8),
                    blocks: [
                        BlockSpec(outChannels: 12, stride: 1, bits: 4, actBits: 8),
                        BlockSpec(outChannels: 16, stride: 2, bits: 16, actBits: 8),
                        BlockSpec(outChannels: 24, stride: 1, bits: 8, actBits: 8, kernel: 5),
                        BlockSpec(outChannels: 20, stride: 2, bits: 8, actBits: 32),
                    ],
                    classes: 10, classifierBits: 8)
    }

    /// Which layers run int8 follows from the configuration alone (hand-derived), and the integer run agrees
    /// with the simulated one except for requantization rounding.
    @Test func integerFloatBoundaries() throws {
        let spec = Self.mixedSpec()
        let weights = Reference.weightsWithBatchNorm(spec, seed: 5)
        let size = 17
        let net = try Network(spec: spec, inputSize: size, weights: weights, options: EngineOptions(batchSize: 2, kernels: .auto))
        let expected: [(String, LayerKernel)] = [
            ("stem", .float),                   // its input is the float image
            ("block0.depthwise", .int8), ("block0.pointwise", .int8),
            ("block1.depthwise", .float), ("block1.pointwise", .float),   // 16-bit weights
            ("block2.depthwise", .int8), ("block2.pointwise", .int8),
            ("block3.depthwise", .int8),        // input: block2's 8-bit activations
            ("block3.pointwise", .float),       // input: float activations
            ("pool", .float), ("classifier", .float),
        ]
        #expect(net.layerKernels.map(\.layer) == expected.map(\.0))
        #expect(net.layerKernels.map(\.kernel) == expected.map(\.1))
        // float → int8 boundaries need a reorder to u8 codes, counted with the layer that needs it.
        let quantizedOps = net.lanes[0].ops
        for boundary in ["block0.depthwise", "block2.depthwise"] {
            let k = try #require(quantizedOps.firstIndex { $0.name == boundary && !$0.isReorder })
            #expect(quantizedOps[k - 1].isReorder && quantizedOps[k - 1].name == boundary)
            #expect(quantizedOps[k - 1].writesCodes)
        }
        let images = [Reference.randomImage(channels: 3, size: size, seed: 1), Reference.randomImage(channels: 3, size: size, seed: 2)]
        let integer = try net.run(images)
        let simulated = try Network(spec: spec, inputSize: size, weights: weights, options: EngineOptions(batchSize: 2)).run(images)
        for i in images.indices {
            let s = try #require(integer.images[i].simulatedSQNR)
            #expect(s >= 30, "image \(i): integer vs simulated \(s) dB")
            let direct = Metrics.sqnr(reference: simulated.images[i].logits, test: integer.images[i].logits)
            #expect(abs(direct - s) < 1e-9)
            let fid = try #require(integer.images[i].fidelity)
            #expect(fid.blockSQNR.count == spec.blocks.count && fid.blockSQNR.allSatisfy { $0.isFinite && $0 > 5 })
        }
    }

    @Test func integerNeedsAnEligibleLayer() throws {
        let spec = NetworkTests.oddSpec(bits: 8, actBits: 32)   // float activations everywhere
        let weights = Reference.weightsWithBatchNorm(spec, seed: 2)
        #expect(throws: EngineError.self) {
            _ = try Network(spec: spec, inputSize: 9, weights: weights, options: EngineOptions(kernels: .integer))
        }
        let auto = try Network(spec: spec, inputSize: 9, weights: weights, options: EngineOptions(kernels: .auto))
        #expect(!auto.runsInteger && auto.layerKernels.allSatisfy { $0.kernel == .float })
    }

    /// Integer results do not depend on the thread count (s32 sums are exact; the float layers are too).
    @Test func integerRunIsDeterministicAcrossThreads() throws {
        let spec = NetworkTests.oddSpec(bits: 6, actBits: 7)
        let weights = Reference.weightsWithBatchNorm(spec, seed: 8)
        let images = [Reference.randomImage(channels: 3, size: 15, seed: 3)]
        var logits: [[Float]] = []
        for threads in [1, 2, 3] {
            let net = try Network(spec: spec, inputSize: 15, weights: weights,
                                  options: EngineOptions(threads: threads, fidelity: false, kernels: .integer))
            #expect(net.runsInteger)
            logits.append(try net.run(images).images[0].logits)
        }
        #expect(logits[0] == logits[1] && logits[1] == logits[2])
    }
}
