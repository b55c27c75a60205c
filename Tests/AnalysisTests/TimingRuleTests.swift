import Analysis
import Foundation
import Results
import Testing
import Reports

/// The timing rule of `compare`: the whole 1 − alpha interval of the Hodges–Lehmann shift of the log-times
/// beyond ±threshold; the estimate against the threshold alone when the samples are too few for an interval.
/// The test and the interval's rank are checked against textbook critical values, and the estimates against
/// examples worked by hand, not against themselves.
@Suite struct TimingRuleTests {
    // MARK: the test itself

    /// Standard two-tailed critical values of U for equal samples (e.g. the tables in Siegel & Castellan,
    /// Nonparametric Statistics, table J): U at or below the value is significant. n = 5: 2 (0.05), 0 (0.01);
    /// n = 7: 8 and 4; n = 10: 23 and 16. So p(U = critical) < alpha < p(U = critical + 1).
    @Test func exactPValuesAgreeWithTheCriticalValueTables() throws {
        for (n, crit05, crit01) in [(5, 2, 0), (7, 8, 4), (10, 23, 16)] {
            func p(_ u: Int) throws -> Double {
                // x's values interleaved with y's so that exactly u pairs have x > y: x = the u-th … pattern:
                // y = 0, 2, 4, … (2n−2); x puts u "wins" by placing values just above the first y values.
                let y = (0..<n).map { Double(2 * $0) }
                var x: [Double] = []
                var wins = u
                for _ in 0..<n {
                    let k = min(wins, n)          // this x beats y[0..<k]
                    x.append(k == 0 ? -1 - Double(x.count) * 0.01 : y[k - 1] + 1 + Double(x.count) * 0.001)
                    wins -= k
                }
                let r = try #require(Statistics.mannWhitney(x, y))
                #expect(r.u == Double(u) && r.exact)
                return r.p
            }
            #expect(try p(crit05) < 0.05 && p(crit05 + 1) > 0.05, "n = \(n), alpha 0.05")
            #expect(try p(crit01) < 0.01 && p(crit01 + 1) > 0.01, "n = \(n), alpha 0.01")
        }
    }

    /// x = 1, 2, 2 against y = 2, 3, 3, by hand: pooled ranks 1 | 3 3 3 | 5.5 5.5, so R₁ = 1 + 3 + 3 = 7 and
    /// U = 7 − 3·4/2 = 1. Ties: a group of 3 and one of 2, Σ(t³ − t) = 24 + 6 = 30, so the variance is
    /// n₁n₂/12 · ((N + 1) − 30/(N(N − 1))) = 9/12 · (7 − 1) = 4.5, the mean 4.5, z = (|1 − 4.5| − ½)/√4.5 = √2,
    /// and the two-sided p = erfc(z/√2) = erfc(1) = 0.157299207050285.
    @Test func tieCorrectedNormalApproximationByHand() throws {
        let r = try #require(Statistics.mannWhitney([1, 2, 2], [2, 3, 3]))
        #expect(r.u == 1 && !r.exact)
        #expect(abs(r.p - 0.157299207050285) < 1e-12)
    }

    @Test func tooFewSamplesForAnIntervalFallBackToTheThreshold() throws {
        // The most extreme arrangement of n against n distinct samples has p = 2 / C(2n, n): 4 against 4,
        // 2/70 = 0.029 > 0.01, so no 99% interval (rank 0) and the threshold alone decides; 5 against 5,
        // 2/252 = 0.0079 < 0.01, so an interval; at 0.05, 4 against 4 has one too.
        #expect(Statistics.mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])?.p == 2.0 / 252)
        #expect(Statistics.mannWhitney([5, 6, 7, 8], [1, 2, 3, 4])?.p == 2.0 / 70)
        #expect(Statistics.shiftIntervalRank(4, 4, alpha: 0.01) == 0 && Statistics.shiftIntervalRank(5, 5, alpha: 0.01) == 1)
        #expect(Statistics.shiftIntervalRank(4, 4, alpha: 0.05) == 1)
        let four = [10.0, 10.1, 10.2, 10.3]
        let v = try #require(TimingVerdict.judge(baseline: four, current: four.map { $0 * 1.3 }, threshold: 0.1, alpha: 0.01))
        #expect(v.rule == .thresholdOnly && v.shiftLow == nil && v.p == nil && v.call == .slower)
        let w = try #require(TimingVerdict.judge(baseline: four, current: four.map { $0 * 1.3 }, threshold: 0.1, alpha: 0.05))
        #expect(w.rule == .shiftInterval && w.shiftLow != nil && w.call == .slower)
    }

