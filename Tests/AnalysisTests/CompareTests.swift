import Analysis
import BitOpsCore
import Charts
import Foundation
import Results
import Testing
import Reports

@Suite struct CompareTests {
    // MARK: identical and reordered

    @Test func identicalSetsHaveNoRegression() throws {
        let a = try Fixture.grid()
        let c = try compare(baseline: a, current: a)
        #expect(c.verdict == .noRegression)
        #expect(c.exitCode == 0)
        #expect(c.matched == 6)
        #expect(c.unchanged == 6)
        #expect(c.changed.isEmpty && c.baselineOnly.isEmpty && c.currentOnly.isEmpty)
        #expect(c.reasons.isEmpty)
    }

    @Test func casesAreMatchedByConfigurationNotOrderOrId() throws {
        let a = try Fixture.grid()
        var shuffled = a
        shuffled.cases.reverse()
        for i in shuffled.cases.indices {
            shuffled.cases[i].index = i
            shuffled.cases[i].id = "other-id-\(i)"
        }
        let c = try compare(baseline: a, current: shuffled)
        #expect(c.verdict == .noRegression)
        #expect(c.matched == 6 && c.unchanged == 6)
    }

    // MARK: counts

    @Test func changedBitWidthInOneBlockIsReportedLayerByLayer() throws {
        let base = try Fixture.grid()
        // Tonight the first-last policy resolves block 1 to 2 bits instead of 4 (same named precision).
        let cur = try Fixture.grid { c in
            if c.config.weightPrecision.description == "first-last(8,4)" && c.config.size == 32 {
                c = try Fixture.seedCase(index: c.index, size: 32, precision: .firstLast(edge: 8, inner: 4), bits: [8, 2, 8],
                                         sqnr: [40, 41, 42, 43])
            }
        }
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .regression)
        #expect(c.exitCode == 1)
        #expect(c.matched == 6)
        #expect(c.unchanged == 5)
        #expect(c.changed.count == 1)
        let d = try #require(c.changed.first)
        #expect(d.key.size == 32 && d.key.precision == .firstLast(edge: 8, inner: 4))
        #expect(d.countsChanged && !d.fidelityChanged)
        #expect(d.config == [FieldChange(field: "weight_bits", baseline: "8,4,8", current: "8,2,8")])

