import BitOpsCore
import Engine
import Foundation
import ONNXExport
import ONNXProto
import SwiftProtobuf
import Testing

/// The written protobuf parsed back: graph structure, initializers, QDQ scales and zero points against the
/// engine's quantizer and hand-derived values. (Agreement of the model's outputs with `infer` is checked in
/// ONNX Runtime by CLITests' ONNXExportCLITests.)
@Suite struct ONNXExportTests {
    /// A stem (8 channels, stride 2), two blocks (the second with stride 2), 5 classes, at 12×12.
    static func spec(bits: BitWidth, actBits: BitWidth, classifierBits: BitWidth = .float) -> NetworkSpec {
        NetworkSpec(name: "tiny", stem: StemSpec(outChannels: 8, bits: bits, actBits: actBits),
                    blocks: [BlockSpec(outChannels: 16, stride: 1, bits: bits, actBits: actBits),
                             BlockSpec(outChannels: 24, stride: 2, bits: bits, actBits: actBits)],
                    classes: 5, classifierBits: classifierBits)
    }

    /// Weights with BatchNorm that is not the identity (so that its tensors are told apart in the model).
    static func weights(_ spec: NetworkSpec) -> NetworkWeights {
        var rng = SplitMix64(seed: 99)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in NetworkWeights.expectedShapes(spec) {
            let n = shape.reduce(1, *)
            let values: [Float] = (0..<n).map { _ in
                let u = rng.nextUnitFloat()
                return name.hasSuffix("running_var") ? 0.5 + u : (name.contains(".bn") && name.hasSuffix(".weight") ? 0.5 + u : u - 0.5)
            }
            tensors[name] = Tensor(shape: shape, data: values)
        }
        return NetworkWeights(tensors: tensors, origin: "test")
    }

