import BitOpsCore
import Presentation

/// Everything `bitsweep search` found, as written to `search.json`: the configuration, the sensitivity
/// table, the outcome (front, verification, uniform references, best per budget), an optional brute-force
/// comparison, and the time each stage took. Its keys are the outcome's (`front`, `best`, …) plus those below.
public struct SearchDocument: Codable, Sendable {
    public struct Timings: Codable, Sendable, Hashable {
        public var setupSeconds: Double
        public var sensitivitySeconds: Double
        public var sensitivityRuns: Int
        /// The knapsack alone (after the sensitivity runs).
        public var frontSeconds: Double
        public var verificationSeconds: Double
        public var verificationRuns: Int
        public var bruteForceSeconds: Double?
        public init(setupSeconds: Double, sensitivitySeconds: Double, sensitivityRuns: Int, frontSeconds: Double,
                    verificationSeconds: Double, verificationRuns: Int, bruteForceSeconds: Double?) {
            self.setupSeconds = setupSeconds
            self.sensitivitySeconds = sensitivitySeconds
            self.sensitivityRuns = sensitivityRuns
            self.frontSeconds = frontSeconds
            self.verificationSeconds = verificationSeconds
            self.verificationRuns = verificationRuns
            self.bruteForceSeconds = bruteForceSeconds
        }
        enum CodingKeys: String, CodingKey {
            case setupSeconds = "setup_seconds", sensitivitySeconds = "sensitivity_seconds", sensitivityRuns = "sensitivity_runs"
            case frontSeconds = "front_seconds", verificationSeconds = "verification_seconds"
            case verificationRuns = "verification_runs", bruteForceSeconds = "brute_force_seconds"
        }
    }

    public var network: NetworkSpec
    public var size: Int
    public var convention: BitOpsConvention
    /// `seed 0 (he-normal)` or the safetensors file.
    public var weights: String
    /// Weight quantization granularity (`per-tensor`).
    public var granularity: String
    public var per: SearchGranularity
    public var choices: [Int]
    public var units: [String]
    public var images: [String]
    /// The model the prediction uses, in words.
    public var model: String
    public var sensitivity: SensitivityTable
    public var outcome: SearchOutcome
    public var bruteForce: BruteForceComparison?
    public var timings: Timings

    public static let modelText = "additive noise: P(a) = P_fixed + Σ_u P_u(a_u), P_u(b) measured with only unit u at b bits; predicted SQNR = 10·log10(S / P(a)); costs add exactly"

    public init(network: NetworkSpec, size: Int, convention: BitOpsConvention, weights: String, granularity: String,
                per: SearchGranularity, choices: [Int], units: [String], images: [String], sensitivity: SensitivityTable,
                outcome: SearchOutcome, bruteForce: BruteForceComparison?, timings: Timings) {
        self.network = network
        self.size = size
        self.convention = convention
        self.weights = weights
        self.granularity = granularity
        self.per = per
        self.choices = choices
        self.units = units
        self.images = images
        model = Self.modelText
        self.sensitivity = sensitivity
        self.outcome = outcome
        self.bruteForce = bruteForce
        self.timings = timings
    }

    enum CodingKeys: String, CodingKey {
        case network, size, convention, weights, granularity, per, choices, units, images, model, sensitivity
        case bruteForce = "brute_force", timings
    }

    public func encode(to encoder: Encoder) throws {
        try outcome.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(network, forKey: .network)
        try c.encode(size, forKey: .size)
        try c.encode(convention, forKey: .convention)
        try c.encode(weights, forKey: .weights)
        try c.encode(granularity, forKey: .granularity)
        try c.encode(per, forKey: .per)
        try c.encode(choices, forKey: .choices)
        try c.encode(units, forKey: .units)
        try c.encode(images, forKey: .images)
        try c.encode(model, forKey: .model)
        try c.encode(sensitivity, forKey: .sensitivity)
        try c.encodeIfPresent(bruteForce, forKey: .bruteForce)
        try c.encode(timings, forKey: .timings)
    }

