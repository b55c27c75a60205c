import BitOpsCore
import Engine
import Foundation
import ONNXExport
import ONNXImport
import ONNXProto
import SwiftProtobuf
import Testing

/// Graph networks exported with calibrated activation ranges (`export --calibrate` of a graph): every quantized step
/// output on its static grid — `Clip(0, R)` (a ReLU6 on R, or a clip after values that are never negative) or
/// `Clip(−R, R)` (values of either sign), then QDQ of scale R/L — and read back as the same network carrying those
/// ranges (`GraphLayer.activationRange`), which the engine runs as `--calibrate` runs the original. ONNX Runtime's
/// logits on such models are compared with `infer --calibrate` by Tests/Python/check_calibrated_export.py.
@Suite struct GraphCalibratedExportTests {
    // MARK: A graph small enough to follow by hand (the one of EngineTests' GraphCalibrationTests)

    /// One channel, 2×2 images:
    ///
    ///     a: 1×1 convolution, weight 2, bias −1, then ReLU6      (values in [0, 6]: grid [0, R])
    ///     b: 1×1 convolution, weight −1.5, bias 0.5, linear      (either sign: grid [−R, R])
    ///
    ///     image     x                      a = relu6(2x − 1)        |b| = |0.5 − 1.5·a|
    ///     1         0.1 0.4 0.9 3.0        0   0   0.8 5            0.5 0.5 0.7 7
    ///     2         0   0   0   0          0   0   0   0            0.5 0.5 0.5 0.5
    ///     3         1   1   1   1          1   1   1   1            1   1   1   1
    ///
    /// minmax: R_a = 5 (a's largest value), R_b = 7 (|b|'s largest).
    static let hand = GraphNetwork(name: "hand", inputChannels: 1, layers: [
        GraphLayer("a", .conv(ConvAttributes(outChannels: 1, kernel: 1, bias: true)), bits: .bits(8), actBits: .bits(8)),
        GraphLayer("a.act", .activation(.relu6), bits: .float, actBits: .bits(8)),
        GraphLayer("b", .conv(ConvAttributes(outChannels: 1, kernel: 1, bias: true)), bits: .bits(8), actBits: .bits(8)),
    ], blocks: [])
    static let handWeights = GraphWeights(tensors: [
        "a.weight": Tensor(shape: [1, 1, 1, 1], data: [2]), "a.bias": Tensor(shape: [1], data: [-1]),
        "b.weight": Tensor(shape: [1, 1, 1, 1], data: [-1.5]), "b.bias": Tensor(shape: [1], data: [0.5]),
    ], origin: "hand")
    static let handImages = [[0.1, 0.4, 0.9, 3.0], [0, 0, 0, 0], [1, 1, 1, 1]].map { Tensor(shape: [1, 2, 2], data: $0 as [Float]) }

    static func scalar(_ m: Onnx_ModelProto, _ name: String) throws -> Float {
        let t = try #require(m.graph.initializer.first { $0.name == name }, "\(name)")
        #expect(t.dims.isEmpty && t.rawData.count == 4, "\(name)")
        return t.rawData.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
    }

    static func node(_ m: Onnx_ModelProto, _ name: String) throws -> Onnx_NodeProto {
        try #require(m.graph.node.first { $0.name == name }, "\(name)")
    }

    static func logits(_ net: GraphExecutor, _ images: [Tensor]) throws -> [[Float]] {
        try net.run(images).images.map(\.logits)
    }

