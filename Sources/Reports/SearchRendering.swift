import BitOpsCore
import Foundation
import MixedPrecision
import Presentation

/// Text views of a search document: the terminal table, CSV, and the sweep-spec snippet.
public enum SearchRendering {
    static func count(_ v: Int) -> String { NumberText.si(v) }
    static func bytes(bits: Int) -> String { NumberText.bytes(bits: bits) }
    /// `12.34`, `inf`, `-inf`, or `–` when not measured.
    public static func dB(_ v: Double?) -> String {
        guard let v else { return "–" }
        return v == .infinity ? "inf" : v == -.infinity ? "-inf" : NumberText.fixed(v, 2)
    }
    static func pad(_ s: String, _ w: Int, right: Bool = true) -> String {
        let p = String(repeating: " ", count: max(0, w - s.count))
        return right ? p + s : s + p
    }

    /// `Mixed-precision front: seed, 5 blocks at 32 px` (chart titles).
    public static func chartTitle(_ d: SearchDocument) -> String {
        "Mixed-precision front: \(d.network.name), \(d.network.blocks.count) blocks at \(d.size) px"
    }

    /// The terminal table: the front with predicted and measured SQNR, uniform references, the best per budget,
    /// where the model broke down, and timings.
    public static func table(_ d: SearchDocument, headline: String) -> String {
        let o = d.outcome
        var s = headline + "\n"
        s += "per \(d.per.rawValue), choices \(d.choices.commaSeparated); \(d.convention.rawValue) convention; "
        s += "front over \(o.primary == .bitops ? "BitOps" : "weight storage")"
        let others = o.budgets.filter { $0.axis != nil && $0.axis != o.primary }.map(\.text)
        s += others.isEmpty ? "\n" : " subject to \(others.joined(separator: ", "))\n"
        s += "model: \(d.model)\n\n"
        let assignments = o.assignments.map { NumberText.grouped($0) } ?? "more than 2⁶³"
        s += "\(assignments) assignments → \(o.front.count) on the predicted front (computed in \(NumberText.milliseconds(o.frontSeconds * 1000)); "
        s += "largest partial front \(o.stats.largestPartialFront)); \(o.verified.count) verified\n\n"
        let bitsWidth = max(4, (o.front + o.uniform).map { $0.bits.commaSeparated.count }.max() ?? 4)
        s += pad("#", 4) + "  " + pad("bits", bitsWidth, right: false) + pad("BitOps", 10) + pad("weight storage", 16)
        s += pad("predicted dB", 14) + pad("measured dB", 13) + pad("top-1", 7) + "\n"
        func line(_ label: String, _ p: SearchPoint, mark: String = "") -> String {
            var l = pad(label, 4) + "  " + pad(p.bits.commaSeparated, bitsWidth, right: false)
            l += pad(count(p.bitops), 10) + pad(bytes(bits: p.weightStorageBits), 16)
            l += pad(dB(p.predictedSQNRDB), 14) + pad(dB(p.measuredSQNRDB), 13)
            l += pad(p.measuredTop1Agreement.map { NumberText.percent($0) } ?? "–", 7) + mark + "\n"
            return l
        }
        let onMeasured = Set(o.measuredFront)
        let broken = Set(o.nonMonotone.map(\.point))
        for (i, p) in o.front.enumerated() {
            s += line(String(i), p, mark: broken.contains(i) ? "  ← measured below a cheaper point" : (onMeasured.contains(i) ? "  *" : ""))
        }
        if o.front.isEmpty { s += "(no assignment meets every budget)\n" }
        if !onMeasured.isEmpty { s += "* on the measured front (no verified point is cheaper and better)\n" }
        s += "\nuniform references (every \(d.per.rawValue) at the same bits):\n"
        for p in o.uniform { s += line("", p) }
        if !o.best.isEmpty {
            s += "\nbudgets:\n"
            for b in o.best {
                s += "  \(b.budget.text): "
                if let v = b.networkValue {
                    let what = b.budget.kind == .time ? NumberText.milliseconds(v) + " per image" : NumberText.bytes(Int(v))
                    s += (b.met ? "met" : "NOT met") + " (\(what), the same for every assignment)\n"
                } else if let i = b.bestMeasured ?? b.bestPredicted {
                    let p = o.front[i]
                    s += "#\(i) \(p.bits.commaSeparated) — \(count(p.bitops)) BitOps, \(bytes(bits: p.weightStorageBits)), "
                    s += "predicted \(dB(p.predictedSQNRDB)) dB, measured \(dB(p.measuredSQNRDB)) dB"
                    s += b.bestMeasured != nil ? " (best measured)\n" : " (best predicted; not verified)\n"
                } else {
                    s += "no assignment fits\n"
                }
            }
        }
        if o.nonMonotone.isEmpty {
            if o.verified.count > 1 { s += "\nthe measured front is monotone: every verified point measured better than every cheaper one\n" }
        } else {
            s += "\nwhere the additive model broke down: \(o.nonMonotone.count) of \(o.verified.count) verified points measured no better "
            s += "than a cheaper verified point (all in the JSON's non_monotone); the largest drops:\n"
            let worst = o.nonMonotone.sorted {
                ($0.cheaperMeasuredSQNRDB - $0.measuredSQNRDB) > ($1.cheaperMeasuredSQNRDB - $1.measuredSQNRDB)
            }.prefix(3)
            for n in worst {
                s += "  #\(n.point) measured \(dB(n.measuredSQNRDB)) dB ≤ #\(n.cheaper) \(dB(n.cheaperMeasuredSQNRDB)) dB "
                s += "(predicted \(dB(o.front[n.point].predictedSQNRDB)) vs \(dB(o.front[n.cheaper].predictedSQNRDB)) dB)\n"
            }
        }
        if let c = d.bruteForce {
            let which = o.budgets.contains { $0.axis != nil } ? "every one within the budgets" : "all of them"
            s += "\nbrute force: \(c.assignments) assignments (\(which)) run; measured front \(c.bruteForceFront) points, "
            s += "\(c.sharedPoints) of them on the predicted front\n"
            s += "  hypervolume of the verified points: \(NumberText.fixed(c.hypervolumeRatio * 100, 2))% of the brute-force front's\n"
            for l in c.levels {
                s += "  under \(count(l.limit)): chosen \(l.chosenBits?.commaSeparated ?? "–") \(dB(l.chosenSQNRDB)) dB, "
                s += "best \(l.bestBits.commaSeparated) \(dB(l.bestSQNRDB)) dB, gap \(l.gapDB.map { NumberText.fixed($0, 2) } ?? "–") dB\n"
            }
        }
        let t = d.timings
        s += "\ntimes: setup \(NumberText.fixed(t.setupSeconds, 2)) s; sensitivity \(t.sensitivityRuns) runs \(NumberText.fixed(t.sensitivitySeconds, 2)) s; "
        s += "front \(NumberText.milliseconds(t.frontSeconds * 1000)); verification \(t.verificationRuns) runs \(NumberText.fixed(t.verificationSeconds, 2)) s"
        if let b = t.bruteForceSeconds { s += "; brute force \(NumberText.fixed(b, 2)) s" }
        return s + "\n"
    }

