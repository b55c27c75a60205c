import BitOpsCore
import Foundation

/// The results of a sweep: one durable record per case, read by every view (reports, compare, budget).
///
/// Numbers are written once here and never recomputed by a view. Counts are exact integers (from
/// `BitOpsCore`); fidelity figures are doubles; timings live in `timings` and in nothing else, so that two
/// runs of the same sweep differ only there.
///
/// Files in a results folder:
/// - `results.json` — a `ResultsSet` (schema version 2; version 1 is still read), cases in grid order.
/// - `results.csv`  — one row per case, flat columns (see `ResultsSet.csv()`).
/// - `run.json`     — a `RunInfo`: provenance (version, commit, resolved spec as a JSON object and its hash, image digests,
///   machine, date, command line).
/// - `cases/<id>.json` — written by the sweep runner: one durable record per finished case (`{"key": …,
///   "result": CaseResult}`), its cache. Views read `results.json`, never this folder.

/// A fully resolved configuration: everything that decides a case's numbers.
public struct CaseConfig: Hashable, Codable, Sendable {
    /// `seed`, `mobilenet-v1`, or a model file's name.
    public var family: String
    public var size: Int
    public var blocks: Int
    /// The blocks' weight precision: the policy the spec named and the weight bits it gave each block.
    public var weightPrecision: ResolvedPrecision
    /// The blocks' activation precision: the policy the spec named and the activation bits of each block.
    public var actPrecision: ResolvedPrecision
    public var width: Double
    public var stemBits: BitWidth?
    public var classifierBits: BitWidth
    public var convention: BitOpsConvention
    public var quantization: QuantGranularity
    /// Where the weights come from: `seed:N` (He-normal from seed N, the engine's default),
    /// `seed:N/pytorch-default`, or `safetensors:<sha256>`.
    public var weights: String
    /// The kernel choice, when the sweep's cases differ in it (`kernels:` with several values): then part of
    /// the id and the label (`k=float`). Nil otherwise (and in older files): the kernels that ran are in
    /// `CaseResult.kernels` either way.
    public var kernels: Kernels?
    /// How the activation ranges are chosen, when not the default `fixed` (then part of the id and the label,
    /// `cal=minmax`); nil for fixed, so that cases without calibration keep their ids.
    public var calibration: Calibration?

    public init(family: String, size: Int, blocks: Int, weightPrecision: ResolvedPrecision, actPrecision: ResolvedPrecision,
                width: Double = 1.0, stemBits: BitWidth? = nil, classifierBits: BitWidth,
                convention: BitOpsConvention, quantization: QuantGranularity = .perTensor, weights: String = "seed:0",
                kernels: Kernels? = nil, calibration: Calibration? = nil) {
        self.calibration = calibration == .fixed ? nil : calibration
        self.kernels = kernels
        self.family = family
        self.size = size
        self.blocks = blocks
        self.weightPrecision = weightPrecision
        self.actPrecision = actPrecision
        self.width = width
        self.stemBits = stemBits
        self.classifierBits = classifierBits
        self.convention = convention
        self.quantization = quantization
        self.weights = weights
    }

    enum CodingKeys: String, CodingKey {
        case family, size, blocks, weightPrecision = "weight_precision", actPrecision = "act_precision", width
        case stemBits = "stem_bits", classifierBits = "classifier_bits", convention, quantization, weights, kernels
        case calibration = "calibrate"
    }

