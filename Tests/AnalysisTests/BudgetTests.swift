import Analysis
import BitOpsCore
import BitSweepConfig
import Foundation
import Results
import Testing
import Reports

@Suite struct BudgetTests {
    /// The fixture grid's cases by (size, precision name).
    static func find(_ set: ResultsSet, _ size: Int, _ precision: String) throws -> CaseResult {
        try #require(set.cases.first { $0.config.size == size && $0.config.weightPrecision.description == precision })
    }

    static let huge = 1 << 50

    @Test func fittingCasesAreRankedWithinTheirNetworkShape() throws {
        let set = try Fixture.grid()
        let four16 = try Self.find(set, 16, "4"), four32 = try Self.find(set, 32, "4")
        // Weights do not depend on the image size: both 4-bit cases store the same bytes, every other case more.
        #expect(four16.cost.totals.weightStorageBytes == four32.cost.totals.weightStorageBytes)
        let profile = BudgetProfile(name: "flash", maxBitOps: Self.huge, maxWeightStorageBytes: four16.cost.totals.weightStorageBytes,
                                    maxActivationBytes: Self.huge)
        let r = try #require(budget(set, profiles: [profile]).profiles.first)
        // Sizes 16 and 32 are two network shapes (two float twins): each case is the best of its own shape,
        // and no case is "the" best in budget.
        #expect(r.ranking == .fidelityWithinShape)
        #expect(r.fitting.map(\.config.size) == [16, 32])
        #expect(r.fitting.map(\.shape) == ["seed n=3 s=16", "seed n=3 s=32"])
        #expect(r.fitting.map(\.rank) == [1, 1])
        #expect(r.best == nil)
        #expect(r.bestPerShape.map(\.id) == [four16.id, four32.id])
        #expect(r.notFitting.count == 4)
        for c in r.notFitting {
            let v = try #require(c.binding)
            #expect(v.constraint == "max_weight_storage")
            let expected = c.weightStorageBytes - four16.cost.totals.weightStorageBytes
            #expect(v.excess == Double(expected))
            #expect(abs((v.relative ?? 0) - Double(expected) / Double(four16.cost.totals.weightStorageBytes)) < 1e-12)
            #expect(c.violations.count == 1)
        }
    }

