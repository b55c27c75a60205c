import Foundation

/// The statistics behind timing verdicts: medians, the Mann–Whitney U test (Wilcoxon rank-sum), and the
/// Hodges–Lehmann shift estimate with its distribution-free confidence interval (the interval that inverts
/// the same test).
///
/// Why this test: timing samples are skewed (a busy machine only ever adds time) and few (one per repeat),
/// so a test on ranks, which assumes no distribution, is the honest choice. Two-sided.
/// - Exact p-value from the distribution of U when both samples have at most 25 values and no ties
///   (counting the rank arrangements, as in Mann & Whitney 1947).
/// - Otherwise the normal approximation with the tie correction of the variance and a continuity
///   correction of 0.5.
public enum Statistics {
    public static func median(_ v: [Double]) -> Double? {
        guard !v.isEmpty else { return nil }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// The result of a Mann–Whitney U test of `x` against `y`.
    public struct MannWhitney: Hashable, Sendable, Codable {
        /// U of the first sample: the number of pairs (xi, yj) with xi > yj, ties counting ½.
        public var u: Double
        /// Two-sided p-value.
        public var p: Double
        /// Whether `p` is exact (small samples without ties) or from the normal approximation.
        public var exact: Bool
    }

    /// Two-sided Mann–Whitney U test; nil when either sample is empty.
    public static func mannWhitney(_ x: [Double], _ y: [Double]) -> MannWhitney? {
        let n1 = x.count, n2 = y.count
        guard n1 > 0, n2 > 0 else { return nil }
        // Ranks of the pooled sample, ties sharing their mean rank.
        let pooled = (x.map { ($0, 0) } + y.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var ranks = [Double](repeating: 0, count: pooled.count)
        var tieTerm = 0.0
        var i = 0
        while i < pooled.count {
            var j = i
            while j + 1 < pooled.count && pooled[j + 1].0 == pooled[i].0 { j += 1 }
            let r = Double(i + j + 2) / 2
            for k in i...j { ranks[k] = r }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        var r1 = 0.0
        for (k, e) in pooled.enumerated() where e.1 == 0 { r1 += ranks[k] }
        let u1 = r1 - Double(n1 * (n1 + 1)) / 2
        let mean = Double(n1 * n2) / 2
        if tieTerm == 0 && n1 <= 25 && n2 <= 25 {
            // Exact: P(U ≤ u) from the count of arrangements with each U (a recurrence on sample sizes).
            let counts = uDistribution(n1, n2)
            let total = counts.reduce(0, +)
            let uLow = Int(min(u1, Double(n1 * n2) - u1).rounded())
            let tail = counts[0...uLow].reduce(0, +)
            return MannWhitney(u: u1, p: min(1, 2 * tail / total), exact: true)
        }
        let n = Double(n1 + n2)
        let variance = Double(n1 * n2) / 12 * ((n + 1) - tieTerm / (n * (n - 1)))
        guard variance > 0 else { return MannWhitney(u: u1, p: 1, exact: false) }
        let z = max(0, abs(u1 - mean) - 0.5) / variance.squareRoot()
        return MannWhitney(u: u1, p: min(1, erfc(z / 2.squareRoot())), exact: false)
    }

    /// counts[u] = the number of ways to interleave n1 and n2 distinct values so that U = u.
    public static func uDistribution(_ n1: Int, _ n2: Int) -> [Double] {
        // f(m, n, u) = f(m−1, n, u−n) + f(m, n−1, u): the largest value belongs to the first or second sample.
        var table = [[[Double]]](repeating: [[Double]](repeating: [], count: n2 + 1), count: n1 + 1)
        for m in 0...n1 {
            for n in 0...n2 {
                var row = [Double](repeating: 0, count: m * n + 1)
                if m == 0 || n == 0 { row[0] = 1 } else {
                    for u in 0...(m * n) {
                        var v = 0.0
                        if u - n >= 0 && u - n < table[m - 1][n].count { v += table[m - 1][n][u - n] }
                        if u < table[m][n - 1].count { v += table[m][n - 1][u] }
                        row[u] = v
                    }
                }
                table[m][n] = row
            }
        }
        return table[n1][n2]
    }
}

/// Which rule called a timing change.
public enum TimingRule: String, Codable, Sendable {
    /// The whole confidence interval (1 − alpha) of the Hodges–Lehmann shift of the log-times lies beyond the
    /// threshold: larger than the threshold and statistically clear in one condition.
    case shiftInterval = "shift-ci"
    /// Beyond the threshold alone: the samples are too few for any finite interval at `alpha` (one sample a
    /// side — results from before `--repeats`, or `--repeats 1` — or, e.g., 4 against 4 at 0.01).
    case thresholdOnly = "threshold-only"
}

extension Statistics {
    /// The upper `p` quantile of the standard normal distribution: z with P(Z > z) = p (0 < p < 1), by
    /// bisection on `erfc` (to about 1e-12).
    public static func normalUpperQuantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "a probability strictly between 0 and 1")
        var lo = -40.0, hi = 40.0
        for _ in 0..<200 {
            let mid = (lo + hi) / 2
            if erfc(mid / 2.squareRoot()) / 2 > p { lo = mid } else { hi = mid }
        }
        return (lo + hi) / 2
    }

    /// The rank k of the lower end of the distribution-free confidence interval for a shift (Moses 1953;
    /// Hollander & Wolfe, Nonparametric Statistical Methods, §4.3): with the n1·n2 differences xi − yj sorted,
    /// the interval [D(k), D(n1·n2 + 1 − k)] covers the true shift with probability at least 1 − alpha, where k
    /// is the largest integer with P(U ≤ k − 1) ≤ alpha/2 under no shift. U's distribution is exact (`uDistribution`)
    /// when both samples have at most 25 values, else normal with a continuity correction:
    /// k = ⌊n1·n2/2 − z(alpha/2)·√(n1·n2·(n1 + n2 + 1)/12) + ½⌋. 0 means no finite interval (too few samples).
    /// 10 against 10 at 0.01: 17 (the tables' critical U is 16).
    public static func shiftIntervalRank(_ n1: Int, _ n2: Int, alpha: Double) -> Int {
        guard n1 > 0, n2 > 0, alpha > 0, alpha < 1 else { return 0 }
        let mn = n1 * n2
        var k = 0
        if n1 <= 25 && n2 <= 25 {
            let counts = uDistribution(n1, n2)
            let total = counts.reduce(0, +)
            var cumulative = 0.0
            // Largest k with P(U ≤ k − 1) ≤ alpha/2: add P(U = k) while the sum stays within alpha/2.
            while k < counts.count {
                cumulative += counts[k]
                if cumulative / total > alpha / 2 { break }
                k += 1
            }
        } else {
            let z = normalUpperQuantile(alpha / 2)
            let sd = (Double(mn) * Double(n1 + n2 + 1) / 12).squareRoot()
            k = max(0, Int((Double(mn) / 2 - z * sd + 0.5).rounded(.down)))
        }
        // The interval must keep D(k) ≤ D(mn + 1 − k).
        return min(k, (mn + 1) / 2)
    }

    /// The Hodges–Lehmann estimate of the shift of `x` against `y` and its confidence interval.
    public struct Shift: Hashable, Sendable, Codable {
        /// The median of the n1·n2 differences xi − yj.
        public var estimate: Double
        /// The interval [D(k), D(n1·n2 + 1 − k)] (`shiftIntervalRank`); nil when the samples are too few for one.
        public var low: Double?
        public var high: Double?
    }

    /// Hodges–Lehmann shift of `x` against `y` with its 1 − `alpha` distribution-free interval; nil when a
    /// sample is empty.
    public static func shift(_ x: [Double], _ y: [Double], alpha: Double) -> Shift? {
        guard !x.isEmpty, !y.isEmpty else { return nil }
        var d: [Double] = []
        d.reserveCapacity(x.count * y.count)
        for a in x { for b in y { d.append(a - b) } }
        d.sort()
        let k = shiftIntervalRank(x.count, y.count, alpha: alpha)
        return Shift(estimate: median(d)!, low: k >= 1 ? d[k - 1] : nil, high: k >= 1 ? d[d.count - k] : nil)
    }
}

/// The timing rule of `compare` and `history show`: a change in time per image is called only when it is
/// both larger than the threshold and statistically clear, stated as one condition on a confidence interval.
///
/// Times are compared as ratios (a slow-down multiplies every kernel's time), so on their logarithms:
/// - the shift: the Hodges–Lehmann estimate of log(current) − log(baseline), the median of the n1·n2 pairwise
///   differences, reported as a ratio − 1 (`shift`);
/// - its distribution-free 1 − alpha confidence interval (`Statistics.shiftIntervalRank`: the interval that
///   inverts the two-sided Mann–Whitney test, so it excludes "no change" exactly when p < alpha);
/// - called slower when the whole interval lies above 1 + threshold (`shiftLow > threshold`), faster when it
///   lies below 1 − threshold (`shiftHigh < −threshold`). A shift whose interval reaches inside ±threshold is
///   not called, however small its p: a real drift of the machine's load smaller than the threshold, seen
///   clearly, is still smaller than the threshold.
/// When the samples are too few for any finite interval at `alpha` (one sample a side, as in results written
/// before `--repeats`; at the default alpha 0.01 at least 5 against 5 are needed), the estimate alone against
/// the threshold decides, and the verdict says so (`rule` = `threshold-only`).
///
/// `compare` keeps one per matched case with timings on both sides (`CaseDiff.timing`, in comparison.json),
/// `history show` one for the latest run against its recent runs, and `history`'s step detection one per step.
public struct TimingVerdict: Hashable, Codable, Sendable {
    public enum Call: String, Codable, Sendable { case slower, faster, unchanged }
    /// Medians of the samples (ms per image).
    public var baselineMs: Double
    public var currentMs: Double
    /// currentMs / baselineMs − 1.
    public var relative: Double
    /// The Hodges–Lehmann shift as a ratio − 1 (exp of the log-time shift − 1; +0.3: 30% slower).
    public var shift: Double
    /// Its 1 − alpha confidence interval as ratios − 1; nil under the threshold-only rule.
    public var shiftLow: Double?
    public var shiftHigh: Double?
    /// The two-sided Mann–Whitney p-value of the same samples (the interval excludes 0 when p < alpha), for
    /// context: the interval decides. nil under the threshold-only rule.
    public var p: Double?
    /// Timing samples on each side (one per `sweep --repeats` round; 1 for results written before `--repeats`).
    public var baselineSamples: Int
    public var currentSamples: Int
    public var rule: TimingRule
    public var call: Call