    /// The hand graph at minmax: a's ReLU6 is written as Clip(0, 5) with the uint8 QDQ of scale 5/255, b's linear
    /// output as Clip(−7, 7) with the int8 QDQ of scale 7/127 (the engine's signed grid, L = 2^7 − 1). Read back, the
    /// network carries R = 5 and 7 on a's ReLU6 and on b, and gives the hand-derived outputs of image 1 on those
    /// grids: b = 0.5, 0.5, −0.70588, −7 → codes 9, 9, −13, −127 (· 7/127) — and the calibrated run's logits.
    @Test(arguments: [Kernels.float, .integer])
    func theHandGraphIsWrittenOnItsHandDerivedGrids(kernels: Kernels) throws {
        let ranges = try GraphExecutor.calibratedRanges(network: Self.hand, inputSize: 2, weights: Self.handWeights,
                                                        images: Self.handImages, method: .minmax,
                                                        options: EngineOptions(threads: 1, batchSize: 2))
        let e = try ONNXExport(graph: Self.hand, inputSize: 2, weights: Self.handWeights, granularity: .perTensor, source: "hand",
                               calibration: .minmax, activationRanges: ranges)
        let m = e.model
        // a's ReLU6 is the Clip to the calibrated range; its QDQ is on [0, 5].
        #expect(try Self.node(m, "a.act").input == ["a", "relu6.min", "a.act.clip_max"])
        #expect(try Self.scalar(m, "a.act.clip_max") == 5)
        #expect(try Self.scalar(m, "a.act.output_scale") == Float(5) / 255)
        // b's linear output: Clip(−7, 7), then QuantizeLinear with an int8 zero point 0 and scale 7/127.
        let clip = try Self.node(m, "b/calibration/Clip")
        #expect(clip.opType == "Clip" && clip.input == ["b", "b.clip_min", "b.clip_max"])
        #expect(try Self.scalar(m, "b.clip_min") == -7 && (try Self.scalar(m, "b.clip_max")) == 7)
        #expect(try Self.node(m, "b/QuantizeLinear").input == ["b.clipped", "b.output_scale", "b.output_zero_point"])
        #expect(try Self.scalar(m, "b.output_scale") == Float(7) / 127)
        let zero = try #require(m.graph.initializer.first { $0.name == "b.output_zero_point" })
        #expect(zero.dataType == Int32(Onnx_TensorProto.DataType.int8.rawValue) && zero.rawData == Data([0]))
        // No per-image quantization is left: every quantized output has its static grid.
        #expect(!m.graph.node.contains { $0.name.contains("dynamic_quant") })
        let meta = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        #expect(meta["bitsweep.calibrate"] == "minmax")
        #expect(meta["bitsweep.activation_ranges"] == "a.act 5.0, b 7.0")
        #expect(e.layers.map(\.activations) == ["float", "uint8 QDQ, 8-bit, [0, 5.0]", "int8 QDQ, 8-bit, [−7.0, 7.0]"])

        let back = try ONNXImport.read(try e.serializedData(), origin: "hand.onnx", name: "hand")
        #expect(back.network.layers.map(\.name) == Self.hand.layers.map(\.name))
        #expect(back.network.layers.map(\.op) == Self.hand.layers.map(\.op))
        #expect(back.network.layers.map(\.actBits) == Self.hand.layers.map(\.actBits))
        #expect(back.network.layers.map(\.activationRange) == [nil, 5, 7])

        let original = try GraphExecutor(network: Self.hand, inputSize: 2, weights: Self.handWeights,
                                         options: EngineOptions(batchSize: 3, kernels: kernels, calibration: .minmax, activationRanges: ranges))
        let again = try GraphExecutor(network: back.network, inputSize: 2, weights: back.weights,
                                      options: EngineOptions(batchSize: 3, kernels: kernels))
        // The same kernels on both (b on int8 with --kernels integer: its input has a static grid either way).
        #expect(again.layerKernels.map(\.kernel) == original.layerKernels.map(\.kernel))
        let step: Float = 7 / 127
        let expected: [Float] = [9 * step, 9 * step, -13 * step, -127 * step]
        let out = try Self.logits(again, [Self.handImages[0]])[0]
        for (x, y) in zip(out, expected) { #expect(abs(x - y) < 1e-5, "\(out) vs \(expected)") }
        #expect(try Self.logits(again, Self.handImages) == (try Self.logits(original, Self.handImages)))
        // Without the carried ranges b would be quantized per image (7 is also its own largest value on image 1, so
        // compare image 3, whose b = −1: per image it stays −1, on the [−7, 7] grid it is −18·7/127).
        let fixed = try GraphExecutor(network: Self.hand, inputSize: 2, weights: Self.handWeights, options: EngineOptions(batchSize: 3, kernels: kernels))
        #expect(try Self.logits(fixed, [Self.handImages[2]])[0] != (try Self.logits(again, [Self.handImages[2]])[0]))
        #expect(try Self.logits(again, [Self.handImages[2]])[0].allSatisfy { abs($0 + 18 * step) < 1e-6 })
    }

    // MARK: Every kind of step

    /// Two input channels, 3×3 images; steps (named by their first layer, as the engine keys calibrated ranges):
    ///
    ///     p: conv 1×1 2→3 → ReLU          values ≥ 0:            Clip(0, R), uint8 QDQ R/255
    ///     q: conv 1×1 3→3 → batch norm    either sign (4 bits):   Clip(−R, R), int8 QDQ R/7
    ///     s: add(p, q)                    either sign:            Clip(−R, R), int8 QDQ R/127
    ///     t: conv 1×1 3→3 → Sigmoid       in [0, 1] ⊂ [0, 6]:    Clip(0, R), uint8 QDQ R/255
    ///     pool, fc (float)
    static let steps = GraphNetwork(name: "steps", inputChannels: 2, layers: [
        GraphLayer("p", .conv(ConvAttributes(outChannels: 3, kernel: 1, bias: true)), bits: .bits(8), actBits: .bits(8)),
        GraphLayer("p.relu", .activation(.relu), actBits: .bits(8)),
        GraphLayer("q", .conv(ConvAttributes(outChannels: 3, kernel: 1, bias: true)), bits: .bits(6), actBits: .bits(4)),
        GraphLayer("q.bn", .batchNorm, actBits: .bits(4)),
        GraphLayer("s", .add, inputs: ["p.relu", "q.bn"], actBits: .bits(8)),
        GraphLayer("t", .conv(ConvAttributes(outChannels: 3, kernel: 1, bias: true)), bits: .float, actBits: .bits(8)),
        GraphLayer("t.sigmoid", .activation(.sigmoid), actBits: .bits(8)),
        GraphLayer("pool", .globalAveragePool, actBits: nil),
        GraphLayer("fc", .gemm(outFeatures: 2, bias: true), bits: .float),
    ], blocks: [])

    static func images(_ n: Int) -> [Tensor] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<n).map { _ in
            Tensor(shape: [2, 3, 3], data: (0..<18).map { _ in
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return Float(state >> 40) / Float(1 << 24)
            })
        }
    }

    /// The float network's step outputs by plain arithmetic (no oneDNN): per step, every value of every image (the
    /// magnitudes where values have either sign).
    static func naiveStepValues(_ w: GraphWeights, _ images: [Tensor]) throws -> [String: [Float]] {
        func t(_ name: String) throws -> [Float] { try #require(w.tensors[name], "\(name)").data }
        func conv(_ name: String, _ x: [[Float]]) throws -> [[Float]] {
            let wt = try t("\(name).weight"), b = try t("\(name).bias")
            let out = b.count, inputs = x.count
            return (0..<out).map { o in (0..<x[0].count).map { px in
                var acc: Float = b[o]
                for i in 0..<inputs { acc += wt[o * inputs + i] * x[i][px] }
                return acc
            } }
        }
        var values: [String: [Float]] = [:]
        for img in images {
            let x = (0..<2).map { c in Array(img.data[(c * 9)..<(c * 9 + 9)]) }
            let p = try conv("p", x).map { $0.map { max($0, 0) } }
            let g = try t("q.bn.weight"), beta = try t("q.bn.bias"), mu = try t("q.bn.running_mean"), v = try t("q.bn.running_var")
            let eps = w.epsilon("q.bn")
            let q = try conv("q", p).enumerated().map { o, row in row.map { (($0 - mu[o]) / (v[o] + eps).squareRoot()) * g[o] + beta[o] } }
            let s = zip(p, q).map { zip($0, $1).map { $0 + $1 } }
            let tt = try conv("t", s).map { $0.map { 1 / (1 + exp(-$0)) } }
            values["p", default: []] += p.joined()
            values["q", default: []] += q.joined().map(abs)
            values["s", default: []] += s.joined().map(abs)
            values["t", default: []] += tt.joined()
        }
        return values
    }

    /// Written ranges against the plain-arithmetic float network (minmax: the largest value; percentile:90: the
    /// nearest-rank value of the sorted values), each quantized step output in the form its sign asks for, read back
    /// as the same network with those ranges, which runs as the calibrated original runs (the same logits).
    @Test(arguments: [Calibration.minmax, .percentile(90)])
    func everyKindOfStepIsWrittenOnItsMeasuredGridAndReadsBack(method: Calibration) throws {
        let g = Self.steps
        let w = try GraphWeights.seeded(3, network: g, inputSize: 3)
        let images = Self.images(4)
        let ranges = try GraphExecutor.calibratedRanges(network: g, inputSize: 3, weights: w, images: images, method: method,
                                                        options: EngineOptions(threads: 1, batchSize: 4))
        let e = try ONNXExport(graph: g, inputSize: 3, weights: w, granularity: .perTensor, source: "seed 3",
                               calibration: method, activationRanges: ranges)
        let m = e.model
        // Independently: the plain-arithmetic values of each step, sorted.
        let naive = try Self.naiveStepValues(w, images).mapValues { $0.sorted() }
        func expected(_ step: String) -> Float {
            let v = naive[step]!
            switch method {
            case .percentile(let p): return v[Calibration.rank(percentile: p, count: v.count)]
            default: return v.last!
            }
        }
        // (step's first layer, its last layer whose output is quantized, signed, bits)
        for (step, last, signed, bits) in [("p", "p.relu", false, 8), ("q", "q.bn", true, 4), ("s", "s", true, 8), ("t", "t.sigmoid", false, 8)] {
            let r = try Self.scalar(m, "\(last).clip_max")
            #expect(abs(r - expected(step)) <= 1e-5 * max(1, expected(step)), "\(step): written \(r), plain arithmetic \(expected(step))")
            let clip = try Self.node(m, "\(last)/calibration/Clip")
            #expect(clip.input == [last, signed ? "\(last).clip_min" : "relu6.min", "\(last).clip_max"])
            if signed { #expect(try Self.scalar(m, "\(last).clip_min") == -r) }
            let levels = Float(signed ? (1 << (bits - 1)) - 1 : (1 << bits) - 1)
            #expect(try Self.scalar(m, "\(last).output_scale") == r / levels, "\(last)")
            let zero = try #require(m.graph.initializer.first { $0.name == "\(last).output_zero_point" })
            #expect(zero.dataType == Int32((signed ? Onnx_TensorProto.DataType.int8 : .uint8).rawValue))
        }
        #expect(!m.graph.node.contains { $0.name.contains("dynamic_quant") })
        // Counted independently of the export's summary: four clips, one per quantized step.
        #expect(m.graph.initializer.filter { $0.name.hasSuffix(".clip_max") }.count == 4)

        let back = try ONNXImport.read(try e.serializedData(), origin: "steps.onnx", name: "steps")
        #expect(back.network.layers.map(\.name) == g.layers.map(\.name))
        #expect(back.network.layers.map(\.op) == g.layers.map(\.op))
        #expect(back.network.layers.map(\.actBits) == g.layers.map(\.actBits))
        let carried = Dictionary(uniqueKeysWithValues: back.network.layers.compactMap { l in l.activationRange.map { (l.name, $0) } })
        #expect(carried == ["p.relu": ranges["p"]!, "q.bn": ranges["q"]!, "s": ranges["s"]!, "t.sigmoid": ranges["t"]!])

        for kernels in [Kernels.float, .auto] {
            let original = try GraphExecutor(network: g, inputSize: 3, weights: w,
                                             options: EngineOptions(batchSize: 4, kernels: kernels, calibration: method, activationRanges: ranges))
            let again = try GraphExecutor(network: back.network, inputSize: 3, weights: back.weights,
                                          options: EngineOptions(batchSize: 4, kernels: kernels))
            #expect(again.layerKernels.map(\.kernel) == original.layerKernels.map(\.kernel), "\(kernels)")
            let a = try Self.logits(original, images).joined(), b = try Self.logits(again, images).joined()
            let largest = a.map(abs).max() ?? 0
            let worst = zip(a, b).map { abs($0 - $1) }.max() ?? .infinity
            #expect(largest > 0 && worst == 0, "\(kernels): max |difference| \(worst) of logits up to \(largest)")
        }
        // Written again from the read-back network (its carried ranges), the model is the same graph.
        let twice = try ONNXExport(graph: back.network, inputSize: 3, weights: back.weights, granularity: .perTensor, source: "back")
        #expect(twice.model.graph.node.map(\.name) == m.graph.node.map(\.name))
        for name in ["p.relu.clip_max", "q.bn.clip_max", "q.bn.clip_min", "s.clip_max", "t.sigmoid.clip_max", "q.bn.output_scale"] {
            #expect(try Self.scalar(twice.model, name) == (try Self.scalar(m, name)), "\(name)")
        }
    }

    /// A clip of a calibrated grid whose QDQ scale is off its grid, or whose signed grid has an unsigned zero point,
    /// is refused in one line naming the node.
    @Test func aCalibratedGridOffItsClipIsRefused() throws {
        let ranges: [String: Float] = ["a": 5, "b": 7]
        let e = try ONNXExport(graph: Self.hand, inputSize: 2, weights: Self.handWeights, granularity: .perTensor, source: "hand",
                               calibration: .minmax, activationRanges: ranges)
        var m = e.model
        let i = try #require(m.graph.initializer.firstIndex { $0.name == "b.output_scale" })
        withUnsafeBytes(of: (Float(7) / 255).bitPattern.littleEndian) { m.graph.initializer[i].rawData = Data($0) }
        #expect(throws: ONNXImportError("hand.onnx: node 'b/DequantizeLinear' (DequantizeLinear): scale \(Float(7) / 255) is not on the grid R/(2^(a−1) − 1), a = 2…8, of the Clip(-7.0, R = 7.0) before it; supported: \(Self.calibratedGridText)")) {
            try ONNXImport.read(try m.serializedData(), origin: "hand.onnx", name: "hand")
        }
        var u = e.model
        let z = try #require(u.graph.initializer.firstIndex { $0.name == "b.output_zero_point" })
        u.graph.initializer[z].dataType = Int32(Onnx_TensorProto.DataType.uint8.rawValue)
        #expect(throws: ONNXImportError("hand.onnx: node 'b/QuantizeLinear' (QuantizeLinear): zero point must be one int8 or int16 value; supported: the calibrated grid [−R, R] after Clip(−R, R)")) {
            try ONNXImport.read(try u.serializedData(), origin: "hand.onnx", name: "hand")
        }
    }

    static let calibratedGridText = "Clip(0, R) after values that are never negative (ReLU, Sigmoid, HardSigmoid, pooling of those, a sum of those) or Clip(−R, R) after values of either sign, read only by QuantizeLinear → DequantizeLinear of scale R/(2^a − 1) (uint8/uint16) or R/(2^(a−1) − 1) (int8/int16), zero point 0: a calibrated static grid as bitsweep export --calibrate writes it (a Clip(0, R ≤ 6) named NAME/calibration/Clip, else it is a ReLU6 layer)"
}

