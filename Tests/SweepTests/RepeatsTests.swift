import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import Results
import Testing
@testable import Sweep

/// `sweep --repeats N` (spec `repeats:`): every case timed N times, in rounds interleaved over the cases of
/// one image size, every sample kept.
@Suite struct RepeatsTests {
    /// The fake engine, recording the order of evaluations; the n-th evaluation (from 1) takes n ms per image,
    /// so each sample says which evaluation it came from.
    struct Recorder: CaseEvaluator {
        final class Log: @unchecked Sendable {
            private let lock = NSLock()
            private var items: [String] = []
            func append(_ s: String) -> Int { lock.lock(); defer { lock.unlock() }; items.append(s); return items.count }
            var calls: [String] { lock.lock(); defer { lock.unlock() }; return items }
        }
        var inner = FakeEvaluator()
        let log = Log()
        var version: String { inner.version }
        var calibrationVersion: String { inner.calibrationVersion }
        func decode(path: String) throws -> [UInt8] { try inner.decode(path: path) }
        func prepare(_ image: [UInt8], size: Int) throws -> [UInt8] { try inner.prepare(image, size: size) }
        func checkMemory(_ job: EvaluationJob, imageCount: Int) throws { try inner.checkMemory(job, imageCount: imageCount) }
        func memoryBytes(_ image: [UInt8]) -> Int { inner.memoryBytes(image) }
        func evaluate(_ job: EvaluationJob, images: [[UInt8]]) throws -> Evaluation {
            let n = log.append("\(job.size)/\(job.network.block!.blocks.count)")
            var e = try inner.evaluate(job, images: images)
            e.batchMsPerImage = [Double(n)]
            return e
        }
    }

    static let grid = "sizes: [8, 16]\nblocks: [1, 2]\nprecisions: [4]\nconventions: [weight, wa]\n"

    @Test func roundsAreInterleavedOverTheCasesOfEachSizeAndEverySampleIsKept() throws {
        let d = TempDir()
        d.fakeImages()
        let e = Recorder()
        let r = try run(try spec(Self.grid, dir: d), out: d.sub("out"), evaluator: e, repeats: 3)
        // Round-robin over all four networks (3 rounds): a busy phase touches some samples of every case.
        #expect(e.log.calls == ["8/1", "8/2", "16/1", "16/2", "8/1", "8/2", "16/1", "16/2", "8/1", "8/2", "16/1", "16/2"])
        // Evaluation n took n ms: size 8, 1 block was evaluations 1, 5, 9; its median is 5.
        func timings(size: Int, blocks: Int) throws -> CaseTimings {
            try #require(r.results.cases.first { $0.config.size == size && $0.config.blocks == blocks }?.timings)
        }
        #expect(try timings(size: 8, blocks: 1).samplesMsPerImage == [1, 5, 9])
        #expect(try timings(size: 8, blocks: 1).msPerImage == 5)
        #expect(try timings(size: 16, blocks: 2).samplesMsPerImage == [4, 8, 12])
        #expect(try timings(size: 16, blocks: 2).msPerImage == 8)
        // Both conventions of a network share its samples; images are those of the first round.
        #expect(r.results.cases.count == 8)
        #expect(r.results.cases.allSatisfy { $0.images.count == 3 && $0.timings?.samples.count == 3 })
        // The samples are in results.json, under samples_ms_per_image.
        let json = try String(contentsOfFile: d.sub("out/results.json"), encoding: .utf8)
        #expect(json.contains("\"samples_ms_per_image\""))
        #expect(try ResultsStore.load(d.sub("out")).cases == r.results.cases)
        // And in results.csv, as its last column: one value per round, space-separated.
        let csv = try String(contentsOfFile: d.sub("out/results.csv"), encoding: .utf8).split(separator: "\n").map { csvFields(String($0)) }
        #expect(csv[0].last == "samples_ms_per_image")
        let size = try #require(csv[0].firstIndex(of: "size")), blocks = try #require(csv[0].firstIndex(of: "blocks"))
        func samples(_ s: String, _ b: String) -> [String] { csv.dropFirst().filter { $0[size] == s && $0[blocks] == b }.compactMap(\.last) }
        #expect(samples("8", "1") == ["1 5 9", "1 5 9"])   // both conventions
        #expect(samples("16", "2") == ["4 8 12", "4 8 12"])
        #expect(csv.allSatisfy { $0.count == csv[0].count })
    }

