import BitOpsCore
import BitSweepConfig
import Engine
import Foundation
import Results
import Testing
@testable import Sweep

/// The committed ONNX fixtures (Tests/Fixtures/onnx, written by scripts/make-onnx-fixtures.py).
enum ONNXFixture {
    static func path(_ name: String) -> String { repoRoot + "/Tests/Fixtures/onnx/" + name }

    /// A temporary folder holding the MobileNetV2-style fixture as `m.onnx` (and, when given, its sidecar).
    static func folder(sidecar: String? = nil) -> TempDir {
        let d = TempDir()
        try! FileManager.default.copyItem(atPath: path("mnv2-folded.onnx"), toPath: d.sub("m.onnx"))
        if let sidecar { d.write("m.preprocess.yaml", sidecar) }
        return d
    }
}

/// Sweep specs over graph networks: `network.preset: mobilenet-v2`, `network.model: m.onnx`, `layer_bits`,
/// `preprocess` — read with every problem as one line at its file:line.
@Suite struct GraphSweepSpecTests {
    @Test func mobileNetV2PresetTakesItsWidthItsDefaultsAndNoBlocksAxis() throws {
        let s = try spec("network: {preset: mobilenet-v2, width: 0.5}\n", dir: TempDir())
        #expect(s.network.value == .graphPreset(.mobilenetV2))
        #expect(s.width == 0.5 && s.blocks.isEmpty)
        #expect(s.sizes.map(\.value) == [224])
        #expect(s.precisions.map(\.value) == [.uniform(.bits(8))] && s.actBits.map(\.value) == [.uniform(.float)])
        #expect(s.preprocess == nil && s.preprocessing == .seedDefault)
    }

