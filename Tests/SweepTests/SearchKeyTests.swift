import BitOpsCore
import BitSweepConfig
import Foundation
import MixedPrecision
import Testing
@testable import Sweep

/// The sweep spec's optional `search:` section: every value checked with the spec (file:line, all problems at
/// once), defaults taken from the grid's axes, and recorded in the resolved spec only when given.
@Suite struct SearchKeyTests {
    @Test func everyKeyIsReadWithTheCommandLinesNames() throws {
        let s = try spec("""
            sizes: [16, 32]
            blocks: [2, 3]
            conventions: [weight, wa]
            search:
              size: 24
              blocks: 4
              choices: [2, 3, 32]
              per: layer
              budget: [bitops<=1.5G, weights<=1MiB]
              verify: 7
              images: 2
              convention: wa
            """, dir: TempDir())
        let q = try #require(s.search)
        #expect(q.origin.line == 5)
        #expect(q.size == 24 && q.blocks == 4 && q.per == .layer && q.verify == 7 && q.images == 2 && q.convention == .wa)
        #expect(q.choices == [.bits(2), .bits(3), .float])
        #expect(q.budgets.map(\.kind) == [.bitops, .weights])
        #expect(q.budgets.map(\.limit) == [1_500_000_000, 1_048_576])
        #expect(q.verifyCount(front: 5) == 5 && q.verifyCount(front: 50) == 7)
        let obj = try JSONSerialization.jsonObject(with: Data(s.resolvedJSON.utf8)) as? [String: Any]
        let recorded = try #require(obj?["search"] as? [String: Any])
        #expect(recorded["budget"] as? [String] == ["bitops<=1.5G", "weights<=1MiB"])
        #expect(recorded["choices"] as? [AnyHashable] == [2, 3, "float"])
    }

    @Test func defaultsComeFromTheGridAndTheSearchCommand() throws {
        let s = try spec("sizes: [48, 16]\nblocks: [2, 5, 3]\nsearch: {}\n", dir: TempDir())
        let q = try #require(s.search)
        // The first size, the largest block count, choices 2,4,8 per block, every image, all front points up to 100.
        #expect(q.size == 48 && q.blocks == 5 && q.per == .block && q.images == nil && q.budgets.isEmpty && q.convention == .weight)
        #expect(q.choices == [.bits(2), .bits(4), .bits(8)])
        #expect(q.verifyCount(front: 250) == 100 && q.verifyCount(front: 3) == 3)
        let all = try #require(try spec("search: {verify: all}\n", dir: TempDir()).search)
        #expect(all.verifyCount(front: 250) == 250)
        let obj = try JSONSerialization.jsonObject(with: Data(try spec("blocks: [2]\n", dir: TempDir()).resolvedJSON.utf8)) as? [String: Any]
        #expect(obj?.keys.contains("search") == false)
    }

    @Test func everyBadValueIsListedOnItsLine() {
        let found = specIssues("""
            blocks: [2]
            search:
              size: 0
              blocks: 40
              choices: [2, 2, 17]
              per: row
              budget: [bitops<=lots, speed<=2]
              verify: some
              images: 0
              colour: red
            """)
        func on(_ line: Int, _ fragment: String) -> Bool {
            found.contains { $0.line == line && $0.message.contains(fragment) && $0.file.hasSuffix("spec.yaml") }
        }
        #expect(on(3, "search size 0 is out of range"), "\(found)")
        #expect(on(4, "search blocks 40 is out of range"), "\(found)")
        #expect(on(5, "listed twice"), "\(found)")
        #expect(on(5, "17"), "\(found)")
        #expect(on(6, "search per 'row' is unknown; expected one of block, layer"), "\(found)")
        #expect(on(7, "search budget 'bitops<=lots'"), "\(found)")
        #expect(on(7, "search budget 'speed<=2': unknown kind 'speed'"), "\(found)")
        #expect(on(8, "search verify 'some' is not an integer; expected a count ≥ 0 or all"), "\(found)")
        #expect(on(9, "search images 0 is out of range"), "\(found)")
        #expect(on(10, "colour"), "\(found)")
        #expect(found.count == 10, "\(found)")
    }

    @Test func aSearchThatIsNotAMappingIsAnError() {
        let found = specIssues("search: [2, 4]\n")
        #expect(found.count == 1 && found.first?.line == 1 && found.first?.message.contains("search must be a mapping") == true, "\(found)")
    }
}
