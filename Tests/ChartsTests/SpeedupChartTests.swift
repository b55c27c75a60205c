import Foundation
import Testing
@testable import Charts

/// `ChartKinds.speedup`: predicted against measured speed-up, marked by the kernels that ran.
struct SpeedupChartTests {
    let points = [
        SpeedupPoint(label: "#1", predicted: 4, measured: 0.98, group: "8", integer: false),
        SpeedupPoint(label: "#2", predicted: 8, measured: 1.02, group: "4", integer: false),
        SpeedupPoint(label: "#3", predicted: 4, measured: 2.6, group: "8", integer: true),
        SpeedupPoint(label: "#4", predicted: 16, measured: 2.5, group: "2", integer: true),
    ]

    @Test func theIdentityLineSpansTheDataAndMarkersSayWhichKernelsRan() throws {
        let spec = try ChartKinds.speedup(title: "s", points: points)
        #expect(spec.x.scale == .log && spec.y.scale == .log)
        var identity: LineMark?
        var scatter: PointMark?
        for m in spec.marks {
            if case .line(let l) = m { identity = l }
            if case .points(let p) = m { scatter = p }
        }
        // From the smallest value (0.98, measured) to the largest (16, predicted).
        #expect(identity?.points == [DataPoint(0.98, 0.98), DataPoint(16, 16)])
        #expect(scatter?.points.map(\.marker) == [.circle, .circle, .diamond, .diamond])
        #expect(scatter?.points.map(\.x) == [4, 8, 4, 16])
        #expect(scatter?.points.map(\.y) == [0.98, 1.02, 2.6, 2.5])
        #expect(spec.legend.entries.map(\.label) == ["8", "4", "2", "int8 kernels", "float kernels, simulated quantization", "y = x (as BitOps predict)"])
        let (r, _, rect) = try record(spec)
        #expect(r.overlappingTexts().isEmpty, "\(r.overlappingTexts())")
        for t in r.texts { #expect(rect.contains(t.box, tolerance: 0.01), "\"\(t.text)\" leaves the figure") }
        #expect(r.texts.contains { $0.text.contains("predicted speed-up") })
        #expect(r.texts.contains { $0.text.contains("measured speed-up") })
    }

    @Test func onlyTheKernelsPresentAreInTheLegend() throws {
        let spec = try ChartKinds.speedup(title: nil, points: Array(points.prefix(2)))
        #expect(!spec.legend.entries.contains { $0.label == "int8 kernels" })
        #expect(spec.legend.entries.contains { $0.label == "float kernels, simulated quantization" })
    }

    @Test func int8PointsAreDrawnOverFloatOnes() throws {
        let spec = try ChartKinds.speedup(title: nil, points: [points[2], points[0], points[3], points[1]])
        let scatter = spec.marks.compactMap { m -> PointMark? in if case .points(let p) = m { return p } else { return nil } }.first
        #expect(scatter?.points.map(\.marker) == [.circle, .circle, .diamond, .diamond])
        #expect(scatter?.points.map(\.y) == [0.98, 1.02, 2.6, 2.5])
    }

    @Test func badInputIsRefused() {
        #expect(throws: ChartError.empty("speed-up chart has no points")) { try ChartKinds.speedup(title: nil, points: []) }
        #expect(throws: ChartError.self) {
            try ChartKinds.speedup(title: nil, points: [SpeedupPoint(label: "x", predicted: 0, measured: 1, integer: true)])
        }
        #expect(throws: ChartError.self) {
            try ChartKinds.speedup(title: nil, points: [SpeedupPoint(label: "x", predicted: 2, measured: .infinity, integer: true)])
        }
    }
}
