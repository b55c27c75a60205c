import BitOpsCore
import BitSweepConfig
import Foundation
import Results
import Presentation

/// Hardware budgets (`bitsweep budget RESULTS --profiles FILE`): which configurations fit a device?
///
/// For each `BudgetProfile`, every case of the results is judged against the profile's limits:
/// - `max_bitops` against `CostTotals.bitops` (per image). A profile judges only the cases counted under its
///   `convention` (default `weight`): the others are left out and counted as `excluded`;
/// - `max_weight_storage` against `weightStorageBytes`, `max_activation_memory` against `peakActivationBytes`;
/// - `max_time_per_image` against `msPerImage`, the median of the case's timing samples — the same samples, on
///   the same clock, that `compare` judges changes on (a limit is a level, so the level of the samples, not
///   compare's shift between two runs); a case without timings does not fit: unmeasured;
/// - `min_sqnr_db` against the mean logit SQNR (exact = ∞ dB), `min_top1_agreement` against top-1 agreement
///   (a case without fidelity does not fit these: unmeasured).
/// Cases that failed to run (`error`) are left out (`excluded`).
///
/// **Ranking** of the cases that fit. Fidelity compares a case with its own float twin, so it says nothing
/// about which of two *network shapes* is better (the float case of the smallest network is exact, yet it
/// is not the best network). A network shape is what the float twin depends on: family, blocks, input size,
/// width multiplier and weights (`NetworkShape`). So:
/// - when every fitting case has accuracy on labelled images (`BudgetRanking.accuracy`), the cases are
///   ranked together: top-1 accuracy, then top-5, highest first; then by cost (BitOps, weight storage, peak
///   activation memory, lowest first); then by label;
/// - otherwise (`BudgetRanking.fidelityWithinShape`), the cases are ranked within their network shape: by
///   fidelity — mean logit SQNR, highest first (exact first, unmeasured last) — then by cost, then by label;
///   shapes keep the order of their first case in the results. Each shape has its own best case, and there
///   is one best case in budget only when a single shape fits.
///
/// **Binding constraint** of a case that does not fit: of the limits it breaks, the one broken by the largest
/// relative amount — (value − limit) / limit for a maximum, (limit − value) / |limit| for a minimum. A
/// limit that cannot be checked (unmeasured time or fidelity) binds only when nothing measurable is broken.
public struct ProfileResult: Hashable, Codable, Sendable {
    public var profile: BudgetProfile
    /// Fitting cases, best first.
    public var fitting: [BudgetCase]
    /// Cases that do not fit, in grid order, each with its binding constraint.
    public var notFitting: [BudgetCase]
    /// Cases not judged (another convention, or failed to run).
    public var excluded: Int
    /// Of `excluded`, the cases that failed to run.
    public var failed: Int
    /// How `fitting` is ranked.
    public var ranking: BudgetRanking

    /// The best case in budget: the first of `fitting` when the ranking compares every fitting case (by
    /// accuracy, or a single network shape); nil when several shapes fit and only fidelity was measured.
    public var best: BudgetCase? {
        ranking == .accuracy || bestPerShape.count == 1 ? fitting.first : nil
    }

    /// The best fitting case of each network shape (rank 1 within its shape), shapes in `fitting` order.
    public var bestPerShape: [BudgetCase] {
        var seen = Set<String>()
        return fitting.filter { seen.insert($0.shape).inserted }
    }

    enum CodingKeys: String, CodingKey {
        case profile, ranking, fitting, notFitting = "not_fitting", excluded, failed, best, bestPerShape = "best_per_shape"
    }