    @Test func higherFidelityRanksAboveLowerCostWithinAShape() throws {
        let set = try Fixture.grid()
        let profile = BudgetProfile(name: "all", maxBitOps: Self.huge, maxWeightStorageBytes: Self.huge, maxActivationBytes: Self.huge)
        let r = try #require(budget(set, profiles: [profile]).profiles.first)
        #expect(r.fitting.count == 6 && r.notFitting.isEmpty)
        // SQNR: 8-bit 49.5 dB, first-last(8,4) 41.5 dB, 4-bit 25.5 dB, within size 16, then within size 32.
        #expect(r.fitting.map { "\($0.config.weightPrecision)@\($0.config.size)" } ==
            ["8@16", "first-last(8,4)@16", "4@16", "8@32", "first-last(8,4)@32", "4@32"])
        #expect(r.fitting.map(\.rank) == [1, 2, 3, 1, 2, 3])
        // One shape only: its ranking compares every fitting case, so there is one best.
        let only16 = ResultsSet(name: "s16", cases: set.cases.filter { $0.config.size == 16 }, skippedImages: [])
        let r16 = try #require(budget(only16, profiles: [profile]).profiles.first)
        #expect(r16.best?.config.weightPrecision.description == "8" && r16.bestPerShape.count == 1)
    }

    /// Hand-built: a small network whose float case is exact, and a larger one whose quantized cases have
    /// finite SQNR. Without labels the exact small float case ranks first only within its shape; the larger
    /// network's best is its own 8-bit case. With labels on every image, accuracy ranks across shapes: the
    /// larger 8-bit case (3 of 4 correct) beats the exact small float case (2 of 4), and of two cases with
    /// equal accuracy the cheaper comes first.
    @Test func floatCaseOfTheSmallestNetworkIsNotBestAcrossShapes() throws {
        let small = try Fixture.seedCase(index: 0, size: 16, blocks: 2, precision: .uniform(.float), bits: [.float, .float],
                                         sqnr: [nil, nil, nil, nil])
        let smallQ = try Fixture.seedCase(index: 1, size: 16, blocks: 2, precision: .uniform(4), bits: [4, 4], sqnr: [20, 20, 20, 20])
        let large8 = try Fixture.seedCase(index: 2, size: 32, blocks: 3, precision: .uniform(8), bits: [8, 8, 8], sqnr: [40, 40, 40, 40])
        let large4 = try Fixture.seedCase(index: 3, size: 32, blocks: 3, precision: .uniform(4), bits: [4, 4, 4], sqnr: [22, 22, 22, 22])
        let set = ResultsSet(name: "shapes", cases: [small, smallQ, large8, large4], skippedImages: [])
        let profile = BudgetProfile(name: "any", maxBitOps: Self.huge, maxWeightStorageBytes: Self.huge, maxActivationBytes: Self.huge)
        let r = try #require(budget(set, profiles: [profile]).profiles.first)
        #expect(r.ranking == .fidelityWithinShape)
        #expect(r.fitting.map(\.id) == [small.id, smallQ.id, large8.id, large4.id])
        #expect(r.fitting.map(\.rank) == [1, 2, 1, 2])
        #expect(r.fitting.map(\.shape) == ["seed n=2 s=16", "seed n=2 s=16", "seed n=3 s=32", "seed n=3 s=32"])
        #expect(r.best == nil && r.bestPerShape.map(\.id) == [small.id, large8.id])

        // Labels: class 1 is every image's top-1 in the fixture, so an image is correct when labelled 1.
        func labelled(_ c: CaseResult, _ labels: [Int]) -> CaseResult {
            var c = c
            c.images = zip(c.images, labels).map { var i = $0; i.label = $1; return i }
            c.accuracy = AccuracySummary(images: c.images)
            return c
        }
        let withLabels = ResultsSet(name: "labelled", cases: [
            labelled(small, [1, 1, 0, 0]), labelled(smallQ, [1, 0, 0, 0]), labelled(large8, [1, 1, 1, 0]), labelled(large4, [1, 1, 1, 0]),
        ], skippedImages: [])
        let a = try #require(budget(withLabels, profiles: [profile]).profiles.first)
        #expect(a.ranking == .accuracy)
        #expect(a.fitting.map(\.accuracyTop1) == [0.75, 0.75, 0.5, 0.25])
        // large4 and large8 tie on top-1 and top-5 (label 0 is in no case's top-5): the cheaper, 4-bit, first.
        #expect(a.fitting.map(\.id) == [large4.id, large8.id, small.id, smallQ.id])
        #expect(a.fitting.map(\.rank) == [1, 2, 3, 4])
        #expect(a.best?.id == large4.id)

        // The written forms say which ranking they used.
        let budgets = ReportBudgets(profiles: [profile], file: "p.yaml")
        let text = PlainTextWriter.text(try BudgetRendering.blocks(budget(set, profiles: [profile]), results: set, budgets: budgets))
        #expect(text.contains("ranked by fidelity (mean logit SQNR, exact first), then by cost, within each network shape"))
        #expect(text.contains("cases 0, 2 (best of 2 shapes)"))
        #expect(!text.contains("Best in budget:"))
        let labelledText = PlainTextWriter.text(try BudgetRendering.blocks(budget(withLabels, profiles: [profile]), results: withLabels,
                                                                          budgets: budgets))
        #expect(labelledText.contains("ranked by top-1 accuracy on the labelled images"))
        #expect(labelledText.contains("Best in budget: case 3 (\(a.fitting[0].label)) — top-1 accuracy 75%"))
    }

    /// budget.json says how it ranked and names the best of each shape; a budget.json written before the
    /// ranking existed (no `ranking`) still reads.
    @Test func jsonNamesTheRankingAndTheBestPerShape() throws {
        let set = try Fixture.grid()
        let profile = BudgetProfile(name: "all", maxBitOps: Self.huge, maxWeightStorageBytes: Self.huge, maxActivationBytes: Self.huge)
        let r = budget(set, profiles: [profile])
        let object = try JSONSerialization.jsonObject(with: try r.json()) as? [String: Any]
        let first = try #require((object?["profiles"] as? [[String: Any]])?.first)
        #expect(first["ranking"] as? String == "fidelity-within-shape")
        #expect(first["best"] == nil)
        #expect(first["best_per_shape"] as? [String] == r.profiles[0].bestPerShape.map(\.id))
        var old = first
        old["ranking"] = nil
        let data = try JSONSerialization.data(withJSONObject: old)
        #expect(try JSONDecoder().decode(ProfileResult.self, from: data).ranking == .fidelityWithinShape)
    }

    @Test func bindingConstraintIsTheLargestRelativeExcess() throws {
        let set = try Fixture.grid()
        let fl16 = try Self.find(set, 16, "first-last(8,4)")
        let profile = BudgetProfile(name: "phone", maxBitOps: fl16.cost.totals.bitops, maxWeightStorageBytes: Self.huge,
                                    maxActivationBytes: Self.huge, minSQNRDB: 40)
        let r = try #require(budget(set, profiles: [profile]).profiles.first)
        #expect(r.fitting.map(\.id) == [fl16.id])
        let byID = Dictionary(uniqueKeysWithValues: r.notFitting.map { ($0.id, $0) })
        let limit = Double(fl16.cost.totals.bitops)

        // 4-bit at 16: fewer BitOps than the limit, SQNR 25.5 dB < 40 dB: only fidelity binds.
        let four16 = try #require(byID[try Self.find(set, 16, "4").id])
        #expect(four16.violations.map(\.constraint) == ["min_sqnr_db"])
        #expect(four16.binding?.excess == 14.5)

        // 4-bit at 32: breaks both; the larger relative excess binds.
        let c432 = try Self.find(set, 32, "4")
        let four32 = try #require(byID[c432.id])
        let bitopsRel = (Double(c432.cost.totals.bitops) - limit) / limit
        let sqnrRel = 14.5 / 40
        #expect(Set(four32.violations.map(\.constraint)) == ["max_bitops", "min_sqnr_db"])
        #expect(four32.binding?.constraint == (bitopsRel > sqnrRel ? "max_bitops" : "min_sqnr_db"))

        // 8-bit at 16: good fidelity, too many BitOps.
        let c816 = try Self.find(set, 16, "8")
        let eight16 = try #require(byID[c816.id])
        #expect(eight16.violations.map(\.constraint) == ["max_bitops"])
        #expect(eight16.binding?.value == Double(c816.cost.totals.bitops))
        #expect(eight16.binding?.excess == Double(c816.cost.totals.bitops) - limit)
    }

    @Test func unmeasuredTimeAndFidelityDoNotFitAndBindLast() throws {
        var set = try Fixture.grid()
        set.cases[0].timings = nil
        set.cases[1].fidelity = nil
        set.cases[1].images = []
        let profile = BudgetProfile(name: "timed", maxBitOps: 1, maxWeightStorageBytes: Self.huge, maxActivationBytes: Self.huge,
                                    maxMsPerImage: 5, minTop1Agreement: 0.5)
        let r = try #require(budget(set, profiles: [profile]).profiles.first)
        #expect(r.fitting.isEmpty)
        let first = try #require(r.notFitting.first { $0.id == set.cases[0].id })
        #expect(first.violations.map(\.constraint) == ["max_bitops", "max_time_per_image"])
        #expect(first.violations[1].value == nil)
        let second = try #require(r.notFitting.first { $0.id == set.cases[1].id })
        #expect(second.violations.map(\.constraint) == ["max_bitops", "min_top1_agreement"])
        #expect(!second.measured)
    }

    @Test func timeLimitAndExactFidelity() throws {
        let set = try Fixture.grid { c in
            c.images = c.images.map { var i = $0; i.sqnrDB = nil; return i }
            c.fidelity = FidelitySummary(images: c.images)
            if c.config.weightPrecision.description == "8" { c.timings?.msPerImage = 0.5 }
        }
        let profile = BudgetProfile(name: "fast", maxBitOps: Self.huge, maxWeightStorageBytes: Self.huge,
                                    maxActivationBytes: Self.huge, maxMsPerImage: 1, minSQNRDB: 300)
        let r = try #require(budget(set, profiles: [profile]).profiles.first)
        // Exact cases meet any SQNR minimum; only the 0.5 ms cases meet the time limit.
        #expect(r.fitting.map(\.config.weightPrecision.description) == ["8", "8"])
        #expect(r.fitting.allSatisfy { $0.exact })
        #expect(r.notFitting.allSatisfy { $0.violations.map(\.constraint) == ["max_time_per_image"] && $0.binding?.excess == 1 })
    }

    @Test func conventionAndFailedCasesAreExcluded() throws {
        var set = try Fixture.grid()
        set.cases[2].error = "engine failed"
        let all = BudgetProfile(name: "any", maxBitOps: Self.huge, maxWeightStorageBytes: Self.huge, maxActivationBytes: Self.huge)
        var wa = all
        wa.convention = .wa
        let r = budget(set, profiles: [all, wa])
        #expect(r.profiles[0].excluded == 1 && r.profiles[0].failed == 1 && r.profiles[0].fitting.count == 5)
        #expect(r.profiles[1].excluded == 6 && r.profiles[1].failed == 1 && r.profiles[1].fitting.isEmpty && r.profiles[1].notFitting.isEmpty)
        let text = PlainTextWriter.text(try BudgetRendering.blocks(r, results: set, budgets: ReportBudgets(profiles: [all, wa], file: "p.yaml")))
        #expect(text.contains("Not judged: 5 cases counted under another convention than wa, 1 case that failed to run."))
    }

    @Test func writtenFormsNameTheBestCaseAndRoundTrip() throws {
        var set = try Fixture.grid(name: "grid|x")
        set.cases = set.cases.filter { $0.config.size == 16 }   // one network shape: one best in budget
        let profile = BudgetProfile(name: "mcu <1>", description: "tiny", maxBitOps: Self.huge, maxWeightStorageBytes: Self.huge,
                                    maxActivationBytes: Self.huge, minSQNRDB: 45)
        let r = budget(set, profiles: [profile])
        let best = try #require(r.profiles[0].best)
        #expect(best.config.weightPrecision.description == "8" && best.config.size == 16)
        var options = BudgetRendering.Options()
        options.title = "Hardware budgets for \(set.name)"
        let blocks = try BudgetRendering.blocks(r, results: set, budgets: ReportBudgets(profiles: [profile], file: "p.yaml"), options: options)
        let number = try #require(set.cases.first { $0.id == best.id }).index
        let text = PlainTextWriter.text(blocks)
        #expect(text.contains("Best in budget: case \(number) (\(best.label))"))
        let markdown = blocks.map(MarkdownWriter.block).joined(separator: "\n\n")
        #expect(markdown.contains("**Best in budget: "))
        #expect(markdown.contains("mcu &lt;1&gt;") && !markdown.contains("<1>"))
        #expect(markdown.contains("grid\\|x"))
        let back = try JSONDecoder().decode(BudgetReport.self, from: try r.json())
        #expect(back == r)
        let object = try JSONSerialization.jsonObject(with: try r.json()) as? [String: Any]
        let first = (object?["profiles"] as? [[String: Any]])?.first
        #expect(first?["best"] as? String == best.id)
    }
}

