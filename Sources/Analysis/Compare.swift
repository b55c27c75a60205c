import BitOpsCore
import Foundation
import Results
import Presentation

/// Comparing two results sets (`bitsweep compare BASELINE CURRENT`): did tonight's sweep change?
///
/// Cases are matched by their configuration *as the spec named it* (`CaseKey`: family, size, blocks,
/// precision and activation precision names, width, stem/classifier bits, convention, quantization, weights),
/// never by their order or id. What a name resolved to (`bits`, `act_bits`) is then compared like a result,
/// so a precision policy that now resolves differently shows up as a changed case, layer by layer.
///
/// What counts as a difference (each makes the verdict "regression", exit code 1):
/// - **Counts** (BitOps, MACs, params, weight storage, peak activation memory, activation elements): computed,
///   not measured, so any difference at all. Reported for the totals and for every layer that moved (matched
///   by layer name), field by field, with both values.
/// - **Resolved configuration** (per-block weight and activation bits): any difference.
/// - **Fidelity**: mean and minimum logit SQNR beyond `sqnrToleranceDB` (default 0.1 dB, `--fidelity-tolerance`),
///   mean and minimum cosine beyond `cosineTolerance` (default 1e-4), top-1 agreement beyond `top1Tolerance`
///   (default 0: one image changing its agreement with the float twin is a change), or a different number
///   of images. In either direction: the verdict asks "did it change?", and each change says "worse" or
///   "better". An exact result (∞ dB) against a finite one is always a change.
/// - **Cases on one side only** (added or removed) and a case that failed on one side only (or with
///   another error).
/// - **Skipped images** that differ between the two sets (the image set itself changed).
///
/// Timings are noisy (`TimingVerdict` states the rule): a case's time per image changed when the whole
/// 1 − `alpha` confidence interval (default 99%) of its Hodges–Lehmann shift — current against baseline
/// samples (`sweep --repeats`), as a ratio — lies beyond ±`timeThreshold` (default 10%): larger than the
/// threshold and statistically clear in one condition. When a side has too few samples for an interval (one
/// sample: results written before `--repeats`), the estimate against the threshold alone decides, and the
/// change says so (`rule: threshold-only`). A change is reported as slower or faster, and a slower one fails
/// only with `failOnTime`.
public struct CompareOptions: Hashable, Codable, Sendable {
    public static let defaultSQNRToleranceDB = 0.1
    public static let defaultCosineTolerance = 1e-4
    public static let defaultTop1Tolerance = 0.0
    public static let defaultTimeThreshold = 0.10
    public static let defaultAlpha = 0.01

    /// Absolute tolerance on logit SQNR (mean and min), dB.
    public var sqnrToleranceDB: Double
    /// Absolute tolerance on cosine similarity (mean and min).
    public var cosineTolerance: Double
    /// Absolute tolerance on top-1 agreement (a fraction 0…1).
    public var top1Tolerance: Double
    /// Relative threshold on the median time per image (0.10 = 10%).
    public var timeThreshold: Double
    /// Whether a called slowdown is a regression.
    public var failOnTime: Bool
    /// 1 − the confidence of the timing shift's interval (0.01: a 99% interval; the interval inverts the
    /// two-sided Mann–Whitney U test at this level).
    public var alpha: Double
    /// Whether the current samples are scaled by the ratio of the two runs' reference medians before they are
    /// judged (`ReferenceScaling`), when both runs have one.
    public var referenceScaling: Bool

    public init(sqnrToleranceDB: Double = defaultSQNRToleranceDB, cosineTolerance: Double = defaultCosineTolerance,
                top1Tolerance: Double = defaultTop1Tolerance, timeThreshold: Double = defaultTimeThreshold,
                failOnTime: Bool = false, alpha: Double = defaultAlpha, referenceScaling: Bool = true) {
        self.sqnrToleranceDB = sqnrToleranceDB
        self.cosineTolerance = cosineTolerance
        self.top1Tolerance = top1Tolerance
        self.timeThreshold = timeThreshold
        self.failOnTime = failOnTime
        self.alpha = alpha
        self.referenceScaling = referenceScaling
    }

    enum CodingKeys: String, CodingKey {
        case sqnrToleranceDB = "sqnr_tolerance_db", cosineTolerance = "cosine_tolerance"
        case top1Tolerance = "top1_tolerance", timeThreshold = "time_threshold", failOnTime = "fail_on_time", alpha
        case referenceScaling = "reference_scaling"
    }

