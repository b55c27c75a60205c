import BitOpsCore
import Engine
import Foundation
import ONNXImport
import ONNXProto
import SwiftProtobuf
import Testing

/// The committed fixtures (Tests/Fixtures/onnx, written by scripts/make-onnx-fixtures.py).
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/onnx")
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    static func proto(_ name: String) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: try Data(contentsOf: folder.appendingPathComponent(name)))
    }
    /// A fixture changed by `edit`, imported from memory (the origin names the fixture with `+edited`).
    static func edited(_ name: String, size: Int? = nil, _ edit: (inout Onnx_ModelProto) -> Void) throws -> ImportedModel {
        var m = try proto(name)
        edit(&m)
        return try ONNXImport.read(try m.serializedData(), origin: name + "+edited", name: "edited", size: size)
    }
    static func floats(_ t: Onnx_TensorProto) -> [Float] {
        t.rawData.isEmpty ? t.floatData : t.rawData.withUnsafeBytes { p in
            (0..<t.rawData.count / 4).map { Float(bitPattern: UInt32(littleEndian: p.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}

/// The MobileNetV2-style fixture (folded BatchNorm, torchvision node names) at its 32×32 input.
@Suite struct FoldedMobileNetV2Tests {
    static let model = Result { try ONNXImport.load(path: Fixtures.path("mnv2-folded.onnx")) }

    /// Layer names come from torch's scope paths, blocks from `features.N`, stem and classifier outside.
    @Test func namesAndBlocks() throws {
        let m = try Self.model.get()
        #expect(m.inputSize == 32 && m.fixedSize && m.inputName == "input" && m.outputName == "logits" && m.opset == 14)
        #expect(m.network.name == "mnv2-folded" && m.network.inputChannels == 3)
        #expect(m.network.layers.map(\.name) == [
            "features.0.0", "features.0.2",
            "features.1.conv.0.0", "features.1.conv.0.2", "features.1.conv.1", "features.1.add",
            "features.2.conv.0.0", "features.2.conv.0.2", "features.2.conv.1.0", "features.2.conv.1.2", "features.2.conv.2",
            "features.3.conv.0.0", "features.3.conv.0.2", "features.3.conv.1.0", "features.3.conv.1.2", "features.3.conv.2",
            "features.3.add",
            "features.4.0", "features.4.2", "globalaveragepool", "flatten", "classifier.1",
        ])
        #expect(m.network.blocks == ["features.1", "features.2", "features.3", "features.4"])
        let block = Dictionary(uniqueKeysWithValues: m.network.layers.map { ($0.name, $0.block) })
        #expect(block["features.0.0"] == .some(nil) && block["classifier.1"] == .some(nil))
        #expect(block["features.3.add"] == 2 && block["features.4.2"] == 3)
        // The residual adds read the block's input and the projection.
        let adds = m.network.layers.filter { $0.op == .add }
        #expect(adds.map(\.inputs) == [["features.0.2", "features.1.conv.1"], ["features.2.conv.2", "features.3.conv.2"]])
        // Clip(0, 6) from Constant nodes and from initializers are both ReLU6; HardSwish stays HardSwish.
        #expect(m.network.layers.filter { $0.op == .activation(.relu6) }.count == 6)
        #expect(m.network.layers.first { $0.name == "features.4.2" }?.op == .activation(.hardSwish))
    }

    /// Counts derived by hand at 32×32 (every convolution pads (K−1)/2):
    ///
    ///     features.0.0        3→8  3×3 s2 → 16×16     8·3·9·256  =  55,296 MACs    216 + 8 bias
    ///     features.1 dw       8    3×3    → 16×16     8·9·256    =  18,432           72 + 8
    ///     features.1 pw       8→8                     64·256     =  16,384           64 + 8
    ///     features.2 expand   8→48                    384·256    =  98,304          384 + 48
    ///     features.2 dw       48   3×3 s2 → 8×8       48·9·64    =  27,648          432 + 48
    ///     features.2 project  48→16                   768·64     =  49,152          768 + 16
    ///     features.3 expand   16→96                   1536·64    =  98,304        1,536 + 96
    ///     features.3 dw       96   3×3                96·9·64    =  55,296          864 + 96
    ///     features.3 project  96→16                   1536·64    =  98,304        1,536 + 16
    ///     features.4.0        16→64                   1024·64    =  65,536        1,024 + 64
    ///     classifier.1        64→10                              =     640          640 + 10
    ///                                                    total      583,296 MACs, 7,954 parameters
    /// Adds: 8·16² + 16·8² = 3,072 elements; pooling reads 64·8² = 4,096.
    @Test func countsAgainstHandDerivedValues() throws {
        let m = try Self.model.get()
        let cost = try m.network.cost(inputSize: 32)
        #expect(cost.layers.map(\.macs) == [55_296, 18_432, 16_384, 98_304, 27_648, 49_152, 98_304, 55_296, 98_304, 65_536, 640])
        #expect(cost.layers.map(\.params) == [224, 80, 72, 432, 480, 784, 1_632, 960, 1_552, 1_088, 650])
        #expect(cost.totals.macs == 583_296)
        #expect(cost.totals.params == 7_954)
        #expect(cost.totals.bitops == 583_296 * 32)   // float weights: 32 bits per MAC
        #expect(cost.elementwiseOps == 3_072)
        #expect(cost.poolingOps == 4_096)
        #expect(cost.layers.map(\.kind) == [.conv, .depthwise, .pointwise, .pointwise, .depthwise, .pointwise, .pointwise,
                                            .depthwise, .pointwise, .pointwise, .linear])
        // 4-bit blocks: the stem and the classifier stay float.
        let four = try m.network.settingBlockPrecision(bits: Array(repeating: .bits(4), count: 4), actBits: nil)
        #expect(try four.cost(inputSize: 32).totals.bitops == (583_296 - 55_296 - 640) * 4 + (55_296 + 640) * 32)
    }

    /// The weights follow GraphWeights' contract: each tensor is the one the node reads, under the layer's name.
    @Test func weightsByLayerName() throws {
        let m = try Self.model.get()
        let proto = try Fixtures.proto("mnv2-folded.onnx")
        let inits = Dictionary(uniqueKeysWithValues: proto.graph.initializer.map { ($0.name, $0) })
        let stemNode = proto.graph.node.first { $0.name == "/features/features.0/features.0.0/Conv" }!
        #expect(m.weights.tensors["features.0.0.weight"]?.shape == [8, 3, 3, 3])
        #expect(m.weights.tensors["features.0.0.weight"]?.data == Fixtures.floats(inits[stemNode.input[1]]!))
        #expect(m.weights.tensors["features.0.0.bias"]?.data == Fixtures.floats(inits[stemNode.input[2]]!))
        #expect(m.weights.tensors["features.2.conv.1.0.weight"]?.shape == [48, 1, 3, 3])
        #expect(m.weights.tensors["classifier.1.weight"]?.shape == [10, 64])   // transB = 1: stored as [out, in]
        #expect(m.weights.tensors["classifier.1.weight"]?.data == Fixtures.floats(inits["classifier.1.weight"]!))
        // 11 weight layers, each with a weight and a bias; nothing else.
        #expect(m.weights.tensors.count == 22)
        #expect(m.weights.batchNormEpsilon.isEmpty)
    }
}

