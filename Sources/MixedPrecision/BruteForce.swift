import BitOpsCore

/// How a verified front compares with sweeping every assignment directly (small spaces only).
///
/// - Hypervolume: the area the measured points dominate (cost minimised, measured SQNR maximised) in the
///   box from the cheapest assignment's cost… the dearest assignment's cost (reference cost) and the worst
///   measured SQNR of all assignments (reference quality). The verified front's area over the brute-force
///   front's: 1 means the verified points dominate everything any assignment reaches.
/// - At each budget level: the best measured SQNR among the verified front points within the budget (the
///   assignment the search would choose) against the best measured SQNR of all assignments within it.
public struct BruteForceComparison: Codable, Sendable, Hashable {
    public struct Level: Codable, Sendable, Hashable {
        /// A limit on the front's cost axis.
        public var limit: Int
        /// The search's choice: best measured among the verified front points within the limit.
        public var chosenBits: [BitWidth]?
        public var chosenSQNRDB: Double?
        /// The best any assignment within the limit measures.
        public var bestBits: [BitWidth]
        public var bestSQNRDB: Double
        /// bestSQNRDB − chosenSQNRDB (≥ 0 up to the choice being among all assignments).
        public var gapDB: Double?
        enum CodingKeys: String, CodingKey {
            case limit, chosenBits = "chosen_bits", chosenSQNRDB = "chosen_sqnr_db", bestBits = "best_bits"
            case bestSQNRDB = "best_sqnr_db", gapDB = "gap_db"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(limit, forKey: .limit)
            try c.encodeWidthsIfPresent(chosenBits, forKey: .chosenBits)
            try c.encodeIfPresent(chosenSQNRDB, forKey: .chosenSQNRDB)
            try c.encodeWidths(bestBits, forKey: .bestBits)
            try c.encode(bestSQNRDB, forKey: .bestSQNRDB)
            try c.encodeIfPresent(gapDB, forKey: .gapDB)
        }
    }
    /// Assignments swept.
    public var assignments: Int
    /// Points on the measured brute-force front.
    public var bruteForceFront: Int
    public var verifiedHypervolume: Double
    public var bruteForceHypervolume: Double
    public var hypervolumeRatio: Double
    public var levels: [Level]
    /// Of the brute-force front's points, how many the predicted front contains.
    public var sharedPoints: Int

    enum CodingKeys: String, CodingKey {
        case assignments, bruteForceFront = "brute_force_front", verifiedHypervolume = "verified_hypervolume"
        case bruteForceHypervolume = "brute_force_hypervolume", hypervolumeRatio = "hypervolume_ratio", levels
        case sharedPoints = "shared_points"
    }

    /// One measured assignment.
    public struct Sample: Sendable, Hashable {
        public var bits: [BitWidth]
        public var cost: Int
        public var sqnrDB: Double
        public init(bits: [BitWidth], cost: Int, sqnrDB: Double) {
            self.bits = bits
            self.cost = cost
            self.sqnrDB = sqnrDB
        }
    }

    /// Budget levels when none are given: `count` limits evenly between the cheapest and dearest cost
    /// (at 1/(count+1), 2/(count+1), … of the range).
    public static func levels(costs: [Int], count: Int) -> [Int] {
        guard let lo = costs.min(), let hi = costs.max(), count > 0 else { return [] }
        return (1...count).map { lo + Int((Double(hi - lo) * Double($0) / Double(count + 1)).rounded(.down)) }
    }

    /// Compares a search outcome's verified points with every assignment's measurement on the front's axis.
    /// Infinite SQNRs (float assignments) are capped at the largest finite value for the areas.
    public init(outcome: SearchOutcome, all: [Sample], limits: [Int]) {
        let axis = outcome.primary
        let verified = outcome.verified.map { i in
            Sample(bits: outcome.front[i].bits, cost: outcome.front[i].cost[axis], sqnrDB: outcome.front[i].measuredSQNRDB!)
        }
        let finite = (all + verified).map(\.sqnrDB).filter(\.isFinite)
        let cap = finite.max() ?? 0
        func q(_ s: Sample) -> Double { s.sqnrDB.isFinite ? s.sqnrDB : (s.sqnrDB > 0 ? cap : -cap) }
        let refCost = Double(all.map(\.cost).max() ?? 0)
        let refQuality = all.map(q).min() ?? 0
        let bfFront = MixedPrecisionSearch.paretoIndices(costs: all.map(\.cost), qualities: all.map(q))
        bruteForceFront = bfFront.count
        bruteForceHypervolume = Hypervolume.area(points: bfFront.map { (Double(all[$0].cost), q(all[$0])) },
                                                 referenceCost: refCost, referenceQuality: refQuality)
        verifiedHypervolume = Hypervolume.area(points: verified.map { (Double($0.cost), q($0)) },
                                               referenceCost: refCost, referenceQuality: refQuality)
        hypervolumeRatio = bruteForceHypervolume > 0 ? verifiedHypervolume / bruteForceHypervolume : 1
        assignments = all.count
        let predicted = Set(outcome.front.map(\.bits))
        sharedPoints = bfFront.filter { predicted.contains(all[$0].bits) }.count
        levels = limits.compactMap { limit in
            guard let best = all.filter({ $0.cost <= limit }).max(by: { q($0) < q($1) }) else { return nil }
            let chosen = verified.filter { $0.cost <= limit }.max { q($0) < q($1) }
            return Level(limit: limit, chosenBits: chosen?.bits, chosenSQNRDB: chosen?.sqnrDB, bestBits: best.bits,
                         bestSQNRDB: best.sqnrDB, gapDB: chosen.map { q(best) - q($0) })
        }
    }
}
