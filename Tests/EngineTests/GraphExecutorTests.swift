import BitOpsCore
@testable import Engine
import Testing
import Foundation

/// The graph executor against the block-form network (same weights, same numerics), against a naive Swift
/// evaluation of a small graph with every layer kind, and on mobilenet-v2.
@Suite struct GraphExecutorTests {
    /// The block-form weights under the graph's names (`NetworkSpec.graph()`'s layers).
    static func graphWeights(_ w: NetworkWeights) -> GraphWeights {
        var t: [String: Tensor] = [:]
        for (name, tensor) in w.tensors {
            var n = name
            if n == "stem.conv.weight" { n = "stem.weight" }
            let p = n.split(separator: ".").map(String.init)
            if p.count == 4, p[0] == "blocks" {
                switch p[2] {
                case "depthwise": n = "block\(p[1]).depthwise.weight"
                case "pointwise": n = "block\(p[1]).pointwise.weight"
                case "bn1": n = "block\(p[1]).depthwise.bn.\(p[3])"
                case "bn2": n = "block\(p[1]).pointwise.bn.\(p[3])"
                default: break
                }
            }
            t[n] = tensor
        }
        return GraphWeights(tensors: t, origin: w.origin)
    }

    @Test(arguments: [(BitWidth.float, BitWidth.float, QuantGranularity.perTensor), (.bits(4), .float, .perTensor),
                      (.bits(3), .bits(3), .perTensor), (.bits(4), .bits(4), .perChannel)])
    func blockFormThroughItsGraphGivesTheSameLogits(bits: BitWidth, actBits: BitWidth, granularity: QuantGranularity) throws {
        let spec = NetworkTests.oddSpec(bits: bits, actBits: actBits)
        let weights = Reference.weightsWithBatchNorm(spec, seed: 5)
        let size = 13
        let options = EngineOptions(granularity: granularity, batchSize: 2)
        let block = try Network(spec: spec, inputSize: size, weights: weights, options: options)
        let graph = try GraphExecutor(network: try spec.graph(), inputSize: size, weights: Self.graphWeights(weights), options: options)
        let images = [Reference.randomImage(channels: 3, size: size, seed: 8), Reference.randomImage(channels: 3, size: size, seed: 9)]
        let a = try block.run(images).images, b = try graph.run(images).images
        for i in images.indices {
            #expect(maxRelativeError(b[i].logits, a[i].logits) < 1e-5, "image \(i)")
            #expect(b[i].top5 == a[i].top5)
            let fa = try #require(a[i].fidelity), fb = try #require(b[i].fidelity)
            #expect(fb.blockSQNR.count == spec.blocks.count)
            for (x, y) in zip(fa.blockSQNR, fb.blockSQNR) {
                #expect(x == y || abs(x - y) < 0.01, "block SQNR \(fb.blockSQNR) vs \(fa.blockSQNR)")
            }
            #expect(fa.sqnrDB == fb.sqnrDB || abs(fa.sqnrDB - fb.sqnrDB) < 0.01)
        }
        #expect(graph.twinIsIdentical == block.twinIsIdentical)
    }

    // MARK: A small graph with every layer kind, against a naive evaluation