    @Test func anONNXModelWithLayerBitsAndPreprocessingOverItsSidecar() throws {
        let d = ONNXFixture.folder(sidecar: "resize: 40\nmean: [0.5, 0.5, 0.5]\nstd: [0.25, 0.25, 0.25]\n")
        let s = try spec("""
            network:
              model: m.onnx
              layer_bits:
                "features.*.conv.0.0": 4
                classifier.1: 6
              preprocess: {resize: 36, channel_order: bgr}
            """, dir: d)
        #expect(s.network.value == .onnx(path: "m.onnx"))
        #expect(s.network.value.name == "m")
        #expect(s.sizes.isEmpty)   // the model's own size, known once imported
        #expect(s.layerBits.map(\.value) == [LayerBitsRule(pattern: "features.*.conv.0.0", bits: .bits(4)),
                                               LayerBitsRule(pattern: "classifier.1", bits: .bits(6))])
        #expect(s.layerBits.map(\.origin.line) == [4, 5])
        // The spec's keys replace only their own values; the rest come from the sidecar.
        #expect(s.preprocessing == Preprocessing(resize: 36, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25], channelOrder: .bgr))
        #expect(s.preprocess?.origin.line == 6)
        // Recorded in the resolved spec (run.json), which block-form specs never carry.
        #expect(s.resolvedJSON.contains(#""layer_bits":{"classifier.1":6,"features.*.conv.0.0":4}"#))
        #expect(s.resolvedJSON.contains(#""preprocess":{"channel_order":"bgr","crop":null,"mean":[0.5,0.5,0.5],"resize":36"#))
        let block = try spec("sizes: [16]\n", dir: TempDir())
        #expect(!block.resolvedJSON.contains("layer_bits") && !block.resolvedJSON.contains("preprocess"))
    }

    /// Each problem is one line naming the spec file and the line of the key that caused it.
    @Test(arguments: [
        ("network: {preset: mobilenet-v2}\nblocks: [3]\n", 2, "blocks does not apply to mobilenet-v2"),
        ("network:\n  preset: seed\n  layer_bits: {stem: 4}\n", 3, "network layer_bits applies to graph networks"),
        ("network:\n  preset: mobilenet-v1\n  preprocess: {resize: 40}\n", 3, "network preprocess applies to graph networks"),
        ("network:\n  model: m.onnx\n  classes: 5\n", 3, "network classes does not apply to an ONNX model"),
        ("network:\n  model: m.onnx\n  weights: w.safetensors\n", 3, "does not apply to an ONNX model: it carries its weights"),
        ("network:\n  model: gone.onnx\n", 2, "network model 'gone.onnx' does not exist or cannot be read"),
        ("network: {model: m.onnx}\nsearch: {choices: [2, 8]}\n", 2, "search: the mixed-precision search takes block-form networks"),
        ("network: {model: m.onnx}\nexclude:\n  - {blocks: 2}\n", 3, "blocks does not apply to m"),
        ("network:\n  model: m.onnx\n  layer_bits: [4]\n", 3, "network layer_bits must be a mapping"),
        ("network:\n  model: m.onnx\n  layer_bits: {stem: 40}\n", 3, "network layer_bits for 'stem' 40 is out of range"),
        ("network:\n  model: m.onnx\n  preprocess: {std: [1, 0, 1]}\n", 3, "network preprocess std 0.0 must be positive"),
        ("network:\n  model: m.onnx\n  width: 0.5\n", 3, "network width applies to the mobilenet-v1 and mobilenet-v2 presets only"),
    ])
    func aProblemIsOneLineAtItsKey(text: String, line: Int, fragment: String) throws {
        let found = issues(text, in: ONNXFixture.folder())
        #expect(found.contains { $0.line == line && $0.message.contains(fragment) }, "\(found)")
        #expect(found.allSatisfy { $0.file.hasSuffix("spec.yaml") && !$0.description.contains("\n") }, "\(found)")
    }

    func issues(_ text: String, in d: TempDir) -> [ConfigIssue] {
        do {
            _ = try SweepPlan.expand(try spec(text, dir: d))
            return []
        } catch let e as ConfigError {
            return e.issues
        } catch {
            return [ConfigIssue(file: "?", line: nil, message: "\(error)")]
        }
    }

    /// Problems the plan finds once the model is imported are at the line of the key that caused them too.
    @Test(arguments: [
        ("network:\n  model: m.onnx\n  layer_bits:\n    stem.*: 4\n", 4, "pattern 'stem.*' matches no convolution or gemm layer"),
        ("network: {model: m.onnx}\nprecisions:\n  - 8\n  - [8, 4, 2]\n", 4, "list 8,4,2 has 3 entries; expected 4"),
        ("network:\n  model: m.onnx\n  preprocess: {crop: 30}\n", 3, "crop 30 differs from the network's input size 32"),
        ("network: {model: m.onnx}\nsizes: [64]\n", 2, "size 64 with network model 'm.onnx'"),
        ("network: {preset: mobilenet-v2}\nsizes: [32]\nprecisions:\n  - [8, 4]\n", 4, "list 8,4 has 2 entries; expected 18"),
    ])
    func planProblemsAreOneLineAtTheirKey(text: String, line: Int, fragment: String) throws {
        let found = issues(text, in: ONNXFixture.folder())
        #expect(found.contains { $0.line == line && $0.message.contains(fragment) }, "\(found)")
        #expect(found.allSatisfy { !$0.description.contains("\n") }, "\(found)")
    }
}

/// Plan expansion of graph sweeps: the counts are the graph's, checked against values derived by hand for the
/// MobileNetV2-style fixture at 32×32 (Tests/ONNXImportTests/ONNXImportTests.swift derives each layer's MACs:
/// stem 55,296; features.1 dw 18,432, pw 16,384; features.2 expand 98,304, dw 27,648, project 49,152;
/// features.3 expand 98,304, dw 55,296, project 98,304; features.4 65,536; classifier 640 — 583,296 in all).
@Suite struct GraphSweepPlanTests {
    static let total = 583_296, stem = 55_296, classifier = 640