        // Expected deltas from the network's own accounting: block 1's MACs and params at 2 bits less.
        let net = try Preset.seed.network(PresetOptions(blocks: 3, bits: .perBlock([8, 4, 8])))
        let cost = try net.cost(inputSize: 32)
        let block1 = cost.layers.filter { $0.block == 1 }
        #expect(block1.count == 2)
        let macs1 = block1.reduce(0) { $0 + $1.macs }
        let params1 = block1.reduce(0) { $0 + $1.params }
        #expect(Set(d.layers.map(\.layer)) == ["block1.depthwise", "block1.pointwise"])
        for l in d.layers {
            let original = try #require(block1.first { $0.name == l.layer })
            #expect(l.presence == .both)
            #expect(Set(l.changes.map(\.field)) == ["weight_bits", "weight_storage_bits", "bitops"])
            #expect(l.changes.first { $0.field == "weight_bits" } == FieldChange(field: "weight_bits", baseline: "4", current: "2", delta: -2))
            #expect(l.changes.first { $0.field == "bitops" }?.delta == -2 * original.macs)
            #expect(l.changes.first { $0.field == "bitops" }?.baseline == String(4 * original.macs))
        }
        #expect(d.totals.first { $0.field == "bitops" }?.delta == -2 * macs1)
        #expect(d.totals.first { $0.field == "weight_storage_bits" }?.delta == -2 * params1)
        // MACs, params and activation memory do not depend on weight bits.
        #expect(Set(d.totals.map(\.field)) == ["bitops", "weight_storage_bits"])
        #expect(c.reasons.count == 1)
        #expect(c.reasons[0].contains("1 case has different counts"))
    }

    @Test func layerPresentOnOneSideOnlyIsListed() throws {
        let base = try Fixture.grid()
        var cur = base
        cur.cases[0].cost.layers.removeLast()  // the classifier vanished from the accounting
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .regression)
        let l = try #require(c.changed.first?.layers.first)
        #expect(l.layer == "classifier" && l.presence == .baselineOnly)
    }

    // MARK: cases on one side only

    @Test func removedCaseIsARegression() throws {
        let base = try Fixture.grid()
        var cur = base
        let removed = cur.cases.remove(at: 4)
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .regression)
        #expect(c.exitCode == 1)
        #expect(c.matched == 5 && c.unchanged == 5)
        #expect(c.baselineOnly.map(\.key) == [CaseKey(removed.config)])
        #expect(c.baselineOnly.first?.bitops == removed.cost.totals.bitops)
        #expect(c.currentOnly.isEmpty)
        #expect(c.reasons == ["1 case is missing from the current results"])
    }

    @Test func addedCaseIsListedAndFails() throws {
        let base = try Fixture.grid()
        var cur = base
        cur.cases.append(try Fixture.seedCase(index: 6, size: 64, precision: .uniform(4), bits: [4, 4, 4]))
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .regression)
        #expect(c.currentOnly.map(\.key.size) == [64])
        #expect(c.baselineOnly.isEmpty)
    }

    @Test func duplicateConfigurationIsAnInputError() throws {
        var base = try Fixture.grid()
        base.cases.append(base.cases[0])
        #expect(throws: AnalysisInputError.self) { try compare(baseline: base, current: base) }
    }

    // MARK: timing

    static func withTime(_ factor: Double) throws -> ResultsSet {
        try Fixture.grid { c in
            if c.config.size == 16 && c.config.weightPrecision.description == "4" { c.timings?.msPerImage *= factor }
        }
    }

    @Test func timingChangeUnderTheThresholdIsNotReported() throws {
        let c = try compare(baseline: try Fixture.grid(), current: try Self.withTime(1.05))
        #expect(c.verdict == .noRegression)
        #expect(c.exitCode == 0)
        #expect(c.changed.isEmpty)
        #expect(c.unchanged == 6 && c.timed == 6)
        // Also with --fail-on-time: 5% is under 10%.
        let f = try compare(baseline: try Fixture.grid(), current: try Self.withTime(1.05), options: CompareOptions(failOnTime: true))
        #expect(f.verdict == .noRegression)
    }

    @Test func timingChangeOverTheThresholdIsReportedButFailsOnlyWithFailOnTime() throws {
        let base = try Fixture.grid()
        let cur = try Self.withTime(1.25)
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .noRegression)
        #expect(c.exitCode == 0)
        #expect(c.changed.count == 1)
        let t = try #require(c.changed.first?.timing)
        #expect(t.beyondThreshold && t.slower)
        #expect(abs(t.relative - 0.25) < 1e-12)
        #expect(c.slower == 1 && c.faster == 0)

        let f = try compare(baseline: base, current: cur, options: CompareOptions(failOnTime: true))
        #expect(f.verdict == .regression)
        #expect(f.exitCode == 1)

        // A higher threshold accepts it; a speed-up never fails.
        #expect(try compare(baseline: base, current: cur, options: CompareOptions(timeThreshold: 0.3, failOnTime: true)).verdict == .noRegression)
        let faster = try compare(baseline: base, current: try Self.withTime(0.5), options: CompareOptions(failOnTime: true))
        #expect(faster.verdict == .noRegression)
        #expect(faster.faster == 1)
    }

    // MARK: fidelity

    static func withSQNRShift(_ delta: Double) throws -> ResultsSet {
        try Fixture.grid { c in
            guard c.config.size == 32 && c.config.weightPrecision.description == "8" else { return }
            c.images = c.images.map { var i = $0; i.sqnrDB = i.sqnrDB.map { $0 + delta }; return i }
            c.fidelity = FidelitySummary(images: c.images)
        }
    }

    @Test func fidelityChangeWithinToleranceIsNoRegression() throws {
        let c = try compare(baseline: try Fixture.grid(), current: try Self.withSQNRShift(-0.05))
        #expect(c.verdict == .noRegression)
        #expect(c.changed.isEmpty)
    }

    @Test func fidelityChangeBeyondToleranceIsARegressionUnlessTheToleranceIsRaised() throws {
        let base = try Fixture.grid()
        let cur = try Self.withSQNRShift(-0.5)
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .regression)
        #expect(c.exitCode == 1)
        let d = try #require(c.changed.first)
        #expect(c.changed.count == 1)
        #expect(!d.countsChanged && d.fidelityChanged && d.fidelityWorse)
        #expect(Set(d.fidelity.map(\.metric)) == ["sqnr_db_mean", "sqnr_db_min"])
        let mean = try #require(d.fidelity.first { $0.metric == "sqnr_db_mean" })
        // 8-bit case: base = 48 dB, images 48…51 → mean 49.5.
        #expect(abs((mean.baseline ?? 0) - 49.5) < 1e-9)
        #expect(abs((mean.delta ?? 0) + 0.5) < 1e-9)
        #expect(d.images.count == 4)
        #expect(c.fidelityWorse == 1)

        let loose = try compare(baseline: base, current: cur, options: CompareOptions(sqnrToleranceDB: 1.0))
        #expect(loose.verdict == .noRegression)
    }

    @Test func betterFidelityIsAChangeMarkedBetter() throws {
        let c = try compare(baseline: try Fixture.grid(), current: try Self.withSQNRShift(+2))
        #expect(c.verdict == .regression)
        #expect(c.changed.first?.fidelityWorse == false)
        #expect(c.fidelityWorse == 0 && c.fidelityChanges == 1)
    }

    @Test func top1FlipOfOneImageIsAFidelityChange() throws {
        let base = try Fixture.grid()
        let cur = try Fixture.grid { c in
            guard c.config.size == 16 && c.config.weightPrecision.description == "4" else { return }
            c.images[2].top1Agree = false
            c.fidelity = FidelitySummary(images: c.images)
        }
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .regression)
        let d = try #require(c.changed.first)
        #expect(d.fidelity.map(\.metric) == ["top1_agreement"])
        #expect(d.fidelity.first?.delta == -0.25)
        #expect(d.images.map(\.file) == ["c.png"])
        // A top-1 tolerance of 30% accepts one image out of four.
        let loose = try compare(baseline: base, current: cur, options: CompareOptions(top1Tolerance: 0.3))
        #expect(loose.changed.first?.fidelity.isEmpty == true)
    }

    @Test func exactAgainstFiniteSQNRIsAlwaysAChange() throws {
        let base = try Fixture.grid { c in
            c.images = c.images.map { var i = $0; i.sqnrDB = nil; return i }
            c.fidelity = FidelitySummary(images: c.images)
        }
        let cur = try Fixture.grid { c in
            c.images = c.images.map { var i = $0; i.sqnrDB = nil; return i }
            if c.config.size == 16 && c.config.weightPrecision.description == "8" { c.images[0].sqnrDB = 190 }
            c.fidelity = FidelitySummary(images: c.images)
        }
        let c = try compare(baseline: base, current: cur, options: CompareOptions(sqnrToleranceDB: 50))
        #expect(c.verdict == .regression)
        let d = try #require(c.changed.first)
        #expect(d.fidelity.contains { $0.metric == "sqnr_db_min" && $0.baseline == nil && $0.current == 190 && $0.worse })
    }

    @Test func caseFailingTonightIsARegression() throws {
        let base = try Fixture.grid()
        let cur = try Fixture.grid { c in
            if c.config.size == 32 && c.config.weightPrecision.description == "4" {
                c = try Fixture.seedCase(index: c.index, size: 32, precision: .uniform(4), bits: [4, 4, 4], error: "out of memory")
            }
        }
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .regression)
        let d = try #require(c.changed.first)
        #expect(d.error == FieldChange(field: "error", baseline: "(ran)", current: "out of memory"))
    }

    @Test func skippedImageDifferenceIsReported() throws {
        let base = try Fixture.grid()
        var cur = base
        cur.skippedImages = [SkippedImage(file: "e.png", reason: "truncated PNG")]
        let c = try compare(baseline: base, current: cur)
        #expect(c.verdict == .regression)
        #expect(c.skippedImages == [FieldChange(field: "e.png", baseline: "(read)", current: "truncated PNG")])
    }

    // MARK: written forms

    @Test func markdownPutsTheVerdictFirstAndEscapesNames() throws {
        let base = try Fixture.grid(name: "base|<script>")
        var cur = try Self.withSQNRShift(-0.5)
        cur.name = "tonight`"
        cur.cases.removeLast()
        let c = try compare(baseline: base, current: cur)
        let text = c.markdown()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        #expect(lines[1].hasPrefix("**Verdict: REGRESSION**"))
        #expect(!text.contains("<script>"))
        #expect(text.contains("base\\|&lt;script&gt;"))
        let verdictAt = try #require(text.range(of: "Verdict"))
        let changedAt = try #require(text.range(of: "## Changed cases"))
        let removedAt = try #require(text.range(of: "## Removed"))
        #expect(verdictAt.lowerBound < removedAt.lowerBound && removedAt.lowerBound < changedAt.lowerBound)
    }

    @Test func jsonRoundTripsEveryDifference() throws {
        let c = try compare(baseline: try Fixture.grid(), current: try Self.withSQNRShift(-0.5))
        let back = try JSONDecoder().decode(Comparison.self, from: try c.json())
        #expect(back == c)
        let object = try JSONSerialization.jsonObject(with: try c.json()) as? [String: Any]
        #expect(object?["verdict"] as? String == "regression")
    }
}