    /// A verdict is written once (comparison.json's `timing`, history.json's latest verdict) and read back the same;
    /// comparison.json files from before `call` existed are read with the call from `flagged` and the shift's sign.
    @Test func verdictsRoundTripThroughJSONAndOldFilesStillRead() throws {
        let y = [2.0, 2.1, 2.2, 2.3, 2.4, 2.05, 2.15, 2.25, 2.35, 2.45]
        for current in [y.map { $0 * 1.3 }, y.map { $0 / 1.3 }, y.map { $0 * 1.01 }] {
            let v = try #require(TimingVerdict.judge(baseline: y, current: current, threshold: 0.1, alpha: 0.01))
            let data = try JSONEncoder().encode(v)
            #expect(try JSONDecoder().decode(TimingVerdict.self, from: data) == v)
            var o = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(o["flagged"] as? Bool == v.flagged && o["call"] as? String == v.call.rawValue)
            o["call"] = nil
            let old = try JSONDecoder().decode(TimingVerdict.self, from: try JSONSerialization.data(withJSONObject: o))
            #expect(old == v)
        }
        #expect(try #require(TimingVerdict.judge(baseline: y, current: y.map { $0 / 1.3 }, threshold: 0.1, alpha: 0.01)).call == .faster)
    }

    // MARK: the shift and its interval

    /// The interval's rank k is the tables' critical U + 1 (U ≤ critical is significant, so P(U ≤ k − 1) ≤ α/2):
    /// n = 5: 0 and 2 (α 0.01, 0.05); n = 7: 4 and 8; n = 10: 16 and 23 (Siegel & Castellan, table J). 4 against 4
    /// at 0.01 has none (no finite interval). Past 25 a side, the normal approximation: 30 against 30 at 0.05,
    /// 900/2 − 1.959964 · √(900 · 61/12) + ½ = 317.93 → 317; 50 against 10 at 0.01, 250 − 2.575829 · √(500 · 61/12)
    /// + ½ = 120.6 → 120.
    @Test func intervalRankIsTheCriticalValuePlusOne() {
        for (n, crit05, crit01) in [(5, 2, 0), (7, 8, 4), (10, 23, 16)] {
            #expect(Statistics.shiftIntervalRank(n, n, alpha: 0.05) == crit05 + 1, "n = \(n)")
            #expect(Statistics.shiftIntervalRank(n, n, alpha: 0.01) == crit01 + 1, "n = \(n)")
        }
        #expect(Statistics.shiftIntervalRank(4, 4, alpha: 0.01) == 0)
        #expect(Statistics.shiftIntervalRank(1, 1, alpha: 0.01) == 0)
        #expect(Statistics.shiftIntervalRank(30, 30, alpha: 0.05) == 317)
        #expect(Statistics.shiftIntervalRank(50, 10, alpha: 0.01) == 120)
        #expect(abs(Statistics.normalUpperQuantile(0.025) - 1.959963984540054) < 1e-9)
        #expect(abs(Statistics.normalUpperQuantile(0.005) - 2.5758293035489) < 1e-9)
    }

