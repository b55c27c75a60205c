import BitOpsCore
import StableIO
/// A budget for `bitsweep search`: `bitops<=1.5G`, `weights<=1MiB`, `act-memory<=512KiB`, `time<=2ms`.
public struct SearchBudget: Hashable, Codable, Sendable, CustomStringConvertible {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// BitOps per image (a count).
        case bitops
        /// Weight storage, bytes.
        case weights
        /// Peak live activation memory, bytes (does not depend on weight bits: checked once).
        case actMemory = "act-memory"
        /// Engine time per image, milliseconds (the engine simulates every precision in fp32, so the time
        /// does not depend on weight bits: checked once).
        case time
    }
    public var kind: Kind
    /// BitOps, bytes or milliseconds.
    public var limit: Double
    /// As written (`bitops<=1.5G`).
    public var text: String

    public init(kind: Kind, limit: Double, text: String) {
        self.kind = kind
        self.limit = limit
        self.text = text
    }

    public var description: String { text }

    /// The cost axis this budget limits, nil for the assignment-independent ones.
    public var axis: CostAxis? {
        switch kind {
        case .bitops: return .bitops
        case .weights: return .weightStorageBits
        case .actMemory, .time: return nil
        }
    }

    /// The limit on the axis in its integer unit: BitOps, or weight storage bits (a weight budget of B bytes
    /// admits ⌈bits/8⌉ ≤ ⌊B⌋, i.e. bits ≤ 8·⌊B⌋).
    public var axisLimit: Int? {
        switch kind {
        case .bitops: return limit >= Double(Int.max) ? Int.max : Int(limit.rounded(.down))
        case .weights:
            let bytes = limit >= Double(Int.max / 8) ? Int.max / 8 : Int(limit.rounded(.down))
            return bytes * 8
        case .actMemory, .time: return nil
        }
    }

    enum CodingKeys: String, CodingKey { case kind, limit, text }
}

/// One assignment of the search's output.
public struct SearchPoint: Hashable, Codable, Sendable {
    /// Weight bits per unit.
    public var bits: [BitWidth]
    public var bitops: Int
    public var weightStorageBits: Int
    public var predictedNoisePower: Double
    public var predictedSQNRDB: Double
    /// Filled when the assignment was run.
    public var measuredNoisePower: Double?
    public var measuredSQNRDB: Double?
    public var measuredTop1Agreement: Double?

    public init(bits: [BitWidth], cost: UnitCost, predictedNoisePower: Double, predictedSQNRDB: Double) {
        self.bits = bits
        bitops = cost.bitops
        weightStorageBits = cost.weightStorageBits
        self.predictedNoisePower = predictedNoisePower
        self.predictedSQNRDB = predictedSQNRDB
    }

    public var cost: UnitCost { UnitCost(bitops: bitops, weightStorageBits: weightStorageBits) }

    enum CodingKeys: String, CodingKey {
        case bits, bitops, weightStorageBits = "weight_storage_bits", predictedNoisePower = "predicted_noise_power"
        case predictedSQNRDB = "predicted_sqnr_db", measuredNoisePower = "measured_noise_power"
        case measuredSQNRDB = "measured_sqnr_db", measuredTop1Agreement = "measured_top1_agreement"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeWidths(bits, forKey: .bits)
        try c.encode(bitops, forKey: .bitops)
        try c.encode(weightStorageBits, forKey: .weightStorageBits)
        try c.encode(predictedNoisePower, forKey: .predictedNoisePower)
        try c.encode(JSONDouble(predictedSQNRDB), forKey: .predictedSQNRDB)
        try c.encode(measuredNoisePower, forKey: .measuredNoisePower)
        try c.encode(measuredSQNRDB.map(JSONDouble.init), forKey: .measuredSQNRDB)
        try c.encode(measuredTop1Agreement, forKey: .measuredTop1Agreement)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bits = try c.decode([BitWidth].self, forKey: .bits)
        bitops = try c.decode(Int.self, forKey: .bitops)
        weightStorageBits = try c.decode(Int.self, forKey: .weightStorageBits)
        predictedNoisePower = try c.decode(Double.self, forKey: .predictedNoisePower)
        predictedSQNRDB = try c.decode(JSONDouble.self, forKey: .predictedSQNRDB).value
        measuredNoisePower = try c.decodeIfPresent(Double.self, forKey: .measuredNoisePower)
        measuredSQNRDB = try c.decodeIfPresent(JSONDouble.self, forKey: .measuredSQNRDB)?.value
        measuredTop1Agreement = try c.decodeIfPresent(Double.self, forKey: .measuredTop1Agreement)
    }
}


/// What a measurement of one assignment returns.
public struct MeasuredNoise: Hashable, Sendable {
    public var noisePower: Double
    public var top1Agreement: Double
    public init(noisePower: Double, top1Agreement: Double) {
        self.noisePower = noisePower
        self.top1Agreement = top1Agreement
    }
}

