/// A dense float32 tensor in row-major order: the last dimension varies fastest.
///
/// Layouts used by the engine's public API:
/// - image batches are **NCHW** (`[batch, channels, height, width]`), values in [0, 1];
/// - convolution weights are PyTorch's **OIHW** (`[out, in/groups, kH, kW]`); depthwise weights are
///   `[C, 1, K, K]`; the classifier's weight is `[classes, features]`, its bias `[classes]`;
/// - BatchNorm parameters are `[C]`.
/// Inside the network oneDNN keeps activations and weights in blocked layouts of its own choosing
/// (nChw16c, nhwc, OIhw16i16o…); those never leave the engine.
public struct Tensor: Hashable, Sendable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count, "tensor shape \(shape) does not match \(data.count) values")
        self.shape = shape
        self.data = data
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, data: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { data.count }

    /// `[2, 3, 4]` → `2×3×4`.
    public var shapeDescription: String { Tensor.describe(shape) }

    public static func describe(_ shape: [Int]) -> String {
        shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×")
    }
}
