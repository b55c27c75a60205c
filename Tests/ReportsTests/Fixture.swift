import BitOpsCore
import Foundation
import Results
@testable import Reports

/// A small, fixed results set: real counts from BitOpsCore (seed preset) and synthetic fidelity and timing
/// numbers chosen here, so the golden report depends on nothing but this file and the code under test.
enum Fixture {
    static let sizes = [32, 64]
    static let blockCounts = [2, 3]
    static let precisions = ["8", "4"]

    /// A stable fake case id: FNV-1a of the label, 16 hex digits.
    static func caseID(_ label: String) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in label.utf8 { h ^= UInt64(b); h = h &* 0x100_0000_01b3 }
        let s = String(h, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    /// Synthetic fidelity: about 6 dB per bit, a little less per extra block; one image disagrees at 4 bits.
    static func images(bits: Int, blocks: Int, size: Int) -> [ImageResult] {
        ["cat.png", "dog.jpg"].enumerated().map { i, file in
            let sqnr = 6.0 * Double(bits) - Double(blocks) - 0.5 * Double(i) + Double(size) / 64
            let agree = !(bits == 4 && i == 1)
            return ImageResult(file: file, top1: agree ? 3 : 5, top5: [3, 5, 1, 0, 2], logits: [0.5, -0.25],
                               sqnrDB: sqnr, cosine: 1 - pow(10, -sqnr / 10), top1Agree: agree,
                               blockSQNR: Array(repeating: sqnr + 3, count: blocks))
        }
    }

    static func results(name: String = "fixture") throws -> ResultsSet {
        var cases: [CaseResult] = []
        for size in sizes {
            for n in blockCounts {
                for p in precisions {
                    let bits = Int(p)!
                    let spec = try Preset.seed.network(PresetOptions(blocks: n, bits: .uniform(.bits(bits))))
                    let cost = try spec.cost(inputSize: size, convention: .weight)
                    let config = CaseConfig(family: "seed", size: size, blocks: n,
                                            weightPrecision: try PrecisionPolicy.uniform(.bits(bits)).resolving(blocks: n),
                                            actPrecision: try PrecisionPolicy.uniform(.float).resolving(blocks: n),
                                            classifierBits: .float, convention: .weight)
                    let imgs = images(bits: bits, blocks: n, size: size)
                    let timings = CaseTimings(buildMs: 1.5, msPerImage: 0.25 * Double(n) * Double(size) / 32,
                                              imagesPerSecond: 128 / (Double(n) * Double(size) / 32), totalMs: 10)
                    cases.append(CaseResult(id: caseID(config.label), index: cases.count, config: config, cost: cost,
                                            images: imgs, fidelity: FidelitySummary(images: imgs), timings: timings))
                }
            }
        }
        return ResultsSet(name: name, cases: cases,
                          skippedImages: [SkippedImage(file: "broken.png", reason: "not a PNG file (bad signature)")])
    }

    static func runInfo() -> RunInfo {
        RunInfo(bitsweepVersion: "0.1.0", engineVersion: "engine-1", gitCommit: "0123456789abcdef0123456789abcdef01234567",
                spec: #"{"name":"fixture","sizes":[32,64],"blocks":[2,3],"precisions":["8","4"]}"#,
                specHash: "5e1f00d", images: ["cat.png": String(repeating: "a", count: 64), "dog.jpg": String(repeating: "b", count: 64)],
                machine: "test-machine (2 cores)", date: "2026-01-02T03:04:05Z",
                commandLine: ["bitsweep", "sweep", "Inputs/fixture.yaml", "--out", "Reports/fixture"])
    }

    /// Writes the fixture results folder into a fresh temporary directory and returns its path.
    static func writeFolder(_ set: ResultsSet? = nil, run: RunInfo? = nil) throws -> String {
        let dir = NSTemporaryDirectory() + "bitsweep-reports-\(UUID().uuidString)"
        try ResultsStore.write(set ?? results(), to: dir)
        try ResultsStore.write(run ?? runInfo(), to: dir)
        return dir
    }

    /// The folder holding this test file (golden files live under `Golden/`).
    static let testsDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().path
}