    public init(from decoder: Decoder) throws {
        outcome = try SearchOutcome(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        network = try c.decode(NetworkSpec.self, forKey: .network)
        size = try c.decode(Int.self, forKey: .size)
        convention = try c.decode(BitOpsConvention.self, forKey: .convention)
        weights = try c.decode(String.self, forKey: .weights)
        granularity = try c.decode(String.self, forKey: .granularity)
        per = try c.decode(SearchGranularity.self, forKey: .per)
        choices = try c.decode([Int].self, forKey: .choices)
        units = try c.decode([String].self, forKey: .units)
        images = try c.decode([String].self, forKey: .images)
        model = try c.decode(String.self, forKey: .model)
        sensitivity = try c.decode(SensitivityTable.self, forKey: .sensitivity)
        bruteForce = try c.decodeIfPresent(BruteForceComparison.self, forKey: .bruteForce)
        timings = try c.decode(Timings.self, forKey: .timings)
    }

    /// The cost the front is over, for an output point, in its display unit (BitOps, or bytes).
    public func primaryValue(_ p: SearchPoint) -> Int {
        outcome.primary == .bitops ? p.bitops : (p.weightStorageBits + 7) / 8
    }

    /// The assignments worth rerunning: the best per budget first, then the measured front (cheapest first),
    /// without repeats, at most `limit`. Each with a one-line reason.
    public func chosen(limit: Int = 12) -> [(point: SearchPoint, reason: String)] {
        var out: [(SearchPoint, String)] = []
        var seen = Set<[Int]>()
        func add(_ p: SearchPoint, _ why: String) {
            guard out.count < limit, !seen.contains(p.bits) else { return }
            seen.insert(p.bits)
            out.append((p, why))
        }
        for b in outcome.best {
            if let i = b.bestMeasured ?? b.bestPredicted { add(outcome.front[i], "best under \(b.budget.text)") }
        }
        for i in outcome.measuredFront { add(outcome.front[i], "on the measured front") }
        if outcome.verified.isEmpty {
            for i in MixedPrecisionSearch.spread(outcome.front.count, count: limit) { add(outcome.front[i], "on the predicted front") }
        }
        return out
    }
}

/// Text views of a search document: the terminal table, CSV, and the sweep-spec snippet.
public enum SearchWriters {
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
        s += "per \(d.per.rawValue), choices \(d.choices.map(String.init).joined(separator: ",")); \(d.convention.rawValue) convention; "
        s += "front over \(o.primary == .bitops ? "BitOps" : "weight storage")"
        let others = o.budgets.filter { $0.axis != nil && $0.axis != o.primary }.map(\.text)
        s += others.isEmpty ? "\n" : " subject to \(others.joined(separator: ", "))\n"
        s += "model: \(d.model)\n\n"
        let assignments = o.assignments.map { NumberText.grouped($0) } ?? "more than 2⁶³"
        s += "\(assignments) assignments → \(o.front.count) on the predicted front (computed in \(NumberText.milliseconds(o.frontSeconds * 1000)); "
        s += "largest partial front \(o.stats.largestPartialFront)); \(o.verified.count) verified\n\n"
        let bitsWidth = max(4, (o.front + o.uniform).map { $0.bits.map(String.init).joined(separator: ",").count }.max() ?? 4)
        s += pad("#", 4) + "  " + pad("bits", bitsWidth, right: false) + pad("BitOps", 10) + pad("weights", 12)
        s += pad("predicted dB", 14) + pad("measured dB", 13) + pad("top-1", 7) + "\n"
        func line(_ label: String, _ p: SearchPoint, mark: String = "") -> String {
            var l = pad(label, 4) + "  " + pad(p.bits.map(String.init).joined(separator: ","), bitsWidth, right: false)
            l += pad(count(p.bitops), 10) + pad(bytes(bits: p.weightStorageBits), 12)
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
                    s += "#\(i) \(p.bits.map(String.init).joined(separator: ",")) — \(count(p.bitops)) BitOps, \(bytes(bits: p.weightStorageBits)), "
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
            s += "\nbrute force: all \(c.assignments) assignments run; measured front \(c.bruteForceFront) points, "
            s += "\(c.sharedPoints) of them on the predicted front\n"
            s += "  hypervolume of the verified points: \(NumberText.fixed(c.hypervolumeRatio * 100, 2))% of the brute-force front's\n"
            for l in c.levels {
                s += "  under \(count(l.limit)): chosen \(l.chosenBits.map { $0.map(String.init).joined(separator: ",") } ?? "–") \(dB(l.chosenSQNRDB)) dB, "
                s += "best \(l.bestBits.map(String.init).joined(separator: ",")) \(dB(l.bestSQNRDB)) dB, gap \(l.gapDB.map { NumberText.fixed($0, 2) } ?? "–") dB\n"
            }
        }
        let t = d.timings
        s += "\ntimes: setup \(NumberText.fixed(t.setupSeconds, 2)) s; sensitivity \(t.sensitivityRuns) runs \(NumberText.fixed(t.sensitivitySeconds, 2)) s; "
        s += "front \(NumberText.milliseconds(t.frontSeconds * 1000)); verification \(t.verificationRuns) runs \(NumberText.fixed(t.verificationSeconds, 2)) s"
        if let b = t.bruteForceSeconds { s += "; brute force \(NumberText.fixed(b, 2)) s" }
        return s + "\n"
    }

    /// One row per front point, then one per uniform reference (`kind` tells them apart). Bits are one field,
    /// `8 4 2 4 8`; empty fields where nothing was measured.
    public static func csv(_ d: SearchDocument) -> String {
        let o = d.outcome
        var s = "kind,index,bits,bitops,weight_storage_bits,predicted_noise_power,predicted_sqnr_db,measured_noise_power,measured_sqnr_db,measured_top1_agreement,on_measured_front\n"
        func num(_ v: Double?) -> String {
            guard let v else { return "" }
            return v == .infinity ? "inf" : v == -.infinity ? "-inf" : "\(v)"
        }
        func row(_ kind: String, _ i: Int, _ p: SearchPoint, _ onFront: Bool) -> String {
            [kind, String(i), p.bits.map(String.init).joined(separator: " "), String(p.bitops), String(p.weightStorageBits),
             num(p.predictedNoisePower), num(p.predictedSQNRDB), num(p.measuredNoisePower), num(p.measuredSQNRDB),
             num(p.measuredTop1Agreement), onFront ? "true" : "false"].joined(separator: ",") + "\n"
        }
        let onFront = Set(o.measuredFront)
        for (i, p) in o.front.enumerated() { s += row("front", i, p, onFront.contains(i)) }
        for (i, p) in o.uniform.enumerated() { s += row("uniform", i, p, false) }
        return s
    }
}
