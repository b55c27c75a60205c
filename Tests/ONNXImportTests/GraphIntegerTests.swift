import BitOpsCore
import Engine
import Foundation
import ONNXImport
import Testing

/// Integer kernels on an imported graph (Tests/Fixtures/onnx/mnv2-folded.onnx, MobileNetV2-style: stem,
/// three inverted residual blocks, a 1×1 convolution with HardSwish, pooling and a Gemm), every weight and
/// activation at 8 bits: the integer run against the simulated run (float kernels, the same quantization), the
/// kernel each layer ran on against what the graph's structure says, and thread determinism.
@Suite struct GraphIntegerTests {
    struct Reference: Decodable {
        var input_shape: [Int]
        var input: [Float]
    }

    /// The fixture at w8a8 and its two reference images (32×32).
    static func fixture() throws -> (network: GraphNetwork, weights: GraphWeights, images: [Tensor]) {
        let model = try ONNXImport.load(path: Fixtures.path("mnv2-folded.onnx"))
        let ref = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("mnv2-folded.reference.json"))))
        let (n, c, h) = (ref.input_shape[0], ref.input_shape[1], ref.input_shape[2])
        let per = c * h * h
        let images = (0..<n).map { Tensor(shape: [c, h, h], data: Array(ref.input[($0 * per)..<(($0 + 1) * per)])) }
        var network = model.network
        for i in network.layers.indices {
            if network.layers[i].op.hasWeights { network.layers[i].bits = .bits(8) }
            if network.layers[i].actBits != nil { network.layers[i].actBits = .bits(8) }
        }
        return (network, model.weights, images)
    }

    static func options(_ kernels: Kernels, threads: Int = 1, fidelity: Bool = true, ranges: [String: Float] = [:],
                        calibration: Calibration = .fixed) -> EngineOptions {
        EngineOptions(threads: threads, batchSize: 2, fidelity: fidelity, kernels: kernels, calibration: calibration,
                      activationRanges: ranges)
    }

    static func calibrated(_ f: (network: GraphNetwork, weights: GraphWeights, images: [Tensor])) throws -> [String: Float] {
        try GraphExecutor.calibratedRanges(network: f.network, inputSize: 32, weights: f.weights, images: f.images,
                                           method: .minmax, options: options(.float))
    }

    // The structure of mnv2-folded (scripts/make-onnx-fixtures.py), by convolution:
    //   features.0.0              stem 3×3/2, 3 → 8, ReLU6       reads the image
    //   features.1.conv.0.0       depthwise 3×3 on 8, ReLU6       reads the stem's ReLU6 output ([0, 6] grid)
    //   features.1.conv.1         1×1 8 → 8, linear               reads a ReLU6 output; then Add with the stem
    //   features.2.conv.0.0       1×1 8 → 48, ReLU6               reads the residual sum (signed)
    //   features.2.conv.1.0       depthwise 3×3/2 on 48, ReLU6    reads a ReLU6 output
    //   features.2.conv.2         1×1 48 → 16, linear             reads a ReLU6 output (no residual: 8 ≠ 16)
    //   features.3.conv.0.0       1×1 16 → 96, ReLU6              reads the linear bottleneck (signed)
    //   features.3.conv.1.0       depthwise 3×3 on 96, ReLU6      reads a ReLU6 output
    //   features.3.conv.2         1×1 96 → 16, linear             reads a ReLU6 output; then Add
    //   features.4.0              1×1 16 → 64, HardSwish          reads the residual sum (signed)
    // Uncalibrated, signed values are quantized per image (no static scale): the convolutions that read them,
    // and the stem, run float; the six that read ReLU6 outputs run int8. Calibrated, signed values have a static
    // [−R, R] grid (s8 codes): every convolution but the stem runs int8. Add, pooling, flatten and the Gemm run
    // float either way.
    static let readsReLU6 = ["features.1.conv.0.0", "features.1.conv.1", "features.2.conv.1.0", "features.2.conv.2",
                             "features.3.conv.1.0", "features.3.conv.2"]
    static let readsSigned = ["features.2.conv.0.0", "features.3.conv.0.0", "features.4.0"]

    @Test(arguments: [false, true])
    func kernelPerLayerFollowsTheGraphsStructure(calibrated: Bool) throws {
        let f = try Self.fixture()
        let ranges = calibrated ? try Self.calibrated(f) : [:]
        let net = try GraphExecutor(network: f.network, inputSize: 32, weights: f.weights,
                                    options: Self.options(.integer, fidelity: false, ranges: ranges, calibration: calibrated ? .minmax : .fixed))
        let int8 = Set(net.layerKernels.filter { $0.kernel == .int8 }.map(\.layer))
        let expected = Set(Self.readsReLU6 + (calibrated ? Self.readsSigned : []))
        #expect(int8 == expected)
        let reasons = Dictionary(uniqueKeysWithValues: net.kernelFallbacks.map { ($0.layer, $0.reason) })
        #expect(reasons["features.0.0"] == "reads the float input image")
        for name in Self.readsSigned where !calibrated {
            #expect(reasons[name] == "input is quantized with a per-image range (calibrate for a static grid)", "\(name)")
        }
        #expect(reasons.keys.contains { $0.contains("Gemm") || $0.contains("classifier") })
        #expect(Set(reasons.keys).isDisjoint(with: int8))
        // Every layer that is not a convolution ran float.
        let convs = Set(f.network.layers.filter { if case .conv = $0.op { return true } else { return false } }.map(\.name))
        for k in net.layerKernels where !convs.contains(k.layer) { #expect(k.kernel == .float, "\(k.layer)") }
        #expect(net.kernelUse.int8Layers == expected.count)
    }

    /// The integer run against the simulated run of the same configuration: they differ only by the rounding of
    /// requantization (biases in s32, scales applied to s32 sums), ≥ 30 dB on the logits.
    @Test(arguments: [false, true])
    func integerRunAgreesWithTheSimulatedRun(calibrated: Bool) throws {
        let f = try Self.fixture()
        let ranges = calibrated ? try Self.calibrated(f) : [:]
        let method: Calibration = calibrated ? .minmax : .fixed
        let integer = try GraphExecutor(network: f.network, inputSize: 32, weights: f.weights,
                                        options: Self.options(.integer, ranges: ranges, calibration: method))
        let simulated = try GraphExecutor(network: f.network, inputSize: 32, weights: f.weights,
                                          options: Self.options(.float, ranges: ranges, calibration: method))
        #expect(integer.runsInteger && !simulated.runsInteger)
        let a = try integer.run(f.images).images, b = try simulated.run(f.images).images
        for i in f.images.indices {
            let sqnr = Metrics.sqnr(reference: b[i].logits, test: a[i].logits)
            #expect(sqnr >= 30, "image \(i): \(sqnr) dB")
            // The run's own check (its simulated lane) measures the same thing (+∞ when the rounding differences
            // all vanish in the last quantized activation, as they can on a network this small).
            let own = try #require(a[i].simulatedSQNR)
            #expect(own == sqnr || abs(own - sqnr) < 1e-6, "\(own) vs \(sqnr)")
            // Against the float twin: about the simulated run's fidelity (both are 8-bit networks).
            let fa = try #require(a[i].fidelity), fb = try #require(b[i].fidelity)
            #expect(abs(fa.sqnrDB - fb.sqnrDB) < 6, "\(fa.sqnrDB) vs \(fb.sqnrDB)")
            #expect(fa.blockSQNR.count == fb.blockSQNR.count)
            for (x, y) in zip(fa.blockSQNR, fb.blockSQNR) { #expect(abs(x - y) < 6, "block SQNR \(fa.blockSQNR) vs \(fb.blockSQNR)") }
        }
    }

    /// `auto` runs integer where `integer` does; float kernels never.
    @Test func autoPicksIntegerWhereAllowed() throws {
        let f = try Self.fixture()
        let auto = try GraphExecutor(network: f.network, inputSize: 32, weights: f.weights, options: Self.options(.auto, fidelity: false))
        #expect(Set(auto.layerKernels.filter { $0.kernel == .int8 }.map(\.layer)) == Set(Self.readsReLU6))
        let float = try GraphExecutor(network: f.network, inputSize: 32, weights: f.weights, options: Self.options(.float, fidelity: false))
        #expect(!float.runsInteger && float.kernelFallbacks.isEmpty)
        // Float activations: nothing can run int8; auto runs float, integer is refused in one line.
        var floatActs = f.network
        for i in floatActs.layers.indices where floatActs.layers[i].actBits != nil { floatActs.layers[i].actBits = .float }
        let none = try GraphExecutor(network: floatActs, inputSize: 32, weights: f.weights, options: Self.options(.auto, fidelity: false))
        #expect(!none.runsInteger)
        #expect {
            try GraphExecutor(network: floatActs, inputSize: 32, weights: f.weights, options: Self.options(.integer, fidelity: false))
        } throws: { "\($0)".hasPrefix("kernels integer: no layer of") && !"\($0)".contains("\n") }
    }

    /// Integer logits are bit-identical on 1 and 2 threads (s32 sums are exact, requantization per element).
    @Test(arguments: [false, true])
    func integerLogitsAreBitIdenticalOnOneAndTwoThreads(calibrated: Bool) throws {
        let f = try Self.fixture()
        let ranges = calibrated ? try Self.calibrated(f) : [:]
        var logits: [[Float]] = []
        for threads in [1, 2] {
            let net = try GraphExecutor(network: f.network, inputSize: 32, weights: f.weights,
                                        options: Self.options(.integer, threads: threads, fidelity: false, ranges: ranges,
                                                              calibration: calibrated ? .minmax : .fixed))
            #expect(net.runsInteger)
            logits.append(try net.run(f.images).images.flatMap(\.logits))
        }
        #expect(logits[0].map(\.bitPattern) == logits[1].map(\.bitPattern))
    }
}
