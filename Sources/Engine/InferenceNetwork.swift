import BitOpsCore

/// What the commands that run images need from a built network, whichever form it has: a block-form `Network`
/// or a `GraphExecutor`.
public protocol InferenceNetwork: AnyObject, Sendable {
    /// Seconds spent building (weights, quantization, primitives).
    var buildSeconds: Double { get }
    /// The kernel every layer runs on, in order.
    var layerKernels: [(layer: String, kernel: LayerKernel)] { get }
    /// True when at least one layer runs on int8 kernels.
    var runsInteger: Bool { get }
    /// oneDNN's implementation per layer.
    var implementations: [(layer: String, implementation: String)] { get }
    /// Layers before which oneDNN needed a layout conversion of the activations.
    var layoutConversions: [String] { get }
    /// What building and running needs, as estimated before anything was allocated.
    var estimate: MemoryEstimate { get }
    /// Runs up to the batch size's images (`[channels, size, size]`, CHW).
    func run(_ images: [Tensor]) throws -> BatchOutput
    /// As `run`, timing every layer of the quantized network.
    func runProfiled(_ images: [Tensor]) throws -> BatchOutput
}

extension Network: InferenceNetwork {}
extension GraphExecutor: InferenceNetwork {}

extension GraphWeights {
    /// The tensors `network` needs on `inputSize`×`inputSize` images, read from a safetensors file with the
    /// graph's parameter names (other tensors in the file are ignored); a missing tensor, a wrong shape or dtype,
    /// a non-finite value or a negative variance is an error naming the file and the tensor.
    public static func load(safetensors path: String, network: GraphNetwork, inputSize: Int) throws -> GraphWeights {
        let file = try Safetensors.read(path: path)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in try expectedShapes(network, inputSize: inputSize) {
            tensors[name] = try file.tensor(name, shape: shape)
        }
        let w = GraphWeights(tensors: tensors, origin: path)
        try w.validate(for: network, inputSize: inputSize)
        return w
    }

    public func write(safetensors path: String) throws {
        try Safetensors.write(tensors, to: path, metadata: ["format": "pt", "origin": origin])
    }
}
