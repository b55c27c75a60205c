import BitOpsCore
import Engine
import Foundation
import ONNXImport
import Testing

/// The graph executor on the imported fixtures, float weights and activations: its logits against ONNX
/// Runtime's on the same inputs (the fixtures' `*.reference.json`), within 1e-4 relative to the largest logit.
@Suite struct GraphExecutorONNXTests {
    struct Reference: Decodable {
        var input_shape: [Int]
        var input: [Float]
        var logits_shape: [Int]
        var logits: [Float]
    }

    @Test(arguments: ["mnv2-folded", "bn-explicit"])
    func floatLogitsMatchONNXRuntime(_ name: String) throws {
        let model = try ONNXImport.load(path: Fixtures.path("\(name).onnx"))
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("\(name).reference.json"))))
        let (n, c, h) = (ref.input_shape[0], ref.input_shape[1], ref.input_shape[2])
        #expect(h == model.inputSize)
        let net = try GraphExecutor(network: model.network, inputSize: h, weights: model.weights,
                                    options: EngineOptions(batchSize: n))
        let per = c * h * h
        let images = (0..<n).map { Tensor(shape: [c, h, h], data: Array(ref.input[($0 * per)..<(($0 + 1) * per)])) }
        let logits = try net.run(images).images.flatMap(\.logits)
        #expect(logits.count == ref.logits_shape.reduce(1, *))
        let scale = ref.logits.map { abs($0) }.max()!
        let worst = zip(logits, ref.logits).map { abs($0 - $1) / scale }.max()!
        #expect(worst < 1e-4, "\(name): max relative difference \(worst)")
        // Both residual adds of mnv2-folded read a projection (1×1 conv, BN folded, no activation) that nothing
        // else reads, in the add's block: each runs as a post-op of its projection. bn-explicit has no add layer.
        let expected = name == "mnv2-folded"
            ? [("features.1.add", "features.1.conv.1"), ("features.3.add", "features.3.conv.2")] : []
        #expect(net.fusedAdds.map(\.add) == expected.map(\.0) && net.fusedAdds.map(\.convolution) == expected.map(\.1))
        #expect(model.network.layers.filter { $0.op == .add }.count == expected.count)
    }
}
