import Testing
@testable import BitOpsCore

/// The graph form of a block-form network counts exactly what the block form counts: every row (name, kind,
/// shapes, bits, MACs, params, storage, activations, BitOps), every block subtotal and the totals, for many
/// sizes, block counts, precisions and all three conventions. The block form's own tests (CountingTests) pin
/// its numbers to hand-derived values; these pin the graph form to the block form.
struct GraphMatchesBlockFormTests {
    static func expectSame(_ spec: NetworkSpec, size: Int, _ convention: BitOpsConvention,
                           sourceLocation: SourceLocation = #_sourceLocation) throws {
        let graph = try spec.graph()
        let block: CostReport
        do {
            block = try spec.cost(inputSize: size, convention: convention)
        } catch {
            // A configuration the block form refuses (a map smaller than 1×1) the graph refuses too.
            #expect(throws: SpecError.self, sourceLocation: sourceLocation) { try graph.cost(inputSize: size, convention: convention) }
            return
        }
        let g = try graph.cost(inputSize: size, convention: convention)
        #expect(g.layers == block.layers, sourceLocation: sourceLocation)
        #expect(g.totals == block.totals, sourceLocation: sourceLocation)
        #expect(g.blocks.map(\.totals) == block.blocks.map(\.totals), sourceLocation: sourceLocation)
        #expect(g.blocks.map(\.name) == block.blocks.map { "block\($0.block)" }, sourceLocation: sourceLocation)
        // The block form has no element-wise layers; its one pooling layer reads the last feature map once.
        let last = block.layers[block.layers.count - 2].outputShape
        #expect(g.elementwiseOps == 0, sourceLocation: sourceLocation)
        #expect(g.poolingOps == last.elements, sourceLocation: sourceLocation)
    }

    static let conventions = BitOpsConvention.allCases

    @Test(arguments: 1...12)
    func seed(_ n: Int) throws {
        let policies: [PrecisionPolicy] = [.uniform(4), .uniform(.float), .firstLast(edge: 8, inner: 2),
                                           .perBlock((0..<n).map { BitWidth.bits(1 + (3 * $0 + n) % 16) })]
        for size in [1, 7, 32, 33, 96] {
            for (p, bits) in policies.enumerated() {
                let act: PrecisionPolicy = p % 2 == 0 ? .uniform(.float) : .perBlock((0..<n).map { BitWidth.bits(2 + $0 % 7) })
                let spec = try Preset.seed.network(PresetOptions(blocks: n, bits: bits, actBits: act, classifierBits: p == 3 ? 6 : nil))
                for c in Self.conventions { try Self.expectSame(spec, size: size, c) }
            }
        }
    }

    @Test(arguments: 1...13)
    func mobileNetV1(_ n: Int) throws {
        for width in [1.0, 0.75, 0.5, 0.25, 1.3] {
            for size in [32, 128, 192, 224, 225] {
                let bits: PrecisionPolicy = n % 2 == 0 ? .uniform(8) : .firstLast(edge: 8, inner: 3)
                let spec = try Preset.mobilenetV1.network(PresetOptions(
                    blocks: n, bits: bits, actBits: .uniform(.bits(1 + n)), width: width, stemBits: 6, inputBits: 5))
                for c in Self.conventions { try Self.expectSame(spec, size: size, c) }
            }
        }
    }

    /// A model-file-like network: one input channel, a 7×7 stem, 5×5 depthwise kernels, per-layer bits.
    @Test func unusualBlockNetwork() throws {
        var blocks = [BlockSpec(outChannels: 16, stride: 2, bits: 4, actBits: 8, kernel: 5),
                      BlockSpec(outChannels: 24, stride: 1, bits: 3, kernel: 1),
                      BlockSpec(outChannels: 40, stride: 2, bits: .float, actBits: 4, kernel: 7)]
        blocks[0].depthwiseBits = 2
        blocks[2].pointwiseBits = 8
        for stem in [StemSpec?.none, StemSpec(outChannels: 12, kernel: 7, stride: 2, bits: 5, actBits: 6)] {
            let spec = NetworkSpec(name: "odd", inputChannels: 1, inputBits: 4, stem: stem, blocks: blocks, classes: 7, classifierBits: 3)
            for size in [5, 17, 64] {
                for c in Self.conventions { try Self.expectSame(spec, size: size, c) }
            }
        }
    }