@Suite struct BudgetProfileFileTests {
    @Test func unitsAreReadAsDocumented() throws {
        let text = """
        profiles:
          mcu:
            description: Cortex-M7 class
            max_bitops: 1.5G
            max_weight_storage: 2 MiB
            max_activation_memory: 512KiB
            max_time_per_image: 200 us
            min_sqnr_db: 20 dB
            min_top1_agreement: 90%
          phone:
            max_bitops: 2_000_000_000
            max_weight_storage: 4 MB
            max_activation_memory: 1e6
            convention: wa
        """
        let p = try BudgetProfiles.parse(text, file: "b.yaml")
        #expect(p.map(\.name) == ["mcu", "phone"])
        #expect(p[0].maxBitOps == 1_500_000_000)
        #expect(p[0].maxWeightStorageBytes == 2 * 1024 * 1024)
        #expect(p[0].maxActivationBytes == 512 * 1024)
        #expect(p[0].maxMsPerImage == 0.2)
        #expect(p[0].minSQNRDB == 20)
        #expect(p[0].minTop1Agreement == 0.9)
        #expect(p[0].description == "Cortex-M7 class")
        #expect(p[0].line == 2)
        #expect(p[0].convention == .weight)
        #expect(p[1].maxBitOps == 2_000_000_000)
        #expect(p[1].maxWeightStorageBytes == 4_000_000)
        #expect(p[1].maxActivationBytes == 1_000_000)
        #expect(p[1].convention == .wa)
        #expect(p[1].maxMsPerImage == nil && p[1].minSQNRDB == nil)
    }