    static func roundTrip(_ e: ONNXExport) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: try e.serializedData())
    }

    static func initializer(_ m: Onnx_ModelProto, _ name: String) throws -> Onnx_TensorProto {
        try #require(m.graph.initializer.first { $0.name == name }, "no initializer \(name)")
    }

    static func floats(_ t: Onnx_TensorProto) -> [Float] {
        stride(from: 0, to: t.rawData.count, by: 4).map { i in
            Float(bitPattern: t.rawData[t.rawData.startIndex + i..<t.rawData.startIndex + i + 4].enumerated()
                .reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) })
        }
    }

    static func int8s(_ t: Onnx_TensorProto) -> [Int] { t.rawData.map { Int(Int8(bitPattern: $0)) } }

    static func int16s(_ t: Onnx_TensorProto) -> [Int] {
        stride(from: 0, to: t.rawData.count, by: 2).map { i in
            let lo = UInt16(t.rawData[t.rawData.startIndex + i]), hi = UInt16(t.rawData[t.rawData.startIndex + i + 1])
            return Int(Int16(bitPattern: lo | hi << 8))
        }
    }

    static func attribute(_ n: Onnx_NodeProto, _ name: String) -> Onnx_AttributeProto? { n.attribute.first { $0.name == name } }

    @Test func graphIsTheNetworkLayerByLayer() throws {
        let spec = Self.spec(bits: .bits(4), actBits: .bits(8))
        let m = try Self.roundTrip(try ONNXExport(spec: spec, inputSize: 12, weights: Self.weights(spec), granularity: .perTensor, source: "test"))
        #expect(m.irVersion == 7)
        #expect(m.opsetImport.map(\.version) == [13] && m.opsetImport.map(\.domain) == [""])
        // Per convolution: weight DQ, Conv, BatchNormalization, Clip, activation Q and DQ; then the head.
        let conv = ["DequantizeLinear", "Conv", "BatchNormalization", "Clip", "QuantizeLinear", "DequantizeLinear"]
        #expect(m.graph.node.map(\.opType) == Array([[String]](repeating: conv, count: 5).joined()) + ["GlobalAveragePool", "Flatten", "Gemm"])
        // Geometry by hand: stem 3→8 k3 s2 p1 (12 → 6); block0 dw 8 (s1), pw 8→16; block1 dw 16 (s2, 6 → 3), pw 16→24.
        let convs = m.graph.node.filter { $0.opType == "Conv" }
        #expect(convs.map { $0.input[1] } == ["stem.conv.weight", "blocks.0.depthwise.weight", "blocks.0.pointwise.weight",
                                              "blocks.1.depthwise.weight", "blocks.1.pointwise.weight"])
        #expect(convs.map { Self.attribute($0, "group")?.i } == [1, 8, 1, 16, 1])
        #expect(convs.map { Self.attribute($0, "strides")?.ints } == [[2, 2], [1, 1], [1, 1], [2, 2], [1, 1]])
        #expect(convs.map { Self.attribute($0, "pads")?.ints } == [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]])
        #expect(convs.map { Self.attribute($0, "kernel_shape")?.ints } == [[3, 3], [3, 3], [1, 1], [3, 3], [1, 1]])
        #expect(try Self.initializer(m, "blocks.1.depthwise.weight_quantized").dims == [16, 1, 3, 3])
        // Each node's inputs are produced before it (or are the graph input / initializers).
        var known = Set(m.graph.initializer.map(\.name) + ["input"])
        for n in m.graph.node {
            for i in n.input { #expect(known.contains(i), "\(n.name) reads \(i) before it is made") }
            known.formUnion(n.output)
        }
        #expect(known.contains("logits"))
        let dims = m.graph.input[0].type.tensorType.shape.dim
        #expect(dims.map(\.dimParam) == ["batch", "", "", ""] && dims.dropFirst().map(\.dimValue) == [3, 12, 12])
        #expect(m.graph.output[0].type.tensorType.shape.dim.map(\.dimValue) == [0, 5])
        let gemm = try #require(m.graph.node.last)
        #expect(gemm.input == ["features", "classifier.weight", "classifier.bias"] && Self.attribute(gemm, "transB")?.i == 1)
    }

    @Test func weightCodesAndScalesAreTheEnginesQuantizedWeights() throws {
        let spec = Self.spec(bits: .bits(4), actBits: .bits(8))
        let w = Self.weights(spec)
        let m = try Self.roundTrip(try ONNXExport(spec: spec, inputSize: 12, weights: w, granularity: .perTensor, source: "test"))
        for name in ["stem.conv.weight", "blocks.0.depthwise.weight", "blocks.1.pointwise.weight"] {
            let raw = try #require(w.tensors[name]).data
            let q = try Self.initializer(m, name + "_quantized"), s = try Self.initializer(m, name + "_scale")
            let zp = try Self.initializer(m, name + "_zero_point")
            #expect(q.dataType == Int32(Onnx_TensorProto.DataType.int8.rawValue))
            #expect(s.dims.isEmpty && zp.dims.isEmpty && zp.rawData == Data([0]))
            #expect(zp.dataType == q.dataType)
            // 4 bits: scale max|w| / 7, codes in −8…7 (the narrowed range).
            let scale = raw.map(abs).max()! / 7
            #expect(Self.floats(s) == [scale])
            let codes = Self.int8s(q)
            #expect(codes.allSatisfy { (-8...7).contains($0) } && codes.map(abs).max() == 7)
            // code · scale is exactly the engine's fake-quantized weight.
            let expected = Quantizer.quantizeWeights(raw, bits: .bits(4), channels: q.dims.first.map(Int.init) ?? 1)
            #expect(codes.map { Float($0) * scale } == expected, "\(name)")
        }
        // BatchNorm keeps the state_dict's tensors, unchanged; the classifier is float (seed-like default).
        for name in ["stem.bn.weight", "blocks.0.bn1.running_var", "blocks.1.bn2.bias", "classifier.weight", "classifier.bias"] {
            #expect(Self.floats(try Self.initializer(m, name)) == w.tensors[name]!.data, "\(name)")
        }
        let bn = try #require(m.graph.node.first { $0.opType == "BatchNormalization" })
        #expect(bn.input == ["stem.conv", "stem.bn.weight", "stem.bn.bias", "stem.bn.running_mean", "stem.bn.running_var"])
        #expect(Self.attribute(bn, "epsilon")?.f == 1e-5)
    }

    @Test func activationsAreQuantizedOnTheReLU6Grid() throws {
        for (bits, levels) in [(8, 255), (4, 15), (1, 1)] {
            let spec = Self.spec(bits: .float, actBits: .bits(bits))
            let m = try Self.roundTrip(try ONNXExport(spec: spec, inputSize: 12, weights: Self.weights(spec), granularity: .perTensor, source: "test"))
            let s = try Self.initializer(m, "block0.pointwise.output_scale"), zp = try Self.initializer(m, "block0.pointwise.output_zero_point")
            #expect(Self.floats(s) == [Float(6) / Float(levels)])
            #expect(zp.dataType == Int32(Onnx_TensorProto.DataType.uint8.rawValue) && zp.rawData == Data([0]))
            // Float weights: plain initializers under their state_dict names, no weight DQ.
            #expect(m.graph.node.filter { $0.opType == "DequantizeLinear" }.count == 5)
            #expect(try Self.initializer(m, "stem.conv.weight").dataType == Int32(Onnx_TensorProto.DataType.float.rawValue))
            let clip = try #require(m.graph.node.first { $0.opType == "Clip" })
            #expect(clip.input.dropFirst() == ["relu6.min", "relu6.max"])
            let lo = Self.floats(try Self.initializer(m, "relu6.min")), hi = Self.floats(try Self.initializer(m, "relu6.max"))
            #expect(lo == [0] && hi == [6])
        }
        // Float activations: no QDQ at all.
        let spec = Self.spec(bits: .float, actBits: .float)
        let m = try ONNXExport(spec: spec, inputSize: 12, weights: Self.weights(spec), granularity: .perTensor, source: "test").model
        #expect(!m.graph.node.contains { $0.opType.hasSuffix("QuantizeLinear") })
    }

    @Test func perChannelScalesAlongOutputChannels() throws {
        let spec = Self.spec(bits: .bits(2), actBits: .bits(8), classifierBits: .bits(8))
        let w = Self.weights(spec)
        let m = try Self.roundTrip(try ONNXExport(spec: spec, inputSize: 12, weights: w, granularity: .perChannel, source: "test"))
        for (name, channels) in [("blocks.0.pointwise.weight", 16), ("classifier.weight", 5)] {
            let s = try Self.initializer(m, name + "_scale"), zp = try Self.initializer(m, name + "_zero_point")
            #expect(s.dims == [Int64(channels)] && zp.dims == [Int64(channels)] && zp.rawData == Data(count: channels))
            let raw = w.tensors[name]!.data, per = raw.count / channels
            let bits = name == "classifier.weight" ? 8 : 2
            // Scale of channel o by hand: max|w_o| / (2^(b−1) − 1).
            #expect(Self.floats(s) == (0..<channels).map { o in raw[(o * per)..<((o + 1) * per)].map(abs).max()! / Float((1 << (bits - 1)) - 1) })
            let dq = try #require(m.graph.node.first { $0.output == [name] })
            #expect(dq.opType == "DequantizeLinear" && Self.attribute(dq, "axis")?.i == 0 && Self.attribute(dq, "axis")?.type == .int)
            let codes = Self.int8s(try Self.initializer(m, name + "_quantized")), scales = Self.floats(s)
            #expect(codes.enumerated().map { Float($0.element) * scales[$0.offset / per] }
                    == Quantizer.quantizeWeights(raw, bits: .bits(bits), channels: channels, granularity: .perChannel))
        }
    }

    @Test func widthsAbove8BitsUseInt16AndOpset21() throws {
        let spec = Self.spec(bits: .bits(12), actBits: .bits(10))
        let w = Self.weights(spec)
        let m = try Self.roundTrip(try ONNXExport(spec: spec, inputSize: 12, weights: w, granularity: .perTensor, source: "test"))
        #expect(m.opsetImport.map(\.version) == [21] && m.irVersion == 10)
        let q = try Self.initializer(m, "blocks.0.pointwise.weight_quantized")
        #expect(q.dataType == Int32(Onnx_TensorProto.DataType.int16.rawValue) && q.rawData.count == 16 * 8 * 2)
        let codes = Self.int16s(q)
        #expect(codes.allSatisfy { (-2048...2047).contains($0) } && codes.map(abs).max() == 2047)
        let scale = Self.floats(try Self.initializer(m, "blocks.0.pointwise.weight_scale"))[0]
        #expect(codes.map { Float($0) * scale } == Quantizer.quantizeWeights(w.tensors["blocks.0.pointwise.weight"]!.data, bits: .bits(12), channels: 16))
        let zp = try Self.initializer(m, "stem.output_zero_point")
        #expect(zp.dataType == Int32(Onnx_TensorProto.DataType.uint16.rawValue) && zp.rawData == Data([0, 0]))
        #expect(Self.floats(try Self.initializer(m, "stem.output_scale")) == [Float(6) / 1023])
    }

    /// `--kernels integer`: the layers the engine runs int8 (all but the stem, which sees the float image) in the
    /// BatchNorm-folded form, with per-channel scales, negated codes where γ < 0 and an int32 bias, by hand.
    @Test func integerKernelsFoldBatchNormIntoPerChannelScalesAndInt32Bias() throws {
        let spec = Self.spec(bits: .bits(4), actBits: .bits(8))
        var w = Self.weights(spec)
        var gamma = w.tensors["blocks.0.bn2.weight"]!
        gamma.data[3] = -gamma.data[3]   // a negative BatchNorm factor on channel 3
        w.tensors["blocks.0.bn2.weight"] = gamma
        let m = try Self.roundTrip(try ONNXExport(spec: spec, inputSize: 12, weights: w, granularity: .perTensor, kernels: .integer, source: "test"))
        #expect(m.graph.node.filter { $0.opType == "BatchNormalization" }.map(\.name) == ["stem/BatchNormalization"])
        let conv = try #require(m.graph.node.first { $0.name == "block0.pointwise/Conv" })
        #expect(conv.input == ["block0.depthwise.output", "blocks.0.pointwise.weight", "blocks.0.pointwise.bias"])
        let clip = try #require(m.graph.node.first { $0.name == "block0.pointwise/Clip" })
        #expect(clip.input.first == "block0.pointwise.conv")

        let raw = w.tensors["blocks.0.pointwise.weight"]!.data, per = 8
        let bn = ["weight", "bias", "running_mean", "running_var"].map { w.tensors["blocks.0.bn2.\($0)"]!.data }
        let sw = raw.map(abs).max()! / 7, step = Float(6) / 255
        let codes = Self.int8s(try Self.initializer(m, "blocks.0.pointwise.weight_quantized"))
        let scales = Self.floats(try Self.initializer(m, "blocks.0.pointwise.weight_scale"))
        let bias = try Self.initializer(m, "blocks.0.pointwise.bias_quantized")
        #expect(bias.dataType == Int32(Onnx_TensorProto.DataType.int32.rawValue) && bias.dims == [16])
        let biasCodes = stride(from: 0, to: bias.rawData.count, by: 4).map { i in
            Int(Int32(bitPattern: bias.rawData[bias.rawData.startIndex + i..<bias.rawData.startIndex + i + 4].enumerated()
                .reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }))
        }
        let biasScales = Self.floats(try Self.initializer(m, "blocks.0.pointwise.bias_scale"))
        for o in 0..<16 {
            let g = bn[0][o] / (bn[3][o] + 1e-5).squareRoot()
            #expect(scales[o] == sw * abs(g) && biasScales[o] == step * scales[o], "channel \(o)")
            // The codes of channel o, negated when g < 0, times their scale: the quantized weight times g.
            for i in (o * per)..<((o + 1) * per) {
                let plain = Int((raw[i] / sw).rounded(.toNearestOrEven))
                #expect(codes[i] == (g < 0 ? -plain : plain), "weight \(i)")
            }
            let beta = bn[1][o] - bn[2][o] * g
            let b = Int((Double(beta) / Double(step * sw * g)).rounded(.toNearestOrEven))
            #expect(biasCodes[o] == (g < 0 ? -b : b), "bias \(o)")
        }
        #expect(scales[3] > 0 && codes[(3 * per)..<(4 * per)].contains { $0 != 0 })
        let dq = try #require(m.graph.node.first { $0.output == ["blocks.0.pointwise.bias"] })
        #expect(dq.input == ["blocks.0.pointwise.bias_quantized", "blocks.0.pointwise.bias_scale"] && Self.attribute(dq, "axis")?.i == 0)
        #expect(m.metadataProps.first { $0.key == "bitsweep.kernels" }?.value == "integer")

        // auto with float activations: no layer runs int8, so the BatchNorm form throughout; integer is refused.
        let floatActs = Self.spec(bits: .bits(4), actBits: .float)
        let auto = try ONNXExport(spec: floatActs, inputSize: 12, weights: Self.weights(floatActs), granularity: .perTensor, kernels: .auto, source: "test")
        #expect(auto.model.graph.node.filter { $0.opType == "BatchNormalization" }.count == 5)
        #expect(throws: (any Error).self) {
            try ONNXExport(spec: floatActs, inputSize: 12, weights: Self.weights(floatActs), granularity: .perTensor, kernels: .integer, source: "test")
        }
    }

    /// Calibrated ranges travel into the model: each quantized activation's QDQ scale is the engine's R/L and
    /// its Clip is Clip(0, R); the folded integer form's bias scale uses the input grid's step R_in/L_in; the
    /// metadata names the method. (Ranges measured by the engine on two images, minmax.)
    @Test func calibratedRangesBecomeTheQDQScales() throws {
        let spec = Self.spec(bits: .bits(8), actBits: .bits(4))
        let w = Self.weights(spec)
        var rng = SplitMix64(seed: 3)
        let images = (0..<2).map { _ in Tensor(shape: [3, 12, 12], data: (0..<(3 * 144)).map { _ in rng.nextUnitFloat() }) }
        let ranges = try Network.calibratedRanges(spec: spec, inputSize: 12, weights: w, images: images, method: .minmax,
                                                  options: EngineOptions(batchSize: 2, fidelity: false))
        #expect(ranges.count == 5 && ranges.values.contains { $0 < 6 })
        let m = try Self.roundTrip(try ONNXExport(spec: spec, inputSize: 12, weights: w, granularity: .perTensor, kernels: .integer,
                                                  source: "test", calibration: .minmax, activationRanges: ranges))
        for name in ["stem", "block0.depthwise", "block0.pointwise", "block1.depthwise", "block1.pointwise"] {
            let r = try #require(ranges[name])
            #expect(Self.floats(try Self.initializer(m, "\(name).output_scale")) == [r / 15], "\(name)")
            let clip = try #require(m.graph.node.first { $0.name == "\(name)/Clip" })
            if r < 6 {
                #expect(clip.input.last == "\(name).clip_max")
                #expect(Self.floats(try Self.initializer(m, "\(name).clip_max")) == [r])
            }
        }
        // block0.pointwise runs int8 on block0.depthwise's 4-bit codes: bias scale = (R_in/15) · weight scale.
        let weightScales = Self.floats(try Self.initializer(m, "blocks.0.pointwise.weight_scale"))
        let biasScales = Self.floats(try Self.initializer(m, "blocks.0.pointwise.bias_scale"))
        let step = ranges["block0.depthwise"]! / 15
        #expect(zip(weightScales, biasScales).allSatisfy { $1 == step * $0 })
        #expect(m.metadataProps.first { $0.key == "bitsweep.calibrate" }?.value == "minmax")
        // The default (fixed) writes no calibration metadata and the ReLU6 grid.
        let fixed = try Self.roundTrip(try ONNXExport(spec: spec, inputSize: 12, weights: w, granularity: .perTensor, source: "test"))
        #expect(!fixed.metadataProps.contains { $0.key == "bitsweep.calibrate" })
        #expect(Self.floats(try Self.initializer(fixed, "stem.output_scale")) == [Float(6) / 15])
    }

    @Test func quantizerCodesReproduceFakeQuantizationAtEveryWidth() {
        var rng = SplitMix64(seed: 5)
        var w = (0..<6 * 20).map { _ in rng.nextUnitFloat() * 2 - 1 }
        for i in 40..<60 { w[i] = 0 }   // an all-zero channel: scale 0, codes 0
        for bits in 1...16 {
            for g in QuantGranularity.allCases {
                let c = Quantizer.weightCodes(w, bits: bits, channels: 6, granularity: g)
                #expect(c.scales.count == (g == .perChannel ? 6 : 1))
                let per = w.count / c.scales.count
                let limit = bits == 1 ? 1 : 1 << (bits - 1)
                #expect(c.codes.allSatisfy { -limit <= $0 && $0 < max(limit, 2) })
                let values = c.codes.enumerated().map { Float($0.element) * c.scales[$0.offset / per] }
                #expect(values == Quantizer.quantizeWeights(w, bits: .bits(bits), channels: 6, granularity: g), "\(bits) bits, \(g)")
            }
        }
    }

    @Test func missingOrMisshapenWeightsAreRefused() throws {
        let spec = Self.spec(bits: .bits(4), actBits: .bits(8))
        var w = Self.weights(spec)
        w.tensors["blocks.1.bn2.running_mean"] = nil
        #expect(throws: (any Error).self) { try ONNXExport(spec: spec, inputSize: 12, weights: w, granularity: .perTensor, source: "test") }
        do {
            _ = try ONNXExport(spec: spec, inputSize: 12, weights: w, granularity: .perTensor, source: "test")
        } catch {
            #expect("\(error)" == "test: missing tensor 'blocks.1.bn2.running_mean'")
        }
    }
}
