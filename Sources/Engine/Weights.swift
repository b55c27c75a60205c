import BitOpsCore

/// The trained (or initialised) parameters of a network, by the names of the demo's PyTorch `state_dict`:
///
///     stem.conv.weight              [C_stem, C_in, K, K]     (only with a stem; BitSweep's own naming)
///     stem.bn.{weight,bias,running_mean,running_var}   [C_stem]
///     blocks.{i}.depthwise.weight   [C, 1, K, K]
///     blocks.{i}.bn1.{weight,bias,running_mean,running_var}   [C]
///     blocks.{i}.pointwise.weight   [C_out, C, 1, 1]
///     blocks.{i}.bn2.{…}            [C_out]
///     classifier.weight             [classes, C_last]
///     classifier.bias               [classes]
///
/// BatchNorm uses ε = 1e-5 (PyTorch's default) and is folded into the convolution when a network is built.
public struct NetworkWeights: Sendable {
    public var tensors: [String: Tensor]
    /// Where the weights came from, for messages: `seed 7` or a file path.
    public var origin: String

    public static let batchNormEpsilon: Float = 1e-5

    public init(tensors: [String: Tensor], origin: String) {
        self.tensors = tensors
        self.origin = origin
    }

    /// Every tensor the network needs, with its expected shape, in a fixed order.
    public static func expectedShapes(_ spec: NetworkSpec) -> [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        func bn(_ prefix: String, _ c: Int) {
            for p in ["weight", "bias", "running_mean", "running_var"] { out.append(("\(prefix).\(p)", [c])) }
        }
        var c = spec.inputChannels
        if let stem = spec.stem {
            out.append(("stem.conv.weight", [stem.outChannels, c, stem.kernel, stem.kernel]))
            bn("stem.bn", stem.outChannels)
            c = stem.outChannels
        }
        for (i, b) in spec.blocks.enumerated() {
            out.append(("blocks.\(i).depthwise.weight", [c, 1, b.kernel, b.kernel]))
            bn("blocks.\(i).bn1", c)
            out.append(("blocks.\(i).pointwise.weight", [b.outChannels, c, 1, 1]))
            bn("blocks.\(i).bn2", b.outChannels)
            c = b.outChannels
        }
        out.append(("classifier.weight", [spec.classes, c]))
        out.append(("classifier.bias", [spec.classes]))
        return out
    }

    /// Deterministic weights from a seed: **PyTorch's default initialisation** of `Conv2d` and `Linear`
    /// (`kaiming_uniform_(a=√5)`, i.e. U(−1/√fan_in, 1/√fan_in) for weights, and the same bound for the
    /// linear bias), and BatchNorm at its initial state (γ = 1, β = 0, mean 0, var 1). `fan_in` is
    /// (C_in/groups)·K·K; for a depthwise layer that is K·K.
    ///
    /// The numbers are BitSweep's own, not PyTorch's (a different generator): each tensor draws from its own
    /// SplitMix64 stream seeded with `seed ⊕ FNV-1a(name)`, and a uniform float is the top 24 bits of a draw
    /// times 2^−24, mapped to `bound·(2u − 1)`. Only integer arithmetic and exact float operations (plus one
    /// correctly rounded square root) are involved, so the weights are identical on every machine and for every
    /// thread count, and a tensor does not change when blocks are added after it.
    public static func seeded(_ seed: UInt64, spec: NetworkSpec) -> NetworkWeights {
        var tensors: [String: Tensor] = [:]
        for (name, _) in expectedShapes(spec) {
            tensors[name] = seededTensor(name, seed: seed, spec: spec)
        }
        return NetworkWeights(tensors: tensors, origin: "seed \(seed)")
    }

    /// One tensor of `seeded(seed, spec:)`, or nil when the network has no tensor of that name.
    static func seededTensor(_ name: String, seed: UInt64, spec: NetworkSpec) -> Tensor? {
        let shapes = expectedShapes(spec)
        guard let shape = shapes.first(where: { $0.name == name })?.shape else { return nil }
        let count = shape.reduce(1, *)
        let isBN = name.hasPrefix("stem.bn.") || name.contains(".bn1.") || name.contains(".bn2.")
        if isBN {
            let one = name.hasSuffix(".running_var") || name.hasSuffix(".weight")
            return Tensor(repeating: one ? 1 : 0, shape: shape)
        }
        let fanIn = name == "classifier.bias"
            ? shapes.first { $0.name == "classifier.weight" }!.shape[1]
            : shape.dropFirst().reduce(1, *)
        let bound = 1 / Float(fanIn).squareRoot()
        var rng = SplitMix64(seed: seed ^ fnv1a(name))
        var data = [Float](repeating: 0, count: count)
        for i in 0..<count { data[i] = bound * (2 * rng.nextUnitFloat() - 1) }
        return Tensor(shape: shape, data: data)
    }

    /// Loads the weights a network needs from a safetensors file (extra tensors, such as BatchNorm's
    /// `num_batches_tracked`, are ignored). A missing tensor, a wrong shape or dtype, or a truncated file
    /// is an error naming the file and the tensor.
    public static func load(safetensors path: String, spec: NetworkSpec) throws -> NetworkWeights {
        let file = try Safetensors.read(path: path)
        var tensors: [String: Tensor] = [:]
        for (name, shape) in expectedShapes(spec) {
            tensors[name] = try file.tensor(name, shape: shape)
        }
        for (name, t) in tensors where !t.data.allSatisfy({ $0.isFinite }) {
            throw EngineError("\(path): tensor '\(name)' contains NaN or infinite values")
        }
        for (name, t) in tensors where name.hasSuffix("running_var") && t.data.contains(where: { $0 < 0 }) {
            throw EngineError("\(path): tensor '\(name)' has negative variances")
        }
        return NetworkWeights(tensors: tensors, origin: path)
    }

    /// Checks that every expected tensor is present with its shape.
    public func validate(for spec: NetworkSpec) throws {
        for (name, shape) in NetworkWeights.expectedShapes(spec) {
            guard let t = tensors[name] else { throw EngineError("\(origin): missing tensor '\(name)'") }
            guard t.shape == shape else {
                throw EngineError("\(origin): tensor '\(name)' has shape \(t.shapeDescription); expected \(Tensor.describe(shape))")
            }
        }
    }

    public func write(safetensors path: String) throws {
        try Safetensors.write(tensors, to: path, metadata: ["format": "pt", "origin": origin])
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed 64-bit generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1) on the grid k·2^−24.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }
}

/// FNV-1a, 64-bit, of a string's UTF-8 bytes.
func fnv1a(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}

/// A convolution's weight with BatchNorm folded in: `w' = w·γ/√(var+ε)` per output channel and
/// `b' = β − mean·γ/√(var+ε)`. The weight passed in is already quantized: quantization applies to the
/// convolution's own weights, and BatchNorm stays a float affine map, exactly as the demo evaluates
/// `bn(conv_q(x))` in eval mode.
public func foldBatchNorm(weight: [Float], outChannels: Int, gamma: [Float], beta: [Float], mean: [Float],
                          variance: [Float], epsilon: Float = NetworkWeights.batchNormEpsilon) -> (weight: [Float], bias: [Float]) {
    precondition(weight.count % outChannels == 0)
    let per = weight.count / outChannels
    var w = weight
    var b = [Float](repeating: 0, count: outChannels)
    for o in 0..<outChannels {
        let s = gamma[o] / (variance[o] + epsilon).squareRoot()
        for j in 0..<per { w[o * per + j] = weight[o * per + j] * s }
        b[o] = beta[o] - mean[o] * s
    }
    return (w, b)
}