    func issues(_ text: String) -> [ConfigIssue] {
        do {
            _ = try BudgetProfiles.parse(text, file: "budgets.yaml")
            return []
        } catch let e as ConfigError {
            return e.issues
        } catch {
            return [ConfigIssue(file: "?", line: nil, message: "\(error)")]
        }
    }

    @Test func everyProblemIsReportedWithItsLine() throws {
        let text = """
        profiles:
          mcu:
            max_bitops: 2 Gops
            max_weight_storage: 1 MiB
            max_activation_memory: 256 KiB
            max_flash: 3
          phone:
            max_bitops: 1G
            max_activation_memory: -4 KiB
            min_top1_agreement: 120%
            convention: bits
        """
        let found = issues(text)
        let lines = found.map { $0.line ?? 0 }
        #expect(found.allSatisfy { $0.file == "budgets.yaml" })
        // Unit at line 3, unknown key at 6, missing max_weight_storage in the profile at 8, negative size at 9,
        // percentage over 100 at 10, unknown convention at 11.
        #expect(lines.sorted() == [3, 6, 8, 9, 10, 11])
        let byLine = Dictionary(found.map { ($0.line ?? 0, $0.message) }, uniquingKeysWith: { a, b in a + " / " + b })
        #expect(byLine[3]?.contains("unknown unit 'Gops'") == true)
        #expect(byLine[6]?.contains("unknown key 'max_flash'") == true)
        #expect(byLine[8]?.contains("missing required key 'max_weight_storage'") == true)
        #expect(byLine[9]?.contains("out of range") == true)
        #expect(byLine[10]?.contains("out of range") == true)
        #expect(byLine[11]?.contains("convention 'bits'") == true)
        #expect(found[0].description.hasPrefix("budgets.yaml:3: "))
    }

