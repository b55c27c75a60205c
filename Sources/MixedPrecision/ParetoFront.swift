/// The exact Pareto front of a multiple-choice knapsack with additive costs and additive noise.
///
/// A problem has units (blocks or layers), each with a list of choices; an assignment picks one choice
/// per unit. Every choice has integer costs (one per cost axis: BitOps, weight storage bits, …) and a noise
/// power (a `Double` ≥ 0). An assignment's cost on axis j is `fixedCosts[j] + Σ_u costs_j(choice_u)`, exact
/// in integers (overflow is an error, never a wrapped number); its noise is the left fold
/// `((fixedNoise + n₀) + n₁) + …` in unit order.
///
/// The front is taken over axis 0 against noise, among the assignments within every limit: an assignment
/// is on it when no feasible assignment has cost₀ ≤ and noise ≤ with one of them strictly smaller. One
/// assignment is returned per distinct (cost₀, noise) pair, by increasing cost₀ (so noise strictly
/// decreases along the front).
///
/// ## Why the merge is exact
/// The front is built unit by unit. After unit k the set holds the partial assignments of units 0…k that
/// no other partial assignment dominates on (cost₀, the limited costs, noise). Dropping a dominated
/// partial assignment P loses nothing: the same completion of its dominator P' costs no more on every axis
/// and has no more noise — in integers exactly, and in floating point too, because rounded addition is
/// monotone (`a ≤ a'` implies `a + x ≤ a' + x`). Partial assignments that cannot meet a limit even with the
/// cheapest choices for the remaining units are dropped as well. Axes without a limit (other than axis 0)
/// do not take part: they are only reported. No cost axis is discretised, so large costs (BitOps ~10⁹–10¹⁰)
/// cost nothing extra: the work grows with the size of the partial fronts, not with the cost range.
///
/// The result is the front of the problem as stated. How well the additive noise predicts a network's real
/// output noise is a separate question (`NoiseModel`): the front is exact for the model, not for the network.
public struct ParetoProblem: Sendable {
    /// One choice of one unit.
    public struct Choice: Hashable, Sendable {
        /// One cost per axis (same count for every choice and `fixedCosts`).
        public var costs: [Int]
        /// Noise power added by this choice (≥ 0, finite).
        public var noise: Double
        public init(costs: [Int], noise: Double) {
            self.costs = costs
            self.noise = noise
        }
    }

    /// `units[u]`: the choices of unit u (at least one each).
    public var units: [[Choice]]
    /// Costs that every assignment has (e.g. the stem and classifier), one per axis.
    public var fixedCosts: [Int]
    /// Noise that every assignment has (layers quantized outside the search).
    public var fixedNoise: Double
    /// An upper limit per axis, nil for none (`limits.count == fixedCosts.count`).
    public var limits: [Int?]

    public init(units: [[Choice]], fixedCosts: [Int], fixedNoise: Double = 0, limits: [Int?]? = nil) {
        self.units = units
        self.fixedCosts = fixedCosts
        self.fixedNoise = fixedNoise
        self.limits = limits ?? Array(repeating: nil, count: fixedCosts.count)
    }

    /// The number of assignments (`∏ choices`), or nil when it exceeds `Int.max`.
    public var assignmentCount: Int? {
        var n = 1
        for u in units {
            let (p, o) = n.multipliedReportingOverflow(by: u.count)
            if o { return nil }
            n = p
        }
        return n
    }

    func check() throws {
        guard !fixedCosts.isEmpty else { throw SearchError("a search needs at least one cost axis") }
        guard limits.count == fixedCosts.count else {
            throw SearchError("\(limits.count) limits given for \(fixedCosts.count) cost axes")
        }
        guard fixedNoise.isFinite, fixedNoise >= 0 else { throw SearchError("fixed noise \(fixedNoise) must be finite and ≥ 0") }
        for (u, choices) in units.enumerated() {
            guard !choices.isEmpty else { throw SearchError("unit \(u) has no choices") }
            for c in choices {
                guard c.costs.count == fixedCosts.count else {
                    throw SearchError("unit \(u): a choice has \(c.costs.count) costs; expected \(fixedCosts.count)")
                }
                guard c.noise.isFinite, c.noise >= 0 else { throw SearchError("unit \(u): noise \(c.noise) must be finite and ≥ 0") }
            }
        }
    }
}

