import BitOpsCore
import Engine
import Foundation
import ONNXExport
import ONNXImport
import ONNXProto
import SwiftProtobuf
import Testing

/// Graph networks written by `ONNXExport(graph:…)` and read back by `ONNXImport`: the same layers, blocks and
/// counts, and weights equal to the engine's quantized weights (the dequantized codes are exactly
/// `Quantizer.quantizeWeights` of the originals). ONNX Runtime's logits on the written models are compared with
/// `bitsweep infer` by CLITests' ONNXExportCLITests (Tests/Python/check_graph_onnx_export.py).
@Suite struct GraphExportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/onnx")

    static func fixture(_ name: String) throws -> ImportedModel {
        try ONNXImport.load(path: fixtures.appendingPathComponent(name).path)
    }

    static func reimport(_ e: ONNXExport, size: Int) throws -> ImportedModel {
        try ONNXImport.read(try e.serializedData(), origin: "exported.onnx", name: "exported", size: size)
    }

    /// Weight bits on the weight layers, cycling through `widths`; `act` on every layer with activation bits of
    /// its own (QDQ after ReLU6, Sigmoid and HardSigmoid, per-image quantization elsewhere).
    static func configured(_ g: GraphNetwork, widths: [BitWidth], act: BitWidth) -> GraphNetwork {
        var g = g
        var k = 0
        for i in g.layers.indices {
            if g.layers[i].op.hasWeights {
                g.layers[i].bits = widths[k % widths.count]
                k += 1
            }
            if g.layers[i].actBits != nil { g.layers[i].actBits = act }
        }
        return g
    }

    /// The engine's view of `g`'s weights at `granularity`: each weight layer's weight fake-quantized at its bits.
    static func quantized(_ g: GraphNetwork, _ w: GraphWeights, granularity: QuantGranularity) -> [String: [Float]] {
        var out = w.tensors.mapValues(\.data)
        for l in g.layers where l.op.hasWeights {
            let t = w.tensors["\(l.name).weight"]!
            out["\(l.name).weight"] = Quantizer.quantizeWeights(t.data, bits: l.bits, channels: t.shape[0], granularity: granularity)
        }
        return out
    }

    /// Checks that `back` is `g` with `weights` quantized at `granularity`.
    static func expectSame(_ back: ImportedModel, _ g: GraphNetwork, _ weights: GraphWeights, size: Int,
                           granularity: QuantGranularity) throws {
        let r = back.network
        #expect(r.layers.map(\.name) == g.layers.map(\.name))
        #expect(r.layers.map(\.op) == g.layers.map(\.op))
        #expect(r.layers.map(\.inputs) == g.layers.map(\.inputs))
        #expect(r.blocks == g.blocks && r.layers.map(\.block) == g.layers.map(\.block))
        // Weight bits read back from the codes; activation bits from the QDQ pairs and the per-image quantization.
        #expect(r.layers.map(\.bits) == g.layers.map { $0.op.hasWeights ? $0.bits : .float })
        #expect(r.layers.map(\.actBits) == g.layers.map(\.actBits))
        // The dequantized codes are the engine's quantized weights, to the bit; everything else as it was.
        let expected = Self.quantized(g, weights, granularity: granularity)
        #expect(Set(back.weights.tensors.keys) == Set(expected.keys))
        for (name, values) in expected {
            #expect(back.weights.tensors[name]?.data == values, "\(name)")
            #expect(back.weights.tensors[name]?.shape == weights.tensors[name]?.shape, "\(name)")
        }
        for l in g.layers where l.op == .batchNorm {
            #expect(back.weights.epsilon(l.name) == weights.epsilon(l.name), "\(l.name)")
        }
        // And so the same counts, row by row.
        let a = try g.cost(inputSize: size), b = try r.cost(inputSize: size)
        #expect(a.layers == b.layers && a.operations == b.operations && a.totals == b.totals && a.blocks == b.blocks)
    }

    @Test(arguments: [
        ("mnv2-folded.onnx", [BitWidth.bits(4), .bits(8), .float, .bits(3)], BitWidth.bits(8), QuantGranularity.perTensor),
        ("bn-explicit.onnx", [.bits(2), .bits(12), .bits(5), .float], .bits(4), .perChannel),
    ])
    func fixturesRoundTrip(_ name: String, _ widths: [BitWidth], _ act: BitWidth, _ granularity: QuantGranularity) throws {
        let m = try Self.fixture(name)
        let g = Self.configured(m.network, widths: widths, act: act)
        #expect(g.layers.contains { if case .activation(.relu6) = $0.op { return true } else { return false } }, "QDQ after ReLU6")
        let e = try ONNXExport(graph: g, inputSize: m.inputSize, weights: m.weights, granularity: granularity, source: name)
        // 12-bit weights need int16 codes: opset 21 (IR 10); HardSwish (mnv2-folded) opset 14.
        #expect(e.opset == (name == "bn-explicit.onnx" ? 21 : 14))
        #expect(e.model.irVersion == (e.opset == 21 ? 10 : 7))
        try Self.expectSame(try Self.reimport(e, size: m.inputSize), g, m.weights, size: m.inputSize, granularity: granularity)
    }

    /// The mobilenet-v2 preset (α 0.35 at 32: 18 blocks, 52 convolutions and the classifier) with seeded weights.
    @Test func mobileNetV2PresetRoundTrip() throws {
        let g = try MobileNetV2.network(MobileNetV2.Options(width: 0.35, bits: .uniform(.bits(4)), classes: 10))
        let w = try GraphWeights.seeded(3, network: g, inputSize: 32)
        let e = try ONNXExport(graph: g, inputSize: 32, weights: w, granularity: .perTensor, source: "seed 3")
        #expect(e.opset == 13)
        let ops = e.model.graph.node.map(\.opType)
        #expect(ops.filter { $0 == "Conv" }.count == 52 && ops.filter { $0 == "Gemm" }.count == 1)
        #expect(ops.filter { $0 == "DequantizeLinear" }.count == 53 && !ops.contains("QuantizeLinear"))
        // Residual adds: blocks whose input and output shapes agree (10 of the 17 inverted residual blocks).
        #expect(ops.filter { $0 == "Add" }.count == 10)
        try Self.expectSame(try Self.reimport(e, size: 32), g, w, size: 32, granularity: .perTensor)
    }

    /// conv → bn → relu6 (4 bits), conv → bn (8 bits), add of both → relu (6 bits), pool, gemm: a small graph whose
    /// quantization steps are known by hand (also `QuantizedReadersTests`' model).
    static func stepsGraph() -> GraphNetwork {
        func conv(_ out: Int, _ k: Int) -> GraphOp { .conv(ConvAttributes(outChannels: out, kernel: k)) }
        return GraphNetwork(name: "steps", layers: [
            GraphLayer("s.0.c1", conv(8, 3), block: 0, bits: .bits(4), actBits: .bits(4)),
            GraphLayer("s.0.c1.bn", .batchNorm, block: 0, actBits: .bits(4)),
            GraphLayer("s.0.c1.relu6", .activation(.relu6), block: 0, actBits: .bits(4)),
            GraphLayer("s.0.c2", conv(8, 1), block: 0, bits: .bits(8), actBits: .bits(8)),
            GraphLayer("s.0.c2.bn", .batchNorm, block: 0, actBits: .bits(8)),
            GraphLayer("s.0.add", .add, inputs: ["s.0.c1.relu6", "s.0.c2.bn"], block: 0, actBits: .bits(6)),
            GraphLayer("s.0.relu", .activation(.relu), block: 0, actBits: .bits(6)),
            GraphLayer("pool", .globalAveragePool, actBits: nil),
            GraphLayer("fc", .gemm(outFeatures: 5, bias: true), bits: .bits(8), actBits: .float),
        ], blocks: ["s.0"])
    }

    /// Where activations are quantized, on a small graph whose steps are known by hand: conv → bn → relu6 (one
    /// step, fixed grid at its end), conv → bn (linear: per-image, signed), add → relu (one step: per-image,
    /// unsigned), pool (passes precision on) read only by the gemm (ReduceMean without the 1×1 dimensions).
    @Test func activationQuantizationWhereTheEngineQuantizes() throws {
        let g = Self.stepsGraph()
        let w = try GraphWeights.seeded(1, network: g, inputSize: 6, initialization: .pytorchDefault)
        let e = try ONNXExport(graph: g, inputSize: 6, weights: w, granularity: .perTensor, source: "seed 1")
        let nodes = e.model.graph.node
        func producer(_ value: String) -> Onnx_NodeProto? { nodes.first { $0.output.contains(value) } }
        func scalar(_ name: String) throws -> Float {
            let t = try #require(e.model.graph.initializer.first { $0.name == name }, "\(name)")
            return t.rawData.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
        }
        // c1's step: Conv, BatchNormalization, Clip read each other's outputs directly, then one QDQ pair on 6/15.
        #expect(producer("s.0.c1.bn")?.input.first == "s.0.c1" && producer("s.0.c1.relu6")?.input.first == "s.0.c1.bn")
        #expect(nodes.filter { $0.opType == "QuantizeLinear" }.map(\.input.first) == ["s.0.c1.relu6"])
        #expect(try scalar("s.0.c1.relu6.output_scale") == Float(6) / 15)
        // c2's step (linear bottleneck) and the add → relu step: per-image quantization, on 2^7 − 1 signed and
        // 2^6 − 1 unsigned levels; nothing between c2 and c2.bn, nor between add and relu.
        #expect(nodes.filter { $0.opType == "Abs" }.map(\.input.first) == ["s.0.c2.bn", "s.0.relu"])
        #expect(try scalar("s.0.c2.bn.output_levels") == 127 && scalar("s.0.relu.output_levels") == 63)
        #expect(producer("s.0.c2.bn")?.input.first == "s.0.c2" && producer("s.0.relu")?.input.first == "s.0.add")
        #expect(producer("s.0.add")?.input == ["s.0.c1.relu6.output", "s.0.c2.bn.output"])
        // The pool reads the quantized relu output and is a matrix for the gemm; the gemm's output is the logits.
        #expect(producer("pool")?.opType == "ReduceMean" && producer("pool")?.input == ["s.0.relu.output"])
        #expect(producer("fc")?.input == ["pool", "fc.weight", "fc.bias"])
        #expect(producer("logits")?.input == ["fc"] && e.model.graph.output.map(\.name) == ["logits"])
        #expect(e.layers.map(\.activations) == ["float", "float", "uint8 QDQ, 4-bit", "float", "per image signed, 8-bit",
                                                "float", "per image unsigned, 6-bit", "float", "float"])
        // The import reads both forms back: each step's output bits (4 after ReLU6, 8 signed = 127 levels, 6
        // unsigned = 63 levels), spread over the step's layers as the graph had them.
        try Self.expectSame(try Self.reimport(e, size: 6), g, w, size: 6, granularity: .perTensor)
        // Nothing guessed: levels that are no engine grid, or a pattern cut short, are one line naming the node.
        var model = e.model
        let levels = try #require(model.graph.initializer.firstIndex { $0.name == "s.0.c2.bn.output_levels" })
        withUnsafeBytes(of: Float(100).bitPattern.littleEndian) { model.graph.initializer[levels].rawData = Data($0) }
        #expect(throws: ONNXImportError("edited.onnx: node 's.0.c2.bn/dynamic_quant/Mul' (Mul): levels 100 is not 2^k − 1; supported: the engine's per-image grids in \(Self.perImagePattern)")) {
            try ONNXImport.read(try model.serializedData(), origin: "edited.onnx", name: "edited")
        }
        model = e.model
        model.graph.node.removeAll { $0.name == "s.0.relu/dynamic_quant/Max" }
        #expect(throws: ONNXImportError("edited.onnx: node 's.0.relu/dynamic_quant/Div' (Div): supported only as part of \(Self.perImagePattern)")) {
            try ONNXImport.read(try model.serializedData(), origin: "edited.onnx", name: "edited")
        }
    }

    static let perImagePattern = "per-image quantization as bitsweep export writes it: s = Max(Div(ReduceMax(Abs(x), all but the batch axis, keepdims 1), levels), tiny), then Mul(Round(Div(x, s)), s)"

    /// The mobilenet-v2 preset with quantized activations (QDQ after ReLU6, per image after the linear
    /// bottlenecks and residual sums) reads back with every layer's activation bits.
    @Test func mobileNetV2WithQuantizedActivationsRoundTrip() throws {
        let g = try MobileNetV2.network(MobileNetV2.Options(width: 0.35, bits: .uniform(.bits(4)), actBits: .uniform(.bits(8)), classes: 10))
        let w = try GraphWeights.seeded(4, network: g, inputSize: 32)
        let e = try ONNXExport(graph: g, inputSize: 32, weights: w, granularity: .perChannel, source: "seed 4")
        let ops = e.model.graph.node.map(\.opType)
        // QDQ after the stem's, the 17 expansions' (not block 1's) and the 17 depthwise convolutions' ReLU6 and
        // features.18's: 1 + 16 + 17 + 1; per image after the 17 linear bottlenecks and the 10 residual sums.
        #expect(ops.filter { $0 == "QuantizeLinear" }.count == 35 && ops.filter { $0 == "Round" }.count == 27)
        try Self.expectSame(try Self.reimport(e, size: 32), g, w, size: 32, granularity: .perChannel)
    }

    /// 1-bit weights (codes {−1, 0, 1}, scale mean|w|) read back as 2 bits: the same values, which 2-bit
    /// quantization leaves as they are.
    @Test func oneBitWeightsReadBackAsTwoBits() throws {
        let g = GraphNetwork(name: "one", layers: [
            GraphLayer("c", .conv(ConvAttributes(outChannels: 4, kernel: 3)), bits: .bits(1)),
            GraphLayer("pool", .globalAveragePool, actBits: nil),
            GraphLayer("fc", .gemm(outFeatures: 3, bias: false), bits: .float),
        ], blocks: [])
        let w = try GraphWeights.seeded(2, network: g, inputSize: 5)
        let back = try Self.reimport(try ONNXExport(graph: g, inputSize: 5, weights: w, granularity: .perTensor, source: "seed"), size: 5)
        #expect(back.network.layers.map(\.bits) == [.bits(2), .float, .float])
        let one = Quantizer.quantizeWeights(w.tensors["c.weight"]!.data, bits: .bits(1), channels: 4)
        #expect(back.weights.tensors["c.weight"]?.data == one)
        #expect(Quantizer.quantizeWeights(one, bits: .bits(2), channels: 4) == one)
    }

    @Test func integerKernelsAreRefusedForGraphs() throws {
        let g = try MobileNetV2.network(MobileNetV2.Options(width: 0.35, classes: 10))
        let w = try GraphWeights.seeded(0, network: g, inputSize: 32)
        #expect(throws: ExportError("kernels integer: integer kernels are not available for graph networks (mobilenet-v2); export with --kernels float or auto (float kernels, simulated quantization)")) {
            try ONNXExport(graph: g, inputSize: 32, weights: w, granularity: .perTensor, kernels: .integer, source: "seed 0")
        }
        // Weights that do not fit the graph: the engine's one-line message.
        var bad = w
        bad.tensors["features.0.0.weight"] = Tensor(shape: [1], data: [0])
        #expect(throws: ExportError("seed 0 (he-normal): tensor 'features.0.0.weight' has shape 1; expected 16×3×3×3")) {
            try ONNXExport(graph: g, inputSize: 32, weights: bad, granularity: .perTensor, source: "seed 0")
        }
    }
}
