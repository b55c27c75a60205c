import BitOpsCore
import BitSweepConfig
import Foundation
import Results
import Testing
@testable import Sweep

@Suite struct RunnerTests {
    static let grid = """
        name: grid
        sizes: [8, 16]
        blocks: [1, 2, 3]
        precisions: [32, 4, {first-last: {edge: 8, inner: 2}}]
        act_bits: [32, 8]
        conventions: [weight, wa]
        """

    @Test func eachImageDecodedOnceResizedOncePerSizeAndEachNetworkBuiltOnce() throws {
        let d = TempDir()
        let s = try spec(Self.grid, dir: d)
        d.fakeImages()
        let e = FakeEvaluator()
        let summary = try run(s, out: d.sub("out"), evaluator: e, jobs: 2)
        let plan = try SweepPlan.expand(s)
        #expect(summary.results.cases.count == 2 * 3 * 3 * 2 * 2)
        #expect(e.counters["decode"] == 3)
        #expect(e.counters["prepare"] == 3 * 2)
        #expect(e.counters["evaluate"] == plan.groupCount)
        #expect(plan.groupCount == summary.results.cases.count / 2)
        for c in summary.results.cases {
            #expect(c.images.map(\.file) == ["a.png", "b.png", "c.jpg"])
            #expect(c.fidelity?.images == 3)
            #expect(c.cost == plan.cases[c.index].cost)
        }
        // The files a results folder holds.
        for f in ["results.json", "results.csv", "run.json"] {
            #expect(FileManager.default.fileExists(atPath: d.sub("out/\(f)")))
        }
        let entries = try FileManager.default.contentsOfDirectory(atPath: d.sub("out/cases"))
        #expect(entries.count == summary.results.cases.count)
    }

    @Test func resultsAreIdenticalForAnyJobsAndShardLayout() throws {
        let d = TempDir()
        let s = try spec(Self.grid, dir: d)
        d.fakeImages()
        _ = try run(s, out: d.sub("j1"), evaluator: FakeEvaluator(), jobs: 1)
        _ = try run(s, out: d.sub("j2"), evaluator: FakeEvaluator(), jobs: 2)
        _ = try run(s, out: d.sub("j5"), evaluator: FakeEvaluator(), jobs: 5)
        let reference = try maskedResults(d.sub("j1"))
        #expect(try maskedResults(d.sub("j2")) == reference)
        #expect(try maskedResults(d.sub("j5")) == reference)
        #expect(try maskedCSV(d.sub("j2")) == maskedCSV(d.sub("j1")))

        for n in [2, 3, 7] {
            var dirs: [String] = []
            // Shards run in reverse order, with different job counts: neither may matter.
            for i in (0..<n).reversed() {
                let dir = d.sub("s\(n)-\(i)")
                _ = try run(s, out: dir, evaluator: FakeEvaluator(), jobs: 1 + i % 2, shard: Shard(index: i, count: n))
                dirs.append(dir)
            }
            let merged = d.sub("merged\(n)")
            try ShardMerge.merge(shardDirectories: dirs, into: merged, commandLine: ["merge"])
            #expect(try maskedResults(merged) == reference, "merge of \(n) shards")
            // Byte for byte, apart from the timing objects.
            #expect(try rawMaskedResults(merged) == rawMaskedResults(d.sub("j1")))
            #expect(try rawMaskedResults(merged).contains("\"timings\" : {}"))
            #expect(try maskedCSV(merged) == maskedCSV(d.sub("j1")))
            // Provenance: the spec and images are the shards'; the merge is not itself a shard.
            let info = try #require(ResultsStore.loadRunInfo(merged))
            let single = try #require(ResultsStore.loadRunInfo(d.sub("j1")))
            #expect(info.specHash == single.specHash)
            #expect(info.images == single.images)
            #expect(info.shard == nil)
        }
    }

