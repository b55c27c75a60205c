/// Exact accounting of a `GraphNetwork` (the counting rules, for every layer kind).
///
/// - Convolutions and gemm are counted exactly as in the block form (Cost.swift), so a block-form network and
///   its `graph()` give identical rows and totals: `H_out = ⌊(H_in + 2P − D·(K−1) − 1)/S⌋ + 1`;
///   MACs `C_out · (C_in/groups) · K · K · H_out · W_out`; parameters the weights plus the bias if any; weight
///   storage weights × weight bits plus the bias as float; BitOps by the convention. A convolution is
///   `pointwise` when it is 1×1 with groups 1, `depthwise` when groups = C_in = C_out, `conv` otherwise.
/// - Batch normalisation is folded into the convolution before it, activations are fused into the layer before
///   them: neither has MACs, parameters, BitOps or an op count.
/// - Element-wise `add` and `mul` count one operation per output element, as `elementwiseOps`; pooling counts
///   one operation per input element it reads (global average pooling: `C·H·W`; max/average pooling:
///   `C_out·H_out·W_out·K·K`), as `poolingOps`. Neither is part of BitOps or MACs.
/// - Totals (BitOps, MACs, params, storage, activation elements and peak activation bits) sum the
///   convolutions and gemm layers, as the block form does.

/// A layer without weights: its shapes and its op count.
public struct GraphOpCost: Hashable, Codable, Sendable {
    public var name: String
    public var block: Int?
    /// `batch-norm`, `relu6`, `add`, `global-average-pool`, …
    public var op: String
    public var inputShape: Shape
    public var outputShape: Shape
    public var outputBits: BitWidth
    /// Element-wise operations (`add`, `mul`): one per output element.
    public var elementwiseOps: Int
    /// Pooling operations: one per input element read.
    public var poolingOps: Int

    enum CodingKeys: String, CodingKey {
        case name, block, op, inputShape = "input_shape", outputShape = "output_shape", outputBits = "output_bits"
        case elementwiseOps = "elementwise_ops", poolingOps = "pooling_ops"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(block, forKey: .block)
        try c.encode(op, forKey: .op)
        try c.encode(inputShape, forKey: .inputShape)
        try c.encode(outputShape, forKey: .outputShape)
        try c.encode(outputBits, forKey: .outputBits)
        try c.encode(elementwiseOps, forKey: .elementwiseOps)
        try c.encode(poolingOps, forKey: .poolingOps)
    }
}

/// A named block's subtotal.
public struct GraphBlockCost: Hashable, Codable, Sendable {
    public var block: Int
    public var name: String
    public var totals: CostTotals
    public var elementwiseOps: Int
    public var poolingOps: Int

    enum CodingKeys: String, CodingKey {
        case block, name, totals, elementwiseOps = "elementwise_ops", poolingOps = "pooling_ops"
    }
}

/// The whole accounting of one graph network at one input size under one convention. `Network` is the network
/// itself (`GraphCostReport`, as `GraphNetwork.cost(inputSize:convention:)` computes it and the views read it)
/// or its name (`GraphCost<String>`, as `calc --format json` writes it and results keep it: a graph network has
/// no file form, and a case's configuration and id say which network it was).
public struct GraphCost<Network: Hashable & Sendable>: Hashable, Sendable {
    public var network: Network
    public var inputSize: Int
    public var convention: BitOpsConvention
    /// Convolutions and gemm layers, in graph order (the same rows as the block form's `CostReport.layers`).
    public var layers: [LayerCost]
    /// Every other layer, in graph order.
    public var operations: [GraphOpCost]
    public var blocks: [GraphBlockCost]
    public var totals: CostTotals
    public var elementwiseOps: Int
    public var poolingOps: Int

    enum CodingKeys: String, CodingKey {
        case network, inputSize = "input_size", convention, layers, operations, blocks, totals
        case elementwiseOps = "elementwise_ops", poolingOps = "pooling_ops"
    }
}

/// A graph network's accounting with the network itself.
public typealias GraphCostReport = GraphCost<GraphNetwork>

/// The JSON form: the network by name.
extension GraphCost: Codable where Network == String {}

