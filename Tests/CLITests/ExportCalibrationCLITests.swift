import Foundation
import ONNXProto
import SwiftProtobuf
import Testing

/// `export --calibrate … --calibration-images …` reads and preprocesses its images as `infer` does (the model's
/// sidecar, the preprocessing flags, files and folders), so the ranges it writes are the ranges infer runs with.
@Suite struct ExportCalibrationCLITests {
    typealias Scratch = HostileInputTests.Scratch

    /// A 3-block model file and, optionally, its sidecar (`m.preprocess.yaml`) with a mean and std far from the
    /// seed's default, so that the calibrated ranges depend on it.
    static func model(_ s: Scratch, channels: Int = 3, sidecar: Bool) -> String {
        let path = s.write("m.yaml", Data("""
            name: tiny
            input_channels: \(channels)
            blocks:
              - {out_channels: 8, stride: 1, bits: 8, act_bits: 4}
              - {out_channels: 16, stride: 2, bits: 8, act_bits: 4}
              - {out_channels: 16, stride: 1, bits: 8, act_bits: 4}

            """.utf8))
        if sidecar {
            s.write("m.preprocess.yaml", Data("mean: [0.5, 0.4, 0.3]\nstd: [0.2, 0.25, 0.3]\n".utf8))
        }
        return path
    }

    /// The model `export` wrote at `path`.
    static func model(at path: String) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// A float32 scalar initializer's value.
    static func scalar(_ t: Onnx_TensorProto) -> Float? {
        guard t.dataType == Int32(Onnx_TensorProto.DataType.float.rawValue), t.dims.isEmpty, t.rawData.count == 4 else { return nil }
        return t.rawData.withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
    }

    /// The calibrated ranges the written model holds: each `<layer>.clip_max` initializer (the bound of a Clip(0, R)
    /// with R < 6), by layer.
    static func writtenRanges(_ path: String) throws -> [String: Float] {
        var ranges: [String: Float] = [:]
        for t in try model(at: path).graph.initializer where t.name.hasSuffix(".clip_max") {
            let value: Float = try #require(scalar(t), "\(t.name)")
            ranges[String(t.name.dropLast(".clip_max".count))] = value
        }
        return ranges
    }

