import BitOpsCore

/// The exact counts of one case: a block-form network's `CostReport`, or a graph network's accounting
/// (`GraphCost`: the mobilenet-v2 preset, an imported ONNX model).
///
/// Views read `totals`, `layers` and `blocks`, which both forms have (a graph's convolutions and gemm layers
/// are `LayerCost` rows counted by the block form's rules; its named blocks' subtotals are `BlockCost`s).
///
/// JSON: a block case is written exactly as its `CostReport` (so results of block sweeps keep their bytes); a
/// graph case as `GraphCaseCost` (the network by name, plus `operations`, `elementwise_ops` and `pooling_ops`),
/// told apart by the `operations` key.
public enum CaseCost: Hashable, Codable, Sendable {
    case block(CostReport)
    case graph(GraphCaseCost)

    public var totals: CostTotals {
        get {
            switch self {
            case .block(let r): return r.totals
            case .graph(let g): return g.totals
            }
        }
        set {
            switch self {
            case .block(var r): r.totals = newValue; self = .block(r)
            case .graph(var g): g.totals = newValue; self = .graph(g)
            }
        }
    }

    /// Convolutions and linear layers, in network order.
    public var layers: [LayerCost] {
        get {
            switch self {
            case .block(let r): return r.layers
            case .graph(let g): return g.layers
            }
        }
        set {
            switch self {
            case .block(var r): r.layers = newValue; self = .block(r)
            case .graph(var g): g.layers = newValue; self = .graph(g)
            }
        }
    }

    /// Each block's subtotal, in block order.
    public var blocks: [BlockCost] {
        switch self {
        case .block(let r): return r.blocks
        case .graph(let g): return g.blocks.map { BlockCost(block: $0.block, totals: $0.totals) }
        }
    }

    public var inputSize: Int {
        switch self {
        case .block(let r): return r.inputSize
        case .graph(let g): return g.inputSize
        }
    }

    public var convention: BitOpsConvention {
        switch self {
        case .block(let r): return r.convention
        case .graph(let g): return g.convention
        }
    }

    /// The block-form report, or nil for a graph network.
    public var blockReport: CostReport? {
        if case .block(let r) = self { return r }
        return nil
    }

    enum Probe: String, CodingKey { case operations }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: Probe.self)
        if c.contains(.operations) {
            self = .graph(try GraphCaseCost(from: decoder))
        } else {
            self = .block(try CostReport(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .block(let r): try r.encode(to: encoder)
        case .graph(let g): try g.encode(to: encoder)
        }
    }
}

/// A graph network's accounting as results keep it: `GraphCostReport` with the network by name (a graph has no
/// file form; the case's configuration and its id say which network it was).
public typealias GraphCaseCost = GraphCost<String>
