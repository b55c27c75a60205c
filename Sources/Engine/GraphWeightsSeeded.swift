import BitOpsCore
import StableIO

/// What a `GraphNetwork` needs from its `GraphWeights` (the naming contract of GraphWeights.swift), a check of
/// a set of weights against it, and deterministic seeded weights.
extension GraphWeights {
    /// Every tensor the network needs on `inputSize`×`inputSize` images, with its shape, in graph order (a
    /// gemm after `flatten` reads C·H·W features, which depend on the size).
    public static func expectedShapes(_ network: GraphNetwork, inputSize: Int) throws -> [(name: String, shape: [Int])] {
        let cost = try network.cost(inputSize: inputSize)
        var inputChannels: [String: Int] = [:]
        for l in cost.layers { inputChannels[l.name] = l.inputShape.channels }
        for o in cost.operations { inputChannels[o.name] = o.inputShape.channels }
        var out: [(String, [Int])] = []
        for l in network.layers {
            let c = inputChannels[l.name]!
            switch l.op {
            case .conv(let a):
                out.append(("\(l.name).weight", [a.outChannels, c / a.groups, a.kernel, a.kernel]))
                if a.bias { out.append(("\(l.name).bias", [a.outChannels])) }
            case .gemm(let n, let bias):
                out.append(("\(l.name).weight", [n, c]))
                if bias { out.append(("\(l.name).bias", [n])) }
            case .batchNorm:
                for p in ["weight", "bias", "running_mean", "running_var"] { out.append(("\(l.name).\(p)", [c])) }
            case .activation, .add, .mul, .globalAveragePool, .maxPool, .averagePool, .flatten:
                break
            }
        }
        return out
    }

    /// Checks these weights against the network: a missing tensor, a tensor the network does not have, a
    /// wrong shape, a non-finite value or a negative variance is a one-line error naming the tensor (and the
    /// expected shape).
    public func validate(for network: GraphNetwork, inputSize: Int) throws {
        let expected = try Self.expectedShapes(network, inputSize: inputSize)
        for (name, shape) in expected {
            guard let t = tensors[name] else {
                throw EngineError("\(origin): missing tensor '\(name)' (expected shape \(Tensor.describe(shape)))")
            }
            guard t.shape == shape else {
                throw EngineError("\(origin): tensor '\(name)' has shape \(t.shapeDescription); expected \(Tensor.describe(shape))")
            }
            guard t.data.allSatisfy({ $0.isFinite }) else {
                throw EngineError("\(origin): tensor '\(name)' contains NaN or infinite values")
            }
            if name.hasSuffix(".running_var"), t.data.contains(where: { $0 < 0 }) {
                throw EngineError("\(origin): tensor '\(name)' has negative variances")
            }
        }
        let names = Set(expected.map(\.name))
        if let extra = tensors.keys.sorted().first(where: { !names.contains($0) }) {
            throw EngineError("\(origin): unexpected tensor '\(extra)': \(network.name) has no parameter of that name")
        }
        for (layer, eps) in batchNormEpsilon.sorted(by: { $0.key < $1.key }) {
            guard network.layers.contains(where: { $0.name == layer && $0.op == .batchNorm }) else {
                throw EngineError("\(origin): batch-norm epsilon given for '\(layer)', which is not a batch-norm layer of \(network.name)")
            }
            guard eps.isFinite, eps >= 0 else {
                throw EngineError("\(origin): batch-norm epsilon of '\(layer)' is \(eps); expected a finite value ≥ 0")
            }
        }
    }

    /// Deterministic weights from a seed, by the same scheme as `NetworkWeights.seeded` (each tensor its own
    /// SplitMix64 stream seeded with `seed ⊕ FNV-1a(name)`, values independent of the machine and thread count):
    ///
    /// - `heNormal`: convolution weights ~ N(0, 2/fan_in) with fan_in = (C_in/groups)·K·K; gemm weights
    ///   ~ N(0, 0.01²) (torchvision's MobileNets' linear layers); every bias 0.
    /// - `pytorchDefault`: convolution and gemm weights and biases ~ U(−1/√fan_in, 1/√fan_in) (an untrained
    ///   `nn.Conv2d` / `nn.Linear`), fan_in of the layer's weight.
    /// - Batch norm at its initial state in both: γ = 1, β = 0, mean 0, variance 1.
    public static func seeded(_ seed: UInt64, network: GraphNetwork, inputSize: Int,
                              initialization: WeightInit = .heNormal) throws -> GraphWeights {
        let expected = try expectedShapes(network, inputSize: inputSize)
        let kinds = Dictionary(uniqueKeysWithValues: network.layers.map { ($0.name, $0.op) })
        let weightShapes = Dictionary(uniqueKeysWithValues: expected.filter { $0.name.hasSuffix(".weight") })
        var tensors: [String: Tensor] = [:]
        for (name, shape) in expected {
            let dot = name.lastIndex(of: ".")!
            let layer = String(name[..<dot]), parameter = String(name[name.index(after: dot)...])
            let count = shape.reduce(1, *)
            let op = kinds[layer]!
            if op == .batchNorm {
                let one = parameter == "weight" || parameter == "running_var"
                tensors[name] = Tensor(repeating: one ? 1 : 0, shape: shape)
                continue
            }
            let fanIn = weightShapes[layer + ".weight"]!.dropFirst().reduce(1, *)
            let role: SeededParameter
            if parameter != "weight" {
                role = .bias
            } else if case .gemm = op {
                role = .linearWeight
            } else {
                role = .convolutionWeight
            }
            tensors[name] = Tensor(shape: shape, data: role.values(seed ^ StableHash.fnv1a(name), count: count, fanIn: fanIn,
                                                                   initialization: initialization))
        }
        return GraphWeights(tensors: tensors, origin: "seed \(seed) (\(initialization.rawValue))")
    }
}
