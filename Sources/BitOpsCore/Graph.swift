/// A network as a graph of layers: the general description that the block form (`NetworkSpec`) is one case of.
///
/// A `GraphNetwork` is an input (channels and bits) and a list of layers in an order where every layer comes
/// after the layers it reads. A layer is a convolution (any square kernel, stride, padding, dilation and groups:
/// plain, depthwise or grouped), batch normalisation, an activation, an element-wise `add` (residual) or `mul`
/// (squeeze-and-excite), global average pooling, max or average pooling, `flatten`, or `gemm` (a linear layer).
/// Shapes are inferred from the input size. Blocks are named groups of layers: each layer names the block it
/// belongs to (or none, like a stem or a classifier), so "each block its own precision" keeps its meaning.
///
/// Precision lives on the layers: a weight layer's `bits`, and every layer's output `actBits` (nil for the
/// layers that pass their input's precision through: pooling and flatten). `settingBlockPrecision` and
/// `settingLayerBits` (LayerPattern.swift) set them per block and per layer name pattern.
///
/// Counting (GraphCost.swift) follows the block form's rules exactly for convolutions and linear layers; the
/// other layers have their own op counts, outside BitOps.

/// An activation function. Fused into the layer before it when counting (no MACs, no BitOps, no op count).
public enum Activation: String, Hashable, Codable, Sendable, CaseIterable {
    case relu, relu6
    case hardSwish = "hard-swish"
    case hardSigmoid = "hard-sigmoid"
    case sigmoid
}

/// A convolution's attributes. Kernel, stride, padding and dilation are the same along height and width.
public struct ConvAttributes: Hashable, Sendable {
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    /// Zero padding on each of the four sides.
    public var padding: Int
    public var dilation: Int
    /// Input and output channels are split into `groups` groups (1: plain; = input channels: depthwise).
    public var groups: Int
    /// Whether the convolution has a bias (counted as parameters stored as float, like the classifier's).
    public var bias: Bool

    public init(outChannels: Int, kernel: Int, stride: Int = 1, padding: Int? = nil, dilation: Int = 1, groups: Int = 1,
                bias: Bool = false) {
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding ?? (dilation * (kernel - 1)) / 2
        self.dilation = dilation
        self.groups = groups
        self.bias = bias
    }
}

/// What a layer does.
public enum GraphOp: Hashable, Sendable {
    case conv(ConvAttributes)
    /// Batch normalisation: folded into the convolution before it at inference; not counted.
    case batchNorm
    case activation(Activation)
    /// Element-wise sum of two inputs of the same shape (a residual connection).
    case add
    /// Element-wise product of two inputs; the second may be `C×1×1`, broadcast over the first's map.
    case mul
    /// The mean over each channel's map: `C×H×W` → `C×1×1`.
    case globalAveragePool
    case maxPool(kernel: Int, stride: Int, padding: Int)
    case averagePool(kernel: Int, stride: Int, padding: Int)
    /// `C×H×W` → `(C·H·W)×1×1`.
    case flatten
    /// A linear layer on a `C×1×1` input (after pooling or flatten).
    case gemm(outFeatures: Int, bias: Bool)

    /// `conv`, `batch-norm`, `relu6`, `add`, …: the op's name in tables.
    public var label: String {
        switch self {
        case .conv: return "conv"
        case .batchNorm: return "batch-norm"
        case .activation(let a): return a.rawValue
        case .add: return "add"
        case .mul: return "mul"
        case .globalAveragePool: return "global-average-pool"
        case .maxPool: return "max-pool"
        case .averagePool: return "average-pool"
        case .flatten: return "flatten"
        case .gemm: return "gemm"
        }
    }

    /// Whether the layer has weights (and so weight bits, MACs and BitOps).
    public var hasWeights: Bool {
        switch self {
        case .conv, .gemm: return true
        default: return false
        }
    }

    /// How many inputs the layer reads.
    var arity: Int {
        switch self {
        case .add, .mul: return 2
        default: return 1
        }
    }
}