// MARK: Wide and 1-bit signed grids; a model's own Clip before a QDQ

extension GraphCalibratedExportTests {
    /// The hand graph carrying R = 5 on a's ReLU6 and R = 7 on b, with b's output at `bits`.
    static func hand(bBits: Int) -> GraphNetwork {
        var g = hand
        g.layers[1].activationRange = 5
        g.layers[2].activationRange = 7
        g.layers[2].actBits = .bits(bBits)
        return g
    }

    /// Above 8 bits the signed grid is stored as int16 (opset 21, where QuantizeLinear takes 16-bit types): b at 12
    /// bits is Clip(−7, 7), then int16 QDQ of scale 7/2047 (L = 2^11 − 1), read back as 12 bits on R = 7.
    @Test func aTwelveBitSignedGridIsInt16AtOpset21AndReadsBack() throws {
        let g = Self.hand(bBits: 12)
        let e = try ONNXExport(graph: g, inputSize: 2, weights: Self.handWeights, granularity: .perTensor, source: "hand")
        let m = e.model
        #expect(m.opsetImport.map(\.version) == [21])
        #expect(try Self.scalar(m, "b.clip_min") == -7 && (try Self.scalar(m, "b.clip_max")) == 7)
        #expect(try Self.scalar(m, "b.output_scale") == Float(7) / 2047)
        let zero = try #require(m.graph.initializer.first { $0.name == "b.output_zero_point" })
        #expect(zero.dataType == Int32(Onnx_TensorProto.DataType.int16.rawValue) && zero.rawData == Data([0, 0]))
        // a stays uint8 on [0, 5].
        let aZero = try #require(m.graph.initializer.first { $0.name == "a.act.output_zero_point" })
        #expect(aZero.dataType == Int32(Onnx_TensorProto.DataType.uint8.rawValue))
        let back = try ONNXImport.read(try e.serializedData(), origin: "wide.onnx", name: "hand")
        #expect(back.opset == 21)
        #expect(back.network.layers.map(\.actBits) == [.bits(8), .bits(8), .bits(12)])
        #expect(back.network.layers.map(\.activationRange) == [nil, 5, 7])
    }