    /// x = 10…14 against y = 0…4: the 25 differences are 10 + (i − j), so 6 once, 7 twice, 8 three times, 9 four,
    /// 10 five, 11 four, 12 three, 13 twice, 14 once. The median (13th) is 10; at 0.05 (k = 3) the interval is
    /// [D(3), D(23)] = [7, 13]; at 0.01 (k = 1) the whole range [6, 14]. 3 against 2 has no interval.
    @Test func hodgesLehmannShiftAndIntervalByHand() throws {
        let x: [Double] = [10, 11, 12, 13, 14], y: [Double] = [0, 1, 2, 3, 4]
        let s05 = try #require(Statistics.shift(x, y, alpha: 0.05))
        #expect(s05.estimate == 10 && s05.low == 7 && s05.high == 13)
        let s01 = try #require(Statistics.shift(x, y, alpha: 0.01))
        #expect(s01.estimate == 10 && s01.low == 6 && s01.high == 14)
        let few = try #require(Statistics.shift([1, 2, 3], [0, 0.5], alpha: 0.05))
        // Differences 0.5, 1, 1.5, 2, 2.5, 3: median 1.75.
        #expect(few.estimate == 1.75 && few.low == nil && few.high == nil)
        #expect(Statistics.shift([], [1], alpha: 0.05) == nil)
    }

    /// Clear is not enough: y = 1.00, 1.01, …, 1.09 and x = 1.12 · y are perfectly separated (p = 0.00018, so
    /// the old "median beyond 10% and p < 0.01" rule called it), but of the 100 ratios xi/yj the 17th smallest
    /// is 1.12 · 1.01/1.05 = 1.07733 and the 84th 1.12 · 1.05/1.01 = 1.16436: the 99% interval [+7.7%, +16.4%]
    /// reaches inside ±10%, so it is not called. The estimate is the median ratio, 1.12.
    @Test func aClearShiftWhoseIntervalReachesInsideTheThresholdIsNotCalled() throws {
        let y = (0..<10).map { 1 + Double($0) / 100 }
        let v = try #require(TimingVerdict.judge(baseline: y, current: y.map { $0 * 1.12 }, threshold: 0.1, alpha: 0.01))
        #expect(v.call == .unchanged && v.rule == .shiftInterval && v.beyondThreshold)
        #expect(v.p! < 0.001)
        #expect(abs(v.shift - 0.12) < 1e-12)
        #expect(abs(v.shiftLow! - (1.12 * 1.01 / 1.05 - 1)) < 1e-12)
        #expect(abs(v.shiftHigh! - (1.12 * 1.05 / 1.01 - 1)) < 1e-12)
        // 1.3 × y: the interval [1.3 · 1.01/1.05, 1.3 · 1.05/1.01] − 1 = [+25.0%, +35.1%] is beyond: slower.
        let slow = try #require(TimingVerdict.judge(baseline: y, current: y.map { $0 * 1.3 }, threshold: 0.1, alpha: 0.01))
        #expect(slow.call == .slower && abs(slow.shiftLow! - (1.3 * 1.01 / 1.05 - 1)) < 1e-12)
        // And 1/1.3 × y: faster, the interval's upper end 1.05/(1.3 · 1.01) − 1 = −20.0% below −10%.
        let fast = try #require(TimingVerdict.judge(baseline: y, current: y.map { $0 / 1.3 }, threshold: 0.1, alpha: 0.01))
        #expect(fast.call == .faster && abs(fast.shiftHigh! - (1.05 / (1.3 * 1.01) - 1)) < 1e-12)
    }

    // MARK: compare with samples

    /// The fixture grid with `samples` as every case's timing samples, and `current` for the size-16 4-bit case.
    static func grid(_ samples: [Double], changed: [Double]? = nil) throws -> ResultsSet {
        try Fixture.grid { c in
            var s = samples
            if let changed, c.config.size == 16 && c.config.weightPrecision.description == "4" { s = changed }
            c.timings = CaseTimings(buildMs: 3, msPerImage: Statistics.median(s)!, imagesPerSecond: 1, totalMs: 1, samplesMsPerImage: s)
        }
    }

    static let base: [Double] = [2.00, 2.31, 1.94, 2.12, 2.60, 1.98, 2.05, 2.44, 2.02, 1.90]   // median 2.035