    @Test func precisionsSetTheBlocksAndLayerBitsApplyOnTop() throws {
        let d = ONNXFixture.folder()
        let plan = try SweepPlan.expand(try spec("""
            network:
              model: m.onnx
              stem_bits: 8
              classifier_bits: 8
            precisions: [8, [8, 4, 4, 2]]
            """, dir: d))
        #expect(plan.cases.count == 2)
        #expect(plan.cases.map(\.config.size) == [32, 32])        // the model's own size
        #expect(plan.cases.map(\.config.blocks) == [4, 4])
        #expect(plan.cases[0].cost.totals.macs == Self.total)
        #expect(plan.cases[0].cost.totals.bitops == Self.total * 8)
        // Per block: features.1 (34,816 MACs) at 8, features.2 (175,104) and features.3 (251,904) at 4,
        // features.4 (65,536) at 2, stem and classifier at 8.
        #expect(plan.cases[1].cost.totals.bitops == 34_816 * 8 + 175_104 * 4 + 251_904 * 4 + 65_536 * 2 + (Self.stem + Self.classifier) * 8)
        #expect(plan.cases[1].config.weightPrecision.blocks == [8, 4, 4, 2])
        #expect(plan.cases[1].cost.blocks.map(\.totals.macs) == [34_816, 175_104, 251_904, 65_536])

        // layer_bits on top: features.*.conv.0.0 is features.1's depthwise (t = 1) and the expansions of
        // features.2 and features.3 — 18,432 + 98,304 + 98,304 MACs at 4 bits instead of 8.
        let ruled = try SweepPlan.expand(try spec("""
            network:
              model: m.onnx
              stem_bits: 8
              classifier_bits: 8
              layer_bits: {"features.*.conv.0.0": 4}
            precisions: [8]
            """, dir: d))
        #expect(ruled.cases[0].cost.totals.bitops == Self.total * 8 - (18_432 + 98_304 + 98_304) * 4)
        let bits = Dictionary(uniqueKeysWithValues: ruled.cases[0].cost.layers.map { ($0.name, $0.weightBits) })
        #expect(bits["features.2.conv.0.0"] == 4 && bits["features.2.conv.1.0"] == 8 && bits["features.0.0"] == 8)
        // The rules are part of the network, so of the case id.
        #expect(ruled.cases[0].id != plan.cases[0].id)
    }

    @Test func withoutStemAndClassifierBitsTheyKeepTheModelsFloatWeights() throws {
        let d = ONNXFixture.folder()
        let plan = try SweepPlan.expand(try spec("network: {model: m.onnx}\nconventions: [weight, wa]\n", dir: d))
        #expect(plan.cases.count == 2 && plan.groupCount == 1)
        #expect(plan.cases[0].cost.totals.bitops == (Self.total - Self.stem - Self.classifier) * 8 + (Self.stem + Self.classifier) * 32)
        #expect(plan.cases[0].config.stemBits == .float && plan.cases[0].config.classifierBits == .float)
        // Element-wise and pooling operations are counted apart from BitOps (3,072 added, 4,096 pooled).
        guard case .graph(let g) = plan.cases[0].cost else { Issue.record("not a graph cost"); return }
        #expect(g.elementwiseOps == 3_072 && g.poolingOps == 4_096)
    }

