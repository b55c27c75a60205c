import BitOpsCore
import Engine

/// The weights of the graph networks a sweep run has made (seeded, read from a safetensors file, or imported
/// from an ONNX model), so that a graph case makes them once and not in each of its timing rounds (a graph case is
/// evaluated again in every round), and the cases that differ only in their bits share one set
/// (`EngineEvaluator.forOneRun()` gives each run its own memo, dropped with the run).
///
/// The weights are a deterministic function of what `Key` holds, so a set looked up here is the one making it
/// again would give, to the bit:
/// - seeded (`GraphWeights.seeded`) and safetensors weights (`GraphWeights.load`): of the source (seed and
///   initialisation, or the file's path and SHA-256) and of the tensors the network needs (their names and
///   shapes, `GraphWeights.expectedShapes` — the same for every precision of a network, and for every size
///   when no layer's shape depends on it, as in the `mobilenet-v2` preset, whose classifier follows a global
///   average pool);
/// - an ONNX model's weights (`ImportedModel.weights`): of the file (path and SHA-256) and the size it is
///   imported at.
/// So the memo holds one set per model and weight source (per size for an ONNX model swept over sizes).
final class GraphWeightsMemo: @unchecked Sendable {
    struct Key: Hashable {
        var source: EvaluationJob.Weights
        /// An ONNX model's import size; nil for seeded and safetensors weights.
        var importSize: Int?
        /// Seeded and safetensors weights: the tensors the network needs, by name and shape, in graph order
        /// (empty for an ONNX model).
        var names: [String]
        var shapes: [[Int]]
    }

    private let memo = RunMemo<Key, GraphWeights>()

    /// The weights of `key`: made by `make` the first time (a failure is not kept), then the same set.
    func weights(_ key: Key, make: () throws -> GraphWeights) throws -> GraphWeights {
        try memo.value(key, make: make)
    }
}