/// One assignment on a front.
public struct FrontPoint: Hashable, Sendable {
    /// The index of the chosen choice, per unit.
    public var choices: [Int]
    /// Its total cost per axis (fixed costs included).
    public var costs: [Int]
    /// Its total noise (fixed noise included).
    public var noise: Double
    public init(choices: [Int], costs: [Int], noise: Double) {
        self.choices = choices
        self.costs = costs
        self.noise = noise
    }
}

/// An error in a search request; `description` is one line.
public struct SearchError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ message: String) { description = message }
}

/// Overflow-checked addition for costs.
@inline(__always)
func addCost(_ a: Int, _ b: Int) throws -> Int {
    let (s, o) = a.addingReportingOverflow(b)
    if o { throw SearchError("a total cost overflows 64-bit integers (\(a) + \(b))") }
    return s
}

extension ParetoProblem {
    /// The front by merging unit by unit (see the type's documentation).
    public func front() throws -> [FrontPoint] { try frontAndStats().front }

    /// The front, and how much work it took (the largest partial front, the candidates examined).
    public func frontAndStats() throws -> (front: [FrontPoint], stats: FrontStats) {
        try check()
        // The axes that take part in dominance: 0, and every other axis with a limit.
        let axes = [0] + (1..<fixedCosts.count).filter { limits[$0] != nil }
        let d = axes.count
        let unitCount = units.count
        // minRest[k][a]: the least cost on axis axes[a] of units k…end.
        var minRest = Array(repeating: Array(repeating: 0, count: d), count: unitCount + 1)
        for k in stride(from: unitCount - 1, through: 0, by: -1) {
            for a in 0..<d {
                let least = units[k].map { $0.costs[axes[a]] }.min()!
                minRest[k][a] = try addCost(minRest[k + 1][a], least)
            }
        }
        let axisLimits = axes.map { limits[$0] }

        // The current partial front, structure of arrays: costs flattened (d per point), noise, and the
        // back-pointers that rebuild assignments.
        var costs = axes.map { fixedCosts[$0] }
        var noise = [fixedNoise]
        var parents: [[Int32]] = []
        var picks: [[UInt16]] = []
        var largest = 1, examined = 0
        for a in 0..<d {
            if let l = axisLimits[a] {
                let (least, overflow) = costs[a].addingReportingOverflow(minRest[0][a])
                if overflow || least > l { return ([], FrontStats(largestPartialFront: 1, candidatesExamined: 0)) }
            }
        }

        for (k, choices) in units.enumerated() {
            let n = noise.count, m = choices.count
            // Flat per-choice costs (m × d) and noises: the merge reads them for every candidate.
            var choiceCosts = [Int](repeating: 0, count: m * d)
            for c in 0..<m { for a in 0..<d { choiceCosts[c * d + a] = choices[c].costs[axes[a]] } }
            let choiceNoise = choices.map(\.noise)
            // Each shifted copy F + c is sorted like F (lexicographically on costs, then noise); merge the
            // m copies, smallest first; ties go to the lower choice index. headCosts/headNoise hold each
            // copy's current head (wrapping sums only order the merge; every kept sum is recomputed checked).
            var heads = [Int](repeating: 0, count: m)
            var headCosts = [Int](repeating: 0, count: m * d)
            var headNoise = [Double](repeating: 0, count: m)
            if n > 0 {
                for c in 0..<m {
                    for a in 0..<d { headCosts[c * d + a] = costs[a] &+ choiceCosts[c * d + a] }
                    headNoise[c] = noise[0] + choiceNoise[c]
                }
            }
            var newCosts: [Int] = []
            var newNoise: [Double] = []
            var newParent: [Int32] = []
            var newPick: [UInt16] = []
            newCosts.reserveCapacity(n * d * 2)
            var stair = Staircase()
            var best = Double.infinity     // d == 1: the least noise kept so far
            var kept: [Int] = []           // d ≥ 3: indices into new* of kept points
            var candidate = [Int](repeating: 0, count: d)
            let rest = minRest[k + 1]
            while true {
                // Pick the smallest head.
                var pick = -1
                var c = 0
                while c < m {
                    if heads[c] < n {
                        if pick < 0 {
                            pick = c
                        } else {
                            var order = 0   // -1: c's head is smaller than the current pick's
                            var a = 0
                            while a < d {
                                let x = headCosts[c * d + a], y = headCosts[pick * d + a]
                                if x != y { order = x < y ? -1 : 1; break }
                                a += 1
                            }
                            if order < 0 || (order == 0 && headNoise[c] < headNoise[pick]) { pick = c }
                        }
                    }
                    c += 1
                }
                if pick < 0 { break }
                let i = heads[pick]
                let nz = headNoise[pick]
                heads[pick] = i + 1
                if i + 1 < n {
                    for a in 0..<d { headCosts[pick * d + a] = costs[(i + 1) * d + a] &+ choiceCosts[pick * d + a] }
                    headNoise[pick] = noise[i + 1] + choiceNoise[pick]
                }
                examined += 1
                var feasible = true
                var a = 0
                while a < d {
                    let (sum, overflow) = costs[i * d + a].addingReportingOverflow(choiceCosts[pick * d + a])
                    if overflow { throw SearchError("a total cost overflows 64-bit integers (\(costs[i * d + a]) + \(choiceCosts[pick * d + a]))") }
                    candidate[a] = sum
                    if let l = axisLimits[a] {
                        let (least, overflow) = sum.addingReportingOverflow(rest[a])
                        if overflow || least > l { feasible = false }
                    }
                    a += 1
                }
                guard feasible else { continue }
                switch d {
                case 1:
                    guard nz < best else { continue }
                    best = nz
                case 2:
                    guard stair.insertIfNotDominated(candidate[1], nz) else { continue }
                default:
                    let dominated = kept.contains { p in
                        newNoise[p] <= nz && (0..<d).allSatisfy { newCosts[p * d + $0] <= candidate[$0] }
                    }
                    guard !dominated else { continue }
                    kept.append(newNoise.count)
                }
                newCosts.append(contentsOf: candidate)
                newNoise.append(nz)
                newParent.append(Int32(i))
                newPick.append(UInt16(pick))
            }
            costs = newCosts
            noise = newNoise
            parents.append(newParent)
            picks.append(newPick)
            largest = max(largest, noise.count)
            if noise.isEmpty { break }
        }
        let stats = FrontStats(largestPartialFront: largest, candidatesExamined: examined)
        guard !noise.isEmpty else { return ([], stats) }

        // Reduce to the front on (cost₀, noise).
        let order = noise.indices.sorted { a, b in
            costs[a * d] != costs[b * d] ? costs[a * d] < costs[b * d] : (noise[a] != noise[b] ? noise[a] < noise[b] : a < b)
        }
        var result: [FrontPoint] = []
        var best = Double.infinity
        for i in order where noise[i] < best {
            best = noise[i]
            var choice = Array(repeating: 0, count: unitCount)
            var p = i
            for k in stride(from: unitCount - 1, through: 0, by: -1) {
                choice[k] = Int(picks[k][p])
                p = Int(parents[k][p])
            }
            result.append(FrontPoint(choices: choice, costs: try totals(choice), noise: noise[i]))
        }
        return (result, stats)
    }

