import Analysis
import Foundation
import Testing
@testable import History

/// The Mann–Whitney U test against values worked out by hand (exact) and by SciPy 1.17
/// (`scipy.stats.mannwhitneyu(..., alternative='two-sided')`), and step detection on made-up series.
@Suite struct StatisticsTests {
    @Test func mannWhitneyExactSmallSamples() throws {
        // No overlap, 3 against 3: U = 0, and only 2 of the C(6,3) = 20 arrangements are as extreme.
        let a = try #require(Statistics.mannWhitney([1, 2, 3], [4, 5, 6]))
        #expect(a.u == 0 && a.exact)
        #expect(abs(a.p - 2.0 / 20) < 1e-12)
        // 5 against 5: 2 / C(10,5) = 2/252 — the smallest p five repeats a side can reach.
        let b = try #require(Statistics.mannWhitney([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]))
        #expect(b.u == 25)
        #expect(abs(b.p - 2.0 / 252) < 1e-12)
        // Interleaved, 4 against 5: U = 3 (2.2 > 2.0; 3.1 > 2.0, 2.5); P(U ≤ 3) = (1+1+2+3)/126, doubled.
        let c = try #require(Statistics.mannWhitney([1.0, 1.5, 2.2, 3.1], [2.0, 2.5, 4.0, 5.0, 6.0]))
        #expect(c.u == 3)
        #expect(abs(c.p - 14.0 / 126) < 1e-12)
        // The distribution of U for 2 against 2, by hand: U = 0,1,2,3,4 in 1,1,2,1,1 of the 6 arrangements.
        #expect(Statistics.uDistribution(2, 2) == [1, 1, 2, 1, 1])
    }

    @Test func mannWhitneyWithTiesUsesTheNormalApproximation() throws {
        // SciPy: mannwhitneyu([1,2,2,3,4,5], [3,4,4,5,6,7,8], method='asymptotic') → U 6, p 0.0364709007712748.
        let r = try #require(Statistics.mannWhitney([1, 2, 2, 3, 4, 5], [3, 4, 4, 5, 6, 7, 8]))
        #expect(r.u == 6 && !r.exact)
        #expect(abs(r.p - 0.0364709007712748) < 1e-12)
        // All equal: nothing to tell apart.
        #expect(Statistics.mannWhitney([2, 2, 2], [2, 2, 2])?.p == 1)
        #expect(Statistics.mannWhitney([], [1]) == nil)
    }

    @Test func timingVerdictNeedsBothSizeAndClarity() throws {
        let base = [10.0, 10.2, 9.9, 10.1, 10.05]   // distinct: the exact test applies
        // +30%, every sample above every baseline sample: slower.
        let slow = try #require(TimingVerdict.judge(baseline: base, current: base.map { $0 * 1.3 }, threshold: 0.1, alpha: 0.01))
        #expect(slow.call == .slower)
        #expect(abs(slow.relative - 0.3) < 1e-9)
        // +30% in the median but one sample a side (results from before --repeats): the test cannot decide
        // (its smallest p is 1), so the threshold alone calls it, and the verdict says so.
        let one = try #require(TimingVerdict.judge(baseline: [10], current: [13], threshold: 0.1, alpha: 0.01))
        #expect(one.beyondThreshold && one.call == .slower && one.rule == .thresholdOnly && one.p == nil)
        #expect(slow.rule == .shiftInterval)
        // +5%, perfectly separated: clear but small.
        let small = try #require(TimingVerdict.judge(baseline: base, current: base.map { $0 * 1.05 + 0.3 }, threshold: 0.1, alpha: 0.01))
        #expect(small.p! < 0.01 && small.call == .unchanged)
    }
}

@Suite struct StepTests {
    static func run(_ i: Int) -> HistoryRun {
        HistoryRun(id: Int64(i + 1), fingerprint: "f\(i)", name: "n", date: String(format: "2026-11-%02dT02:00:00Z", i + 1),
                   gitCommit: String(repeating: "\(i % 10)", count: 40), bitsweepVersion: "0.1.0", engineVersion: "e",
                   machine: "m", specHash: "h", source: "r\(i)", cases: 1)
    }

    static func timeSeries(_ medians: [Double]) -> HistorySeries {
        // Five samples around each median (±2%), as --repeats 5 gives.
        let spread = [0.98, 0.99, 1.0, 1.01, 1.02]
        return HistorySeries(caseLabel: "seed n=3 s=32 w=8 a=32", caseKey: "k", metric: .msPerImage,
                             points: medians.enumerated().map { i, m in
                                 HistoryPoint(run: run(i), value: .measured(m, samples: spread.map { $0 * m }))
                             })
    }

