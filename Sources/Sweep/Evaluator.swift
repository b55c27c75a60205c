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

    /// Decodes `path`. A corrupt, truncated or unsupported file throws an error whose description is the
    /// reason (it is recorded in the results and the image is skipped).
    func decode(path: String) throws -> Decoded

    /// Resizes a decoded image to `size`×`size` (the identity when it is already that size).
    func prepare(_ image: Decoded, size: Int) throws -> Prepared

    /// Builds and quantizes the network of `job` once, runs every image through it in batches of
    /// `job.batch`, and returns one outcome per image, in order. An error means the case could not run (for
    /// example it would not fit in memory); it is recorded on the case, and the sweep goes on.
    func evaluate(_ job: EvaluationJob, images: [Prepared]) throws -> Evaluation

    /// Throws (the case records the error) when `job` on `imageCount` images would not fit in memory. Called
    /// before the images are resized for the job's size, so that nothing large is allocated first.
    func checkMemory(_ job: EvaluationJob, imageCount: Int) throws

    /// Bytes a decoded image holds, for the image set's memory budget (`SweepOptions.imageMemoryBudget`).
    func memoryBytes(_ image: Decoded) -> Int
}

extension CaseEvaluator {
    public func checkMemory(_ job: EvaluationJob, imageCount: Int) throws {}
    public func memoryBytes(_ image: Decoded) -> Int { 0 }
}

/// One network to build and run: everything an engine needs, and nothing about BitOps conventions.
public struct EvaluationJob: Hashable, Sendable {
    public var network: NetworkSpec
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

        /// How `CaseConfig.weights` spells it: `seed:N` (he-normal), `seed:N/pytorch-default`, or
        /// `safetensors:<sha256>`.
        public var label: String {
            switch self {
            case .seed(let s, let i): return i == .heNormal ? "seed:\(s)" : "seed:\(s)/\(i.rawValue)"
            case .safetensors(_, let d): return "safetensors:\(d)"
            }
        }
    }

    public init(network: NetworkSpec, size: Int, quantization: QuantGranularity, weights: Weights, batch: Int, threads: Int,
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
    /// The quantized network's time per image in each timed batch, ms (the engine may time more batches than
    /// it ran images in, e.g. several passes over a small set: `EngineEvaluator.minimumTimedBatches`).
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