    /// Schema 1 wrote the precision as a label (`precision`, `act_precision`) and the resolved widths as
    /// integer lists (`bits`, `act_bits`, 32 = float).
    enum V1Keys: String, CodingKey {
        case precision, actPrecision = "act_precision", bits, actBits = "act_bits"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        family = try c.decode(String.self, forKey: .family)
        size = try c.decode(Int.self, forKey: .size)
        blocks = try c.decode(Int.self, forKey: .blocks)
        let v1 = try decoder.container(keyedBy: V1Keys.self)
        if v1.contains(.precision) && !c.contains(.weightPrecision) {
            func resolved(_ label: V1Keys, _ widths: V1Keys) throws -> ResolvedPrecision {
                let text = try v1.decode(String.self, forKey: label)
                guard let policy = PrecisionPolicy(schema1Label: text) else {
                    throw DecodingError.dataCorruptedError(forKey: label, in: v1, debugDescription: "'\(text)' is not a precision")
                }
                return ResolvedPrecision(policy: policy, blocks: try v1.decode([BitWidth].self, forKey: widths))
            }
            weightPrecision = try resolved(.precision, .bits)
            actPrecision = try resolved(.actPrecision, .actBits)
        } else {
            weightPrecision = try c.decode(ResolvedPrecision.self, forKey: .weightPrecision)
            actPrecision = try c.decode(ResolvedPrecision.self, forKey: .actPrecision)
        }
        width = try c.decode(Double.self, forKey: .width)
        stemBits = try c.decodeIfPresent(BitWidth.self, forKey: .stemBits)
        classifierBits = try c.decode(BitWidth.self, forKey: .classifierBits)
        convention = try c.decode(BitOpsConvention.self, forKey: .convention)
        quantization = try c.decode(QuantGranularity.self, forKey: .quantization)
        weights = try c.decode(String.self, forKey: .weights)
        kernels = try c.decodeIfPresent(Kernels.self, forKey: .kernels)
        calibration = try c.decodeIfPresent(Calibration.self, forKey: .calibration)
    }

    /// The one-line label of a case (see `CaseConfig.label(…)`), e.g. `seed n=5 s=32 w=4 a=float`.
    public var label: String {
        Self.label(family: family, blocks: blocks, size: size, weights: weightPrecision.policy, activations: actPrecision.policy,
                   width: width, convention: convention, quantization: quantization, kernels: kernels,
                   calibration: calibration)
    }

    /// The one-line label of a case: family, blocks, size, weight and activation precision, then whatever
    /// differs from the defaults (width multiplier, convention, granularity), and the kernel choice when the
    /// sweep's cases differ in it (`k=float`). Every view labels cases so.
    public static func label(family: String, blocks: Int, size: Int, weights: PrecisionPolicy, activations: PrecisionPolicy,
                             width: Double, convention: BitOpsConvention, quantization: QuantGranularity,
                             kernels: Kernels? = nil, calibration: Calibration? = nil) -> String {
        var s = "\(family) n=\(blocks) s=\(size) w=\(weights) a=\(activations)"
        if width != 1.0 { s += " α=\(width)" }
        if convention != .weight { s += " \(convention.rawValue)" }
        if quantization != .perTensor { s += " \(quantization.rawValue)" }
        if let kernels { s += " k=\(kernels.rawValue)" }
        if let calibration, calibration != .fixed { s += " cal=\(calibration)" }
        return s
    }
}