    /// Exports with `args` (which name `--out path`) and returns the ranges the written model holds.
    static func exportRanges(_ args: [String]) throws -> [String: Float] {
        let r = try CLI.run(["export"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        return try writtenRanges(try #require(args.firstIndex(of: "--out").map { args[$0 + 1] }))
    }

    /// The ranges infer's JSON records, by layer.
    static func inferRanges(_ args: [String]) throws -> [String: Float] {
        let r = try CLI.run(["infer", "--format", "json"] + args)
        #expect(r.status == 0, "\(r.stderr)")
        let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let layers = try #require((doc["calibration"] as? [String: Any])?["layers"] as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: try layers.map {
            (try #require($0["layer"] as? String), Float(try #require($0["range"] as? Double)))
        })
    }

    @Test func theModelsSidecarAndTheFlagsPreprocessTheCalibrationImages() throws {
        let s = Scratch()
        let m = Self.model(s, sidecar: true)
        let out = s.sub("m.onnx")
        for (method, flags) in [("minmax", [String]()), ("percentile:99", ["--mean", "0.1,0.2,0.3", "--std", "0.5,0.5,0.5"])] {
            let common = ["--model", m, "--size", "16", "--calibrate", method] + flags
            let exported = try Self.exportRanges(common + ["--calibration-images", "Inputs/images", "--out", out])
            let inferred = try Self.inferRanges(common + ["Inputs/images"])
            // 3 blocks × (depthwise, pointwise), all at 4 bits; the table shows the ranges below 6, as the Float they
            // are (infer's JSON has them as doubles of that Float).
            #expect(!exported.isEmpty && inferred.count == 6, "\(exported) \(inferred)")
            #expect(exported == inferred.filter { $0.value != 6 }, "\(method)")
        }
        // Without the sidecar (and flags) the seed's default preprocessing gives other ranges: the sidecar counted.
        let withSidecar = try Self.exportRanges(["--model", m, "--size", "16", "--calibrate", "minmax",
                                                 "--calibration-images", "Inputs/images", "--out", out])
        try FileManager.default.removeItem(atPath: s.sub("m.preprocess.yaml"))
        let without = try Self.exportRanges(["--model", m, "--size", "16", "--calibrate", "minmax",
                                             "--calibration-images", "Inputs/images", "--out", out])
        #expect(withSidecar != without)
    }

    /// Images decode to RGB: a model of 1 input channel cannot calibrate on them — one line, exit 2, nothing written.
    /// The channel count is checked before the model's sidecar is read (the sidecar's mean/std are RGB triples,
    /// so a 1-channel model with one would otherwise get a preprocessing message about the sidecar instead).
    @Test func aChannelMismatchIsOneLineAndExit2() throws {
        let s = Scratch()
        let m = Self.model(s, channels: 1, sidecar: true)
        let out = s.sub("m.onnx")
        try ErrorPolicyCLITests().expectOneLine(
            ["export", "--model", m, "--size", "16", "--calibrate", "minmax", "--calibration-images", "Inputs/images", "--out", out],
            status: 2, "bitsweep export: tiny takes 1 input channel, but --calibration-images decode to RGB (3 channels); expected a network with 3 input channels")
        try ErrorPolicyCLITests().expectOneLine(
            ["infer", "--model", m, "--size", "16", "Inputs/images"],
            status: 2, "bitsweep infer: tiny takes 1 input channel, but the images decode to RGB (3 channels); expected a network with 3 input channels")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// An export that reads no image does not read the sidecar either: a 1-channel model with an RGB sidecar, and
    /// a sidecar whose crop does not fit the exported size, export as they did before calibration existed.
    @Test func anExportWithoutCalibrationIgnoresTheSidecar() throws {
        let s = Scratch()
        let gray = Self.model(s, channels: 1, sidecar: true)
        let out = s.sub("gray.onnx")
        let r = try CLI.run(["export", "--model", gray, "--size", "16", "--out", out])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out))
        let t = Scratch()
        let rgb = Self.model(t, sidecar: false)
        t.write("m.preprocess.yaml", Data("resize: 256\ncrop: 224\n".utf8))
        let crop = try CLI.run(["export", "--model", rgb, "--size", "16", "--out", t.sub("m.onnx")])
        #expect(crop.status == 0, "\(crop.stderr)")
        // With --calibrate the sidecar is read, and its crop must match the size.
        let calibrated = try CLI.run(["export", "--model", rgb, "--size", "16", "--calibrate", "minmax",
                                      "--calibration-images", "Inputs/images", "--out", t.sub("c.onnx")])
        #expect(calibrated.status == 2 && calibrated.stderr.contains("preprocessing: crop 224"), "\(calibrated.stderr)")
        #expect(!FileManager.default.fileExists(atPath: t.sub("c.onnx")))
    }

    /// Preprocessing flags without calibration would change nothing: refused, naming the flag.
    @Test func preprocessingFlagsNeedCalibration() throws {
        try ErrorPolicyCLITests().expectOneLine(["export", "--blocks", "2", "--mean", "0.5,0.5,0.5", "--out", "/tmp/never.onnx"], status: 2,
                                                "bitsweep export: --mean applies to --calibration-images, which only --calibrate minmax or percentile:P reads")
        #expect(!FileManager.default.fileExists(atPath: "/tmp/never.onnx"))
    }

    /// The memory budget is checked before any calibration image is decoded or resized (at 16384 the resized
    /// image alone is 3 GiB): the same refusal as infer's, under the same 4 GB address-space limit.
    @Test func hugeSizeIsRefusedBeforeCalibrationImagesAreResized() throws {
        let s = Scratch()
        let out = s.sub("m.onnx")
        let r = try HostileInputTests.limited(["export", "--size", "16384", "--blocks", "2", "--act-bits", "8", "--calibrate", "minmax",
                                               "--calibration-images", HostileInputTests.image, "--out", out])
        HostileInputTests.expectRefusal(r, status: 1, "input images 3.00 GiB")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    /// A calibrated block export read back with --model: ReLU6 on the calibrated range (`Clip(0, R)` then the QDQ
    /// of scale R/L) runs as infer --calibrate runs it — the same counts (weight and activation bits read back)
    /// and the same logits — at both methods.
    @Test(arguments: ["minmax", "percentile:99"])
    func aCalibratedExportReadsBackAsTheCalibratedRun(_ method: String) throws {
        let s = Scratch()
        let out = s.sub("calibrated.onnx")
        let config = ["--blocks", "3", "--size", "16", "--bits", "8,4,8", "--act-bits", "4,8,3"]
        let e = try CLI.run(["export"] + config + ["--kernels", "float", "--calibrate", method, "--calibration-images", "Inputs/images",
                                                   "--out", out])
        #expect(e.status == 0, "\(e.stderr)")
        func json(_ args: [String]) throws -> [String: Any] {
            let r = try CLI.run(args + ["--format", "json"])
            #expect(r.status == 0, "\(args): \(r.stderr)")
            return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        }
        // Counts, with the convention that counts activation bits too — in total and per block (the read-back layers
        // are grouped again into block0, block1, block2).
        for convention in ["weight", "wa"] {
            let docA = try json(["calc"] + config + ["--convention", convention])
            let docB = try json(["calc", "--model", out, "--convention", convention])
            let a = docA["totals"] as? [String: Any], b = docB["totals"] as? [String: Any]
            #expect(a?["bitops"] as? Int != nil && a?["bitops"] as? Int == b?["bitops"] as? Int, "\(convention)")
            #expect(a?["macs"] as? Int == b?["macs"] as? Int)
            func perBlock(_ d: [String: Any]) -> [Int] {
                (d["blocks"] as? [[String: Any]] ?? []).map { ($0["totals"] as? [String: Any])?["bitops"] as? Int ?? -1 }
            }
            #expect(perBlock(docA).count == 3 && perBlock(docA) == perBlock(docB), "\(convention): \(perBlock(docA)) \(perBlock(docB))")
            #expect((docB["blocks"] as? [[String: Any]])?.map { $0["name"] as? String } == ["block0", "block1", "block2"])
        }
        // Logits: infer --calibrate on the float kernels (the export's arithmetic) against infer --model.
        func logits(_ doc: [String: Any]) -> [[Double]] {
            (doc["images"] as? [[String: Any]] ?? []).map { $0["logits"] as? [Double] ?? [] }
        }
        let original = logits(try json(["infer"] + config + ["--kernels", "float", "--calibrate", method, "Inputs/images"]))
        let back = logits(try json(["infer", "--model", out, "Inputs/images"]))
        #expect(original.count == 5 && back.count == 5)
        let largest = original.joined().map(abs).max() ?? 0
        let worst = zip(original.joined(), back.joined()).map { abs($0 - $1) }.max() ?? .infinity
        #expect(largest > 0 && worst <= 1e-6 * largest, "max |difference| \(worst) of logits up to \(largest)")
        // Calibrating the read-back model again is refused in one line that says what it runs with: as many layers
        // with their own range as infer --calibrate measured below 6 (R = 6 is the fixed grid, written as ReLU6) —
        // counted from infer's JSON, and in the written model (its Clip bounds), not from export's table.
        let measured = try Self.inferRanges(config + ["--kernels", "float", "--calibrate", method, "Inputs/images"])
        #expect(measured.count == 6)
        let ranges = measured.values.filter { $0 < 6 }.count
        let written = try Self.writtenRanges(out)
        #expect(ranges > 0 && ranges == written.count)
        #expect(written == measured.filter { $0.value < 6 })
        try ErrorPolicyCLITests().expectOneLine(["infer", "--model", out, "--calibrate", method, "Inputs/images"], status: 2,
            "bitsweep infer: --calibrate \(method): \(out) carries its own calibrated activation ranges (\(ranges) layer output\(ranges == 1 ? "" : "s"), \(method) as its metadata records); expected no --calibrate (the model runs and exports on the ranges it carries), or the model before calibration to measure new ones")
        // The fixed-range model of the same configuration differs: the ranges were read back, not ignored.
        let fixed = logits(try json(["infer"] + config + ["--kernels", "float", "Inputs/images"]))
        #expect(zip(fixed.joined(), back.joined()).map { abs($0 - $1) }.max() ?? 0 > 1e-3 * largest)
    }
}

/// `export --calibrate` of a graph network (an imported ONNX model): every quantized step output on the static grid
/// `infer --calibrate` measures, and read back with --model as that calibrated network.
@Suite struct GraphExportCalibrationCLITests {
    typealias Scratch = HostileInputTests.Scratch
    static let fixture = CLI.packageRoot.appendingPathComponent("Tests/Fixtures/onnx/mnv2-folded.onnx").path
    static let config = ["--model", fixture, "--bits", "8", "--act-bits", "8"]

    static func json(_ args: [String]) throws -> [String: Any] {
        let r = try CLI.run(args + ["--format", "json"])
        #expect(r.status == 0, "\(args): \(r.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    }

    static func logits(_ doc: [String: Any]) -> [Double] {
        (doc["images"] as? [[String: Any]] ?? []).flatMap { $0["logits"] as? [Double] ?? [] }
    }

    /// The written QDQ scales are infer's calibrated grid steps R/L, one per quantized step output and in step order
    /// (infer's JSON against the model's initializers, not the export's table); none is left per image; read back,
    /// the model gives infer --calibrate's logits on float and on integer kernels (auto), and refuses another
    /// calibration in one line.
    @Test(arguments: ["minmax", "percentile:99"])
    func aCalibratedGraphExportReadsBackAsTheCalibratedRun(_ method: String) throws {
        let s = Scratch()
        let out = s.sub("mnv2-calibrated.onnx")
        let e = try CLI.run(["export"] + Self.config + ["--calibrate", method, "--calibration-images", "Inputs/images", "--out", out])
        #expect(e.status == 0, "\(e.stderr)")
        let m = try ExportCalibrationCLITests.model(at: out)
        let doc = try Self.json(["infer", "--kernels", "float", "--calibrate", method] + Self.config + ["Inputs/images"])
        let grids = try #require((doc["calibration"] as? [String: Any])?["layers"] as? [[String: Any]])
        let inferScales = grids.compactMap { ($0["scale"] as? Double).map(Float.init) }
        let written = m.graph.initializer.filter { $0.name.hasSuffix(".output_scale") }.compactMap(ExportCalibrationCLITests.scalar)
        #expect(inferScales.count == grids.count && grids.count > 10)
        #expect(written == inferScales)
        #expect(!m.graph.node.contains { $0.name.contains("/dynamic_quant/") })
        // Signed grids (linear bottlenecks, residual sums): Clip(−R, R) and int8 codes.
        let signed = m.graph.initializer.filter { $0.name.hasSuffix(".clip_min") }
        #expect(!signed.isEmpty)
        let meta = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        #expect(meta["bitsweep.calibrate"] == method)

        for kernels in ["float", "auto"] {
            let original = Self.logits(try Self.json(["infer", "--kernels", kernels, "--calibrate", method] + Self.config + ["Inputs/images"]))
            let back = Self.logits(try Self.json(["infer", "--model", out, "--kernels", kernels, "Inputs/images"]))
            #expect(original.count >= 5 && back.count == original.count)
            let largest = original.map(abs).max() ?? 0
            let worst = zip(original, back).map { abs($0 - $1) }.max() ?? .infinity
            #expect(largest > 0 && worst == 0, "\(kernels): max |difference| \(worst) of logits up to \(largest)")
        }
        // The read-back model carries a range for each clip the file holds (a ReLU6 at R = 6 is the fixed grid).
        let carried = m.graph.initializer.filter { $0.name.hasSuffix(".clip_max") }.count
        try ErrorPolicyCLITests().expectOneLine(["export", "--model", out, "--calibrate", method, "--calibration-images", "Inputs/images",
                                                 "--out", s.sub("again.onnx")], status: 2,
            "bitsweep export: --calibrate \(method): \(out) carries its own calibrated activation ranges (\(carried) layer outputs, \(method) as its metadata records); expected no --calibrate (the model runs and exports on the ranges it carries), or the model before calibration to measure new ones")
        #expect(!FileManager.default.fileExists(atPath: s.sub("again.onnx")))
    }
}

extension GraphExportCalibrationCLITests {
    /// A graph is always written in the simulated form: --kernels auto (the default) writes the very file --kernels
    /// float writes, calibrated or not, and says which run it describes; --kernels integer is refused.
    @Test func kernelsAutoWritesTheSimulatedForm() throws {
        let s = Scratch()
        for calibrate in [[String](), ["--calibrate", "minmax", "--calibration-images", "Inputs/images"]] {
            var files: [Data] = []
            for kernels in ["auto", "float"] {
                let out = s.sub("k-\(kernels).onnx")
                let r = try CLI.run(["export"] + Self.config + calibrate + ["--kernels", kernels, "--out", out])
                #expect(r.status == 0, "\(r.stderr)")
                #expect(r.stdout.contains("float kernels, simulated quantization (as infer --kernels float runs it)"), "\(r.stdout)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: out)))
                let meta = try ExportCalibrationCLITests.model(at: out).metadataProps.first { $0.key == "bitsweep.kernels" }?.value
                #expect(meta == "float")
            }
            #expect(files[0] == files[1] && !files[0].isEmpty, "\(calibrate)")
        }
        let refused = try CLI.run(["export"] + Self.config + ["--kernels", "integer", "--out", s.sub("integer.onnx")])
        #expect(refused.status == 2 && refused.stderr.contains("kernels integer"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: s.sub("integer.onnx")))
    }
}