    /// Per-block precision set on the graph equals the block form built with those widths.
    @Test func blockPrecisionOnTheGraph() throws {
        let bits: [BitWidth] = [8, 2, 4, .float, 3, 1, 16]
        let act: [BitWidth] = [.float, 8, 4, 4, 2, 8, 6]
        let graph = try Preset.seed.graph(PresetOptions(blocks: 7)).settingBlockPrecision(bits: bits, actBits: act)
        let block = try Preset.seed.network(PresetOptions(blocks: 7, bits: .perBlock(bits), actBits: .perBlock(act)))
        for c in Self.conventions {
            let g = try graph.cost(inputSize: 64, convention: c), b = try block.cost(inputSize: 64, convention: c)
            #expect(g.layers == b.layers)
            #expect(g.totals == b.totals)
        }
        #expect(throws: SpecError("bits list has 3 entries; expected 7, one per block of seed")) {
            try graph.settingBlockPrecision(bits: [4, 4, 4], actBits: nil)
        }
    }

    /// Per-layer bits by pattern on the graph equal the block form's per-layer `depthwise_bits`.
    @Test func layerPatternsEqualPerLayerBits() throws {
        var block = try Preset.mobilenetV1.network(PresetOptions(bits: .uniform(4)))
        for i in block.blocks.indices { block.blocks[i].depthwiseBits = 8 }
        block.blocks[12].pointwiseBits = 2
        let graph = try Preset.mobilenetV1.graph(PresetOptions(bits: .uniform(4))).settingLayerBits([
            LayerBitsRule(pattern: "block*.depthwise", bits: 8),
            LayerBitsRule(pattern: "block12.pointwise", bits: 2),
        ])
        let g = try graph.cost(inputSize: 224), b = try block.cost(inputSize: 224)
        #expect(g.layers == b.layers)
        #expect(g.totals == b.totals)
    }
}

/// The glob semantics of layer patterns and the precedence between them.
struct LayerPatternTests {
    @Test(arguments: [
        ("features.*.conv.0.*", "features.3.conv.0.0", true),
        ("features.*.conv.0.*", "features.13.conv.0.1", true),
        ("features.*.conv.0.*", "features.3.conv.1.0", false),
        ("features.*.conv.0.*", "features.3.conv.0", false),      // the last `*` needs its segment
        ("features.*", "features.3.conv.0.0", false),             // `*` never crosses a dot
        ("features.**", "features.3.conv.0.0", true),
        ("**.0", "features.3.conv.0.0", true),
        ("**", "classifier.1", true),
        ("features.?.conv.1.0", "features.3.conv.1.0", true),
        ("features.?.conv.1.0", "features.13.conv.1.0", false),
        ("features.1?.conv.1.0", "features.13.conv.1.0", true),
        ("block*.depthwise", "block12.depthwise", true),
        ("block*.depthwise", "block12.pointwise", false),
        ("*", "stem", true),
        ("*", "", true),
        ("stem", "stem.bn", false),                               // whole names only
        ("s*m", "stem", true),
        ("a**b", "a.x.y.b", true),
        ("a*b", "a.b", false),
    ])
    func glob(_ c: (String, String, Bool)) {
        #expect(LayerPattern.matches(c.0, c.1) == c.2, "\(c.0) vs \(c.1)")
    }

    @Test func specificity() {
        #expect(LayerPattern.specificity("features.**") == 9)
        #expect(LayerPattern.specificity("features.3.**") == 11)
        #expect(LayerPattern.specificity("*.conv.?") == 6)
    }

