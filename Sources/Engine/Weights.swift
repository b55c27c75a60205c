import BitOpsCore
import Dispatch
import StableIO

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

    /// The expected shape of one tensor by its name, without listing the others (constant time: the network
    /// builder asks once per tensor, and listing every tensor each time made building N blocks O(N²)).
    /// Agrees with `expectedShapes` for every name it lists, and is nil for any other name.
    static func expectedShape(_ name: String, spec: NetworkSpec) -> [Int]? {
        let bnParams: Set<Substring> = ["weight", "bias", "running_mean", "running_var"]
        let first = spec.stem?.outChannels ?? spec.inputChannels
        switch name {
        case "stem.conv.weight":
            return spec.stem.map { [$0.outChannels, spec.inputChannels, $0.kernel, $0.kernel] }
        case "classifier.weight":
            return [spec.classes, spec.blocks.last?.outChannels ?? first]
        case "classifier.bias":
            return [spec.classes]
        default:
            break
        }
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 3, parts[0] == "stem", parts[1] == "bn", bnParams.contains(parts[2]), let stem = spec.stem {
            return [stem.outChannels]
        }
        guard parts.count == 4, parts[0] == "blocks", let i = Int(parts[1]), String(i) == parts[1],
              spec.blocks.indices.contains(i) else { return nil }
        let c = i == 0 ? first : spec.blocks[i - 1].outChannels
        let b = spec.blocks[i]
        switch (parts[2], parts[3]) {
        case ("depthwise", "weight"): return [c, 1, b.kernel, b.kernel]
        case ("pointwise", "weight"): return [b.outChannels, c, 1, 1]
        case ("bn1", let p) where bnParams.contains(p): return [c]
        case ("bn2", let p) where bnParams.contains(p): return [b.outChannels]
        default: return nil
        }
    }

    /// Deterministic weights from a seed, identical on every machine and for every thread count, with
    /// BatchNorm at its initial state (γ = 1, β = 0, mean 0, var 1). Two rules (`WeightInit`):
    ///
    /// - `heNormal` (default): He et al. 2015, `kaiming_normal_(mode="fan_in", nonlinearity="relu")`:
    ///   every convolution weight ~ N(0, 2/fan_in), fan_in = (C_in/groups)·K·K (K·K for a depthwise layer), so
    ///   activations keep their scale through the ReLU6 layers and activation quantization on [0, 6] sees
    ///   realistic values; the classifier as torchvision's MobileNets: weight ~ N(0, 0.01²), bias 0.
    /// - `pytorchDefault`: what an untrained `nn.Conv2d`/`nn.Linear` holds (the demo's untrained model):
    ///   `kaiming_uniform_(a=√5)`, i.e. U(−1/√fan_in, 1/√fan_in), and the same bound for the linear bias.
    ///   The signal then shrinks about 6× per convolution, so deep activations fall below one step of the
    ///   [0, 6] activation grid.
    ///
    /// The numbers are BitSweep's own, not PyTorch's (a different generator): each tensor draws from its own
    /// SplitMix64 stream seeded with `seed ⊕ FNV-1a(name)`. A uniform float is the top 24 bits of a draw ×
    /// 2^−24; a normal is Box–Muller on two 53-bit uniforms with `log` and `cos` evaluated by BitSweep's own
    /// series in Double (only +, −, ×, ÷ and √, so no dependence on the platform's libm). A tensor does not
    /// change when blocks are added after it.
    public static func seeded(_ seed: UInt64, spec: NetworkSpec, initialization: WeightInit = .heNormal) -> NetworkWeights {
        var tensors: [String: Tensor] = [:]
        for (name, _) in expectedShapes(spec) {
            tensors[name] = seededTensor(name, seed: seed, spec: spec, initialization: initialization)
        }
        return NetworkWeights(tensors: tensors, origin: "seed \(seed) (\(initialization.rawValue))")
    }

    /// One tensor of `seeded(seed, spec:)`, or nil when the network has no tensor of that name.
    static func seededTensor(_ name: String, seed: UInt64, spec: NetworkSpec, initialization: WeightInit) -> Tensor? {
        guard let shape = expectedShape(name, spec: spec) else { return nil }
        let rows = shape.first ?? 1
        return Tensor(shape: shape, data: seededValues(name, seed: seed, spec: spec, initialization: initialization,
                                                       rows: 0..<rows)!)
    }

    /// Rows `rows` (along dimension 0) of a seeded tensor; each value depends only on its index.
    static func seededValues(_ name: String, seed: UInt64, spec: NetworkSpec, initialization: WeightInit,
                             rows: Range<Int>) -> [Float]? {
        guard let shape = expectedShape(name, spec: spec) else { return nil }
        let perRow = shape.dropFirst().reduce(1, *)
        let first = rows.lowerBound * perRow
        let count = rows.count * perRow
        let isBN = name.hasPrefix("stem.bn.") || name.contains(".bn1.") || name.contains(".bn2.")
        if isBN {
            let one = name.hasSuffix(".running_var") || name.hasSuffix(".weight")
            return [Float](repeating: one ? 1 : 0, count: count)
        }
        let fanIn = name == "classifier.bias"
            ? expectedShape("classifier.weight", spec: spec)![1]
            : perRow
        let role: SeededParameter = name == "classifier.bias" ? .bias : (name == "classifier.weight" ? .linearWeight : .convolutionWeight)
        return role.values(seed ^ StableHash.fnv1a(name), count: count, first: first, fanIn: fanIn, initialization: initialization)
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

/// What a seeded weight or bias tensor is, which decides its rule (`NetworkWeights.seeded`, `GraphWeights.seeded`).
enum SeededParameter {
    case convolutionWeight, linearWeight, bias

    /// Values `first ..< first + count` of the tensor whose SplitMix64 stream is `stream` (`seed ⊕ FNV-1a(name)`):
    ///
    /// - `heNormal`: a convolution weight ~ N(0, 2/fan_in), a linear weight ~ N(0, 0.01²), a bias 0;
    /// - `pytorchDefault`: every weight and bias ~ U(−1/√fan_in, 1/√fan_in), value j from draw j.
    func values(_ stream: UInt64, count: Int, first: Int = 0, fanIn: Int, initialization: WeightInit) -> [Float] {
        var data = [Float](repeating: 0, count: count)
        switch initialization {
        case .pytorchDefault:
            let bound = 1 / Float(fanIn).squareRoot()
            var rng = SplitMix64(seed: stream, skip: UInt64(first))
            for i in 0..<count { data[i] = bound * (2 * rng.nextUnitFloat() - 1) }
        case .heNormal:
            switch self {
            case .bias: break
            case .linearWeight: fillNormal(&data, std: 0.01, stream: stream, first: first)
            case .convolutionWeight: fillNormal(&data, std: (2 / Double(fanIn)).squareRoot(), stream: stream, first: first)
            }
        }
        return data
    }
}

/// Fills `data` with values `first ..< first + data.count` of the N(0, std²) sequence of the SplitMix64 stream
/// `stream`: value j uses draw j, in Box–Muller pairs (values 2p and 2p+1 are the cosine and sine halves of
/// draws 2p, 2p+1). The generator jumps ahead exactly, so fixed chunks are filled in parallel and the result
/// depends neither on the number of threads nor on how a tensor is split into ranges.
func fillNormal(_ data: inout [Float], std: Double, stream: UInt64, first: Int = 0) {
    let count = data.count
    let chunk = 1 << 15   // even
    let start = first & ~1                     // the pair holding the first value
    let end = first + count
    let chunks = (end - start + chunk - 1) / chunk
    data.withUnsafeMutableBufferPointer { buffer in
        let base = buffer.baseAddress!
        let fill = { (c: Int) in
            var j = start + c * chunk
            let stop = min(end, j + chunk)
            var rng = SplitMix64(seed: stream, skip: UInt64(j))
            while j < stop {
                let (z0, z1) = rng.nextNormalPair()
                if j >= first { base[j - first] = Float(std * z0) }
                if j + 1 >= first && j + 1 < end { base[j + 1 - first] = Float(std * z1) }
                j += 2
            }
        }
        if chunks <= 1 { if chunks == 1 { fill(0) } } else { DispatchQueue.concurrentPerform(iterations: chunks, execute: fill) }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, well-mixed 64-bit generator.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }
    /// The generator after `skip` draws from `seed` (SplitMix64's state advances by a constant per draw).
    public init(seed: UInt64, skip: UInt64) { state = seed &+ skip &* 0x9E37_79B9_7F4A_7C15 }
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

    /// Two independent standard normals: Box–Muller, `√(−2 ln u₁)·(cos 2πu₂, sin 2πu₂)` with u₁ ∈ (0, 1],
    /// u₂ ∈ [0, 1) on 2^−53 grids, using `DeterministicMath`.
    public mutating func nextNormalPair() -> (Double, Double) {
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        let r = (-2 * DeterministicMath.log(u1)).squareRoot()
        let (c, s) = DeterministicMath.cosSinTwoPi(u2)
        return (r * c, r * s)
    }
}

/// `log` and `cos` from +, −, ×, ÷ only, so that seeded weights do not depend on the platform's libm.
/// Accurate to a few ulps of Double (far below Float resolution); not correctly rounded.
public enum DeterministicMath {
    static let ln2 = 0.693_147_180_559_945_309_417
    static let sqrt2 = 1.414_213_562_373_095_048_80

    /// Natural logarithm of a positive, finite x: x = m·2^e with m ∈ [√½, √2), ln m = 2·atanh((m−1)/(m+1)).
    public static func log(_ x: Double) -> Double {
        precondition(x > 0 && x.isFinite)
        var e = Double(x.exponent)
        var m = x.significand            // exact, in [1, 2)
        if m > sqrt2 { m /= 2; e += 1 }
        let s = (m - 1) / (m + 1)        // |s| ≤ 0.1716
        let s2 = s * s
        var term = s, sum = 0.0
        var k = 1.0
        while k < 28 {                   // |s|^28/28 < 1e-22
            sum += term / k
            term *= s2
            k += 2
        }
        return e * ln2 + 2 * sum
    }

    /// (cos 2πv, sin 2πv) for v ∈ [0, 1): reduced to an angle in [0, π/4] by the symmetries of the circle,
    /// then Taylor series (error below 1e-16 there).
    public static func cosSinTwoPi(_ v: Double) -> (cos: Double, sin: Double) {
        let t = v - v.rounded(.down)             // [0, 1)
        let octant = Int(t * 8)                  // 0…7
        var r = t * 8 - Double(octant)           // [0, 1) within the octant
        let mirrored = octant % 2 == 1
        if mirrored { r = 1 - r }                // angle measured from the nearer axis
        let x = r * (Double.pi / 4)
        let x2 = x * x
        // Taylor series to x^20 / x^21: (π/4)^22/22! < 1e-23.
        var c = 1.0, s = x, tc = 1.0, ts = x
        var n = 1.0
        while n < 20 {
            tc *= -x2 / (n * (n + 1))
            ts *= -x2 / ((n + 1) * (n + 2))
            c += tc
            s += ts
            n += 2
        }
        // (a, b) = (cos, sin) of the angle from the octant's axis; map back to the full angle.
        let (a, b) = (c, s)
        switch octant {
        case 0: return (a, b)            // θ = x
        case 1: return (b, a)            // θ = π/2 − x
        case 2: return (-b, a)           // θ = π/2 + x
        case 3: return (-a, b)           // θ = π − x
        case 4: return (-a, -b)          // θ = π + x
        case 5: return (-b, -a)          // θ = 3π/2 − x
        case 6: return (b, -a)           // θ = 3π/2 + x
        default: return (a, -b)          // θ = 2π − x
        }
    }
}


/// A convolution's weight with BatchNorm folded in: `w' = w·γ/√(var+ε)` per output channel and
/// `b' = β − mean·γ/√(var+ε)`. The weight passed in is already quantized: quantization applies to the
/// convolution's own weights, and BatchNorm stays a float affine map, exactly as the demo evaluates
/// `bn(conv_q(x))` in eval mode.
public func foldBatchNorm(weight: [Float], outChannels: Int, gamma: [Float], beta: [Float], mean: [Float],
                          variance: [Float], epsilon: Float = NetworkWeights.batchNormEpsilon) -> (weight: [Float], bias: [Float]) {
    var w = weight
    let b = foldBatchNormInPlace(&w, outChannels: outChannels, gamma: gamma, beta: beta, mean: mean, variance: variance,
                                 epsilon: epsilon)
    return (w, b)
}

/// `foldBatchNorm`, scaling `weight` in place; returns the folded bias.
public func foldBatchNormInPlace(_ weight: inout [Float], outChannels: Int, gamma: [Float], beta: [Float], mean: [Float],
                                 variance: [Float], epsilon: Float = NetworkWeights.batchNormEpsilon) -> [Float] {
    precondition(weight.count % outChannels == 0)
    let per = weight.count / outChannels
    var b = [Float](repeating: 0, count: outChannels)
    weight.withUnsafeMutableBufferPointer { w in
        for o in 0..<outChannels {
            let s = gamma[o] / (variance[o] + epsilon).squareRoot()
            for j in 0..<per { w[o * per + j] *= s }
            b[o] = beta[o] - mean[o] * s
        }
    }
    return b
}