    /// When the images resized to every size would not fit the image memory budget together, the rounds are
    /// interleaved over one size at a time. Three fake images at sizes 8 and 16 take 3 · 3 · (8² + 16²) · 4 =
    /// 11,520 bytes as tensors: a budget of 11,520 holds them (all interleaved), 11,519 does not (per size).
    @Test func roundsGoSizeBySizeWhenAllSizesDoNotFitTheImageBudget() throws {
        let d = TempDir()
        d.fakeImages()
        for (budget, order) in [(11_520, ["8/1", "8/2", "16/1", "16/2", "8/1", "8/2", "16/1", "16/2"]),
                                (11_519, ["8/1", "8/2", "8/1", "8/2", "16/1", "16/2", "16/1", "16/2"])] {
            var options = SweepOptions(outputDirectory: d.sub("out\(budget)"), jobs: 1, progress: .quiet, commandLine: ["test"],
                                       bitsweepVersion: "test", cores: 2)
            options.repeats = 2
            options.imageMemoryBudget = budget
            let e = Recorder()
            let r = try SweepRunner.run(try SweepPlan.expand(try spec(Self.grid, dir: d)), options: options, evaluator: e)
            #expect(e.log.calls == order, "budget \(budget)")
            #expect(r.results.cases.allSatisfy { $0.images.count == 3 && $0.timings?.samples.count == 2 })
        }
    }

    @Test func theSpecKeyIsUsedUnlessTheOptionSaysOtherwise() throws {
        let d = TempDir()
        d.fakeImages()
        let s = try spec(Self.grid + "repeats: 2\n", dir: d)
        #expect(s.timingRepeats == 2)
        #expect(s.resolvedJSON.contains("\"repeats\":2"))
        let e = Recorder()
        _ = try run(s, out: d.sub("a"), evaluator: e, repeats: nil)
        #expect(e.log.calls.count == 4 * 2)
        let f = Recorder()
        _ = try run(s, out: d.sub("b"), evaluator: f, repeats: 1)
        #expect(f.log.calls.count == 4)
        // Without the key: the default, and the resolved spec (and its hash) as before.
        let plain = try spec(Self.grid, dir: d)
        #expect(plain.timingRepeats == SweepSpec.defaultRepeats && !plain.resolvedJSON.contains("repeats"))
        // A bad value names the file and line.
        #expect(throws: ConfigError.self) { try spec(Self.grid + "repeats: 0\n", dir: d) }
        do {
            _ = try spec(Self.grid + "repeats: 0\n", dir: d)
        } catch let e as ConfigError {
            #expect("\(e)".contains("spec.yaml:5: repeats 0 is out of range; expected timing rounds per case, 1–1000"), "\(e)")
        }
    }

    @Test func cachedCasesTimedFewerTimesAreTimedAgain() throws {
        let d = TempDir()
        d.fakeImages()
        let s = try spec(Self.grid, dir: d)
        let out = d.sub("out")
        _ = try run(s, out: out, evaluator: Recorder(), repeats: 1)
        let more = Recorder()
        let second = try run(s, out: out, evaluator: more, repeats: 3)
        #expect(second.reused == 0 && more.log.calls.count == 4 * 3)
        // Fewer rounds than the cache holds: reused as they are.
        let fewer = Recorder()
        let third = try run(s, out: out, evaluator: fewer, repeats: 2)
        #expect(third.reused == 8 && fewer.log.calls.isEmpty)
        #expect(third.results.cases.allSatisfy { $0.timings?.samples.count == 3 })
    }

    @Test func aCaseThatFailsIsNotRunAgainInLaterRounds() throws {
        let d = TempDir()
        d.fakeImages()
        var e = Recorder()
        e.inner.failAboveBlocks = 1
        let r = try run(try spec("sizes: [8]\nblocks: [1, 2]\nprecisions: [4]\n", dir: d), out: d.sub("out"), evaluator: e, repeats: 4)
        // The 2-block network fails in round 1; it is not built again in rounds 2–4 (jobs 1: rounds in order).
        #expect(e.log.calls == ["8/1", "8/2", "8/1", "8/1", "8/1"])
        #expect(r.results.cases[1].error?.contains("too large") == true && r.results.cases[1].timings == nil)
        #expect(r.results.cases[0].timings?.samplesMsPerImage == [1, 3, 4, 5])
    }
}

/// An evaluator with a separate timing run (`CaseEvaluator.time`, as `EngineEvaluator` has: the quantized network
/// without its twin): the first round evaluates once (its images, fidelity, build time and kernels are kept) and
/// takes its sample from `time`; later rounds only call `time`.
@Suite struct TimingRunTests {
    struct TimedFake: CaseEvaluator {
        var inner = FakeEvaluator(reportsKernels: true)
        let log = RepeatsTests.Recorder.Log()
        var version: String { inner.version }
        var calibrationVersion: String { inner.calibrationVersion }
        func decode(path: String) throws -> [UInt8] { try inner.decode(path: path) }
        func prepare(_ image: [UInt8], size: Int) throws -> [UInt8] { try inner.prepare(image, size: size) }
        func evaluate(_ job: EvaluationJob, images: [[UInt8]]) throws -> Evaluation {
            _ = log.append("evaluate \(job.network.block!.blocks.count)")
            var e = try inner.evaluate(job, images: images)
            e.batchMsPerImage = [1000]   // never a sample: the samples come from `time`
            e.buildMs = 7
            return e
        }
        /// The n-th call overall (from 1) times three batches of n, n + 100 and n + 0.5 ms: its median is n + 0.5.
        func time(_ job: EvaluationJob, images: [[UInt8]]) throws -> [Double]? {
            let n = Double(log.append("time \(job.network.block!.blocks.count)"))
            return [n, n + 100, n + 0.5]
        }
    }