    /// The estimate is beyond the threshold, whether or not its interval is.
    public var beyondThreshold: Bool

    /// Called: the whole interval beyond the threshold (or, under `threshold-only`, the estimate).
    public var flagged: Bool { call != .unchanged }
    /// The estimate says slower (called or not).
    public var slower: Bool { shift > 0 }

    /// nil when a side has no sample or a sample that is not positive.
    public static func judge(baseline: [Double], current: [Double], threshold: Double, alpha: Double) -> TimingVerdict? {
        guard let b = Statistics.median(baseline), let c = Statistics.median(current), b > 0,
              baseline.allSatisfy({ $0 > 0 }), current.allSatisfy({ $0 > 0 }),
              let s = Statistics.shift(current.map(log), baseline.map(log), alpha: alpha) else { return nil }
        let rule: TimingRule = s.low == nil ? .thresholdOnly : .shiftInterval
        let est = exp(s.estimate) - 1
        let low = s.low.map { exp($0) - 1 }, high = s.high.map { exp($0) - 1 }
        let call: Call
        switch rule {
        case .shiftInterval:
            call = low! > threshold ? .slower : high! < -threshold ? .faster : .unchanged
        case .thresholdOnly:
            call = est > threshold ? .slower : est < -threshold ? .faster : .unchanged
        }
        return TimingVerdict(baselineMs: b, currentMs: c, relative: c / b - 1, shift: est, shiftLow: low, shiftHigh: high,
                             p: rule == .shiftInterval ? Statistics.mannWhitney(current, baseline)?.p : nil,
                             baselineSamples: baseline.count, currentSamples: current.count, rule: rule, call: call,
                             beyondThreshold: abs(est) > threshold)
    }

