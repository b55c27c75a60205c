/// Exact per-layer accounting: shapes, MACs, parameters, weight storage, activations and BitOps.
///
/// Counting never touches images, threads or floating point: every figure is an exact `Int`, and every
/// product is checked, so a configuration too large to count is an error, never a wrapped number.
///
/// - Output size: `H_out = ⌊(H_in + 2P − K)/S⌋ + 1`, with `P = K/2` (integer division).
/// - MACs are always groups-aware: `C_out · (C_in/groups) · K · K · H_out · W_out`.
/// - Parameters: the weight tensor's elements, plus the classifier's bias. BatchNorm is folded into the
///   preceding convolution at inference and is not counted.
/// - Weight storage: weights × weight bits (a float weight counts 32), plus the classifier bias as float.
/// - Global average pooling is additions only: it has no MACs and no BitOps.

/// What kind of layer a row of the accounting describes.
public enum LayerKind: String, Codable, Sendable, CaseIterable {
    case conv, depthwise, pointwise, linear
}

/// A per-image tensor shape, channels × height × width.
public struct Shape: Hashable, Codable, Sendable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int
    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }
    public var elements: Int { channels * height * width }
    public var description: String { "\(channels)×\(height)×\(width)" }

    /// Encoded as `[channels, height, width]`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.unkeyedContainer()
        try c.encode(channels)
        try c.encode(height)
        try c.encode(width)
    }

    public init(from decoder: Decoder) throws {
        var c = try decoder.unkeyedContainer()
        channels = try c.decode(Int.self)
        height = try c.decode(Int.self)
        width = try c.decode(Int.self)
    }
}

/// How a layer's MACs become BitOps.
public enum BitOpsConvention: String, Codable, Sendable, CaseIterable {
    /// MACs × weight bits (the seed README's definition; default).
    case weight
    /// MACs × weight bits × input-activation bits (HAWQ-V3, Bayesian Bits, QONNX inference cost).
    case wa
    /// What the original demo's code computed: a depthwise layer counted as `C_out·C_in·K·K·H_out·W_out·B`
    /// (groups ignored, so C_in times too many), pointwise as in `weight`, blocks only (stem and classifier
    /// count 0). Kept only to reproduce numbers published with the demo.
    case seedLegacy = "seed-legacy"
}

/// One row of the accounting.
public struct LayerCost: Hashable, Codable, Sendable {
    /// `stem`, `block3.depthwise`, `block3.pointwise`, `classifier`.
    public var name: String
    /// Block index, or nil for the stem and the classifier.
    public var block: Int?
    public var kind: LayerKind
    public var inputShape: Shape
    public var outputShape: Shape
    public var kernel: Int
    public var stride: Int
    public var padding: Int
    public var groups: Int
    /// Weight bits.
    public var weightBits: BitWidth
    /// Bits of this layer's input activations (the image's for the first layer).
    public var inputBits: BitWidth
    /// Bits of this layer's output activations (float for the classifier's logits).
    public var outputBits: BitWidth
    public var macs: Int
    public var params: Int
    public var weightStorageBits: Int
    /// Output activation elements (per image).
    public var activationElements: Int
    /// Bits live while this layer runs: input elements × input bits + output elements × output bits.
    public var activationBits: Int
    public var bitops: Int

    enum CodingKeys: String, CodingKey {
        case name, block, kind, inputShape = "input_shape", outputShape = "output_shape", kernel, stride, padding
        case groups, weightBits = "weight_bits", inputBits = "input_bits", outputBits = "output_bits", macs, params
        case weightStorageBits = "weight_storage_bits", activationElements = "activation_elements"
        case activationBits = "activation_bits", bitops
    }

    /// Encodes every key, with `block` as `null` outside blocks (a stable, self-describing record).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(block, forKey: .block)
        try c.encode(kind, forKey: .kind)
        try c.encode(inputShape, forKey: .inputShape)
        try c.encode(outputShape, forKey: .outputShape)
        try c.encode(kernel, forKey: .kernel)
        try c.encode(stride, forKey: .stride)
        try c.encode(padding, forKey: .padding)
        try c.encode(groups, forKey: .groups)
        try c.encode(weightBits, forKey: .weightBits)
        try c.encode(inputBits, forKey: .inputBits)
        try c.encode(outputBits, forKey: .outputBits)
        try c.encode(macs, forKey: .macs)
        try c.encode(params, forKey: .params)
        try c.encode(weightStorageBits, forKey: .weightStorageBits)
        try c.encode(activationElements, forKey: .activationElements)
        try c.encode(activationBits, forKey: .activationBits)
        try c.encode(bitops, forKey: .bitops)
    }
}