    /// The most specific rule wins, whatever the order of the rules.
    @Test func mostSpecificWins() throws {
        for rules in [[("features.**", 4), ("features.3.**", 8)], [("features.3.**", 8), ("features.**", 4)]] {
            let g = try MobileNetV2.network(.init(layerBits: rules.map { LayerBitsRule(pattern: $0.0, bits: .bits($0.1)) }))
            let bits = Dictionary(uniqueKeysWithValues: g.layers.filter(\.op.hasWeights).map { ($0.name, $0.bits) })
            #expect(bits["features.3.conv.0.0"] == 8)
            #expect(bits["features.3.conv.2"] == 8)
            #expect(bits["features.4.conv.0.0"] == 4)
            #expect(bits["features.0.0"] == 4)
            #expect(bits["classifier.1"] == 8) // not matched: the classifier's default
        }
    }

    @Test func equallySpecificClashIsAnError() {
        #expect(throws: SpecError("layer 'features.3.conv.0.0' is matched by 'features.3.**' (8) and '**.3.conv.0.0' (2), equally specific; make one pattern more specific")) {
            try MobileNetV2.network(.init(layerBits: [LayerBitsRule(pattern: "features.3.**", bits: 8),
                                                      LayerBitsRule(pattern: "**.3.conv.0.0", bits: 2)]))
        }
        // Equally specific and agreeing is fine.
        #expect(throws: Never.self) {
            try MobileNetV2.network(.init(layerBits: [LayerBitsRule(pattern: "features.3.**", bits: 8),
                                                      LayerBitsRule(pattern: "**.3.conv.0.0", bits: 8)]))
        }
    }

    @Test func patternMatchingNothingIsAnError() {
        #expect(throws: SpecError("layer bits pattern 'features.*.conv.9.*' matches no convolution or gemm layer of mobilenet-v2 (names look like 'features.0.0')")) {
            try MobileNetV2.network(.init(layerBits: [LayerBitsRule(pattern: "features.*.conv.0.*", bits: 4),
                                                      LayerBitsRule(pattern: "features.*.conv.9.*", bits: 4)]))
        }
        // A pattern that matches only a batch norm matches no weight layer.
        #expect(throws: SpecError.self) {
            try MobileNetV2.network(.init(layerBits: [LayerBitsRule(pattern: "features.0.1", bits: 4)]))
        }
    }

    @Test func parsing() throws {
        #expect(try LayerBitsRule(parsing: "features.*.conv.0.*=4") == LayerBitsRule(pattern: "features.*.conv.0.*", bits: 4))
        #expect(try LayerBitsRule(parsing: "classifier.1=float") == LayerBitsRule(pattern: "classifier.1", bits: .float))
        #expect(throws: SpecError("layer bits 'features.3' is not PATTERN=BITS (e.g. 'features.*.conv.0.*=4')")) {
            try LayerBitsRule(parsing: "features.3")
        }
        #expect(throws: SpecError("layer bits for 'x' 17 is out of range: expected 1–16, or float (also written 32)")) {
            try LayerBitsRule(parsing: "x=17")
        }
    }
}