    /// The costs of an assignment (one choice index per unit), fixed costs included.
    public func totals(_ choice: [Int]) throws -> [Int] {
        var c = fixedCosts
        for (u, k) in choice.enumerated() {
            for a in c.indices { c[a] = try addCost(c[a], units[u][k].costs[a]) }
        }
        return c
    }

    /// The noise of an assignment: the left fold `((fixedNoise + n₀) + n₁) + …`.
    public func noise(_ choice: [Int]) -> Double {
        var n = fixedNoise
        for (u, k) in choice.enumerated() { n += units[u][k].noise }
        return n
    }

    /// The same front by enumerating every assignment (for tests and small problems): every feasible
    /// assignment's costs and noise, then the non-dominated ones, one per distinct (cost₀, noise).
    public func bruteForceFront() throws -> [FrontPoint] {
        try check()
        var all: [FrontPoint] = []
        try forEachAssignment { choice in
            let c = try totals(choice)
            for a in c.indices { if let l = limits[a], c[a] > l { return } }
            all.append(FrontPoint(choices: choice, costs: c, noise: noise(choice)))
        }
        all.sort { $0.costs[0] != $1.costs[0] ? $0.costs[0] < $1.costs[0] : $0.noise < $1.noise }
        var front: [FrontPoint] = []
        for p in all where p.noise < (front.last?.noise ?? .infinity) { front.append(p) }
        return front
    }