    @Test func theModelFilesDigestIsInTheWeightsLabelAndSoInTheIdButNotItsPath() throws {
        let a = ONNXFixture.folder(), b = ONNXFixture.folder()
        try FileManager.default.createDirectory(atPath: b.sub("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: b.sub("m.onnx"), toPath: b.sub("elsewhere/m.onnx"))
        let pa = try SweepPlan.expand(try spec("network: {model: m.onnx}\n", dir: a))
        let pb = try SweepPlan.expand(try spec("network: {model: elsewhere/m.onnx}\n", dir: b))
        let digest = Digest.sha256(file: ONNXFixture.path("mnv2-folded.onnx"))!
        #expect(pa.cases[0].config.weights == "onnx:" + digest)
        #expect(pa.cases[0].id == pb.cases[0].id)
        // Another model under the same name is another case.
        let c = TempDir()
        try FileManager.default.copyItem(atPath: ONNXFixture.path("bn-explicit.onnx"), toPath: c.sub("m.onnx"))
        let pc = try SweepPlan.expand(try spec("network: {model: m.onnx}\nprecisions: [8]\n", dir: c))
        #expect(pc.cases[0].id != pa.cases[0].id)
        #expect(CaseCache.key(for: pa.cases[0], imageSetDigest: "x", engineVersion: "e", calibrationVersion: "c")
                != CaseCache.key(for: pc.cases[0], imageSetDigest: "x", engineVersion: "e", calibrationVersion: "c"))
    }

    @Test func mobileNetV2CountsAreThePresetsAtEachSize() throws {
        let plan = try SweepPlan.expand(try spec("network: {preset: mobilenet-v2, width: 0.35}\nsizes: [96, 128]\nprecisions: [4]\n", dir: TempDir()))
        #expect(plan.cases.map(\.config.label) == ["mobilenet-v2 n=18 s=96 w=4 a=float α=0.35", "mobilenet-v2 n=18 s=128 w=4 a=float α=0.35"])
        for c in plan.cases {
            let direct = try MobileNetV2.network(.init(width: 0.35, bits: .uniform(.bits(4)))).cost(inputSize: c.config.size)
            #expect(c.cost == .graph(GraphCaseCost(direct)))
        }
    }
}

/// Block sweeps keep their case ids and their results' bytes: the committed example (Reports/example, written
/// before graph sweeps existed) is expanded again and compared.
@Suite struct BlockSweepIdentityTests {
    @Test func theExampleSweepsIdsAndCountsAreTheCommittedOnes() throws {
        let dir = repoRoot + "/Reports/example"
        let plan = try SweepPlan.expand(try SweepSpecReader.load(path: dir + "/sweep.yaml"))
        let committed = try ResultsStore.load(dir)
        #expect(plan.cases.map(\.id) == committed.cases.map(\.id))
        #expect(plan.cases.map(\.cost) == committed.cases.map(\.cost))
        #expect(plan.cases.map(\.config.label) == committed.cases.map(\.config.label))
        // Read and written again, the committed results.json is the same bytes (no graph field appears).
        let bytes = try Data(contentsOf: URL(fileURLWithPath: dir + "/results.json"))
        let again = try ResultsStore.encoder().encode(committed)
        #expect(String(decoding: again, as: UTF8.self).trimmingCharacters(in: .newlines)
                == String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines))
    }
}