/// One layer of a graph network.
public struct GraphLayer: Hashable, Sendable {
    /// Unique in the network; `input` is reserved for the network's input. Dots separate the name's segments
    /// (`features.3.conv.1.0`), which layer patterns rely on.
    public var name: String
    public var op: GraphOp
    /// The layers whose outputs this layer reads (`input` for the network's input); empty: the layer listed just
    /// before it (the network's input for the first layer).
    public var inputs: [String]
    /// Index into `GraphNetwork.blocks`, or nil outside any block.
    public var block: Int?
    /// Weight bits (convolutions and gemm; ignored by the other layers).
    public var bits: BitWidth
    /// Bits of this layer's output; nil: the same as its first input's (pooling and flatten pass precision on).
    public var actBits: BitWidth?
    /// The calibrated range R of the quantized output of the engine step this layer ends (a convolution with the
    /// batch norm and activation it absorbs, an add with its activation, a pool, …; `GraphSteps`): the step's
    /// output is clipped to and quantized on the static grid `k · R/L` — [0, R] with `L = 2^a − 1` for values that
    /// are never negative (after ReLU6, Sigmoid, HardSigmoid, ReLU, …), [−R, R] with `L = max(1, 2^(a−1) − 1)`
    /// for values of either sign (a linear bottleneck, a residual sum, HardSwish) — as `--calibrate` runs it.
    /// Read back from what `bitsweep export --calibrate` writes: `Clip(0, R)` (a ReLU6 on R, or a clip after a
    /// non-negative output) or `Clip(−R, R)`, then QDQ of scale R/L. Nil: the fixed [0, 6] grid after ReLU6,
    /// Sigmoid and HardSigmoid, each image's own range elsewhere. A float output ignores it. At most 6 for a ReLU6.
    /// Only a step's last layer may carry it (`validate` refuses it on a layer its step absorbs).
    public var activationRange: Float? = nil
    /// The smallest calibrated range a layer may carry (as the block form's calibration floor): below it the
    /// grid's step L/R overflows Float and the clipped zeros become NaN.
    public static let smallestActivationRange: Float = 1e-6

    public init(_ name: String, _ op: GraphOp, inputs: [String] = [], block: Int? = nil, bits: BitWidth = .float,
                actBits: BitWidth? = .float) {
        self.name = name
        self.op = op
        self.inputs = inputs
        self.block = block
        self.bits = bits
        self.actBits = actBits
    }
}

/// A whole graph network.
public struct GraphNetwork: Hashable, Sendable {
    /// The name of the network's input in `GraphLayer.inputs`.
    public static let inputName = "input"

    public var name: String
    public var inputChannels: Int
    /// Bits of the input image (the `wa` convention's first-layer activation bits).
    public var inputBits: BitWidth
    public var layers: [GraphLayer]
    /// Block names, in order; a layer's `block` indexes this list.
    public var blocks: [String]

    public init(name: String, inputChannels: Int = 3, inputBits: BitWidth = .bits(8), layers: [GraphLayer], blocks: [String]) {
        self.name = name
        self.inputChannels = inputChannels
        self.inputBits = inputBits
        self.layers = layers
        self.blocks = blocks
    }

    /// Layer limits: far above any published network, to keep a hostile description from asking for unbounded
    /// work before anything is counted.
    public enum Limits {
        public static let layers = 65_536
    }

