import BitOpsCore
import Foundation

/// The results of a sweep: one durable record per case, read by every view (reports, compare, budget).
///
/// Numbers are written once here and never recomputed by a view. Counts are exact integers (from
/// `BitOpsCore`); fidelity figures are doubles; timings live in `timings` and in nothing else, so that two
/// runs of the same sweep differ only there.
///
/// Files in a results folder:
/// - `results.json` — a `ResultsSet` (schema version 1), cases in grid order.
/// - `results.csv`  — one row per case, flat columns (see `ResultsSet.csv()`).
/// - `run.json`     — a `RunInfo`: provenance (version, commit, resolved spec and its hash, image digests,
///   machine, date, command line).
/// - `cases/<id>.json` — written by the sweep runner: one durable record per finished case (`{"key": …,
///   "result": CaseResult}`), its cache. Views read `results.json`, never this folder.

/// A fully resolved configuration: everything that decides a case's numbers.
public struct CaseConfig: Hashable, Codable, Sendable {
    /// `seed`, `mobilenet-v1`, or a model file's name.
    public var family: String
    public var size: Int
    public var blocks: Int
    /// The precision as the spec named it: `4`, `first-last(8,4)`, `8,4,2,4,8`. Charts group by it.
    public var precision: String
    /// The activation precision as the spec named it (`32` = float).
    public var actPrecision: String
    /// Resolved weight bits, one per block.
    public var bits: [Int]
    /// Resolved activation bits, one per block.
    public var actBits: [Int]
    public var width: Double
    public var stemBits: Int?
    public var classifierBits: Int
    public var convention: BitOpsConvention
    /// `per-tensor` (default) or `per-channel`.
    public var quantization: String
    /// Where the weights come from: `seed:N` (He-normal from seed N, the engine's default),
    /// `seed:N/pytorch-default`, or `safetensors:<sha256>`.
    public var weights: String

    public init(family: String, size: Int, blocks: Int, precision: String, actPrecision: String, bits: [Int],
                actBits: [Int], width: Double = 1.0, stemBits: Int? = nil, classifierBits: Int,
                convention: BitOpsConvention, quantization: String = "per-tensor", weights: String = "seed:0") {
        self.family = family
        self.size = size
        self.blocks = blocks
        self.precision = precision
        self.actPrecision = actPrecision
        self.bits = bits
        self.actBits = actBits
        self.width = width
        self.stemBits = stemBits
        self.classifierBits = classifierBits
        self.convention = convention
        self.quantization = quantization
        self.weights = weights
    }

    enum CodingKeys: String, CodingKey {
        case family, size, blocks, precision, actPrecision = "act_precision", bits, actBits = "act_bits", width
        case stemBits = "stem_bits", classifierBits = "classifier_bits", convention, quantization, weights
    }

    /// A one-line human label, e.g. `seed n=5 s=32 w=4 a=32 weight`.
    public var label: String {
        "\(family) n=\(blocks) s=\(size) w=\(precision) a=\(actPrecision)" + (convention == .weight ? "" : " \(convention.rawValue)")
    }
}

/// Fidelity of one image against the float twin.
public struct ImageResult: Hashable, Codable, Sendable {
    /// The image's path relative to the images folder.
    public var file: String
    public var top1: Int
    public var top5: [Int]
    /// Logits of the quantized network.
    public var logits: [Double]
    /// SQNR of the logits in dB; nil when the quantized logits equal the float twin's exactly (∞ dB).
    public var sqnrDB: Double?
    public var cosine: Double
    public var top1Agree: Bool
    /// SQNR (dB) of each block's output against the twin; nil entries are exact (∞ dB).
    public var blockSQNR: [Double?]

    public init(file: String, top1: Int, top5: [Int], logits: [Double], sqnrDB: Double?, cosine: Double,
                top1Agree: Bool, blockSQNR: [Double?]) {
        self.file = file
        self.top1 = top1
        self.top5 = top5
        self.logits = logits
        self.sqnrDB = sqnrDB
        self.cosine = cosine
        self.top1Agree = top1Agree
        self.blockSQNR = blockSQNR
    }

    enum CodingKeys: String, CodingKey {
        case file, top1, top5, logits, sqnrDB = "sqnr_db", cosine, top1Agree = "top1_agree", blockSQNR = "block_sqnr_db"
    }
}

/// Fidelity aggregated over the images of a case.
public struct FidelitySummary: Hashable, Codable, Sendable {
    public var images: Int
    /// Mean and minimum logit SQNR in dB; nil when every image was exact (∞ dB). Exact images count as
    /// `FidelitySummary.exactSQNR` in the mean.
    public var sqnrDBMean: Double?
    public var sqnrDBMin: Double?
    public var cosineMean: Double
    public var cosineMin: Double
    /// Fraction of images whose top-1 class equals the float twin's, 0…1.
    public var top1Agreement: Double

    /// The SQNR an exact image contributes to a mean (a ceiling, so that means stay finite).
    public static let exactSQNR = 200.0