    @Test func structuralErrors() throws {
        #expect(issues("profile:\n  mcu: {}\n").first?.message.contains("unknown key 'profile'") == true)
        #expect(issues("profiles: [1, 2]\n").first.map { $0.line == 1 && $0.message.contains("mapping of profile names") } == true)
        #expect(issues("profiles:\n  mcu: 3\n").first.map { $0.line == 2 && $0.message.contains("must be a mapping") } == true)
        #expect(issues("profiles:\n  a: {max_bitops: 1G\n").first?.message.contains("not valid YAML") == true)
        #expect(issues("profiles: {}\n").first?.message.contains("empty") == true)
    }

    @Test func missingFileIsAOneLineError() {
        #expect(throws: ConfigError.self) { try BudgetProfiles.load(path: "/nonexistent/budgets.yaml") }
    }

    @Test func shippedExampleProfilesLoad() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let path = root.appendingPathComponent("Inputs/budgets.yaml").path
        let profiles = try BudgetProfiles.load(path: path)
        #expect(profiles.count >= 3)
        // The microcontroller profile is the tightest in memory.
        let mcu = try #require(profiles.first)
        #expect(profiles.allSatisfy { $0.maxWeightStorageBytes >= mcu.maxWeightStorageBytes })
        #expect(mcu.maxActivationBytes <= 512 * 1024)
    }
}
