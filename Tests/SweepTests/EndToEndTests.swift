import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import Results
import Testing
@testable import Sweep

/// The real engine (oneDNN, libpng, libjpeg-turbo) on the shipped images, at tiny sizes.
@Suite struct EndToEndTests {
    /// The shipped images plus broken files, in a temporary folder.
    func imagesWithBrokenFiles(_ d: TempDir) throws -> String {
        let src = (repoRoot as NSString).appendingPathComponent("Inputs/images")
        let dst = d.sub("images")
        try FileManager.default.copyItem(atPath: src, toPath: dst)
        let png = try #require(FileManager.default.contents(atPath: "\(src)/astronaut-rgb.png"))
        try png.prefix(80).write(to: URL(fileURLWithPath: "\(dst)/truncated.png"))
        try Data().write(to: URL(fileURLWithPath: "\(dst)/empty.jpg"))
        try Data("just text".utf8).write(to: URL(fileURLWithPath: "\(dst)/notes.txt"))
        return dst
    }

    @Test func theShippedSpecIsValidAndExercisesEveryAxis() throws {
        let s = try SweepSpecReader.load(path: (repoRoot as NSString).appendingPathComponent("Inputs/sweep.yaml"))
        let plan = try SweepPlan.expand(s)
        #expect(plan.warnings.isEmpty, "\(plan.warnings)")
        let c = plan.cases.map(\.config)
        #expect(Set(c.map(\.size)).count >= 3)
        #expect(Set(c.map(\.blocks)).count >= 3)
        #expect(c.contains { if case .firstLast = $0.weightPrecision.policy { return true } else { return false } })
        #expect(c.contains { if case .perBlock = $0.weightPrecision.policy { return true } else { return false } })
        #expect(Set(c.map(\.actPrecision.policy)).count >= 2)
        #expect(Set(c.map(\.convention)).count >= 2)
        // Hand count: per size and activation precision, blocks 3 and 4 × 5 precisions that scale, blocks 5 ×
        // (5 + the per-block list) = 16. Float activations at sizes 32, 64, 128 under weight only (48);
        // 8-bit activations at size 64 under both conventions (32); plus the one included case.
        #expect(plan.cases.count == 16 * 3 + 16 * 2 + 1)
        // Engine runs: one per distinct network and size (conventions share a run).
        let networks = Set(c.map { "\($0.size) \($0.weightPrecision.blocks) \($0.actPrecision.blocks)" })
        #expect(plan.groupCount == networks.count)
        #expect(networks.count == 16 * 3 + 16 + 1)
    }

    @Test func theLargeSpecExpandsAsCounted() throws {
        let s = try SweepSpecReader.load(path: (repoRoot as NSString).appendingPathComponent("Inputs/sweeps/large.yaml"))
        let plan = try SweepPlan.expand(s)
        #expect(plan.warnings.isEmpty, "\(plan.warnings)")
        // Hand count: per size, 5 block counts × 7 precisions that scale + 1 per-block list (5 blocks) = 36;
        // sizes 16 and 64 at float activations, size 32 at three activation precisions; two conventions;
        // plus the included size-128 case in both conventions.
        #expect(plan.cases.count == (36 + 36 * 3 + 36) * 2 + 2)
        // Engine runs: one per distinct network and size (first-last(8,·) on 2 blocks is the all-8 network,
        // and conventions share a run).
        let c = plan.cases.map(\.config)
        let networks = Set(c.map { "\($0.size) \($0.weightPrecision.blocks) \($0.actPrecision.blocks)" })
        #expect(plan.groupCount == networks.count)
        #expect(networks.count < plan.cases.count / 2)
    }