    /// Calls `body` with every assignment, in odometer order (the last unit changes fastest).
    public func forEachAssignment(_ body: ([Int]) throws -> Void) rethrows {
        guard !units.isEmpty else { try body([]); return }
        var choice = Array(repeating: 0, count: units.count)
        while true {
            try body(choice)
            var u = units.count - 1
            while u >= 0 {
                choice[u] += 1
                if choice[u] < units[u].count { break }
                choice[u] = 0
                u -= 1
            }
            if u < 0 { return }
        }
    }
}

/// How much work a front took.
public struct FrontStats: Hashable, Sendable, Codable {
    /// The largest partial front held after any unit.
    public var largestPartialFront: Int = 0
    /// Candidates (partial front point + choice) examined over all units.
    public var candidatesExamined: Int = 0
    public init(largestPartialFront: Int = 0, candidatesExamined: Int = 0) {
        self.largestPartialFront = largestPartialFront
        self.candidatesExamined = candidatesExamined
    }
    enum CodingKeys: String, CodingKey {
        case largestPartialFront = "largest_partial_front", candidatesExamined = "candidates_examined"
    }
}

/// The lower-left staircase of (cost, noise) points seen so far: costs strictly ascending, noise strictly
/// descending. Answers "does any point have cost ≤ c and noise ≤ n?" by binary search.
///
/// The points are kept in chunks of at most `2 · chunkCapacity` (every cost of chunk k below every cost of
/// chunk k + 1), so that an insertion shifts one chunk rather than the whole staircase: a front with two
/// limited costs keeps staircases of 10⁵ points, where shifting a single sorted array took most of the time.
struct Staircase {
    /// Chunks are split when they exceed twice this.
    let chunkCapacity: Int
    /// chunks[k]: costs ascending; chunkNoise[k]: the same points' noise, descending.
    private(set) var chunkCosts: [[Int]] = []
    private(set) var chunkNoise: [[Double]] = []
    /// chunkCosts[k][0], for the binary search over chunks.
    private var firstCost: [Int] = []

    init(chunkCapacity: Int = 256) {
        precondition(chunkCapacity >= 1)
        self.chunkCapacity = chunkCapacity
    }

    /// Every point, in order (for tests).
    var points: [(cost: Int, noise: Double)] {
        zip(chunkCosts, chunkNoise).flatMap { zip($0, $1).map { (cost: $0, noise: $1) } }
    }

    /// The first index of `sorted` (ascending) whose value is > c; `sorted.count` when none is. Written
    /// without a data-dependent branch (the comparison selects the next base), since the staircase is
    /// searched for every candidate and a mispredicted branch per step was most of its time.
    static func upperBound(_ sorted: [Int], _ c: Int) -> Int {
        sorted.withUnsafeBufferPointer { a in
            guard !a.isEmpty else { return 0 }
            // The answer lies in base…base + n.
            var base = 0, n = a.count
            while n > 1 {
                let half = n / 2
                base = a[base + half] <= c ? base + half : base
                n -= half
            }
            return base + (a[base] <= c ? 1 : 0)
        }
    }