    /// Reads comparison.json files written before `alpha` existed too.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sqnrToleranceDB = try c.decode(Double.self, forKey: .sqnrToleranceDB)
        cosineTolerance = try c.decode(Double.self, forKey: .cosineTolerance)
        top1Tolerance = try c.decode(Double.self, forKey: .top1Tolerance)
        timeThreshold = try c.decode(Double.self, forKey: .timeThreshold)
        failOnTime = try c.decode(Bool.self, forKey: .failOnTime)
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? Self.defaultAlpha
        referenceScaling = try c.decodeIfPresent(Bool.self, forKey: .referenceScaling) ?? false
    }
}

/// The configuration as named by the spec: what matches a baseline case to a current case.
public struct CaseKey: Hashable, Codable, Sendable, Comparable {
    public var family: String
    public var size: Int
    public var blocks: Int
    /// The weight precision policy (not what it resolved to).
    public var precision: PrecisionPolicy
    /// The activation precision policy.
    public var actPrecision: PrecisionPolicy
    public var width: Double
    public var stemBits: BitWidth?
    public var classifierBits: BitWidth
    public var convention: BitOpsConvention
    public var quantization: QuantGranularity
    public var weights: String

    public init(_ c: CaseConfig) {
        family = c.family
        size = c.size
        blocks = c.blocks
        precision = c.weightPrecision.policy
        actPrecision = c.actPrecision.policy
        width = c.width
        stemBits = c.stemBits
        classifierBits = c.classifierBits
        convention = c.convention
        quantization = c.quantization
        weights = c.weights
    }

    /// The case's one-line label (`CaseConfig.label`).
    public var label: String {
        CaseConfig.label(family: family, blocks: blocks, size: size, weights: precision, activations: actPrecision,
                         width: width, convention: convention, quantization: quantization)
    }

    var sortKey: [String] {
        [family, String(format: "%08d", blocks), String(format: "%08d", size), precision.description, actPrecision.description,
         String(width), stemBits?.description ?? "", classifierBits.description,
         String(BitOpsConvention.allCases.firstIndex(of: convention) ?? 0), quantization.rawValue, weights]
    }

    public static func < (a: CaseKey, b: CaseKey) -> Bool { a.sortKey.lexicographicallyPrecedes(b.sortKey) }

    enum CodingKeys: String, CodingKey {
        case family, size, blocks, precision, actPrecision = "act_precision", width, stemBits = "stem_bits"
        case classifierBits = "classifier_bits", convention, quantization, weights
    }
}

/// One value that moved: a count, a configuration field or a layer field, with both sides as exact text.
public struct FieldChange: Hashable, Codable, Sendable {
    public var field: String
    public var baseline: String
    public var current: String
    /// current − baseline, for integer fields.
    public var delta: Int?

    public init(field: String, baseline: String, current: String, delta: Int? = nil) {
        self.field = field
        self.baseline = baseline
        self.current = current
        self.delta = delta
    }

    static func int(_ field: String, _ a: Int, _ b: Int) -> FieldChange? {
        a == b ? nil : FieldChange(field: field, baseline: String(a), current: String(b), delta: b - a)
    }
    /// A bit width that moved; the delta counts float as its 32 bits.
    static func width(_ field: String, _ a: BitWidth, _ b: BitWidth) -> FieldChange? {
        a == b ? nil : FieldChange(field: field, baseline: a.description, current: b.description, delta: b.countedBits - a.countedBits)
    }
    static func text(_ field: String, _ a: String, _ b: String) -> FieldChange? {
        a == b ? nil : FieldChange(field: field, baseline: a, current: b)
    }
}

/// A layer whose accounting moved, or that exists on one side only.
public struct LayerChange: Hashable, Codable, Sendable {
    public enum Presence: String, Codable, Sendable { case both, baselineOnly = "baseline-only", currentOnly = "current-only" }
    public var layer: String
    public var presence: Presence
    public var changes: [FieldChange]
}

/// A fidelity figure that moved beyond its tolerance.
public struct FidelityChange: Hashable, Codable, Sendable {
    /// `sqnr_db_mean`, `sqnr_db_min`, `cosine_mean`, `cosine_min`, `top1_agreement`, `images`.
    public var metric: String
    /// nil for SQNR means exact (∞ dB); nil otherwise means "not measured".
    public var baseline: Double?
    public var current: Double?
    /// current − baseline, when both are finite.
    public var delta: Double?
    public var tolerance: Double
    /// Whether the current value is worse (lower fidelity) than the baseline.
    public var worse: Bool
}

