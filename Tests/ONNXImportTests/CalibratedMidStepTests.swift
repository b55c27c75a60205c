import BitOpsCore
import Engine
import Foundation
import ONNXImport
import ONNXProto
import SwiftProtobuf
import Testing

/// A calibrated grid (`Clip(−R, R)` then int8 QDQ) on a layer its engine step absorbs — the stem convolution of the
/// folded MobileNetV2 fixture, before its ReLU6 — is refused: the engine quantizes a step's output once, on its last
/// layer, so the grid would be ignored (ONNX Runtime applies it: its logits differ from the unmodified model's).
@Suite struct CalibratedMidStepTests {
    static func scalar(_ name: String, float v: Float) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        withUnsafeBytes(of: v.bitPattern.littleEndian) { t.rawData = Data($0) }
        return t
    }

    static func node(_ name: String, _ op: String, _ inputs: [String], _ outputs: [String]) -> Onnx_NodeProto {
        var n = Onnx_NodeProto()
        n.name = name
        n.opType = op
        n.input = inputs
        n.output = outputs
        return n
    }

    /// mnv2-folded with `Clip(−0.5, 0.5)` → int8 QuantizeLinear → DequantizeLinear (scale 0.5/127) between the Conv
    /// of `features.0.0` and the Clip(0, 6) of `features.0.2`.
    static func midStep(_ m: inout Onnx_ModelProto) {
        let conv = "/features/features.0/features.0.0/Conv_output_0"
        var zero = Onnx_TensorProto()
        zero.name = "mid.zero"
        zero.dataType = Int32(Onnx_TensorProto.DataType.int8.rawValue)
        zero.rawData = Data([0])
        m.graph.initializer += [scalar("mid.min", float: -0.5), scalar("mid.max", float: 0.5),
                                scalar("mid.scale", float: Float(0.5) / 127), zero]
        let at = m.graph.node.firstIndex { $0.opType == "Conv" && $0.output == [conv] }!
        for i in m.graph.node.indices where m.graph.node[i].input.first == conv { m.graph.node[i].input[0] = "mid.dq" }
        m.graph.node.insert(contentsOf: [
            node("mid/Clip", "Clip", [conv, "mid.min", "mid.max"], ["mid.clip"]),
            node("mid/QuantizeLinear", "QuantizeLinear", ["mid.clip", "mid.scale", "mid.zero"], ["mid.q"]),
            node("mid/DequantizeLinear", "DequantizeLinear", ["mid.q", "mid.scale", "mid.zero"], ["mid.dq"]),
        ], at: at + 1)
    }

    @Test func aCalibratedGridInsideAStepIsRefused() throws {
        do {
            let m = try Fixtures.edited("mnv2-folded.onnx", Self.midStep)
            Issue.record("imported with \(m.network.calibratedLayerCount) calibrated layer(s)")
        } catch let e as ONNXImportError {
            #expect("\(e)" == "mnv2-folded.onnx+edited: node 'mid/Clip' (Clip): quantizes the output of 'features.0.0', which runs in one step with 'features.0.2'; supported: a calibrated grid after a step's last layer")
        }
    }

    /// The same grid after the step's last layer (the ReLU6's output, values in [0, 6]: Clip(0, 0.5), uint8 QDQ
    /// 0.5/255, the Clip named as the export names it) is read as that layer's calibrated range.
    @Test func theSameGridAfterTheStepsLastLayerIsRead() throws {
        let m = try Fixtures.edited("mnv2-folded.onnx") { m in
            let relu = "/features/features.0/features.0.2/Clip_output_0"
            var zero = Onnx_TensorProto()
            zero.name = "end.zero"
            zero.dataType = Int32(Onnx_TensorProto.DataType.uint8.rawValue)
            zero.rawData = Data([0])
            m.graph.initializer += [Self.scalar("end.min", float: 0), Self.scalar("end.max", float: 0.5),
                                    Self.scalar("end.scale", float: Float(0.5) / 255), zero]
            let at = m.graph.node.firstIndex { $0.output == [relu] }!
            for i in m.graph.node.indices {
                m.graph.node[i].input = m.graph.node[i].input.map { $0 == relu ? "end.dq" : $0 }
            }
            m.graph.node.insert(contentsOf: [
                Self.node("end/calibration/Clip", "Clip", [relu, "end.min", "end.max"], ["end.clip"]),
                Self.node("end/QuantizeLinear", "QuantizeLinear", ["end.clip", "end.scale", "end.zero"], ["end.q"]),
                Self.node("end/DequantizeLinear", "DequantizeLinear", ["end.q", "end.scale", "end.zero"], ["end.dq"]),
            ], at: at + 1)
        }
        let l = try #require(m.network.layers.first { $0.name == "features.0.2" })
        #expect(l.activationRange == 0.5 && l.actBits == .bits(8))
        #expect(m.network.calibratedLayerCount == 1)
    }
}
