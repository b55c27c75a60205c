import Foundation
import BitOpsCore
import MixedPrecision
import Testing

@Suite struct SearchSpaceTests {
    static func seed(blocks: Int = 5) throws -> NetworkSpec {
        try Preset.seed.network(PresetOptions(blocks: blocks))
    }

    /// Seed block 0 at 32 px, by hand: depthwise 3×3 over 3 channels at 32×32 = 3·9·32·32 = 27 648 MACs,
    /// pointwise 3 → 32 at 32×32 = 98 304 MACs; 125 952 MACs, so 125 952·b BitOps (weight convention).
    /// Parameters 27 + 96 = 123, so 123·b storage bits. The seed has no stem and a float classifier
    /// (block 4 ends with 512 channels: 512·10 weights + 10 biases, all at 32 bits).
    @Test func blockCostsByHand() throws {
        let space = try SearchSpace(network: Self.seed(), inputSize: 32, granularity: .block, choices: [2, 4, 8])
        #expect(space.units == ["block0", "block1", "block2", "block3", "block4"])
        #expect(space.unitCosts[0].map(\.bitops) == [125_952 * 2, 125_952 * 4, 125_952 * 8])
        #expect(space.unitCosts[0].map(\.weightStorageBits) == [123 * 2, 123 * 4, 123 * 8])
        #expect(space.fixed == UnitCost(bitops: 512 * 10 * 32, weightStorageBits: (512 * 10 + 10) * 32))
    }

    /// The cost of any assignment, as fixed + Σ units, equals the accounting of the assigned network itself,
    /// under both conventions, with quantized activations (which the `wa` convention multiplies in).
    @Test(arguments: [BitOpsConvention.weight, .wa])
    func assignmentCostsEqualTheAccounting(convention: BitOpsConvention) throws {
        var net = try Preset.mobilenetV1.network(PresetOptions(blocks: 6, actBits: .perBlock([8, 4, 8, 6, 8, 5])))
        net.stem?.bits = 6
        let space = try SearchSpace(network: net, inputSize: 64, convention: convention, granularity: .block, choices: [2, 3, 8, 32])
        var rng = TestRNG(9)
        for _ in 0..<25 {
            let picks = (0..<6).map { _ in Int.random(in: 0..<4, using: &rng) }
            let direct = try space.network(bits: space.bits(choices: picks)).cost(inputSize: 64, convention: convention).totals
            let summed = try space.cost(choices: picks)
            #expect(summed.bitops == direct.bitops, "\(picks)")
            #expect(summed.weightStorageBits == direct.weightStorageBits, "\(picks)")
        }
    }

    /// Per layer: the stem, then each block's depthwise and pointwise layer, each with its own bits; any
    /// assignment's cost equals the accounting of the assigned network, whose layers carry those bits.
    @Test func perLayerCostsEqualTheAccounting() throws {
        let net = try Preset.mobilenetV1.network(PresetOptions(blocks: 4))
        let space = try SearchSpace(network: net, inputSize: 32, granularity: .layer, choices: [2, 5, 32])
        #expect(space.units == ["stem", "block0.depthwise", "block0.pointwise", "block1.depthwise", "block1.pointwise",
                                "block2.depthwise", "block2.pointwise", "block3.depthwise", "block3.pointwise"])
        var rng = TestRNG(4)
        for _ in 0..<20 {
            let picks = (0..<9).map { _ in Int.random(in: 0..<3, using: &rng) }
            let assigned = try space.network(bits: space.bits(choices: picks))
            let report = try assigned.cost(inputSize: 32)
            #expect(report.layers.filter { $0.kind != .linear }.map { $0.weightBits } == space.bits(choices: picks))
            let summed = try space.cost(choices: picks)
            #expect(summed.bitops == report.totals.bitops && summed.weightStorageBits == report.totals.weightStorageBits)
        }
    }

    @Test func baseAndFloatNetworks() throws {
        var net = try Preset.mobilenetV1.network(PresetOptions(blocks: 3, bits: .uniform(4), actBits: .uniform(8)))
        net.classifierBits = 8
        let space = try SearchSpace(network: net, inputSize: 32, granularity: .block, choices: [4])
        // Base: searched blocks float, activations, stem and classifier as given.
        #expect(space.baseNetwork.blocks.map(\.bits) == [32, 32, 32])
        #expect(space.baseNetwork.blocks.map(\.actBits) == [8, 8, 8])
        #expect(space.baseNetwork.stem?.bits == net.stem?.bits)
        #expect(space.baseNetwork.classifierBits == 8)
        // Float: everything float.
        let f = space.floatNetwork
        #expect(f.blocks.allSatisfy { $0.bits == 32 && $0.actBits == 32 } && f.stem?.bits == 32 && f.stem?.actBits == 32 && f.classifierBits == 32)
    }

    @Test func badChoicesAreOneLineErrors() throws {
        let net = try Self.seed()
        for (choices, fragment) in [([BitWidth](), "no choices"), ([2, 17], "17 is out of range"), ([4, 4], "repeat")] {
            do {
                _ = try SearchSpace(network: net, inputSize: 32, granularity: .block, choices: choices)
                Issue.record("\(choices) accepted")
            } catch let e as SearchError {
                #expect(e.description.contains(fragment), "\(e)")
            }
        }
        let space = try SearchSpace(network: net, inputSize: 32, granularity: .block, choices: [2])
        #expect(throws: SearchError.self) { try space.network(bits: [2, 2]) }
    }
}