    /// input 2×7×7 → conv 3×3 (bias) → BN → ReLU6 ┐
    ///            → conv 3×3 dilation 2, 2 groups ┴ add → ReLU (standalone: `sum` has two readers) → max pool 2/2
    ///   → squeeze-and-excite (global average pool → conv 1×1 with bias → hard-sigmoid → mul) → BN → sigmoid
    ///   → flatten → gemm (bias) → hard-swish ┐
    ///   sum → average pool 3/1/1 → global average pool → gemm (no bias) ┴ add → 5 outputs.
    static func tinyGraph(bits: BitWidth = .float, actBits: BitWidth = .float) -> GraphNetwork {
        func conv(_ name: String, _ c: ConvAttributes, _ inputs: [String] = []) -> GraphLayer {
            GraphLayer(name, .conv(c), inputs: inputs, block: nil, bits: bits, actBits: actBits)
        }
        func op(_ name: String, _ o: GraphOp, _ inputs: [String] = [], block: Int? = nil, act: BitWidth? = .float) -> GraphLayer {
            GraphLayer(name, o, inputs: inputs, block: block, actBits: act == .float ? actBits : act)
        }
        var layers = [
            conv("c0", ConvAttributes(outChannels: 4, kernel: 3, bias: true), ["input"]),
            op("c0.bn", .batchNorm), op("c0.act", .activation(.relu6)),
            conv("c1", ConvAttributes(outChannels: 4, kernel: 3, dilation: 2, groups: 2), ["input"]),
            op("sum", .add, ["c0.act", "c1"]),
            op("sum.relu", .activation(.relu), ["sum"]),
            op("mp", .maxPool(kernel: 2, stride: 2, padding: 0), act: nil),
            op("gap", .globalAveragePool, act: nil),
            conv("se", ConvAttributes(outChannels: 4, kernel: 1, bias: true)),
            op("se.gate", .activation(.hardSigmoid)),
            op("scaled", .mul, ["mp", "se.gate"]),
            op("bn2", .batchNorm), op("bn2.act", .activation(.sigmoid)),
            op("flat", .flatten, act: nil),
            GraphLayer("fc1", .gemm(outFeatures: 5, bias: true), bits: bits, actBits: actBits),
            op("fc1.act", .activation(.hardSwish)),
            op("ap", .averagePool(kernel: 3, stride: 1, padding: 1), ["sum"], act: nil),
            op("gap2", .globalAveragePool, act: nil),
            GraphLayer("fc2", .gemm(outFeatures: 5, bias: false), bits: bits, actBits: actBits),
            op("out", .add, ["fc1.act", "fc2"]),
        ]
        layers[layers.count - 1].block = 0
        layers[layers.count - 2].block = 0
        return GraphNetwork(name: "tiny", inputChannels: 2, layers: layers, blocks: ["head"])
    }

    /// Seeded weights with non-trivial batch norms and biases.
    static func tinyWeights(_ g: GraphNetwork, size: Int) throws -> GraphWeights {
        var w = try Reference.perturbedGraphWeights(g, size: size, seed: 77) { name in !name.hasSuffix(".weight") || name.hasPrefix("c0.bn") || name.hasPrefix("bn2") }
        w.batchNormEpsilon["bn2"] = 1e-3
        return w
    }

