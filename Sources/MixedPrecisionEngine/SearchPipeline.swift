import BitOpsCore
import Engine
import Foundation
import MixedPrecision

/// A whole search as one library call, for callers that are not the `search` command line (a sweep spec's
/// `search:` section): the network, size, weights, images, choices and budgets in, the search document out.
/// `bitsweep search` runs the same steps (with its extras: a stored sensitivity table, brute force).
public enum SearchPipeline {
    /// What to search: the network (its searched units' bits are replaced; the rest kept), the engine's
    /// inputs (weights, decoded images at `size`, options) and the search's settings.
    public struct Request {
        public var network: NetworkSpec
        public var size: Int
        public var convention: BitOpsConvention
        public var weights: NetworkWeights
        /// How the weights are named in the document (`seed 0 (he-normal)` or a safetensors file).
        public var weightsLabel: String
        /// The images as tensors at `size`, and their names (as the document lists them).
        public var images: [Tensor]
        public var imageNames: [String]
        public var per: SearchGranularity
        public var choices: [BitWidth]
        public var budgets: [SearchBudget]
        /// Front points to run, given the front's size.
        public var verify: (Int) -> Int
        public var options: EngineOptions

        public init(network: NetworkSpec, size: Int, convention: BitOpsConvention, weights: NetworkWeights, weightsLabel: String,
                    images: [Tensor], imageNames: [String], per: SearchGranularity, choices: [BitWidth], budgets: [SearchBudget],
                    verify: @escaping (Int) -> Int, options: EngineOptions) {
            self.network = network
            self.size = size
            self.convention = convention
            self.weights = weights
            self.weightsLabel = weightsLabel
            self.images = images
            self.imageNames = imageNames
            self.per = per
            self.choices = choices
            self.budgets = budgets
            self.verify = verify
            self.options = options
        }
    }

    /// The search space and the probe (reference logits made once) for a request: what every later step uses.
    public static func prepare(_ r: Request) throws -> (space: SearchSpace, probe: QualityProbe) {
        let space = try SearchSpace(network: r.network, inputSize: r.size, convention: r.convention, granularity: r.per, choices: r.choices)
        let probe = try QualityProbe(space: space, weights: r.weights, images: r.images, options: r.options)
        return (space, probe)
    }

    /// Sensitivity (unless `table` is given), the exact front, verification; the document (no brute force).
    /// `progress(stage, done, total)` is called after each engine run.
    public static func run(_ r: Request, space: SearchSpace, probe: QualityProbe, table given: SensitivityTable? = nil,
                           setupSeconds: Double, progress: @escaping (String, Int, Int) -> Void = { _, _, _ in }) throws -> SearchDocument {
        let t0 = QualityProbe.now()
        let table = try given ?? probe.sensitivity(progress: { progress("sensitivity", $0, $1) })
        let sensitivitySeconds = QualityProbe.now() - t0
        let runsBefore = probe.runs
        let t1 = QualityProbe.now()
        let peak = try space.network.cost(inputSize: space.inputSize, convention: space.convention).totals.peakActivationBytes
        var done = 0
        let outcome = try MixedPrecisionSearch.run(
            space: space, table: table, budgets: r.budgets, verify: r.verify, peakActivationBytes: peak,
            measure: { bits in
                defer { done += 1; progress("verification", done, 0) }
                return try probe.measure(bits: bits)
            },
            clock: { Date().timeIntervalSinceReferenceDate })
        let verifySeconds = QualityProbe.now() - t1
        return SearchDocument(network: r.network, size: r.size, convention: space.convention, weights: r.weightsLabel,
                              granularity: r.options.granularity.rawValue, per: space.granularity, choices: space.choices,
                              units: space.units, images: r.imageNames, sensitivity: table, outcome: outcome, bruteForce: nil,
                              timings: .init(setupSeconds: setupSeconds, sensitivitySeconds: sensitivitySeconds,
                                             sensitivityRuns: runsBefore, frontSeconds: outcome.frontSeconds,
                                             verificationSeconds: verifySeconds, verificationRuns: probe.runs - runsBefore,
                                             bruteForceSeconds: nil))
    }
}