    @Test func mergeRefusesIncompleteOrMismatchedShards() throws {
        let d = TempDir()
        let s = try spec(Self.grid, dir: d)
        d.fakeImages()
        for i in 0..<3 { _ = try run(s, out: d.sub("s\(i)"), evaluator: FakeEvaluator(), shard: Shard(index: i, count: 3)) }
        #expect(throws: SweepError.self) { try ShardMerge.merge(shardDirectories: [d.sub("s0"), d.sub("s2")], into: d.sub("m")) }
        #expect(throws: SweepError.self) { try ShardMerge.merge(shardDirectories: [d.sub("s0"), d.sub("s1"), d.sub("s1"), d.sub("s2")], into: d.sub("m")) }
        let other = try spec(Self.grid + "\nbatch: 3\n", dir: d)
        _ = try run(other, out: d.sub("other1"), evaluator: FakeEvaluator(), shard: Shard(index: 1, count: 3))
        #expect(throws: SweepError.self) { try ShardMerge.merge(shardDirectories: [d.sub("s0"), d.sub("other1"), d.sub("s2")], into: d.sub("m")) }
        #expect(throws: SweepError.self) { try ShardMerge.merge(shardDirectories: [d.sub("s0"), d.sub("nowhere")], into: d.sub("m")) }
        #expect(!FileManager.default.fileExists(atPath: d.sub("m/results.json")))
    }

