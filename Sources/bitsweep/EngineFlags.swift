import ArgumentParser
import BitOpsCore
import Engine

extension WeightInit: ExpressibleByArgument {}
extension QuantGranularity: ExpressibleByArgument {}
extension Kernels: ExpressibleByArgument {}

/// Where the weights come from and how they are quantized: shared by `infer`, `bench` (inside `EngineFlags`)
/// and `export`.
struct WeightFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Weights from a safetensors file (the demo's state_dict names) instead of --seed.", valueName: "file"))
    var weights: String?

    @Option(parsing: .unconditional, help: "Seed of the deterministic weight initialisation.")
    var seed: UInt64 = 0

    @Option(name: .customLong("init"), help: "Seeded weights: he-normal (default; keeps activations in range) or pytorch-default (an untrained PyTorch model, as the demo).")
    var initialization: WeightInit = .heNormal

    @Option(help: "Weight quantization granularity: per-tensor (the demo's) or per-channel.")
    var granularity: QuantGranularity = .perTensor

    /// The seed, or the safetensors file when one is given.
    var source: WeightSource { weights.map { .safetensors($0) } ?? .seed(seed) }

    /// How the weights are described in outputs: the file, or `seed 0 (he-normal)`.
    var label: String { weights ?? "seed \(seed) (\(initialization.rawValue))" }
}

/// `--calibrate`: how the quantized activations' ranges are chosen (shared by `infer`, `bench` and `export`).
struct CalibrationFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Activation ranges: fixed (every ReLU6 output on [0, 6], the default), minmax (the largest value each layer's output reaches in the float network on the calibration images) or percentile:P (the P-th percentile of those values, nearest rank, 0 < P ≤ 100). infer calibrates on its images, bench on its input batch, export on --calibration-images.", valueName: "fixed|minmax|percentile:P"))
    var calibrate: String = "fixed"

    /// The parsed value (checked by `validate`).
    var calibration: Calibration { Calibration(calibrate) ?? .fixed }

    func validate() throws {
        guard Calibration(calibrate) != nil else {
            throw ValidationError("--calibrate '\(calibrate)': expected \(Calibration.expected)")
        }
    }
}

/// The engine options shared by `infer`, `bench`, `export`, `search` and `sensitivity`: where the weights come from, how they are quantized,
/// and how many threads the convolutions use.
struct EngineFlags: ParsableArguments {
    @OptionGroup var weightFlags: WeightFlags

    var weights: String? { weightFlags.weights }
    var seed: UInt64 { weightFlags.seed }
    var initialization: WeightInit { weightFlags.initialization }
    var granularity: QuantGranularity { weightFlags.granularity }

    @Option(parsing: .unconditional, help: "Threads for the convolutions.")
    var threads: Int = 1

    @Option(help: "Kernels: float (simulated quantization), integer (oneDNN int8 where weights and input activations have ≤ 8 bits; an error if no layer can), or auto (integer where possible).")
    var kernels: Kernels = .auto

    @OptionGroup var calibrationFlags: CalibrationFlags

    var calibration: Calibration { calibrationFlags.calibration }

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads \(threads) must be at least 1") }
        guard threads <= EngineOptions.maxThreads else {
            throw ValidationError("--threads \(threads) is too many (at most \(EngineOptions.maxThreads))")
        }
    }

    /// The seed, or the safetensors file when one is given.
    var source: WeightSource { weightFlags.source }

    /// Builds a network: an engine error about the `--weights` file (missing, malformed, a tensor of the wrong
    /// shape) is an input error (exit 2); any other failure stays a failure while working (exit 1).
    func build<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as EngineError {
            if let weights, "\(e)".hasPrefix(weights + ":") { throw CommandFailure.input(e) }
            // --kernels integer on a configuration where no layer can run int8 is a usage error.
            if "\(e)".hasPrefix("kernels integer:") { throw CommandFailure.input(e) }
            throw e
        }
    }
}

/// A command with `@OptionGroup var engine: EngineFlags`, reading the flags by their own names.
protocol UsesEngineFlags {
    var engine: EngineFlags { get }
}

extension UsesEngineFlags {
    var weights: String? { engine.weights }
    var seed: UInt64 { engine.seed }
    var initialization: WeightInit { engine.initialization }
    var granularity: QuantGranularity { engine.granularity }
    var threads: Int { engine.threads }
    var kernels: Kernels { engine.kernels }
    var calibration: Calibration { engine.calibration }
}

/// The activation ranges a network runs with, whichever its form (a graph network's only when calibrated, so that
/// its default JSON stays as it was).
func activationCalibration(_ net: any InferenceNetwork) -> ActivationCalibration? {
    if let n = net as? Network { return n.activationCalibration }
    guard let g = net as? GraphExecutor, g.options.calibration != .fixed else { return nil }
    return g.activationCalibration
}

/// What ran, in one line: `int8 kernels on 10 of 12 layers (float: stem, pool, classifier)`, or `float kernels,
/// simulated quantization` (with a note that sub-8-bit weights execute as int8); for a block network, the text
/// a sweep records (`KernelUse.summary`).
func kernelSummary(_ net: any InferenceNetwork) -> String {
    if let n = net as? Network { return n.kernelUse.summary }
    if let g = net as? GraphExecutor { return g.kernelUse.summary }
    return KernelUse(requested: .auto, layers: net.layerKernels.map { KernelUse.Layer(layer: $0.layer, kernel: $0.kernel) },
                     narrowWeights: false).summary
}

extension EngineFlags {
    /// A graph network's weights: the ONNX model's own (`carried`), else seeded, else the --weights file's (by
    /// GraphWeights names; a file that does not fit the network is an input error). Shared by infer/bench/export.
    func graphWeights(_ g: GraphNetwork, size: Int, carried: GraphWeights?) throws -> GraphWeights {
        if let carried { return carried }
        switch source {
        case .seed(let s):
            return try GraphWeights.seeded(s, network: g, inputSize: size, initialization: initialization)
        case .safetensors(let path):
            return try CommandFailure.asInput { try GraphWeights.load(safetensors: path, network: g, inputSize: size) }
        }
    }
}
