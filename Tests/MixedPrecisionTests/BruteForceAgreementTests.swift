import BitOpsCore
import Engine
import Foundation
import MixedPrecision
import MixedPrecisionEngine
import Testing

/// The search against brute force on real runs: the seed preset, 5 blocks at 32 px, choices {2, 4, 8} —
/// all 3⁵ = 243 assignments are run directly and compared with the verified front.
@Suite struct BruteForceAgreementTests {
    static let imagesFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Inputs/images")

    static func images(_ names: [String], size: Int) throws -> [Tensor] {
        try names.map { try ImageFile.load(path: imagesFolder.appendingPathComponent($0).path).resized(to: size).tensor() }
    }

    @Test func verifiedFrontMatchesTheBruteForceFront() throws {
        let net = try Preset.seed.network(PresetOptions(blocks: 5))
        let space = try SearchSpace(network: net, inputSize: 32, granularity: .block, choices: [2, 4, 8])
        let images = try Self.images(["astronaut-rgb.png", "chelsea.jpg", "coffee-palette.png"], size: 32)
        let probe = try QualityProbe(space: space, weights: NetworkWeights.seeded(0, spec: net), images: images,
                                     options: EngineOptions(batchSize: images.count))
        let table = try probe.sensitivity()
        // Sensitivity: more bits, less noise, for every block.
        for u in table.units.indices {
            #expect(table.noisePower[u][0] > table.noisePower[u][1] && table.noisePower[u][1] > table.noisePower[u][2], "block \(u)")
        }
        let outcome = try MixedPrecisionSearch.run(space: space, table: table, budgets: [], verify: { $0 }, peakActivationBytes: 0,
                                                   measure: { try probe.measure(bits: $0) }, clock: { 0 })
        // Every assignment, run directly.
        var all: [BruteForceComparison.Sample] = []
        let (problem, _) = try MixedPrecisionSearch.problem(space: space, table: table, budgets: [])
        try problem.forEachAssignment { picks in
            let bits = space.bits(choices: picks)
            let m = try probe.measure(bits: bits)
            all.append(.init(bits: bits, cost: try space.cost(choices: picks).bitops,
                             sqnrDB: NoiseModel.sqnrDB(signal: table.signalPower, noise: m.noisePower)))
        }
        #expect(all.count == 243)
        let limits = BruteForceComparison.levels(costs: all.map(\.cost), count: 5)
        let c = BruteForceComparison(outcome: outcome, all: all, limits: limits)
        #expect(c.hypervolumeRatio >= 0.98, "hypervolume ratio \(c.hypervolumeRatio)")
        #expect(c.levels.count == 5)
        for level in c.levels {
            let gap = try #require(level.gapDB, "no verified point under \(level.limit)")
            #expect(gap <= 0.5, "at \(level.limit) BitOps: chosen \(level.chosenBits ?? []) \(level.chosenSQNRDB ?? 0) dB, best \(level.bestBits) \(level.bestSQNRDB) dB")
        }
        // The measurements the search made are the same numbers the direct sweep made (runs are deterministic).
        for i in outcome.verified {
            let p = outcome.front[i]
            #expect(all.first { $0.bits == p.bits }?.sqnrDB == p.measuredSQNRDB)
        }
    }
}