    /// Inserts (c, n) unless a point with cost ≤ c and noise ≤ n is already there; returns whether it was
    /// inserted. Points the new one dominates are removed.
    mutating func insertIfNotDominated(_ c: Int, _ n: Double) -> Bool {
        // At or beyond the dearest point (common: candidates come by increasing cost₀, which the limited
        // cost tends to follow), that point alone decides.
        if let last = chunkCosts.indices.last, let lastCost = chunkCosts[last].last, c >= lastCost {
            let lastNoise = chunkNoise[last][chunkNoise[last].count - 1]
            if lastNoise <= n { return false }
            if c > lastCost {
                chunkCosts[last].append(c)
                chunkNoise[last].append(n)
                if chunkCosts[last].count > 2 * chunkCapacity { split(last) }
                return true
            }
        }
        // k: the last chunk whose first cost is ≤ c (-1: every point costs more than c).
        var k = Self.upperBound(firstCost, c) - 1
        // (k, i): where the new point goes; the points from there on with noise ≥ n are dominated by it.
        var i = 0
        if k >= 0 {
            // upper: the first index of chunk k with cost > c (≥ 1, since its first cost is ≤ c).
            let upper = Self.upperBound(chunkCosts[k], c)
            if chunkNoise[k][upper - 1] <= n { return false }
            // A point of cost exactly c (at most one: costs are strictly ascending) has more noise: dominated.
            i = chunkCosts[k][upper - 1] == c ? upper - 1 : upper
        } else {
            k = 0
            if chunkCosts.isEmpty {
                chunkCosts = [[c]]
                chunkNoise = [[n]]
                firstCost = [c]
                return true
            }
        }
        var end = i
        while end < chunkNoise[k].count && chunkNoise[k][end] >= n { end += 1 }
        let reachedEnd = end == chunkNoise[k].count
        chunkCosts[k].replaceSubrange(i..<end, with: CollectionOfOne(c))
        chunkNoise[k].replaceSubrange(i..<end, with: CollectionOfOne(n))
        firstCost[k] = chunkCosts[k][0]
        // The dominated run may go on into the following chunks.
        if reachedEnd {
            let next = k + 1
            while next < chunkNoise.count {
                var e = 0
                while e < chunkNoise[next].count && chunkNoise[next][e] >= n { e += 1 }
                if e == chunkNoise[next].count {
                    chunkCosts.remove(at: next)
                    chunkNoise.remove(at: next)
                    firstCost.remove(at: next)
                    continue
                }
                if e > 0 {
                    chunkCosts[next].removeFirst(e)
                    chunkNoise[next].removeFirst(e)
                    firstCost[next] = chunkCosts[next][0]
                }
                break
            }
        }
        // Split a chunk that grew too long.
        if chunkCosts[k].count > 2 * chunkCapacity { split(k) }
        return true
    }

    /// Splits chunk k in two halves.
    private mutating func split(_ k: Int) {
        let half = chunkCosts[k].count / 2
        chunkCosts.insert(Array(chunkCosts[k][half...]), at: k + 1)
        chunkNoise.insert(Array(chunkNoise[k][half...]), at: k + 1)
        chunkCosts[k].removeSubrange(half...)
        chunkNoise[k].removeSubrange(half...)
        firstCost.insert(chunkCosts[k + 1][0], at: k + 1)
    }
}

/// The area a 2-D front dominates, for minimised cost and maximised quality, within a reference box.
public enum Hypervolume {
    /// Area of {(c, q): c ≤ referenceCost, q ≥ referenceQuality, some point has cost ≤ c and quality ≥ q}.
    /// Points outside the box add nothing; non-finite qualities are an error of the caller (precondition).
    public static func area(points: [(cost: Double, quality: Double)], referenceCost: Double, referenceQuality: Double) -> Double {
        precondition(points.allSatisfy { $0.quality.isFinite && $0.cost.isFinite }, "hypervolume of non-finite points")
        let inside = points.filter { $0.cost <= referenceCost && $0.quality >= referenceQuality }
            .sorted { $0.cost != $1.cost ? $0.cost < $1.cost : $0.quality > $1.quality }
        var area = 0.0
        var bestQuality = referenceQuality
        // Sweep by increasing cost: each new best quality adds a strip from its cost to the reference cost.
        for p in inside where p.quality > bestQuality {
            area += (p.quality - bestQuality) * (referenceCost - p.cost)
            bestQuality = p.quality
        }
        return area
    }
}