    public init(profile: BudgetProfile, fitting: [BudgetCase], notFitting: [BudgetCase], excluded: Int, failed: Int = 0,
                ranking: BudgetRanking = .fidelityWithinShape) {
        self.profile = profile
        self.fitting = fitting
        self.notFitting = notFitting
        self.excluded = excluded
        self.failed = failed
        self.ranking = ranking
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        profile = try c.decode(BudgetProfile.self, forKey: .profile)
        fitting = try c.decode([BudgetCase].self, forKey: .fitting)
        notFitting = try c.decode([BudgetCase].self, forKey: .notFitting)
        excluded = try c.decode(Int.self, forKey: .excluded)
        failed = try c.decode(Int.self, forKey: .failed)
        ranking = try c.decodeIfPresent(BudgetRanking.self, forKey: .ranking) ?? .fidelityWithinShape
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(profile, forKey: .profile)
        try c.encode(ranking, forKey: .ranking)
        try c.encode(fitting, forKey: .fitting)
        try c.encode(notFitting, forKey: .notFitting)
        try c.encode(excluded, forKey: .excluded)
        try c.encode(failed, forKey: .failed)
        try c.encodeIfPresent(best?.id, forKey: .best)
        try c.encode(bestPerShape.map(\.id), forKey: .bestPerShape)
    }
}

/// How a profile's fitting cases are ranked (see `ProfileResult`).
public enum BudgetRanking: String, Codable, Sendable {
    /// Every fitting case has accuracy on labelled images: ranked together by top-1, then top-5 accuracy.
    case accuracy
    /// Ranked by fidelity (mean logit SQNR against the float twin) within each network shape only.
    case fidelityWithinShape = "fidelity-within-shape"
}

/// What a case's float twin depends on: family, blocks, input size, width multiplier and weights. Fidelity
/// (against that twin) compares cases of one shape only.
public struct NetworkShape: Hashable, Sendable {
    public var family: String
    public var blocks: Int
    public var size: Int
    public var width: Double
    public var weights: String

    public init(_ c: CaseConfig) {
        family = c.family
        blocks = c.blocks
        size = c.size
        width = c.width
        weights = c.weights
    }

    /// `seed n=3 s=32` (and ` α=0.5` for another width), as the case label begins; with `weights` when the
    /// results hold several weight sources (`seed n=3 s=32 weights=seed:1`).
    public func label(showWeights: Bool) -> String {
        var s = "\(family) n=\(blocks) s=\(size)"
        if width != 1.0 { s += " α=\(width)" }
        if showWeights { s += " weights=\(weights)" }
        return s
    }
}

/// One limit a case breaks.
public struct Violation: Hashable, Codable, Sendable {
    /// The profile key: `max_bitops`, `max_weight_storage`, `max_activation_memory`, `max_time_per_image`,
    /// `min_sqnr_db`, `min_top1_agreement`.
    public var constraint: String
    /// The limit in the constraint's base unit (BitOps, bytes, ms, dB, fraction).
    public var limit: Double
    /// The case's value; nil when it was not measured. For `min_sqnr_db`, an exact case never violates.
    public var value: Double?
    /// How far beyond the limit, in the base unit (value − limit for a maximum, limit − value for a minimum).
    public var excess: Double?
    /// `excess / |limit|`; nil when unmeasured.
    public var relative: Double?

    /// E.g. `weight storage 2.3 MiB > 1 MiB (+1.3 MiB, +130%)`.
    public var text: String {
        let (name, fmt): (String, (Double) -> String) = {
            switch constraint {
            case "max_bitops": return ("BitOps", { NumberText.si($0) })
            case "max_weight_storage", "max_activation_memory":
                return (constraint == "max_weight_storage" ? "weight storage" : "peak activations",
                        { NumberText.bytes(Int($0.rounded()), trimmingZeros: true) })
            case "max_time_per_image": return ("time per image", NumberText.milliseconds)
            case "min_sqnr_db": return ("SQNR", { NumberText.fixed($0, 2) + " dB" })
            default: return ("top-1 agreement", NumberText.percent)
            }
        }()
        guard let value, let excess, let relative else { return "\(name) not measured (limit \(fmt(limit)))" }
        let isMax = constraint.hasPrefix("max")
        let amount = isMax ? "+" + fmt(excess) : "short by " + fmt(excess)
        let pct = constraint == "min_sqnr_db" ? "" : ", \(isMax ? "+" : "−")\(NumberText.percent(relative))"
        return "\(name) \(fmt(value)) \(isMax ? ">" : "<") \(fmt(limit)) (\(amount)\(pct))"
    }
}

