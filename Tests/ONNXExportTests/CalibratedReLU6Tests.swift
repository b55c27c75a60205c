import BitOpsCore
import Engine
import Foundation
import ONNXExport
import ONNXImport
import ONNXProto
import SwiftProtobuf
import Testing

/// A ReLU6 quantized on a calibrated range R (`GraphLayer.activationRange`, what `export --calibrate` gives a block
/// network's activations): written as `Clip(0, R)` then QDQ of scale R/L, and read back as the same layer.
@Suite struct CalibratedReLU6Tests {
    static func graph(range: Float?, act: BitWidth = .bits(4)) -> GraphNetwork {
        var g = GraphNetwork(name: "cal", layers: [
            GraphLayer("c", .conv(ConvAttributes(outChannels: 4, kernel: 3)), bits: .bits(8), actBits: act),
            GraphLayer("c.bn", .batchNorm, actBits: act),
            GraphLayer("c.relu6", .activation(.relu6), actBits: act),
            GraphLayer("pool", .globalAveragePool, actBits: nil),
            GraphLayer("fc", .gemm(outFeatures: 3, bias: true), bits: .float),
        ], blocks: [])
        g.layers[2].activationRange = range
        return g
    }

    static func scalar(_ m: Onnx_ModelProto, _ name: String) throws -> Float {
        let t = try #require(m.graph.initializer.first { $0.name == name }, "\(name)")
        return t.rawData.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
    }