    @Test func aNoisyShiftBeyondTheThresholdIsNotCalledButAClearOneIs() throws {
        // +11.3% in the medians, but the samples overlap: not called.
        let noisy: [Double] = [2.28, 2.05, 2.40, 1.95, 2.20, 2.30, 2.60, 2.15, 2.25, 2.35]  // median 2.265
        let n = try compare(baseline: try Self.grid(Self.base), current: try Self.grid(Self.base, changed: noisy),
                            options: CompareOptions(failOnTime: true))
        #expect(n.verdict == .noRegression && n.changed.isEmpty && n.slower == 0)
        #expect(n.timed == 6 && n.timedThresholdOnly == 0)
        // Worked apart (Python, from the formula): the current sample is above in 67 of the 100 pairs and tied
        // in 2 (2.05 and 2.60 appear on both sides), U = 67 + 2 · ½ = 68; ties Σ(t³ − t) = 12, variance 174.737, z = 1.3239,
        // two-sided p = 0.185546: far from 0.01.
        let v = try #require(TimingVerdict.judge(baseline: Self.base, current: noisy, threshold: 0.1, alpha: 0.01))
        #expect(!v.beyondThreshold && v.call == .unchanged)
        // The Hodges–Lehmann estimate (median of the 100 log-ratios) is +7.7%, its 99% interval −7.7% … +18.7%
        // (worked apart in Python from the formula: 0.0772081, −0.0769231 = 2.40/2.60 − 1, 0.1868687 = 2.35/1.98 − 1).
        #expect(abs(v.shift - 0.07720813146325911) < 1e-9)
        #expect(abs(v.shiftLow! - (2.40 / 2.60 - 1)) < 1e-12 && abs(v.shiftHigh! - (2.35 / 1.98 - 1)) < 1e-12)
        #expect(abs(v.p! - 0.18554575077897678) < 1e-9)
        #expect(Statistics.mannWhitney(noisy, Self.base)?.u == 68)
        #expect(abs(v.relative - (2.265 / 2.035 - 1)) < 1e-12)

        // The same samples 30% slower. They still overlap a little (1.3 × 1.90 = 2.47 < 2.60, and 1.3 × 2.00 ties
        // 2.60): worked apart (Python, from the formula), U = 96.5 of 100, ties Σ(t³ − t) = 6, z = 3.4786,
        // p = 0.000504. The ratios are 1.3 · bi/bj: the 17th smallest of the 100 is 1.3 · 2.00/2.31 = 2.6/2.31,
        // the 84th 1.3 · 2.31/2.00, so the 99% interval is [+12.55%, +50.15%]: wholly beyond +10%, called.
        let slow = Self.base.map { $0 * 1.3 }
        let c = try compare(baseline: try Self.grid(Self.base), current: try Self.grid(Self.base, changed: slow),
                            options: CompareOptions(failOnTime: true))
        #expect(c.verdict == .regression && c.slower == 1 && c.changed.count == 1)
        let t = try #require(c.changed.first?.timing)
        #expect(t.flagged && t.rule == .shiftInterval && t.baselineSamples == 10 && t.currentSamples == 10)
        #expect(abs(t.p! - 0.0005040758173417973) < 1e-12)
        #expect(abs(t.shift - 0.3) < 1e-12 && abs(t.shiftLow! - (2.6 / 2.31 - 1)) < 1e-12 && abs(t.shiftHigh! - (1.3 * 2.31 / 2 - 1)) < 1e-12)
        #expect(Statistics.mannWhitney(slow, Self.base)?.u == 96.5)
        #expect(abs(t.relative - 0.3) < 1e-12)
        #expect(c.reasons.contains { $0.contains("the whole 99% confidence interval beyond the 10% threshold") })
        // The written forms state the rule and the interval.
        #expect(c.table().contains("99% CI beyond ±10%"))
        #expect(c.table().contains("[+12.6%, +50.1%]"))
        #expect(c.markdown().contains("Hodges–Lehmann"))
    }

    // MARK: the reference workload

    /// The fixture grid with every case's samples `samples × scale` (the size-16 4-bit case's `× changed` on top)
    /// and reference samples `reference × machine`.
    static func grid(_ samples: [Double], scale: Double, changed: Double = 1, reference: [Double]?, machine: Double = 1) throws -> ResultsSet {
        try Fixture.grid { c in
            var s = samples.map { $0 * scale }
            if c.config.size == 16 && c.config.weightPrecision.description == "4" { s = s.map { $0 * changed } }
            c.timings = CaseTimings(buildMs: 3, msPerImage: Statistics.median(s)!, imagesPerSecond: 1, totalMs: 1, samplesMsPerImage: s,
                                    referenceSamplesMsPerImage: reference?.map { $0 * machine })
        }
    }

