/// The `mobilenet-v2` preset: Sandler et al. 2018, "MobileNetV2: Inverted Residuals and Linear Bottlenecks"
/// (arXiv:1801.04381), Table 2, as a graph network.
///
/// A 3×3 stride-2 stem convolution (32 channels), 17 inverted residual blocks, a 1×1 convolution to 1280
/// channels, global average pooling and a linear classifier to 1000 classes. An inverted residual block with
/// expansion t, input channels c_in, output c_out and stride s is: 1×1 expansion to t·c_in channels → BN →
/// ReLU6 (absent when t = 1), 3×3 depthwise stride s → BN → ReLU6, 1×1 projection to c_out → BN with no
/// activation (the linear bottleneck), and a residual `add` of the block's input when s = 1 and c_in = c_out.
///
/// Width multiplier α: every channel count c becomes `makeDivisible(α·c)` (the nearest multiple of 8, never
/// below 8 and never more than 10 % under α·c), the last convolution keeps at least 1280 channels
/// (`makeDivisible(1280·max(1, α))`), as in the reference implementations (TF-Slim's and torchvision's).
///
/// Layer names are torchvision's (`features.0.0` the stem convolution, `features.3.conv.1.0` block 3's
/// depthwise convolution, `classifier.1` the linear layer), so its layer patterns read like a PyTorch
/// state_dict. The blocks are `features.1` … `features.18` (the 17 inverted residual blocks and the final
/// 1×1 convolution); the stem (`features.0`) and the classifier are outside the blocks, at `stem-bits` and
/// `classifier-bits` (8 by default, as mobilenet-v1's).
public enum MobileNetV2 {
    /// Table 2's rows after the stem: expansion t, output channels c, repeats n, first stride s.
    public static let table: [(t: Int, c: Int, n: Int, s: Int)] = [
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    ]
    public static let stemChannels = 32
    public static let lastChannels = 1280
    /// 17 inverted residual blocks plus the final 1×1 convolution.
    public static let blockCount = table.reduce(0) { $0 + $1.n } + 1
    public static let defaultSize = 224

    /// `v` rounded to the nearest multiple of `divisor`, at least `divisor`, and bumped up by one `divisor`
    /// when rounding lost more than 10 % (the reference implementations' `_make_divisible`).
    public static func makeDivisible(_ v: Double, divisor: Int = 8) -> Int {
        let rounded = max(divisor, Int((v + Double(divisor) / 2).rounded(.down)) / divisor * divisor)
        return Double(rounded) < 0.9 * v ? rounded + divisor : rounded
    }

    /// What the preset takes; unset values take its defaults.
    public struct Options: Hashable, Sendable {
        public var width: Double
        /// Weight bits of the blocks (`uniform`, `firstLast` or `perBlock` with one width per block).
        public var bits: PrecisionPolicy?
        /// Activation bits of the blocks (default float); the stem takes the first block's.
        public var actBits: PrecisionPolicy?
        public var stemBits: BitWidth?
        public var classifierBits: BitWidth?
        public var inputBits: BitWidth
        public var classes: Int?
        /// Per-layer weight bits by name pattern, applied after the blocks' bits.
        public var layerBits: [LayerBitsRule]

        public init(width: Double = 1.0, bits: PrecisionPolicy? = nil, actBits: PrecisionPolicy? = nil,
                    stemBits: BitWidth? = nil, classifierBits: BitWidth? = nil, inputBits: BitWidth = .bits(8),
                    classes: Int? = nil, layerBits: [LayerBitsRule] = []) {
            self.width = width
            self.bits = bits
            self.actBits = actBits
            self.stemBits = stemBits
            self.classifierBits = classifierBits
            self.inputBits = inputBits
            self.classes = classes
            self.layerBits = layerBits
        }
    }