/// The fixture with explicit BatchNormalization nodes, opset 10, plain node names, at 24×24.
@Suite struct ExplicitBatchNormTests {
    static let model = Result { try ONNXImport.load(path: Fixtures.path("bn-explicit.onnx")) }

    @Test func layers() throws {
        let m = try Self.model.get()
        #expect(m.inputSize == 24 && m.inputName == "image" && m.outputName == "scores" && m.opset == 10)
        #expect(m.network.layers.map(\.name) == [
            "stem.conv", "stem.bn", "stem.relu", "stem.pool",
            "layer.1.dw", "layer.1.dw_bn", "layer.1.dw_act", "layer.1.pw", "layer.1.pw_bn",
            "layer.1.se.pool", "layer.1.se.fc", "layer.1.se.gate", "layer.1.se.mul",
            "layer.2.conv", "layer.2.bn", "layer.2.act", "layer.2.pool",
            "head.pool", "head.reshape", "head.fc",
        ])
        let ops = Dictionary(uniqueKeysWithValues: m.network.layers.map { ($0.name, $0.op) })
        #expect(ops["stem.pool"] == .maxPool(kernel: 3, stride: 2, padding: 1))
        #expect(ops["layer.1.dw_act"] == .activation(.relu6))        // Clip with min/max attributes
        #expect(ops["layer.1.se.gate"] == .activation(.hardSigmoid))
        #expect(ops["layer.2.conv"] == .conv(ConvAttributes(outChannels: 24, kernel: 3, padding: 2, dilation: 2, groups: 4)))
        #expect(ops["layer.2.act"] == .activation(.sigmoid))
        #expect(ops["layer.2.pool"] == .averagePool(kernel: 2, stride: 2, padding: 0))
        #expect(ops["head.pool"] == .globalAveragePool)                // ReduceMean over H, W
        #expect(ops["head.reshape"] == .flatten)                       // Reshape [0, -1]
        #expect(ops["head.fc"] == .gemm(outFeatures: 5, bias: true))   // MatMul + Add
        #expect(m.network.layers.first { $0.name == "layer.1.se.mul" }?.inputs == ["layer.1.pw_bn", "layer.1.se.gate"])
        #expect(m.network.blocks == ["layer.1", "layer.2"])
    }

    /// By hand at 24×24: stem 8·27·576 = 124,416; max pool 3×3 s2 p1 → 12×12 reads 8·144·9 = 10,368;
    /// dw 8·9·144 = 10,368; pw 128·144 = 18,432; SE pool 16·144 = 2,304, fc 256, mul 16·144 = 2,304;
    /// grouped dilated conv 24·(16/4)·9·144 = 124,416 (dilation 2, pad 2 keeps 12×12); average pool 2×2 → 6×6
    /// reads 24·36·4 = 3,456; ReduceMean 24·36 = 864; MatMul 24·5 = 120.
    /// MACs 278,008; parameters 216 + 72 + 128 + 272 + 864 + 125 = 1,677; pooling 16,992; element-wise 2,304.
    @Test func countsAgainstHandDerivedValues() throws {
        let cost = try Self.model.get().network.cost(inputSize: 24)
        #expect(cost.layers.map(\.macs) == [124_416, 10_368, 18_432, 256, 124_416, 120])
        #expect(cost.totals.macs == 278_008)
        #expect(cost.totals.params == 1_677)
        #expect(cost.poolingOps == 16_992)
        #expect(cost.elementwiseOps == 2_304)
        #expect(cost.layers.map(\.kind) == [.conv, .depthwise, .pointwise, .pointwise, .conv, .linear])
    }

    /// BatchNorm tensors under the contract's names with the node's ε; MatMul's [in, out] stored as [out, in].
    @Test func weights() throws {
        let m = try Self.model.get()
        let inits = Dictionary(uniqueKeysWithValues: try Fixtures.proto("bn-explicit.onnx").graph.initializer.map { ($0.name, $0) })
        for part in ["weight", "bias", "running_mean", "running_var"] {
            #expect(m.weights.tensors["layer.2.bn.\(part)"]?.data == Fixtures.floats(inits["layer.2.bn.\(part)"]!))
        }
        #expect(m.weights.epsilon("stem.bn") == 1e-3)
        #expect(m.weights.tensors["stem.conv.bias"] == nil)
        let w = try #require(m.weights.tensors["head.fc.weight"])
        let source = Fixtures.floats(inits["head.fc.weight"]!)   // [24, 5]
        #expect(w.shape == [5, 24])
        var transposed: [Float] = []
        for o in 0..<5 { for i in 0..<24 { transposed.append(source[i * 5 + o]) } }
        #expect(w.data == transposed)
        #expect(m.weights.tensors["head.fc.bias"]?.data == Fixtures.floats(inits["head.fc.bias"]!))
    }

    /// auto_pad SAME_UPPER is resolved to the same explicit padding; a symbolic H, W takes the size given.
    @Test func autoPadAndSymbolicSize() throws {
        let same = try Fixtures.edited("bn-explicit.onnx") { m in
            m.graph.node[0].attribute.removeAll { $0.name == "pads" }
            var a = Onnx_AttributeProto()
            a.name = "auto_pad"; a.type = .string; a.s = Data("SAME_UPPER".utf8)
            m.graph.node[0].attribute.append(a)
        }
        #expect(same.network.layers == (try Self.model.get()).network.layers)
        let symbolic = try Fixtures.edited("mnv2-folded.onnx", size: 64) { m in
            for i in [2, 3] { m.graph.input[0].type.tensorType.shape.dim[i].dimParam = "S" }
        }
        #expect(symbolic.inputSize == 64 && !symbolic.fixedSize)
        #expect(try symbolic.network.cost(inputSize: 64).totals.macs == (583_296 - 640) * 4 + 640)
    }
}