extension PrecisionPolicy {
    /// Reads a precision label as results schema 1 stored it (`4`, `32`, `first-last(8,2)`, `8,4,2,4,8`,
    /// `model`): only for reading schema-1 files, which kept no other record of the policy.
    init?(schema1Label text: String) {
        if text == "model" {
            self = .model
        } else if text.hasPrefix("first-last("), text.hasSuffix(")") {
            let inner = text.dropFirst("first-last(".count).dropLast().split(separator: ",")
            guard inner.count == 2, let e = Int(inner[0]).flatMap(BitWidth.init), let i = Int(inner[1]).flatMap(BitWidth.init) else { return nil }
            self = .firstLast(edge: e, inner: i)
        } else {
            let parts = text.split(separator: ",").map { Int($0).flatMap(BitWidth.init) }
            guard !parts.isEmpty, !parts.contains(where: { $0 == nil }) else { return nil }
            let widths = parts.map { $0! }
            self = widths.count == 1 ? .uniform(widths[0]) : .perBlock(widths)
        }
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
    /// The image's class index, when it came from a labelled folder (ImageFolder layout); absent otherwise.
    public var label: Int?
    /// The float twin's five best classes (largest first). Kept only for labelled images, where the twin's
    /// accuracy needs it; absent otherwise (and in files written before accuracy existed).
    public var floatTop5: [Int]?
    /// On integer kernels: the SQNR (dB) of the logits against the simulated run (float kernels, the same
    /// fake quantization) — a check of the integer path, which differs from it only by requantization
    /// rounding. Absent when no layer ran int8 (and in older files); `FidelitySummary.exactSQNR` when the two
    /// agree exactly.
    public var simulatedSQNR: Double?

    public init(file: String, top1: Int, top5: [Int], logits: [Double], sqnrDB: Double?, cosine: Double,
                top1Agree: Bool, blockSQNR: [Double?], label: Int? = nil, floatTop5: [Int]? = nil, simulatedSQNR: Double? = nil) {
        self.simulatedSQNR = simulatedSQNR
        self.file = file
        self.top1 = top1
        self.top5 = top5
        self.logits = logits
        self.sqnrDB = sqnrDB
        self.cosine = cosine
        self.top1Agree = top1Agree
        self.blockSQNR = blockSQNR
        self.label = label
        self.floatTop5 = floatTop5
    }

    enum CodingKeys: String, CodingKey {
        case file, top1, top5, logits, sqnrDB = "sqnr_db", cosine, top1Agree = "top1_agree", blockSQNR = "block_sqnr_db"
        case label, floatTop5 = "float_top5", simulatedSQNR = "simulated_sqnr_db"
    }
}

/// Top-1 and top-5 accuracy of a case on the labelled images of its set, for the quantized network and its
/// float twin. An image counts as correct at top-k when its label is among the network's k best classes
/// (with fewer than k classes, among all of them). Counts are exact; each fraction is its count divided by
/// `images`.
///
/// JSON: `{"images", "top1_correct", "top5_correct", "float_top1_correct", "float_top5_correct", "top1",
/// "top5", "float_top1", "float_top5"}`. The float fields are absent when the twin's classes were not kept.
public struct AccuracySummary: Hashable, Codable, Sendable {
    /// Labelled images the figures are over.
    public var images: Int
    public var top1Correct: Int
    public var top5Correct: Int
    public var floatTop1Correct: Int?
    public var floatTop5Correct: Int?
    /// Fractions 0…1 (count / images).
    public var top1: Double
    public var top5: Double
    public var floatTop1: Double?
    public var floatTop5: Double?

    /// Over the images that carry a label; nil when none does (an unlabelled set).
    public init?(images: [ImageResult]) {
        self.init(labelled: images.compactMap { r in r.label.map { (label: $0, top5: r.top5, floatTop5: r.floatTop5) } })
    }

    /// Over images given as their label, the quantized network's best classes (largest first) and the twin's
    /// (nil when not kept: then the float figures are absent); nil for no image.
    public init?(labelled: [(label: Int, top5: [Int], floatTop5: [Int]?)]) {
        guard !labelled.isEmpty else { return nil }
        let n = labelled.count
        func correct(_ classes: [Int], _ label: Int, _ k: Int) -> Bool { classes.prefix(k).contains(label) }
        images = n
        top1Correct = labelled.filter { correct($0.top5, $0.label, 1) }.count
        top5Correct = labelled.filter { correct($0.top5, $0.label, 5) }.count
        top1 = Double(top1Correct) / Double(n)
        top5 = Double(top5Correct) / Double(n)
        if labelled.allSatisfy({ $0.floatTop5 != nil }) {
            let f1 = labelled.filter { correct($0.floatTop5!, $0.label, 1) }.count
            let f5 = labelled.filter { correct($0.floatTop5!, $0.label, 5) }.count
            floatTop1Correct = f1
            floatTop5Correct = f5
            floatTop1 = Double(f1) / Double(n)
            floatTop5 = Double(f5) / Double(n)
        }
    }