    @Test func theSampleSweepEndToEndOnTinySizes() throws {
        let d = TempDir()
        let images = try imagesWithBrokenFiles(d)
        let s = try SweepSpecReader.load(path: (repoRoot as NSString).appendingPathComponent("Inputs/sweeps/large.yaml"),
                                         overrides: ["sizes=[8]", "blocks=[2, 5]", "include=[]", "images=\(images)"])
        let plan = try SweepPlan.expand(s)
        let out = d.sub("out")
        let summary = try SweepRunner.run(plan, options: SweepOptions(
            outputDirectory: out, jobs: 2, progress: .quiet, commandLine: ["test"], bitsweepVersion: "test", cores: 2),
            evaluator: EngineEvaluator())
        let r = summary.results
        #expect(r.cases.count == (2 * 7 + 1) * 3 * 2)
        #expect(r.skippedImages.map(\.file) == ["empty.jpg", "notes.txt", "truncated.png"])
        #expect(r.skippedImages.allSatisfy { !$0.reason.isEmpty })
        let names = ["astronaut-rgb.png", "camera-grey.png", "chelsea.jpg", "coffee-palette.png", "rocket-progressive.jpg"]
        for c in r.cases {
            #expect(c.error == nil, "\(c.config.label): \(c.error ?? "")")
            #expect(c.images.map(\.file) == names)
            #expect(c.images.allSatisfy { $0.logits.count == 10 && $0.top5.count == 5 })
            #expect(c.timings != nil)
        }
        func find(_ blocks: Int, _ precision: String, _ act: String) throws -> CaseResult {
            try #require(r.cases.first { $0.config.blocks == blocks && $0.config.weightPrecision.description == precision
                && $0.config.actPrecision.description == act && $0.config.convention == .weight })
        }
        // Float weights and activations: the twin is the same network, so every figure is exact.
        let float = try find(5, "float", "float")
        #expect(float.fidelity?.sqnrDBMean == nil)
        #expect(float.fidelity?.cosineMin == 1)
        #expect(float.fidelity?.top1Agreement == 1)
        // Fewer bits, more error: 2-bit weights are further from the twin than 8-bit ones.
        let w8 = try #require(try find(5, "8", "float").fidelity?.sqnrDBMean)
        let w2 = try #require(try find(5, "2", "float").fidelity?.sqnrDBMean)
        #expect(w8 > w2 + 10)
        // The wa convention multiplies by activation bits: 32-bit activations make it larger than weight.
        let wa = try #require(r.cases.first { $0.config.blocks == 5 && $0.config.weightPrecision.description == "8" && $0.config.actPrecision.description == "float" && $0.config.convention == .wa })
        let w8case = try find(5, "8", "float")
        #expect(wa.cost.totals.bitops > w8case.cost.totals.bitops)
        #expect(wa.images == w8case.images)
    }

    @Test func theEngineVersionFingerprintsItsNumerics() throws {
        let v = EngineEvaluator.engineVersion
        #expect(v.contains("oneDNN "))
        #expect(v.contains("numerics "))
        #expect(!v.contains("unavailable"), "\(v)")
        // The probe is deterministic: computing it again gives the same fingerprint.
        #expect(v.hasSuffix(try EngineEvaluator.probeFingerprint()))
    }

    /// The calibrated cases' part of the key: the probe calibrated and run, a 16-digit hash, deterministic, and
    /// not the fixed probe's.
    @Test func theCalibrationFingerprintIsAHashOfTheCalibratedProbe() throws {
        let c = EngineEvaluator.calibrationFingerprint
        #expect(c.count == 16 && c.allSatisfy(\.isHexDigit), "\(c)")
        #expect(c == (try EngineEvaluator.calibrationProbeFingerprint()))
        #expect(c != (try EngineEvaluator.probeFingerprint()))
        #expect(EngineEvaluator().calibrationVersion == c)
    }

    @Test func theInitialisationIsPassedToTheEngine() throws {
        let d = TempDir()
        let images = try imagesWithBrokenFiles(d)
        let base = "images: \(images)\nsizes: [8]\nblocks: [2]\nprecisions: [4]\n"
        var logits: [[Double]] = []
        for (i, extra) in ["", "network: {init: pytorch-default}\n", "network: {init: he-normal}\n"].enumerated() {
            let plan = try SweepPlan.expand(try spec(base + extra, dir: d))
            let r = try SweepRunner.run(plan, options: SweepOptions(
                outputDirectory: d.sub("o\(i)"), jobs: 1, progress: .quiet, commandLine: ["test"], cores: 1),
                evaluator: EngineEvaluator())
            logits.append(r.results.cases[0].images[0].logits)
        }
        #expect(logits[0] != logits[1])
        #expect(logits[0] == logits[2])
    }

    @Test func weightsFromASafetensorsFile() throws {
        let d = TempDir()
        let images = try imagesWithBrokenFiles(d)
        let net = try Preset.seed.network(PresetOptions(blocks: 2, bits: .uniform(4)))
        try NetworkWeights.seeded(0, spec: net).write(safetensors: d.sub("w.safetensors"))
        let base = "images: \(images)\nsizes: [8]\nblocks: [2]\nprecisions: [4, 32]\n"
        func sweep(_ extra: String, _ out: String) throws -> ResultsSet {
            try SweepRunner.run(try SweepPlan.expand(try spec(base + extra, dir: d)), options: SweepOptions(
                outputDirectory: d.sub(out), jobs: 1, progress: .quiet, commandLine: ["test"], cores: 1),
                evaluator: EngineEvaluator()).results
        }
        let seeded = try sweep("", "seeded")
        let file = try sweep("network: {weights: w.safetensors}\n", "file")
        // The file holds the seed-0 weights: the same numbers, under another configuration (and case id).
        #expect(file.cases.map(\.images) == seeded.cases.map(\.images))
        let digest = try #require(Digest.sha256(file: d.sub("w.safetensors")))
        #expect(file.cases.allSatisfy { $0.config.weights == "safetensors:\(digest)" })
        #expect(file.cases[0].id != seeded.cases[0].id)
        // New weights in the same file: new case ids, nothing reused, other logits.
        try NetworkWeights.seeded(1, spec: net).write(safetensors: d.sub("w.safetensors"))
        let changed = try sweep("network: {weights: w.safetensors}\n", "file")
        #expect(changed.cases[0].id != file.cases[0].id)
        #expect(changed.cases[0].images[0].logits != file.cases[0].images[0].logits)
    }

    @Test func realEngineResultsDoNotDependOnJobsOrThreads() throws {
        let d = TempDir()
        let images = try imagesWithBrokenFiles(d)
        let text = "images: \(images)\nsizes: [8, 12]\nblocks: [2, 3]\nprecisions: [3, {first-last: {edge: 8, inner: 2}}]\nact_bits: [32, 6]\n"
        let s = try spec(text, dir: d)
        let plan = try SweepPlan.expand(s)
        for (jobs, dir) in [(1, "j1"), (2, "j2")] {
            _ = try SweepRunner.run(plan, options: SweepOptions(
                outputDirectory: d.sub(dir), jobs: jobs, progress: .quiet, commandLine: ["test"], cores: 2),
                evaluator: EngineEvaluator())
        }
        #expect(try maskedResults(d.sub("j1")) == maskedResults(d.sub("j2")))
    }
}