    @Test func theFirstRoundEvaluatesOnceAndEveryRoundIsTimedByTime() throws {
        let d = TempDir()
        d.fakeImages()
        let s = try spec("sizes: [8]\nblocks: [1, 2]\nprecisions: [4]\n", dir: d)
        let e = TimedFake()
        let r = try run(s, out: d.sub("out"), evaluator: e, repeats: 3)
        #expect(e.log.calls == ["evaluate 1", "time 1", "evaluate 2", "time 2", "time 1", "time 2", "time 1", "time 2"])
        let one = try #require(r.results.cases.first { $0.config.blocks == 1 })
        let two = try #require(r.results.cases.first { $0.config.blocks == 2 })
        // Samples: the medians of `time`'s batches (calls 2, 5, 7 and 4, 6, 8), never `evaluate`'s 1000.
        #expect(one.timings?.samplesMsPerImage == [2.5, 5.5, 7.5] && two.timings?.samplesMsPerImage == [4.5, 6.5, 8.5])
        #expect(one.timings?.buildMs == 7)
        // Images, fidelity and kernels are the first round's evaluation: as an evaluator without `time` gives them.
        let plain = try run(s, out: d.sub("plain"), evaluator: FakeEvaluator(reportsKernels: true), repeats: 3)
        for (a, b) in zip(r.results.cases, plain.results.cases) {
            #expect(a.images == b.images && a.fidelity == b.fidelity && a.kernels == b.kernels && a.accuracy == b.accuracy)
            #expect(!a.images.isEmpty && a.kernels != nil)
        }
    }
}

/// The reference workload (`CaseEvaluator.timeReference`): one sample right after every round's timing sample,
/// in the same worker, kept beside the samples (`reference_samples_ms_per_image`), one per round.
@Suite struct ReferenceWorkloadTests {
    struct WithReference: CaseEvaluator {
        var timed = TimingRunTests.TimedFake()
        var version: String { timed.version }
        var calibrationVersion: String { timed.calibrationVersion }
        func decode(path: String) throws -> [UInt8] { try timed.decode(path: path) }
        func prepare(_ image: [UInt8], size: Int) throws -> [UInt8] { try timed.prepare(image, size: size) }
        func evaluate(_ job: EvaluationJob, images: [[UInt8]]) throws -> Evaluation { try timed.evaluate(job, images: images) }
        func time(_ job: EvaluationJob, images: [[UInt8]]) throws -> [Double]? { try timed.time(job, images: images) }
        /// The n-th call overall: batches of 10n, 10n + 3 and 10n + 1 ms, median 10n + 1.
        func timeReference(threads: Int) throws -> [Double]? {
            let n = Double(timed.log.append("reference"))
            return [10 * n, 10 * n + 3, 10 * n + 1]
        }
    }

    @Test func everySampleHasItsReferenceSampleTakenRightAfterIt() throws {
        let d = TempDir()
        d.fakeImages()
        let s = try spec("sizes: [8]\nblocks: [1, 2]\nprecisions: [4]\n", dir: d)
        let e = WithReference()
        let r = try run(s, out: d.sub("out"), evaluator: e, repeats: 2)
        #expect(e.timed.log.calls == ["evaluate 1", "time 1", "reference", "evaluate 2", "time 2", "reference",
                                      "time 1", "reference", "time 2", "reference"])
        let one = try #require(r.results.cases.first { $0.config.blocks == 1 })
        let two = try #require(r.results.cases.first { $0.config.blocks == 2 })
        // Samples from calls 2, 7 and 5, 9; reference samples from calls 3, 8 and 6, 10 (median 10n + 1).
        #expect(one.timings?.samplesMsPerImage == [2.5, 7.5] && one.timings?.referenceSamplesMsPerImage == [31, 81])
        #expect(two.timings?.samplesMsPerImage == [5.5, 9.5] && two.timings?.referenceSamplesMsPerImage == [61, 101])
        // An evaluator without a reference workload leaves the field out.
        let plain = try run(s, out: d.sub("plain"), evaluator: TimingRunTests.TimedFake(), repeats: 2)
        #expect(plain.results.cases.allSatisfy { $0.timings?.samplesMsPerImage?.count == 2 && $0.timings?.referenceSamplesMsPerImage == nil })
    }
}

/// Which clock a timing sample is read from: the calling thread's CPU clock only with one engine thread (with
/// an OpenMP team that clock holds only the calling thread's share of the work, so the wall clock is used).
@Suite struct TimingClockTests {
    @Test func oneThreadReadsTheThreadCPUClockATeamReadsTheWallClock() {
        var t = RunTimings()
        t.quantizedSeconds = 0.010      // wall
        t.quantizedCPUSeconds = 0.004   // calling thread's CPU time
        #expect(EngineEvaluator.timedSeconds(t, threads: 1) == 0.004)
        #expect(EngineEvaluator.timedSeconds(t, threads: 2) == 0.010)
        #expect(EngineEvaluator.timedSeconds(t, threads: 8) == 0.010)
    }
}
