import BitOpsCore

/// Everything `bitsweep search` found, as written to `search.json`: the configuration, the sensitivity
/// table, the outcome (front, verification, uniform references, best per budget), an optional brute-force
/// comparison, and the time each stage took. Its keys are the outcome's (`front`, `best`, …), the
/// configuration's (`network`, `choices`, …) plus those below.
@dynamicMemberLookup
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

    /// The network, size, weights, units, choices and images (read as `doc.network`, `doc.choices`, …).
    public var configuration: SearchConfiguration
    /// The model the prediction uses, in words.
    public var model: String
    public var sensitivity: SensitivityTable
    public var outcome: SearchOutcome
    public var bruteForce: BruteForceComparison?
    public var timings: Timings

    public static let modelText = "additive noise: P(a) = P_fixed + Σ_u P_u(a_u), P_u(b) measured with only unit u at b bits; predicted SQNR = 10·log10(S / P(a)); costs add exactly"

    public init(network: NetworkSpec, size: Int, convention: BitOpsConvention, weights: String, granularity: String,
                per: SearchGranularity, choices: [BitWidth], units: [String], images: [String], sensitivity: SensitivityTable,
                outcome: SearchOutcome, bruteForce: BruteForceComparison?, timings: Timings) {
        configuration = SearchConfiguration(network: network, size: size, convention: convention, weights: weights,
                                            granularity: granularity, per: per, choices: choices, units: units, images: images)
        model = Self.modelText
        self.sensitivity = sensitivity
        self.outcome = outcome
        self.bruteForce = bruteForce
        self.timings = timings
    }

    public subscript<T>(dynamicMember key: WritableKeyPath<SearchConfiguration, T>) -> T {
        get { configuration[keyPath: key] }
        set { configuration[keyPath: key] = newValue }
    }

    enum CodingKeys: String, CodingKey {
        case model, sensitivity, bruteForce = "brute_force", timings
    }

    public func encode(to encoder: Encoder) throws {
        try outcome.encode(to: encoder)
        try configuration.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(model, forKey: .model)
        try c.encode(sensitivity, forKey: .sensitivity)
        try c.encodeIfPresent(bruteForce, forKey: .bruteForce)
        try c.encode(timings, forKey: .timings)
    }

    public init(from decoder: Decoder) throws {
        outcome = try SearchOutcome(from: decoder)
        configuration = try SearchConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        sensitivity = try c.decode(SensitivityTable.self, forKey: .sensitivity)
        bruteForce = try c.decodeIfPresent(BruteForceComparison.self, forKey: .bruteForce)
        timings = try c.decode(Timings.self, forKey: .timings)
    }

    /// The cost the front is over, for an output point, in its display unit (BitOps, or bytes).
    public func primaryValue(_ p: SearchPoint) -> Int {
        outcome.primary == .bitops ? p.bitops : (p.weightStorageBits + 7) / 8
    }

    /// The assignments worth rerunning: the best per budget first, then points spread evenly along the
    /// measured front (cheapest first), without repeats, at most `limit`. Each with a one-line reason.
    public func chosen(limit: Int = 12) -> [(point: SearchPoint, reason: String)] {
        var out: [(SearchPoint, String)] = []
        var seen = Set<[BitWidth]>()
        func add(_ p: SearchPoint, _ why: String) {
            guard out.count < limit, !seen.contains(p.bits) else { return }
            seen.insert(p.bits)
            out.append((p, why))
        }
        for b in outcome.best {
            if let i = b.bestMeasured ?? b.bestPredicted { add(outcome.front[i], "best under \(b.budget.text)") }
        }
        for k in MixedPrecisionSearch.spread(outcome.measuredFront.count, count: max(0, limit - out.count)) {
            add(outcome.front[outcome.measuredFront[k]], "on the measured front")
        }
        if outcome.verified.isEmpty {
            for i in MixedPrecisionSearch.spread(outcome.front.count, count: limit) { add(outcome.front[i], "on the predicted front") }
        }
        return out
    }
}