/// A case as seen by a budget: its figures, and for a case that does not fit, what it breaks.
public struct BudgetCase: Hashable, Codable, Sendable {
    public var id: String
    public var label: String
    public var config: CaseConfig
    /// The network shape's label (`NetworkShape.label`): cases with the same one share a float twin.
    public var shape: String
    /// 1-based rank among the fitting cases it is compared with (its shape's, or all of them when ranked by
    /// accuracy); nil for a case that does not fit.
    public var rank: Int?
    public var bitops: Int
    public var weightStorageBytes: Int
    public var peakActivationBytes: Int
    public var msPerImage: Double?
    /// Mean logit SQNR, dB; nil when exact or unmeasured (see `exact`).
    public var sqnrDBMean: Double?
    /// Whether the case was measured and every image was exact (∞ dB).
    public var exact: Bool
    public var top1Agreement: Double?
    /// Top-1 and top-5 accuracy on the labelled images (fractions); nil for an unlabelled set.
    public var accuracyTop1: Double?
    public var accuracyTop5: Double?
    /// The limits this case breaks, binding first.
    public var violations: [Violation]

    public var binding: Violation? { violations.first }
    public var fits: Bool { violations.isEmpty }
    /// Whether any fidelity was measured.
    public var measured: Bool { exact || sqnrDBMean != nil || top1Agreement != nil }

    enum CodingKeys: String, CodingKey {
        case id, label, config, shape, rank, bitops, weightStorageBytes = "weight_storage_bytes"
        case peakActivationBytes = "peak_activation_bytes", msPerImage = "ms_per_image", sqnrDBMean = "sqnr_db_mean"
        case exact, top1Agreement = "top1_agreement", accuracyTop1 = "accuracy_top1", accuracyTop5 = "accuracy_top5", violations
    }
}

/// The answer for every profile.
public struct BudgetReport: Hashable, Codable, Sendable {
    public var resultsName: String
    public var profiles: [ProfileResult]

    enum CodingKeys: String, CodingKey { case resultsName = "results_name", profiles }
}

/// Judges every case of `results` against every profile. See `ProfileResult` for the rules.
public func budget(_ results: ResultsSet, profiles: [BudgetProfile]) -> BudgetReport {
    BudgetReport(resultsName: results.name, profiles: profiles.map { judge(results, $0) })
}