/// The timing delta heatmap is on the log of the time ratio: a 2× slow-down and a 2× speed-up sit equally
/// far from white on either side, and cells and colour bar say the ratio (×2, ×0.5), not a percentage (a
/// linear scale of relative change runs from −100 % to +∞).
@Suite struct TimingHeatmapTests {
    static func cell(_ chart: NamedChart, row: Int = 0) throws -> [Double?] {
        guard case let .cells(c) = chart.spec.marks[0] else { throw AnalysisInputError("no cells") }
        return c.values.flatMap { $0 }
    }

    @Test func slowDownAndSpeedUpOfTheSameFactorAreSymmetric() throws {
        let base = try Fixture.grid()
        let slow = try compare(baseline: base, current: try CompareTests.withTime(2)).deltaCharts(baseline: base, current: try CompareTests.withTime(2))
        let fast = try compare(baseline: base, current: try CompareTests.withTime(0.5)).deltaCharts(baseline: base, current: try CompareTests.withTime(0.5))
        let s = try #require(slow.first { $0.name == "delta-time" }), f = try #require(fast.first { $0.name == "delta-time" })
        let sv = try Self.cell(s).compactMap { $0 }.filter { $0 != 0 }, fv = try Self.cell(f).compactMap { $0 }.filter { $0 != 0 }
        #expect(sv.count == 1 && fv.count == 1)
        #expect(abs(sv[0] - 1) < 1e-12 && abs(fv[0] + 1) < 1e-12)   // log2(2) and log2(0.5)
        guard case let .cells(sc) = s.spec.marks[0], case let .cells(fc) = f.spec.marks[0] else { Issue.record("no cells"); return }
        #expect(abs((sc.colorScale.fraction(sv[0]) - 0.5) - (0.5 - fc.colorScale.fraction(fv[0]))) < 1e-12)
        #expect(sc.format == .log2Ratio && !sc.signed)
        #expect(NumberFormat.log2Ratio.string(1) == "×2" && NumberFormat.log2Ratio.string(-1) == "×0.5" && NumberFormat.log2Ratio.string(0) == "×1")
        #expect(s.spec.colorBar?.format == .log2Ratio)
    }
}
