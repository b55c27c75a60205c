import BitOpsCore
import ONNXImport

/// `--model FILE.onnx`: an ONNX model imported as a graph network (ONNXImport), with the shared network options
/// applied to it. The imported weights are float; `--bits` and `--act-bits` set its blocks (the `features.N`
/// groups, ONNXImport.swift), `--stem-bits` and `--classifier-bits` its first and last weight layers when they
/// stand outside the blocks, `--layer-bits` any layer by name pattern (last, so it wins).
extension NetworkOptions {
    /// The ONNX model these options name, or nil (a preset or a YAML/JSON model file).
    var onnxModel: String? {
        guard let model, model.lowercased().hasSuffix(".onnx") else { return nil }
        return model
    }

    /// The error the commands that take only block-form networks give for an ONNX model (`infer` and `bench`
    /// run it on the graph executor).
    static func engineCannotRun(onnx path: String) -> InputError {
        InputError("\(path) is an ONNX model (a graph network), which this command cannot take yet; count it with 'bitsweep calc --model \(path)', run it with 'bitsweep infer' or 'bitsweep bench'")
    }

    /// The imported model, its network with the precision options applied, and the input size.
    func resolveONNX(_ path: String, layerBits: [LayerBitsRule]) throws -> (model: ImportedModel, network: GraphNetwork, size: Int) {
        guard preset == nil else { throw InputError("give either --preset or --model, not both") }
        guard blocks == nil else { throw InputError("--blocks does not apply to --model: the model file has its blocks") }
        guard width == nil else { throw InputError("--width does not apply to --model: the model file has its channel counts") }
        let imported: ImportedModel
        do {
            imported = try ONNXImport.load(path: path, size: size)
        } catch let e as ONNXImportError {
            throw InputError(e.description)
        }
        var g = imported.network
        let blockCount = g.blocks.count
        func perBlock(_ text: String?, _ what: String) throws -> [BitWidth]? {
            guard let text else { return nil }
            guard blockCount > 0 else {
                throw InputError("--\(what) \(text): \(path) has no blocks (no layer names of the form NAME.N.…); set layers with --layer-bits")
            }
            return try PrecisionPolicy(parsing: text, what: what).resolved(blocks: blockCount, what: what)
        }
        g = try g.settingBlockPrecision(bits: try perBlock(bits, "bits"), actBits: try perBlock(actBits, "act-bits"))
        let weighted = g.layers.indices.filter { g.layers[$0].op.hasWeights }
        for (text, what, index) in [(stemBits, "stem-bits", weighted.first), (classifierBits, "classifier-bits", weighted.last)] {
            guard let text else { continue }
            let b = try BitWidth.parse(text, what.replacingOccurrences(of: "-", with: " "))
            guard let i = index, g.layers[i].block == nil else {
                throw InputError("--\(what) \(text): \(path)'s \(what == "stem-bits" ? "first" : "last") weight layer is inside a block; set it with --bits or --layer-bits")
            }
            g.layers[i].bits = b
        }
        g.inputBits = try BitWidth.parse(inputBits, "input bits")
        g = try g.settingLayerBits(layerBits)
        return (imported, g, imported.inputSize)
    }
}
