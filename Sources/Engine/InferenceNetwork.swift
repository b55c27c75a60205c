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
