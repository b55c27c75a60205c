import BitOpsCore
import Charts
import Foundation
import Results
import Testing
@testable import Reports

/// `chart: speedup` in the default template and the summary's note on which kernels the times come from.
@Suite struct SpeedupSectionTests {
    /// Seed, 2 blocks, size 32: the float case (16 ms), 8-bit weights on float kernels (15 ms), 8-bit weights
    /// and activations on int8 kernels (6 ms), 4-bit weights and 8-bit activations on int8 kernels (6.4 ms), and
    /// a 4-bit case at size 64 that has no float case of its size.
    static func results() throws -> ResultsSet {
        func make(_ w: BitWidth, _ a: BitWidth, size: Int, ms: Double, int8: Int) throws -> CaseResult {
            let spec = try Preset.seed.network(PresetOptions(blocks: 2, bits: .uniform(w), actBits: .uniform(a)))
            let config = CaseConfig(family: "seed", size: size, blocks: 2,
                                    weightPrecision: try PrecisionPolicy.uniform(w).resolving(blocks: 2),
                                    actPrecision: try PrecisionPolicy.uniform(a).resolving(blocks: 2),
                                    classifierBits: spec.classifierBits, convention: .weight)
            let images = Fixture.images(bits: 8, blocks: 2, size: size)
            let layers = ["block0.depthwise", "block0.pointwise", "block1.depthwise", "block1.pointwise", "pool", "classifier"]
                .enumerated().map { KernelUse.Layer(layer: $1, kernel: $0 >= 1 && $0 <= int8 ? .int8 : .float) }
            return CaseResult(id: Fixture.caseID(config.label), index: 0, config: config, cost: try spec.cost(inputSize: size),
                              images: images, fidelity: FidelitySummary(images: images),
                              timings: CaseTimings(buildMs: 1, msPerImage: ms, imagesPerSecond: 1000 / ms, totalMs: 10),
                              kernels: KernelUse(requested: .auto, layers: layers, narrowWeights: w < 8))
        }
        var cases = [try make(.float, .float, size: 32, ms: 16, int8: 0), try make(8, .float, size: 32, ms: 15, int8: 0),
                     try make(8, 8, size: 32, ms: 6, int8: 3), try make(4, 8, size: 32, ms: 6.4, int8: 3),
                     try make(4, 8, size: 64, ms: 20, int8: 3)]
        for i in cases.indices { cases[i].index = i }
        return ResultsSet(name: "speedup", cases: cases, skippedImages: [])
    }

    @Test func ratiosComeFromTheFloatCaseOfTheSameSettings() throws {
        let set = try Self.results()
        let rows = SpeedupCell.points(set.cases, references: set.cases)
        #expect(rows.map(\.c.index) == [1, 2, 3])
        // Weight convention: BitOps are Σ MACs × weight bits over the layers (an independent formula); a little
        // under 32/8 and 32/4, since the classifier keeps its own bits.
        func bitops(_ c: CaseResult) -> Double { c.cost.layers.reduce(0.0) { $0 + Double($1.macs) * Double($1.weightBits.countedBits) } }
        let independent: [Double] = [1, 2, 3].map { bitops(set.cases[0]) / bitops(set.cases[$0]) }
        #expect(rows.map(\.predicted) == independent)
        #expect(rows.allSatisfy { $0.predicted > 3.9 } && rows[2].predicted > 7.9 && rows[2].predicted < 8)
        let measured: [Double] = [16.0 / 15, 16.0 / 6, 16.0 / 6.4]
        #expect(rows.map(\.measured) == measured)
        #expect(rows.map(\.integer) == [false, true, true])
    }

    /// `kernels: [float, integer]`: the float case exists only under `float` (`integer` cannot run a network
    /// with no int8 layer), so the integer cases' reference is the float case of the other kernel choice.
    @Test func integerCasesFindTheFloatCaseOfAnotherKernelChoice() throws {
        var set = try Self.results()
        set.cases[0].config.kernels = .float
        for i in 1..<set.cases.count { set.cases[i].config.kernels = .integer }
        let rows = SpeedupCell.points(set.cases, references: set.cases)
        #expect(rows.map(\.c.index) == [1, 2, 3])
        let measured: [Double] = [16.0 / 15, 16.0 / 6, 16.0 / 6.4]
        #expect(rows.map(\.measured) == measured)
    }

    @Test func theDefaultReportDrawsItAndSaysWhichKernelsRan() throws {
        let set = try Self.results()
        let doc = try CellExecutor(results: set, run: Fixture.runInfo(), resultsDirLabel: "r", templateLabel: "t", reportCommand: ["x"])
            .execute(Template.defaultTemplate())
        let figure = try #require(doc.figures.first { $0.fileStem.hasPrefix("speedup") })
        #expect(figure.caption.contains("1 configuration on float kernels, simulated quantization"))
        #expect(figure.caption.contains("2 configurations on int8 kernels"))
        #expect(figure.caption.contains("Sub-8-bit weights execute as int8"))
        #expect(figure.caption.contains("1 case without a float case"))
        #expect(figure.spec.legend.entries.map(\.label).contains("int8 kernels"))
        let md = MarkdownWriter().markdown(doc)
        #expect(md.contains("## Predicted and measured speed-up"))
        #expect(md.contains("Times per image: 3 cases on int8 kernels"))
        #expect(md.contains("2 cases on float kernels, simulated quantization"))
        // The summary table gets a kernels column when the cases differ in it.
        #expect(md.contains("| kernels |"))
    }

    @Test func withoutAFloatCaseTheSectionSaysSo() throws {
        var set = try Self.results()
        set.cases.removeFirst()
        let doc = try CellExecutor(results: set, run: Fixture.runInfo(), resultsDirLabel: "r", templateLabel: "t", reportCommand: ["x"])
            .execute(Template.defaultTemplate())
        #expect(!doc.figures.contains { $0.fileStem.hasPrefix("speedup") })
        #expect(MarkdownWriter().markdown(doc).contains("no speed-up chart"))
    }
}