/// The best assignment under one budget.
public struct BudgetChoice: Hashable, Codable, Sendable {
    public var budget: SearchBudget
    /// Index into `front` of the best predicted point under the budget (nil when none fits).
    public var bestPredicted: Int?
    /// Index into `front` of the best measured point among the verified ones under the budget.
    public var bestMeasured: Int?
    /// For act-memory and time budgets: the network's figure (bytes or ms) and whether it fits.
    public var networkValue: Double?
    public var met: Bool

    enum CodingKeys: String, CodingKey {
        case budget, bestPredicted = "best_predicted", bestMeasured = "best_measured", networkValue = "network_value", met
    }
}

/// Where verification contradicted the model: a verified point measured worse than a cheaper verified one.
public struct NonMonotone: Hashable, Codable, Sendable {
    /// Index into `front`.
    public var point: Int
    /// The cheaper verified point measured at least as good.
    public var cheaper: Int
    public var measuredSQNRDB: Double
    public var cheaperMeasuredSQNRDB: Double
    enum CodingKeys: String, CodingKey {
        case point, cheaper, measuredSQNRDB = "measured_sqnr_db", cheaperMeasuredSQNRDB = "cheaper_measured_sqnr_db"
    }
}

/// The outcome of a search: the predicted front (with the verified points measured), uniform references,
/// and the best assignment per budget.
public struct SearchOutcome: Codable, Sendable {
    /// The axis the front is taken over.
    public var primary: CostAxis
    public var budgets: [SearchBudget]
    public var front: [SearchPoint]
    /// Indices into `front` of the points that were run.
    public var verified: [Int]
    /// Indices into `front` of the measured front: verified points no other verified point beats on both
    /// cost and measured SQNR.
    public var measuredFront: [Int]
    /// Every unit at the same choice, one per choice (within or outside the budgets), measured.
    public var uniform: [SearchPoint]
    public var best: [BudgetChoice]
    public var nonMonotone: [NonMonotone]
    /// Assignments in the search space (∏ choices), nil when beyond 64 bits.
    public var assignments: Int?
    public var frontSeconds: Double
    public var stats: FrontStats

    enum CodingKeys: String, CodingKey {
        case primary = "front_over", budgets, front, verified, measuredFront = "measured_front", uniform, best
        case nonMonotone = "non_monotone", assignments, frontSeconds = "front_seconds", stats
    }
}


/// The search: budgets → knapsack → exact front of the model → verification → best per budget.
public enum MixedPrecisionSearch {
    /// The axis the front is over: the first budget's axis that depends on the assignment, else BitOps.
    public static func primaryAxis(_ budgets: [SearchBudget]) -> CostAxis {
        budgets.lazy.compactMap(\.axis).first ?? .bitops
    }

    /// The knapsack for a space and a sensitivity table under budgets: axes (bitops, weight storage bits),
    /// in the primary's order first. Limits: the loosest budget on the primary axis (each primary budget
    /// then picks its own point along the front), the tightest on the other.
    public static func problem(space: SearchSpace, table: SensitivityTable, budgets: [SearchBudget]) throws -> (ParetoProblem, [CostAxis]) {
        guard table.units == space.units, table.choices == space.choices else {
            throw SearchError("the sensitivity table's units or choices do not match the search space")
        }
        let primary = primaryAxis(budgets)
        let axes: [CostAxis] = primary == .bitops ? [.bitops, .weightStorageBits] : [.weightStorageBits, .bitops]
        var limits: [Int?] = [nil, nil]
        for (a, axis) in axes.enumerated() {
            let ls = budgets.filter { $0.axis == axis }.compactMap(\.axisLimit)
            guard !ls.isEmpty else { continue }
            limits[a] = a == 0 ? ls.max() : ls.min()
        }
        let units = space.unitCosts.indices.map { u in
            space.choices.indices.map { c in
                ParetoProblem.Choice(costs: axes.map { space.unitCosts[u][c][$0] }, noise: table.noisePower[u][c])
            }
        }
        return (ParetoProblem(units: units, fixedCosts: axes.map { space.fixed[$0] }, fixedNoise: table.fixedNoisePower,
                              limits: limits), axes)
    }

    /// `count` indices spread evenly over 0..<n, both ends included (all of them when count ≥ n).
    public static func spread(_ n: Int, count: Int) -> [Int] {
        guard count < n else { return Array(0..<n) }
        guard count > 1 else { return count == 1 ? [n - 1] : [] }
        var out: [Int] = []
        for i in 0..<count {
            let k = Int((Double(i) * Double(n - 1) / Double(count - 1)).rounded())
            if out.last != k { out.append(k) }
        }
        return out
    }

    /// Indices of the non-dominated points among `points` (cost ascending, quality strictly increasing);
    /// one per distinct (cost, quality), the first in index order.
    public static func paretoIndices(costs: [Int], qualities: [Double]) -> [Int] {
        let order = costs.indices.sorted { costs[$0] != costs[$1] ? costs[$0] < costs[$1] : (qualities[$0] != qualities[$1] ? qualities[$0] > qualities[$1] : $0 < $1) }
        var out: [Int] = []
        var best = -Double.infinity
        for i in order where qualities[i] > best {
            best = qualities[i]
            out.append(i)
        }
        return out
    }

