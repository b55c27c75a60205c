import Analysis
import BitOpsCore
import Foundation
import Results
import Testing
import Reports

/// The delta-time heatmap says which kernels the timings on each side came from.
@Suite struct TimingKernelsLabelTests {
    static let int8 = KernelUse(requested: .auto, layers: [.init(layer: "block0.depthwise", kernel: .int8)], narrowWeights: false)
    static let float = KernelUse(requested: .float, layers: [.init(layer: "block0.depthwise", kernel: .float)], narrowWeights: false)

    static func chart(_ base: ResultsSet, _ current: ResultsSet) throws -> NamedChart {
        let charts = try compare(baseline: base, current: current).deltaCharts(baseline: base, current: current)
        return try #require(charts.first { $0.name == "delta-time" })
    }

    @Test func titleAndCaptionNameTheKernels() throws {
        // No kernel record (files before integer kernels) counts as float.
        let plain = try Self.chart(try Fixture.grid(), try CompareTests.withTime(2))
        #expect(plain.spec.title == "Time per image: current / baseline, float kernels")
        #expect(plain.title.hasSuffix("(timings on float kernels, simulated quantization)"))
        let int8 = try Fixture.grid { $0.kernels = Self.int8 }
        let both = try Self.chart(int8, int8)
        #expect(both.spec.title == "Time per image: current / baseline, int8 kernels")
        let float = try Fixture.grid { $0.kernels = Self.float }
        let changed = try Self.chart(float, int8)
        #expect(changed.spec.title == "Time per image: current (int8 kernels) / baseline (float kernels)")
        #expect(changed.title.hasSuffix("(timings: current on int8 kernels, baseline on float kernels, simulated quantization)"))
        var mixed = 0
        let some = try Fixture.grid { c in
            mixed += 1
            c.kernels = mixed % 2 == 0 ? Self.int8 : Self.float
        }
        #expect(try Self.chart(some, some).spec.title == "Time per image: current / baseline, int8 + float kernels")
    }
}
