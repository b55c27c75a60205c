import BitOpsCore
import Foundation
import MixedPrecision
import Reports

extension SweepSource {
    /// The source the command line gave: paths made absolute so the snippet works wherever it is saved.
    init(network: NetworkOptions, engine: EngineFlags, images: [String]) {
        func absolute(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }
        let folders = Set(images.map { URL(fileURLWithPath: absolute($0)).deletingLastPathComponent().path })
        self.init(preset: network.model == nil ? (network.preset ?? Preset.seed.rawValue) : nil, model: network.model.map(absolute),
                  width: network.width, weightsFile: engine.weights.map(absolute), seed: engine.seed,
                  initialization: engine.initialization.rawValue, quantization: engine.granularity.rawValue,
                  imageFolder: folders.count == 1 ? folders.first : nil)
    }
}
