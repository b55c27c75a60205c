import BitOpsCore
@testable import Engine
import Testing

/// Weights that overflow float32 make non-finite logits: that is an error naming the first layer whose output
/// went non-finite, never a result (a NaN SQNR once read as "exact", cosine 1, top-1 agree).
@Suite struct NonFiniteTests {
    /// The network's weights with every value of `tensor` set to `value`.
    static func weights(_ spec: NetworkSpec, fill tensor: String, with value: Float) -> NetworkWeights {
        var w = Reference.weightsWithBatchNorm(spec, seed: 5)
        w.tensors[tensor] = Tensor(shape: w.tensors[tensor]!.shape, data: w.tensors[tensor]!.data.map { _ in value })
        return w
    }

    @Test(arguments: [BitWidth.float, .bits(4)])
    func classifierOverflowNamesTheClassifier(bits: BitWidth) throws {
        let spec = NetworkTests.oddSpec(bits: bits)
        let net = try Network(spec: spec, inputSize: 13, weights: Self.weights(spec, fill: "classifier.weight", with: 3e38),
                              options: EngineOptions(batchSize: 2))
        let images = [Reference.randomImage(channels: 3, size: 13, seed: 1), Reference.randomImage(channels: 3, size: 13, seed: 2)]
        do {
            _ = try net.run(images)
            Issue.record("a run with overflowing classifier weights returned results")
        } catch let e as EngineError {
            #expect(e.message.contains("layer 'classifier'"), "\(e.message)")
            #expect(e.message.contains("non-finite"))
            // With 32-bit weights there is no twin; with 4 bits both networks overflow at the classifier.
            #expect(e.message.contains(bits == 32 ? "of the quantized network went" : "quantized network and the float twin"), "\(e.message)")
            #expect(!e.message.contains("\n"))
        }
        // The same network with sane weights runs, and its figures are finite.
        let sane = try Network(spec: spec, inputSize: 13, weights: Reference.weightsWithBatchNorm(spec, seed: 5),
                               options: EngineOptions(batchSize: 2))
        for o in try sane.run(images).images { #expect(o.logits.allSatisfy { $0.isFinite }) }
    }

    /// The graph form goes through the same search (NonFinite.swift, shared by both forms): the same network as
    /// a graph names the same layer, and which networks overflowed.
    @Test(arguments: [BitWidth.float, .bits(4)])
    func graphFormNamesTheSameLayer(bits: BitWidth) throws {
        let spec = NetworkTests.oddSpec(bits: bits)
        let weights = GraphExecutorTests.graphWeights(Self.weights(spec, fill: "classifier.weight", with: 3e38))
        let net = try GraphExecutor(network: try spec.graph(), inputSize: 13, weights: weights, options: EngineOptions(batchSize: 2))
        let images = [Reference.randomImage(channels: 3, size: 13, seed: 1), Reference.randomImage(channels: 3, size: 13, seed: 2)]
        do {
            _ = try net.run(images)
            Issue.record("a graph run with overflowing classifier weights returned results")
        } catch let e as EngineError {
            #expect(e.message.hasPrefix("non-finite values (NaN or ±∞): the output of layer 'classifier' of the "), "\(e.message)")
            #expect(e.message.contains(bits == 32 ? "of the quantized network went" : "quantized network and the float twin"), "\(e.message)")
        }
    }
}