extension GraphCost where Network == String {
    /// `report` with its network by name (its JSON form).
    public init(_ report: GraphCostReport) {
        self.init(network: report.network.name, inputSize: report.inputSize, convention: report.convention,
                  layers: report.layers, operations: report.operations, blocks: report.blocks, totals: report.totals,
                  elementwiseOps: report.elementwiseOps, poolingOps: report.poolingOps)
    }
}

extension GraphNetwork {
    /// The exact accounting of this network on `size`×`size` images.
    public func cost(inputSize size: Int, convention: BitOpsConvention = .weight) throws -> GraphCostReport {
        try validate()
        guard size >= 1 else { throw SpecError("size \(size) must be a positive integer") }
        guard size <= 16384 else { throw SpecError("size \(size) is too large: expected at most 16384") }
        // Shape and bits of every tensor by the name of the layer that produced it.
        var tensors: [String: (shape: Shape, bits: BitWidth)] = [
            Self.inputName: (Shape(channels: inputChannels, height: size, width: size), inputBits),
        ]
        var previous = Self.inputName
        var layerCosts: [LayerCost] = []
        var operations: [GraphOpCost] = []
        var totals = CostTotals()
        var perBlock = blocks.enumerated().map { GraphBlockCost(block: $0.offset, name: $0.element, totals: CostTotals(),
                                                                 elementwiseOps: 0, poolingOps: 0) }
        var elementwise = 0, pooling = 0
        let float = BitWidth.float.countedBits

        for l in layers {
            let inputNames = l.inputs.isEmpty ? [previous] : l.inputs
            let ins = inputNames.map { tensors[$0]! }
            let (shape, bits) = ins[0]
            let outBits = l.actBits ?? bits
            let at = "layer '\(l.name)'"

            func window(_ kernel: Int, _ stride: Int, _ padding: Int, dilation: Int = 1) throws -> (Int, Int) {
                let span = dilation * (kernel - 1) + 1
                guard let h = convOutputSize(input: shape.height, kernel: span, stride: stride, padding: padding),
                      let w = convOutputSize(input: shape.width, kernel: span, stride: stride, padding: padding) else {
                    throw SpecError("\(at): the \(shape.height)×\(shape.width) feature map is smaller than 1×1 after a \(kernel)×\(kernel) stride-\(stride) \(l.op.label); use a larger size")
                }
                return (h, w)
            }
            func other(_ out: Shape, elementwiseOps: Int = 0, poolingOps: Int = 0) throws {
                operations.append(GraphOpCost(name: l.name, block: l.block, op: l.op.label, inputShape: shape,
                                              outputShape: out, outputBits: outBits, elementwiseOps: elementwiseOps,
                                              poolingOps: poolingOps))
                elementwise = try Checked.add(elementwise, elementwiseOps)
                pooling = try Checked.add(pooling, poolingOps)
                if let b = l.block {
                    perBlock[b].elementwiseOps = try Checked.add(perBlock[b].elementwiseOps, elementwiseOps)
                    perBlock[b].poolingOps = try Checked.add(perBlock[b].poolingOps, poolingOps)
                }
                tensors[l.name] = (out, outBits)
            }
            func weighted(_ cost: LayerCost) throws {
                layerCosts.append(cost)
                try totals.add(cost)
                if let b = l.block { try perBlock[b].totals.add(cost) }
                tensors[l.name] = (cost.outputShape, outBits)
            }
            func bitops(macs: Int, kind: LayerKind, legacyDepthwise: () throws -> Int) throws -> Int {
                let wb = l.bits.countedBits
                switch convention {
                case .weight: return try Checked.mul(macs, wb)
                case .wa: return try Checked.mul(macs, wb, bits.countedBits)
                case .seedLegacy:
                    if l.block == nil { return 0 }
                    return kind == .depthwise ? try legacyDepthwise() : try Checked.mul(macs, wb)
                }
            }

            switch l.op {
            case .conv(let c):
                guard shape.channels % c.groups == 0, c.outChannels % c.groups == 0 else {
                    throw SpecError("\(at): groups \(c.groups) must divide the input channels \(shape.channels) and the output channels \(c.outChannels)")
                }
                let (h, w) = try window(c.kernel, c.stride, c.padding, dilation: c.dilation)
                let out = Shape(channels: c.outChannels, height: h, width: w)
                let kind: LayerKind = c.kernel == 1 && c.groups == 1 ? .pointwise
                    : (c.groups == shape.channels && c.outChannels == shape.channels ? .depthwise : .conv)
                let perGroupIn = shape.channels / c.groups
                let macs = try Checked.mul(c.outChannels, perGroupIn, c.kernel, c.kernel, h, w)
                let weights = try Checked.mul(c.outChannels, perGroupIn, c.kernel, c.kernel)
                let bias = c.bias ? c.outChannels : 0
                try weighted(LayerCost(
                    name: l.name, block: l.block, kind: kind, inputShape: shape, outputShape: out, kernel: c.kernel,
                    stride: c.stride, padding: c.padding, groups: c.groups, weightBits: l.bits, inputBits: bits,
                    outputBits: outBits, macs: macs, params: try Checked.add(weights, bias),
                    weightStorageBits: try Checked.add(try Checked.mul(weights, l.bits.countedBits), try Checked.mul(bias, float)),
                    activationElements: out.elements,
                    activationBits: try Checked.add(try Checked.mul(shape.elements, bits.countedBits),
                                                    try Checked.mul(out.elements, outBits.countedBits)),
                    bitops: try bitops(macs: macs, kind: kind) {
                        try Checked.mul(c.outChannels, shape.channels, c.kernel, c.kernel, h, w, l.bits.countedBits)
                    }))
            case .gemm(let n, let hasBias):
                guard shape.height == 1, shape.width == 1 else {
                    throw SpecError("\(at): gemm needs a C×1×1 input (after pooling or flatten), got \(shape)")
                }
                let out = Shape(channels: n, height: 1, width: 1)
                let macs = try Checked.mul(shape.channels, n)
                let bias = hasBias ? n : 0
                try weighted(LayerCost(
                    name: l.name, block: l.block, kind: .linear, inputShape: shape, outputShape: out, kernel: 1,
                    stride: 1, padding: 0, groups: 1, weightBits: l.bits, inputBits: bits, outputBits: outBits,
                    macs: macs, params: try Checked.add(macs, bias),
                    weightStorageBits: try Checked.add(try Checked.mul(macs, l.bits.countedBits), try Checked.mul(bias, float)),
                    activationElements: n,
                    activationBits: try Checked.add(try Checked.mul(shape.elements, bits.countedBits),
                                                    try Checked.mul(n, outBits.countedBits)),
                    bitops: try bitops(macs: macs, kind: .linear) { 0 }))
            case .batchNorm, .activation:
                try other(shape)
            case .add:
                guard ins[1].shape == shape else {
                    throw SpecError("\(at): add needs two inputs of the same shape, got \(shape) ('\(inputNames[0])') and \(ins[1].shape) ('\(inputNames[1])')")
                }
                try other(shape, elementwiseOps: shape.elements)
            case .mul:
                let second = ins[1].shape
                guard second == shape || second == Shape(channels: shape.channels, height: 1, width: 1) else {
                    throw SpecError("\(at): mul needs a second input of shape \(shape) or \(shape.channels)×1×1, got \(second) ('\(inputNames[1])')")
                }
                try other(shape, elementwiseOps: shape.elements)
            case .globalAveragePool:
                try other(Shape(channels: shape.channels, height: 1, width: 1), poolingOps: shape.elements)
            case .maxPool(let k, let s, let p), .averagePool(let k, let s, let p):
                let (h, w) = try window(k, s, p)
                let out = Shape(channels: shape.channels, height: h, width: w)
                try other(out, poolingOps: try Checked.mul(out.elements, k, k))
            case .flatten:
                try other(Shape(channels: shape.elements, height: 1, width: 1))
            }
            previous = l.name
        }
        return GraphCostReport(network: self, inputSize: size, convention: convention, layers: layerCosts,
                               operations: operations, blocks: perBlock, totals: totals,
                               elementwiseOps: elementwise, poolingOps: pooling)
    }
}
