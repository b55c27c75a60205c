import BitOpsCore
import Results

/// What the runner needs from an engine: decode an image file once, resize it once per size, and run a batch
/// of prepared images through one case's network (quantized, against its float twin).
///
/// The runner owns the order of work and the caching; an evaluator only computes. `EngineEvaluator` is the
/// real one (oneDNN); tests use a deterministic double.
public protocol CaseEvaluator: Sendable {
    /// An image decoded at its own size.
    associatedtype Decoded: Sendable
    /// An image resized to one case size, ready for the network.
    associatedtype Prepared: Sendable

    /// Changes whenever the numbers an evaluation produces could change (it is part of every cache key).
    var version: String { get }

    /// Changes whenever the activation ranges a calibrated case (`minmax`, `percentile:P`) gets, or how they are
    /// used, could change: part of the cache key of calibrated cases only.
    var calibrationVersion: String { get }

    /// Decodes `path`. A corrupt, truncated or unsupported file throws an error whose description is the
    /// reason (it is recorded in the results and the image is skipped).
    func decode(path: String) throws -> Decoded

    /// Resizes a decoded image to `size`×`size` (the identity when it is already that size).
    func prepare(_ image: Decoded, size: Int) throws -> Prepared

    /// A decoded image as the input of a network at `size` with `preprocessing` (the seed's default:
    /// `prepare(image, size:)`). An evaluator that cannot apply other preprocessing throws.
    func prepare(_ image: Decoded, size: Int, preprocessing: Preprocessing) throws -> Prepared

    /// Part of the cache key of graph cases (the graph executor's numerics), beside `version`; "" by default.
    var graphVersion: String { get }

    /// Builds and quantizes the network of `job` once, runs every image through it in batches of
    /// `job.batch`, and returns one outcome per image, in order. An error means the case could not run (for
    /// example it would not fit in memory); it is recorded on the case, and the sweep goes on.
    func evaluate(_ job: EvaluationJob, images: [Prepared]) throws -> Evaluation

    /// One timing round of `job`: runs only what is timed (`EngineEvaluator`: the quantized network without its
    /// float twin) and returns the time per image of each timed batch, ms. The runner calls it in every
    /// round (after `evaluate` in the first, whose images and fidelity the results keep). nil (the default):
    /// no separate timing run; the runner then takes `evaluate`'s `batchMsPerImage` in the first round and
    /// evaluates again in later ones.
    func time(_ job: EvaluationJob, images: [Prepared]) throws -> [Double]?

    /// One sample's batches of the reference workload — a fixed job, the same in every run, timed as `time`
    /// times a case, on `threads` engine threads — time per image of each batch, ms. The runner takes one
    /// reference sample beside every case's timing sample, in the same worker, so that the reference sees the
    /// machine as the cases did; `compare` and `history` divide a run's timing samples by its reference median
    /// (the machine's speed during that run). nil (the default): no reference.
    func timeReference(threads: Int) throws -> [Double]?

    /// Throws (the case records the error) when `job` on `imageCount` images would not fit in memory. Called
    /// before the images are resized for the job's size, so that nothing large is allocated first.
    func checkMemory(_ job: EvaluationJob, imageCount: Int) throws

    /// Bytes a decoded image holds, for the image set's memory budget (`SweepOptions.imageMemoryBudget`).
    func memoryBytes(_ image: Decoded) -> Int

    /// The evaluator one sweep run uses (the runner asks once, at the start): it may keep, until the run ends,
    /// what its cases' rounds would otherwise measure again (`EngineEvaluator`: calibrated activation ranges).
    /// The default: the evaluator itself.
    func forOneRun() -> Self
}

extension CaseEvaluator {
    public func prepare(_ image: Decoded, size: Int, preprocessing: Preprocessing) throws -> Prepared {
        guard preprocessing == .seedDefault else {
            throw SweepError("this evaluator cannot apply the preprocessing \(preprocessing)")
        }
        return try prepare(image, size: size)
    }

    /// Part of the cache key of graph cases (their executor's numerics), beside `version`.
    public var graphVersion: String { "" }

    public func time(_ job: EvaluationJob, images: [Prepared]) throws -> [Double]? { nil }
    public func timeReference(threads: Int) throws -> [Double]? { nil }
    public func checkMemory(_ job: EvaluationJob, imageCount: Int) throws {}
    public func memoryBytes(_ image: Decoded) -> Int { 0 }
    public func forOneRun() -> Self { self }
}

/// The network of a case: a block-form `NetworkSpec`, or a graph network (the mobilenet-v2 preset, an imported
/// ONNX model) with what running it needs.
public enum CaseNetwork: Hashable, Sendable {
    case block(NetworkSpec)
    case graph(GraphCase)