    /// One row per front point, then one per uniform reference (`kind` tells them apart). Bits are one field,
    /// `8 4 2 4 8`, numbers as in `search.json` (float as 32); empty fields where nothing was measured.
    public static func csv(_ d: SearchDocument) -> String {
        let o = d.outcome
        var s = "kind,index,bits,bitops,weight_storage_bits,predicted_noise_power,predicted_sqnr_db,measured_noise_power,measured_sqnr_db,measured_top1_agreement,on_measured_front\n"
        func num(_ v: Double?) -> String {
            guard let v else { return "" }
            return v == .infinity ? "inf" : v == -.infinity ? "-inf" : "\(v)"
        }
        func row(_ kind: String, _ i: Int, _ p: SearchPoint, _ onFront: Bool) -> String {
            [kind, String(i), p.bits.map { String($0.countedBits) }.joined(separator: " "), String(p.bitops), String(p.weightStorageBits),
             num(p.predictedNoisePower), num(p.predictedSQNRDB), num(p.measuredNoisePower), num(p.measuredSQNRDB),
             num(p.measuredTop1Agreement), onFront ? "true" : "false"].joined(separator: ",") + "\n"
        }
        let onFront = Set(o.measuredFront)
        for (i, p) in o.front.enumerated() { s += row("front", i, p, onFront.contains(i)) }
        for (i, p) in o.uniform.enumerated() { s += row("uniform", i, p, false) }
        return s
    }

    /// `2-bit`, or `float`.
    public static func bitsLabel(_ b: BitWidth) -> String { b.prose }

