import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import MixedPrecision
import MixedPrecisionEngine

/// A sweep spec's `search:` section run after the grid: the spec's network (its family, settings and weights)
/// at the section's size and blocks, on the first images of the spec's images folder, searched as
/// `bitsweep search` does (`SearchPipeline`). The caller stores the document in the results folder.
public enum SweepSearch {
    /// The document, or a `SweepError` (an input error when the search space itself is wrong).
    public static func run(_ spec: SweepSpec, threads: Int = 1) throws -> SearchDocument {
        guard let s = spec.search else { throw SweepError("the sweep spec has no search: section") }
        let start = QualityProbe.now()
        // Searched units' bits are replaced by the search; the base is float, stem and classifier as the spec says.
        let network = try SweepPlan.buildNetwork(spec, blocks: s.blocks, bits: Array(repeating: .float, count: s.blocks),
                                                 actBits: Array(repeating: .float, count: s.blocks))
        let set = try ImageSet.scan(folder: spec.resolve(spec.images.value), origin: spec.images.origin)
        var tensors: [Tensor] = []
        var names: [String] = []
        for f in set.files where s.images.map({ tensors.count < $0 }) ?? true {
            // Files the sweep skipped as unreadable are skipped here too (the report's failures table lists them).
            guard let image = try? ImageFile.load(path: set.path(f)) else { continue }
            tensors.append(image.resized(to: s.size).tensor())
            names.append(f)
        }
        guard !tensors.isEmpty else {
            throw SweepError("\(s.origin): search: no readable image in \(set.folder)", input: true)
        }
        let weights: NetworkWeights, label: String
        if let w = spec.weights {
            let path = spec.resolve(w.value)
            do { weights = try NetworkWeights.load(safetensors: path, spec: network) } catch {
                throw SweepError("\(w.origin): search: network weights '\(w.value)': \(error)", input: true)
            }
            label = w.value
        } else {
            weights = NetworkWeights.seeded(UInt64(spec.seed), spec: network, initialization: spec.initialization)
            label = "seed \(spec.seed) (\(spec.initialization.rawValue))"
        }
        let request = SearchPipeline.Request(
            network: network, size: s.size, convention: s.convention, weights: weights, weightsLabel: label,
            images: tensors, imageNames: names, per: s.per, choices: s.choices, budgets: s.budgets,
            verify: { s.verifyCount(front: $0) },
            options: EngineOptions(granularity: spec.quantization, threads: max(1, threads), batchSize: min(spec.batch, tensors.count),
                                   fidelity: false, initialization: spec.initialization))
        let (space, probe): (SearchSpace, QualityProbe)
        do { (space, probe) = try SearchPipeline.prepare(request) } catch let e as SearchError {
            throw SweepError("\(s.origin): search: \(e.description)", input: true)
        }
        return try SearchPipeline.run(request, space: space, probe: probe, setupSeconds: QualityProbe.now() - start)
    }
}
