import Foundation
import Testing

/// `--calibrate` on infer, bench, export and in a sweep spec, as a user runs it.
@Suite struct CalibrationCLITests {
    typealias Scratch = ErrorPolicyCLITests.Scratch

    static let expected = "expected fixed, minmax or percentile:P with 0 < P ≤ 100 (e.g. percentile:99.99)"

    @Test func badValuesAreOneLineAndExit2() throws {
        let e = ErrorPolicyCLITests()
        for value in ["percentile:101", "percentile:abc", "minmax2"] {
            try e.expectOneLine(["infer", "--calibrate", value, "Inputs/images"], status: 2,
                                "bitsweep infer: --calibrate '\(value)': \(Self.expected)")
            try e.expectOneLine(["bench", "--calibrate", value], status: 2, "bitsweep bench: --calibrate '\(value)': \(Self.expected)")
            try e.expectOneLine(["export", "--calibrate", value, "--out", "/tmp/never.onnx"], status: 2,
                                "bitsweep export: --calibrate '\(value)': \(Self.expected)")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.onnx"))
        try e.expectOneLine(["export", "--calibrate", "minmax", "--out", "/tmp/never.onnx"], status: 2,
                            "bitsweep export: --calibrate minmax needs --calibration-images: expected PNG or JPEG files or folders of them")
        let s = try Scratch()
        let spec = try s.spec(extra: "act_bits: [4]\nnetwork: {preset: seed, calibrate: 'percentile:101'}\n")
        try e.expectOneLine(["sweep", spec, "--no-report"], status: 2,
                            "\(spec):7: network calibrate 'percentile:101': \(Self.expected)")
    }

    /// Calibrated exports run in ONNX Runtime as infer runs them (Tests/Python/check_calibrated_export.py: 2 act
    /// widths × 2 methods × 2 kernel choices, checker, metadata and agreement each, and for float kernels the
    /// fixed-range model shown to differ, the model read back with --model, and written again as a graph: 36 checks;
    /// then 3 calibrated graph exports — the mnv2-folded fixture at minmax and percentile:99, mobilenet-v2 α 0.35 —
    /// with checker, metadata, QDQ scales against infer's grids, no per-image quantization left, ORT agreement, the
    /// uncalibrated model shown to differ, read back on float and auto kernels, infer --kernels auto against ORT at
    /// infer's own simulated_sqnr_db, written again: 11 checks each).
    @Test func calibratedExportsRunInONNXRuntimeAsInferRunsThem() throws {
        let py = try NotebookAndBrowserTests.python.get()
        let dir = NSTemporaryDirectory() + "bitsweep-calibrated-onnx-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = NotebookAndBrowserTests.run(py, [CLI.packageRoot.path + "/Tests/Python/check_calibrated_export.py", CLI.binary.path, dir])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.contains("69 passed, 0 failed"), "\(r.output)")
    }

    /// infer records the method and per-layer ranges (JSON); calibrated ranges are below 6 and change the
    /// fidelity; percentile:100 equals minmax.
    @Test func inferRecordsTheCalibration() throws {
        func run(_ method: String) throws -> [String: Any] {
            let r = try CLI.run(["infer", "--blocks", "3", "--bits", "8", "--act-bits", "4", "--size", "16", "--calibrate", method,
                                 "--format", "json", "Inputs/images"])
            #expect(r.status == 0, "\(r.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }
        func layers(_ doc: [String: Any]) throws -> [[String: Any]] {
            let c = try #require(doc["calibration"] as? [String: Any])
            return try #require(c["layers"] as? [[String: Any]])
        }
        let fixed = try run("fixed"), minmax = try run("minmax"), p100 = try run("percentile:100")
        #expect((fixed["calibration"] as? [String: Any])?["method"] as? String == "fixed")
        #expect((minmax["calibration"] as? [String: Any])?["method"] as? String == "minmax")
        let fl = try layers(fixed), ml = try layers(minmax)
        #expect(fl.count == 6 && ml.count == 6)   // 3 blocks × (depthwise, pointwise); the seed preset has no stem
        #expect(fl.allSatisfy { ($0["range"] as? Double) == 6 })
        for l in ml {
            let r = try #require(l["range"] as? Double), scale = try #require(l["scale"] as? Double)
            #expect(r > 0 && r <= 6)
            #expect(abs(scale - r / 15) < 1e-6 * r)
        }
        #expect(ml.contains { ($0["range"] as? Double ?? 6) < 6 })
        #expect(try layers(p100).map { $0["range"] as? Double } == ml.map { $0["range"] as? Double })
        func sqnr(_ doc: [String: Any]) -> [Double] {
            (doc["images"] as? [[String: Any]] ?? []).compactMap { ($0["fidelity"] as? [String: Any])?["sqnr_db"] as? Double }
        }
        #expect(sqnr(fixed).count == 5 && sqnr(fixed) != sqnr(minmax))
    }

    /// bench's JSON records the calibration as infer's does (an object: method, layers with range and scale;
    /// `fixed` too); its table line says what the ranges were measured on (uniform noise without --input).
    @Test func benchRecordsTheCalibrationAsInferDoes() throws {
        let base = ["bench", "--blocks", "2", "--bits", "8", "--act-bits", "4", "--size", "16", "--runs", "1", "--warmup", "0"]
        func json(_ method: String) throws -> [String: Any] {
            let r = try CLI.run(base + ["--calibrate", method, "--format", "json"])
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return try #require(doc["calibration"] as? [String: Any])
        }
        let fixed = try json("fixed"), minmax = try json("minmax")
        #expect(fixed["method"] as? String == "fixed" && minmax["method"] as? String == "minmax")
        let layers = try #require(minmax["layers"] as? [[String: Any]])
        #expect(layers.map { $0["layer"] as? String } == ["block0.depthwise", "block0.pointwise", "block1.depthwise", "block1.pointwise"])
        for l in layers {
            let r = try #require(l["range"] as? Double), scale = try #require(l["scale"] as? Double)
            #expect(r > 0 && r <= 6 && abs(scale - r / 15) < 1e-6 * r && l["bits"] as? Int == 4)
        }
        #expect((fixed["layers"] as? [[String: Any]])?.allSatisfy { $0["range"] as? Double == 6 } == true)
        let table = try CLI.run(base + ["--calibrate", "minmax"])
        #expect(table.status == 0, "\(table.stderr)")
        let line = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("activation ranges: minmax: block0.depthwise ") })
        #expect(line.hasSuffix(" (calibrated on uniform noise: no --input)"))
    }