    static let reference: [Double] = [0.50, 0.52, 0.49, 0.51, 0.50, 0.55, 0.48, 0.50, 0.53, 0.50]   // median 0.50

    @Test func aSlowerMachineIsScaledAwayAndSlowerCodeIsNot() throws {
        let baseline = try Self.grid(Self.base, scale: 1, reference: Self.reference)
        #expect(ReferenceScaling.median(baseline) == 0.5)
        // The machine 30% slower: every case and the reference workload ×1.3. Scaled by 0.50/0.65, the samples
        // are the baseline's again: nothing called. As measured, all six cases are (the ×1.3 example above).
        let busy = try Self.grid(Self.base, scale: 1.3, reference: Self.reference, machine: 1.3)
        let c = try compare(baseline: baseline, current: busy, options: CompareOptions(failOnTime: true))
        #expect(abs(c.timingScale! - 1 / 1.3) < 1e-12 && c.baselineReferenceMs == 0.5 && abs(c.currentReferenceMs! - 0.65) < 1e-12)
        #expect(c.verdict == .noRegression && c.slower == 0 && c.timed == 6)
        #expect(c.table().contains("scaled by ×0.769"))
        let raw = try compare(baseline: baseline, current: busy, options: CompareOptions(failOnTime: true, referenceScaling: false))
        #expect(raw.timingScale == nil && raw.slower == 6 && raw.verdict == .regression)
        #expect(raw.table().contains("judged as measured"))
        // The code 30% slower in one case, the machine as before: called, and only that case.
        let slowCode = try Self.grid(Self.base, scale: 1, changed: 1.3, reference: Self.reference)
        let d = try compare(baseline: baseline, current: slowCode, options: CompareOptions(failOnTime: true))
        #expect(d.timingScale == 1 && d.slower == 1 && abs(d.changed[0].timing!.shift - 0.3) < 1e-12)
        // Both: the machine ×1.3 and that case's code ×1.3 on top (×1.69 as measured): only the code is called, +30%.
        let both = try Self.grid(Self.base, scale: 1.3, changed: 1.3, reference: Self.reference, machine: 1.3)
        let e = try compare(baseline: baseline, current: both, options: CompareOptions(failOnTime: true))
        #expect(e.slower == 1 && abs(e.changed[0].timing!.shift - 0.3) < 1e-12 && abs(e.changed[0].timing!.relative - 0.3) < 1e-12)
        // A side without reference samples (results from before the reference): nothing scaled, and it says so.
        let old = try Self.grid(Self.base, scale: 1.3, reference: nil)
        let f = try compare(baseline: baseline, current: old, options: CompareOptions(failOnTime: true))
        #expect(f.timingScale == nil && f.currentReferenceMs == nil && f.slower == 6)
        #expect(f.table().contains("the current run has no reference workload samples"))
    }

    @Test func theRunsReferenceMedianCountsEachSharedEvaluationOnce() throws {
        // Five cases share samples and reference samples [1, 2, 3] (as conventions sharing one evaluation do),
        // the size-16 4-bit case has its own samples and [10, 11]: the median of [1, 2, 3, 10, 11] is 3 (counting
        // the shared ones five times, [1, 2, 3] × 5 + [10, 11], it would be 2).
        let set = try Fixture.grid { c in
            let own = c.config.size == 16 && c.config.weightPrecision.description == "4"
            c.timings = CaseTimings(buildMs: 1, msPerImage: 1, imagesPerSecond: 1, totalMs: 1, samplesMsPerImage: own ? [5, 6] : [1, 1],
                                    referenceSamplesMsPerImage: own ? [10, 11] : [1, 2, 3])
        }
        #expect(ReferenceScaling.median(set) == 3)
        // No case with reference samples (results from before the reference): nil.
        #expect(ReferenceScaling.median(try Fixture.grid()) == nil)
    }

