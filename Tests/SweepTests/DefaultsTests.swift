import BitSweepConfig
import Foundation
import Results
import StableIO
import Testing
@testable import Sweep

/// Defaults that must not surprise: `--set` never writes into the spec's own folder, `include:` entries
/// outside an axis narrowed by `--set` are dropped, and a results folder keeps its budget profiles.
@Suite struct DefaultsTests {
    static let grid = """
        name: demo
        sizes: [16, 32]
        blocks: [2, 3]
        precisions: [8, 4]
        include:
          - {size: 64, blocks: 5, precision: 2}
          - {blocks: 4}
        """

    // MARK: results folder

    @Test(arguments: [
        ([String](), "Reports/demo"),
        (["sizes=[32, 64]"], "Reports/demo+sizes=32,64"),
        (["sizes=[16]", "network.seed=3"], "Reports/demo+sizes=16+network.seed=3"),
        (["network.preset=mobilenet-v1", "sizes=[96]", "blocks=[13]"], "Reports/demo+network.preset=mobilenet-v1+sizes=96+blocks=13"),
        (["precisions=[{first-last: {edge: 8, inner: 2}}]"], "Reports/demo+precisions=first-last-edge-8,inner-2"),
        (["name=quick", "sizes=[16]"], "Reports/quick"),
    ])
    func theResultsFolderNamesTheOverrides(_ c: ([String], String)) throws {
        let d = TempDir()
        let s = try spec(Self.grid, dir: d, overrides: c.0)
        #expect(ResultsFolder.defaultPath(for: s) == c.1)
    }

    @Test func aVeryLongOverrideListGetsAShortStableName() throws {
        let d = TempDir()
        let sizes = "sizes=[" + (1...60).map(String.init).joined(separator: ",") + "]"
        let a = try spec(Self.grid, dir: d, overrides: [sizes])
        let b = try spec(Self.grid, dir: d, overrides: [sizes.replacingOccurrences(of: ",60]", with: ",61]")])
        let na = ResultsFolder.defaultName(for: a), nb = ResultsFolder.defaultName(for: b)
        #expect(na.count == 113)                       // 100 characters, "+", 12 hex digits
        #expect(na.hasPrefix("demo+sizes=1,2,3"))
        #expect(na != nb)                              // the digest tells the two apart
        #expect(na == ResultsFolder.defaultName(for: try spec(Self.grid, dir: d, overrides: [sizes])))
    }

    // MARK: include entries under --set

    @Test func anIncludeEntryOutsideANarrowedAxisIsDroppedWithAWarning() throws {
        let d = TempDir()
        let plan = try SweepPlan.expand(try spec(Self.grid, dir: d, overrides: ["sizes=[16]"]))
        // Grid: 1 size × 2 blocks × 2 precisions = 4; the {blocks: 4} entry adds 1 × 1 × 2 = 2; the size-64
        // entry is outside sizes=[16] and adds nothing.
        #expect(plan.cases.count == 6)
        #expect(!plan.cases.contains { $0.config.size == 64 })
        #expect(plan.cases.filter { $0.config.blocks == 4 }.map(\.config.size) == [16, 16])
        let dropped = plan.warnings.filter { $0.contains("dropped") }
        #expect(dropped.count == 1)
        #expect(dropped.first?.hasPrefix(d.sub("spec.yaml") + ":6: include entry") == true, "\(dropped)")
        #expect(dropped.first?.contains("size 64 is outside the grid narrowed by --set") == true)
    }

    @Test func withoutOverridesIncludeEntriesAddCasesOutsideTheGrid() throws {
        let d = TempDir()
        let plan = try SweepPlan.expand(try spec(Self.grid, dir: d))
        // 2 × 2 × 2 = 8, + {size 64, blocks 5, precision 2} = 1, + {blocks 4} = 2 sizes × 2 precisions = 4.
        #expect(plan.cases.count == 13)
        #expect(plan.cases.filter { $0.config.size == 64 }.count == 1)
        #expect(!plan.warnings.contains { $0.contains("dropped") })
    }

    @Test func anOverrideOfAnotherAxisKeepsTheEntries() throws {
        let d = TempDir()
        let plan = try SweepPlan.expand(try spec(Self.grid, dir: d, overrides: ["precisions=[8, 2]"]))
        // precision 2 is in the new axis, so the size-64 entry stays: 8 + 1 + 4.
        #expect(plan.cases.count == 13)
        #expect(plan.cases.contains { $0.config.size == 64 && $0.config.blocks == 5 })
    }