    /// A signed grid of 1 bit has L = max(1, 2^0 − 1) = 1, the same grid {−R, 0, R} as 2 bits: written as int8 QDQ of
    /// scale R, it reads back as 2 bits (README: "1 and 2 signed bits are the same grid").
    @Test func aOneBitSignedGridReadsBackAsTwoBits() throws {
        let e = try ONNXExport(graph: Self.hand(bBits: 1), inputSize: 2, weights: Self.handWeights, granularity: .perTensor, source: "hand")
        #expect(try Self.scalar(e.model, "b.output_scale") == 7)
        let back = try ONNXImport.read(try e.serializedData(), origin: "one.onnx", name: "hand")
        #expect(back.network.layers.map(\.actBits) == [.bits(8), .bits(8), .bits(2)])
        #expect(back.network.layers.map(\.activationRange) == [nil, 5, 7])
        // And the two run alike: the same grid.
        let one = try GraphExecutor(network: Self.hand(bBits: 1), inputSize: 2, weights: Self.handWeights, options: EngineOptions(batchSize: 3))
        let two = try GraphExecutor(network: back.network, inputSize: 2, weights: back.weights, options: EngineOptions(batchSize: 3))
        #expect(try Self.logits(one, Self.handImages) == (try Self.logits(two, Self.handImages)))
    }

