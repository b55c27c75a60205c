import BitOpsCore
import Foundation
import Results

/// Result sets built from real `BitOpsCore` costs with fixed synthetic fidelity and timings.
enum Fixture {
    static let images = ["a.png", "b.jpg", "c.png", "d.png"]

    /// One seed case. `bits` is what the precision named resolved to; `sqnr` one value per image (nil = exact).
    static func seedCase(index: Int, size: Int, blocks: Int = 3, precision: PrecisionPolicy, bits: [BitWidth],
                         sqnr: [Double?] = [30, 31, 32, 33], agree: [Bool] = [true, true, true, true],
                         cosine: Double = 0.999, ms: Double? = 2.0, convention: BitOpsConvention = .weight,
                         error: String? = nil) throws -> CaseResult {
        let net = try Preset.seed.network(PresetOptions(blocks: blocks, bits: .perBlock(bits)))
        let cost = try net.cost(inputSize: size, convention: convention)
        let config = CaseConfig(family: "seed", size: size, blocks: blocks,
                                weightPrecision: ResolvedPrecision(policy: precision, blocks: bits),
                                actPrecision: ResolvedPrecision(policy: .uniform(.float), blocks: Array(repeating: .float, count: blocks)),
                                classifierBits: .float, convention: convention)
        let imgs = zip(images, zip(sqnr, agree)).map { file, v in
            ImageResult(file: file, top1: 1, top5: [1, 2, 3, 4, 5], logits: [0.5, 0.25], sqnrDB: v.0, cosine: cosine,
                        top1Agree: v.1, blockSQNR: [])
        }
        let timings = ms.map { CaseTimings(buildMs: 3, msPerImage: $0, imagesPerSecond: 1000 / $0, totalMs: $0 * 4 + 3) }
        return CaseResult(id: "case-\(size)-\(precision)-\(bits.map(\.description).joined())", index: index, config: config,
                          cost: cost, images: error == nil ? imgs : [], fidelity: error == nil ? FidelitySummary(images: imgs) : nil,
                          timings: error == nil ? timings : nil, error: error)
    }

    /// The precisions of the fixture grid and what each resolves to for 3 blocks.
    static let precisions: [(name: PrecisionPolicy, bits: [BitWidth])] = [
        (.uniform(8), [8, 8, 8]), (.uniform(4), [4, 4, 4]), (.firstLast(edge: 8, inner: 4), [8, 4, 8]),
    ]
    static let sizes = [16, 32]

    /// A 2 sizes × 3 precisions grid. SQNR grows with the bit-width, timings are 2 ms.
    static func grid(name: String = "nightly", transform: (inout CaseResult) throws -> Void = { _ in }) throws -> ResultsSet {
        var cases: [CaseResult] = []
        for size in sizes {
            for p in precisions {
                let base = Double(p.bits.map(\.countedBits).reduce(0, +)) * 2
                var c = try seedCase(index: cases.count, size: size, precision: p.name, bits: p.bits,
                                     sqnr: [base, base + 1, base + 2, base + 3])
                try transform(&c)
                cases.append(c)
            }
        }
        return ResultsSet(name: name, cases: cases, skippedImages: [])
    }
}
