import ArgumentParser
import BitOpsCore
import Engine
import Foundation
import MixedPrecision
import MixedPrecisionEngine
import Presentation
import StableIO

extension SearchGranularity: ExpressibleByArgument {}

/// The options `sensitivity` and `search` share besides the network and engine groups: which bit-widths
/// each unit may take, the unit (block or layer), the batch size and the images.
struct MixedPrecisionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Weight bit-widths each unit may take, comma-separated (1–16, or float, also written 32).", valueName: "bits"))
    var choices: String?

    @Option(help: ArgumentHelp("What one unit is: block (depthwise and pointwise at the same bits) or layer.", valueName: "unit"))
    var per: SearchGranularity = .block

    @Option(parsing: .unconditional, help: "Images per batch (default: all images, at most 16).")
    var batch: Int?

    @Argument(help: ArgumentHelp("Image files (PNG or JPEG) the output noise is measured on.", valueName: "image"))
    var images: [String] = []

    /// `2,4,8` → [2, 4, 8], or the default: each part read as every width on the command line is
    /// (`BitWidth.parse`); a bad one is an input error naming it.
    func choiceList(default fallback: [BitWidth]) throws -> [BitWidth] {
        guard let choices else { return fallback }
        return try choices.split(separator: ",", omittingEmptySubsequences: false).map { part in
            do {
                return try BitWidth.parse(String(part), "--choices '\(choices)':")
            } catch let e as SpecError {
                throw InputError("\(e.description), comma-separated (e.g. 2,4,8)")
            }
        }
    }
}

/// Everything a sensitivity or search run needs, made once: the network and its search space, the weights,
/// the decoded images and the probe (which holds the float reference logits).
struct MixedPrecisionSetup {
    var spec: NetworkSpec
    var size: Int
    var space: SearchSpace
    var probe: QualityProbe
    var weightsLabel: String
    var setupSeconds: Double

    init(network: NetworkOptions, engine: EngineFlags, options: MixedPrecisionOptions, defaultChoices: [BitWidth]) throws {
        guard !options.images.isEmpty else { throw InputError("no images given: expected one or more PNG or JPEG files") }
        OpenMPWaitPolicy.apply(threads: engine.threads)
        let start = Date()
        let resolved = try network.resolve()
        spec = resolved.network
        size = resolved.size
        let choices = try options.choiceList(default: defaultChoices)
        do {
            space = try SearchSpace(network: spec, inputSize: size, convention: network.convention, granularity: options.per, choices: choices)
        } catch let e as SearchError {
            throw InputError(e.description)
        }
        let batch = options.batch ?? min(options.images.count, 16)
        guard batch >= 1 else { throw InputError("--batch \(batch) must be at least 1") }
        let weights: NetworkWeights
        switch engine.source {
        case .seed(let s):
            weights = NetworkWeights.seeded(s, spec: spec, initialization: engine.initialization)
            weightsLabel = "seed \(s) (\(engine.initialization.rawValue))"
        case .safetensors(let path):
            // A --weights file that is missing, malformed or does not fit the network is an input error.
            let net = spec
            weights = try CommandFailure.asInput { try NetworkWeights.load(safetensors: path, spec: net) }
            weightsLabel = path
        }
        let side = size
        let files = options.images
        let images = try CommandFailure.asInput { try files.map { try ImageFile.load(path: $0).resized(to: side).tensor() } }
        probe = try QualityProbe(space: space, weights: weights, images: images,
                                 options: EngineOptions(granularity: engine.granularity, threads: engine.threads, batchSize: batch,
                                                        fidelity: false, initialization: engine.initialization))
        setupSeconds = Date().timeIntervalSince(start)
    }

    /// `seed, 5 blocks, 32×32, weights seed 0 (he-normal, per-tensor), 3 images`.
    func headline(_ engine: EngineFlags) -> String {
        "\(spec.name), \(spec.blocks.count) blocks, \(size)×\(size), weights \(weightsLabel), \(engine.granularity.rawValue), " +
            "\(probe.images.count) image\(probe.images.count == 1 ? "" : "s")"
    }

    /// Prints `sensitivity: k/n runs` (or `k runs` when the total is 0, unknown) on standard error while the
    /// runs go, only on a terminal; the line is cleared when the total is reached.
    static func progress(_ what: String) -> (Int, Int) -> Void {
        guard isatty(2) != 0 else { return { _, _ in } }
        return { done, total in
            let count = total > 0 ? "\(done)/\(total)" : "\(done)"
            FileHandle.standardError.write(Data("\r\(what): \(count) runs".utf8))
            if done == total { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        }
    }

    /// Clears a progress line left on the terminal.
    static func clearProgress() {
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

/// Writes text to a file atomically (a temporary file, then a rename): a failure leaves any previous file.
func writeTextAtomically(_ text: String, to path: String) throws {
    try AtomicFile.write(Data(text.utf8), to: path)
}

func prettyJSON<T: Encodable>(_ value: T) throws -> String {
    String(decoding: try JSONText.encoder().encode(value), as: UTF8.self)
}