    @Test func writtenAsClipToRThenQDQOfRangeOverLevels() throws {
        let g = Self.graph(range: 2.5)
        let w = try GraphWeights.seeded(1, network: g, inputSize: 5)
        let e = try ONNXExport(graph: g, inputSize: 5, weights: w, granularity: .perTensor, source: "seed 1")
        let clip = try #require(e.model.graph.node.first { $0.name == "c.relu6" })
        #expect(clip.opType == "Clip" && clip.input == ["c.bn", "relu6.min", "c.relu6.clip_max"])
        #expect(try Self.scalar(e.model, "c.relu6.clip_max") == 2.5)
        #expect(try Self.scalar(e.model, "c.relu6.output_scale") == Float(2.5) / 15)
        #expect(e.layers.map(\.op)[2] == "Clip(0, 2.5)")
        let back = try ONNXImport.read(try e.serializedData(), origin: "cal.onnx", name: "cal")
        #expect(back.network.layers.map(\.activationRange) == [nil, nil, 2.5, nil, nil])
        #expect(back.network.layers.map(\.actBits) == g.layers.map(\.actBits))
        // A float output ignores the range (ReLU6 alone): plain Clip(0, 6), and nothing to read back.
        let float = Self.graph(range: 2.5, act: .float)
        let f = try ONNXExport(graph: float, inputSize: 5, weights: w, granularity: .perTensor, source: "seed 1")
        #expect(f.model.graph.node.first { $0.name == "c.relu6" }?.input == ["c.bn", "relu6.min", "relu6.max"])
        // R = 6 is the fixed grid: written as the plain ReLU6 (shared relu6.max, no clip_max of its own), so that
        // it reads back as the same network (activationRange nil), as the block exporter does.
        let six = try ONNXExport(graph: Self.graph(range: 6), inputSize: 5, weights: w, granularity: .perTensor, source: "seed 1")
        #expect(six.model.graph.node.first { $0.name == "c.relu6" }?.input == ["c.bn", "relu6.min", "relu6.max"])
        #expect(!six.model.graph.initializer.contains { $0.name == "c.relu6.clip_max" })
        #expect(try ONNXImport.read(try six.serializedData(), origin: "six.onnx", name: "cal").network.layers.map(\.activationRange)
                == [nil, nil, nil, nil, nil])
    }

    /// A range so small that the grid's step L/R overflows Float (0 · ∞ = NaN after the clip) is refused: by the
    /// network's check, and by the importer as a Clip it does not support.
    @Test func aRangeBelowTheCalibrationFloorIsRefused() throws {
        var g = Self.graph(range: Float("1e-40")!)   // a subnormal Float: written as text, so the literal loses nothing
        #expect(throws: SpecError("layer 'c.relu6': activation range 1e-40 is out of range: expected 1e-06 ≤ R ≤ 6")) { try g.validate() }
        g.layers[2].activationRange = 1e-6
        try g.validate()
        // Export at a valid range, then shrink the Clip's bound and the QDQ scale together to 1e-40 (on its grid).
        let w = try GraphWeights.seeded(1, network: g, inputSize: 5)
        var m = try ONNXExport(graph: g, inputSize: 5, weights: w, granularity: .perTensor, source: "seed 1").model
        for (name, value) in [("c.relu6.clip_max", Float(1e-40)), ("c.relu6.output_scale", Float(1e-40) / 15)] {
            let i = try #require(m.graph.initializer.firstIndex { $0.name == name })
            withUnsafeBytes(of: value.bitPattern.littleEndian) { m.graph.initializer[i].rawData = Data($0) }
        }
        do {
            _ = try ONNXImport.read(try m.serializedData(), origin: "tiny.onnx", name: "cal")
            Issue.record("a Clip(0, 1e-40) was imported")
        } catch let e as ONNXImportError {
            #expect("\(e)".hasPrefix("tiny.onnx: node 'c.relu6' (Clip): range 0.0…") && "\(e)".contains("; supported: "), "\(e)")
        }
    }

    /// The QDQ after Clip(0, R) must be on R's grid: a fixed-grid scale there is refused, naming the node.
    @Test func aScaleOffTheClipsGridIsRefused() throws {
        let g = Self.graph(range: 2.5)
        let w = try GraphWeights.seeded(1, network: g, inputSize: 5)
        var m = try ONNXExport(graph: g, inputSize: 5, weights: w, granularity: .perTensor, source: "seed 1").model
        let i = try #require(m.graph.initializer.firstIndex { $0.name == "c.relu6.output_scale" })
        withUnsafeBytes(of: (Float(6) / 15).bitPattern.littleEndian) { m.graph.initializer[i].rawData = Data($0) }
        #expect(throws: ONNXImportError("cal.onnx: node 'c.relu6/DequantizeLinear' (DequantizeLinear): scale \(Float(6) / 15) is not on the grid R/(2^a − 1), a = 1…8, of the Clip(0, R = 2.5) before it; supported: a calibrated ReLU6 as bitsweep export --calibrate writes it")) {
            try ONNXImport.read(try m.serializedData(), origin: "cal.onnx", name: "cal")
        }
        // And a range the engine does not take (R ≤ 0 or above 6) is refused by the network's own check.
        var bad = g
        bad.layers[2].activationRange = 7
        #expect(throws: SpecError("layer 'c.relu6': activation range 7.0 is out of range: expected 1e-06 ≤ R ≤ 6")) { try bad.validate() }
        bad.layers[2].activationRange = nil
        // A layer its step absorbs (c.bn runs in one step with c.relu6) may not carry a range: the engine and the
        // export read only the step's last layer, so it would be ignored.
        bad.layers[1].activationRange = 2
        #expect(throws: SpecError("layer 'c.bn': activation range 2.0 on a layer that runs in one step with 'c.relu6'; expected: a calibrated range on a step's last layer")) { try bad.validate() }
        bad.layers[1].activationRange = nil
        // Any other step's last layer may carry the range of its static grid (above 6 too: [−R, R] of signed values),
        // finite and at least the calibration floor.
        bad.layers[3].activationRange = 7
        try bad.validate()
        bad.layers[3].activationRange = .infinity
        #expect(throws: SpecError("layer 'pool': activation range inf is out of range: expected a finite R ≥ 1e-06")) { try bad.validate() }
    }
}