/// One image whose own figures moved beyond the tolerance (SQNR or top-1 agreement).
public struct ImageChange: Hashable, Codable, Sendable {
    public enum Presence: String, Codable, Sendable { case both, baselineOnly = "baseline-only", currentOnly = "current-only" }
    public var file: String
    public var presence: Presence
    public var baselineSQNRDB: Double?
    public var currentSQNRDB: Double?
    public var baselineTop1Agree: Bool?
    public var currentTop1Agree: Bool?

    /// Lower SQNR, lost agreement, or missing tonight.
    public var worse: Bool {
        switch presence {
        case .baselineOnly: return true
        case .currentOnly: return false
        case .both:
            if baselineTop1Agree == true && currentTop1Agree == false { return true }
            switch (baselineSQNRDB, currentSQNRDB) {
            case (nil, _?): return true
            case let (x?, y?): return y < x
            default: return false
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case file, presence, baselineSQNRDB = "baseline_sqnr_db", currentSQNRDB = "current_sqnr_db"
        case baselineTop1Agree = "baseline_top1_agree", currentTop1Agree = "current_top1_agree"
    }
}

/// How one matched case differs.
public struct CaseDiff: Hashable, Codable, Sendable {
    public var key: CaseKey
    public var label: String
    public var baselineID: String
    public var currentID: String
    /// Resolved configuration fields (bits, act_bits) that differ.
    public var config: [FieldChange]
    /// Network totals that differ.
    public var totals: [FieldChange]
    /// Layers that moved.
    public var layers: [LayerChange]
    public var fidelity: [FidelityChange]
    public var images: [ImageChange]
    /// Present whenever both sides have timings (called or not).
    public var timing: TimingVerdict?
    /// The errors on both sides, when they differ.
    public var error: FieldChange?
    /// Whether this case makes the verdict a regression (under the options it was compared with).
    public var regression: Bool = false

    public var countsChanged: Bool { !config.isEmpty || !totals.isEmpty || !layers.isEmpty }
    /// Aggregate figures beyond the tolerance, or single images that moved (SQNR beyond the tolerance, top-1
    /// agreement flipped, image present on one side only).
    public var fidelityChanged: Bool { !fidelity.isEmpty || !images.isEmpty }
    public var fidelityWorse: Bool { fidelity.contains(where: \.worse) || images.contains(where: \.worse) }
    /// A called timing change (see `TimingVerdict.flagged`).
    public var timeChanged: Bool { timing?.flagged ?? false }
    public var slowerChanged: Bool { timing?.call == .slower }
    public var errorChanged: Bool { error != nil }

    /// Anything worth listing under "changed cases" (a timing change that is not called is not).
    public var hasChanges: Bool { countsChanged || fidelityChanged || timeChanged || errorChanged }

    public func isRegression(_ o: CompareOptions) -> Bool {
        countsChanged || fidelityChanged || errorChanged || (o.failOnTime && slowerChanged)
    }

    enum CodingKeys: String, CodingKey {
        case key, label, baselineID = "baseline_id", currentID = "current_id", config, totals, layers, fidelity
        case images, timing, error, regression
    }
}

/// A case present on one side only.
public struct CaseSummary: Hashable, Codable, Sendable {
    public var key: CaseKey
    public var label: String
    public var id: String
    public var bitops: Int
    public var weightStorageBytes: Int
    public var peakActivationBytes: Int
    public var sqnrDBMean: Double?
    public var error: String?

    init(_ c: CaseResult) {
        key = CaseKey(c.config)
        label = key.label
        id = c.id
        bitops = c.cost.totals.bitops
        weightStorageBytes = c.cost.totals.weightStorageBytes
        peakActivationBytes = c.cost.totals.peakActivationBytes
        sqnrDBMean = c.fidelity?.sqnrDBMean
        error = c.error
    }

    enum CodingKeys: String, CodingKey {
        case key, label, id, bitops, weightStorageBytes = "weight_storage_bytes"
        case peakActivationBytes = "peak_activation_bytes", sqnrDBMean = "sqnr_db_mean", error
    }
}

/// The verdict a nightly job gates on.
public enum Verdict: String, Codable, Sendable {
    case noRegression = "no-regression"
    case regression

    /// 0 = no regression, 1 = regression (2 is reserved for usage and input errors).
    public var exitCode: Int32 { self == .regression ? 1 : 0 }
}

/// The result of `compare(baseline:current:options:)`: the verdict, its reasons and every difference.
public struct Comparison: Hashable, Codable, Sendable {
    public var verdict: Verdict
    /// One line per reason for the verdict (empty when there is no regression).
    public var reasons: [String]
    public var options: CompareOptions
    public var baselineName: String
    public var currentName: String
    /// Where the two sets were read from, when known (set by `CompareRun`).
    public var baselinePath: String?
    public var currentPath: String?
    /// Cases matched on both sides.
    public var matched: Int
    /// Matched cases with nothing to report.
    public var unchanged: Int
    /// Matched cases with something to report, in the baseline's grid order.
    public var changed: [CaseDiff]
    /// Matched cases whose timing moved within the threshold are not listed; this counts the rest of the
    /// timing picture: how many matched cases had timings on both sides.
    public var timed: Int
    /// Of `timed`, the cases judged by the threshold alone: too few samples on a side for a confidence interval
    /// at `alpha` (one sample: results written before `sweep --repeats`).
    public var timedThresholdOnly: Int = 0
    /// Where the baseline timing samples came from: nil for the baseline results themselves, else a
    /// description such as `history Reports/history.sqlite: the last 5 runs` (`compare --history`).
    public var timingReference: String?
    /// The reference workload's median time per image in each run (`ReferenceScaling.median`), ms; nil when a
    /// run has none (results written before the reference, or merged from runs without it).
    public var baselineReferenceMs: Double?
    public var currentReferenceMs: Double?
    /// The factor the current samples were multiplied by before they were judged (baseline reference median
    /// over the current one); nil when not scaled (`--no-reference-scaling`, or a side without a reference).
    public var timingScale: Double?
    /// With a timing reference (`compare --history`): the timed cases it had no samples for, judged against the
    /// baseline results' own samples instead (nil when none) — at the baseline run's machine speed: its reference
    /// median and the factor those cases' current samples were multiplied by (nil: not scaled).
    public var timedAgainstBaselineResults: Int?
    public var baselineResultsReferenceMs: Double?
    public var baselineResultsTimingScale: Double?
    /// Cases only in the baseline (removed tonight) and only in the current set (added), in grid order.
    public var baselineOnly: [CaseSummary]
    public var currentOnly: [CaseSummary]
    /// Skipped images (file: reason) present on one side only, or with another reason.
    public var skippedImages: [FieldChange]
    /// Provenance that differs between the two runs (`run.json`: versions, commit, spec hash, image digests,
    /// machine). Context for reading the differences; never a reason for the verdict by itself.
    public var provenance: [FieldChange] = []

    public var exitCode: Int32 { verdict.exitCode }

    public var countChanges: Int { changed.filter(\.countsChanged).count }
    public var fidelityChanges: Int { changed.filter(\.fidelityChanged).count }
    public var fidelityWorse: Int { changed.filter(\.fidelityWorse).count }
    public var slower: Int { changed.filter(\.slowerChanged).count }
    public var faster: Int { changed.filter { $0.timeChanged && !$0.slowerChanged }.count }
    public var errorChanges: Int { changed.filter(\.errorChanged).count }

    enum CodingKeys: String, CodingKey {
        case verdict, reasons, options, baselineName = "baseline_name", currentName = "current_name"
        case baselinePath = "baseline_path", currentPath = "current_path", matched
        case unchanged, changed, timed, timedThresholdOnly = "timed_threshold_only", timingReference = "timing_reference"
        case baselineReferenceMs = "baseline_reference_ms_per_image", currentReferenceMs = "current_reference_ms_per_image"
        case timingScale = "timing_scale"
        case timedAgainstBaselineResults = "timed_against_baseline_results"
        case baselineResultsReferenceMs = "baseline_results_reference_ms_per_image"
        case baselineResultsTimingScale = "baseline_results_timing_scale"
        case baselineOnly = "baseline_only", currentOnly = "current_only"
        case skippedImages = "skipped_images", provenance
    }
}

/// The provenance fields of two runs that differ (see `Comparison.provenance`).
public func provenanceChanges(baseline a: RunInfo, current b: RunInfo) -> [FieldChange] {
    var out = [
        FieldChange.text("bitsweep_version", a.bitsweepVersion, b.bitsweepVersion),
        FieldChange.text("engine_version", a.engineVersion, b.engineVersion),
        FieldChange.text("git_commit", a.gitCommit.map { String($0.prefix(12)) } ?? "unknown", b.gitCommit.map { String($0.prefix(12)) } ?? "unknown"),
        FieldChange.text("spec_hash", String(a.specHash.prefix(12)), String(b.specHash.prefix(12))),
        FieldChange.text("machine", a.machine, b.machine),
    ].compactMap { $0 }
    for file in Set(a.images.keys).union(b.images.keys).sorted() where a.images[file] != b.images[file] {
        out.append(FieldChange(field: "image \(file)", baseline: a.images[file].map { "sha256 " + $0.prefix(12) } ?? "absent",
                               current: b.images[file].map { "sha256 " + $0.prefix(12) } ?? "absent"))
    }
    return out
}

/// An input problem (e.g. two cases with the same configuration in one set): exit code 2.
public struct AnalysisInputError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Baseline timing samples from elsewhere than the baseline results (`compare --history`: the pooled
/// samples of a case's recent runs in the history database).
public struct TimingReference: Sendable {
    /// Where the samples come from, for the output (e.g. `history H: the last 5 runs before this one`).
    public var description: String
    /// The reference workload's median (ms per image) the samples are expressed at: each pooled run's samples
    /// scaled to it (`ReferenceScaling`); nil when some pooled run has no reference (then nothing is scaled).
    public var referenceMs: Double?
    /// The samples of a case, by its configuration; nil when the reference has none for it (then the
    /// baseline results' own samples are used).
    public var samples: @Sendable (CaseConfig) -> [Double]?

    public init(description: String, referenceMs: Double? = nil, samples: @escaping @Sendable (CaseConfig) -> [Double]?) {
        self.description = description
        self.referenceMs = referenceMs
        self.samples = samples
    }
}

/// Telling "the machine is slower" from "the code is slower".
///
/// `sweep` times a fixed reference workload (one small network, the same in every run: `EngineEvaluator`'s
/// `referenceWorkload`) right after every timing sample of every case, in the same worker on the same threads
/// and clock, and keeps those samples beside the case's (`reference_samples_ms_per_image`). The run's
/// **reference median** — the median of all of them — is how fast the machine ran the same work during that run:
/// a build on the other core, which shares the caches and memory bandwidth, slows it as it slows the cases.
///
/// The rule: before the timing rule (`TimingVerdict`) judges a case, the current run's samples are multiplied by
/// baseline reference median ÷ current reference median — the current run's times expressed at the baseline
/// run's machine speed. One factor for the whole run (the median of hundreds of reference samples, so the
/// factor adds next to no noise of its own); a code change slows the cases, not the reference, so it survives
/// the scaling. When either run has no reference samples, nothing is scaled and the output says so.
public enum ReferenceScaling {
    /// The run's reference median, ms per image: the median of the reference samples of its cases that ran
    /// (each group of cases that shared one evaluation counted once); nil when none has any.
    public static func median(_ set: ResultsSet) -> Double? {
        var seen = Set<[Double]>()
        var all: [Double] = []
        for c in set.cases where c.error == nil {
            guard let r = c.timings?.referenceSamplesMsPerImage, !r.isEmpty, let s = c.timings?.samplesMsPerImage else { continue }
            if seen.insert(s + [-1] + r).inserted { all += r }
        }
        return Statistics.median(all).flatMap { $0 > 0 && $0.isFinite ? $0 : nil }
    }
}

/// Compares `current` against `baseline`. See `CompareOptions` for what counts as a change. With a
/// `timingReference`, each case's timing is judged against the reference's samples instead of the baseline's.
/// Throws `AnalysisInputError` when one set holds two cases with the same configuration.
public func compare(baseline: ResultsSet, current: ResultsSet, options: CompareOptions = CompareOptions(),
                    timingReference: TimingReference? = nil) throws -> Comparison {
    func checkUnique(_ set: ResultsSet, _ side: String) throws {
        var ids: [CaseKey: String] = [:]
        for c in set.cases {
            let k = CaseKey(c.config)
            if let other = ids[k] {
                throw AnalysisInputError("the \(side) results '\(set.name)' hold two cases with the same configuration (\(k.label)): ids \(other) and \(c.id)")
            }
            ids[k] = c.id
        }
    }
    try checkUnique(baseline, "baseline")
    try checkUnique(current, "current")

    // The machine's speed in each run, and the factor the current samples are judged at (ReferenceScaling).
    // With a timing reference (`compare --history`), a case it has no samples for is judged against the
    // baseline results' own samples, so at the baseline run's speed, not the reference's.
    let currentRef = ReferenceScaling.median(current)
    let ownBaselineRef = ReferenceScaling.median(baseline)
    let baselineRef = timingReference.map(\.referenceMs) ?? ownBaselineRef
    func factor(_ b: Double?) -> Double? {
        guard options.referenceScaling, let b, let c = currentRef else { return nil }
        return b / c
    }
    let scale = factor(baselineRef)
    let ownScale = factor(ownBaselineRef)
    var againstOwn = 0

    var changed: [CaseDiff] = []
    var matched = 0, unchanged = 0, timed = 0, thresholdOnly = 0
    var baselineOnly: [CaseSummary] = [], currentOnly: [CaseSummary] = []
    for m in matchByKey(baseline.cases, current.cases, key: { CaseKey($0.config) }) {
        switch m {
        case let .baselineOnly(b): baselineOnly.append(CaseSummary(b))
        case let .currentOnly(c): currentOnly.append(CaseSummary(c))
        case let .both(b, c):
            matched += 1
            let fromReference = timingReference?.samples(b.config)
            let own = timingReference != nil && fromReference == nil
            let d = diffCase(b, c, options, referenceSamples: fromReference, scale: own ? ownScale : scale)
            if own && d.timing != nil { againstOwn += 1 }
            if let t = d.timing {
                timed += 1
                if t.rule == .thresholdOnly { thresholdOnly += 1 }
            }
            if d.hasChanges { changed.append(d) } else { unchanged += 1 }
        }
    }

    var skipped: [FieldChange] = []
    let bs = Dictionary(baseline.skippedImages.map { ($0.file, $0.reason) }, uniquingKeysWith: { a, _ in a })
    let cs = Dictionary(current.skippedImages.map { ($0.file, $0.reason) }, uniquingKeysWith: { a, _ in a })
    for file in Set(bs.keys).union(cs.keys).sorted() where bs[file] != cs[file] {
        skipped.append(FieldChange(field: file, baseline: bs[file] ?? "(read)", current: cs[file] ?? "(read)"))
    }

    var reasons: [String] = []
    func plural(_ n: Int, _ one: String, _ many: String) -> String { "\(n) \(n == 1 ? one : many)" }
    let counts = changed.filter(\.countsChanged).count
    if counts > 0 { reasons.append("\(plural(counts, "case has", "cases have")) different counts (BitOps, MACs, params, storage or activations)") }
    let fid = changed.filter(\.fidelityChanged)
    if !fid.isEmpty {
        let worse = fid.filter(\.fidelityWorse).count
        reasons.append("\(plural(fid.count, "case has", "cases have")) fidelity beyond the tolerance (\(worse) worse, \(fid.count - worse) better)")
    }
    let errs = changed.filter(\.errorChanged).count
    if errs > 0 { reasons.append("\(plural(errs, "case fails", "cases fail")) differently (error on one side, or another error)") }
    if !baselineOnly.isEmpty { reasons.append("\(plural(baselineOnly.count, "case is", "cases are")) missing from the current results") }
    if !currentOnly.isEmpty { reasons.append("\(plural(currentOnly.count, "case is", "cases are")) new in the current results") }
    if !skipped.isEmpty { reasons.append("\(plural(skipped.count, "image is", "images are")) skipped differently") }
    if options.failOnTime {
        let slow = changed.filter(\.slowerChanged).count
        if slow > 0 {
            reasons.append("\(plural(slow, "case is", "cases are")) slower, the whole \(NumberText.percent(1 - options.alpha)) confidence interval beyond the \(NumberText.percent(options.timeThreshold)) threshold (--fail-on-time)")
        }
    }
    var result = Comparison(
        verdict: reasons.isEmpty ? .noRegression : .regression, reasons: reasons, options: options,
        baselineName: baseline.name, currentName: current.name, baselinePath: nil, currentPath: nil, matched: matched, unchanged: unchanged,
        changed: changed, timed: timed, baselineOnly: baselineOnly, currentOnly: currentOnly, skippedImages: skipped)
    result.timedThresholdOnly = thresholdOnly
    result.timingReference = timingReference?.description
    result.baselineReferenceMs = baselineRef
    result.currentReferenceMs = currentRef
    result.timingScale = scale
    if againstOwn > 0 {
        result.timedAgainstBaselineResults = againstOwn
        result.baselineResultsReferenceMs = ownBaselineRef
        result.baselineResultsTimingScale = ownScale
    }
    return result
}

func diffCase(_ b: CaseResult, _ c: CaseResult, _ o: CompareOptions, referenceSamples: [Double]? = nil, scale: Double? = nil) -> CaseDiff {
    let key = CaseKey(b.config)
    func list(_ l: [BitWidth]) -> String { l.map(\.description).joined(separator: ",") }
    let config = [
        FieldChange.text("weight_bits", list(b.config.weightPrecision.blocks), list(c.config.weightPrecision.blocks)),
        FieldChange.text("act_bits", list(b.config.actPrecision.blocks), list(c.config.actPrecision.blocks)),
    ].compactMap { $0 }

    let tb = b.cost.totals, tc = c.cost.totals
    let totals = [
        FieldChange.int("bitops", tb.bitops, tc.bitops),
        FieldChange.int("macs", tb.macs, tc.macs),
        FieldChange.int("params", tb.params, tc.params),
        FieldChange.int("weight_storage_bits", tb.weightStorageBits, tc.weightStorageBits),
        FieldChange.int("peak_activation_bits", tb.peakActivationBits, tc.peakActivationBits),
        FieldChange.int("activation_elements", tb.activationElements, tc.activationElements),
    ].compactMap { $0 }

    let layers: [LayerChange] = matchByKey(b.cost.layers, c.cost.layers, key: \.name).compactMap { m in
        switch m {
        case let .baselineOnly(lb): return LayerChange(layer: lb.name, presence: .baselineOnly, changes: layerSummary(lb, baseline: true))
        case let .currentOnly(lc): return LayerChange(layer: lc.name, presence: .currentOnly, changes: layerSummary(lc, baseline: false))
        case let .both(lb, lc):
            let changes = diffLayer(lb, lc)
            return changes.isEmpty ? nil : LayerChange(layer: lb.name, presence: .both, changes: changes)
        }
    }

    let (fidelity, images) = diffFidelity(b, c, o)

    var timing: TimingVerdict?
    if let tc = c.timings, let base = referenceSamples ?? b.timings?.samples {
        let current = scale.map { f in tc.samples.map { $0 * f } } ?? tc.samples
        timing = TimingVerdict.judge(baseline: base, current: current, threshold: o.timeThreshold, alpha: o.alpha)
    }
    let error = b.error == c.error ? nil : FieldChange(field: "error", baseline: b.error ?? "(ran)", current: c.error ?? "(ran)")

    var d = CaseDiff(key: key, label: key.label, baselineID: b.id, currentID: c.id, config: config, totals: totals,
                     layers: layers, fidelity: fidelity, images: images, timing: timing, error: error)
    d.regression = d.isRegression(o)
    return d
}

/// One element of a baseline list matched by key with the current list (see `matchByKey`).
enum Matched<T> {
    case both(T, T)
    case baselineOnly(T)
    case currentOnly(T)
}

/// Pairs two lists by key: the baseline's elements in its order (matched with the first current element of
/// the same key, or baseline-only), then the current elements whose key the baseline lacks, in their order.
func matchByKey<T, K: Hashable>(_ baseline: [T], _ current: [T], key: (T) -> K) -> [Matched<T>] {
    let byKey = Dictionary(current.map { (key($0), $0) }, uniquingKeysWith: { a, _ in a })
    let baselineKeys = Set(baseline.map(key))
    return baseline.map { b in byKey[key(b)].map { .both(b, $0) } ?? .baselineOnly(b) }
        + current.filter { !baselineKeys.contains(key($0)) }.map { .currentOnly($0) }
}

/// Whether a logit SQNR moved beyond `tolerance` dB; nil is exact (+∞ dB), so exact on one side only moved.
func sqnrMoved(_ x: Double?, _ y: Double?, tolerance: Double) -> Bool {
    switch (x, y) {
    case (nil, nil): return false
    case let (x?, y?): return abs(y - x) > tolerance
    default: return true
    }
}

/// Every accounting field of a layer that differs, with exact values.
func diffLayer(_ a: LayerCost, _ b: LayerCost) -> [FieldChange] {
    [
        FieldChange.text("kind", a.kind.rawValue, b.kind.rawValue),
        FieldChange.text("input_shape", a.inputShape.description, b.inputShape.description),
        FieldChange.text("output_shape", a.outputShape.description, b.outputShape.description),
        FieldChange.int("kernel", a.kernel, b.kernel),
        FieldChange.int("stride", a.stride, b.stride),
        FieldChange.int("groups", a.groups, b.groups),
        FieldChange.width("weight_bits", a.weightBits, b.weightBits),
        FieldChange.width("input_bits", a.inputBits, b.inputBits),
        FieldChange.width("output_bits", a.outputBits, b.outputBits),
        FieldChange.int("macs", a.macs, b.macs),
        FieldChange.int("params", a.params, b.params),
        FieldChange.int("weight_storage_bits", a.weightStorageBits, b.weightStorageBits),
        FieldChange.int("activation_bits", a.activationBits, b.activationBits),
        FieldChange.int("bitops", a.bitops, b.bitops),
    ].compactMap { $0 }
}

/// A layer present on one side only: its main figures against nothing.
func layerSummary(_ l: LayerCost, baseline: Bool) -> [FieldChange] {
    let none = "—"
    return [("weight_bits", l.weightBits.description), ("macs", String(l.macs)), ("bitops", String(l.bitops))].map { f, v in
        baseline ? FieldChange(field: f, baseline: v, current: none) : FieldChange(field: f, baseline: none, current: v)
    }
}

func diffFidelity(_ b: CaseResult, _ c: CaseResult, _ o: CompareOptions) -> ([FidelityChange], [ImageChange]) {
    var out: [FidelityChange] = []
    let fb = b.fidelity, fc = c.fidelity
    if fb == nil && fc == nil { return ([], []) }
    guard let fb, let fc else {
        // Measured on one side only.
        out.append(FidelityChange(metric: "images", baseline: fb.map { Double($0.images) }, current: fc.map { Double($0.images) },
                                  delta: nil, tolerance: 0, worse: fc == nil))
        return (out, [])
    }
    if fb.images != fc.images {
        out.append(FidelityChange(metric: "images", baseline: Double(fb.images), current: Double(fc.images),
                                  delta: Double(fc.images - fb.images), tolerance: 0, worse: fc.images < fb.images))
    }
    // SQNR: nil means exact, i.e. +∞ dB.
    func sqnr(_ metric: String, _ x: Double?, _ y: Double?) {
        guard sqnrMoved(x, y, tolerance: o.sqnrToleranceDB) else { return }
        let delta = x.flatMap { x in y.map { $0 - x } }
        // Exact on one side only: worse when the current side is the finite one.
        out.append(FidelityChange(metric: metric, baseline: x, current: y, delta: delta, tolerance: o.sqnrToleranceDB,
                                  worse: delta.map { $0 < 0 } ?? (y != nil)))
    }
    func plain(_ metric: String, _ x: Double, _ y: Double, _ tol: Double) {
        // A tiny slack so that a tolerance of 0 ignores floating-point noise in stored means.
        if abs(y - x) > tol + 1e-12 {
            out.append(FidelityChange(metric: metric, baseline: x, current: y, delta: y - x, tolerance: tol, worse: y < x))
        }
    }
    sqnr("sqnr_db_mean", fb.sqnrDBMean, fc.sqnrDBMean)
    sqnr("sqnr_db_min", fb.sqnrDBMin, fc.sqnrDBMin)
    plain("cosine_mean", fb.cosineMean, fc.cosineMean, o.cosineTolerance)
    plain("cosine_min", fb.cosineMin, fc.cosineMin, o.cosineTolerance)
    plain("top1_agreement", fb.top1Agreement, fc.top1Agreement, o.top1Tolerance)

    // Which images moved: SQNR beyond the tolerance, or top-1 agreement flipped; images on one side only.
    let images: [ImageChange] = matchByKey(b.images, c.images, key: \.file).compactMap { m in
        switch m {
        case let .baselineOnly(ib):
            return ImageChange(file: ib.file, presence: .baselineOnly, baselineSQNRDB: ib.sqnrDB, currentSQNRDB: nil,
                               baselineTop1Agree: ib.top1Agree, currentTop1Agree: nil)
        case let .currentOnly(ic):
            return ImageChange(file: ic.file, presence: .currentOnly, baselineSQNRDB: nil, currentSQNRDB: ic.sqnrDB,
                               baselineTop1Agree: nil, currentTop1Agree: ic.top1Agree)
        case let .both(ib, ic):
            guard sqnrMoved(ib.sqnrDB, ic.sqnrDB, tolerance: o.sqnrToleranceDB) || ib.top1Agree != ic.top1Agree else { return nil }
            return ImageChange(file: ib.file, presence: .both, baselineSQNRDB: ib.sqnrDB, currentSQNRDB: ic.sqnrDB,
                               baselineTop1Agree: ib.top1Agree, currentTop1Agree: ic.top1Agree)
        }
    }
    return (out, images)
}
