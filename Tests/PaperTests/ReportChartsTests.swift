import BitOpsCore
import Charts
import Foundation
import Results
import Testing
@testable import Reports

/// The default report's charts as a reader needs them: the layer-by-layer section charts the mixed-precision
/// cases too (not only the first, float, case of each shape) on a log axis, and the cost–quality chart has one
/// step-line front per network shape.
@Suite struct ReportChartsTests {
    static func document(_ template: String) throws -> (ReportDocument, ResultsSet) {
        let (set, run, _) = try DefaultReport.results()
        let ex = CellExecutor(results: set, run: run, resultsDirLabel: "r", templateLabel: "t", reportCommand: ["bitsweep"])
        return (try ex.execute(try Template.parse(template, file: "t.md")), set)
    }

    @Test func layerChartsCoverEveryShapeAndEveryMixedPolicy() throws {
        let (doc, set) = try Self.document("```bitsweep\ntable: layers\n```")
        let blocks = doc.cells[0].blocks
        let charts = blocks.compactMap { b -> Figure? in if case let .figure(f) = b { return f }; return nil }
        // Per block count: the first case, then the first of each mixed policy with that block count
        // (first-last(8,2) everywhere, 8,4,2,4,8 only with 5 blocks).
        let expected = Set(set.cases.map(\.config.blocks)).count
            + Set(set.cases.filter { $0.config.weightPrecision.policy.uniformWidth == nil }
                .map { "\($0.config.blocks)|\($0.config.weightPrecision)" }).count
        #expect(charts.count == expected && expected == 7)
        #expect(charts.contains { $0.fileStem.contains("w8-4-2-4-8") } && charts.contains { $0.fileStem.contains("wfl8-2") })
        for f in charts { #expect(f.spec.y.scale == .log, "\(f.fileStem) is not on a log axis") }
        // A mixed case names each block's bits under its bar.
        let mixed = try #require(charts.first { $0.fileStem.contains("w8-4-2-4-8") })
        #expect(mixed.spec.x.categories?.prefix(5) == ["B0 8b", "B1 4b", "B2 2b", "B3 4b", "B4 8b"])
        // The PDF prints the block tables of the charted cases only.
        let printed = blocks.filter { if case .details(_, _, true) = $0 { return true }; return false }
        #expect(printed.count == charts.count)
        #expect(blocks.filter { if case .details = $0 { return true }; return false }.count == set.cases.count)
    }

    @Test func layerChartScaleIsSelectable() throws {
        for (scale, kind) in [("linear", AxisScale.linear), ("share", AxisScale.linear), ("log", AxisScale.log)] {
            let (doc, _) = try Self.document("```bitsweep\nchart: layerwise\ncases: first\nscale: \(scale)\n```")
            guard case let .figure(f)? = doc.cells[0].blocks.first else { Issue.record("no figure"); continue }
            #expect(f.spec.y.scale == kind)
            #expect(f.spec.y.format == (scale == "share" ? .percent : .si))
        }
        #expect(throws: TemplateError.self) { try Template.parse("```bitsweep\nchart: layerwise\nscale: sqrt\n```", file: "t.md") }
        // A template written before `scale` still reads: `shares: true` is the share view, `false` the stacked one.
        for (shares, format) in [("true", NumberFormat.percent), ("false", .si)] {
            let (doc, _) = try Self.document("```bitsweep\nchart: layerwise\ncases: first\nshares: \(shares)\n```")
            guard case let .figure(f)? = doc.cells[0].blocks.first else { Issue.record("no figure"); continue }
            #expect(f.spec.y.scale == .linear && f.spec.y.format == format)
        }
    }

    @Test func costQualityHasOneStepFrontPerNetworkShape() throws {
        let (doc, _) = try Self.document("```bitsweep\nchart: cost-quality\n```")
        guard case let .figure(f)? = doc.cells[0].blocks.first else { Issue.record("no figure"); return }
        let lines = f.spec.marks.compactMap { if case let .line(l) = $0 { return l } else { return nil } }
        #expect(lines.map(\.name) == ["front: 3 blocks", "front: 4 blocks", "front: 5 blocks"])
        for l in lines {
            for (a, b) in zip(l.points, l.points.dropFirst()) { #expect(a.x == b.x || a.y == b.y, "\(l.name): a diagonal") }
        }
        // Mixed-precision cases are squares in their own colours, and named in the legend.
        let marks = f.spec.marks.compactMap { m -> PointMark? in if case let .points(p) = m { return p } else { return nil } }
        let pts: [ScatterPoint] = marks.first?.points ?? []
        #expect(pts.contains { $0.marker == MarkerShape.square })
        #expect(f.spec.legend.entries.contains { $0.label == "first-last(8,2)" && $0.symbol == .marker(.square) })
    }
}
