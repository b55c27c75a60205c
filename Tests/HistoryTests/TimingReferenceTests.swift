import Analysis
import Foundation
import Results
import Testing
@testable import History

/// `compare --history`: each case's timing judged against the pooled samples of its recent runs in the
/// database, leaving out the run being judged (and anything after it).
@Suite struct TimingReferenceTests {
    @Test func recentRunsBeforeTheCurrentOneArePooled() throws {
        let t = Temp()
        // Nights 1–4 at scales 1, 1, 1.1, 1.2 (five samples a case a night), night 5 at 1.6: the run judged.
        for (n, scale) in [(1, 1.0), (2, 1.0), (3, 1.1), (4, 1.2), (5, 1.6)] { try Nights.write(t.sub("n\(n)"), night: n, scale: scale) }
        let db = try HistoryDatabase(path: t.sub("h.sqlite"), create: true)
        _ = try db.add((1...5).map { try HistoryDatabase.load(t.sub("n\($0)")) })
        let current = try HistoryDatabase.load(t.sub("n5"))
        let ref = try db.timingReference(recent: 2, current: current)
        // The 4-bit case's samples are [1.00, 1.02, 0.98, 1.01, 0.99] × scale: nights 3 and 4, not 5.
        let four = try #require(current.results.cases.first { $0.config.weightPrecision.blocks == [4, 4] })
        let base = [1.00, 1.02, 0.98, 1.01, 0.99]
        #expect(ref.samples(four.config) == base.map { $0 * 1.1 } + base.map { $0 * 1.2 })
        #expect(ref.description.contains("last 2 runs before this one"))
        // Not yet in the database (e.g. judged before `history add`): the last runs there, here nights 4 and 5.
        let alone = try db.timingReference(recent: 2, current: nil)
        #expect(alone.samples(four.config) == base.map { $0 * 1.2 } + base.map { $0 * 1.6 })
        // A case the database never saw: nil (compare then uses the baseline's own samples).
        var other = four.config
        other.size = 999
        #expect(ref.samples(other) == nil)

        // Through compare: night 5 against the recent runs (10 samples around 1.15) is called slower (+39%),
        // while against night 4 alone, as the baseline folder, it is +33%, and both by the interval rule.
        let c = try compare(baseline: try ResultsStore.load(t.sub("n4")), current: current.results, timingReference: ref)
        #expect(c.timingReference == ref.description)
        #expect(c.slower == 2 && c.timedThresholdOnly == 0)
        let timing = try #require(c.changed.first { $0.key.precision == four.config.weightPrecision.policy }?.timing)
        #expect(timing.baselineSamples == 10 && timing.currentSamples == 5 && timing.rule == .shiftInterval)
        #expect(abs(timing.baselineMs - Statistics.median(base.map { $0 * 1.1 } + base.map { $0 * 1.2 })!) < 1e-12)
    }
}