    /// With every activation float there is no range to show: no list of ranges (not an empty one), but a line that
    /// says there is nothing to calibrate — infer and bench alike.
    @Test func noRangeLineWhenEveryActivationIsFloat() throws {
        let nothing = "activation ranges: none, activations float: nothing to calibrate (--calibrate minmax applies to quantized activations: --act-bits)\n"
        for (actBits, shown) in [("float", false), ("4", true)] {
            let r = try CLI.run(["infer", "--blocks", "2", "--bits", "8", "--act-bits", actBits, "--size", "16", "--calibrate", "minmax",
                                 "Inputs/images"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("activation ranges: minmax: block0.depthwise ") == shown, "\(actBits): \(r.stdout)")
            #expect(!r.stdout.contains("activation ranges: minmax: \n") && !r.stdout.contains("activation ranges: minmax:  ("))
            #expect(r.stdout.contains(nothing) == !shown)
            let b = try CLI.run(["bench", "--blocks", "2", "--bits", "8", "--act-bits", actBits, "--size", "16", "--runs", "1",
                                 "--warmup", "0", "--calibrate", "minmax"])
            #expect(b.status == 0, "\(b.stderr)")
            #expect(b.stdout.contains("activation ranges: minmax: block0.depthwise ") == shown, "\(actBits): \(b.stdout)")
            #expect(b.stdout.contains(nothing) == !shown, "\(actBits): \(b.stdout)")
        }
    }

    /// A sweep with network.calibrate: the case is labelled and keyed by it (the fixed case keeps its id), and
    /// results.json records the method and ranges.
    @Test func sweepRecordsTheCalibrationPerCase() throws {
        let s = try Scratch()
        let spec = try s.spec(extra: "act_bits: [4]\nrepeats: 1\n")
        func results(_ extra: [String], _ out: String) throws -> [[String: Any]] {
            let r = try CLI.run(["sweep", spec, "--no-report", "--jobs", "1", "--out", s.sub(out)] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            let data = try Data(contentsOf: URL(fileURLWithPath: s.sub(out + "/results.json")))
            let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            return try #require(doc["cases"] as? [[String: Any]])
        }
        let fixed = try results([], "fixed"), minmax = try results(["--calibrate", "minmax"], "minmax")
        #expect(fixed.count == 1 && minmax.count == 1)
        #expect((fixed[0]["config"] as? [String: Any])?["calibrate"] == nil)
        #expect((minmax[0]["config"] as? [String: Any])?["calibrate"] as? String == "minmax")
        #expect(fixed[0]["id"] as? String != minmax[0]["id"] as? String)
        let c = try #require(minmax[0]["calibration"] as? [String: Any])
        #expect(c["method"] as? String == "minmax")
        let layers = try #require(c["layers"] as? [[String: Any]])
        #expect(layers.map { $0["layer"] as? String } == ["block0.depthwise", "block0.pointwise"])
        #expect((fixed[0]["calibration"] as? [String: Any])?["method"] as? String == "fixed")
    }
}