/// Sums over a group of layers (a block, or the whole network).
public struct CostTotals: Hashable, Codable, Sendable {
    public var bitops: Int = 0
    public var macs: Int = 0
    public var params: Int = 0
    public var weightStorageBits: Int = 0
    public var activationElements: Int = 0
    /// The largest `activationBits` of any layer in the group: a lower bound on activation memory.
    public var peakActivationBits: Int = 0

    public init() {}

    /// Weight storage in bytes, rounded up.
    public var weightStorageBytes: Int { (weightStorageBits + 7) / 8 }
    public var peakActivationBytes: Int { (peakActivationBits + 7) / 8 }

    enum CodingKeys: String, CodingKey {
        case bitops, macs, params, weightStorageBits = "weight_storage_bits", activationElements = "activation_elements"
        case peakActivationBits = "peak_activation_bits"
    }

    /// Results schema 1 named the storage `weight_bits`.
    enum LegacyKeys: String, CodingKey { case weightBits = "weight_bits" }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bitops = try c.decode(Int.self, forKey: .bitops)
        macs = try c.decode(Int.self, forKey: .macs)
        params = try c.decode(Int.self, forKey: .params)
        if let v = try c.decodeIfPresent(Int.self, forKey: .weightStorageBits) {
            weightStorageBits = v
        } else {
            weightStorageBits = try decoder.container(keyedBy: LegacyKeys.self).decode(Int.self, forKey: .weightBits)
        }
        activationElements = try c.decode(Int.self, forKey: .activationElements)
        peakActivationBits = try c.decode(Int.self, forKey: .peakActivationBits)
    }

    mutating func add(_ l: LayerCost) throws {
        bitops = try Checked.add(bitops, l.bitops)
        macs = try Checked.add(macs, l.macs)
        params = try Checked.add(params, l.params)
        weightStorageBits = try Checked.add(weightStorageBits, l.weightStorageBits)
        activationElements = try Checked.add(activationElements, l.activationElements)
        peakActivationBits = max(peakActivationBits, l.activationBits)
    }
}

/// A block's subtotal.
public struct BlockCost: Hashable, Codable, Sendable {
    public var block: Int
    public var totals: CostTotals

    public init(block: Int, totals: CostTotals) {
        self.block = block
        self.totals = totals
    }
}

/// The whole accounting of one network at one input size under one convention.
public struct CostReport: Hashable, Codable, Sendable {
    public var network: NetworkSpec
    public var inputSize: Int
    public var convention: BitOpsConvention
    public var layers: [LayerCost]
    public var blocks: [BlockCost]
    /// Stem + blocks + classifier.
    public var totals: CostTotals

    enum CodingKeys: String, CodingKey {
        case network, inputSize = "input_size", convention, layers, blocks, totals
    }
}

/// Overflow-checked integer arithmetic for counting.
enum Checked {
    static func mul(_ values: Int...) throws -> Int {
        var r = 1
        for v in values {
            let (p, o) = r.multipliedReportingOverflow(by: v)
            if o { throw SpecError("count overflows 64-bit integers (\(values.map(String.init).joined(separator: " × "))); choose a smaller size, fewer blocks or fewer channels") }
            r = p
        }
        return r
    }
    static func add(_ a: Int, _ b: Int) throws -> Int {
        let (s, o) = a.addingReportingOverflow(b)
        if o { throw SpecError("count overflows 64-bit integers when summing; choose a smaller configuration") }
        return s
    }
}

/// `⌊(input + 2·padding − kernel)/stride⌋ + 1`, or nil when the window does not fit even once.
public func convOutputSize(input: Int, kernel: Int, stride: Int, padding: Int) -> Int? {
    let span = input + 2 * padding - kernel
    guard span >= 0, stride >= 1 else { return nil }
    return span / stride + 1
}

