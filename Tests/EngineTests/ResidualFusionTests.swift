import BitOpsCore
@testable import Engine
import Testing

/// Residual adds fused into the convolution that produces one of their inputs (GraphBuilder's
/// `residualCandidate`: the convolution writes into the residual's buffer with a `sum` post-op), on a hand-built
/// graph with five adds:
///
///     stem: conv 3×3 3→4, BN, ReLU6
///     b0: expand 1×1 4→8, BN, ReLU6 → depthwise 3×3, BN, ReLU6 → project 1×1 8→4, BN → b0.add(stem.act, ·)
///           fused: the projection's output is read by the add alone (the MobileNetV2 linear bottleneck), and
///           stem.act by nothing after the add
///     b1: conv 3×3 4→4 (bias), BN → b1.add(·, b0.add) → b1.mul(b1.add, b1.conv.bn)
///           not fused: the convolution's output has a second reader (b1.mul)
///     b2: conv 1×1 4→4, ReLU6 → conv 1×1 4→4 → b2.add(b1.mul, ·) → ReLU
///           fused, the convolution as the add's second input, with the ReLU after the add
///     b3: conv 1×1 4→4 → b3.add(b2.add.act, ·) → conv 1×1 4→4 "b3.proj"
///           not fused: the residual b2.add.act is the convolution's own input, and is read again after the add
///           (by tail.add); the convolution would overwrite it
///     tail.add(b2.add.act, b3.proj) outside any block
///           not fused: the add is not in the convolution's block
///     global average pool → flatten → gemm 5
@Suite struct ResidualFusionTests {
    static let size = 8

    static func graph(bits: BitWidth = .float, actBits: BitWidth = .float) -> GraphNetwork {
        func conv(_ name: String, _ c: ConvAttributes, _ inputs: [String] = [], block: Int?) -> GraphLayer {
            GraphLayer(name, .conv(c), inputs: inputs, block: block, bits: bits, actBits: actBits)
        }
        func op(_ name: String, _ o: GraphOp, _ inputs: [String] = [], block: Int?, act: BitWidth? = .float) -> GraphLayer {
            GraphLayer(name, o, inputs: inputs, block: block, actBits: act == .float ? actBits : act)
        }
        let layers = [
            conv("stem", ConvAttributes(outChannels: 4, kernel: 3, padding: 1), ["input"], block: nil),
            op("stem.bn", .batchNorm, block: nil), op("stem.act", .activation(.relu6), block: nil),
            conv("b0.expand", ConvAttributes(outChannels: 8, kernel: 1), block: 0),
            op("b0.expand.bn", .batchNorm, block: 0), op("b0.expand.act", .activation(.relu6), block: 0),
            conv("b0.dw", ConvAttributes(outChannels: 8, kernel: 3, padding: 1, groups: 8), block: 0),
            op("b0.dw.bn", .batchNorm, block: 0), op("b0.dw.act", .activation(.relu6), block: 0),
            conv("b0.project", ConvAttributes(outChannels: 4, kernel: 1), block: 0),
            op("b0.project.bn", .batchNorm, block: 0),
            op("b0.add", .add, ["stem.act", "b0.project.bn"], block: 0),
            conv("b1.conv", ConvAttributes(outChannels: 4, kernel: 3, padding: 1, bias: true), block: 1),
            op("b1.conv.bn", .batchNorm, block: 1),
            op("b1.add", .add, ["b1.conv.bn", "b0.add"], block: 1),
            op("b1.mul", .mul, ["b1.add", "b1.conv.bn"], block: 1),
            conv("b2.expand", ConvAttributes(outChannels: 4, kernel: 1), block: 2),
            op("b2.expand.act", .activation(.relu6), block: 2),
            conv("b2.conv", ConvAttributes(outChannels: 4, kernel: 1), block: 2),
            op("b2.add", .add, ["b1.mul", "b2.conv"], block: 2),
            op("b2.add.act", .activation(.relu), block: 2),
            conv("b3.conv", ConvAttributes(outChannels: 4, kernel: 1), block: 3),
            op("b3.add", .add, ["b2.add.act", "b3.conv"], block: 3),
            conv("b3.proj", ConvAttributes(outChannels: 4, kernel: 1), block: 3),
            op("tail.add", .add, ["b2.add.act", "b3.proj"], block: nil),
            op("gap", .globalAveragePool, block: nil, act: nil),
            op("flat", .flatten, block: nil, act: nil),
            GraphLayer("fc", .gemm(outFeatures: 5, bias: true), bits: bits, actBits: actBits),
        ]
        return GraphNetwork(name: "residuals", inputChannels: 3, layers: layers, blocks: ["b0", "b1", "b2", "b3"])
    }

    /// Seeded weights with non-trivial batch norms and convolution biases (as `GraphExecutorTests.tinyWeights`).
    static func weights(_ g: GraphNetwork, size: Int) throws -> GraphWeights {
        try Reference.perturbedGraphWeights(g, size: size, seed: 78) { name in !name.hasSuffix(".weight") || name.contains(".bn.") }
    }