    enum CodingKeys: String, CodingKey {
        case images, top1Correct = "top1_correct", top5Correct = "top5_correct"
        case floatTop1Correct = "float_top1_correct", floatTop5Correct = "float_top5_correct"
        case top1, top5, floatTop1 = "float_top1", floatTop5 = "float_top5"
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
    /// On integer kernels: mean and minimum over the images of `ImageResult.simulatedSQNR` (the integer run
    /// against the simulated run of the same configuration); absent when no layer ran int8.
    public var simulatedSQNRMean: Double?
    public var simulatedSQNRMin: Double?

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
        let simulated = images.compactMap(\.simulatedSQNR)
        if !simulated.isEmpty && simulated.count == images.count {
            simulatedSQNRMean = simulated.reduce(0, +) / Double(simulated.count)
            simulatedSQNRMin = simulated.min()
        }
    }

    enum CodingKeys: String, CodingKey {
        case images, sqnrDBMean = "sqnr_db_mean", sqnrDBMin = "sqnr_db_min", cosineMean = "cosine_mean"
        case cosineMin = "cosine_min", top1Agreement = "top1_agreement"
        case simulatedSQNRMean = "simulated_sqnr_db_mean", simulatedSQNRMin = "simulated_sqnr_db_min"
    }
}

/// Engine timings of a case. The only fields that differ between two runs of the same sweep.
public struct CaseTimings: Hashable, Codable, Sendable {
    /// Building and quantizing the network (and its float twin), ms.
    public var buildMs: Double
    /// The quantized network's time per image, ms: the median of `samplesMsPerImage` (one per timing round).
    /// Measured on the CPU clock of the thread that runs the network (the time it really ran, not the time it
    /// waited for a CPU on a busy machine); results written before `--repeats` hold wall-clock time here.
    public var msPerImage: Double
    public var imagesPerSecond: Double
    /// Wall time of the whole case, ms.
    public var totalMs: Double
    /// The quantized network's time per image in each timing round (`sweep --repeats N`: N samples, taken in
    /// interleaved rounds over the cases), ms; `msPerImage` is their median. Absent in older files.
    public var samplesMsPerImage: [Double]?
    /// The reference workload's time per image taken right after each of `samplesMsPerImage`, in the same
    /// worker (one fixed network, the same in every run: `EngineEvaluator.referenceWorkload`), ms: how fast the
    /// machine was while this case was timed. `compare` and `history` divide each run's samples by the run's
    /// reference median (`ResultsSet.referenceMsPerImage`). Absent in older files, and for evaluators without one.
    public var referenceSamplesMsPerImage: [Double]?

    /// The samples a timing verdict compares: `samplesMsPerImage`, or the one median of an older file.
    public var samples: [Double] {
        if let s = samplesMsPerImage, !s.isEmpty { return s }
        return [msPerImage]
    }

    public init(buildMs: Double, msPerImage: Double, imagesPerSecond: Double, totalMs: Double, samplesMsPerImage: [Double]? = nil,
                referenceSamplesMsPerImage: [Double]? = nil) {
        self.buildMs = buildMs
        self.msPerImage = msPerImage
        self.imagesPerSecond = imagesPerSecond
        self.totalMs = totalMs
        self.samplesMsPerImage = samplesMsPerImage
        self.referenceSamplesMsPerImage = referenceSamplesMsPerImage
    }

