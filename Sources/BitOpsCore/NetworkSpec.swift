/// The description of a variable-precision MobileNet-style network, as plain values.
///
/// A network is: `inputChannels` (default 3), an optional stem (a full K×K convolution, default 3×3 stride 2),
/// an ordered list of depthwise-separable blocks, global average pooling, and a linear classifier.
///
/// A block is: depthwise K×K conv (padding K/2, stride s, groups = C_in, no bias) → BatchNorm → ReLU6 →
/// pointwise 1×1 conv (no bias) → BatchNorm → ReLU6. Every block carries its own weight precision `bits`
/// and activation precision `actBits`, which is the point of the tool.
///
/// Bit widths (weights and activations) are `BitWidth` values: 1–16 bits, or float.

/// An error in a network description or a counting request. `description` is a one-line message that names
/// the offending value (and, where known, the block).
public struct SpecError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// One depthwise-separable block: its output channels, the depthwise stride and kernel, and its precisions.
public struct BlockSpec: Hashable, Codable, Sendable {
    public var outChannels: Int
    public var stride: Int
    /// Depthwise kernel size K (odd); the padding is K/2.
    public var kernel: Int
    /// Weight bits of both convolutions of the block.
    public var bits: BitWidth
    /// Activation bits after each ReLU6 of the block.
    public var actBits: BitWidth
    /// The depthwise convolution's weight bits when they differ from `bits` (per-layer precision; nil: `bits`).
    public var depthwiseBits: BitWidth?
    /// The pointwise convolution's weight bits when they differ from `bits` (nil: `bits`).
    public var pointwiseBits: BitWidth?

    public init(outChannels: Int, stride: Int, bits: BitWidth, actBits: BitWidth = .float, kernel: Int = 3) {
        self.outChannels = outChannels
        self.stride = stride
        self.kernel = kernel
        self.bits = bits
        self.actBits = actBits
    }

    enum CodingKeys: String, CodingKey {
        case outChannels = "out_channels", stride, kernel, bits, actBits = "act_bits"
        case depthwiseBits = "depthwise_bits", pointwiseBits = "pointwise_bits"
    }
}

/// The optional stem: a full (groups = 1) K×K convolution, no bias, then BatchNorm and ReLU6.
public struct StemSpec: Hashable, Codable, Sendable {
    public var outChannels: Int
    public var kernel: Int
    public var stride: Int
    public var bits: BitWidth
    public var actBits: BitWidth

    public init(outChannels: Int = 32, kernel: Int = 3, stride: Int = 2, bits: BitWidth, actBits: BitWidth = .float) {
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.bits = bits
        self.actBits = actBits
    }

    enum CodingKeys: String, CodingKey {
        case outChannels = "out_channels", kernel, stride, bits, actBits = "act_bits"
    }
}

/// A whole network. Build one from a preset (`Presets`) or from a model file (BitSweepConfig).
public struct NetworkSpec: Hashable, Codable, Sendable {
    /// A short label, e.g. `seed` or `mobilenet-v1` or the model file's name.
    public var name: String
    public var inputChannels: Int
    /// Bits of the input image, used by the `wa` convention for the first layer (default 8).
    public var inputBits: BitWidth
    public var stem: StemSpec?
    public var blocks: [BlockSpec]
    public var classes: Int
    /// Weight bits of the linear classifier (the `seed` preset keeps it float).
    public var classifierBits: BitWidth

    public init(name: String, inputChannels: Int = 3, inputBits: BitWidth = .bits(8), stem: StemSpec? = nil,
                blocks: [BlockSpec], classes: Int = 10, classifierBits: BitWidth = .float) {
        self.name = name
        self.inputChannels = inputChannels
        self.inputBits = inputBits
        self.stem = stem
        self.blocks = blocks
        self.classes = classes
        self.classifierBits = classifierBits
    }

    enum CodingKeys: String, CodingKey {
        case name, inputChannels = "input_channels", inputBits = "input_bits", stem, blocks, classes
        case classifierBits = "classifier_bits"
    }

    /// What a network may declare (far above any MobileNet; they keep a hostile model file from asking for
    /// unbounded work or memory before anything is counted).
    public enum Limits {
        public static let blocks = 1024
        public static let channels = 65_536
        public static let classes = 1_000_000
        public static let kernel = 31
        public static let stride = 64
    }

    /// Checks every value; throws the first problem found, naming the value and the block.
    public func validate() throws {
        func positive(_ v: Int, _ what: String, atMost limit: Int) throws {
            guard v >= 1 else { throw SpecError("\(what) must be a positive integer, got \(v)") }
            guard v <= limit else { throw SpecError("\(what) \(v) is too large (at most \(limit))") }
        }
        func positive(_ v: Int, _ what: String) throws { try positive(v, what, atMost: Limits.stride) }
        func width(_ b: BitWidth, _ what: String) throws {
            guard b.isValid else { throw SpecError("\(what) \(b) is out of range: expected \(BitWidth.expected)") }
        }
        try positive(inputChannels, "input_channels", atMost: Limits.channels)
        try positive(classes, "classes", atMost: Limits.classes)
        try width(inputBits, "input bits")
        try width(classifierBits, "classifier bits")
        guard !blocks.isEmpty else { throw SpecError("a network needs at least one block") }
        guard blocks.count <= Limits.blocks else {
            throw SpecError("a network of \(blocks.count) blocks is too large (at most \(Limits.blocks))")
        }
        if let stem {
            try positive(stem.outChannels, "stem out_channels", atMost: Limits.channels)
            try positive(stem.stride, "stem stride")
            guard stem.kernel >= 1, stem.kernel % 2 == 1, stem.kernel <= Limits.kernel else {
                throw SpecError("stem kernel must be a positive odd integer of at most \(Limits.kernel), got \(stem.kernel)")
            }
            try width(stem.bits, "stem bits")
            try width(stem.actBits, "stem act_bits")
        }
        for (i, b) in blocks.enumerated() {
            try positive(b.outChannels, "block \(i): out_channels", atMost: Limits.channels)
            try positive(b.stride, "block \(i): stride")
            guard b.kernel >= 1, b.kernel % 2 == 1, b.kernel <= Limits.kernel else {
                throw SpecError("block \(i): kernel must be a positive odd integer of at most \(Limits.kernel), got \(b.kernel)")
            }
            try width(b.bits, "block \(i): bits")
            if let d = b.depthwiseBits { try width(d, "block \(i): depthwise_bits") }
            if let p = b.pointwiseBits { try width(p, "block \(i): pointwise_bits") }
            try width(b.actBits, "block \(i): act_bits")
        }
    }
}
