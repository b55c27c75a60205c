import BitSweepConfig
import Foundation
import MixedPrecision
import Testing

/// `bitsweep sensitivity` and `bitsweep search` end to end, on a tiny network (seed, 3 blocks at 16 px,
/// two images) so that each run takes well under a second.
@Suite struct SearchCLITests {
    static let images = ["Inputs/images/astronaut-rgb.png", "Inputs/images/chelsea.jpg"]
    static let tiny = ["--blocks", "3", "--size", "16"]

    static func temporaryFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bitsweep-search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The front's costs are those `calc` counts for the same bits; the files are written; the sweep snippet
    /// is a valid sweep spec whose precisions are the chosen assignments.
    @Test func searchWritesAFrontThatCalcAgreesWith() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["search"] + Self.tiny + ["--choices", "2,8", "--budget", "bitops<=3M", "--format", "json",
                                                       "--out", dir.path] + Self.images)
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try JSONDecoder().decode(SearchDocument.self, from: Data(r.stdout.utf8))
        let front = doc.outcome.front
        #expect(!front.isEmpty)
        #expect(front.allSatisfy { $0.bitops <= 3_000_000 })
        #expect(doc.outcome.verified == Array(front.indices))
        #expect(doc.outcome.uniform.map(\.bits) == [[2, 2, 2], [8, 8, 8]])
        for p in front.prefix(3) + doc.outcome.uniform {
            let calc = try CLI.run(["calc"] + Self.tiny + ["--bits", p.bits.commaSeparated, "--format", "json"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(calc.stdout.utf8)) as? [String: Any])
            let totals = try #require(json["totals"] as? [String: Any])
            #expect(totals["bitops"] as? Int == p.bitops, "\(p.bits)")
            #expect(totals["weight_storage_bits"] as? Int == p.weightStorageBits, "\(p.bits)")
        }
        for name in ["search.json", "search.csv", "search-front.pdf", "sensitivity.json", "sensitivity.pdf", "search-sweep.yaml"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(name).path), "\(name)")
        }
        let csvLines = try String(contentsOf: dir.appendingPathComponent("search.csv"), encoding: .utf8).split(separator: "\n")
        #expect(csvLines.count == 1 + front.count + 2)
        let spec = try SweepSpecReader.load(path: dir.appendingPathComponent("search-sweep.yaml").path)
        let chosen = doc.chosen().map(\.point.bits)
        #expect(spec.precisions.map(\.value.description) == chosen.map(\.commaSeparated))
        #expect(spec.sizes.map(\.value) == [16])
    }

    @Test func sensitivityJSONHasOneEntryPerBlockAndChoice() throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let chart = dir.appendingPathComponent("sens.svg").path
        let r = try CLI.run(["sensitivity"] + Self.tiny + ["--choices", "2,4,float", "--format", "json", "--chart", chart] + Self.images)
        #expect(r.status == 0, "\(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let entries = try #require(json["entries"] as? [[String: Any]])
        #expect(entries.map { $0["block"] as? Int } == [0, 0, 0, 1, 1, 1, 2, 2, 2])
        // `float` on the command line; the JSON writes it 32, as it always has.
        #expect(entries.map { $0["bits"] as? Int } == [2, 4, 32, 2, 4, 32, 2, 4, 32])
        // Float weights add no noise: exact.
        #expect(entries.filter { $0["bits"] as? Int == 32 }.allSatisfy { $0["noise_power"] as? Double == 0 && $0["sqnr_db"] as? String == "inf" })
        #expect(FileManager.default.fileExists(atPath: chart))
    }

    /// Bad values: one line naming the value, exit code 2, and nothing written.
    @Test(arguments: [
        (["--budget", "bitops<1G"], "bitops<1G"),
        (["--budget", "flops<=1G"], "unknown kind 'flops'"),
        (["--budget", "weights<=1 parsec"], "unknown unit"),
        (["--choices", "2,x"], "'x' is not a bit width"),
        (["--choices", "2,17"], "17 is out of range"),
        (["--choices", "2,2"], "repeat"),
        (["--per", "layers"], "layers"),
        (["--verify", "some"], "--verify 'some'"),
    ])
    func badValuesExitWithTwo(extra: [String], fragment: String) throws {
        let dir = try Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["search"] + Self.tiny + extra + ["--out", dir.path] + Self.images)
        #expect(r.status == 2, "\(extra): \(r.stderr)")
        #expect(r.stderr.contains(fragment), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }
}