/// Counting rules of the layer kinds the block form does not have, on a small graph worked by hand.
struct GraphLayerKindTests {
    /// Input 4×8×8, 8-bit input, weights 4-bit, activations float:
    /// - c1: conv 3×3, dilation 2 (span 5), padding 2, groups 2, 8 outputs, bias: H = (8+4−5)/1+1 = 8;
    ///   MACs 8·(4/2)·9·8·8 = 9,216; params 8·2·9 + 8 = 152; storage 144·4 + 8·32 = 832 bits.
    /// - hs: hard-swish (fused, nothing counted). mp: max pool 2/2 → 8×4×4, 8·4·4·(2·2) = 512 pooling ops.
    /// - se.pool: global average pool of mp: 8·4·4 = 128 pooling ops → 8×1×1.
    /// - se.fc: 1×1 conv 8 → 8 on 1×1: 64 MACs, pointwise. se.sig: sigmoid.
    /// - se.mul: mp × se.sig broadcast: 8·4·4 = 128 element-wise ops.
    /// - ap: average pool 3/1 padding 1 → 8×4×4, 8·16·9 = 1,152 pooling ops.
    /// - res: add(se.mul, ap): 128 element-wise ops.
    /// - flat: 128×1×1. fc: gemm to 10 with bias: 1,280 MACs, 1,290 params, storage 1,280·4 + 10·32.
    @Test func smallGraphByHand() throws {
        let g = GraphNetwork(name: "hand", inputChannels: 4, layers: [
            GraphLayer("c1", .conv(ConvAttributes(outChannels: 8, kernel: 3, padding: 2, dilation: 2, groups: 2, bias: true)), bits: 4),
            GraphLayer("hs", .activation(.hardSwish)),
            GraphLayer("mp", .maxPool(kernel: 2, stride: 2, padding: 0), actBits: nil),
            GraphLayer("se.pool", .globalAveragePool, actBits: nil),
            GraphLayer("se.fc", .conv(ConvAttributes(outChannels: 8, kernel: 1)), bits: 4),
            GraphLayer("se.sig", .activation(.hardSigmoid)),
            GraphLayer("se.mul", .mul, inputs: ["mp", "se.sig"]),
            GraphLayer("ap", .averagePool(kernel: 3, stride: 1, padding: 1), inputs: ["mp"], actBits: nil),
            GraphLayer("res", .add, inputs: ["se.mul", "ap"]),
            GraphLayer("flat", .flatten, actBits: nil),
            GraphLayer("fc", .gemm(outFeatures: 10, bias: true), bits: 4),
        ], blocks: [])
        let r = try g.cost(inputSize: 8)
        #expect(r.layers.map(\.name) == ["c1", "se.fc", "fc"])
        #expect(r.layers.map(\.kind) == [.conv, .pointwise, .linear])
        #expect(r.layers.map(\.macs) == [9_216, 64, 1_280])
        #expect(r.layers.map(\.params) == [152, 64, 1_290])
        #expect(r.layers.map(\.weightStorageBits) == [832, 256, 5_440])
        #expect(r.layers[0].outputShape == Shape(channels: 8, height: 8, width: 8))
        #expect(r.layers[1].inputShape == Shape(channels: 8, height: 1, width: 1))
        #expect(r.layers[2].inputShape == Shape(channels: 128, height: 1, width: 1))
        #expect(r.operations.map(\.name) == ["hs", "mp", "se.pool", "se.sig", "se.mul", "ap", "res", "flat"])
        #expect(r.operations.map(\.poolingOps) == [0, 512, 128, 0, 0, 1_152, 0, 0])
        #expect(r.operations.map(\.elementwiseOps) == [0, 0, 0, 0, 128, 0, 128, 0])
        #expect(r.poolingOps == 1_792)
        #expect(r.elementwiseOps == 256)
        #expect(r.totals.macs == 10_560)
        #expect(r.totals.bitops == 10_560 * 4)
        #expect(r.totals.bitops == 42_240)
        // wa: c1 reads the 8-bit image, the others float activations.
        #expect(try g.cost(inputSize: 8, convention: .wa).totals.bitops == 9_216 * 4 * 8 + (64 + 1_280) * 4 * 32)
    }