    @Test func resumeRecomputesOnlyUnfinishedCases() throws {
        let d = TempDir()
        let s = try spec(Self.grid, dir: d)
        d.fakeImages()
        let out = d.sub("out")
        let first = try run(s, out: out, evaluator: FakeEvaluator(), jobs: 2)
        let reference = try maskedResults(out)
        // Simulate a crash: some cases never finished, a temporary file was left half-written.
        let cases = d.sub("out/cases")
        let gone = first.results.cases.filter { $0.index % 5 == 0 }
        for c in gone { try FileManager.default.removeItem(atPath: "\(cases)/\(c.id).json") }
        try Data("{\"trunc".utf8).write(to: URL(fileURLWithPath: "\(cases)/\(gone[0].id).json.tmp-999"))
        try FileManager.default.removeItem(atPath: d.sub("out/results.json"))
        try Data("{\"half".utf8).write(to: URL(fileURLWithPath: d.sub("out/results.json.tmp-4242")))

        let e = FakeEvaluator()
        let second = try run(s, out: out, evaluator: e, jobs: 2)
        #expect(second.reused == first.results.cases.count - gone.count)
        #expect(second.computed == gone.count)
        // Only the networks of the missing cases were built again.
        #expect(e.counters["evaluate"] == Set(gone.map { "\($0.config.size) \($0.config.weightPrecision.blocks) \($0.config.actPrecision.blocks)" }).count)
        #expect(try maskedResults(out) == reference)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: cases)).contains { $0.contains(".tmp-") })
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: out)).contains { $0.contains(".tmp-") })

        // A complete cache: nothing runs. --fresh: everything runs.
        let e3 = FakeEvaluator()
        _ = try run(s, out: out, evaluator: e3)
        #expect(e3.counters["evaluate"] == 0)
        let e4 = FakeEvaluator()
        _ = try run(s, out: out, evaluator: e4, fresh: true)
        #expect(e4.counters["evaluate"] == first.results.cases.count / 2)
    }

    @Test func addingAnAxisValueComputesOnlyTheNewCases() throws {
        let d = TempDir()
        d.fakeImages()
        let out = d.sub("out")
        _ = try run(try spec("sizes: [8]\nblocks: [1, 2]\nprecisions: [4]\n", dir: d), out: out, evaluator: FakeEvaluator())
        let e = FakeEvaluator()
        let s = try run(try spec("sizes: [8, 16]\nblocks: [1, 2]\nprecisions: [4]\n", dir: d), out: out, evaluator: e)
        #expect(s.reused == 2)
        #expect(s.computed == 2)
        #expect(e.counters["evaluate"] == 2)
        #expect(s.results.cases.map(\.config.size) == [8, 8, 16, 16])
    }

    @Test func aChangedImageOrEngineInvalidatesTheCache() throws {
        let d = TempDir()
        let s = try spec("sizes: [8]\nblocks: [1, 2]\nprecisions: [4, 8]\n", dir: d)
        d.fakeImages()
        let out = d.sub("out")
        let before = try run(s, out: out, evaluator: FakeEvaluator())
        d.write("images/b.png", "FAKEIMG b, retouched")
        let e = FakeEvaluator()
        let after = try run(s, out: out, evaluator: e)
        #expect(after.reused == 0)
        #expect(e.counters["evaluate"] == 4)
        for (x, y) in zip(before.results.cases, after.results.cases) {
            #expect(x.id == y.id)
            #expect(x.images[0] == y.images[0])
            #expect(x.images[1].logits != y.images[1].logits)
        }
        var newEngine = FakeEvaluator()
        newEngine.version = "fake-2"
        #expect(try run(s, out: out, evaluator: newEngine).reused == 0)
        #expect(try run(s, out: out, evaluator: newEngine).reused == 4)
    }

    @Test func badImagesAreSkippedWithReasonsAndTheSweepGoesOn() throws {
        let d = TempDir()
        let s = try spec("sizes: [8]\nblocks: [1]\nprecisions: [4]\n", dir: d)
        d.fakeImages(["a.png", "sub/b.png"])
        d.write("images/notes.txt", "not an image")
        d.write("images/.hidden.png", "ignored")
        d.write("images/broken.png", "\u{89}PNG truncated")
        let r = try run(s, out: d.sub("out"), evaluator: FakeEvaluator())
        #expect(r.results.skippedImages.map(\.file) == ["broken.png", "notes.txt"])
        #expect(r.results.skippedImages.allSatisfy { $0.reason.contains("not an image") })
        #expect(r.results.cases[0].images.map(\.file) == ["a.png", "sub/b.png"])
        #expect(r.run.images.keys.sorted() == ["a.png", "broken.png", "notes.txt", "sub/b.png"])
    }

    @Test func aCaseThatCannotRunIsRecordedAndTheOthersGoOn() throws {
        let d = TempDir()
        let s = try spec("sizes: [8]\nblocks: [1, 2, 3]\nprecisions: [4]\n", dir: d)
        d.fakeImages()
        var e = FakeEvaluator()
        e.failAboveBlocks = 2
        let r = try run(s, out: d.sub("out"), evaluator: e, jobs: 2)
        #expect(r.results.cases.map { $0.error != nil } == [false, false, true])
        #expect(r.results.cases[2].error?.contains("too large") == true)
        #expect(r.results.cases[2].cost.totals.bitops > 0)
        #expect(r.results.cases[2].fidelity == nil)
        // The failure is not cached: the next run tries that case again, and only that one.
        var again = FakeEvaluator()
        again.failAboveBlocks = 2
        let r2 = try run(s, out: d.sub("out"), evaluator: again)
        #expect(r2.reused == 2)
        #expect(again.counters["evaluate"] == 1)
        #expect(try maskedResults(d.sub("out")) == {
            var set = r.results
            for i in set.cases.indices { set.cases[i].timings = nil }
            return String(decoding: try ResultsStore.encoder().encode(set), as: UTF8.self)
        }())
    }

    @Test func missingEmptyOrUnreadableFoldersFailBeforeAnyWork() throws {
        let d = TempDir()
        let e = FakeEvaluator()
        let missing = try spec("images: nowhere\nsizes: [8]\n", dir: d)
        let e1 = #expect(throws: SweepError.self) { try run(missing, out: d.sub("o1"), evaluator: e) }
        #expect(e1?.description.contains("spec.yaml:1: the images folder") == true)
        #expect(e1?.description.contains("does not exist") == true)
        try FileManager.default.createDirectory(atPath: d.sub("empty"), withIntermediateDirectories: true)
        let empty = try spec("images: empty\n", dir: d)
        let e2 = #expect(throws: SweepError.self) { try run(empty, out: d.sub("o2"), evaluator: e) }
        #expect(e2?.description.contains("is empty") == true)
        d.write("junk/readme.txt", "hello")
        let junk = try spec("images: junk\n", dir: d)
        let e3 = #expect(throws: SweepError.self) { try run(junk, out: d.sub("o3"), evaluator: e) }
        #expect(e3?.description.contains("no readable image") == true)
        #expect(e3?.description.contains("readme.txt (not an image") == true)
        #expect(e.counters["evaluate"] == 0)
        for o in ["o1", "o2", "o3"] { #expect(!FileManager.default.fileExists(atPath: d.sub("\(o)/results.json"))) }
    }

    @Test func runInfoRecordsProvenance() throws {
        let d = TempDir()
        let s = try spec("sizes: [8]\n", dir: d, overrides: ["blocks=[1]"])
        d.fakeImages(["a.png"])
        let r = try run(s, out: d.sub("out"), evaluator: FakeEvaluator())
        let info = try #require(ResultsStore.loadRunInfo(d.sub("out")))
        #expect(info == r.run)
        #expect(info.engineVersion == "fake-1")
        #expect(info.images == ["a.png": Digest.sha256("FAKEIMG a.png")])
        #expect(info.specHash == Digest.sha256(info.spec))
        #expect(info.spec.contains("\"blocks\":[1]"))
        #expect(info.gridCases == 1)
        #expect(info.commandLine == ["test"])
    }
}