extension NetworkSpec {
    /// The exact accounting of this network on `size`×`size` images.
    public func cost(inputSize size: Int, convention: BitOpsConvention = .weight) throws -> CostReport {
        try validate()
        guard size >= 1 else { throw SpecError("size \(size) must be a positive integer") }
        guard size <= 16384 else { throw SpecError("size \(size) is too large: expected at most 16384") }
        var layers: [LayerCost] = []
        var shape = Shape(channels: inputChannels, height: size, width: size)
        var bits = inputBits

        func conv(name: String, block: Int?, kind: LayerKind, outChannels: Int, kernel: Int, stride: Int,
                  groups: Int, weightBits: BitWidth, outBits: BitWidth) throws {
            let wb = weightBits.countedBits
            let p = kernel / 2
            guard let h = convOutputSize(input: shape.height, kernel: kernel, stride: stride, padding: p),
                  let w = convOutputSize(input: shape.width, kernel: kernel, stride: stride, padding: p) else {
                throw SpecError("\(name): the \(shape.height)×\(shape.width) feature map is smaller than 1×1 after a \(kernel)×\(kernel) stride-\(stride) convolution; use a larger size or fewer stride-2 blocks")
            }
            let out = Shape(channels: outChannels, height: h, width: w)
            let perGroupIn = shape.channels / groups
            let macs = try Checked.mul(outChannels, perGroupIn, kernel, kernel, h, w)
            let params = try Checked.mul(outChannels, perGroupIn, kernel, kernel)
            let bitops: Int
            switch convention {
            case .weight: bitops = try Checked.mul(macs, wb)
            case .wa: bitops = try Checked.mul(macs, wb, bits.countedBits)
            case .seedLegacy:
                if block == nil {
                    bitops = 0
                } else if kind == .depthwise {
                    bitops = try Checked.mul(outChannels, shape.channels, kernel, kernel, h, w, wb)
                } else {
                    bitops = try Checked.mul(macs, wb)
                }
            }
            let actBits = try Checked.add(try Checked.mul(shape.elements, bits.countedBits),
                                          try Checked.mul(out.elements, outBits.countedBits))
            layers.append(LayerCost(
                name: name, block: block, kind: kind, inputShape: shape, outputShape: out, kernel: kernel,
                stride: stride, padding: p, groups: groups, weightBits: weightBits, inputBits: bits, outputBits: outBits,
                macs: macs, params: params, weightStorageBits: try Checked.mul(params, wb),
                activationElements: out.elements, activationBits: actBits, bitops: bitops))
            shape = out
            bits = outBits
        }

        if let stem {
            try conv(name: "stem", block: nil, kind: .conv, outChannels: stem.outChannels, kernel: stem.kernel,
                     stride: stem.stride, groups: 1, weightBits: stem.bits, outBits: stem.actBits)
        }
        for (i, b) in blocks.enumerated() {
            try conv(name: "block\(i).depthwise", block: i, kind: .depthwise, outChannels: shape.channels,
                     kernel: b.kernel, stride: b.stride, groups: shape.channels, weightBits: b.depthwiseBits ?? b.bits, outBits: b.actBits)
            try conv(name: "block\(i).pointwise", block: i, kind: .pointwise, outChannels: b.outChannels,
                     kernel: 1, stride: 1, groups: 1, weightBits: b.pointwiseBits ?? b.bits, outBits: b.actBits)
        }
        // Global average pooling, then the classifier (weights + bias).
        let pooled = Shape(channels: shape.channels, height: 1, width: 1)
        let logits = Shape(channels: classes, height: 1, width: 1)
        let macs = try Checked.mul(shape.channels, classes)
        let bitops: Int
        let cb = classifierBits.countedBits
        let float = BitWidth.float.countedBits
        switch convention {
        case .weight: bitops = try Checked.mul(macs, cb)
        case .wa: bitops = try Checked.mul(macs, cb, bits.countedBits)
        case .seedLegacy: bitops = 0
        }
        layers.append(LayerCost(
            name: "classifier", block: nil, kind: .linear, inputShape: pooled, outputShape: logits, kernel: 1,
            stride: 1, padding: 0, groups: 1, weightBits: classifierBits, inputBits: bits, outputBits: .float,
            macs: macs, params: macs + classes,
            weightStorageBits: try Checked.add(try Checked.mul(macs, cb), try Checked.mul(classes, float)),
            activationElements: classes,
            activationBits: try Checked.add(try Checked.mul(pooled.elements, bits.countedBits), try Checked.mul(classes, float)),
            bitops: bitops))

        var totals = CostTotals()
        var perBlock = blocks.indices.map { BlockCost(block: $0, totals: CostTotals()) }
        for l in layers {
            try totals.add(l)
            if let b = l.block { try perBlock[b].totals.add(l) }
        }
        return CostReport(network: self, inputSize: size, convention: convention, layers: layers,
                          blocks: perBlock, totals: totals)
    }
}