    /// The export's static clip after values that are never negative (`p.relu/calibration/Clip`, Clip(0, R)) reads back
    /// as p.relu's range with no layer of its own; the same Clip under a model's own name is what it always was, a
    /// ReLU6 layer (on the calibrated range R < 6 before the QDQ of scale R/255; the plain ReLU6 at R = 6) — so a
    /// model's layer list does not depend on whether its ReLU6 happens to sit before a QDQ.
    @Test func aModelsOwnClipBeforeAQDQStaysAReLU6Layer() throws {
        let g = Self.steps
        let w = try GraphWeights.seeded(3, network: g, inputSize: 3)
        let ranges = try GraphExecutor.calibratedRanges(network: g, inputSize: 3, weights: w, images: Self.images(4), method: .minmax,
                                                        options: EngineOptions(threads: 1, batchSize: 4))
        let m = try ONNXExport(graph: g, inputSize: 3, weights: w, granularity: .perTensor, source: "seed 3",
                               calibration: .minmax, activationRanges: ranges).model
        let r = try Self.scalar(m, "p.relu.clip_max")
        #expect(r > 0 && r < 6)
        let exact = try ONNXImport.read(try m.serializedData(), origin: "steps.onnx", name: "steps")
        #expect(exact.network.layers.map(\.name) == g.layers.map(\.name))
        #expect(exact.network.layers.first { $0.name == "p.relu" }?.activationRange == r)

        func renamed(max: Float?) throws -> ImportedModel {
            var u = m
            let i = try #require(u.graph.node.firstIndex { $0.name == "p.relu/calibration/Clip" })
            u.graph.node[i].name = "user/Clip"
            if let max {
                for (name, v) in [("p.relu.clip_max", max), ("p.relu.output_scale", max / 255)] {
                    let k = try #require(u.graph.initializer.firstIndex { $0.name == name })
                    withUnsafeBytes(of: v.bitPattern.littleEndian) { u.graph.initializer[k].rawData = Data($0) }
                }
            }
            return try ONNXImport.read(try u.serializedData(), origin: "user.onnx", name: "steps")
        }
        // Clip(0, R < 6) under the model's own name: a ReLU6 on the calibrated range R after p.relu.
        let calibrated = try renamed(max: nil)
        let names = g.layers.map(\.name)
        #expect(calibrated.network.layers.count == names.count + 1)
        let added = try #require(calibrated.network.layers.firstIndex { !names.contains($0.name) })
        #expect(calibrated.network.layers[added - 1].name == "p.relu" && calibrated.network.layers[added].op == .activation(.relu6))
        #expect(calibrated.network.layers[added].activationRange == r && calibrated.network.layers[added - 1].activationRange == nil)
        // Clip(0, 6) with the fixed grid's scale 6/255: the plain ReLU6 layer on the fixed grid.
        let six = try renamed(max: 6)
        #expect(six.network.layers.count == names.count + 1)
        #expect(six.network.layers[added].op == .activation(.relu6) && six.network.layers[added].activationRange == nil)
        #expect(six.network.layers[added].actBits == .bits(8))
    }