    /// Calibrated ranges carried by layers (a calibrated export read back): counted, and named in the sentence that
    /// says how the network quantizes its activations only when there are any.
    @Test func calibratedRangesCountedAndDescribed() throws {
        var layers = [GraphLayer("c1", .conv(ConvAttributes(outChannels: 8, kernel: 1)), bits: 4, actBits: 8),
                      GraphLayer("r1", .activation(.relu6), actBits: 8),
                      GraphLayer("c2", .conv(ConvAttributes(outChannels: 8, kernel: 1)), bits: 4, actBits: 8),
                      GraphLayer("r2", .activation(.relu6), actBits: 8),
                      GraphLayer("c3", .conv(ConvAttributes(outChannels: 8, kernel: 1)), bits: 4, actBits: 8),
                      GraphLayer("r3", .activation(.relu6), actBits: 8)]
        let fixed = GraphNetwork(name: "g", layers: layers, blocks: [])
        #expect(fixed.calibratedLayerCount == 0)
        #expect(fixed.activationGridsText == "g quantizes activations on the fixed [0, 6] grid after ReLU6, Sigmoid and HardSigmoid, and with each image's own range elsewhere")
        layers[1].activationRange = 2.5
        layers[5].activationRange = 6
        let calibrated = GraphNetwork(name: "g", layers: layers, blocks: [])
        try calibrated.validate()
        #expect(calibrated.calibratedLayerCount == 2)
        #expect(calibrated.activationGridsText == "g quantizes activations on the fixed [0, 6] grid after ReLU6, Sigmoid and HardSigmoid, and with each image's own range elsewhere, except 2 layer outputs on the model's own calibrated ranges (static [0, R] or [−R, R] grids)")
        // A layer its step absorbs may not (c3 runs in one step with its ReLU6 r3: the range would be ignored) …
        layers[4].activationRange = 7.5
        #expect(throws: SpecError("layer 'c3': activation range 7.5 on a layer that runs in one step with 'r3'; expected: a calibrated range on a step's last layer")) {
            try GraphNetwork(name: "g", layers: layers, blocks: []).validate()
        }
        layers[4].activationRange = nil
        // … any step's last layer may (a signed grid of a linear convolution's output, R above 6 too).
        var linear = GraphLayer("c4", .conv(ConvAttributes(outChannels: 8, kernel: 1)), bits: 4, actBits: 8)
        linear.activationRange = 7.5
        layers.append(linear)
        let signed = GraphNetwork(name: "g", layers: layers, blocks: [])
        try signed.validate()
        #expect(signed.calibratedLayerCount == 3 && signed.activationGridsText.hasSuffix(", except 3 layer outputs on the model's own calibrated ranges (static [0, R] or [−R, R] grids)"))
    }

    @Test func shapeAndReferenceErrors() {
        func net(_ layers: [GraphLayer]) -> GraphNetwork { GraphNetwork(name: "bad", inputChannels: 4, layers: layers, blocks: []) }
        #expect(throws: SpecError("layer 'a': add needs two inputs of the same shape, got 4×8×8 ('input') and 8×8×8 ('c')")) {
            try net([GraphLayer("c", .conv(ConvAttributes(outChannels: 8, kernel: 1))),
                     GraphLayer("a", .add, inputs: ["input", "c"])]).cost(inputSize: 8)
        }
        #expect(throws: SpecError("layer 'fc': gemm needs a C×1×1 input (after pooling or flatten), got 4×8×8")) {
            try net([GraphLayer("fc", .gemm(outFeatures: 3, bias: false))]).cost(inputSize: 8)
        }
        #expect(throws: SpecError("layer 'a': input 'later' is not the network's input or a layer listed before it")) {
            try net([GraphLayer("a", .add, inputs: ["input", "later"]), GraphLayer("later", .batchNorm)]).validate()
        }
        #expect(throws: SpecError("layer 'x': the name is used twice")) {
            try net([GraphLayer("x", .batchNorm), GraphLayer("x", .batchNorm)]).validate()
        }
        #expect(throws: SpecError("layer 'input': the name 'input' is reserved for the network's input")) {
            try net([GraphLayer("input", .batchNorm)]).validate()
        }
        #expect(throws: SpecError("layer 'g': groups 3 must divide the input channels 4 and the output channels 6")) {
            try net([GraphLayer("g", .conv(ConvAttributes(outChannels: 6, kernel: 3, groups: 3)))]).cost(inputSize: 8)
        }
        #expect(throws: SpecError("layer 'a': add reads 2 inputs, got 1")) {
            try net([GraphLayer("a", .add, inputs: ["input"])]).validate()
        }
        #expect(throws: SpecError("block 'empty' has no layers")) {
            try GraphNetwork(name: "bad", layers: [GraphLayer("b", .batchNorm)], blocks: ["empty"]).validate()
        }
        #expect(throws: SpecError.self) {
            try net([GraphLayer("c", .conv(ConvAttributes(outChannels: 8, kernel: 9, padding: 0)))]).cost(inputSize: 2)
        }
    }
}

