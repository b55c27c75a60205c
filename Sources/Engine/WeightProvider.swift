import BitOpsCore

/// Hands the network builder one tensor at a time, so that seeded weights are generated layer by layer and
/// never all held in plain form next to their oneDNN copies.
protocol WeightProvider {
    func tensor(_ name: String, shape: [Int]) throws -> Tensor
    /// Rows `rows` (along dimension 0) of the tensor, row-major; lets big layers be placed in chunks.
    func values(_ name: String, shape: [Int], rows: Range<Int>) throws -> [Float]
}

extension WeightProvider {
    func values(_ name: String, shape: [Int], rows: Range<Int>) throws -> [Float] {
        let t = try tensor(name, shape: shape)
        let perRow = shape.dropFirst().reduce(1, *)
        return Array(t.data[(rows.lowerBound * perRow)..<(rows.upperBound * perRow)])
    }
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

    func values(_ name: String, shape: [Int], rows: Range<Int>) throws -> [Float] {
        guard NetworkWeights.expectedShape(name, spec: spec) == shape,
              let v = NetworkWeights.seededValues(name, seed: seed, spec: spec, initialization: initialization, rows: rows) else {
            throw EngineError("seed \(seed): no tensor '\(name)' of shape \(Tensor.describe(shape)) in this network")
        }
        return v
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
        Tensor(shape: shape, data: try values(name, shape: shape, rows: 0..<(shape.first ?? 1)))
    }

    func values(_ name: String, shape: [Int], rows: Range<Int>) throws -> [Float] {
        let v = try file.values(name, shape: shape, rows: rows)
        guard v.allSatisfy({ $0.isFinite }) else {
            throw EngineError("\(file.path): tensor '\(name)' contains NaN or infinite values")
        }
        if name.hasSuffix("running_var"), v.contains(where: { $0 < 0 }) {
            throw EngineError("\(file.path): tensor '\(name)' has negative variances")
        }
        return v
    }
}