    /// A Clip with a negative lower bound before a QDQ that is not Clip(−R, R) of signed values is refused with what a
    /// calibrated signed grid needs, not with the activation clips.
    @Test func anAsymmetricSignedClipBeforeAQDQSaysWhatTheGridNeeds() throws {
        let e = try ONNXExport(graph: Self.hand(bBits: 8), inputSize: 2, weights: Self.handWeights, granularity: .perTensor, source: "hand")
        var m = e.model
        let k = try #require(m.graph.initializer.firstIndex { $0.name == "b.clip_min" })
        withUnsafeBytes(of: Float(-2).bitPattern.littleEndian) { m.graph.initializer[k].rawData = Data($0) }
        do {
            _ = try ONNXImport.read(try m.serializedData(), origin: "asym.onnx", name: "hand")
            Issue.record("Clip(−2, 7) before a QDQ was imported")
        } catch let error as ONNXImportError {
            let text = "\(error)"
            #expect(text.hasPrefix("asym.onnx: node 'b/calibration/Clip' (Clip): range -2.0…7.0 before a QuantizeLinear; supported: Clip(0, R) after values that are never negative"), "\(text)")
            #expect(text.contains("Clip(−R, R) after values of either sign"), "\(text)")
            #expect(!text.contains("ReLU6)"), "\(text)")
        }
    }

