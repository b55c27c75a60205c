import ArgumentParser
import BitOpsCore
import BitSweepConfig
import Foundation

/// How images become the network's input (`Preprocessing`): from these flags, over the model's sidecar
/// (`m.onnx` → `m.preprocess.yaml`, read by BitSweepConfig), over the seed's default (resize to the network's
/// size, scale to [0, 1]). Each flag replaces only its own value.
struct PreprocessOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: ArgumentHelp("Resize the shorter side to this many pixels, then centre-crop to the network's size (default: resize straight to the size).", valueName: "pixels"))
    var resize: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Centre crop (must equal the network's input size; documents the model).", valueName: "pixels"))
    var crop: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Per-channel mean subtracted after scaling to [0, 1], e.g. 0.485,0.456,0.406 (default 0,0,0).", valueName: "r,g,b"))
    var mean: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Per-channel standard deviation divided by, e.g. 0.229,0.224,0.225 (default 1,1,1).", valueName: "r,g,b"))
    var std: String?

    @Option(name: .customLong("channel-order"), help: ArgumentHelp("Channel order of the input tensor: rgb (default) or bgr.", valueName: "order"))
    var channelOrder: String?

    /// The flags given, by name (`--resize`, …), in the order of the help.
    var given: [String] {
        [("--resize", resize != nil), ("--crop", crop != nil), ("--mean", mean != nil), ("--std", std != nil),
         ("--channel-order", channelOrder != nil)].filter(\.1).map(\.0)
    }

    /// The preprocessing for `model` (its sidecar, when it has one) at input `size` with `channels` channels.
    func resolve(model: String?, channels: Int, size: Int) throws -> Preprocessing {
        var p = try model.flatMap { try PreprocessFile.loadSidecar(of: $0) } ?? .seedDefault
        if let resize { p.resize = resize }
        if let crop { p.crop = crop }
        if let mean { p.mean = try Preprocessing.parseTriple(mean, "--mean") }
        if let std { p.std = try Preprocessing.parseTriple(std, "--std") }
        if let channelOrder {
            guard let o = Preprocessing.ChannelOrder(rawValue: channelOrder.lowercased()) else {
                throw InputError("--channel-order '\(channelOrder)' is not rgb or bgr")
            }
            p.channelOrder = o
        }
        do {
            try p.validate(channels: channels, size: size)
        } catch let e as SpecError {
            let from = model.map { PreprocessFile.sidecar(of: $0) }.flatMap { path in
                FileManager.default.fileExists(atPath: path) ? " (from \(path) and the flags)" : nil
            } ?? ""
            throw InputError("preprocessing: \(e.message)\(from)")
        }
        return p
    }
}