    enum CodingKeys: String, CodingKey {
        case buildMs = "build_ms", msPerImage = "ms_per_image", imagesPerSecond = "images_per_second", totalMs = "total_ms"
        case samplesMsPerImage = "samples_ms_per_image", referenceSamplesMsPerImage = "reference_samples_ms_per_image"
    }
}

/// One case: its configuration, its id (a hash of the configuration), its counts, its fidelity, its timings.
public struct CaseResult: Hashable, Codable, Sendable {
    /// A stable hash of `config` (hex). Figure file names and cache entries carry it.
    public var id: String
    /// The case's position in the expanded grid (results are written in this order).
    public var index: Int
    public var config: CaseConfig
    /// Per-layer counts, block subtotals and totals, exactly as `bitsweep calc` computes them (a block-form
    /// network's report, or a graph network's: `CaseCost`).
    public var cost: CaseCost
    public var images: [ImageResult]
    /// Aggregate over `images`; nil when no image ran (a cost-only case).
    public var fidelity: FidelitySummary?
    /// Top-1/top-5 accuracy over the labelled images; absent for an unlabelled set (and in older files).
    public var accuracy: AccuracySummary?
    public var timings: CaseTimings?
    /// Set when the case could not run (e.g. too large for memory); counts are still present.
    public var error: String?
    /// Which kernels ran, layer by layer (`kernels.summary`: `int8 kernels on 10 of 12 layers (float: …)`);
    /// absent when the case did not run (and in files written before integer kernels: those ran float).
    public var kernels: KernelUse?
    /// The activation ranges the case ran with: the method (`fixed`, `minmax`, `percentile:P`) and, per quantized
    /// activation, its range and scale; absent when the case did not run (and in files written before calibration:
    /// those ran on the fixed [0, 6] ranges).
    public var calibration: ActivationCalibration?
    /// How images became the network's input, for graph networks (the model's preprocessing: resize, crop,
    /// mean, std, channel order); absent for block-form networks, which always take the seed's pipeline.
    public var preprocessing: Preprocessing?

    public init(id: String, index: Int, config: CaseConfig, cost: CostReport, images: [ImageResult],
                fidelity: FidelitySummary?, timings: CaseTimings?, error: String? = nil, accuracy: AccuracySummary? = nil,
                kernels: KernelUse? = nil, calibration: ActivationCalibration? = nil) {
        self.init(id: id, index: index, config: config, cost: .block(cost), images: images, fidelity: fidelity,
                  timings: timings, error: error, accuracy: accuracy, kernels: kernels, calibration: calibration)
    }

