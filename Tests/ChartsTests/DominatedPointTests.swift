import BitOpsCore
import Foundation
import Testing
@testable import Charts

/// Dominated cost–quality points are hollow markers in their precision's colour at full strength, front points
/// filled; a colour always means what the legend says. (Faded to 40 %, a dominated 8-bit point's blue read as
/// the 3-bit sky blue.)
struct DominatedPointTests {
    static let colors = PrecisionColors(groups: [("8", .bits(8)), ("4", .bits(4)), ("3", .bits(3))])
    /// By hand: a, b and d each beat every case cheaper than them; c costs more than b and is worse (dominated
    /// by b), e costs more than d and is worse (dominated by d).
    static let points = [
        CostQualityPoint(label: "a", cost: 1e6, quality: 10, group: "3"),
        CostQualityPoint(label: "b", cost: 2e6, quality: 20, group: "4"),
        CostQualityPoint(label: "c", cost: 3e6, quality: 15, group: "4"),
        CostQualityPoint(label: "d", cost: 4e6, quality: 30, group: "8"),
        CostQualityPoint(label: "e", cost: 5e6, quality: 25, group: "8"),
    ]

    static func scatter(_ spec: ChartSpec) throws -> [ScatterPoint] {
        let marks = spec.marks.compactMap { if case let .points(p) = $0 { return p } else { return nil } }
        return try #require(marks.first).points
    }

    static func kindEntries(_ spec: ChartSpec) -> [LegendEntry] {
        spec.legend.entries.filter {
            [ChartKinds.onFrontLabel, ChartKinds.onAFrontLabel, ChartKinds.dominatedLabel].contains($0.label)
        }
    }

    @Test func fillFollowsFrontMembershipAndColourIsTheLegends() throws {
        let spec = try ChartKinds.costQuality(title: nil, points: Self.points, colors: Self.colors)
        let p = try Self.scatter(spec)
        #expect(p.map(\.fill) == [.filled, .filled, .hollow, .filled, .hollow])
        // Every point, dominated or not, has exactly its group's legend colour, opaque.
        for (q, source) in zip(p, Self.points) {
            let entry = try #require(spec.legend.entries.first { $0.label == source.group })
            #expect(q.color == entry.color && q.color.alpha == 1, "\(source.label)")
        }
        // The dominated 8-bit case is the 8-bit blue, not something nearer the 3-bit sky blue.
        #expect(p[4].color == OkabeIto.blue && Self.colors.color(for: "3") == OkabeIto.skyBlue)
        // The legend explains the two kinds, filled then hollow, in a neutral grey.
        let kinds = Self.kindEntries(spec)
        #expect(kinds.map(\.label) == [ChartKinds.onFrontLabel, ChartKinds.dominatedLabel])
        #expect(kinds.map(\.symbol) == [.marker(.circle), .hollowMarker(.circle)])
        #expect(kinds.allSatisfy { $0.color.alpha == 1 })
    }

    @Test func theFilledAndHollowEntriesAppearOnlyWithBothKinds() throws {
        // Every case on the front (cost and quality both increasing): all filled, no entry for either kind.
        let front = [Self.points[0], Self.points[1], Self.points[3]]
        let all = try ChartKinds.costQuality(title: nil, points: front, colors: Self.colors)
        #expect(try Self.scatter(all).allSatisfy { $0.fill == .filled })
        #expect(Self.kindEntries(all).isEmpty)
        #expect(!all.legend.entries.contains { if case .hollowMarker = $0.symbol { return true } else { return false } })
        // One case: on its own front.
        let one = try ChartKinds.costQuality(title: nil, points: [Self.points[4]], colors: Self.colors)
        #expect(try Self.scatter(one).map(\.fill) == [.filled] && Self.kindEntries(one).isEmpty)
        // Two network shapes, one dominated case: "on a Pareto front" (each shape has its own).
        var shaped = Self.points
        for i in shaped.indices { shaped[i].shape = i < 2 ? "2 blocks" : "3 blocks" }
        let two = try ChartKinds.costQuality(title: nil, points: shaped, colors: Self.colors)
        // Shape "3 blocks" (c, d, e): c is now the cheapest of its shape (on its front), e is dominated by d.
        #expect(try Self.scatter(two).map(\.fill) == [.filled, .filled, .filled, .filled, .hollow])
        #expect(Self.kindEntries(two).map(\.label) == [ChartKinds.onAFrontLabel, ChartKinds.dominatedLabel])
    }

    /// As drawn (a recording renderer, no pixels): a hollow marker is a white inside and an outline of its
    /// group's colour; nothing in the points or the legend is translucent.
    @Test func hollowMarkersAreDrawnAsOutlinesInFullColour() throws {
        let spec = try ChartKinds.costQuality(title: nil, points: Self.points, colors: Self.colors)
        let (r, _, _) = try record(spec)
        var fills: [String: [Color]] = [:], strokes: [String: [StrokeStyle]] = [:]
        for c in r.commands {
            switch c {
            case let .fill(_, color, groups): fills[groups.last ?? "", default: []].append(color)
            case let .stroke(_, style, groups): strokes[groups.last ?? "", default: []].append(style)
            default: break
            }
        }
        for group in ["points", "legend"] {
            // (The legend's box, when it sits inside the plot, is a translucent white: not a symbol.)
            let symbols = (fills[group] ?? []).filter { !($0.red == 1 && $0.green == 1 && $0.blue == 1 && $0.alpha < 1) }
            #expect(symbols.allSatisfy { $0.alpha == 1 }, "\(group)")
            #expect((strokes[group] ?? []).allSatisfy { $0.color.alpha == 1 }, "\(group)")
        }
        // Hollow first (c, e in input order), then the filled a, b, d: the filled ones sit on top.
        let outlines = (strokes["points"] ?? []).filter { $0.width == MarkPainter.hollowWidth }
        #expect(outlines.map(\.color) == [OkabeIto.orange, OkabeIto.blue])
        #expect(fills["points"] == [.white, .white, OkabeIto.skyBlue, OkabeIto.orange, OkabeIto.blue])
        // The legend's hollow entry: a white inside and a grey outline.
        #expect((strokes["legend"] ?? []).contains { $0.width == MarkPainter.hollowWidth && $0.color == .grey(0.35) })
    }

    /// A light colour (5-bit yellow) keeps a darker rim when hollow, as its filled marker has a darker edge:
    /// a thin yellow ring alone would vanish on white paper.
    @Test func aLightHollowMarkerGetsADarkerRim() throws {
        let colors = PrecisionColors(groups: [("5", .bits(5)), ("8", .bits(8))])
        let pts = [CostQualityPoint(label: "a", cost: 1e6, quality: 30, group: "8"),
                   CostQualityPoint(label: "b", cost: 2e6, quality: 10, group: "5")]
        let (r, _, _) = try record(try ChartKinds.costQuality(title: nil, points: pts, colors: colors))
        let strokes = r.commands.compactMap { c -> StrokeStyle? in
            if case let .stroke(_, s, groups) = c, groups.last == "points" { return s } else { return nil }
        }
        let yellow = OkabeIto.yellow
        #expect(yellow.relativeLuminance > 0.5)
        #expect(strokes.contains { $0.color == yellow && $0.width == MarkPainter.hollowWidth })
        #expect(strokes.contains { $0.color == Color.mix(yellow, .black, 0.45) })
    }
}