@Suite struct NoiseModelTests {
    /// Powers by hand: reference [[1, -2], [3, 0]] → S = (1 + 4 + 9 + 0)/4 = 3.5; test [[1, -1], [2, 0]] →
    /// P = (0 + 1 + 1 + 0)/4 = 0.5; SQNR = 10·log₁₀(7) dB.
    @Test func pooledPowersAndSQNR() {
        let f: [[Float]] = [[1, -2], [3, 0]], q: [[Float]] = [[1, -1], [2, 0]]
        #expect(NoiseModel.power(f) == 3.5)
        #expect(NoiseModel.noisePower(q, reference: f) == 0.5)
        #expect(abs(NoiseModel.sqnrDB(signal: 3.5, noise: 0.5) - 8.450980400142568) < 1e-12)
        #expect(NoiseModel.sqnrDB(signal: 1, noise: 0) == .infinity)
        #expect(NoiseModel.sqnrDB(signal: 0, noise: 1) == -.infinity)
        // Top-1: image 0: f picks 0, q picks 0 (1 > −1); image 1: both pick 0. Ties go to the lower index.
        #expect(NoiseModel.top1Agreement(q, reference: f) == 1)
        #expect(NoiseModel.top1Agreement([[0, 5], [2, 2]], reference: f) == 0.5)
    }

    /// The prediction adds the fixed noise and one term per unit, and the knapsack's noise for the same
    /// assignment is the same Double (same order of addition).
    @Test func additivePredictionMatchesTheKnapsack() throws {
        let table = SensitivityTable(granularity: .block, units: ["block0", "block1", "block2"], choices: [2, 8], images: 1,
                                     signalPower: 2, fixedNoisePower: 0.001,
                                     noisePower: [[0.3, 0.01], [0.2, 0.002], [0.7, 0.03]],
                                     top1Agreement: [[1, 1], [1, 1], [1, 1]])
        #expect(table.predictedNoise(choices: [0, 1, 0]) == 0.001 + 0.3 + 0.002 + 0.7)
        #expect(table.sqnrDB(unit: 1, choice: 0) == NoiseModel.sqnrDB(signal: 2, noise: 0.001 + 0.2))
        let net = try Preset.seed.network(PresetOptions(blocks: 3))
        let space = try SearchSpace(network: net, inputSize: 16, granularity: .block, choices: [2, 8])
        let (problem, axes) = try MixedPrecisionSearch.problem(space: space, table: table, budgets: [])
        #expect(axes == [.bitops, .weightStorageBits])
        problem.forEachAssignment { a in
            #expect(problem.noise(a) == table.predictedNoise(choices: a))
        }
    }
}

@Suite struct SearchTests {
    @Test func spreadPicksEvenlyWithBothEnds() {
        #expect(MixedPrecisionSearch.spread(10, count: 3) == [0, 5, 9])   // 4.5 rounds away from zero
        #expect(MixedPrecisionSearch.spread(5, count: 10) == [0, 1, 2, 3, 4])
        #expect(MixedPrecisionSearch.spread(5, count: 1) == [4])
        #expect(MixedPrecisionSearch.spread(5, count: 0) == [])
        #expect(MixedPrecisionSearch.spread(0, count: 4) == [])
    }