    /// The graph evaluated from the definitions, one image, NCHW, in Double where it sums.
    static func naive(_ g: GraphNetwork, _ w: GraphWeights, image: [Float], size: Int, quantizeWeights: Bool) -> [Float] {
        struct T { var c: Int; var h: Int; var w: Int; var v: [Float] }
        var t: [String: T] = ["input": T(c: g.inputChannels, h: size, w: size, v: image)]
        var previous = "input"
        func weight(_ l: GraphLayer, _ oc: Int) -> [Float] {
            let v = w.tensors["\(l.name).weight"]!.data
            return quantizeWeights ? Quantizer.quantizeWeights(v, bits: l.bits, channels: oc) : v
        }
        for l in g.layers {
            let ins = (l.inputs.isEmpty ? [previous] : l.inputs).map { t[$0]! }
            let x = ins[0]
            var y: T
            switch l.op {
            case .conv(let c):
                let span = c.dilation * (c.kernel - 1) + 1
                let ho = (x.h + 2 * c.padding - span) / c.stride + 1, wo = (x.w + 2 * c.padding - span) / c.stride + 1
                let icg = x.c / c.groups, ocg = c.outChannels / c.groups
                let k = c.kernel, wt = weight(l, c.outChannels)
                let bias = c.bias ? w.tensors["\(l.name).bias"]!.data : [Float](repeating: 0, count: c.outChannels)
                y = T(c: c.outChannels, h: ho, w: wo, v: [Float](repeating: 0, count: c.outChannels * ho * wo))
                for o in 0..<c.outChannels {
                    for oy in 0..<ho {
                        for ox in 0..<wo {
                            var acc = Double(bias[o])
                            for i in 0..<icg {
                                let ci = (o / ocg) * icg + i
                                for ky in 0..<k {
                                    let iy = oy * c.stride + ky * c.dilation - c.padding
                                    guard iy >= 0 && iy < x.h else { continue }
                                    for kx in 0..<k {
                                        let ix = ox * c.stride + kx * c.dilation - c.padding
                                        guard ix >= 0 && ix < x.w else { continue }
                                        acc += Double(x.v[(ci * x.h + iy) * x.w + ix]) * Double(wt[((o * icg + i) * k + ky) * k + kx])
                                    }
                                }
                            }
                            y.v[(o * ho + oy) * wo + ox] = Float(acc)
                        }
                    }
                }
            case .batchNorm:
                let p = ["weight", "bias", "running_mean", "running_var"].map { w.tensors["\(l.name).\($0)"]!.data }
                let eps = Double(w.epsilon(l.name))
                y = x
                let plane = x.h * x.w
                for i in y.v.indices {
                    let c = i / plane
                    y.v[i] = Float((Double(x.v[i]) - Double(p[2][c])) / (Double(p[3][c]) + eps).squareRoot() * Double(p[0][c]) + Double(p[1][c]))
                }
            case .activation(let a):
                y = x
                y.v = x.v.map { v in
                    let d = Double(v)
                    switch a {
                    case .relu: return Float(max(d, 0))
                    case .relu6: return Float(min(max(d, 0), 6))
                    case .sigmoid: return Float(1 / (1 + exp(-d)))
                    case .hardSigmoid: return Float(min(max(d / 6 + 0.5, 0), 1))
                    case .hardSwish: return Float(d * min(max(d + 3, 0), 6) / 6)
                    }
                }
            case .add:
                y = x
                for i in y.v.indices { y.v[i] = x.v[i] + ins[1].v[i] }
            case .mul:
                y = x
                let plane = x.h * x.w
                for i in y.v.indices { y.v[i] = x.v[i] * (ins[1].v.count == x.v.count ? ins[1].v[i] : ins[1].v[i / plane]) }
            case .globalAveragePool:
                let plane = x.h * x.w
                y = T(c: x.c, h: 1, w: 1, v: (0..<x.c).map { c in
                    Float((0..<plane).reduce(0.0) { $0 + Double(x.v[c * plane + $1]) } / Double(plane))
                })
            case .maxPool(let k, let s, let p), .averagePool(let k, let s, let p):
                let ho = (x.h + 2 * p - k) / s + 1, wo = (x.w + 2 * p - k) / s + 1
                var isMax = false
                if case .maxPool = l.op { isMax = true }
                y = T(c: x.c, h: ho, w: wo, v: [])
                for c in 0..<x.c {
                    for oy in 0..<ho {
                        for ox in 0..<wo {
                            var m = -Double.infinity, sum = 0.0, count = 0
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let iy = oy * s + ky - p, ix = ox * s + kx - p
                                    guard iy >= 0 && iy < x.h && ix >= 0 && ix < x.w else { continue }
                                    let v = Double(x.v[(c * x.h + iy) * x.w + ix])
                                    m = max(m, v); sum += v; count += 1
                                }
                            }
                            y.v.append(Float(isMax ? m : sum / Double(count)))
                        }
                    }
                }
            case .flatten:
                y = T(c: x.v.count, h: 1, w: 1, v: x.v)
            case .gemm(let n, let hasBias):
                let wt = weight(l, n)
                let bias = hasBias ? w.tensors["\(l.name).bias"]!.data : [Float](repeating: 0, count: n)
                y = T(c: n, h: 1, w: 1, v: (0..<n).map { o in
                    Float((0..<x.c).reduce(Double(bias[o])) { $0 + Double(wt[o * x.c + $1]) * Double(x.v[$1]) })
                })
            }
            t[l.name] = y
            previous = l.name
        }
        return t[previous]!.v
    }

    @Test(arguments: [BitWidth.float, .bits(4)])
    func tinyGraphMatchesNaiveEvaluation(bits: BitWidth) throws {
        let g = Self.tinyGraph(bits: bits)
        let size = 7
        let w = try Self.tinyWeights(g, size: size)
        let net = try GraphExecutor(network: g, inputSize: size, weights: w, options: EngineOptions(batchSize: 2))
        let images = [Reference.randomImage(channels: 2, size: size, seed: 3), Reference.randomImage(channels: 2, size: size, seed: 4)]
        let out = try net.run(images).images
        for (i, img) in images.enumerated() {
            let q = Self.naive(g, w, image: img.data, size: size, quantizeWeights: true)
            let f = Self.naive(g, w, image: img.data, size: size, quantizeWeights: false)
            #expect(q.count == 5 && out[i].logits.count == 5)
            #expect(maxRelativeError(out[i].logits, q) < 1e-5, "image \(i): \(out[i].logits) vs \(q)")
            let fid = try #require(out[i].fidelity)
            #expect(abs(fid.sqnrDB - Metrics.sqnr(reference: f, test: q)) < 0.01 || (fid.sqnrDB.isInfinite && bits == .float))
        }
        // The layers that could not be fused ran on their own; the others were absorbed.
        let stepNames = net.steps.filter { !$0.isReorder }.map(\.name)
        #expect(stepNames.contains("sum.relu") && !stepNames.contains("c0.bn") && !stepNames.contains("se.gate")
                && !stepNames.contains("bn2.act") && !stepNames.contains("fc1.act"))
        #expect(stepNames.contains("bn2"))
    }

    /// Batches of different sizes give the same outputs (gemm runs image by image).
    @Test func resultsDoNotDependOnTheBatch() throws {
        let g = Self.tinyGraph(bits: .bits(5), actBits: .bits(6))
        let w = try Self.tinyWeights(g, size: 7)
        let images = (0..<3).map { Reference.randomImage(channels: 2, size: 7, seed: UInt64(20 + $0)) }
        let one = try GraphExecutor(network: g, inputSize: 7, weights: w, options: EngineOptions(batchSize: 1))
        let three = try GraphExecutor(network: g, inputSize: 7, weights: w, options: EngineOptions(batchSize: 3))
        let all = try three.run(images).images
        for (i, img) in images.enumerated() {
            #expect(try one.run([img]).images[0].logits == all[i].logits)
        }
    }

    /// Activation quantization by hand: a 1×1 convolution of one input value x = 0.9 with weights
    /// (9, −9, 1, −1.1, 2.9, 0.2) gives the raw outputs 0.9·w; global average pooling of a 1×1 map passes them on.
    /// - linear, 3 bits: per-image symmetric range, s = max|x|/3 = 8.1/3 = 2.7 → (8.1, −8.1, 0, 0, 2.7, 0);
    /// - relu, 2 bits: per-image unsigned range, s = 8.1/3 = 2.7 → (8.1, 0, 0, 0, 2.7, 0);
    /// - relu6, 3 bits: the block form's fixed grid on [0, 6], step 6/7 → (6, 0, 6/7, 0, 18/7, 0)
    ///   (0.9·7/6 = 1.05 → 1, 2.61·7/6 = 3.045 → 3, 0.18·7/6 = 0.21 → 0).
    @Test func activationQuantizationByHand() throws {
        let m = Float(9) * Float(0.9), s = m / 3
        let cases: [(Activation?, Int, [Float])] = [
            (nil, 3, [m, -m, 0, 0, s, 0]),
            (.relu, 2, [m, 0, 0, 0, s, 0]),
            (.relu6, 3, [6, 0, 6.0 / 7, 0, 18.0 / 7, 0]),
        ]
        for (activation, bits, expected) in cases {
            var layers = [GraphLayer("c", .conv(ConvAttributes(outChannels: 6, kernel: 1)), bits: .float, actBits: .bits(bits))]
            if let activation { layers.append(GraphLayer("a", .activation(activation), actBits: .bits(bits))) }
            layers.append(GraphLayer("p", .globalAveragePool, actBits: nil))
            let g = GraphNetwork(name: "grid", inputChannels: 3, layers: layers, blocks: [])
            var w = try GraphWeights.seeded(1, network: g, inputSize: 1)
            w.tensors["c.weight"] = Tensor(shape: [6, 3, 1, 1], data: [9, 0, 0, -9, 0, 0, 1, 0, 0, -1.1, 0, 0, 2.9, 0, 0, 0.2, 0, 0])
            let net = try GraphExecutor(network: g, inputSize: 1, weights: w)
            let out = try net.run([Tensor(shape: [3, 1, 1], data: [0.9, 0, 0])]).images[0]
            #expect(maxRelativeError(out.logits, expected) < 1e-6, "\(activation.map(\.rawValue) ?? "linear"): \(out.logits)")
            #expect(out.fidelity?.sqnrDB.isFinite == true)
        }
    }

    /// Per-image quantization of values without a fixed range, by hand: max |x| = 3 gives s = 1 at 3 signed bits
    /// (M = 3) and at 2 unsigned bits (L = 3), so the codes are x itself rounded half to even; nine values cover
    /// the eight-wide loop and its tail.
    @Test func dynamicQuantizationRoundsHalfToEven() {
        let signed = DynamicQuantization(bits: .bits(3), unsigned: false)!
        #expect(signed.quantize([3, 1.5, 0.5, -0.5, -2.5, 2.5, -3, 0.25, 1]) == [3, 2, 0, 0, -2, 2, -3, 0, 1])
        let unsigned = DynamicQuantization(bits: .bits(2), unsigned: true)!
        #expect(unsigned.quantize([3, 1.5, 0.5, 2.5, 0, 1.4, 0.6, 2, 2.9]) == [3, 2, 0, 2, 0, 1, 1, 2, 3])
        // s = 6/3 = 2: 5 → 2.5 → 2 → 4; −1 → −0.5 → −0 → 0; an all-zero tensor stays zero; float is no quantization.
        #expect(signed.quantize([6, 5, -1, 0, 0, 0, 0, 0, 0, 0.9]) == [6, 4, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(signed.quantize([0, 0, 0]) == [0, 0, 0])
        #expect(DynamicQuantization(bits: .float, unsigned: false) == nil)
    }

    // MARK: mobilenet-v2

    @Test func mobileNetV2RunsWithTheShapesOfItsAccounting() throws {
        let g = try MobileNetV2.network(MobileNetV2.Options(width: 0.35, bits: .uniform(.bits(6)), actBits: .uniform(.bits(8)),
                                                           classes: 10))
        let size = 32
        let cost = try g.cost(inputSize: size)
        let net = try GraphExecutor(network: g, inputSize: size, seed: 4, options: EngineOptions(batchSize: 2))
        for l in cost.layers where l.kind != .linear {
            let s = l.outputShape
            #expect(net.builtDimensions(l.name) == [2, s.channels, s.height, s.width], "\(l.name)")
        }
        for o in cost.operations where o.op != "flatten" {
            let s = o.outputShape
            #expect(net.builtDimensions(o.name) == [2, s.channels, s.height, s.width], "\(o.name)")
        }
        #expect(net.builtDimensions("classifier.1") == [2, 10, 1, 1])
        let out = try net.run([Reference.randomImage(channels: 3, size: size, seed: 1)]).images[0]
        #expect(out.logits.count == 10)
        let fid = try #require(out.fidelity)
        #expect(fid.blockSQNR.count == MobileNetV2.blockCount)
        #expect(fid.blockSQNR.allSatisfy { $0.isFinite && $0 > 0 }, "\(fid.blockSQNR)")
        #expect(fid.sqnrDB.isFinite && fid.sqnrDB > 0)
        // Every residual add ran as its own step, every batch norm was folded.
        let names = net.steps.map(\.name)
        #expect(names.filter { $0.hasSuffix(".add") }.count == cost.operations.filter { $0.op == "add" }.count)
        #expect(!names.contains { n in g.layers.contains { $0.name == n && $0.op == .batchNorm } })
    }

    /// The build holds the whole graph's weights (`GraphWeights`) while it places them: the estimate's build
    /// part covers at least every convolution and gemm weight tensor the seeded weights really hold (it once
    /// counted only the largest layer, and the measured peak of mobilenet-v2 at 224 exceeded the estimate).
    @Test func memoryEstimateCoversTheWeightsTheBuildHolds() throws {
        let g = try MobileNetV2.network(MobileNetV2.Options(width: 0.35, classes: 10))
        let size = 32
        let weights = try GraphWeights.seeded(4, network: g, inputSize: size, initialization: .heNormal)
        let held = g.layers.filter(\.op.hasWeights).map { weights.tensors["\($0.name).weight"]!.data.count * 4 }.reduce(0, +)
        let estimate = MemoryEstimate(graph: try g.cost(inputSize: size), batch: 1, twin: false)
        #expect(estimate.transientBytes >= held, "build part \(estimate.transientBytes) B, weights held \(held) B")
    }

    // MARK: Weights

    @Test func weightsAreCheckedAgainstTheGraph() throws {
        let g = Self.tinyGraph()
        let good = try GraphWeights.seeded(0, network: g, inputSize: 7)
        try good.validate(for: g, inputSize: 7)
        var missing = good
        missing.tensors["c0.bn.running_var"] = nil
        #expect(throws: EngineError("seed 0 (he-normal): missing tensor 'c0.bn.running_var' (expected shape 4)")) {
            try missing.validate(for: g, inputSize: 7)
        }
        var wrong = good
        wrong.tensors["c1.weight"] = Tensor(zeros: [4, 2, 3, 3])
        #expect(throws: EngineError("seed 0 (he-normal): tensor 'c1.weight' has shape 4×2×3×3; expected 4×1×3×3")) {
            try wrong.validate(for: g, inputSize: 7)
        }
        var extra = good
        extra.tensors["fc2.bias"] = Tensor(zeros: [5])
        #expect(throws: EngineError("seed 0 (he-normal): unexpected tensor 'fc2.bias': tiny has no parameter of that name")) {
            try extra.validate(for: g, inputSize: 7)
        }
        // The gemm after flatten reads C·H·W features: 4×3×3 at size 7.
        #expect(try GraphWeights.expectedShapes(g, inputSize: 7).first { $0.name == "fc1.weight" }?.shape == [5, 36])
        #expect(throws: EngineError.self) {
            try GraphExecutor(network: g, inputSize: 7, weights: wrong)
        }
    }

    @Test func seededWeightsFollowTheBlockFormsScheme() throws {
        let spec = NetworkTests.oddSpec()
        let block = NetworkWeights.seeded(6, spec: spec)
        let graph = try GraphWeights.seeded(6, network: try spec.graph(), inputSize: 13)
        // Same stream names, same rule: identical tensors.
        for name in ["classifier.weight", "classifier.bias", "stem.bn.weight", "stem.bn.running_var"] {
            #expect(graph.tensors[name] == block.tensors[name], "\(name)")
        }
        // He-normal: std √(2/fan_in); fan_in = 1·3·3 for the 5-channel depthwise layer of block 1 (variance 2/9).
        let a = try GraphWeights.seeded(6, network: try spec.graph(), inputSize: 13)
        #expect(a.tensors.mapValues(\.data) == graph.tensors.mapValues(\.data))
        let big = GraphNetwork(name: "big", inputChannels: 64, layers: [
            GraphLayer("c", .conv(ConvAttributes(outChannels: 256, kernel: 3, groups: 4)), bits: .float),
        ], blocks: [])
        let v = try GraphWeights.seeded(1, network: big, inputSize: 3).tensors["c.weight"]!.data
        let variance = v.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(v.count)
        #expect(abs(variance - 2.0 / Double(16 * 9)) < 0.05 * 2.0 / Double(16 * 9))
    }

    /// At w8a8 only fc1 can run int8: it reads the flatten of bn2's sigmoid output, quantized on the fixed [0, 6]
    /// grid (flatten passes the grid on). The convolutions read the image or a pooled mean, fc2 reads a pooled
    /// mean; `integer` and `auto` run fc1 on int8, within the bias rounding of the simulated run. With float
    /// activations nothing can: `integer` is refused, `auto` runs float.
    @Test func integerKernelsRunTheGemmOnAQuantizedInputOnly() throws {
        let g = Self.tinyGraph(bits: .bits(8), actBits: .bits(8))
        let w = try Self.tinyWeights(g, size: 7)
        let images = (0..<2).map { Reference.randomImage(channels: 2, size: 7, seed: UInt64(40 + $0)) }
        for kernels in [Kernels.integer, .auto] {
            let net = try GraphExecutor(network: g, inputSize: 7, weights: w, options: EngineOptions(batchSize: 2, kernels: kernels))
            #expect(net.layerKernels.filter { $0.kernel == .int8 }.map(\.layer) == ["fc1"])
            let reasons = Dictionary(uniqueKeysWithValues: net.kernelFallbacks.map { ($0.layer, $0.reason) })
            #expect(reasons["fc2"] == "input is the float mean of gap2 (an average of codes is not on their grid)")
            #expect(reasons["c0"] == "reads the float input image" && reasons["se"] == "input activations are float")
            for image in try net.run(images).images {
                let s = try #require(image.simulatedSQNR)
                #expect(s >= 30, "\(s) dB")
            }
        }
        let floatActs = Self.tinyGraph(bits: .bits(8), actBits: .float)
        #expect(throws: EngineError.self) {
            try GraphExecutor(network: floatActs, inputSize: 7, seed: 0, options: EngineOptions(kernels: .integer))
        }
        let net = try GraphExecutor(network: floatActs, inputSize: 7, seed: 0, options: EngineOptions(kernels: .auto))
        #expect(!net.runsInteger)
    }
}