func judge(_ results: ResultsSet, _ p: BudgetProfile) -> ProfileResult {
    let showWeights = Set(results.cases.map(\.config.weights)).count > 1
    var fitting: [BudgetCase] = []
    var notFitting: [BudgetCase] = []
    var excluded = 0, failed = 0
    for c in results.cases {
        if c.error != nil || c.config.convention != p.convention {
            excluded += 1
            if c.error != nil { failed += 1 }
            continue
        }
        let t = c.cost.totals
        var bc = BudgetCase(
            id: c.id, label: CaseKey(c.config).label, config: c.config,
            shape: NetworkShape(c.config).label(showWeights: showWeights), rank: nil, bitops: t.bitops,
            weightStorageBytes: t.weightStorageBytes, peakActivationBytes: t.peakActivationBytes,
            msPerImage: c.timings?.msPerImage, sqnrDBMean: c.fidelity?.sqnrDBMean,
            exact: c.fidelity.map { $0.images > 0 && $0.sqnrDBMean == nil } ?? false,
            top1Agreement: c.fidelity?.top1Agreement, accuracyTop1: c.accuracy?.top1, accuracyTop5: c.accuracy?.top5,
            violations: [])
        var v: [Violation] = []
        func maximum(_ key: String, _ value: Double?, _ limit: Double) {
            guard let value else {
                v.append(Violation(constraint: key, limit: limit, value: nil, excess: nil, relative: nil))
                return
            }
            if value > limit {
                v.append(Violation(constraint: key, limit: limit, value: value, excess: value - limit, relative: (value - limit) / limit))
            }
        }
        func minimum(_ key: String, _ value: Double?, _ limit: Double) {
            guard let value else {
                v.append(Violation(constraint: key, limit: limit, value: nil, excess: nil, relative: nil))
                return
            }
            if value < limit {
                v.append(Violation(constraint: key, limit: limit, value: value, excess: limit - value,
                                   relative: (limit - value) / max(abs(limit), 1e-12)))
            }
        }
        maximum("max_bitops", Double(t.bitops), Double(p.maxBitOps))
        maximum("max_weight_storage", Double(t.weightStorageBytes), Double(p.maxWeightStorageBytes))
        maximum("max_activation_memory", Double(t.peakActivationBytes), Double(p.maxActivationBytes))
        if let limit = p.maxMsPerImage { maximum("max_time_per_image", c.timings?.msPerImage, limit) }
        if let limit = p.minSQNRDB, !bc.exact { minimum("min_sqnr_db", bc.sqnrDBMean, limit) }
        if let limit = p.minTop1Agreement { minimum("min_top1_agreement", c.fidelity?.top1Agreement, limit) }
        // Binding first: the largest relative excess; unmeasured limits after every measured one.
        bc.violations = v.enumerated().sorted { a, b in
            switch (a.element.relative, b.element.relative) {
            case let (x?, y?): return x != y ? x > y : a.offset < b.offset
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a.offset < b.offset
            }
        }.map(\.element)
        if bc.fits { fitting.append(bc) } else { notFitting.append(bc) }
    }
    let ranking: BudgetRanking = !fitting.isEmpty && fitting.allSatisfy({ $0.accuracyTop1 != nil }) ? .accuracy : .fidelityWithinShape
    switch ranking {
    case .accuracy:
        fitting.sort(by: rankedByAccuracy)
        for i in fitting.indices { fitting[i].rank = i + 1 }
    case .fidelityWithinShape:
        // Shapes in the order of their first case (results order), each shape's cases ranked.
        var order: [String: Int] = [:]
        for c in fitting where order[c.shape] == nil { order[c.shape] = order.count }
        fitting.sort { a, b in a.shape != b.shape ? order[a.shape]! < order[b.shape]! : rankedByFidelity(a, b) }
        var rankInShape: [String: Int] = [:]
        for i in fitting.indices {
            let r = (rankInShape[fitting[i].shape] ?? 0) + 1
            rankInShape[fitting[i].shape] = r
            fitting[i].rank = r
        }
    }
    return ProfileResult(profile: p, fitting: fitting, notFitting: notFitting, excluded: excluded, failed: failed, ranking: ranking)
}

/// Top-1 accuracy, then top-5 (highest first), then cost (`cheaperBefore`).
func rankedByAccuracy(_ a: BudgetCase, _ b: BudgetCase) -> Bool {
    let a1 = a.accuracyTop1 ?? -1, b1 = b.accuracyTop1 ?? -1
    if a1 != b1 { return a1 > b1 }
    let a5 = a.accuracyTop5 ?? -1, b5 = b.accuracyTop5 ?? -1
    if a5 != b5 { return a5 > b5 }
    return cheaperBefore(a, b)
}

/// Fidelity first (exact, then mean SQNR highest first, then unmeasured), then cost (`cheaperBefore`).
/// Meaningful only between cases of one network shape.
func rankedByFidelity(_ a: BudgetCase, _ b: BudgetCase) -> Bool {
    func fidelity(_ c: BudgetCase) -> Double {
        if c.exact { return .infinity }
        return c.sqnrDBMean ?? -.infinity
    }
    let fa = fidelity(a), fb = fidelity(b)
    if fa != fb { return fa > fb }
    return cheaperBefore(a, b)
}

/// Cost (BitOps, weight storage, peak activations, lowest first), then the label.
func cheaperBefore(_ a: BudgetCase, _ b: BudgetCase) -> Bool {
    if a.bitops != b.bitops { return a.bitops < b.bitops }
    if a.weightStorageBytes != b.weightStorageBytes { return a.weightStorageBytes < b.weightStorageBytes }
    if a.peakActivationBytes != b.peakActivationBytes { return a.peakActivationBytes < b.peakActivationBytes }
    return a.label < b.label
}

extension ProfileResult {
    /// The cases that do not fit, those nearest to fitting first (smallest relative excess of the binding
    /// limit; unmeasured last), then in grid order.
    public var notFittingClosestFirst: [BudgetCase] {
        notFitting.enumerated().sorted { a, b in
            let x = a.element.binding?.relative ?? .infinity, y = b.element.binding?.relative ?? .infinity
            return x != y ? x < y : a.offset < b.offset
        }.map(\.element)
    }
}
