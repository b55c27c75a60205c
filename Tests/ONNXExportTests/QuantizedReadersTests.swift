import BitOpsCore
import Engine
import Foundation
import ONNXExport
import ONNXImport
import ONNXProto
import SwiftProtobuf
import Testing

/// The import reads a quantization (QDQ after ReLU6, the per-image pattern elsewhere) as the quantized layer's
/// activation bits — which quantizes that layer's output for every reader in BitSweep. So a model in which some
/// other node reads the unquantized output (ONNX Runtime: float values there) is refused, naming that node,
/// instead of being run with other numerics than the file's.
@Suite struct QuantizedReadersTests {
    /// conv → bn → relu6 (QDQ, 4 bits), conv → bn (per image, 8 bits), add of both, relu, pool, gemm: the add
    /// reads both quantized outputs (`….output`, the DequantizeLinear's and the per-image Mul's).
    static func model() throws -> Onnx_ModelProto {
        let g = GraphExportTests.stepsGraph()
        let w = try GraphWeights.seeded(1, network: g, inputSize: 6, initialization: .pytorchDefault)
        return try ONNXExport(graph: g, inputSize: 6, weights: w, granularity: .perTensor, source: "seed 1").model
    }

    static func read(_ m: Onnx_ModelProto) throws -> ImportedModel {
        try ONNXImport.read(try m.serializedData(), origin: "edited.onnx", name: "edited", size: 6)
    }

    static let supported = "supported: a quantization (QuantizeLinear → DequantizeLinear, or the per-image pattern) that is the only reader of a layer's output, since BitSweep quantizes the output for every reader"

    @Test func asWrittenEveryReaderReadsTheQuantizedOutput() throws {
        let m = try Self.model()
        let add = try #require(m.graph.node.first { $0.name == "s.0.add" })
        #expect(add.input == ["s.0.c1.relu6.output", "s.0.c2.bn.output"])
        let back = try Self.read(m)
        #expect(back.network.layers.first { $0.name == "s.0.c1.relu6" }?.actBits == .bits(4))
        #expect(back.network.layers.first { $0.name == "s.0.c2.bn" }?.actBits == .bits(8))
    }

    /// The add reads ReLU6's output before its QuantizeLinear: refused (it used to give ReLU6 4-bit outputs for
    /// the add as well, where ONNX Runtime adds the float values).
    @Test func aFloatReaderOfAQDQOutputIsRefused() throws {
        var m = try Self.model()
        let add = try #require(m.graph.node.firstIndex { $0.name == "s.0.add" })
        m.graph.node[add].input[0] = "s.0.c1.relu6"
        #expect(throws: ONNXImportError("edited.onnx: node 's.0.add' (Add) reads the output of 's.0.c1.relu6' unquantized, which node 's.0.c1.relu6/DequantizeLinear' (DequantizeLinear) quantizes; \(Self.supported)")) {
            try Self.read(m)
        }
    }

    /// Likewise for the per-image pattern: the add reads the batch norm's output before its quantization.
    @Test func aFloatReaderOfAPerImageQuantizedOutputIsRefused() throws {
        var m = try Self.model()
        let add = try #require(m.graph.node.firstIndex { $0.name == "s.0.add" })
        m.graph.node[add].input[1] = "s.0.c2.bn"
        #expect(throws: ONNXImportError("edited.onnx: node 's.0.add' (Add) reads the output of 's.0.c2.bn' unquantized, which node 's.0.c2.bn/dynamic_quant/Mul' (Mul) quantizes; \(Self.supported)")) {
            try Self.read(m)
        }
    }

    /// Through a value that only passes it on (Identity): still the unquantized output, still refused; an
    /// Identity between the layer and its QuantizeLinear alone is fine.
    @Test func passingTheValueOnIsSeen() throws {
        var m = try Self.model()
        var identity = Onnx_NodeProto()
        identity.name = "copy"
        identity.opType = "Identity"
        identity.input = ["s.0.c1.relu6"]
        identity.output = ["s.0.c1.relu6.copy"]
        let q = try #require(m.graph.node.firstIndex { $0.opType == "QuantizeLinear" && $0.input.first == "s.0.c1.relu6" })
        m.graph.node.insert(identity, at: q)
        m.graph.node[q + 1].input[0] = "s.0.c1.relu6.copy"
        #expect(try Self.read(m).network.layers.first { $0.name == "s.0.c1.relu6" }?.actBits == .bits(4))
        let add = try #require(m.graph.node.firstIndex { $0.name == "s.0.add" })
        m.graph.node[add].input[0] = "s.0.c1.relu6.copy"
        #expect(throws: ONNXImportError("edited.onnx: node 's.0.add' (Add) reads the output of 's.0.c1.relu6' unquantized, which node 's.0.c1.relu6/DequantizeLinear' (DequantizeLinear) quantizes; \(Self.supported)")) {
            try Self.read(m)
        }
    }
}