    /// A Sigmoid step carrying R ≥ 6 (its values lie in [0, 1]: a range a network carries, not one calibration
    /// measures) is written as Clip(0, R) named as the export names it, and reads back with the same R.
    @Test func aSigmoidStepOnARangeAboveSixReadsBack() throws {
        var g = GraphNetwork(name: "sig", inputChannels: 1, layers: [
            GraphLayer("a", .conv(ConvAttributes(outChannels: 1, kernel: 1, bias: true)), bits: .bits(8), actBits: .bits(8)),
            GraphLayer("a.sigmoid", .activation(.sigmoid), actBits: .bits(8)),
        ], blocks: [])
        g.layers[1].activationRange = 7
        let w = GraphWeights(tensors: Self.handWeights.tensors.filter { $0.key.hasPrefix("a.") }, origin: "hand")
        let e = try ONNXExport(graph: g, inputSize: 2, weights: w, granularity: .perTensor, source: "hand")
        #expect(try Self.node(e.model, "a.sigmoid/calibration/Clip").opType == "Clip")
        #expect(try Self.scalar(e.model, "a.sigmoid.output_scale") == Float(7) / 255)
        let back = try ONNXImport.read(try e.serializedData(), origin: "sig.onnx", name: "sig")
        #expect(back.network.layers.map(\.name) == ["a", "a.sigmoid"])
        #expect(back.network.layers.map(\.activationRange) == [nil, 7])
    }
}