/// MobileNetV2 (Sandler et al. 2018, arXiv:1801.04381) against published counts.
struct MobileNetV2Tests {
    /// Channel rounding of the reference implementations (`_make_divisible` in TF-Slim and torchvision):
    /// r = max(8, ⌊v + 4⌋ div 8 · 8), plus 8 when r < 0.9·v. By hand:
    /// 32·0.35 = 11.2 → ⌊15.2⌋ = 15 → 8, but 8 < 10.08, so 16; 16·0.35 = 5.6 → 8 (the minimum); 24·0.35 = 8.4 → 8;
    /// 96·0.35 = 33.6 → 37 → 32 (≥ 30.24); 320·1.4 = 448 → 448; 24·1.3 = 31.2 → 35 → 32; 1280·1.4 = 1792;
    /// 12 → 16 (a half rounds up); 20 → 24; 9.5 → 13 → 8, but 8 < 8.55, so 16.
    @Test func makeDivisible() {
        #expect(MobileNetV2.makeDivisible(32 * 0.35) == 16)
        #expect(MobileNetV2.makeDivisible(16 * 0.35) == 8)
        #expect(MobileNetV2.makeDivisible(24 * 0.35) == 8)
        #expect(MobileNetV2.makeDivisible(96 * 0.35) == 32)
        #expect(MobileNetV2.makeDivisible(320 * 1.4) == 448)
        #expect(MobileNetV2.makeDivisible(24 * 1.3) == 32)
        #expect(MobileNetV2.makeDivisible(1280 * 1.4) == 1792)
        #expect(MobileNetV2.makeDivisible(12) == 16)
        #expect(MobileNetV2.makeDivisible(20) == 24)
        #expect(MobileNetV2.makeDivisible(9.5) == 16)
    }