    /// Checks names, references, blocks and values; throws the first problem found, naming the layer.
    public func validate() throws {
        func check(_ v: Int, _ what: String, _ range: ClosedRange<Int>) throws {
            guard range.contains(v) else {
                throw SpecError("\(what) \(v) is out of range: expected \(range.lowerBound)–\(range.upperBound)")
            }
        }
        try check(inputChannels, "input_channels", 1...NetworkSpec.Limits.channels)
        guard inputBits.isValid else { throw SpecError("input bits \(inputBits) is out of range: expected \(BitWidth.expected)") }
        guard !layers.isEmpty else { throw SpecError("a graph network needs at least one layer") }
        guard layers.count <= Limits.layers else {
            throw SpecError("a graph network of \(layers.count) layers is too large (at most \(Limits.layers))")
        }
        var seen: Set<String> = [Self.inputName]
        var blockUsed = Array(repeating: false, count: blocks.count)
        guard Set(blocks).count == blocks.count else { throw SpecError("block names must be unique: \(blocks)") }
        for l in layers {
            let at = "layer '\(l.name)'"
            guard !l.name.isEmpty else { throw SpecError("a layer has an empty name") }
            guard !seen.contains(l.name) else {
                throw SpecError(l.name == Self.inputName ? "\(at): the name '\(Self.inputName)' is reserved for the network's input"
                                                         : "\(at): the name is used twice")
            }
            let arity = l.op.arity
            guard l.inputs.count == arity || (l.inputs.isEmpty && arity == 1) else {
                throw SpecError("\(at): \(l.op.label) reads \(arity) input\(arity == 1 ? "" : "s"), got \(l.inputs.count)")
            }
            for i in l.inputs where !seen.contains(i) {
                throw SpecError("\(at): input '\(i)' is not the network's input or a layer listed before it")
            }
            if let b = l.block {
                guard blocks.indices.contains(b) else { throw SpecError("\(at): block \(b) does not exist (\(blocks.count) blocks)") }
                blockUsed[b] = true
            }
            guard l.bits.isValid else { throw SpecError("\(at): bits \(l.bits) is out of range: expected \(BitWidth.expected)") }
            if let a = l.actBits, !a.isValid {
                throw SpecError("\(at): act_bits \(a) is out of range: expected \(BitWidth.expected)")
            }
            if let r = l.activationRange {
                if l.op == .activation(.relu6) {
                    guard r >= GraphLayer.smallestActivationRange, r <= 6 else {
                        throw SpecError("\(at): activation range \(r) is out of range: expected \(GraphLayer.smallestActivationRange) ≤ R ≤ 6")
                    }
                } else {
                    guard r >= GraphLayer.smallestActivationRange, r.isFinite else {
                        throw SpecError("\(at): activation range \(r) is out of range: expected a finite R ≥ \(GraphLayer.smallestActivationRange)")
                    }
                }
            }
            switch l.op {
            case .conv(let c):
                try check(c.outChannels, "\(at): out_channels", 1...NetworkSpec.Limits.channels)
                try check(c.kernel, "\(at): kernel", 1...NetworkSpec.Limits.kernel)
                try check(c.stride, "\(at): stride", 1...NetworkSpec.Limits.stride)
                try check(c.dilation, "\(at): dilation", 1...NetworkSpec.Limits.stride)
                try check(c.padding, "\(at): padding", 0...NetworkSpec.Limits.kernel * NetworkSpec.Limits.stride)
                try check(c.groups, "\(at): groups", 1...NetworkSpec.Limits.channels)
            case .maxPool(let k, let s, let p), .averagePool(let k, let s, let p):
                try check(k, "\(at): kernel", 1...NetworkSpec.Limits.kernel)
                try check(s, "\(at): stride", 1...NetworkSpec.Limits.stride)
                try check(p, "\(at): padding", 0...k / 2)
            case .gemm(let n, _):
                try check(n, "\(at): out_features", 1...NetworkSpec.Limits.classes)
            case .batchNorm, .activation, .add, .mul, .globalAveragePool, .flatten:
                break
            }
            seen.insert(l.name)
        }
        if let unused = blockUsed.firstIndex(of: false) {
            throw SpecError("block '\(blocks[unused])' has no layers")
        }
        // A calibrated range quantizes a step's output: the engine and the export read it from the step's last
        // layer only, so one on a layer the step absorbs would be ignored — refused instead.
        let steps = GraphSteps(self)
        var i = 0
        while i < layers.count {
            let end = steps.end(from: i)
            if let k = (i..<end).first(where: { layers[$0].activationRange != nil }) {
                throw SpecError("layer '\(layers[k].name)': activation range \(layers[k].activationRange!) on a layer that runs in one step with '\(layers[end].name)'; expected: a calibrated range on a step's last layer")
            }
            i = end + 1
        }
    }

    /// The layers of block `b`, in order.
    public func layers(inBlock b: Int) -> [GraphLayer] { layers.filter { $0.block == b } }

