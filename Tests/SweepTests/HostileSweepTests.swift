import BitOpsCore
import BitSweepConfig
import Foundation
import Results
import Testing
@testable import Sweep

/// Hangs, runaway use and concurrent runs, with the fake engine: what is in the images folder, how big a grid
/// is, who else is writing to the folder.
@Suite(.serialized) struct HostileSweepTests {
    static let grid = """
        name: hostile
        sizes: [8]
        blocks: [1]
        precisions: [32, 4]
        conventions: [weight]
        """

    /// A FIFO (reading it waits forever) and a link to /dev/zero (endless) are skipped with a reason, never
    /// opened; so is a broken link and a file too large to be an image, which is not read.
    @Test(.timeLimit(.minutes(1))) func onlyRegularFilesOfSaneSizeAreImages() throws {
        let d = TempDir()
        let images = d.fakeImages(["a.png", "b.png"])
        #expect(mkfifo("\(images)/fifo.png", 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: "\(images)/zero.png", withDestinationPath: "/dev/zero")
        try FileManager.default.createSymbolicLink(atPath: "\(images)/gone.png", withDestinationPath: "\(images)/nowhere")
        // Sparse: 300 MB on paper, nothing on disk.
        let big = "\(images)/huge.png"
        #expect(FileManager.default.createFile(atPath: big, contents: Data("FAKEIMG".utf8)))
        #expect(truncate(big, off_t(ImageSet.maxFileBytes + 1)) == 0)
        let e = FakeEvaluator()
        let summary = try run(try spec(Self.grid, dir: d), out: d.sub("out"), evaluator: e)
        #expect(summary.images == 2)
        #expect(e.counters["decode"] == 2)   // the four others were never opened
        let reasons = Dictionary(uniqueKeysWithValues: summary.results.skippedImages.map { ($0.file, $0.reason) })
        #expect(reasons["fifo.png"] == "not a regular file (a FIFO)")
        #expect(reasons["zero.png"] == "not a regular file (a character device)")
        #expect(reasons["gone.png"]?.hasPrefix("cannot be read") == true)
        #expect(reasons["huge.png"] == "a file of \(ImageSet.maxFileBytes + 1) bytes is larger than an image file may be (\(ImageSet.maxFileBytes) bytes)")
        #expect(summary.results.skippedImages.map(\.file) == ["fifo.png", "gone.png", "huge.png", "zero.png"])
    }

    /// The decoded images together stay within the budget: the image that would go over is skipped with the
    /// reason, in file order (the same files are kept however the decoding is scheduled).
    @Test func imageSetMemoryIsBounded() throws {
        let d = TempDir()
        d.fakeImages(["a.png", "b.png", "c.png", "d.png"])   // each "FAKEIMG x.png": 13 bytes
        let plan = try SweepPlan.expand(try spec(Self.grid, dir: d))
        var options = SweepOptions(outputDirectory: d.sub("out"), jobs: 1, progress: .quiet, commandLine: ["test"], cores: 2)
        options.imageMemoryBudget = 2 * 13 + 12
        let summary = try SweepRunner.run(plan, options: options, evaluator: FakeEvaluator())
        #expect(summary.images == 2)
        #expect(summary.results.cases[0].images.map(\.file) == ["a.png", "b.png"])
        #expect(summary.results.skippedImages.map(\.file) == ["c.png", "d.png"])
        #expect(summary.results.skippedImages[0].reason == "decoded, it would take 13 bytes, more than the 12 bytes left of the image set's memory budget (38 bytes)")
        #expect(summary.results.skippedImages[1].reason == "decoded, it would take 13 bytes, more than the 12 bytes left of the image set's memory budget (38 bytes)")
    }

    /// A case too large for memory is refused before its images are resized for its size.
    @Test func memoryRefusalComesBeforeResizing() throws {
        let d = TempDir()
        d.fakeImages()
        var e = FakeEvaluator()
        e.memoryRefusedAboveSize = 8
        let summary = try run(try spec(Self.grid, dir: d, overrides: ["sizes=[8, 4096]"]), out: d.sub("out"), evaluator: e)
        let big = summary.results.cases.filter { $0.config.size == 4096 }
        #expect(big.count == 2 && big.allSatisfy { $0.error == "size 4096 needs more memory than the fake machine has" })
        #expect(e.counters["prepare"] == 3)   // the three images at size 8 only
    }

    /// Hand-counted grids: the arithmetic count equals the expansion, and per-block lists count only with
    /// their own block count.
    @Test(arguments: [
        ("sizes: [8, 16]\nblocks: [1, 2, 3]\nprecisions: [32, 4]\nconventions: [weight, wa]", 2 * 3 * 2 * 2),
        // [8, 2] pairs with blocks 2 only: sizes 2 × (blocks 1: 2 precisions + blocks 2: 3) = 10.
        ("sizes: [8, 16]\nblocks: [1, 2]\nprecisions: [32, 4, [8, 2]]\nconventions: [weight]", 2 * (2 + 3)),
        ("sizes: [8]\nblocks: [2]\nprecisions: [4, [8, 2]]\nact_bits: [32, 8, [8, 8]]\nconventions: [weight, wa]", 1 * 2 * 2 * 3),
    ])
    func gridCountIsArithmeticAndExact(_ c: (String, Int)) throws {
        let d = TempDir()
        let s = try spec("name: count\n" + c.0, dir: d)
        #expect(SweepPlan.countBound(s) == c.1)
        #expect(try SweepPlan.expand(s).cases.count == c.1)
    }

