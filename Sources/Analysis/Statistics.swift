import Foundation

/// The statistics behind timing verdicts: medians and the Mann–Whitney U test (Wilcoxon rank-sum).
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
    /// Beyond the threshold and a two-sided Mann–Whitney U test at `alpha` over the samples.
    case mannWhitney = "mann-whitney"
    /// Beyond the threshold alone: the samples are too few for the test ever to reach `alpha` (one sample a
    /// side — results from before `--repeats`, or `--repeats 1` — or, e.g., 4 against 4 at 0.01).
    case thresholdOnly = "threshold-only"
}

extension Statistics {
    /// The smallest two-sided p-value the exact Mann–Whitney test can give for `n1` against `n2` distinct
    /// samples: the two most extreme arrangements (no overlap, either way round) of the C(n1+n2, n1), so
    /// 2 / C(n1+n2, n1), at most 1. 1 against 1: 1; 3 against 3: 0.1; 4 against 4: 0.029; 5 against 5: 0.0079.
    public static func smallestTwoSidedP(_ n1: Int, _ n2: Int) -> Double {
        guard n1 > 0, n2 > 0 else { return 1 }
        var c = 1.0   // C(n1+n2, k) built up k = 1…min(n1, n2)
        let k = min(n1, n2)
        for i in 1...k { c = c * Double(n1 + n2 - k + i) / Double(i) }
        return min(1, 2 / c)
    }

    /// Whether the samples can decide at `alpha`: the test is used when it can reach p < alpha at all.
    public static func rule(_ n1: Int, _ n2: Int, alpha: Double) -> TimingRule {
        smallestTwoSidedP(n1, n2) < alpha ? .mannWhitney : .thresholdOnly
    }
}

/// The timing rule of `compare` and `history show`: a change in time per image is called only when it is
/// both larger than the threshold and statistically clear.
///
/// - size: `relative = median(current) / median(baseline) − 1`, and `|relative| > threshold`;
/// - clarity: the two-sided Mann–Whitney U test of the current samples against the baseline samples gives
///   `p < alpha`.
/// When the samples are too few for the test ever to give `p < alpha` (`Statistics.smallestTwoSidedP`; one
/// sample a side, as in results written before `--repeats`), the size alone decides, and the verdict says so
/// (`rule` = `threshold-only`). So `--repeats` decides how clear a change can be: at the default alpha 0.01 at
/// least 5 samples a side are needed (4 against 4 can reach only 0.029).
public struct TimingVerdict: Hashable, Codable, Sendable {
    public enum Call: String, Codable, Sendable { case slower, faster, unchanged }
    public var baselineMedian: Double
    public var currentMedian: Double
    public var relative: Double
    /// The Mann–Whitney p-value; nil under the threshold-only rule.
    public var p: Double?
    public var baselineSamples: Int
    public var currentSamples: Int
    public var rule: TimingRule
    public var call: Call

    /// Beyond the threshold, whether or not statistically clear.
    public var beyondThreshold: Bool

    public static func judge(baseline: [Double], current: [Double], threshold: Double, alpha: Double) -> TimingVerdict? {
        guard let b = Statistics.median(baseline), let c = Statistics.median(current), b > 0 else { return nil }
        let rel = c / b - 1
        let rule = Statistics.rule(baseline.count, current.count, alpha: alpha)
        let p = rule == .mannWhitney ? Statistics.mannWhitney(current, baseline)?.p : nil
        let beyond = abs(rel) > threshold
        let clear = beyond && (rule == .thresholdOnly || (p.map { $0 < alpha } ?? false))
        return TimingVerdict(baselineMedian: b, currentMedian: c, relative: rel, p: p, baselineSamples: baseline.count,
                             currentSamples: current.count, rule: rule, call: clear ? (rel > 0 ? .slower : .faster) : .unchanged,
                             beyondThreshold: beyond)
    }

    enum CodingKeys: String, CodingKey {
        case baselineMedian = "baseline_median_ms", currentMedian = "current_median_ms", relative, p
        case baselineSamples = "baseline_samples", currentSamples = "current_samples", rule, call
        case beyondThreshold = "beyond_threshold"
    }
}
