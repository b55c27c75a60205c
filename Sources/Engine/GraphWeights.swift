import BitOpsCore

/// The parameters of a `GraphNetwork` (BitOpsCore/Graph.swift), by layer name — the contract between whatever
/// produces a graph's weights (seeded initialisation, a safetensors file, ONNX import) and the engine that runs
/// the graph:
///
///     conv layer L       L.weight        [C_out, C_in / groups, K, K]
///                        L.bias          [C_out]              (only when the convolution has a bias)
///     gemm layer L       L.weight        [out_features, in_features]
///                        L.bias          [out_features]       (only when the layer has a bias)
///     batch-norm L       L.weight, L.bias, L.running_mean, L.running_var   [C]
///
/// Batch normalisation uses `batchNormEpsilon[L]` when given (ONNX's `epsilon` attribute), else
/// `NetworkWeights.batchNormEpsilon` (1e-5, PyTorch's default). Layers without weights have no entries.
/// Tensors are float32 in row-major (NCHW / OIHW) order, as everywhere in the engine.
public struct GraphWeights: Sendable {
    public var tensors: [String: Tensor]
    /// Per batch-norm layer ε, by layer name; a layer not listed uses `NetworkWeights.batchNormEpsilon`.
    public var batchNormEpsilon: [String: Float]
    /// Where the weights came from, for messages: `seed 7` or a file path.
    public var origin: String

    public init(tensors: [String: Tensor], batchNormEpsilon: [String: Float] = [:], origin: String) {
        self.tensors = tensors
        self.batchNormEpsilon = batchNormEpsilon
        self.origin = origin
    }

    /// ε of batch-norm layer `layer`.
    public func epsilon(_ layer: String) -> Float { batchNormEpsilon[layer] ?? NetworkWeights.batchNormEpsilon }
}

extension GraphWeights {
    /// The tensors `network` needs on `inputSize`×`inputSize` images, read from a safetensors file with the
    /// graph's parameter names (other tensors in the file are ignored); a missing tensor or a wrong shape or dtype
    /// is an error naming the file and the tensor. The values are checked once, by whoever takes the weights
    /// (`GraphExecutor` and `ONNXExport` call `validate(for:inputSize:)`: a non-finite value or a negative
    /// variance is then an error naming the file and the tensor).
    public static func load(safetensors path: String, network: GraphNetwork, inputSize: Int) throws -> GraphWeights {
        let file = try Safetensors.read(path: path)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in try expectedShapes(network, inputSize: inputSize) {
            tensors[name] = try file.tensor(name, shape: shape)
        }
        return GraphWeights(tensors: tensors, origin: path)
    }

    public func write(safetensors path: String) throws {
        try Safetensors.write(tensors, to: path, metadata: ["format": "pt", "origin": origin])
    }
}