/// Files and nodes outside the supported set: one line naming the file, the node and its operator.
@Suite struct ONNXImportErrorTests {
    static func message(_ body: () throws -> ImportedModel) -> String {
        do { _ = try body(); return "(no error)" } catch { return "\(error)" }
    }

    @Test func unsupportedOperator() {
        let path = Fixtures.path("unsupported-resize.onnx")
        let m = Self.message { try ONNXImport.load(path: path) }
        #expect(m.hasPrefix("\(path): node 'upsample' (Resize): operator not supported; supported: Conv, BatchNormalization,"))
        #expect(!m.contains("\n"))
    }

    @Test func malformedFiles() throws {
        let data = try Data(contentsOf: Fixtures.folder.appendingPathComponent("mnv2-folded.onnx"))
        let truncated = Self.message { try ONNXImport.read(data.prefix(data.count / 2), origin: "cut.onnx", name: "cut") }
        #expect(truncated.hasPrefix("cut.onnx: not a readable ONNX model (protobuf decoding failed"))
        let text = Self.message { try ONNXImport.read(Data("blocks:\n  - bits: 4\n".utf8), origin: "m.onnx", name: "m") }
        #expect(text.hasPrefix("m.onnx: "))
        let empty = Self.message { try ONNXImport.read(Data(), origin: "e.onnx", name: "e") }
        #expect(empty == "e.onnx: not an ONNX model: no graph with nodes (ir_version 0)")
        let missing = Self.message { try ONNXImport.load(path: "/nonexistent/m.onnx") }
        #expect(missing == "/nonexistent/m.onnx: no such file")
        for m in [truncated, text, empty] { #expect(!m.contains("\n")) }
    }

    @Test func nothingGuessed() throws {
        func edited(_ name: String = "bn-explicit.onnx", size: Int? = nil, _ edit: @escaping (inout Onnx_ModelProto) -> Void) -> String {
            Self.message { try Fixtures.edited(name, size: size, edit) }
        }
        func attribute(_ node: inout Onnx_NodeProto, _ name: String, ints: [Int64]? = nil, float: Float? = nil, int: Int64? = nil) {
            node.attribute.removeAll { $0.name == name }
            var a = Onnx_AttributeProto()
            a.name = name
            if let ints { a.type = .ints; a.ints = ints }
            if let float { a.type = .float; a.f = float }
            if let int { a.type = .int; a.i = int }
            node.attribute.append(a)
        }
        #expect(edited { attribute(&$0.graph.node[0], "pads", ints: [1, 1, 0, 0]) }
                == "bn-explicit.onnx+edited: node 'stem.conv' (Conv): pads [1, 1, 0, 0] are not the same on all four sides; supported: symmetric padding")
        #expect(edited { attribute(&$0.graph.node[6], "max", float: 5) }
                == "bn-explicit.onnx+edited: node 'layer.1.dw_act' (Clip): range 0.0…5.0 without a QuantizeLinear → DequantizeLinear of scale 5.0/(2^a − 1) after it; supported: 0…6 (ReLU6), 0…∞ (ReLU), and 0…R with 1e-6 ≤ R < 6 followed by QuantizeLinear → DequantizeLinear of scale R/(2^a − 1) (a ReLU6 quantized on a calibrated range, as bitsweep export --calibrate writes it)")
        #expect(edited { attribute(&$0.graph.node[6], "max", float: 7) }
                == "bn-explicit.onnx+edited: node 'layer.1.dw_act' (Clip): range 0.0…7.0; supported: 0…6 (ReLU6), 0…∞ (ReLU), and 0…R with 1e-6 ≤ R < 6 followed by QuantizeLinear → DequantizeLinear of scale R/(2^a − 1) (a ReLU6 quantized on a calibrated range, as bitsweep export --calibrate writes it)")
        #expect(edited { attribute(&$0.graph.node[11], "alpha", float: 0.2) }
                .hasPrefix("bn-explicit.onnx+edited: node 'layer.1.se.gate' (HardSigmoid): alpha 0.2, beta 0.5; supported: alpha 1/6"))
        // A weight computed by the graph (here: the image itself).
        #expect(edited { $0.graph.node[0].input[1] = "image" }
                == "bn-explicit.onnx+edited: node 'stem.conv' (Conv): weight 'image' is computed by the graph; only constant weights (initializers or Constant nodes) are supported")
        #expect(edited { $0.graph.input[0].type.tensorType.shape.dim.removeLast() }
                == "bn-explicit.onnx+edited: input 'image' has shape 1×3×24; expected 4 dimensions N×C×H×W")
        #expect(edited { attribute(&$0.graph.node[0], "strides", ints: [2, 1]) }
                .hasPrefix("bn-explicit.onnx+edited: node 'stem.conv' (Conv): strides [2, 1] must be two equal positive values"))
        #expect(edited { attribute(&$0.graph.node[3], "ceil_mode", int: 1) }
                == "bn-explicit.onnx+edited: node 'stem.pool' (MaxPool): ceil_mode 1 is not supported; supported: ceil_mode 0")
        // SAME_UPPER with stride 2 on an even input pads one side only.
        #expect(edited { m in
            m.graph.node[0].attribute.removeAll { $0.name == "pads" }
            attribute(&m.graph.node[0], "strides", ints: [2, 2])
            var a = Onnx_AttributeProto()
            a.name = "auto_pad"; a.type = .string; a.s = Data("SAME_UPPER".utf8)
            m.graph.node[0].attribute.append(a)
        } == "bn-explicit.onnx+edited: node 'stem.conv' (Conv): auto_pad SAME_UPPER pads a 24×24 input by 1 in each direction, which is asymmetric; supported: symmetric padding")
        // An attribute the import does not know is refused rather than ignored.
        #expect(edited { attribute(&$0.graph.node[2], "alpha", float: 0.1) }
                == "bn-explicit.onnx+edited: node 'stem.relu' (Relu): attribute 'alpha' is not supported; Relu takes none")
        // A symbolic size needs --size; a fixed one must not be contradicted.
        #expect(edited("mnv2-folded.onnx") { m in for i in [2, 3] { m.graph.input[0].type.tensorType.shape.dim[i].dimParam = "S" } }
                == "mnv2-folded.onnx+edited: input 'input' N×3×S×S has a symbolic height and width: give the image size (--size)")
        #expect(edited(size: 32) { _ in }
                == "bn-explicit.onnx+edited: the model's input is fixed at 24×24; size 32 differs (leave --size out, or give 24)")
    }
}