    public init(id: String, index: Int, config: CaseConfig, cost: CaseCost, images: [ImageResult],
                fidelity: FidelitySummary?, timings: CaseTimings?, error: String? = nil, accuracy: AccuracySummary? = nil,
                kernels: KernelUse? = nil, calibration: ActivationCalibration? = nil, preprocessing: Preprocessing? = nil) {
        self.calibration = calibration
        self.preprocessing = preprocessing
        self.kernels = kernels
        self.id = id
        self.index = index
        self.config = config
        self.cost = cost
        self.images = images
        self.fidelity = fidelity
        self.accuracy = accuracy
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
    /// The schema this version writes.
    public static let schemaVersion = 2
    /// The schemas it reads: 1 (before typed precision) and 2.
    public static let readableSchemas = 1...2

    /// The sweep's name (from the spec).
    public var name: String
    public var cases: [CaseResult]
    public var skippedImages: [SkippedImage]

    public init(name: String, cases: [CaseResult], skippedImages: [SkippedImage]) {
        self.name = name
        self.cases = cases.sorted { $0.index < $1.index }
        self.skippedImages = skippedImages.sorted { $0.file < $1.file }
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", name, cases, skippedImages = "skipped_images"
    }

    /// An unsupported `schema_version`.
    public struct UnsupportedSchema: Error {
        public var version: Int
    }

    /// Reads schema 1 or 2 (a schema-1 file is read into today's values); always writes schema 2.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let version = try c.decode(Int.self, forKey: .schemaVersion)
        guard Self.readableSchemas.contains(version) else { throw UnsupportedSchema(version: version) }
        name = try c.decode(String.self, forKey: .name)
        cases = try c.decode([CaseResult].self, forKey: .cases)
        skippedImages = try c.decode([SkippedImage].self, forKey: .skippedImages)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(Self.schemaVersion, forKey: .schemaVersion)
        try c.encode(name, forKey: .name)
        try c.encode(cases, forKey: .cases)
        try c.encode(skippedImages, forKey: .skippedImages)
    }
}

/// Provenance of a run (`run.json`).
public struct RunInfo: Hashable, Codable, Sendable {
    public var bitsweepVersion: String
    public var engineVersion: String
    public var gitCommit: String?
    /// The spec as resolved (after `--set` overrides), as canonical JSON text (what `specHash` hashes).
    /// `run.json` stores it as a JSON object (schema 1 stored this text as a string; both are read).
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

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bitsweepVersion = try c.decode(String.self, forKey: .bitsweepVersion)
        engineVersion = try c.decode(String.self, forKey: .engineVersion)
        gitCommit = try c.decodeIfPresent(String.self, forKey: .gitCommit)
        if let text = try? c.decode(String.self, forKey: .spec) {
            spec = text
        } else {
            spec = try c.decode(JSONValue.self, forKey: .spec).text
        }
        specHash = try c.decode(String.self, forKey: .specHash)
        images = try c.decode([String: String].self, forKey: .images)
        machine = try c.decode(String.self, forKey: .machine)
        date = try c.decode(String.self, forKey: .date)
        commandLine = try c.decode([String].self, forKey: .commandLine)
        shard = try c.decodeIfPresent(String.self, forKey: .shard)
        gridCases = try c.decodeIfPresent(Int.self, forKey: .gridCases)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(bitsweepVersion, forKey: .bitsweepVersion)
        try c.encode(engineVersion, forKey: .engineVersion)
        try c.encodeIfPresent(gitCommit, forKey: .gitCommit)
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(spec.utf8))
        try c.encode(value, forKey: .spec)
        try c.encode(specHash, forKey: .specHash)
        try c.encode(images, forKey: .images)
        try c.encode(machine, forKey: .machine)
        try c.encode(date, forKey: .date)
        try c.encode(commandLine, forKey: .commandLine)
        try c.encodeIfPresent(shard, forKey: .shard)
        try c.encodeIfPresent(gridCases, forKey: .gridCases)
    }
}

/// Any JSON value, to keep a JSON document inside another as an object rather than as a string.
public indirect enum JSONValue: Hashable, Codable, Sendable {
    case null, bool(Bool), int(Int), double(Double), string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    public init(from decoder: Decoder) throws {
        if var a = try? decoder.unkeyedContainer() {
            var out: [JSONValue] = []
            while !a.isAtEnd { out.append(try a.decode(JSONValue.self)) }
            self = .array(out)
            return
        }
        if let o = try? decoder.container(keyedBy: AnyKey.self) {
            var out: [String: JSONValue] = [:]
            for k in o.allKeys { out[k.stringValue] = try o.decode(JSONValue.self, forKey: k) }
            self = .object(out)
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else { self = .string(try c.decode(String.self)) }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null:
            var c = encoder.singleValueContainer()
            try c.encodeNil()
        case .bool(let b):
            var c = encoder.singleValueContainer()
            try c.encode(b)
        case .int(let i):
            var c = encoder.singleValueContainer()
            try c.encode(i)
        case .double(let d):
            var c = encoder.singleValueContainer()
            try c.encode(d)
        case .string(let s):
            var c = encoder.singleValueContainer()
            try c.encode(s)
        case .array(let a):
            var c = encoder.unkeyedContainer()
            for v in a { try c.encode(v) }
        case .object(let o):
            var c = encoder.container(keyedBy: AnyKey.self)
            for (k, v) in o { try c.encode(v, forKey: AnyKey(k)) }
        }
    }

    /// Compact JSON text, keys sorted.
    public var text: String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
