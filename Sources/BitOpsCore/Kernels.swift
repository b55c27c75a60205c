/// Which kernels run the quantized network: the choice `infer`, `bench`, `export` (`--kernels`) and the sweep
/// spec (`kernels:`) make. The engine decides per layer what the choice allows (see Engine/IntegerNetwork.swift).
public enum Kernels: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// Every layer on float kernels with fake-quantized (simulated) weights and activations.
    case float
    /// Integer kernels for every layer that can run them; an error when none can.
    case integer
    /// Integer kernels where the configuration allows it, float elsewhere (float when no layer can).
    case auto

    public var description: String { rawValue }
}

/// The kernel one layer ran on.
public enum LayerKernel: String, Codable, Sendable, CustomStringConvertible {
    case float
    /// oneDNN int8: u8 activations × s8 weights, s32 accumulation.
    case int8

    public var description: String { rawValue }
}

/// Which kernels one run of a network used, layer by layer: what `infer` and `bench` print and what a sweep
/// records per case (`kernels` in results.json).
public struct KernelUse: Hashable, Codable, Sendable {
    /// One layer (`stem`, `block0.depthwise`, …, `pool`, `classifier`) and the kernel it ran on.
    public struct Layer: Hashable, Codable, Sendable {
        public var layer: String
        public var kernel: LayerKernel
        public init(layer: String, kernel: LayerKernel) {
            self.layer = layer
            self.kernel = kernel
        }
    }

    /// The choice the run was made with.
    public var requested: Kernels
    /// Every layer in execution order.
    public var layers: [Layer]
    /// True when some layer's weights have fewer than 8 bits (they execute as int8 on integer kernels).
    public var narrowWeights: Bool

    public init(requested: Kernels, layers: [Layer], narrowWeights: Bool) {
        self.requested = requested
        self.layers = layers
        self.narrowWeights = narrowWeights
    }

    /// Layers that ran on int8 kernels.
    public var int8Layers: Int { layers.filter { $0.kernel == .int8 }.count }
    /// True when at least one layer ran on int8 kernels.
    public var runsInteger: Bool { int8Layers > 0 }

    /// `int8 kernels on 10 of 12 layers (float: stem, pool, classifier)` (with `; sub-8-bit weights execute as
    /// int8` when some weights are narrower), or `float kernels, simulated quantization`.
    public var summary: String {
        guard runsInteger else { return Self.floatLabel }
        let float = layers.filter { $0.kernel == .float }.map(\.layer)
        return "int8 kernels on \(int8Layers) of \(layers.count) layers"
            + (float.isEmpty ? "" : " (float: \(float.joined(separator: ", ")))")
            + (narrowWeights ? "; sub-8-bit weights execute as int8" : "")
    }

    /// How charts name the two kinds of run.
    public static let int8Label = "int8 kernels"
    public static let floatLabel = "float kernels, simulated quantization"

    /// `stem:float block0.depthwise:int8 …` (one CSV field).
    public var perLayerText: String { layers.map { "\($0.layer):\($0.kernel.rawValue)" }.joined(separator: " ") }

    enum CodingKeys: String, CodingKey {
        case requested, layers = "per_layer", narrowWeights = "narrow_weights", summary, int8Layers = "int8_layers", layerCount = "layers"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        requested = try c.decode(Kernels.self, forKey: .requested)
        layers = try c.decode([Layer].self, forKey: .layers)
        narrowWeights = try c.decodeIfPresent(Bool.self, forKey: .narrowWeights) ?? false
    }

    /// Writes the per-layer list and, derived from it for readers of the JSON, `summary`, `int8_layers` and
    /// `layers` (the count).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(requested, forKey: .requested)
        try c.encode(summary, forKey: .summary)
        try c.encode(int8Layers, forKey: .int8Layers)
        try c.encode(layers.count, forKey: .layerCount)
        try c.encode(narrowWeights, forKey: .narrowWeights)
        try c.encode(layers, forKey: .layers)
    }
}