    /// The primary axis and the limits: the first assignment-dependent budget's axis; its loosest limit; the
    /// tightest on the other axis; a weights budget of B bytes is 8·B bits.
    @Test func budgetsBecomeLimits() throws {
        let net = try Preset.seed.network(PresetOptions(blocks: 2))
        let space = try SearchSpace(network: net, inputSize: 16, granularity: .block, choices: [2, 8])
        let table = SensitivityTable(granularity: .block, units: space.units, choices: [2, 8], images: 1, signalPower: 1,
                                     fixedNoisePower: 0, noisePower: [[0.1, 0], [0.1, 0]], top1Agreement: [[1, 1], [1, 1]])
        let budgets = [
            SearchBudget(kind: .time, limit: 2, text: "time<=2ms"),
            SearchBudget(kind: .weights, limit: 1000.7, text: "weights<=1000.7"),
            SearchBudget(kind: .bitops, limit: 5e6, text: "bitops<=5M"),
            SearchBudget(kind: .weights, limit: 2000, text: "weights<=2000"),
            SearchBudget(kind: .bitops, limit: 1e6, text: "bitops<=1M"),
        ]
        let (p, axes) = try MixedPrecisionSearch.problem(space: space, table: table, budgets: budgets)
        #expect(axes == [.weightStorageBits, .bitops])
        #expect(p.limits == [16_000, 1_000_000])
    }

    /// With a fake engine whose measurements are the prediction with one point made worse, the outcome
    /// marks the non-monotone point, picks the best measured point per budget, and measures the uniform
    /// references.
    @Test func outcomeWithAFakeEngine() throws {
        let net = try Preset.seed.network(PresetOptions(blocks: 3))
        let space = try SearchSpace(network: net, inputSize: 16, granularity: .block, choices: [2, 4, 8])
        let table = SensitivityTable(granularity: .block, units: space.units, choices: space.choices, images: 2, signalPower: 1,
                                     fixedNoisePower: 0, noisePower: [[0.4, 0.1, 0.01], [0.8, 0.2, 0.02], [0.3, 0.05, 0.004]],
                                     top1Agreement: Array(repeating: [1, 1, 1], count: 3), msPerImage: 1.5)
        let all = try MixedPrecisionSearch.problem(space: space, table: table, budgets: []).0.front()
        let spoiled = space.bits(choices: all[all.count / 2].choices)
        var calls: [[BitWidth]] = []
        let measure: ([BitWidth]) throws -> MeasuredNoise = { bits in
            calls.append(bits)
            let picks = bits.map { space.choices.firstIndex(of: $0)! }
            let n = table.predictedNoise(choices: picks)
            return MeasuredNoise(noisePower: bits == spoiled ? 10 : n, top1Agreement: 1)
        }
        let limit = all[all.count - 2].costs[0]
        let budgets = [SearchBudget(kind: .bitops, limit: Double(limit), text: "bitops<=x"),
                       SearchBudget(kind: .time, limit: 1, text: "time<=1ms")]
        // The time budget cannot be met (1.5 ms per image): no front.
        let none = try MixedPrecisionSearch.run(space: space, table: table, budgets: budgets, verify: { $0 }, peakActivationBytes: 0,
                                                measure: measure, clock: { 0 })
        #expect(none.front.isEmpty && none.best[1].met == false && none.best[1].networkValue == 1.5)
        calls = []
        let o = try MixedPrecisionSearch.run(space: space, table: table, budgets: [budgets[0]], verify: { $0 }, peakActivationBytes: 0,
                                             measure: measure, clock: { 0 })
        #expect(o.front.count == all.count - 1)        // the dearest point is over the limit
        #expect(o.verified == Array(o.front.indices))
        #expect(calls.count == o.front.count + 3)      // every front point, then three uniform references
        #expect(o.uniform.map(\.bits) == [[2, 2, 2], [4, 4, 4], [8, 8, 8]])
        let spoiledIndex = o.front.firstIndex { $0.bits == spoiled }!
        #expect(o.nonMonotone.map(\.point) == [spoiledIndex])
        #expect(!o.measuredFront.contains(spoiledIndex))
        #expect(o.best[0].bestPredicted == o.front.count - 1)
        #expect(o.best[0].bestMeasured == o.front.count - 1)
        for p in o.front where p.bits != spoiled {
            #expect(p.measuredSQNRDB == p.predictedSQNRDB)
        }
    }
}

@Suite struct SensitivityDocumentTests {
    static let table = SensitivityTable(granularity: .block, units: ["block0", "block1"], choices: [2, 8], images: 2, signalPower: 3,
                                        fixedNoisePower: 0.5, noisePower: [[0.25, 0.125], [1, 0]], top1Agreement: [[0.5, 1], [0, 1]],
                                        msPerImage: 1.25)