    /// The network. Throws a one-line `SpecError` naming the bad value.
    public static func network(_ o: Options = Options()) throws -> GraphNetwork {
        guard o.width > 0, o.width <= 4, o.width.isFinite else {
            throw SpecError("width \(o.width) is out of range: expected a multiplier in (0, 4], e.g. 1.4, 1.0, 0.75, 0.5, 0.35")
        }
        let classes = o.classes ?? 1000
        guard (1...NetworkSpec.Limits.classes).contains(classes) else {
            throw SpecError("classes \(classes) is out of range: expected 1–\(NetworkSpec.Limits.classes)")
        }
        let bits = try (o.bits ?? .uniform(.bits(8))).resolved(blocks: blockCount, what: "bits")
        let act = try (o.actBits ?? .uniform(.float)).resolved(blocks: blockCount, what: "act-bits")
        let stemBits = o.stemBits ?? .bits(8), classifierBits = o.classifierBits ?? .bits(8)

        var layers: [GraphLayer] = []
        var last = GraphNetwork.inputName
        func add(_ name: String, _ op: GraphOp, inputs: [String] = [], block: Int?, bits: BitWidth = .float, act: BitWidth?) {
            layers.append(GraphLayer(name, op, inputs: inputs, block: block, bits: bits, actBits: act))
            last = name
        }
        /// conv → BN (→ ReLU6), named `prefix.0`, `prefix.1`, `prefix.2` as torchvision's ConvBNReLU.
        func convBNReLU6(_ prefix: String, _ c: ConvAttributes, block: Int?, bits: BitWidth, act: BitWidth) {
            add(prefix + ".0", .conv(c), block: block, bits: bits, act: act)
            add(prefix + ".1", .batchNorm, block: block, act: act)
            add(prefix + ".2", .activation(.relu6), block: block, act: act)
        }

        var channels = makeDivisible(Double(stemChannels) * o.width)
        convBNReLU6("features.0", ConvAttributes(outChannels: channels, kernel: 3, stride: 2), block: nil,
                    bits: stemBits, act: act[0])
        var blockNames: [String] = []
        var b = 0
        for row in table {
            let out = makeDivisible(Double(row.c) * o.width)
            for r in 0..<row.n {
                let stride = r == 0 ? row.s : 1
                let prefix = "features.\(b + 1)"
                blockNames.append(prefix)
                let blockInput = last
                let hidden = channels * row.t
                var conv = 0
                if row.t != 1 {
                    convBNReLU6("\(prefix).conv.0", ConvAttributes(outChannels: hidden, kernel: 1), block: b,
                                bits: bits[b], act: act[b])
                    conv += 1
                }
                convBNReLU6("\(prefix).conv.\(conv)",
                            ConvAttributes(outChannels: hidden, kernel: 3, stride: stride, groups: hidden),
                            block: b, bits: bits[b], act: act[b])
                add("\(prefix).conv.\(conv + 1)", .conv(ConvAttributes(outChannels: out, kernel: 1)), block: b,
                    bits: bits[b], act: act[b])
                add("\(prefix).conv.\(conv + 2)", .batchNorm, block: b, act: act[b])
                if stride == 1 && channels == out {
                    add("\(prefix).add", .add, inputs: [blockInput, last], block: b, act: act[b])
                }
                channels = out
                b += 1
            }
        }
        let head = makeDivisible(Double(lastChannels) * max(1.0, o.width))
        blockNames.append("features.\(b + 1)")
        convBNReLU6("features.\(b + 1)", ConvAttributes(outChannels: head, kernel: 1), block: b, bits: bits[b], act: act[b])
        add("pool", .globalAveragePool, block: nil, act: nil)
        add("flatten", .flatten, block: nil, act: nil)
        add("classifier.1", .gemm(outFeatures: classes, bias: true), block: nil, bits: classifierBits, act: .float)

        let g = try GraphNetwork(name: "mobilenet-v2", inputChannels: 3, inputBits: o.inputBits, layers: layers,
                                 blocks: blockNames).settingLayerBits(o.layerBits)
        try g.validate()
        return g
    }
}

/// The presets that are graph networks (counted by `calc`, run by `infer`, `bench` and sweeps on the graph executor).
public enum GraphPreset: String, CaseIterable, Sendable {
    case mobilenetV2 = "mobilenet-v2"

    public var defaultSize: Int { MobileNetV2.defaultSize }
}

extension Preset {
    /// This preset's network as a graph (the block form's `graph()`): same layers, same counts.
    public func graph(_ o: PresetOptions = PresetOptions()) throws -> GraphNetwork {
        try network(o).graph()
    }
}
