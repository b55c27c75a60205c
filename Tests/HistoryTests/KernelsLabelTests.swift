import BitOpsCore
import Foundation
import Results
import Testing
@testable import History

/// The history records which kernels each timed case ran on (schema v2) and time charts say it in their title.
@Suite struct HistoryKernelsLabelTests {
    static let int8 = KernelUse(requested: .auto, layers: [.init(layer: "block0.pointwise", kernel: .int8)], narrowWeights: false)

    /// Night `night` with both cases on int8 kernels (Nights.write's cases have no record: they count as float).
    static func writeInt8(_ dir: String, night: Int) throws {
        try Nights.write(dir, night: night)
        var set = try ResultsStore.load(dir)
        for i in set.cases.indices { set.cases[i].kernels = Self.int8 }
        try ResultsStore.write(set, to: dir)
    }

    @Test func timeChartsNameTheKernelsOfTheirTimings() throws {
        let t = Temp()
        try Nights.write(t.sub("n1"), night: 1)
        try Self.writeInt8(t.sub("n2"), night: 2)
        try Self.writeInt8(t.sub("n3"), night: 3)
        let db = try HistoryDatabase(path: t.sub("h.sqlite"), create: true)
        _ = try db.add([try HistoryDatabase.load(t.sub("n1")), try HistoryDatabase.load(t.sub("n2")), try HistoryDatabase.load(t.sub("n3"))])
        let series = try db.series(metrics: [.msPerImage, .bitops])
        let time = series.filter { $0.metric == .msPerImage }
        #expect(time.count == 2 && time.allSatisfy { $0.points.map(\.kernels) == ["float", "int8", "int8"] })
        let options = HistoryOptions()
        let mixed = try HistoryCharts.trend(series, metric: .msPerImage, runs: 3, options: options)
        #expect(mixed.title == "ms_per_image over 3 runs, int8 and float kernels")
        let recent = series.map { s in var s = s; s.points.removeFirst(); return s }
        #expect(try HistoryCharts.trend(recent, metric: .msPerImage, runs: 2, options: options).title == "ms_per_image over 2 runs, int8 kernels")
        // Counts do not depend on kernels: no label.
        #expect(try HistoryCharts.trend(series, metric: .bitops, runs: 3, options: options).title == "bitops over 3 runs")
        // A run added before the record existed (NULL) is said to be unrecorded.
        let old = series.map { s in var s = s; s.points[0].kernels = nil; return s }
        #expect(try HistoryCharts.trend(old, metric: .msPerImage, runs: 3, options: options).title
                == "ms_per_image over 3 runs, int8 kernels (not recorded for older runs)")
    }
}