    /// Written as JSON and read back, the table is the same; a reordered choice list reads the same entries.
    @Test func roundTripThroughJSON() throws {
        let net = try Preset.seed.network(PresetOptions(blocks: 2))
        let doc = SensitivityDocument(network: net, size: 16, convention: .weight, weights: "seed 0", granularity: "per-tensor",
                                      table: Self.table, images: ["a.png", "b.png"], seconds: 1)
        #expect(doc.entries.count == 4)
        #expect(doc.entries[1].sqnrDB.value == NoiseModel.sqnrDB(signal: 3, noise: 0.5 + 0.125))
        let back = try JSONDecoder().decode(SensitivityDocument.self, from: try JSONEncoder().encode(doc))
        let t = try back.table(network: net, size: 16, convention: .weight, weights: "seed 0", granularity: "per-tensor",
                               units: ["block0", "block1"], per: .block, choices: [2, 8], images: ["a.png", "b.png"])
        #expect(t == Self.table)
        let swapped = try back.table(network: net, size: 16, convention: .weight, weights: "seed 0", granularity: "per-tensor",
                                     units: ["block0", "block1"], per: .block, choices: [8, 2], images: ["a.png", "b.png"])
        #expect(swapped.noisePower == [[0.125, 0.25], [0, 1]])
    }

    /// A float choice is `.float` in the table and the documents, and 32 in their JSON, as before widths were
    /// typed (`bits`, `choices`); the network's own float widths stay `"float"`. Both spellings read back.
    @Test func floatChoicesAreWrittenAs32() throws {
        let net = try Preset.seed.network(PresetOptions(blocks: 1))
        let table = SensitivityTable(granularity: .block, units: ["block0"], choices: [4, .float], images: 1, signalPower: 1,
                                     fixedNoisePower: 0, noisePower: [[0.5, 0]], top1Agreement: [[1, 1]])
        let doc = SensitivityDocument(network: net, size: 16, convention: .weight, weights: "seed 0", granularity: "per-tensor",
                                      table: table, images: ["a.png"], seconds: 1)
        let json = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(doc)) as? [String: Any])
        #expect(json["choices"] as? [Int] == [4, 32])
        #expect((json["entries"] as? [[String: Any]])?.map { $0["bits"] as? Int } == [4, 32])
        #expect((json["network"] as? [String: Any])?["classifier_bits"] as? String == "float")
        let back = try JSONDecoder().decode(SensitivityDocument.self, from: try JSONEncoder().encode(doc))
        #expect(back.choices == [.bits(4), .float] && back.entries.map(\.bits) == [.bits(4), .float])
        let typed = String(decoding: try JSONEncoder().encode(doc), as: UTF8.self)
            .replacingOccurrences(of: "\"choices\":[4,32]", with: "\"choices\":[4,\"float\"]")
        #expect(try JSONDecoder().decode(SensitivityDocument.self, from: Data(typed.utf8)).choices == [.bits(4), .float])
        let point = SearchPoint(bits: [.float, 2], cost: UnitCost(bitops: 1, weightStorageBits: 1), predictedNoisePower: 0, predictedSQNRDB: 1)
        let pointJSON = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(point)) as? [String: Any])
        #expect(pointJSON["bits"] as? [Int] == [32, 2])
        #expect(try JSONDecoder().decode(SearchPoint.self, from: try JSONEncoder().encode(point)).bits == [.float, .bits(2)])
    }

    @Test func mismatchesAreNamed() throws {
        let net = try Preset.seed.network(PresetOptions(blocks: 2))
        let doc = SensitivityDocument(network: net, size: 16, convention: .weight, weights: "seed 0", granularity: "per-tensor",
                                      table: Self.table, images: ["a.png"], seconds: 1)
        func message(size: Int = 16, weights: String = "seed 0", choices: [BitWidth] = [2, 8], images: [String] = ["a.png"]) -> String {
            do {
                _ = try doc.table(network: net, size: size, convention: .weight, weights: weights, granularity: "per-tensor",
                                  units: ["block0", "block1"], per: .block, choices: choices, images: images)
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(message(size: 32).contains("size 16, not 32"))
        #expect(message(weights: "seed 1").contains("weights seed 0, not seed 1"))
        #expect(message(choices: [2, 4]).contains("no entry for block0 at 4 bits"))
        #expect(message(images: ["b.png"]).contains("images a.png, not b.png"))
        #expect(message() == "accepted")
    }
}
