import BitOpsCore
import ONNXImport
import Sweep

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
        let imported = try GraphNetworks.importONNX(path: path, size: size)
        let precision = try graphPrecision(layerBits: layerBits)
        let g = try GraphNetworks.applying(precision, to: imported.network, model: path)
        return (imported, g, imported.inputSize)
    }
}
