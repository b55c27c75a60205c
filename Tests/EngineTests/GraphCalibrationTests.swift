import BitOpsCore
@testable import Engine
import Testing

/// Calibration of a graph network, on a graph small enough to follow by hand: one channel, 2×2 images,
///
///     a: 1×1 convolution, weight 2, bias −1, then ReLU6      (values in [0, 6]: grid [0, R], R capped at 6)
///     b: 1×1 convolution, weight −1.5, bias 0.5, linear      (either sign: grid [−R, R], R from |x|)
///
/// on three images, batches of 2 (the second batch has one padding image, which must not count):
///
///     image     x                      a = relu6(2x − 1)        |b| = |0.5 − 1.5·a|
///     1         0.1 0.4 0.9 3.0        0   0   0.8 5            0.5 0.5 0.7 7
///     2         0   0   0   0          0   0   0   0            0.5 0.5 0.5 0.5
///     3         1   1   1   1          1   1   1   1            1   1   1   1
///
/// sorted a: 0×6, 0.8, 1×4, 5; sorted |b|: 0.5×6, 0.7, 1×4, 7 (12 values each). Nearest rank
/// ⌈P·12/100⌉: minmax 5 and 7; P = 55 → rank 7: 0.8 and 0.7; P = 50 → rank 6: 0 (falls back to a's largest
/// value, 5) and 0.5. Counting the padding image (four more values, 0 and 0.5) would move rank 7 of P = 55 to
/// rank 9 of 16: 0 for a.
@Suite struct GraphCalibrationTests {
    static let network = GraphNetwork(name: "hand", inputChannels: 1, layers: [
        GraphLayer("a", .conv(ConvAttributes(outChannels: 1, kernel: 1, bias: true)), bits: .bits(8), actBits: .float),
        GraphLayer("a.act", .activation(.relu6), bits: .float, actBits: .bits(8)),
        GraphLayer("b", .conv(ConvAttributes(outChannels: 1, kernel: 1, bias: true)), bits: .bits(8), actBits: .bits(8)),
    ], blocks: [])
    static let weights = GraphWeights(tensors: [
        "a.weight": Tensor(shape: [1, 1, 1, 1], data: [2]), "a.bias": Tensor(shape: [1], data: [-1]),
        "b.weight": Tensor(shape: [1, 1, 1, 1], data: [-1.5]), "b.bias": Tensor(shape: [1], data: [0.5]),
    ], origin: "hand")
    static let images = [[0.1, 0.4, 0.9, 3.0], [0, 0, 0, 0], [1, 1, 1, 1]].map { Tensor(shape: [1, 2, 2], data: $0 as [Float]) }

    static func ranges(_ method: Calibration, threads: Int = 1) throws -> [String: Float] {
        try GraphExecutor.calibratedRanges(network: network, inputSize: 2, weights: weights, images: images, method: method,
                                           options: EngineOptions(threads: threads, batchSize: 2))
    }

    @Test(arguments: [(Calibration.minmax, Float(5), Float(7)), (.percentile(55), 0.8, 0.7), (.percentile(50), 5, 0.5)])
    func rangesAreTheHandDerivedOnes(method: Calibration, a: Float, b: Float) throws {
        let r = try Self.ranges(method)
        #expect(abs(try #require(r["a"]) - a) < 1e-6, "a: \(r["a"] ?? .nan)")
        #expect(abs(try #require(r["b"]) - b) < 1e-6, "b: \(r["b"] ?? .nan)")
        #expect(try Self.ranges(method, threads: 2) == r)
        #expect(try Self.ranges(.fixed).isEmpty)
    }

    /// The minmax ranges set the grids: a on [0, 5] (L = 255), b on [−7, 7] (L = 127). By hand, image 1:
    /// a = 0, 0, 0.8, 5 → codes 0, 0, 41 (0.8·51 = 40.8), 255 → 0, 0, 41·5/255, 5; b = 0.5 − 1.5·a =
    /// 0.5, 0.5, −0.70588, −7 → codes 9 (0.5·127/7 = 9.07), 9, −13 (−12.81), −127 → ·7/127. The integer run (b on
    /// int8: a's u8 codes, weight code −127 at scale 1.5/127, bias 2159 in s32) gives the same values.
    @Test(arguments: [Kernels.float, .integer])
    func calibratedGridsGiveTheHandDerivedOutputs(kernels: Kernels) throws {
        let ranges = try Self.ranges(.minmax)
        let net = try GraphExecutor(network: Self.network, inputSize: 2, weights: Self.weights,
                                    options: EngineOptions(batchSize: 1, kernels: kernels, calibration: .minmax, activationRanges: ranges))
        #expect(net.layerKernels.map(\.kernel) == (kernels == .integer ? [.float, .int8] : [.float, .float]))
        let step: Float = 7 / 127
        let expected: [Float] = [9 * step, 9 * step, -13 * step, -127 * step]
        let out = try net.run([Self.images[0]]).images[0].logits
        for (x, y) in zip(out, expected) { #expect(abs(x - y) < 1e-5, "\(out) vs \(expected)") }
        let c = net.activationCalibration
        #expect(c.method == .minmax)
        #expect(c.layers.map(\.layer) == ["a", "b"])
        #expect(c.layers.map(\.range) == [ranges["a"]!, ranges["b"]!])
        #expect(abs(c.layers[1].scale - step) < 1e-7)
    }
}