    enum CodingKeys: String, CodingKey {
        case baselineMs = "baseline_ms_per_image", currentMs = "current_ms_per_image", relative, shift
        case shiftLow = "shift_low", shiftHigh = "shift_high", p
        case baselineSamples = "baseline_samples", currentSamples = "current_samples", rule, call
        case beyondThreshold = "beyond_threshold", flagged
    }

    public init(baselineMs: Double, currentMs: Double, relative: Double, shift: Double, shiftLow: Double?, shiftHigh: Double?,
                p: Double?, baselineSamples: Int, currentSamples: Int, rule: TimingRule, call: Call, beyondThreshold: Bool) {
        self.baselineMs = baselineMs
        self.currentMs = currentMs
        self.relative = relative
        self.shift = shift
        self.shiftLow = shiftLow
        self.shiftHigh = shiftHigh
        self.p = p
        self.baselineSamples = baselineSamples
        self.currentSamples = currentSamples
        self.rule = rule
        self.call = call
        self.beyondThreshold = beyondThreshold
    }

    /// Reads what `encode` writes, and comparison.json files written before `call` existed (`flagged` and the
    /// sign of `shift` say the call).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        baselineMs = try c.decode(Double.self, forKey: .baselineMs)
        currentMs = try c.decode(Double.self, forKey: .currentMs)
        relative = try c.decode(Double.self, forKey: .relative)
        shift = try c.decode(Double.self, forKey: .shift)
        shiftLow = try c.decodeIfPresent(Double.self, forKey: .shiftLow)
        shiftHigh = try c.decodeIfPresent(Double.self, forKey: .shiftHigh)
        p = try c.decodeIfPresent(Double.self, forKey: .p)
        baselineSamples = try c.decode(Int.self, forKey: .baselineSamples)
        currentSamples = try c.decode(Int.self, forKey: .currentSamples)
        rule = try c.decode(TimingRule.self, forKey: .rule)
        beyondThreshold = try c.decode(Bool.self, forKey: .beyondThreshold)
        if let call = try c.decodeIfPresent(Call.self, forKey: .call) { self.call = call } else {
            call = try c.decode(Bool.self, forKey: .flagged) ? (shift > 0 ? .slower : .faster) : .unchanged
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(baselineMs, forKey: .baselineMs)
        try c.encode(currentMs, forKey: .currentMs)
        try c.encode(relative, forKey: .relative)
        try c.encode(shift, forKey: .shift)
        try c.encodeIfPresent(shiftLow, forKey: .shiftLow)
        try c.encodeIfPresent(shiftHigh, forKey: .shiftHigh)
        try c.encodeIfPresent(p, forKey: .p)
        try c.encode(baselineSamples, forKey: .baselineSamples)
        try c.encode(currentSamples, forKey: .currentSamples)
        try c.encode(rule, forKey: .rule)
        try c.encode(call, forKey: .call)
        try c.encode(flagged, forKey: .flagged)
        try c.encode(beyondThreshold, forKey: .beyondThreshold)
    }
}
