@testable import MixedPrecision
import Testing

/// A small deterministic generator (tests must not depend on the system's randomness).
struct TestRNG: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state = state &+ 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct ParetoFrontTests {
    /// A random problem: `units` units of 1…`maxChoices` choices, `axes` cost axes. With `ties`, costs and
    /// noises come from tiny integer ranges so that equal sums are common.
    static func randomProblem(_ rng: inout TestRNG, units: Int, maxChoices: Int, axes: Int, ties: Bool) -> ParetoProblem {
        let us = (0..<units).map { _ in
            (0..<Int.random(in: 1...maxChoices, using: &rng)).map { _ in
                ParetoProblem.Choice(
                    costs: (0..<axes).map { _ in ties ? Int.random(in: 0...3, using: &rng) : Int.random(in: 0...1_000_000_000, using: &rng) },
                    noise: ties ? Double(Int.random(in: 0...3, using: &rng)) : Double.random(in: 0...1, using: &rng))
            }
        }
        return ParetoProblem(units: us, fixedCosts: (0..<axes).map { _ in Int.random(in: 0...100, using: &rng) },
                             fixedNoise: ties ? 0 : Double.random(in: 0...0.01, using: &rng))
    }

    /// The merge front equals the enumeration's exactly (cost₀ and noise, point for point), and every point
    /// it returns really has the costs and noise it claims and meets every limit.
    static func checkAgainstBruteForce(_ p: ParetoProblem, _ what: String) throws {
        let dp = try p.front()
        let bf = try p.bruteForceFront()
        #expect(dp.map(\.costs[0]) == bf.map(\.costs[0]), "\(what): front costs")
        #expect(dp.map(\.noise) == bf.map(\.noise), "\(what): front noise")
        for q in dp {
            #expect(try p.totals(q.choices) == q.costs, "\(what): costs of \(q.choices)")
            #expect(p.noise(q.choices) == q.noise, "\(what): noise of \(q.choices)")
            for (a, l) in p.limits.enumerated() {
                if let l { #expect(q.costs[a] <= l, "\(what): limit on axis \(a)") }
            }
        }
    }

    @Test func randomProblemsWithoutLimitsMatchEnumeration() throws {
        var rng = TestRNG(1)
        for trial in 0..<60 {
            let p = Self.randomProblem(&rng, units: Int.random(in: 1...6, using: &rng), maxChoices: 4,
                                       axes: Int.random(in: 1...2, using: &rng), ties: trial % 3 == 0)
            try Self.checkAgainstBruteForce(p, "trial \(trial)")
        }
    }

    @Test func randomProblemsWithLimitsMatchEnumeration() throws {
        var rng = TestRNG(2)
        for trial in 0..<80 {
            let axes = 1 + trial % 3    // 1, 2 and 3 axes: the sweep, the staircase and the general check
            var p = Self.randomProblem(&rng, units: Int.random(in: 1...6, using: &rng), maxChoices: 4, axes: axes,
                                       ties: trial % 4 == 0)
            // Limits between the cheapest and the dearest total, on some axes.
            for a in 0..<axes where Bool.random(using: &rng) || a > 0 {
                let least = try p.totals(p.units.map { u in u.indices.min { u[$0].costs[a] < u[$1].costs[a] }! })[a]
                let most = try p.totals(p.units.map { u in u.indices.max { u[$0].costs[a] < u[$1].costs[a] }! })[a]
                p.limits[a] = Int.random(in: (least - 1)...(most + 1), using: &rng)
            }
            try Self.checkAgainstBruteForce(p, "trial \(trial), limits \(p.limits)")
        }
    }

    /// Two units with two choices each, by hand: costs (1, 3) and (10, 20), noises (0.5, 0.1) and (0.4, 0.2).
    /// Assignments: (1+10, .5+.4) = (11, .9); (1+20, .5+.2) = (21, .7); (3+10, .1+.4) = (13, .5);
    /// (3+20, .1+.2) = (23, .3). (21, .7) is dominated by (13, .5). Front: (11, .9), (13, .5), (23, .3).
    @Test func handExample() throws {
        let p = ParetoProblem(units: [
            [.init(costs: [1], noise: 0.5), .init(costs: [3], noise: 0.1)],
            [.init(costs: [10], noise: 0.4), .init(costs: [20], noise: 0.2)],
        ], fixedCosts: [0])
        let f = try p.front()
        #expect(f.map(\.costs) == [[11], [13], [23]])
        #expect(f.map(\.choices) == [[0, 0], [1, 0], [1, 1]])
        #expect(f.map(\.noise) == [0.5 + 0.4, 0.1 + 0.4, 0.1 + 0.2])
        // A limit of 22 leaves (11, .9) and (13, .5); 10 leaves nothing.
        var limited = p
        limited.limits = [22]
        #expect(try limited.front().map(\.costs) == [[11], [13]])
        limited.limits = [10]
        #expect(try limited.front().isEmpty)
    }

    /// The hand example with a second cost axis (storage): unit 0's choices store 5 and 1, unit 1's 1 and 5.
    /// Storage totals: (0,0) 6, (0,1) 10, (1,0) 2, (1,1) 6. A limit of 6 admits all but (0,1), which was
    /// dominated anyway: front (11, .9), (13, .5), (23, .3). A limit of 5 admits only (1,0).
    @Test func secondAxisLimit() throws {
        var p = ParetoProblem(units: [
            [.init(costs: [1, 5], noise: 0.5), .init(costs: [3, 1], noise: 0.1)],
            [.init(costs: [10, 1], noise: 0.4), .init(costs: [20, 5], noise: 0.2)],
        ], fixedCosts: [0, 0], limits: [nil, 6])
        #expect(try p.front().map(\.choices) == [[0, 0], [1, 0], [1, 1]])
        p.limits = [nil, 5]
        #expect(try p.front().map(\.choices) == [[1, 0]])
    }

    @Test func overflowingCostsAreAnErrorNotAWrap() throws {
        let p = ParetoProblem(units: [[.init(costs: [Int.max - 5], noise: 0)], [.init(costs: [10], noise: 0)]], fixedCosts: [0])
        #expect(throws: SearchError.self) { try p.front() }
        #expect(throws: SearchError.self) { try p.bruteForceFront() }
    }

    @Test func invalidProblemsAreRejected() throws {
        #expect(throws: SearchError.self) { try ParetoProblem(units: [[]], fixedCosts: [0]).front() }
        #expect(throws: SearchError.self) { try ParetoProblem(units: [[.init(costs: [1, 2], noise: 0)]], fixedCosts: [0]).front() }
        #expect(throws: SearchError.self) { try ParetoProblem(units: [[.init(costs: [1], noise: -1)]], fixedCosts: [0]).front() }
        #expect(throws: SearchError.self) { try ParetoProblem(units: [[.init(costs: [1], noise: .nan)]], fixedCosts: [0]).front() }
    }

    /// Large costs do not slow the merge: 30 units × 6 choices with BitOps-sized costs (a dense array over
    /// the cost axis would need ~10¹¹ cells). The front still satisfies its definition: costs increase,
    /// noise strictly decreases, and its ends are the cheapest and the quietest assignments.
    @Test func largeCostsFrontEndsAreTheExtremes() throws {
        var rng = TestRNG(5)
        let bits = [2, 3, 4, 5, 6, 8]
        let units = (0..<30).map { _ -> [ParetoProblem.Choice] in
            let macs = Int.random(in: 1_000_000...500_000_000, using: &rng)
            let s = Double.random(in: 0.1...10, using: &rng)
            return bits.map { b in ParetoProblem.Choice(costs: [macs * b], noise: s * Double(1 << (2 * (8 - b)))) }
        }
        let p = ParetoProblem(units: units, fixedCosts: [0])
        let f = try p.front()
        #expect(!f.isEmpty)
        for (a, b) in zip(f, f.dropFirst()) {
            #expect(a.costs[0] < b.costs[0] && a.noise > b.noise)
        }
        #expect(f.first!.choices == Array(repeating: 0, count: 30))
        #expect(f.last!.choices == Array(repeating: bits.count - 1, count: 30))
    }

    @Test func assignmentCountAndEnumerationOrder() {
        let p = ParetoProblem(units: [[.init(costs: [0], noise: 0), .init(costs: [1], noise: 0)],
                                      [.init(costs: [0], noise: 0), .init(costs: [1], noise: 0), .init(costs: [2], noise: 0)]],
                              fixedCosts: [0])
        #expect(p.assignmentCount == 6)
        var seen: [[Int]] = []
        p.forEachAssignment { seen.append($0) }
        #expect(seen == [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]])
        let huge = ParetoProblem(units: Array(repeating: Array(repeating: .init(costs: [0], noise: 0), count: 6), count: 40), fixedCosts: [0])
        #expect(huge.assignmentCount == nil)   // 6⁴⁰ > 2⁶³
    }
}

@Suite struct HypervolumeTests {
    /// Reference (10, 0). Points (2, 5) and (6, 8): strips (5 − 0)·(10 − 2) = 40 and (8 − 5)·(10 − 6) = 12.
    @Test func handArea() {
        #expect(Hypervolume.area(points: [(2, 5), (6, 8)], referenceCost: 10, referenceQuality: 0) == 52)
        // A dominated point (7, 4) and one outside the box (11, 9) change nothing.
        #expect(Hypervolume.area(points: [(7, 4), (2, 5), (11, 9), (6, 8)], referenceCost: 10, referenceQuality: 0) == 52)
        #expect(Hypervolume.area(points: [], referenceCost: 10, referenceQuality: 0) == 0)
        // A point on the reference cost adds no area.
        #expect(Hypervolume.area(points: [(10, 3)], referenceCost: 10, referenceQuality: 0) == 0)
    }
}

/// The staircase against a plain list of every point kept so far: the same answer to every insertion, and
/// the same points in the end. A chunk capacity of 2 makes every path run on a few hundred points: chunk
/// splits, runs of dominated points that end a chunk, empty the next ones or stop inside them, and
/// insertions before the first and after the last point.
@Suite struct StaircaseTests {
    /// The naive answer: (c, n) is dominated when a kept point has cost ≤ c and noise ≤ n; kept points it
    /// dominates (cost ≥ c, noise ≥ n) leave.
    static func naiveInsert(_ kept: inout [(cost: Int, noise: Double)], _ c: Int, _ n: Double) -> Bool {
        if kept.contains(where: { $0.cost <= c && $0.noise <= n }) { return false }
        kept.removeAll { $0.cost >= c && $0.noise >= n }
        kept.append((c, n))
        return true
    }

