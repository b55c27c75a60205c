import BitOpsCore

/// What one unit of a mixed-precision search is: a whole block (its depthwise and pointwise layers at the
/// same bits) or a single layer.
public enum SearchGranularity: String, Codable, Sendable, CaseIterable {
    case block
    case layer
}

/// The cost axes a search can take a front over or limit. Both are exact integers from the accounting
/// (`NetworkSpec.cost`), under the space's BitOps convention.
public enum CostAxis: String, Codable, Sendable, CaseIterable {
    /// BitOps per image.
    case bitops
    /// Weight storage in bits (the `weights` budget is given in bytes and compared as bytes rounded up).
    case weightStorageBits = "weight_storage_bits"
}

/// The integer costs of one unit at one choice, or of the fixed part of the network.
public struct UnitCost: Hashable, Codable, Sendable {
    public var bitops: Int
    public var weightStorageBits: Int
    public init(bitops: Int, weightStorageBits: Int) {
        self.bitops = bitops
        self.weightStorageBits = weightStorageBits
    }
    public subscript(axis: CostAxis) -> Int {
        switch axis {
        case .bitops: return bitops
        case .weightStorageBits: return weightStorageBits
        }
    }
    enum CodingKeys: String, CodingKey {
        case bitops, weightStorageBits = "weight_storage_bits"
    }
}

/// A network, a granularity and a list of weight bit-widths: the units, and the exact cost of every unit at
/// every choice.
///
/// Costs are additive: a unit's BitOps and weight storage depend on its own weight bits only (under the
/// `wa` convention they also depend on activation bits, which the search does not change), so the cost of
/// an assignment is the fixed part (stem and classifier for a block search; the classifier for a layer
/// search) plus one term per unit — exactly, and `cost(of:)` checks it against the accounting itself.
public struct SearchSpace: Sendable {
    /// The network as given; the searched weight bits are replaced by each assignment.
    public let network: NetworkSpec
    public let inputSize: Int
    public let convention: BitOpsConvention
    public let granularity: SearchGranularity
    /// The weight bit-widths every unit may take, in the order given.
    public let choices: [BitWidth]
    /// Unit names: `block0`, … or `stem`, `block0.depthwise`, `block0.pointwise`, …
    public let units: [String]
    /// `unitCosts[u][c]`: unit u at `choices[c]`.
    public let unitCosts: [[UnitCost]]
    /// What every assignment costs besides its units.
    public let fixed: UnitCost

    public init(network: NetworkSpec, inputSize: Int, convention: BitOpsConvention = .weight,
                granularity: SearchGranularity, choices: [BitWidth]) throws {
        guard !choices.isEmpty else { throw SearchError("no choices given: expected bit-widths such as 2,4,8") }
        for b in choices where !b.isValid {
            throw SearchError("choice \(b) is out of range: expected \(BitWidth.expected)")
        }
        guard Set(choices).count == choices.count else {
            throw SearchError("choices \(choices.map(\.description).joined(separator: ",")) repeat a bit-width")
        }
        guard choices.count <= Int(UInt16.max) else { throw SearchError("too many choices (\(choices.count))") }
        self.network = network
        self.inputSize = inputSize
        self.convention = convention
        self.granularity = granularity
        self.choices = choices
        switch granularity {
        case .block:
            units = network.blocks.indices.map { "block\($0)" }
        case .layer:
            units = (network.stem == nil ? [] : ["stem"])
                + network.blocks.indices.flatMap { ["block\($0).depthwise", "block\($0).pointwise"] }
        }
        // Every unit at choice c in one accounting; a unit's cost depends on its own bits only.
        var perChoice: [[UnitCost]] = []
        var fixedPart: UnitCost?
        for b in choices {
            let report = try SearchSpace.assign(network, bits: Array(repeating: b, count: units.count), granularity: granularity)
                .cost(inputSize: inputSize, convention: convention)
            let costs: [UnitCost]
            switch granularity {
            case .block:
                costs = report.blocks.map { UnitCost(bitops: $0.totals.bitops, weightStorageBits: $0.totals.weightStorageBits) }
            case .layer:
                costs = try units.map { name in
                    guard let l = report.layers.first(where: { $0.name == name }) else { throw SearchError("internal: no layer \(name)") }
                    return UnitCost(bitops: l.bitops, weightStorageBits: l.weightStorageBits)
                }
            }
            perChoice.append(costs)
            let rest = UnitCost(bitops: report.totals.bitops - costs.map(\.bitops).reduce(0, +),
                                weightStorageBits: report.totals.weightStorageBits - costs.map(\.weightStorageBits).reduce(0, +))
            if let f = fixedPart, f != rest {
                throw SearchError("internal: the fixed cost changed with the searched bits (\(f) vs \(rest))")
            }
            fixedPart = rest
        }
        unitCosts = units.indices.map { u in choices.indices.map { perChoice[$0][u] } }
        fixed = fixedPart!
    }

    /// The network with unit u's weights at `bits[u]`.
    public func network(bits: [BitWidth]) throws -> NetworkSpec {
        guard bits.count == units.count else {
            throw SearchError("\(bits.count) bit-widths given for \(units.count) \(granularity.rawValue)s")
        }
        return try SearchSpace.assign(network, bits: bits, granularity: granularity)
    }

    /// The network with every searched unit float and the rest as given: the base that sensitivities are
    /// measured against.
    public var baseNetwork: NetworkSpec {
        // Cannot fail: the bit count matches and float is always valid.
        try! network(bits: Array(repeating: .float, count: units.count))
    }

    /// The network with every weight and activation float: the reference all noise is measured against.
    public var floatNetwork: NetworkSpec {
        var n = network
        n.stem?.bits = .float
        n.stem?.actBits = .float
        for i in n.blocks.indices {
            n.blocks[i].bits = .float
            n.blocks[i].actBits = .float
            n.blocks[i].depthwiseBits = nil
            n.blocks[i].pointwiseBits = nil
        }
        n.classifierBits = .float
        return n
    }

    static func assign(_ network: NetworkSpec, bits: [BitWidth], granularity: SearchGranularity) throws -> NetworkSpec {
        var n = network
        switch granularity {
        case .block:
            // validate() rejects a width built out of range.
            for (i, b) in bits.enumerated() { n.blocks[i].bits = b }
        case .layer:
            var k = 0
            if n.stem != nil {
                n.stem?.bits = bits[0]
                k = 1
            }
            for i in n.blocks.indices {
                n.blocks[i].depthwiseBits = bits[k + 2 * i]
                n.blocks[i].pointwiseBits = bits[k + 2 * i + 1]
            }
        }
        try n.validate()
        return n
    }

    /// The exact cost of an assignment given as choice indices: fixed + Σ units.
    public func cost(choices picks: [Int]) throws -> UnitCost {
        var c = fixed
        for (u, k) in picks.enumerated() {
            c.bitops = try addCost(c.bitops, unitCosts[u][k].bitops)
            c.weightStorageBits = try addCost(c.weightStorageBits, unitCosts[u][k].weightStorageBits)
        }
        return c
    }

    /// Choice indices → bit-widths.
    public func bits(choices picks: [Int]) -> [BitWidth] { picks.map { choices[$0] } }
}
