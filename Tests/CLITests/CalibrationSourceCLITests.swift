import Foundation
import ONNXProto
import SwiftProtobuf
import Testing

/// Where the activation ranges come from, as `export --calibrate` and `infer` say it: nothing to calibrate when every
/// activation is float (block and graph alike), ranges carried in a calibrated model file (counted from the file's
/// `clip_max` initializers, not from infer's printout), measured now, or the fixed rule.
@Suite struct CalibrationSourceCLITests {
    typealias Scratch = HostileInputTests.Scratch
    static let fixture = GraphExportCalibrationCLITests.fixture

    /// The networks, without --act-bits (every activation float): a block network and two graphs (an ONNX model and
    /// the mobilenet-v2 preset).
    static let floatActivations: [[String]] = [
        ["--blocks", "2", "--size", "16", "--bits", "8"],
        ["--model", fixture, "--bits", "8"],
        ["--preset", "mobilenet-v2", "--width", "0.35", "--size", "32", "--bits", "8"],
    ]

    static func metadata(_ path: String) throws -> [String: String] {
        Dictionary(try ExportCalibrationCLITests.model(at: path).metadataProps.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// `export --calibrate` with every activation float calibrates nothing, as infer and a sweep accept it: exit 0, the
    /// heading says so (not "activations calibrated"), and the file is the very file written without --calibrate — no
    /// `bitsweep.calibrate` in its metadata. --calibrate still takes --calibration-images: without them, one line,
    /// exit 2, and the previous file at --out stays. Block and graph alike.
    @Test(arguments: floatActivations)
    func exportWithFloatActivationsHasNothingToCalibrate(_ config: [String]) throws {
        let s = Scratch()
        let plain = try CLI.run(["export"] + config + ["--out", s.sub("plain.onnx")])
        #expect(plain.status == 0, "\(plain.stderr)")
        let expected = try Data(contentsOf: URL(fileURLWithPath: s.sub("plain.onnx")))
        let out = s.sub("calibrated.onnx")
        let r = try CLI.run(["export"] + config + ["--calibrate", "percentile:99", "--calibration-images", "Inputs/images", "--out", out])
        #expect(r.status == 0, "\(config): \(r.stderr)")
        let heading = r.stdout.split(separator: "\n").first.map(String.init) ?? ""
        #expect(heading.hasSuffix(", activations float: nothing to calibrate (--calibrate percentile:99 applies to quantized activations: --act-bits)"), "\(heading)")
        #expect(!r.stdout.contains("activations calibrated"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == expected, "\(config)")
        #expect(try Self.metadata(out)["bitsweep.calibrate"] == nil)
        try ErrorPolicyCLITests().expectOneLine(["export"] + config + ["--calibrate", "percentile:99", "--out", out], status: 2,
            "bitsweep export: --calibrate percentile:99 needs --calibration-images: expected PNG or JPEG files or folders of them")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out)) == expected)
        // infer says the same of the same configuration, and records no range.
        let i = try CLI.run(["infer"] + config + ["--calibrate", "percentile:99", "Inputs/images/chelsea.jpg"])
        #expect(i.status == 0, "\(i.stderr)")
        #expect(i.stdout.contains("\nactivation ranges: none, activations float: nothing to calibrate (--calibrate percentile:99 applies to quantized activations: --act-bits)\n"), "\(i.stdout)")
    }

    /// A calibrated export read back with --model: infer reports the ranges as carried in the file — source `model`,
    /// the method the file's metadata records, as many carried layers as the file has `clip_max` initializers, and
    /// those very ranges (the other static grids are the fixed [0, 6]) — in its JSON (and bench in its) and in its
    /// table. A copy of the file without metadata reports no method. Block and graph exports alike.
    @Test(arguments: [
        ["--blocks", "3", "--size", "16", "--bits", "8", "--act-bits", "4,8,3"],
        ["--model", fixture, "--bits", "8", "--act-bits", "8"],
    ])
    func inferReportsTheRangesAModelCarries(_ config: [String]) throws {
        let s = Scratch()
        let out = s.sub("calibrated.onnx")
        let e = try CLI.run(["export"] + config + ["--kernels", "float", "--calibrate", "minmax", "--calibration-images", "Inputs/images",
                                                   "--out", out])
        #expect(e.status == 0, "\(e.stderr)")
        let model = try ExportCalibrationCLITests.model(at: out)
        let clips = model.graph.initializer.filter { $0.name.hasSuffix(".clip_max") }.compactMap(ExportCalibrationCLITests.scalar)
        #expect(!clips.isEmpty)
        #expect(try Self.metadata(out)["bitsweep.calibrate"] == "minmax")

        func calibration(_ path: String) throws -> [String: Any] {
            let doc = try GraphExportCalibrationCLITests.json(["infer", "--model", path, "Inputs/images"])
            return try #require(doc["calibration"] as? [String: Any])
        }
        func check(_ c: [String: Any], method: String?) throws {
            #expect(c["source"] as? String == "model")
            #expect(c["method"] as? String == method)
            #expect(c["carried_layers"] as? Int == clips.count)
            let ranges = try #require(c["layers"] as? [[String: Any]]).compactMap { ($0["range"] as? Double).map(Float.init) }
            #expect(ranges.filter { $0 != 6 }.sorted() == clips.sorted(), "\(ranges) \(clips)")
        }
        try check(try calibration(out), method: "minmax")
        // bench records them as infer does.
        let bench = try GraphExportCalibrationCLITests.json(["bench", "--model", out, "--runs", "1", "--warmup", "0"])
        try check(try #require(bench["calibration"] as? [String: Any]), method: "minmax")
        let n = clips.count
        let table = try CLI.run(["infer", "--model", out, "Inputs/images/chelsea.jpg"])
        #expect(table.status == 0, "\(table.stderr)")
        #expect(table.stdout.contains("\nactivation ranges: carried in \(out) (\(n) layer outputs, minmax as its metadata records): "), "\(table.stdout)")

        var bare = model
        bare.metadataProps = []
        let stripped = s.sub("stripped.onnx")
        try bare.serializedData().write(to: URL(fileURLWithPath: stripped))
        try check(try calibration(stripped), method: nil)
        try ErrorPolicyCLITests().expectOneLine(["infer", "--model", stripped, "--calibrate", "percentile:99", "Inputs/images"], status: 2,
            "bitsweep infer: --calibrate percentile:99: \(stripped) carries its own calibrated activation ranges (\(n) layer outputs, no method recorded); expected no --calibrate (the model runs and exports on the ranges it carries), or the model before calibration to measure new ones")
    }

    /// Calibrating a model that carries its ranges is refused before anything is written: the previous file at --out
    /// stays as it was.
    @Test func exportRefusesToCalibrateCarriedRangesAndKeepsThePreviousFile() throws {
        let s = Scratch()
        let calibrated = s.sub("calibrated.onnx")
        let e = try CLI.run(["export", "--model", Self.fixture, "--bits", "8", "--act-bits", "8", "--calibrate", "minmax",
                             "--calibration-images", "Inputs/images", "--out", calibrated])
        #expect(e.status == 0, "\(e.stderr)")
        let previous = s.write("previous.onnx", Data("previous results".utf8))
        let r = try CLI.run(["export", "--model", calibrated, "--calibrate", "minmax", "--calibration-images", "Inputs/images",
                             "--out", previous])
        #expect(r.status == 2 && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("bitsweep export: --calibrate minmax: \(calibrated) carries its own calibrated activation ranges ("))
        #expect(try Data(contentsOf: URL(fileURLWithPath: previous)) == Data("previous results".utf8))
    }

    /// The other sources: ranges measured now by --calibrate (with the number of images), the fixed rule of a block
    /// network, and no calibration at all for a graph on its fixed and per-image grids.
    @Test func inferSaysWhetherRangesWereMeasuredOrFixed() throws {
        let block = ["--blocks", "2", "--size", "16", "--bits", "8", "--act-bits", "4"]
        let measured = try #require(try GraphExportCalibrationCLITests.json(["infer"] + block + ["--calibrate", "minmax", "Inputs/images"])["calibration"] as? [String: Any])
        #expect(measured["source"] as? String == "measured" && measured["method"] as? String == "minmax" && measured["carried_layers"] == nil)
        #expect((measured["layers"] as? [Any])?.count == 4)
        let fixed = try #require(try GraphExportCalibrationCLITests.json(["infer"] + block + ["Inputs/images"])["calibration"] as? [String: Any])
        #expect(fixed["source"] as? String == "fixed" && fixed["method"] as? String == "fixed")
        let graph = try GraphExportCalibrationCLITests.json(["infer", "--model", Self.fixture, "--bits", "8", "--act-bits", "8", "Inputs/images"])
        #expect(graph["calibration"] == nil)
        let table = try CLI.run(["infer"] + block + ["--calibrate", "minmax", "Inputs/images/chelsea.jpg", "Inputs/images/camera-grey.png"])
        #expect(table.status == 0, "\(table.stderr)")
        let line = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("activation ranges: minmax: block0.depthwise ") })
        #expect(line.hasSuffix(" (measured now on 2 images)"), "\(line)")
    }
}