    public var name: String {
        switch self {
        case .block(let s): return s.name
        case .graph(let g): return g.network.name
        }
    }

    /// Values per image of the output (the classes).
    public var classes: Int {
        switch self {
        case .block(let s): return s.classes
        case .graph(let g): return g.classes
        }
    }

    public var inputChannels: Int {
        switch self {
        case .block(let s): return s.inputChannels
        case .graph(let g): return g.network.inputChannels
        }
    }

    /// The block-form network, or nil for a graph.
    public var block: NetworkSpec? {
        if case .block(let s) = self { return s }
        return nil
    }

    /// The graph case, or nil for a block-form network.
    public var graph: GraphCase? {
        if case .graph(let g) = self { return g }
        return nil
    }

    /// The text hashed into case ids, cache keys and groups: a block-form network's canonical JSON (as before
    /// graph networks existed, so that block sweeps keep their ids), a graph's canonical text with its
    /// preprocessing.
    var canonical: String {
        switch self {
        case .block(let s): return Canonical.json(s)
        case .graph(let g): return GraphNetworks.canonicalText(g.network) + "\npreprocess " + Canonical.json(g.preprocessing)
        }
    }
}

/// A graph network as a case runs it.
public struct GraphCase: Hashable, Sendable {
    /// The network with the case's precision set.
    public var network: GraphNetwork
    /// Its output's values per image.
    public var classes: Int
    /// How images become its input (the model's preprocessing).
    public var preprocessing: Preprocessing

    public init(network: GraphNetwork, classes: Int, preprocessing: Preprocessing) {
        self.network = network
        self.classes = classes
        self.preprocessing = preprocessing
    }
}

/// One network to build and run: everything an engine needs, and nothing about BitOps conventions.
public struct EvaluationJob: Hashable, Sendable {
    public var network: CaseNetwork
    public var size: Int
    public var quantization: QuantGranularity
    public var weights: Weights
    public var batch: Int
    /// Threads the engine may use for this job.
    public var threads: Int
    /// The kernels the quantized network runs on (the engine decides per layer what the choice allows).
    public var kernels: Kernels
    /// How the quantized activations' ranges are chosen; the engine measures them on the job's images.
    public var calibration: Calibration = .fixed

    public enum Weights: Hashable, Sendable {
        /// Drawn from a seed with an initialisation (`he-normal`, the engine's default, or `pytorch-default`).
        case seed(Int, initialization: WeightInit)
        /// A safetensors file: its path and its SHA-256 (the path may differ between machines; the digest not).
        case safetensors(path: String, sha256: String)
        /// The float weights an ONNX model carries: its path and its SHA-256.
        case onnx(path: String, sha256: String)

        /// How `CaseConfig.weights` spells it: `seed:N` (he-normal), `seed:N/pytorch-default`, or
        /// `safetensors:<sha256>`.
        public var label: String {
            switch self {
            case .seed(let s, let i): return i == .heNormal ? "seed:\(s)" : "seed:\(s)/\(i.rawValue)"
            case .safetensors(_, let d): return "safetensors:\(d)"
            case .onnx(_, let d): return "onnx:\(d)"
            }
        }
    }

    public init(network: NetworkSpec, size: Int, quantization: QuantGranularity, weights: Weights, batch: Int, threads: Int,
                kernels: Kernels = .auto) {
        self.init(network: .block(network), size: size, quantization: quantization, weights: weights, batch: batch,
                  threads: threads, kernels: kernels)
    }

    public init(network: CaseNetwork, size: Int, quantization: QuantGranularity, weights: Weights, batch: Int, threads: Int,
                kernels: Kernels = .auto) {
        self.kernels = kernels
        self.network = network
        self.size = size
        self.quantization = quantization
        self.weights = weights
        self.batch = batch
        self.threads = threads
    }
}

/// The result of one evaluation.
public struct Evaluation: Sendable {
    /// One per image, in the order given; `file` is filled in by the runner.
    public var images: [ImageResult]
    /// Building and quantizing the network and its twin, ms.
    public var buildMs: Double
    /// The quantized network's time per image in each batch, ms (the timing samples of an evaluator without
    /// `time`).
    public var batchMsPerImage: [Double]
    /// Which kernels ran, layer by layer (nil from an evaluator that does not say).
    public var kernels: KernelUse?
    /// The activation ranges the network ran with (nil from an evaluator that does not say).
    public var calibration: ActivationCalibration?

    public init(images: [ImageResult], buildMs: Double, batchMsPerImage: [Double], kernels: KernelUse? = nil,
                calibration: ActivationCalibration? = nil) {
        self.calibration = calibration
        self.kernels = kernels
        self.images = images
        self.buildMs = buildMs
        self.batchMsPerImage = batchMsPerImage
    }
}