    @Test func oneSampleASideFallsBackToTheThresholdAndSaysSo() throws {
        // The fixture's timings have no samples (as results written before --repeats): threshold only.
        let c = try compare(baseline: try Fixture.grid(), current: try CompareTests.withTime(1.25))
        #expect(c.timed == 6 && c.timedThresholdOnly == 6)
        let t = try #require(c.changed.first?.timing)
        #expect(t.flagged && t.rule == .thresholdOnly && t.p == nil && t.baselineSamples == 1)
        #expect(c.table().contains("threshold alone decides"))
        #expect(c.table().contains("threshold only"))
        // Old samples against new ones (1 against 10): still too few for the test, still labelled.
        let mixed = try compare(baseline: try Fixture.grid(), current: try Self.grid(Array(repeating: 2.0, count: 9) + [2.5]))
        #expect(mixed.timedThresholdOnly == 6 && mixed.changed.isEmpty)
    }

    @Test func aTimingReferenceReplacesTheBaselineSamples() throws {
        // The baseline results say 2 ms (one sample); the reference (e.g. the history's recent runs) holds
        // 20 samples around 1.5 ms for the 4-bit size-16 case only: that case is judged against them.
        let ref = (0..<20).map { 1.5 + Double($0) * 0.001 }
        let reference = TimingReference(description: "test reference") { c in
            c.size == 16 && c.weightPrecision.description == "4" ? ref : nil
        }
        let cur = try Self.grid(Self.base)
        let c = try compare(baseline: try Fixture.grid(), current: cur, timingReference: reference)
        #expect(c.timingReference == "test reference")
        #expect(c.changed.count == 1 && c.slower == 1)
        let t = try #require(c.changed.first?.timing)
        #expect(t.baselineSamples == 20 && t.rule == .shiftInterval && abs(t.baselineMs - 1.5095) < 1e-12)
        #expect(c.timedThresholdOnly == 5)   // the other five against the baseline's single sample
    }

    @Test func casesTheReferenceLacksAreScaledToTheBaselineRunsSpeedNotTheReferences() throws {
        // Baseline results: every case at `base`, reference workload 0.50 ms. Tonight the machine is 30% slower:
        // every case and the reference ×1.3 (0.65 ms). The history reference was recorded on a machine twice as
        // fast (0.25 ms) and holds samples for the 4-bit size-16 case only, at base × 0.5.
        let baseline = try Self.grid(Self.base, scale: 1, reference: Self.reference)
        let busy = try Self.grid(Self.base, scale: 1.3, reference: Self.reference, machine: 1.3)
        let history = Self.base.map { $0 * 0.5 }
        let reference = TimingReference(description: "test history", referenceMs: 0.25) { c in
            c.size == 16 && c.weightPrecision.description == "4" ? history : nil
        }
        let c = try compare(baseline: baseline, current: busy, options: CompareOptions(failOnTime: true), timingReference: reference)
        // The 4-bit case: ×0.25/0.65, so base × 0.5 against base × 0.5. The other five: against the baseline
        // results' base at ×0.50/0.65, so base against base. Scaling those by the history's 0.25/0.65 would make
        // them look twice as fast (all five called faster).
        #expect(c.changed.isEmpty, "\(c.changed.map(\.label))")
        #expect(c.timed == 6 && c.timedAgainstBaselineResults == 5)
        #expect(abs(c.timingScale! - 0.25 / 0.65) < 1e-12 && abs(c.baselineResultsTimingScale! - 0.5 / 0.65) < 1e-12)
        #expect(c.baselineResultsReferenceMs == 0.5)
        #expect(c.table().contains("5 of 6 timed cases have no samples there and are judged against the baseline results' own samples, scaled by ×0.769"))
        // Every case in the history: nothing falls back and the JSON has no such field.
        let all = TimingReference(description: "test history", referenceMs: 0.25) { _ in history }
        let d = try compare(baseline: baseline, current: busy, options: CompareOptions(failOnTime: true), timingReference: all)
        #expect(d.changed.isEmpty && d.timedAgainstBaselineResults == nil)
        let json = String(decoding: try JSONEncoder().encode(d), as: UTF8.self)
        #expect(!json.contains("timed_against_baseline_results"))
    }
}