    @Test(arguments: [1, 2, 3, 256]) func agreesWithAPlainList(capacity: Int) {
        var rng = TestRNG(UInt64(11 + capacity))
        var stair = Staircase(chunkCapacity: capacity)
        var kept: [(cost: Int, noise: Double)] = []
        var mostChunks = 0
        for step in 0..<600 {
            // Mostly points near the line noise = 1000 − cost (so the staircase grows long), some far below
            // it (so they dominate long runs), with repeated costs and noises.
            let c = Int.random(in: 0...400, using: &rng)
            let n: Double = step % 17 == 0 ? Double(1000 - c - Int.random(in: 10...120, using: &rng))
                                           : Double(1000 - c + Int.random(in: -3...3, using: &rng))
            let expected = Self.naiveInsert(&kept, c, n)
            let inserted = stair.insertIfNotDominated(c, n)
            #expect(inserted == expected, "step \(step): (\(c), \(n))")
            mostChunks = max(mostChunks, stair.chunkCosts.count)
        }
        let sorted = kept.sorted { $0.cost < $1.cost }
        #expect(stair.points.map(\.cost) == sorted.map(\.cost))
        #expect(stair.points.map(\.noise) == sorted.map(\.noise))
        if capacity <= 3 { #expect(mostChunks > 10) }   // the chunked paths really ran
        #expect(stair.chunkCosts.allSatisfy { !$0.isEmpty && $0.count <= 2 * capacity })
    }

    /// By hand: (5, 5) then (3, 7) and (7, 3) make a staircase; (4, 4) dominates (5, 5); (7, 3) stays;
    /// (3, 8) is dominated by (3, 7); (2, 1) dominates everything.
    @Test func handSequence() {
        func insert(_ s: inout Staircase, _ c: Int, _ n: Double) -> Bool { s.insertIfNotDominated(c, n) }
        var s = Staircase(chunkCapacity: 1)
        #expect(insert(&s, 5, 5))
        #expect(insert(&s, 3, 7))
        #expect(insert(&s, 7, 3))
        #expect(insert(&s, 4, 4))
        #expect(s.points.map(\.cost) == [3, 4, 7])
        #expect(!insert(&s, 3, 8))
        #expect(!insert(&s, 9, 3))
        #expect(insert(&s, 2, 1))
        #expect(s.points.map(\.cost) == [2] && s.points.map(\.noise) == [1])
    }

    @Test func upperBound() {
        let a = [1, 3, 3, 5, 9]
        for (c, expected) in [(0, 0), (1, 1), (2, 1), (3, 3), (4, 3), (5, 4), (8, 4), (9, 5), (100, 5)] {
            #expect(Staircase.upperBound(a, c) == expected, "\(c)")
        }
        #expect(Staircase.upperBound([], 3) == 0)
    }
}

@Suite struct LargerFrontTests {
    /// A front with two limited costs on a problem large enough for partial fronts of hundreds of points
    /// (7 units × 5 choices, 78 125 assignments, BitOps-like and storage-like costs that grow with the
    /// bits and noise that falls with them): the merge equals enumeration point for point.
    @Test func twoLimitedCostsMatchEnumeration() throws {
        var rng = TestRNG(21)
        let bits = [2, 3, 4, 6, 8]
        let units = (0..<7).map { _ -> [ParetoProblem.Choice] in
            let macs = Int.random(in: 1_000...90_000, using: &rng)
            let params = Int.random(in: 100...9_000, using: &rng)
            let s = Double.random(in: 0.1...10, using: &rng)
            return bits.map { b in
                ParetoProblem.Choice(costs: [macs * b, params * b], noise: s * Double(1 << (2 * (8 - b))) * Double.random(in: 0.5...1.5, using: &rng))
            }
        }
        var p = ParetoProblem(units: units, fixedCosts: [5_000, 700])
        let most = try p.totals(Array(repeating: bits.count - 1, count: units.count))
        p.limits = [most[0] * 7 / 10, most[1] * 6 / 10]
        let (front, stats) = try p.frontAndStats()
        #expect(stats.largestPartialFront > 100)
        try ParetoFrontTests.checkAgainstBruteForce(p, "7 units × 5 choices, two limits")
        #expect(front.count > 10)
    }
}