    public init(images: [ImageResult]) {
        self.images = images.count
        let n = Double(max(images.count, 1))
        let finite = images.compactMap(\.sqnrDB)
        if finite.isEmpty {
            sqnrDBMean = nil
            sqnrDBMin = nil
        } else {
            let sum = images.reduce(0.0) { $0 + min($1.sqnrDB ?? Self.exactSQNR, Self.exactSQNR) }
            sqnrDBMean = sum / n
            sqnrDBMin = finite.min()
        }
        cosineMean = images.reduce(0.0) { $0 + $1.cosine } / n
        cosineMin = images.map(\.cosine).min() ?? 1
        top1Agreement = Double(images.filter(\.top1Agree).count) / n
    }

    enum CodingKeys: String, CodingKey {
        case images, sqnrDBMean = "sqnr_db_mean", sqnrDBMin = "sqnr_db_min", cosineMean = "cosine_mean"
        case cosineMin = "cosine_min", top1Agreement = "top1_agreement"
    }
}

/// Engine timings of a case. The only fields that differ between two runs of the same sweep.
public struct CaseTimings: Hashable, Codable, Sendable {
    /// Building and quantizing the network (and its float twin), ms.
    public var buildMs: Double
    /// Median over batches of the quantized network's time per image, ms.
    public var msPerImage: Double
    public var imagesPerSecond: Double
    /// Wall time of the whole case, ms.
    public var totalMs: Double

    public init(buildMs: Double, msPerImage: Double, imagesPerSecond: Double, totalMs: Double) {
        self.buildMs = buildMs
        self.msPerImage = msPerImage
        self.imagesPerSecond = imagesPerSecond
        self.totalMs = totalMs
    }

    enum CodingKeys: String, CodingKey {
        case buildMs = "build_ms", msPerImage = "ms_per_image", imagesPerSecond = "images_per_second", totalMs = "total_ms"
    }
}

/// One case: its configuration, its id (a hash of the configuration), its counts, its fidelity, its timings.
public struct CaseResult: Hashable, Codable, Sendable {
    /// A stable hash of `config` (hex). Figure file names and cache entries carry it.
    public var id: String
    /// The case's position in the expanded grid (results are written in this order).
    public var index: Int
    public var config: CaseConfig
    /// Per-layer counts, block subtotals and totals, exactly as `bitsweep calc` computes them.
    public var cost: CostReport
    public var images: [ImageResult]
    /// Aggregate over `images`; nil when no image ran (a cost-only case).
    public var fidelity: FidelitySummary?
    public var timings: CaseTimings?
    /// Set when the case could not run (e.g. too large for memory); counts are still present.
    public var error: String?

    public init(id: String, index: Int, config: CaseConfig, cost: CostReport, images: [ImageResult],
                fidelity: FidelitySummary?, timings: CaseTimings?, error: String? = nil) {
        self.id = id
        self.index = index
        self.config = config
        self.cost = cost
        self.images = images
        self.fidelity = fidelity
        self.timings = timings
        self.error = error
    }
}

/// An input image that was skipped, with the reason (corrupt, truncated, not an image …).
public struct SkippedImage: Hashable, Codable, Sendable {
    public var file: String
    public var reason: String
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
}

/// Everything `results.json` holds.
public struct ResultsSet: Hashable, Codable, Sendable {
    public var schemaVersion: Int
    /// The sweep's name (from the spec).
    public var name: String
    public var cases: [CaseResult]
    public var skippedImages: [SkippedImage]

    public init(name: String, cases: [CaseResult], skippedImages: [SkippedImage]) {
        self.schemaVersion = 1
        self.name = name
        self.cases = cases.sorted { $0.index < $1.index }
        self.skippedImages = skippedImages.sorted { $0.file < $1.file }
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", name, cases, skippedImages = "skipped_images"
    }
}

/// Provenance of a run (`run.json`).
public struct RunInfo: Hashable, Codable, Sendable {
    public var bitsweepVersion: String
    public var engineVersion: String
    public var gitCommit: String?
    /// The spec as resolved (after `--set` overrides), as JSON text.
    public var spec: String
    public var specHash: String
    /// Image file (relative path) → SHA-256.
    public var images: [String: String]
    public var machine: String
    public var date: String
    public var commandLine: [String]
    /// Shard `i/n`, when the run was one shard.
    public var shard: String?
    /// The number of cases in the whole grid of the spec (a shard runs fewer). Absent in older files.
    public var gridCases: Int?

    public init(bitsweepVersion: String, engineVersion: String, gitCommit: String?, spec: String, specHash: String,
                images: [String: String], machine: String, date: String, commandLine: [String], shard: String? = nil,
                gridCases: Int? = nil) {
        self.bitsweepVersion = bitsweepVersion
        self.engineVersion = engineVersion
        self.gitCommit = gitCommit
        self.spec = spec
        self.specHash = specHash
        self.images = images
        self.machine = machine
        self.date = date
        self.commandLine = commandLine
        self.shard = shard
        self.gridCases = gridCases
    }

    enum CodingKeys: String, CodingKey {
        case bitsweepVersion = "bitsweep_version", engineVersion = "engine_version", gitCommit = "git_commit", spec
        case specHash = "spec_hash", images, machine, date, commandLine = "command_line", shard, gridCases = "grid_cases"
    }
}
