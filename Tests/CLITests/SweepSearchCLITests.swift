import Foundation
import MixedPrecision
import Testing

/// A sweep spec's `search:` section end to end: `bitsweep sweep` stores the search in the results folder and
/// the report's "Mixed-precision search" section shows the stored document.
@Suite struct SweepSearchCLITests {
    static func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bitsweep-sweep-search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("images"), withIntermediateDirectories: true)
        // Named so that the folder's order is the order `bitsweep search` is given them in.
        for (src, dst) in [("astronaut-rgb.png", "a.png"), ("chelsea.jpg", "b.jpg"), ("rocket-progressive.jpg", "c.jpg")] {
            try FileManager.default.copyItem(at: CLI.packageRoot.appendingPathComponent("Inputs/images/\(src)"),
                                             to: dir.appendingPathComponent("images/\(dst)"))
        }
        return dir
    }

    /// The sweep's search is `bitsweep search` with the same settings (the same assignments on the front,
    /// the same exact costs, the same measured quality), and the report's front table is the stored front.
    @Test func aSweepWithSearchStoresTheSearchAndTheReportShowsIt() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            sizes: [16]
            blocks: [2]
            precisions: [8]
            search:
              size: 16
              blocks: 3
              choices: [2, 8]
              budget: bitops<=3M
              images: 2
            """.write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["sweep", dir.appendingPathComponent("spec.yaml").path, "--out", out.path, "--jobs", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        let stored = try JSONDecoder().decode(SearchDocument.self, from: Data(contentsOf: out.appendingPathComponent("search.json")))
        #expect(stored.images == ["a.png", "b.jpg"])
        #expect(stored.network.blocks.count == 3 && stored.size == 16 && stored.choices == [2, 8])
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("search.csv").path))

        let cli = try CLI.run(["search", "--blocks", "3", "--size", "16", "--choices", "2,8", "--budget", "bitops<=3M", "--format", "json",
                               dir.appendingPathComponent("images/a.png").path, dir.appendingPathComponent("images/b.jpg").path])
        #expect(cli.status == 0, "\(cli.stderr)")
        let direct = try JSONDecoder().decode(SearchDocument.self, from: Data(cli.stdout.utf8))
        #expect(stored.outcome.front.map(\.bits) == direct.outcome.front.map(\.bits))
        #expect(stored.outcome.front.map(\.bitops) == direct.outcome.front.map(\.bitops))
        #expect(stored.outcome.front.map(\.weightStorageBits) == direct.outcome.front.map(\.weightStorageBits))
        #expect(stored.outcome.uniform.map(\.bits) == [[2, 2, 2], [8, 8, 8]])
        for (a, b) in zip(stored.outcome.front + stored.outcome.uniform, direct.outcome.front + direct.outcome.uniform) {
            #expect(abs((a.measuredSQNRDB ?? .nan) - (b.measuredSQNRDB ?? .nan)) < 0.01, "\(a.bits)")
        }

        // The report's section: one front row per stored point, with the stored bits and measured SQNR.
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        let after = try #require(report.components(separatedBy: "## Mixed-precision search").dropFirst().first)
        let section = after.components(separatedBy: "\n## ").first ?? after
        // Markdown escapes # and <; the cells are compared unescaped.
        let rows = section.split(separator: "\n").filter { $0.hasPrefix("|") && !$0.contains("---") }
            .map { $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\\#", with: "#")
                .replacingOccurrences(of: "&lt;", with: "<") } }
        let frontRows = rows.filter { Int($0[0]) != nil }
        #expect(frontRows.count == stored.outcome.front.count)
        for (row, p) in zip(frontRows, stored.outcome.front) {
            #expect(row[1] == p.bits.map(\.description).joined(separator: " "))
            #expect(row[5] == String(format: "%.2f", p.measuredSQNRDB ?? .nan))
        }
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("figures/search-front.svg").path))
        // The budget row names the stored best assignment.
        let best = try #require(stored.outcome.best.first?.bestMeasured)
        #expect(rows.contains { $0.first == "bitops<=3M" && $0[1] == "#\(best)" })
    }

    @Test func aSweepWithoutSearchHasNoSection() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "sizes: [16]\nblocks: [2]\nprecisions: [8]\n".write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["sweep", dir.appendingPathComponent("spec.yaml").path, "--out", out.path, "--jobs", "1"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("search.json").path))
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(!report.contains("Mixed-precision search"))
    }

    /// A shard runs only its cases: the search is the unsharded sweep's, and the shard says so.
    @Test func aShardDoesNotRunTheSearch() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(at: dir) }
        try "sizes: [16]\nblocks: [2]\nprecisions: [8, 4]\nsearch: {size: 16, blocks: 2, images: 1}\n"
            .write(to: dir.appendingPathComponent("spec.yaml"), atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("out")
        let r = try CLI.run(["sweep", dir.appendingPathComponent("spec.yaml").path, "--out", out.path, "--jobs", "1", "--shard", "0/2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("search: a shard does not run"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("search.json").path))
    }
}