    static let images = (0..<2).map { Reference.randomImage(channels: 3, size: size, seed: UInt64(60 + $0)) }

    static func executor(_ g: GraphNetwork, fuse: Bool, threads: Int = 1, ranges: [String: Float] = [:],
                         size: Int = size) throws -> GraphExecutor {
        var o = EngineOptions(threads: threads, batchSize: 2, calibration: ranges.isEmpty ? .fixed : .minmax, activationRanges: ranges)
        o.fuseResidualAdds = fuse
        return try GraphExecutor(network: g, inputSize: size, weights: try Self.weights(g, size: size), options: o)
    }

    static func stepNames(_ net: GraphExecutor) -> [String] { net.steps.filter { !$0.isReorder }.map(\.name) }

    /// Where the adds are fused: b0 and b2 only (see the suite's comment); with fusion off, none.
    @Test func addsAreFusedExactlyWhereLegal() throws {
        let g = Self.graph()
        let fused = try Self.executor(g, fuse: true)
        #expect(fused.fusedAdds.map(\.add) == ["b0.add", "b2.add"])
        #expect(fused.fusedAdds.map(\.convolution) == ["b0.project", "b2.conv"])
        let steps = Self.stepNames(fused)
        #expect(steps.contains("b0.project") && steps.contains("b2.conv"))
        #expect(!steps.contains("b0.add") && !steps.contains("b2.add") && !steps.contains("b2.add.act"))
        #expect(steps.contains("b1.add") && steps.contains("b1.mul") && steps.contains("b3.add") && steps.contains("tail.add"))
        // Every add is still listed with a kernel, right after the convolution that took it.
        let listed = fused.layerKernels.map(\.layer)
        #expect(listed.firstIndex(of: "b0.add") == listed.firstIndex(of: "b0.project")! + 1)
        #expect(listed.firstIndex(of: "b2.add") == listed.firstIndex(of: "b2.conv")! + 1)
        let implementations = fused.implementations.map(\.layer)
        #expect(implementations.firstIndex(of: "b0.add") == implementations.firstIndex(of: "b0.project")! + 1)
        #expect(fused.implementations.filter { $0.implementation == GraphExecutor.fusedAddImplementation }.map(\.layer) == ["b0.add", "b2.add"])
        // A fused step writes into its residual's buffer, which nothing reads afterwards.
        let slots = GraphSlots(steps: fused.steps, values: fused.values, finalValue: fused.finalValue)
        let accumulating = fused.steps.filter { $0.accumulates != nil }
        #expect(accumulating.map(\.name) == ["b0.project", "b2.conv"])
        for (k, s) in fused.steps.enumerated() {
            if let a = s.accumulates {
                #expect(slots.slotOf[s.output] == slots.slotOf[a])
                #expect(fused.steps[(k + 1)...].allSatisfy { !$0.inputs.map(\.value).contains(a) })
            }
        }

        let separate = try Self.executor(g, fuse: false)
        #expect(separate.fusedAdds.isEmpty)
        #expect(Self.stepNames(separate).filter { ["b0.add", "b1.add", "b2.add", "b3.add", "tail.add"].contains($0) }.count == 5)
        #expect(Set(separate.layerKernels.map(\.layer)) == Set(listed))
        // Two fewer steps (the fused adds) and two fewer tensors alive.
        #expect(Self.stepNames(fused).count == Self.stepNames(separate).count - 2)
    }

    /// Fused or not, the same logits as the naive evaluation of the graph (float activations; float and 4-bit
    /// weights), and the same as each other; the float twin too (the fidelity figures agree).
    @Test(arguments: [BitWidth.float, .bits(4)])
    func fusedAgreesWithSeparateAndNaive(bits: BitWidth) throws {
        let g = Self.graph(bits: bits)
        let w = try Self.weights(g, size: Self.size)
        let fused = try Self.executor(g, fuse: true), separate = try Self.executor(g, fuse: false)
        #expect(fused.fusedAdds.count == 2)
        let a = try fused.run(Self.images).images, b = try separate.run(Self.images).images
        for (i, img) in Self.images.enumerated() {
            let q = GraphExecutorTests.naive(g, w, image: img.data, size: Self.size, quantizeWeights: true)
            #expect(q.count == 5)
            #expect(maxRelativeError(a[i].logits, q) < 1e-5, "image \(i): \(a[i].logits) vs \(q)")
            #expect(maxRelativeError(a[i].logits, b[i].logits) < 1e-6, "image \(i): fused \(a[i].logits) vs separate \(b[i].logits)")
            if bits != .float {
                let fa = try #require(a[i].fidelity), fb = try #require(b[i].fidelity)
                #expect(abs(fa.sqnrDB - fb.sqnrDB) < 0.01)
            }
        }
    }

