import BitOpsCore
import Foundation
import Results
import Testing
@testable import Sweep

/// Data loss and wrong results: a failed run keeps the previous summary; a cached case is checked against
/// what the run knows before it is reused.
@Suite struct NothingLostTests {
    static let grid = """
        name: small
        sizes: [8]
        blocks: [1, 2]
        precisions: [32, 4]
        conventions: [weight]
        """

    static func bytes(_ path: String) -> Data? { FileManager.default.contents(atPath: path) }

    /// A run that fails after it started (here: `cases/` cannot be written) leaves the folder's previous
    /// `results.json`, `results.csv` and `run.json` byte for byte, and no temporary file.
    @Test func failedRunKeepsThePreviousSummary() throws {
        let d = TempDir()
        d.fakeImages()
        let out = d.sub("out")
        _ = try run(try spec(Self.grid, dir: d), out: out, evaluator: FakeEvaluator())
        let before = ["results.json", "results.csv", "run.json"].map { Self.bytes("\(out)/\($0)") }
        #expect(before.allSatisfy { $0 != nil })

        // A bigger grid whose new cases cannot be stored: `cases` is now a file, not a folder.
        try FileManager.default.removeItem(atPath: "\(out)/cases")
        try Data("not a folder".utf8).write(to: URL(fileURLWithPath: "\(out)/cases"))
        let bigger = try spec(Self.grid, dir: d, overrides: ["sizes=[8, 12]"])
        #expect(throws: SweepError.self) { try run(bigger, out: out, evaluator: FakeEvaluator()) }

        let after = ["results.json", "results.csv", "run.json"].map { Self.bytes("\(out)/\($0)") }
        #expect(after == before)
        #expect(!(try FileManager.default.contentsOfDirectory(atPath: out)).contains { $0.contains(".tmp-") })
    }

    /// One cached entry, decoded, changed by `edit`, and written back.
    static func tamper(_ out: String, id: String, _ edit: (inout CaseCache.Entry) -> Void) throws {
        let path = "\(out)/cases/\(id).json"
        var e = try JSONDecoder().decode(CaseCache.Entry.self, from: try #require(bytes(path)))
        edit(&e)
        try ResultsStore.encoder().encode(e).write(to: URL(fileURLWithPath: path))
    }

    /// Each way a cached case can be wrong, with the words the run says about it. Edits that also fix the
    /// checksum stand for a record written by a faulty build or copied from another run.
    @Test(arguments: [
        ("fidelity edited, checksum left", "does not match its checksum"),
        ("counts edited, checksum fixed", "differ from the exact counts (")
        , ("fidelity summary edited, checksum fixed", "fidelity summary that its per-image results do not give"),
        ("image list edited, checksum fixed", "computed on other images"),
        ("checksum removed", "has no checksum"),
    ])
    func tamperedCaseIsRecomputed(_ t: (String, String)) throws {
        let d = TempDir()
        d.fakeImages()
        let out = d.sub("out")
        let s = try spec(Self.grid, dir: d)
        let first = try run(s, out: out, evaluator: FakeEvaluator())
        let reference = try maskedResults(out)
        let victim = first.results.cases[1]   // 1 block, 4 bits: it has a finite SQNR
        #expect(victim.fidelity?.sqnrDBMean != nil)

        try Self.tamper(out, id: victim.id) { e in
            switch t.0 {
            case "fidelity edited, checksum left":
                e.result.fidelity?.sqnrDBMean = 999
            case "counts edited, checksum fixed":
                e.result.cost.totals.bitops = 1
                e.checksum = CaseCache.checksum(e.result)
            case "fidelity summary edited, checksum fixed":
                e.result.fidelity?.sqnrDBMean = 999
                e.checksum = CaseCache.checksum(e.result)
            case "image list edited, checksum fixed":
                e.result.images[0].file = "elsewhere.png"
                e.checksum = CaseCache.checksum(e.result)
            default:
                e.checksum = nil
            }
        }
        let e = FakeEvaluator()
        let second = try run(s, out: out, evaluator: e)
        #expect(second.computed == 1, "\(t.0)")
        #expect(second.reused == first.results.cases.count - 1)
        #expect(second.recomputed.count == 1)
        #expect(second.recomputed.first?.contains(t.1) == true, "\(second.recomputed)")
        #expect(second.recomputed.first?.contains("cases/\(victim.id).json") == true)
        #expect(try maskedResults(out) == reference)
        // The recomputed record is valid again: a third run reuses everything.
        let third = try run(s, out: out, evaluator: FakeEvaluator())
        #expect(third.computed == 0 && third.recomputed.isEmpty)
    }

    /// The checksum is a SHA-256 of the record's canonical JSON: any change of a stored figure changes it,
    /// and the grid position (which moves when axes change) does not.
    @Test func checksumCoversTheFiguresNotThePosition() throws {
        let d = TempDir()
        d.fakeImages()
        let r = try run(try spec(Self.grid, dir: d), out: d.sub("out"), evaluator: FakeEvaluator()).results.cases[1]
        var moved = r
        moved.index += 7
        #expect(CaseCache.checksum(moved) == CaseCache.checksum(r))
        var edited = r
        edited.images[0].logits[0] += 1e-9
        #expect(CaseCache.checksum(edited) != CaseCache.checksum(r))
        #expect(CaseCache.checksum(r).count == 64)
    }
}