    /// How many layers carry a calibrated range (`GraphLayer.activationRange`: a calibrated export read back).
    public var calibratedLayerCount: Int { layers.filter { $0.activationRange != nil }.count }

    /// How this network quantizes its activations, in words (the messages that refuse to calibrate it): the
    /// fixed [0, 6] grid after ReLU6, Sigmoid and HardSigmoid, and each image's own range elsewhere — except the
    /// layer outputs that carry a calibrated range, on their static grids.
    public var activationGridsText: String {
        let calibrated = calibratedLayerCount
        let own = calibrated == 0 ? "" : ", except \(calibrated) layer output\(calibrated == 1 ? "" : "s") on the model's own calibrated ranges (static [0, R] or [−R, R] grids)"
        return "\(name) quantizes activations on the fixed [0, 6] grid after ReLU6, Sigmoid and HardSigmoid, and with each image's own range elsewhere\(own)"
    }
}

extension GraphNetwork {
    /// Sets the precision of every block, as the block form does: the weight bits of each convolution and gemm
    /// of block `i` to `bits[i]`, and the output bits of each of its layers that has its own (`actBits` not nil)
    /// to `actBits[i]`. Nil leaves that precision as it is. A list of another length than the block count is an
    /// error.
    public func settingBlockPrecision(bits: [BitWidth]?, actBits: [BitWidth]?) throws -> GraphNetwork {
        if let bits, bits.count != blocks.count {
            throw SpecError("bits list has \(bits.count) entries; expected \(blocks.count), one per block of \(name)")
        }
        if let actBits, actBits.count != blocks.count {
            throw SpecError("act-bits list has \(actBits.count) entries; expected \(blocks.count), one per block of \(name)")
        }
        var g = self
        for i in g.layers.indices {
            guard let b = g.layers[i].block else { continue }
            if let bits, g.layers[i].op.hasWeights { g.layers[i].bits = bits[b] }
            if let actBits, g.layers[i].actBits != nil { g.layers[i].actBits = actBits[b] }
        }
        return g
    }
}

extension NetworkSpec {
    /// This block-form network as a graph, with the same layer names as its accounting (`stem`,
    /// `block3.depthwise`, `block3.pointwise`, `classifier`) and the same counts: each convolution is followed
    /// by `NAME.bn` and `NAME.relu6`, the blocks are named `block0`, `block1`, …, then `pool` (global average
    /// pooling) and `classifier` (gemm with bias, float logits).
    public func graph() throws -> GraphNetwork {
        try validate()
        var layers: [GraphLayer] = []
        var channels = inputChannels
        func convBNReLU6(_ name: String, _ c: ConvAttributes, block: Int?, bits: BitWidth, act: BitWidth) {
            layers.append(GraphLayer(name, .conv(c), block: block, bits: bits, actBits: act))
            layers.append(GraphLayer(name + ".bn", .batchNorm, block: block, actBits: act))
            layers.append(GraphLayer(name + ".relu6", .activation(.relu6), block: block, actBits: act))
            channels = c.outChannels
        }
        if let stem {
            convBNReLU6("stem", ConvAttributes(outChannels: stem.outChannels, kernel: stem.kernel, stride: stem.stride),
                        block: nil, bits: stem.bits, act: stem.actBits)
        }
        for (i, b) in blocks.enumerated() {
            convBNReLU6("block\(i).depthwise",
                        ConvAttributes(outChannels: channels, kernel: b.kernel, stride: b.stride, groups: channels),
                        block: i, bits: b.depthwiseBits ?? b.bits, act: b.actBits)
            convBNReLU6("block\(i).pointwise", ConvAttributes(outChannels: b.outChannels, kernel: 1),
                        block: i, bits: b.pointwiseBits ?? b.bits, act: b.actBits)
        }
        layers.append(GraphLayer("pool", .globalAveragePool, actBits: nil))
        layers.append(GraphLayer("classifier", .gemm(outFeatures: classes, bias: true), bits: classifierBits, actBits: .float))
        return GraphNetwork(name: name, inputChannels: inputChannels, inputBits: inputBits, layers: layers,
                            blocks: blocks.indices.map { "block\($0)" })
    }
}
