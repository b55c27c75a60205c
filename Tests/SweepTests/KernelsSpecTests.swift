import BitOpsCore
import BitSweepConfig
import Foundation
import Results
import Testing
@testable import Sweep

/// `kernels:` in the sweep spec: an axis or one `network.kernels` value, in case labels and ids only when the
/// cases differ in it, always in the engine job, the group and the cache key.
@Suite struct KernelsSpecTests {
    @Test func withoutTheKeyEveryCaseRunsAutoAndKeepsItsIdAndLabel() throws {
        let d = TempDir()
        let s = try spec("sizes: [16]\nblocks: [2]\nprecisions: [8, 4]\nact_bits: [8]\n", dir: d)
        #expect(s.kernels.map(\.value) == [.auto])
        #expect(!s.resolvedJSON.contains("kernels"))
        let plan = try SweepPlan.expand(s)
        #expect(plan.cases.map(\.job.kernels) == [.auto, .auto])
        #expect(plan.cases.allSatisfy { $0.config.kernels == nil })
        #expect(plan.cases.map(\.config.label) == ["seed n=2 s=16 w=8 a=8", "seed n=2 s=16 w=4 a=8"])
        // The id is the hash of the configuration as before kernels existed: the JSON has no kernels key.
        #expect(!Canonical.json(plan.cases[0].config).contains("kernels"))
    }

    @Test func anAxisOfTwoValuesDoublesTheGridAndNamesTheKernels() throws {
        let d = TempDir()
        let s = try spec("sizes: [16]\nblocks: [2]\nprecisions: [8, 4]\nact_bits: [8]\nkernels: [float, auto]\nconventions: [weight, wa]\n", dir: d)
        let plan = try SweepPlan.expand(s)
        // Nesting: precisions × kernels × conventions (conventions innermost).
        #expect(plan.cases.map(\.config.label) == [
            "seed n=2 s=16 w=8 a=8 k=float", "seed n=2 s=16 w=8 a=8 wa k=float",
            "seed n=2 s=16 w=8 a=8 k=auto", "seed n=2 s=16 w=8 a=8 wa k=auto",
            "seed n=2 s=16 w=4 a=8 k=float", "seed n=2 s=16 w=4 a=8 wa k=float",
            "seed n=2 s=16 w=4 a=8 k=auto", "seed n=2 s=16 w=4 a=8 wa k=auto",
        ])
        #expect(plan.cases.map(\.job.kernels) == [.float, .float, .auto, .auto, .float, .float, .auto, .auto])
        #expect(Set(plan.cases.map(\.id)).count == 8)
        // Conventions still share a run; kernels do not: 2 precisions × 2 kernels.
        #expect(plan.groupCount == 4)
        #expect(SweepPlan.countBound(s) == 8)
        #expect(s.resolvedJSON.contains("\"kernels\":[\"float\",\"auto\"]"))
    }

    @Test func excludeAndIncludeTakeKernels() throws {
        let d = TempDir()
        let s = try spec("""
            sizes: [16]
            blocks: [2]
            precisions: [8]
            act_bits: [32, 8]
            kernels: [float, integer]
            exclude:
              - {act_bits: 32, kernels: integer}
            include:
              - {size: 32, act_bits: 8, kernels: integer}
            """, dir: d)
        let plan = try SweepPlan.expand(s)
        #expect(plan.cases.map(\.config.label) == [
            "seed n=2 s=16 w=8 a=float k=float", "seed n=2 s=16 w=8 a=8 k=float", "seed n=2 s=16 w=8 a=8 k=integer",
            "seed n=2 s=32 w=8 a=8 k=integer",
        ])
        // Bound: 1 size × 1 blocks × 1 precision × 2 act × 2 kernels, plus the include's 1.
        #expect(SweepPlan.countBound(s) == 5)
    }

    @Test func oneValueAsANetworkKeyRunsEveryCaseOnItWithoutRenamingThem() throws {
        let d = TempDir()
        let auto = try SweepPlan.expand(try spec("sizes: [16]\nblocks: [2]\nprecisions: [8]\nact_bits: [8]\n", dir: d))
        let s = try spec("sizes: [16]\nblocks: [2]\nprecisions: [8]\nact_bits: [8]\nnetwork: {preset: seed, kernels: float}\n", dir: d)
        #expect(s.kernels.map(\.value) == [.float])
        #expect(s.kernels[0].origin.line == 5)
        #expect(s.resolvedJSON.contains("\"kernels\":[\"float\"]"))
        let plan = try SweepPlan.expand(s)
        #expect(plan.cases.map(\.job.kernels) == [.float])
        #expect(plan.cases[0].config.label == "seed n=2 s=16 w=8 a=8")
        // The same id (the configuration is the same) but another cache key and group: float timings are never
        // taken for auto ones.
        #expect(plan.cases[0].id == auto.cases[0].id)
        #expect(CaseCache.key(for: plan.cases[0], imageSetDigest: "x", engineVersion: "e", calibrationVersion: "c")
            != CaseCache.key(for: auto.cases[0], imageSetDigest: "x", engineVersion: "e", calibrationVersion: "c"))
        #expect(plan.cases[0].group != auto.cases[0].group)
    }

    @Test func overridesReplaceEitherSpelling() throws {
        let d = TempDir()
        let s = try spec("network: {preset: seed, kernels: float}\nblocks: [2]\n", dir: d, overrides: ["kernels=[integer, auto]"])
        #expect(s.kernels.map(\.value) == [.integer, .auto])
        #expect(s.kernels[0].origin.file == "--set kernels=[integer, auto]")
        let t = try spec("kernels: [float, auto]\nblocks: [2]\n", dir: d, overrides: ["network.kernels=integer"])
        #expect(t.kernels.map(\.value) == [.integer])
    }

    @Test func problemsNameTheirLineOrOverride() {
        let unknown = specIssues("blocks: [2]\nkernels: [float, int8]\n")
        #expect(unknown.count == 1)
        #expect(unknown.first?.line == 2)
        #expect(unknown.first?.message == "kernels 'int8' is unknown; expected one of float, integer, auto")
        let twice = specIssues("kernels: [auto, auto]\n")
        #expect(twice.count == 1 && twice[0].line == 1 && twice[0].message.contains("listed twice"))
        let both = specIssues("kernels: [float]\nnetwork:\n  preset: seed\n  kernels: auto\n")
        #expect(both.count == 1 && both[0].line == 4 && both[0].message.contains("kernels is also given as an axis"), "\(both)")
        let filter = specIssues("exclude:\n  - {kernels: fast}\n")
        #expect(filter.count == 1 && filter[0].line == 2 && filter[0].message.contains("exclude kernels 'fast' is unknown"), "\(filter)")
        let set = specIssues("blocks: [2]\n", overrides: ["kernels=gpu"])
        #expect(set.count == 1 && set[0].file == "--set kernels=gpu" && set[0].line == nil
            && set[0].message.contains("kernels 'gpu' is unknown"), "\(set)")
    }
}