    /// The terminal table of `sensitivity`: SQNR per unit and bit-width, then the noise powers.
    public static func sensitivityTable(_ t: SensitivityTable, headline: String, seconds: Double, runs: Int) -> String {
        let unit = t.granularity.rawValue
        var s = headline + "\n"
        s += "one \(unit) quantized at a time, everything else as given; logit SQNR (dB) against the float network, pooled over the images\n\n"
        let nameWidth = max(unit.count, t.units.map(\.count).max() ?? 0)
        func row(_ name: String, _ cells: [String]) -> String {
            name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + cells.map { pad($0, 12) }.joined() + "\n"
        }
        s += row(unit, t.choices.map(bitsLabel))
        for (u, name) in t.units.enumerated() {
            s += row(name, t.choices.indices.map { dB(t.sqnrDB(unit: u, choice: $0)) })
        }
        // Noise powers in units of 10^e, e a multiple of 3 that puts the largest between 1 and 1000.
        let largest = t.noisePower.joined().max() ?? 0
        let e = largest > 0 ? Int((log10(largest) / 3).rounded(.down)) * 3 : 0
        let scale = pow(10, Double(-e))
        s += "\nnoise power" + (e == 0 ? "" : " (×10^\(e))") + ", the mean squared logit error against the base network\n"
        s += row(unit, t.choices.map(bitsLabel))
        for (u, name) in t.units.enumerated() {
            s += row(name, t.noisePower[u].map { NumberText.significant($0 * scale, digits: 3) })
        }
        s += "\nsignal power \(NumberText.significant(t.signalPower, digits: 4)); base network noise \(NumberText.significant(t.fixedNoisePower, digits: 3))"
        s += t.fixedNoisePower == 0 ? " (the base network is the float network)\n" : " (layers outside the search quantized as given)\n"
        s += "\(runs) runs in \(NumberText.fixed(seconds, 2)) s\n"
        return s
    }
}

/// Where a search's network and weights came from, as a sweep spec names them (for `sweepSnippet`).
public struct SweepSource: Sendable, Hashable {
    /// The preset (`seed`, `mobilenet-v1`), or nil with a model file.
    public var preset: String?
    /// The model file, absolute.
    public var model: String?
    public var width: Double?
    /// The safetensors file, absolute; nil for seeded weights.
    public var weightsFile: String?
    public var seed: UInt64
    public var initialization: String
    public var quantization: String
    /// The one folder the images came from, absolute (nil when they came from several).
    public var imageFolder: String?
    public init(preset: String?, model: String?, width: Double?, weightsFile: String?, seed: UInt64, initialization: String,
                quantization: String, imageFolder: String?) {
        self.preset = preset
        self.model = model
        self.width = width
        self.weightsFile = weightsFile
        self.seed = seed
        self.initialization = initialization
        self.quantization = quantization
        self.imageFolder = imageFolder
    }
}

extension SearchRendering {
    /// A sweep spec (YAML) that reruns the chosen assignments (`SearchDocument.chosen`) with `bitsweep sweep`:
    /// the same network, weights, size and convention, one precision entry per assignment. Only a comment
    /// when nothing was chosen (a spec needs at least one precision).
    public static func sweepSnippet(_ d: SearchDocument, source: SweepSource) -> String {
        func list(_ v: [BitWidth]) -> String { "[" + v.map(\.description).joined(separator: ", ") + "]" }
        let chosen = d.chosen()
        guard !chosen.isEmpty else { return "# the search found no assignment within the budgets: nothing to rerun\n" }
        guard d.per == .block else {
            return "# per-layer assignments (depthwise_bits, pointwise_bits) cannot be written as a sweep spec yet: see search.json\n"
        }
        var s = "# Written by `bitsweep search`: the chosen assignments, to rerun with `bitsweep sweep FILE`.\n"
        s += "name: search-\(d.network.name)-\(d.network.blocks.count)\n"
        if let f = source.imageFolder {
            s += "images: \(f)\n"
        } else {
            s += "# images: the search measured on files from several folders; put them in one and name it here\n"
        }
        s += "network:\n"
        if let model = source.model {
            s += "  model: \(model)\n"
        } else {
            s += "  preset: \(source.preset ?? "seed")\n"
            if let w = source.width { s += "  width: \(w)\n" }
        }
        if let stem = d.network.stem { s += "  stem_bits: \(stem.bits)\n" }
        s += "  classifier_bits: \(d.network.classifierBits)\n"
        s += "  input_bits: \(d.network.inputBits)\n"
        if let w = source.weightsFile {
            s += "  weights: \(w)\n"
        } else {
            s += "  seed: \(source.seed)\n  init: \(source.initialization)\n"
        }
        s += "  quantization: \(source.quantization)\n"
        s += "sizes: [\(d.size)]\n"
        if source.model == nil { s += "blocks: [\(d.network.blocks.count)]\n" }
        s += "precisions:\n"
        for (p, why) in chosen {
            s += "  - \(list(p.bits))   # \(why): \(NumberText.si(p.bitops)) BitOps, predicted \(dB(p.predictedSQNRDB)) dB"
            s += p.measuredSQNRDB.map { ", measured \(dB($0)) dB\n" } ?? "\n"
        }
        let acts = d.network.blocks.map(\.actBits)
        s += "act_bits: [" + (Set(acts).count == 1 ? acts[0].description : "[" + acts.map(\.description).joined(separator: ", ") + "]") + "]\n"
        s += "conventions: [\(d.convention.rawValue)]\n"
        return s
    }
}
