import BitOpsCore
import BitSweepConfig
import Foundation
import Results
import Testing
@testable import Sweep

/// Which kernels ran, per case and per layer, and the integer run's SQNR against the simulated run: in
/// results.json and results.csv, and still readable without them.
@Suite struct KernelsResultsTests {
    @Test func theRunnerRecordsTheKernelsAndTheSimulatedSQNRPerCase() throws {
        let d = TempDir()
        _ = d.fakeImages()
        let s = try spec("sizes: [16]\nblocks: [3]\nprecisions: [8]\nact_bits: [32, 8]\nkernels: [float, auto]\n", dir: d)
        var e = FakeEvaluator()
        e.reportsKernels = true
        let out = d.sub("out")
        _ = try run(s, out: out, evaluator: e)
        let set = try ResultsStore.load(out)
        #expect(set.cases.map(\.config.label) == ["seed n=3 s=16 w=8 a=float k=float", "seed n=3 s=16 w=8 a=float k=auto",
                                                  "seed n=3 s=16 w=8 a=8 k=float", "seed n=3 s=16 w=8 a=8 k=auto"])
        #expect(set.cases.map { $0.kernels?.requested } == [.float, .auto, .float, .auto])
        #expect(set.cases.map { $0.kernels?.int8Layers } == [0, 0, 0, 2])
        #expect(set.cases.map { $0.kernels?.summary } == [
            "float kernels, simulated quantization", "float kernels, simulated quantization",
            "float kernels, simulated quantization", "int8 kernels on 2 of 3 layers (float: block0)",
        ])
        // The simulated-run SQNR only where some layer ran int8; its mean and minimum over the images.
        #expect(set.cases[0...2].allSatisfy { $0.fidelity?.simulatedSQNRMean == nil && $0.images.allSatisfy { $0.simulatedSQNR == nil } })
        let integer = set.cases[3]
        let expected = integer.images.map { 40 + Double($0.top1) }
        #expect(integer.images.map(\.simulatedSQNR) == expected)
        #expect(integer.fidelity?.simulatedSQNRMean == expected.reduce(0, +) / Double(expected.count))
        #expect(integer.fidelity?.simulatedSQNRMin == expected.min())

        let csv = try String(contentsOfFile: out + "/results.csv", encoding: .utf8).split(separator: "\n").map(String.init)
        let header = csvFields(csv[0])
        // The kernel columns, then the timing samples as the last column.
        #expect(Array(header.dropLast().suffix(6)) == ["kernels", "int8_layers", "layers", "layer_kernels", "simulated_sqnr_db_mean", "simulated_sqnr_db_min"])
        #expect(header.last == "samples_ms_per_image")
        #expect(header.count == ResultsSet.csvColumns.count + 7)
        let last = Array(csvFields(csv[4]).dropLast())
        #expect(Array(last.suffix(6).prefix(4)) == ["int8 kernels on 2 of 3 layers (float: block0)", "2", "3",
                                                    "block0:float block1:int8 block2:int8"])
        #expect(Double(last[last.count - 1]) == expected.min())
        let first = Array(csvFields(csv[1]).dropLast())
        #expect(Array(first.suffix(6)) == ["\"float kernels, simulated quantization\"", "0", "3", "block0:float block1:float block2:float", "", ""])
    }

    @Test func resultsWithoutKernelsStillRead() throws {
        let dir = repoRoot + "/Tests/AnalysisTests/Fixtures/v1-baseline"
        let set = try ResultsStore.load(dir)
        #expect(!set.cases.isEmpty)
        #expect(set.cases.allSatisfy { $0.kernels == nil && $0.config.kernels == nil && $0.fidelity?.simulatedSQNRMean == nil })
        // Written again, a case without them has no such keys and an empty kernel record in the CSV.
        let json = String(decoding: try ResultsStore.encoder().encode(set), as: UTF8.self)
        #expect(!json.contains("\"kernels\"") && !json.contains("simulated_sqnr"))
        let row = csvFields(set.csv().split(separator: "\n").map(String.init)[1])
        #expect(Array(row.dropLast().suffix(6)) == ["", "", "", "", "", ""])
    }

    @Test func theKernelRecordRoundTripsAndSaysWhatRan() throws {
        let use = KernelUse(requested: .integer, layers: [
            .init(layer: "stem", kernel: .float), .init(layer: "block0.depthwise", kernel: .int8),
            .init(layer: "block0.pointwise", kernel: .int8), .init(layer: "pool", kernel: .float), .init(layer: "classifier", kernel: .float),
        ], narrowWeights: true)
        #expect(use.int8Layers == 2)
        #expect(use.summary == "int8 kernels on 2 of 5 layers (float: stem, pool, classifier); sub-8-bit weights execute as int8")
        let data = try JSONEncoder().encode(use)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        #expect(object["int8_layers"] as? Int == 2)
        #expect(object["layers"] as? Int == 5)
        #expect(object["requested"] as? String == "integer")
        #expect((object["per_layer"] as? [[String: String]])?.map { $0["kernel"]! } == ["float", "int8", "int8", "float", "float"])
        #expect(try JSONDecoder().decode(KernelUse.self, from: data) == use)
        let none = KernelUse(requested: .auto, layers: [.init(layer: "block0", kernel: .float)], narrowWeights: true)
        #expect(none.summary == "float kernels, simulated quantization")
    }
}
