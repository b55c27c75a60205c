import BitOpsCore
import Foundation
import MixedPrecision

/// A sweep spec's `search:` section: after the grid, `bitsweep sweep` runs a mixed-precision search (as
/// `bitsweep search` does) on the spec's network and images, stores it in the results folder (`search.json`,
/// `search.csv`) and the report gets a "Mixed-precision search" section. The keys are named as the options of
/// `bitsweep search`:
///
/// ```yaml
/// search:
///   size: 32            # image size (default: the first of `sizes`)
///   blocks: 5           # blocks of the network (default: the largest of `blocks`)
///   choices: [2, 4, 8]  # weight bit-widths each unit may take (default 2, 4, 8)
///   per: block          # block | layer (default block)
///   budget: [bitops<=20M, weights<=64KiB]   # optional limits, as --budget
///   verify: all         # front points to run: a count, or all (default: all, at most 100)
///   images: 2           # the first N images of the sweep's images folder (default: all)
///   convention: weight  # BitOps convention (default: the first of `conventions`)
/// ```
public struct SweepSearchSpec: Hashable, Sendable {
    public var origin: SpecOrigin
    public var size: Int
    public var blocks: Int
    public var choices: [BitWidth]
    public var per: SearchGranularity
    public var budgets: [SearchBudget]
    /// Front points to run: nil = all, at most `defaultVerify`; `Int.max` = all.
    public var verify: Int?
    /// The first N images of the sweep's folder; nil = all.
    public var images: Int?
    public var convention: BitOpsConvention

    public static let defaultChoices: [BitWidth] = [.bits(2), .bits(4), .bits(8)]
    public static let defaultVerify = 100

    /// How many of a front of `n` points to run.
    public func verifyCount(front n: Int) -> Int { min(n, verify ?? Self.defaultVerify) }

    /// As recorded in the resolved spec (run.json).
    public var plain: PlainValue {
        .map([("size", .int(size)), ("blocks", .int(blocks)), ("choices", .list(choices.map(\.plain))),
              ("per", .string(per.rawValue)), ("budget", .list(budgets.map { .string($0.text) })),
              ("verify", verify.map { $0 == .max ? .string("all") : .int($0) } ?? .null),
              ("images", images.map { .int($0) } ?? .null), ("convention", .string(convention.rawValue))])
    }
}

extension SweepSpecReader {
    static let searchKeys = ["size", "blocks", "choices", "per", "budget", "verify", "images", "convention"]

    /// `search:`: every value checked here (problems in the nodes' diagnostics, with their lines).
    struct SearchSection {
        var search: SweepSearchSpec?

        init(_ s: SpecNodes, axes: AxesSection) {
            guard let node = s.top["search"], let m = node.mapping("search", allowed: searchKeys) else { return }
            var ok = true
            func take<T>(_ v: T?) -> T? { if v == nil { ok = false }; return v }
            var size = axes.sizes.first?.value ?? 32
            if let n = m["size"] { size = take(n.int("search size", in: 1...16384, expected: "a size in pixels, 1–16384")) ?? size }
            var blocks = axes.blocks.map(\.value).max() ?? 1
            if let n = m["blocks"] {
                let range = axes.blockRange
                blocks = take(n.int("search blocks", in: range, expected: "\(axes.blocksWhat), \(range.lowerBound)–\(range.upperBound)")) ?? blocks
            }
            var choices = SweepSearchSpec.defaultChoices
            if let n = m["choices"] {
                let items = n.isSequence ? (n.list("search choices") ?? []) : [n]
                var list: [BitWidth] = []
                for i in items {
                    guard let b = take(i.bits("search choices entry")) else { continue }
                    if list.contains(b) {
                        i.diagnostics.error("search choices: \(b) is listed twice; each bit-width must appear once", at: i)
                        ok = false
                    }
                    list.append(b)
                }
                if items.isEmpty {
                    n.diagnostics.error("search choices: the list is empty; expected bit-widths such as [2, 4, 8]", at: n)
                    ok = false
                }
                choices = list
            }
            var per = SearchGranularity.block
            if let n = m["per"], let t = take(n.string("search per")) {
                if let g = SearchGranularity(rawValue: t) { per = g } else {
                    n.diagnostics.error("search per '\(t)' is unknown; expected one of \(SearchGranularity.allCases.map(\.rawValue).joined(separator: ", "))", at: n)
                    ok = false
                }
            }
            var budgets: [SearchBudget] = []
            if let n = m["budget"] {
                for i in n.isSequence ? (n.list("search budget") ?? []) : [n] {
                    guard let t = take(i.string("search budget")) else { continue }
                    do { budgets.append(try SearchBudgetText.parse(t)) } catch let e as SearchBudgetText.Problem {
                        i.diagnostics.error("search budget '\(t)': \(e.message)", at: i)
                        ok = false
                    } catch {
                        ok = false
                    }
                }
            }
            var verify: Int?
            if let n = m["verify"] {
                if n.isScalar, n.scalarText("search verify") == "all" { verify = .max } else {
                    verify = take(n.int("search verify", in: 0...Int(Int32.max), expected: "a count ≥ 0 or all"))
                }
            }
            var images: Int?
            if let n = m["images"] { images = take(n.int("search images", in: 1...1_000_000, expected: "how many of the images folder's images, ≥ 1")) }
            var conv = axes.conventions.first?.value ?? .weight
            if let n = m["convention"] { conv = take(SweepSpecReader.convention(n, "search convention")) ?? conv }
            guard ok else { return }
            search = SweepSearchSpec(origin: s.origin(node), size: size, blocks: blocks, choices: choices, per: per, budgets: budgets,
                                     verify: verify, images: images, convention: conv)
        }
    }
}
