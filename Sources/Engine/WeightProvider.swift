import BitOpsCore

/// Hands the network builder one tensor at a time, so that seeded weights are generated layer by layer and
/// never all held in plain form next to their oneDNN copies.
protocol WeightProvider {
    func tensor(_ name: String, shape: [Int]) throws -> Tensor
}

extension NetworkWeights: WeightProvider {
    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = tensors[name] else { throw EngineError("\(origin): missing tensor '\(name)'") }
        guard t.shape == shape else {
            throw EngineError("\(origin): tensor '\(name)' has shape \(t.shapeDescription); expected \(Tensor.describe(shape))")
        }
        return t
    }
}

/// `NetworkWeights.seeded`, one tensor at a time (the same numbers: each tensor has its own stream).
struct SeededWeights: WeightProvider {
    let seed: UInt64
    let spec: NetworkSpec
    let initialization: WeightInit

    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        guard let t = NetworkWeights.seededTensor(name, seed: seed, spec: spec, initialization: initialization) else {
            throw EngineError("seed \(seed): no tensor '\(name)' in this network")
        }
        guard t.shape == shape else {
            throw EngineError("seed \(seed): tensor '\(name)' has shape \(t.shapeDescription); expected \(Tensor.describe(shape))")
        }
        return t
    }
}

/// A safetensors file, checked up front for every tensor the network needs (name, shape, dtype, extent), then
/// converted one tensor at a time.
struct FileWeights: WeightProvider {
    let file: Safetensors.File

    init(path: String, spec: NetworkSpec) throws {
        file = try Safetensors.read(path: path)
        for (name, shape) in NetworkWeights.expectedShapes(spec) {
            _ = try file.check(name, shape: shape)
        }
    }

    func tensor(_ name: String, shape: [Int]) throws -> Tensor {
        let t = try file.tensor(name, shape: shape)
        guard t.data.allSatisfy({ $0.isFinite }) else {
            throw EngineError("\(file.path): tensor '\(name)' contains NaN or infinite values")
        }
        if name.hasSuffix("running_var"), t.data.contains(where: { $0 < 0 }) {
            throw EngineError("\(file.path): tensor '\(name)' has negative variances")
        }
        return t
    }
}