    // MARK: self-contained results folders

    @Test func theSweepKeepsItsBudgetProfilesInTheResultsFolder() throws {
        let d = TempDir()
        d.fakeImages()
        let profiles = "profiles:\n  tiny:\n    max_bitops: 10M\n    max_weight_storage: 64 KiB\n    max_activation_memory: 32 KiB\n"
        d.write("limits/b.yaml", profiles)
        let s = try spec("sizes: [16]\nblocks: [2]\nbudgets: limits/b.yaml\n", dir: d)
        let out = d.sub("out")
        _ = try run(s, out: out, evaluator: FakeEvaluator())
        let kept = (out as NSString).appendingPathComponent("budgets.yaml")
        #expect(FileManager.default.contents(atPath: kept) == Data(profiles.utf8))

        // Moved elsewhere, with the original profiles gone, the folder still answers for its profiles.
        let moved = d.sub("elsewhere/copy")
        try FileManager.default.createDirectory(atPath: d.sub("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: out, toPath: moved)
        try FileManager.default.removeItem(atPath: d.sub("limits"))
        #expect(ResultsStore.keptBudgets(in: moved) == (moved as NSString).appendingPathComponent("budgets.yaml"))
        #expect(ResultsStore.keptBudgets(in: (moved as NSString).appendingPathComponent("results.json"))
                == (moved as NSString).appendingPathComponent("budgets.yaml"))
    }

    @Test func aSweepWithoutProfilesKeepsNone() throws {
        let d = TempDir()
        d.fakeImages()
        let out = d.sub("out")
        _ = try run(try spec("sizes: [16]\nblocks: [2]\n", dir: d), out: out, evaluator: FakeEvaluator())
        #expect(ResultsStore.keptBudgets(in: out) == nil)
    }

    // MARK: error kinds

    @Test func aMissingOrEmptyImagesFolderIsAnInputError() throws {
        let d = TempDir()
        let s = try spec("sizes: [16]\nblocks: [2]\nimages: pictures\n", dir: d)
        do {
            _ = try run(s, out: d.sub("out"), evaluator: FakeEvaluator())
            Issue.record("expected an error")
        } catch let e as SweepError {
            #expect(e.isInputError)
            #expect(e.description.hasPrefix(d.sub("spec.yaml") + ":3: the images folder"))
        }
        try FileManager.default.createDirectory(atPath: d.sub("pictures"), withIntermediateDirectories: true)
        do {
            _ = try run(s, out: d.sub("out"), evaluator: FakeEvaluator())
            Issue.record("expected an error")
        } catch let e as SweepError {
            #expect(e.isInputError)
            #expect(e.description.contains("is empty"))
        }
    }
}

/// File-system errors name their path and the system's reason, never a raw NSCocoaErrorDomain dump.
@Suite struct FileSystemErrorTests {
    @Test func aFullDiskNamesThePathAndTheReason() throws {
        // /dev/full accepts the open and fails every write with ENOSPC, which Foundation reports as
        // "There isn't enough space." without any path.
        let h = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        defer { try? h.close() }
        do {
            try h.write(contentsOf: Data(repeating: 1, count: 1 << 16))
            try h.synchronize()
            Issue.record("writing to /dev/full succeeded")
        } catch {
            let e = FileSystemError(path: "/dev/full", action: "cannot write", error: error)
            #expect(e.description == "/dev/full: cannot write (No space left on device)")
        }
    }

    @Test func aFolderBelowAFileIsNamed() throws {
        do {
            try Folder.create("/dev/null/sub/dir")
            Issue.record("created a folder below /dev/null")
        } catch let e as FileSystemError {
            #expect(e.description == "/dev/null/sub: cannot create the folder (Not a directory)")
        }
    }

    @Test func anAtomicWriteBelowAFileNamesTheFileAndTheReason() throws {
        let path = "/dev/null/x/results.json"
        do {
            try AtomicFile.write(Data("x".utf8), to: path)
            Issue.record("wrote below /dev/null")
        } catch let e as AtomicFile.WriteError {
            #expect(e.description == "\(path): cannot write (cannot create the folder /dev/null/x: Not a directory)")
        }
    }
}