    /// Two million cases are refused at once (counted, not expanded), naming the count and how to raise the
    /// limit; the limit can be raised.
    @Test(.timeLimit(.minutes(1))) func hugeGridIsRefusedBeforeExpansion() throws {
        let d = TempDir()
        // 600 sizes × 12 blocks × 17 precisions × 17 act_bits (1–16 and 32 bits) = 2,080,800 cases.
        let sizes = (1...600).map { String(4 * $0) }.joined(separator: ", ")
        let blocks = (1...12).map(String.init).joined(separator: ", ")
        let bits = ((1...16).map(String.init) + ["32"]).joined(separator: ", ")
        let s = try spec("name: huge\nsizes: [\(sizes)]\nblocks: [\(blocks)]\nprecisions: [\(bits)]\nact_bits: [\(bits)]\nconventions: [weight]", dir: d)
        #expect(SweepPlan.countBound(s) == 600 * 12 * 17 * 17)
        do {
            _ = try SweepPlan.expand(s)
            Issue.record("a grid of two million cases was expanded")
        } catch let e as ConfigError {
            #expect(e.description.contains("the grid has 2080800 cases (600 sizes × 12 blocks × 17 precisions × 17 act_bits × 1 conventions, before exclusions), more than the limit of 10000; narrow an axis, or raise the limit with --max-cases 2080800"), "\(e.description)")
        }
        let small = try spec(Self.grid + "\n", dir: d, overrides: ["sizes=[8, 12, 16]"])
        #expect(throws: ConfigError.self) { try SweepPlan.expand(small, maxCases: 5) }
        #expect(try SweepPlan.expand(small, maxCases: 6).cases.count == 6)
    }

    /// A second run into a folder another run holds stops at once, naming the holder's PID, and leaves the
    /// folder as it was; with `waitForFolder` it waits and then runs.
    @Test func folderInUseStopsOrWaits() throws {
        let d = TempDir()
        d.fakeImages()
        let out = d.sub("out")
        let s = try spec(Self.grid, dir: d)
        _ = try run(s, out: out, evaluator: FakeEvaluator())
        let before = FileManager.default.contents(atPath: "\(out)/results.json")

        let holder = try FolderLock(directory: out, wait: false)
        do {
            _ = try run(s, out: out, evaluator: FakeEvaluator(), fresh: true)
            Issue.record("a second run wrote into a folder in use")
        } catch let e as SweepError {
            #expect(e.description == "\(out): folder in use by PID \(getpid()) (another bitsweep run writes there); wait for it to finish, or pass --wait")
        }
        #expect(FileManager.default.contents(atPath: "\(out)/results.json") == before)
        #expect(FileManager.default.fileExists(atPath: "\(out)/cases"))

        // Waiting: the holder lets go a moment later.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { holder.release() }
        var options = SweepOptions(outputDirectory: out, jobs: 1, fresh: true, progress: .quiet, commandLine: ["test"], cores: 2)
        options.repeats = 1
        options.waitForFolder = true
        let e = FakeEvaluator()
        let summary = try SweepRunner.run(try SweepPlan.expand(s), options: options, evaluator: e)
        #expect(summary.computed == 2 && e.counters["evaluate"] == 2)
    }

    /// `merge` killed with -9 leaves `cases/*.json.tmp-PID` and `results.json.tmp-PID`; the next merge into
    /// that folder removes them.
    @Test func mergeRemovesTemporariesOfAKilledMerge() throws {
        let d = TempDir()
        d.fakeImages()
        let s = try spec(Self.grid, dir: d, overrides: ["sizes=[8, 12]"])
        let dirs = (0..<2).map { d.sub("s\($0)") }
        for (i, dir) in dirs.enumerated() { _ = try run(s, out: dir, evaluator: FakeEvaluator(), shard: Shard(index: i, count: 2)) }
        let merged = d.sub("merged")
        try FileManager.default.createDirectory(atPath: "\(merged)/cases", withIntermediateDirectories: true)
        for leftover in ["cases/0123456789abcdef.json.tmp-4242", "results.json.tmp-4242", "run.json.tmp-77"] {
            try Data("{\"half".utf8).write(to: URL(fileURLWithPath: "\(merged)/\(leftover)"))
        }
        try ShardMerge.merge(shardDirectories: dirs, into: merged, commandLine: ["merge"])
        let names = try FileManager.default.contentsOfDirectory(atPath: merged)
            + FileManager.default.contentsOfDirectory(atPath: "\(merged)/cases")
        #expect(!names.contains { $0.contains(".tmp-") }, "\(names)")
        #expect(try ResultsStore.load(merged).cases.count == 4)
    }
}