/// A whole sweep over the committed ONNX fixture with a labelled folder, on the real engine.
@Suite struct GraphSweepEndToEndTests {
    /// Two classes of real images (copies of Inputs/images).
    static func labelledFolder(_ d: TempDir) throws -> String {
        let images = repoRoot + "/Inputs/images/"
        for (cls, file) in [("cat", "chelsea.jpg"), ("cat", "coffee-palette.png"), ("rocket", "rocket-progressive.jpg"),
                            ("rocket", "astronaut-rgb.png")] {
            try FileManager.default.createDirectory(atPath: d.sub("labelled/\(cls)"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: images + file, toPath: d.sub("labelled/\(cls)/\(file)"))
        }
        return d.sub("labelled")
    }

    @Test func resultsCarryAccuracyPreprocessingAndTheGraphsCounts() throws {
        let d = ONNXFixture.folder(sidecar: "resize: 40\nmean: [0.485, 0.456, 0.406]\nstd: [0.229, 0.224, 0.225]\n")
        _ = try Self.labelledFolder(d)
        let s = try spec("""
            images: labelled
            network:
              model: m.onnx
            precisions: [float, 4]
            act_bits: [float]
            """, dir: d)
        let out = d.sub("out")
        let summary = try run(s, out: out, evaluator: EngineEvaluator())
        #expect(summary.results.cases.count == 2 && summary.results.cases.allSatisfy { $0.error == nil })
        let reread = try ResultsStore.load(out)
        for c in reread.cases {
            #expect(c.accuracy?.images == 4)
            #expect(c.accuracy?.floatTop1 != nil && c.accuracy?.floatTop5 != nil)
            #expect(c.images.map(\.label) == [0, 0, 1, 1])
            #expect(c.preprocessing == s.preprocessing)
            #expect(c.kernels?.runsInteger == false)
        }
        #expect(reread.cases[1].cost.totals.bitops == (583_296 - 55_296 - 640) * 4 + (55_296 + 640) * 32)

        // The float case's logits are the imported model's, run on the images preprocessed by the sidecar's
        // rule: an independent run of the executor agrees; the seed's default preprocessing would not.
        let model = try GraphNetworks.importONNX(path: d.sub("m.onnx"))
        var g = model.network
        for i in g.layers.indices where g.layers[i].op.hasWeights { g.layers[i].bits = .float }
        let exec = try GraphExecutor(network: g, inputSize: 32, weights: model.weights, options: EngineOptions(batchSize: 1))
        let first = try ImageFile.load(path: d.sub("labelled/cat/chelsea.jpg"))
        let logits = try exec.run([try s.preprocessing.tensor(first, size: 32)]).images[0].logits
        let recorded = reread.cases[0].images[0].logits
        #expect(recorded.count == 10)
        #expect(zip(recorded, logits).allSatisfy { abs($0 - Double($1)) <= 1e-5 * max(1, abs(Double($1))) }, "\(recorded) vs \(logits)")
        let plain = try exec.run([try Preprocessing.seedDefault.tensor(first, size: 32)]).images[0].logits
        #expect(zip(recorded, plain).contains { abs($0 - Double($1)) > 1e-3 })

        // A second run takes every case from the cache.
        let again = try run(s, out: out, evaluator: EngineEvaluator())
        #expect(again.reused == 2 && again.computed == 0)
    }

    /// Integer kernels and calibration over the fixture at w8a8: the integer case runs int8 on every convolution
    /// of the blocks (calibrated: signed values have a static grid), agrees with its simulated run, and records
    /// the kernels per layer and the calibrated ranges; the float case runs float with the same ranges.
    @Test func integerKernelsAndCalibrationOverAnImportedGraph() throws {
        let d = ONNXFixture.folder()
        _ = try Self.labelledFolder(d)
        let s = try spec("""
            images: labelled
            network:
              model: m.onnx
              calibrate: minmax
            precisions: [8]
            act_bits: [8]
            kernels: [float, integer]
            """, dir: d)
        let out = d.sub("out")
        let summary = try run(s, out: out, evaluator: EngineEvaluator())
        #expect(summary.results.cases.count == 2 && summary.results.cases.allSatisfy { $0.error == nil })
        let reread = try ResultsStore.load(out)
        let float = try #require(reread.cases.first { $0.config.kernels == .float })
        let integer = try #require(reread.cases.first { $0.config.kernels == .integer })
        #expect(float.kernels?.runsInteger == false)
        // The three blocks' eight convolutions (features.0.0 and features.4.0 stand outside the blocks and keep the
        // model's float weights: no stem_bits or classifier_bits here).
        #expect(integer.kernels?.int8Layers == 8)
        #expect(integer.kernels?.layers.first { $0.kernel == .float }?.layer == "features.0.0")
        #expect(integer.config.calibration == .minmax)
        let ranges = try #require(integer.calibration)
        #expect(ranges.method == .minmax && !ranges.layers.isEmpty)
        #expect(ranges == float.calibration)
        for image in integer.images { #expect((image.simulatedSQNR ?? 0) >= 30, "\(image.simulatedSQNR ?? .nan)") }
    }
}