    /// Runs the search. `measure` runs one assignment (bits per unit) and returns its output noise against
    /// the float network; it is called for the verified front points and for the uniform references.
    /// `network` gives the assignment-independent figures: peak activation bytes.
    /// `verify` maps the front's size to the number of points to run (spread evenly; `{ $0 }` runs all).
    public static func run(space: SearchSpace, table: SensitivityTable, budgets: [SearchBudget], verify: (Int) -> Int,
                           peakActivationBytes: Int, measure: ([BitWidth]) throws -> MeasuredNoise,
                           clock: () -> Double) throws -> SearchOutcome {
        let (problem, axes) = try problem(space: space, table: table, budgets: budgets)
        // The assignment-independent budgets.
        var constantMet = true
        var best: [BudgetChoice] = []
        for b in budgets {
            switch b.kind {
            case .actMemory:
                let ok = Double(peakActivationBytes) <= b.limit
                constantMet = constantMet && ok
                best.append(BudgetChoice(budget: b, networkValue: Double(peakActivationBytes), met: ok))
            case .time:
                let ms = table.msPerImage ?? .infinity
                let ok = ms <= b.limit
                constantMet = constantMet && ok
                best.append(BudgetChoice(budget: b, networkValue: table.msPerImage, met: ok))
            case .bitops, .weights:
                best.append(BudgetChoice(budget: b, met: true))
            }
        }
        var stats = FrontStats()
        var raw: [FrontPoint] = []
        let t0 = clock()
        if constantMet { (raw, stats) = try problem.frontAndStats() }
        let seconds = clock() - t0
        var front = try raw.map { p -> SearchPoint in
            SearchPoint(bits: space.bits(choices: p.choices), cost: try space.cost(choices: p.choices),
                        predictedNoisePower: p.noise, predictedSQNRDB: NoiseModel.sqnrDB(signal: table.signalPower, noise: p.noise))
        }
        // Verify an even spread of the front.
        let verified = spread(front.count, count: verify(front.count))
        for i in verified {
            let m = try measure(front[i].bits)
            front[i].measuredNoisePower = m.noisePower
            front[i].measuredSQNRDB = NoiseModel.sqnrDB(signal: table.signalPower, noise: m.noisePower)
            front[i].measuredTop1Agreement = m.top1Agreement
        }
        let primaryCost = { (p: SearchPoint) in p.cost[axes[0]] }
        let measuredFront = paretoIndices(costs: verified.map { primaryCost(front[$0]) },
                                  qualities: verified.map { front[$0].measuredSQNRDB! }).map { verified[$0] }
        // Non-monotone: a verified point measured no better than a cheaper verified one.
        var nonMonotone: [NonMonotone] = []
        var bestSoFar: Int?
        for i in verified {
            if let j = bestSoFar, front[i].measuredSQNRDB! <= front[j].measuredSQNRDB! {
                nonMonotone.append(NonMonotone(point: i, cheaper: j, measuredSQNRDB: front[i].measuredSQNRDB!,
                                               cheaperMeasuredSQNRDB: front[j].measuredSQNRDB!))
            } else {
                bestSoFar = i
            }
        }
        // Uniform references.
        var uniform: [SearchPoint] = []
        for c in space.choices.indices {
            let picks = Array(repeating: c, count: space.units.count)
            let noise = table.predictedNoise(choices: picks)
            var p = SearchPoint(bits: space.bits(choices: picks), cost: try space.cost(choices: picks),
                                predictedNoisePower: noise, predictedSQNRDB: NoiseModel.sqnrDB(signal: table.signalPower, noise: noise))
            let m = try measure(p.bits)
            p.measuredNoisePower = m.noisePower
            p.measuredSQNRDB = NoiseModel.sqnrDB(signal: table.signalPower, noise: m.noisePower)
            p.measuredTop1Agreement = m.top1Agreement
            uniform.append(p)
        }
        // Best per budget (every front point already meets the non-primary limits).
        for k in best.indices where best[k].budget.axis != nil {
            let b = best[k].budget
            let fits = front.indices.filter { i in
                b.axis == axes[0] ? front[i].cost[axes[0]] <= b.axisLimit! : true
            }
            best[k].bestPredicted = fits.max { front[$0].predictedNoisePower > front[$1].predictedNoisePower }
            best[k].bestMeasured = fits.filter { front[$0].measuredSQNRDB != nil }
                .max { front[$0].measuredSQNRDB! < front[$1].measuredSQNRDB! }
            best[k].met = !fits.isEmpty
        }
        return SearchOutcome(primary: axes[0], budgets: budgets, front: front, verified: verified,
                             measuredFront: measuredFront, uniform: uniform, best: best, nonMonotone: nonMonotone,
                             assignments: problem.assignmentCount, frontSeconds: seconds, stats: stats)
    }
}
