import BitOpsCore
import Sweep

/// Graph presets (`mobilenet-v2`) from the shared network options: `calc` counts them, `infer` and `bench` run
/// them on the graph executor (EngineTarget.swift); the commands that run only block-form networks (export,
/// sensitivity, search) stop with one line saying so (`NetworkOptions.resolve`).
extension NetworkOptions {
    /// The graph preset these options name, or nil for the block-form presets and model files.
    var graphPreset: GraphPreset? {
        guard model == nil, let preset else { return nil }
        return GraphPreset(rawValue: preset)
    }

    /// The error the commands that run only block-form networks give for a graph preset.
    static func engineCannotRun(_ p: GraphPreset) -> InputError {
        InputError("preset '\(p.rawValue)' is a graph network, which this command cannot take yet; count it with 'bitsweep calc --preset \(p.rawValue)', run it with 'bitsweep infer' or 'bitsweep bench'")
    }

    /// The graph network and square input size these options describe (`--layer-bits` rules applied last).
    func resolveGraph(_ p: GraphPreset, layerBits: [LayerBitsRule]) throws -> (network: GraphNetwork, size: Int) {
        guard blocks == nil else {
            throw InputError("--blocks does not apply to \(p.rawValue): its \(MobileNetV2.blockCount) blocks are fixed (features.1 … features.\(MobileNetV2.blockCount))")
        }
        let precision = try graphPrecision(layerBits: layerBits)
        let s = size ?? p.defaultSize
        guard (1...16384).contains(s) else { throw InputError("size \(s) is out of range: expected 1–16384 pixels") }
        return (try GraphNetworks.mobileNetV2(width: width ?? 1.0, precision: precision), s)
    }

    /// The precision flags (`--bits`, `--act-bits`, `--stem-bits`, `--classifier-bits`, `--input-bits`) and the
    /// `--layer-bits` rules, as a graph network's settings (Sweep/GraphNetworks.swift applies them).
    func graphPrecision(layerBits: [LayerBitsRule]) throws -> GraphPrecision {
        GraphPrecision(
            bits: try bits.map { try PrecisionPolicy(parsing: $0, what: "bits") },
            actBits: try actBits.map { try PrecisionPolicy(parsing: $0, what: "act-bits") },
            stemBits: try stemBits.map { try BitWidth.parse($0, "stem bits") },
            classifierBits: try classifierBits.map { try BitWidth.parse($0, "classifier bits") },
            inputBits: try BitWidth.parse(inputBits, "input bits"),
            layerBits: layerBits)
    }
}