/// Damaged files never trap: every prefix length and many single-byte changes of the fixtures either import or
/// give one line naming the file (a prefix ending on a field boundary is a valid, smaller protobuf message).
@Suite struct DamagedONNXTests {
    @Test(arguments: ["mnv2-folded.onnx", "bn-explicit.onnx"])
    func truncatedAndFlipped(_ name: String) throws {
        let data = try Data(contentsOf: Fixtures.folder.appendingPathComponent(name))
        var outcomes: [String: Int] = [:]
        func attempt(_ bytes: Data) {
            do {
                let m = try ONNXImport.read(bytes, origin: "damaged.onnx", name: "d")
                _ = try m.network.cost(inputSize: m.inputSize)
                outcomes["imported", default: 0] += 1
            } catch let e as ONNXImportError {
                #expect(e.description.hasPrefix("damaged.onnx: ") && !e.description.contains("\n"), "\(e)")
                outcomes["refused", default: 0] += 1
            } catch {
                Issue.record("unexpected error type: \(error)")
            }
        }
        for cut in stride(from: 0, to: data.count, by: max(1, data.count / 150)) { attempt(data.prefix(cut)) }
        // Positions and masks from a fixed SplitMix64 sequence, so a failure repeats.
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        for _ in 0..<150 {
            var d = data
            let i = Int(next() % UInt64(d.count))
            d[d.startIndex + i] ^= UInt8(1 + next() % 255)
            attempt(d)
        }
        #expect(outcomes["refused", default: 0] > 0)
    }
}

/// The calibration method a model's metadata records (`bitsweep.calibrate`, as `export --calibrate` writes it): read
/// back as the method; absent, `fixed` or not a method, none is recorded. It never changes what is imported.
@Suite struct RecordedCalibrationTests {
    static func entry(_ key: String, _ value: String) -> Onnx_StringStringEntryProto {
        var e = Onnx_StringStringEntryProto()
        e.key = key
        e.value = value
        return e
    }

    @Test func theMetadataNamesTheMethod() throws {
        let plain = try Fixtures.edited("mnv2-folded.onnx") { _ in }
        #expect(plain.recordedCalibration == nil)
        let cases: [(String, Calibration?)] = [("minmax", .minmax), ("percentile:99.9", .percentile(99.9)), ("fixed", nil),
                                               ("percentile:101", nil), ("", nil)]
        for (value, expected) in cases {
            let m = try Fixtures.edited("mnv2-folded.onnx") {
                $0.metadataProps = [Self.entry("bitsweep.network", "x"), Self.entry("bitsweep.calibrate", value)]
            }
            #expect(m.recordedCalibration == expected, "\(value)")
            #expect(m.network == plain.network)
        }
    }
}