    /// Activations quantized per image: a linear bottleneck (the projection's output, b2.conv's) needs its whole
    /// output for its range before anything is added to it, so no add is fused and the network is the one built
    /// without fusion.
    @Test func perImageQuantizedOutputsAreNotFused() throws {
        let g = Self.graph(bits: .bits(6), actBits: .bits(6))
        let fused = try Self.executor(g, fuse: true), separate = try Self.executor(g, fuse: false)
        #expect(fused.fusedAdds.isEmpty)
        #expect(Self.stepNames(fused) == Self.stepNames(separate))
        #expect(try fused.run(Self.images).images.map(\.logits) == (try separate.run(Self.images).images.map(\.logits)))
    }

    /// Calibrated (static) grids. A convolution whose own output is quantized (or activated) before the add is not
    /// fused (oneDNN 2.6's brgconv gave other values with eltwise post-ops before the sum); one whose output is
    /// float is, and the sum is quantized on the add's grid after it — the same values as the separate
    /// primitives, and the same activation records (one per quantized step output, same names, same order).
    @Test func staticGridsBeforeAndAfterTheAddAreKept() throws {
        var g = Self.graph(bits: .bits(5), actBits: .bits(5))
        var ranges: [String: Float] = [:]
        for (k, l) in g.layers.enumerated() { ranges[l.name] = 1.5 + Float(k % 5) * 0.5 }
        #expect(try Self.executor(g, fuse: true, ranges: ranges).fusedAdds.isEmpty)
        for k in g.layers.indices where ["b0.project.bn", "b2.conv"].contains(g.layers[k].name) { g.layers[k].actBits = .float }
        let fused = try Self.executor(g, fuse: true, ranges: ranges), separate = try Self.executor(g, fuse: false, ranges: ranges)
        #expect(fused.fusedAdds.map(\.add) == ["b0.add", "b2.add"])
        let records = fused.activationCalibration.layers.map(\.layer)
        #expect(records == separate.activationCalibration.layers.map(\.layer))
        #expect(!records.contains("b0.project") && records.contains("b0.add") && !records.contains("b2.conv") && records.contains("b2.add"))
        #expect(fused.activationCalibration == separate.activationCalibration)
        let a = try fused.run(Self.images).images, b = try separate.run(Self.images).images
        for i in a.indices {
            #expect(a[i].logits.contains { $0 != 0 })
            #expect(maxRelativeError(a[i].logits, b[i].logits) < 1e-6, "image \(i): fused \(a[i].logits) vs separate \(b[i].logits)")
            let fa = try #require(a[i].fidelity), fb = try #require(b[i].fidelity)
            #expect(zip(fa.blockSQNR, fb.blockSQNR).allSatisfy { abs($0 - $1) < 0.01 || $0 == $1 }, "\(fa.blockSQNR) vs \(fb.blockSQNR)")
        }
        // The grids matter: without them the outputs differ from these.
        let unquantized = try Self.executor(Self.graph(bits: .bits(5)), fuse: true).run(Self.images).images
        #expect(maxRelativeError(a[0].logits, unquantized[0].logits) > 1e-4)
    }

    /// Fused logits are bit-identical on 1 and 2 threads, run after run.
    @Test func fusedIsDeterministicOnOneAndTwoThreads() throws {
        let g = Self.graph()
        let images = (0..<2).map { Reference.randomImage(channels: 3, size: 24, seed: UInt64(80 + $0)) }
        var logits: [[[Float]]] = []
        for threads in [1, 2] {
            let net = try Self.executor(g, fuse: true, threads: threads, size: 24)
            #expect(net.fusedAdds.count == 2)
            let first = try net.run(images).images.map(\.logits)
            #expect(try net.run(images).images.map(\.logits) == first, "\(threads) threads, second run")
            logits.append(first)
        }
        #expect(logits[1] == logits[0])
    }

    /// The accounting does not see the fusion: each add (and the mul) is still its own element-wise op count (one
    /// per output element, 4·8·8 = 256), and the whole cost report equals the one built without fusion.
    @Test func addsKeepTheirOwnOpCounts() throws {
        let g = Self.graph(bits: .bits(4))
        let fused = try Self.executor(g, fuse: true), separate = try Self.executor(g, fuse: false)
        for name in ["b0.add", "b1.add", "b2.add", "b3.add", "tail.add"] {
            let op = try #require(fused.cost.operations.first { $0.name == name })
            #expect(op.op == "add" && op.elementwiseOps == 4 * 8 * 8)
        }
        #expect(fused.cost.operations.first { $0.name == "b1.mul" }?.elementwiseOps == 256)
        #expect(fused.cost.elementwiseOps == 6 * 256)
        #expect(fused.cost == separate.cost)
        #expect(fused.cost.layers.map(\.bitops) == separate.cost.layers.map(\.bitops))
    }
}
