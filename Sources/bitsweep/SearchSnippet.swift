import BitOpsCore
import Foundation
import MixedPrecision
import Presentation

extension SearchWriters {
    /// A sweep spec (YAML) that reruns the chosen assignments (`SearchDocument.chosen`) with `bitsweep sweep`:
    /// the same network, weights, size and convention, one precision entry per assignment. Paths are made
    /// absolute so that the file works wherever it is saved.
    static func sweepSnippet(_ d: SearchDocument, network: NetworkOptions, engine: EngineFlags, images: [String]) -> String {
        func absolute(_ p: String) -> String {
            URL(fileURLWithPath: p).standardizedFileURL.path
        }
        func list(_ v: [Int]) -> String { "[" + v.map(String.init).joined(separator: ", ") + "]" }
        let chosen = d.chosen()
        guard !chosen.isEmpty else { return "# the search found no assignment within the budgets: nothing to rerun\n" }
        var s = "# Written by `bitsweep search`: the chosen assignments, to rerun with `bitsweep sweep FILE`.\n"
        s += "name: search-\(d.network.name)-\(d.network.blocks.count)\n"
        let folders = Set(images.map { URL(fileURLWithPath: absolute($0)).deletingLastPathComponent().path })
        if folders.count == 1, let f = folders.first {
            s += "images: \(f)\n"
        } else {
            s += "# images: the search measured on files from several folders; put them in one and name it here\n"
        }
        s += "network:\n"
        if let model = network.model {
            s += "  model: \(absolute(model))\n"
        } else {
            s += "  preset: \(network.preset ?? Preset.seed.rawValue)\n"
            if let w = network.width { s += "  width: \(w)\n" }
        }
        if let stem = d.network.stem { s += "  stem_bits: \(stem.bits)\n" }
        s += "  classifier_bits: \(d.network.classifierBits)\n"
        s += "  input_bits: \(d.network.inputBits)\n"
        if let w = engine.weights {
            s += "  weights: \(absolute(w))\n"
        } else {
            s += "  seed: \(engine.seed)\n  init: \(engine.initialization.rawValue)\n"
        }
        s += "  quantization: \(engine.granularity.rawValue)\n"
        s += "sizes: [\(d.size)]\n"
        if network.model == nil { s += "blocks: [\(d.network.blocks.count)]\n" }
        s += "precisions:\n"
        for (p, why) in chosen {
            s += "  - \(list(p.bits))   # \(why): \(NumberText.si(p.bitops)) BitOps, predicted \(dBText(p.predictedSQNRDB)) dB"
            s += p.measuredSQNRDB.map { ", measured \(dBText($0)) dB\n" } ?? "\n"
        }
        let acts = d.network.blocks.map(\.actBits)
        s += "act_bits: [" + (Set(acts).count == 1 ? acts[0].description : "[" + acts.map(\.description).joined(separator: ", ") + "]") + "]\n"
        s += "conventions: [\(d.convention.rawValue)]\n"
        return s
    }
}