    @Test func oneOutlierIsNotAStepButAPersistentChangeIs() {
        let o = HistoryOptions()
        let outlier = StepDetector.detect(Self.timeSeries([10, 10.2, 9.9, 15, 10.1, 10, 9.8]), options: o)
        #expect(outlier.steps.isEmpty && outlier.pending == nil)
        let step = StepDetector.detect(Self.timeSeries([10, 10.2, 9.9, 10.1, 13, 13.1, 12.9]), options: o)
        #expect(step.steps.count == 1)
        #expect(step.steps.first?.index == 4)
        #expect(step.steps.first?.worse == true)
        #expect(step.steps.first.map { abs($0.after - 13.05) < 1e-9 } == true)       // median of runs 4 and 5
        #expect(step.steps.first.map { abs($0.before - 10.05) < 1e-9 } == true)      // median of runs 0–3
        // Faster by 30% is a step for the better.
        let better = StepDetector.detect(Self.timeSeries([10, 10, 10, 7, 7]), options: o)
        #expect(better.steps.map(\.worse) == [false])
        // Only the last run moved: pending until the next run confirms it.
        let pending = StepDetector.detect(Self.timeSeries([10, 10.1, 9.9, 13]), options: o)
        #expect(pending.steps.isEmpty && pending.pending == 3)
        // Runs timed once (before --repeats): 2 against 5 samples can never reach p < 0.01, so the threshold
        // and persistence alone make the step, labelled threshold-only; an outlier still makes none.
        func once(_ medians: [Double]) -> HistorySeries {
            HistorySeries(caseLabel: "c", caseKey: "k", metric: .msPerImage, points: medians.enumerated().map { i, m in
                HistoryPoint(run: Self.run(i), value: .measured(m, samples: [m]))
            })
        }
        let old = StepDetector.detect(once([10, 10.2, 9.9, 10.1, 13, 13.1, 12.9]), options: o)
        #expect(old.steps.map(\.index) == [4] && old.steps.first?.rule == .thresholdOnly && old.steps.first?.p == nil)
        #expect(StepDetector.detect(once([10, 10.2, 9.9, 15, 10.1, 10, 9.8]), options: o).steps.isEmpty)
        #expect(step.steps.first?.rule == .shiftInterval)
        // Below the threshold, however persistent: nothing.
        #expect(StepDetector.detect(Self.timeSeries([10, 10, 10, 10.8, 10.8, 10.8]), options: o).steps.isEmpty)
    }

    @Test func countsStepAtEveryChangeAndFidelityBeyondTheTolerance() {
        func series(_ metric: HistoryMetric, _ values: [HistoryValue]) -> HistorySeries {
            HistorySeries(caseLabel: "c", caseKey: "k", metric: metric,
                          points: values.enumerated().map { HistoryPoint(run: Self.run($0), value: $1) })
        }
        let counts = StepDetector.detect(series(.bitops, [.exact(100), .exact(100), .exact(200), .exact(200), .exact(100)]), options: HistoryOptions())
        #expect(counts.steps.map(\.index) == [2, 4])
        #expect(counts.steps.map(\.worse) == [true, false])
        #expect(counts.steps.first?.delta == 100)
        let sqnr = StepDetector.detect(series(.sqnrDBMean, [30, 30.05, 29.98, 29.5, 29.5].map { .measured($0, samples: []) }), options: HistoryOptions())
        #expect(sqnr.steps.map(\.index) == [3])
        #expect(sqnr.steps.first?.worse == true)
    }

    @Test func summaryLatestBestAndNewRegression() throws {
        var o = HistoryOptions()
        let s = Self.timeSeries([10, 9.5, 10.1, 10, 13, 13.2])
        let quiet = HistoryReport.make(database: "db", runs: [], series: [s], options: o)
        let sum = try #require(quiet.series.first)
        #expect(sum.latest == 13.2 && sum.best == 9.5 && sum.bestDate == "2026-11-02T02:00:00Z")
        #expect(sum.steps.count == 1 && sum.steps[0].index == 4)
        // A time step counts for the exit code only with failOnTime; the latest run completes it.
        #expect(sum.newRegression == false && quiet.exitCode == 0)
        o.failOnTime = true
        let failing = HistoryReport.make(database: "db", runs: [], series: [s], options: o)
        #expect(failing.series.first?.newRegression == true && failing.exitCode == 1)
        // One run later the step is no longer new.
        let later = HistoryReport.make(database: "db", runs: [], series: [Self.timeSeries([10, 9.5, 10.1, 10, 13, 13.2, 13.1])], options: o)
        #expect(later.exitCode == 0)
    }
}