    /// The network's shape, checked against Table 2 (input size, operator, t, c, n, s per row) at 224:
    /// 224²×3 conv2d → 112²×32 → bottlenecks (1,16,1,1) (6,24,2,2) (6,32,3,2) (6,64,4,2) (6,96,3,1) (6,160,3,2)
    /// (6,320,1,1) → 7²×320 → conv2d 1×1 → 7²×1280 → avgpool 7×7 → 1×1×1280 → conv2d 1×1 (linear) → k.
    @Test func shapesFollowTable2() throws {
        let r = try MobileNetV2.network().cost(inputSize: 224)
        let outputs = Dictionary(uniqueKeysWithValues: r.layers.map { ($0.name, $0.outputShape) })
        #expect(outputs["features.0.0"] == Shape(channels: 32, height: 112, width: 112))
        // The last layer of each Table 2 row: its block's projection.
        let rows = [("features.1.conv.1", 16, 112), ("features.3.conv.2", 24, 56), ("features.6.conv.2", 32, 28),
                    ("features.10.conv.2", 64, 14), ("features.13.conv.2", 96, 14), ("features.16.conv.2", 160, 7),
                    ("features.17.conv.2", 320, 7)]
        for (name, c, h) in rows { #expect(outputs[name] == Shape(channels: c, height: h, width: h), "\(name)") }
        #expect(outputs["features.18.0"] == Shape(channels: 1280, height: 7, width: 7))
        #expect(outputs["classifier.1"] == Shape(channels: 1000, height: 1, width: 1))
        // Residual adds where stride 1 and c_in = c_out: n − 1 per row: 0+1+2+3+2+2+0 = 10.
        let adds = r.operations.filter { $0.op == "add" }.map(\.name)
        #expect(adds == ["features.3.add", "features.5.add", "features.6.add", "features.8.add", "features.9.add",
                         "features.10.add", "features.12.add", "features.13.add", "features.15.add", "features.16.add"])
        #expect(r.blocks.count == 18)
        // Depthwise convolutions: one per block, 17; every convolution of a block at its block's bits.
        #expect(r.layers.filter { $0.kind == .depthwise }.count == 17)
        #expect(r.layers.count == 53) // stem + 2 (the t = 1 block) + 16·3 + head + classifier
    }

    /// One inverted residual block by hand: features.3 at α = 1, 224 (the second (6, 24, 2, 2) block: stride 1,
    /// 24 → 24 on 56×56, expansion 6 → 144 hidden channels), 4-bit weights:
    /// - expand 1×1:    24·144·56·56 = 10,838,016 MACs,  24·144 = 3,456 params
    /// - depthwise 3×3: 144·9·56·56  =  4,064,256 MACs,  144·9  = 1,296 params
    /// - project 1×1:   144·24·56·56 = 10,838,016 MACs,  144·24 = 3,456 params
    /// - residual add:  24·56·56     =     75,264 element-wise ops
    /// Block: 25,740,288 MACs, 102,961,152 BitOps (×4), 8,208 params, 32,832 bits of weight storage (×4).
    @Test func invertedResidualBlockByHand() throws {
        let r = try MobileNetV2.network(.init(bits: .uniform(4))).cost(inputSize: 224)
        let block = r.blocks[2]
        #expect(block.name == "features.3")
        #expect(r.layers.filter { $0.block == 2 }.map(\.macs) == [10_838_016, 4_064_256, 10_838_016])
        #expect(r.layers.filter { $0.block == 2 }.map(\.params) == [3_456, 1_296, 3_456])
        #expect(r.layers.filter { $0.block == 2 }.map(\.kind) == [.pointwise, .depthwise, .pointwise])
        #expect(block.totals.macs == 25_740_288)
        #expect(block.totals.bitops == 102_961_152)
        #expect(block.totals.params == 8_208)
        #expect(block.totals.weightStorageBits == 32_832)
        #expect(block.elementwiseOps == 75_264)
        #expect(block.poolingOps == 0)
    }

    /// Whole-network MACs and parameters from an independent walk over Table 2 (no graph, no shapes code):
    /// per block, expand c_in·t·c_in·H², depthwise t·c_in·9·H'², project t·c_in·c_out·H'².
    static func independent(width α: Double, size: Int) -> (macs: Int, params: Int) {
        func divisible(_ v: Double) -> Int {
            let r = max(8, Int(v + 4) / 8 * 8)
            return Double(r) < 0.9 * v ? r + 8 : r
        }
        var h = (size - 1) / 2 + 1, c = divisible(32 * α)
        var macs = 3 * c * 9 * h * h, params = 3 * c * 9
        for (t, cOut, n, s) in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)] {
            let o = divisible(Double(cOut) * α)
            for i in 0..<n {
                let hid = c * t
                if t != 1 { macs += c * hid * h * h; params += c * hid }
                if i == 0 && s == 2 { h = (h - 1) / 2 + 1 }
                macs += hid * 9 * h * h + hid * o * h * h
                params += hid * 9 + hid * o
                c = o
            }
        }
        let last = divisible(1280 * max(1, α))
        macs += c * last * h * h + last * 1000
        params += c * last + last * 1000 + 1000
        return (macs, params)
    }

    /// The reference implementation's table of checkpoints, by the paper's authors (tensorflow/models,
    /// research/slim/nets/mobilenet/README.md, "Mobilenet V2 Imagenet Checkpoints": MACs (M), Parameters (M)).
    /// Its MACs are the count truncated to millions (1.0/224 prints 300 for 300.77 M) and its parameters the
    /// count rounded to 10 k; its checkpoints have 1001 classes (a background class), which moves MACs by 1,280
    /// and parameters by 1,281: neither shows at the printed precision. Every row must agree to that precision.
    @Test(arguments: [
        (1.4, 224, 582, 606),
        (1.3, 224, 509, 534),
        (1.0, 224, 300, 347), (1.0, 192, 221, 347), (1.0, 160, 154, 347), (1.0, 128, 99, 347), (1.0, 96, 56, 347),
        (0.75, 224, 209, 261), (0.75, 192, 153, 261), (0.75, 160, 107, 261), (0.75, 128, 69, 261), (0.75, 96, 39, 261),
        (0.5, 224, 97, 195), (0.5, 192, 71, 195), (0.5, 160, 50, 195), (0.5, 128, 32, 195), (0.5, 96, 18, 195),
        (0.35, 224, 59, 166), (0.35, 192, 43, 166), (0.35, 160, 30, 166), (0.35, 128, 20, 166), (0.35, 96, 11, 166),
    ])
    func referenceTable(_ row: (Double, Int, Int, Int)) throws {
        let r = try MobileNetV2.network(.init(width: row.0)).cost(inputSize: row.1)
        #expect(r.totals.macs / 1_000_000 == row.2, "α \(row.0) at \(row.1): \(r.totals.macs) MACs")
        #expect((r.totals.params + 5_000) / 10_000 == row.3, "α \(row.0): \(r.totals.params) params")
        let independent = Self.independent(width: row.0, size: row.1)
        #expect(r.totals.macs == independent.macs)
        #expect(r.totals.params == independent.params)
        #expect(r.totals.bitops == 8 * r.totals.macs) // 8-bit weights everywhere by default
    }

    /// The paper's Table 4 (ImageNet comparison), as the issue quotes it: MobileNetV2 300M MAdds and 3.4M
    /// parameters; MobileNetV2 (1.4) 585M and 6.9M. (The paper's text could not be retrieved here to re-check
    /// these; a secondary source, Packt's "Hands-On Deep Learning Architectures with Python", prints the
    /// same 3.4M / 300M for α = 1.0.)
    /// - α = 1.0: 300,774,272 MACs and 3,470,760 parameters agree with 300M and 3.4M when the paper truncates
    ///   (as the reference table above does for MACs): ⌊300.77⌋ = 300, ⌊3.47⌋ = 3.4. Rounded they would not
    ///   (301, 3.5), so the test pins truncation.
    /// - α = 1.4: 582,195,824 MACs is 0.48 % under 585M: the paper's figure is 2.8 M above our count, and
    ///   agrees neither truncated nor rounded; we allow 0.5 %. The 6.9M parameters do not match any count of
    ///   this architecture: ours is 6,060,840, the same as the authors' own reference table (6.06M, above).
    ///   The test records that gap (≈ 12 %) rather than hiding it behind a wide tolerance.
    @Test func paperTable4() throws {
        let one = try MobileNetV2.network().cost(inputSize: 224).totals
        #expect(one.macs / 1_000_000 == 300)
        #expect(one.params / 100_000 == 34)
        let wide = try MobileNetV2.network(.init(width: 1.4)).cost(inputSize: 224).totals
        #expect(abs(wide.macs - 585_000_000) * 1000 <= 585_000_000 * 5)
        #expect(wide.params == 6_060_840)
        #expect(6_900_000 - wide.params > 800_000) // the paper's 6.9M is not this architecture's count
    }

    @Test func optionsAndErrors() throws {
        #expect(throws: SpecError("width 0.0 is out of range: expected a multiplier in (0, 4], e.g. 1.4, 1.0, 0.75, 0.5, 0.35")) {
            try MobileNetV2.network(.init(width: 0))
        }
        #expect(throws: SpecError("bits list 8,4 has 2 entries; expected 18, one per block")) {
            try MobileNetV2.network(.init(bits: .perBlock([8, 4])))
        }
        // first-last: the first inverted residual block and the final 1×1 convolution at the edge width.
        let g = try MobileNetV2.network(.init(bits: .firstLast(edge: 8, inner: 2), stemBits: 6, classifierBits: .float))
        let bits = Dictionary(uniqueKeysWithValues: g.layers.filter(\.op.hasWeights).map { ($0.name, $0.bits) })
        #expect(bits["features.0.0"] == 6)
        #expect(bits["features.1.conv.0.0"] == 8)
        #expect(bits["features.2.conv.1.0"] == 2)
        #expect(bits["features.18.0"] == 8)
        #expect(bits["classifier.1"] == .float)
    }
}
