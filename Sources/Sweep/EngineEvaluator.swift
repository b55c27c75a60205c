import BitOpsCore
import Engine
import Foundation
import Results

/// The real evaluator: images through libpng/libjpeg-turbo, networks through oneDNN (the `Engine` module).
///
/// Per job: one `Network` (quantized, with its float twin) is built for the batch size and thread count and
/// then run on the images in batches. Infinite SQNRs (exact) become nil in `ImageResult`; −∞ (a twin whose
/// logits are all zero) is written as −`FidelitySummary.exactSQNR` so that JSON can hold it.
public struct EngineEvaluator: CaseEvaluator {
    /// Part of every cache key. The Engine module has no version number of its own, so this is oneDNN's
    /// version plus a fingerprint of the engine's numerics: a tiny probe network (stem, 3×3 and 5×5
    /// depthwise, strides 1 and 2, 1- to 8-bit weights, quantized and float activations, pointwise layers on
    /// maps of 9 and 4 positions — the matmul form — one of them with 520 input channels) built with every
    /// quantization granularity and initialisation, run on two resized synthetic images, and hashed to the
    /// last bit. Any change to initialisation, quantization, resizing or the kernels that shows in the probe
    /// makes every cached case stale. Computed once per process (a few milliseconds).
    public static let engineVersion: String = {
        let fingerprint: String
        do { fingerprint = try probeFingerprint() } catch { fingerprint = "unavailable (\(error))" }
        return "oneDNN \(Engine.oneDNNVersion), numerics \(fingerprint)"
    }()

    /// The probe's two synthetic images (7×5 and 4×11), as made, before resizing or preprocessing.
    static func probePictures() -> [RGBImage] {
        [RGBImage(width: 7, height: 5, pixels: (0..<105).map { UInt8(($0 * 37 + 11) % 256) }),
         RGBImage(width: 4, height: 11, pixels: (0..<132).map { UInt8(($0 * 91 + 3) % 256) })]
    }

    /// The probe: two synthetic images resized to 9×9, and a network of stem, 3×3 and 5×5 depthwise blocks
    /// (maps 5×5, 5×5, 3×3, 3×3, 2×2).
    static func probe() -> (images: [Tensor], spec: NetworkSpec) {
        let images = probePictures().map { $0.resized(to: 9).tensor() }
        let spec = NetworkSpec(
            name: "probe", inputChannels: 3, inputBits: 8,
            stem: StemSpec(outChannels: 6, kernel: 3, stride: 2, bits: 5, actBits: 6),
            blocks: [BlockSpec(outChannels: 8, stride: 1, bits: 3, actBits: 4, kernel: 3),
                     BlockSpec(outChannels: 12, stride: 2, bits: .bits(1), actBits: .float, kernel: 5),
                     BlockSpec(outChannels: 520, stride: 1, bits: 2, actBits: 5, kernel: 3),
                     BlockSpec(outChannels: 6, stride: 2, bits: 8, actBits: .float, kernel: 3)],
            classes: 4, classifierBits: 6)
        return (images, spec)
    }

    static func bits(_ v: Float) -> String { String(v.bitPattern, radix: 16) }
    static func bits(_ v: Double) -> String { String(v.bitPattern, radix: 16) }

    static func probeFingerprint() throws -> String {
        var text = ""
        let (images, spec) = probe()
        let a = images[0], b = images[1]
        text += (a.data + b.data).map(bits).joined(separator: ",") + "\n"
        for granularity in QuantGranularity.allCases {
            for initialization in WeightInit.allCases {
                let net = try Network(spec: spec, inputSize: 9, weights: .seed(1), options: EngineOptions(
                    granularity: granularity, threads: 1, batchSize: 2, initialization: initialization))
                for o in try net.run([a, b]).images {
                    text += o.logits.map(bits).joined(separator: ",") + ";" + o.top5.map(String.init).joined(separator: ",")
                    if let f = o.fidelity {
                        text += ";" + ([f.sqnrDB, f.cosine] + f.blockSQNR).map(bits).joined(separator: ",")
                    }
                    text += "\n"
                }
            }
        }
        return String(Digest.sha256(text).prefix(16))
    }

    /// Part of graph cases' cache keys: a fingerprint of the graph executor's numerics and of preprocessing —
    /// the probe network above as a graph (`NetworkSpec.graph()`), seeded, run on the two synthetic images
    /// preprocessed with a resize, a centre crop, mean and std and the bgr order, hashed to the last bit.
    public static let graphEngineVersion: String = {
        do { return "graph numerics " + (try graphProbeFingerprint()) } catch { return "graph numerics unavailable (\(error))" }
    }()

    static func graphProbeFingerprint() throws -> String {
        var text = ""
        let pre = Preprocessing(resize: 11, crop: 9, mean: [0.4, 0.5, 0.6], std: [0.2, 0.25, 0.3], channelOrder: .bgr)
        let images = try probePictures().map { try pre.tensor($0, size: 9) }
        text += images.flatMap(\.data).map(bits).joined(separator: ",") + "\n"
        let spec = probe().spec
        // Float kernels, and integer kernels where the probe allows them (auto: the sweep's default).
        for granularity in QuantGranularity.allCases { for kernels in [Kernels.float, .auto] {
            let net = try GraphExecutor(network: try spec.graph(), inputSize: 9, seed: 1,
                                        options: EngineOptions(granularity: granularity, threads: 1, batchSize: 2, kernels: kernels))
            for o in try net.run(images).images {
                text += o.logits.map(bits).joined(separator: ",") + ";" + o.top5.map(String.init).joined(separator: ",") + "\n"
            }
        } }
        return String(Digest.sha256(text).prefix(16))
    }

    /// Part of the cache key of a calibrated case only (`minmax`, `percentile:P`; the fixed cases' keys do not
    /// have it, so that they stay as they were): the probe network calibrated with minmax and percentile:90 on
    /// the probe images (batch 1, so that the statistics run over two batches), its ranges, and its logits on
    /// float and on auto kernels with those ranges, hashed to the last bit. A change to how ranges are measured
    /// or used that shows in the probe makes every cached calibrated case stale. Computed once per process, and
    /// only when a calibrated case is looked up.
    public static let calibrationFingerprint: String = {
        do { return try calibrationProbeFingerprint() } catch { return "unavailable (\(error))" }
    }()

    static func calibrationProbeFingerprint() throws -> String {
        let (images, spec) = probe()
        var text = ""
        for method in [Calibration.minmax, .percentile(90)] {
            let ranges = try Network.calibratedRanges(spec: spec, inputSize: 9, weights: .seed(1), images: images, method: method,
                                                      options: EngineOptions(threads: 1, batchSize: 1))
            text += "\(method): " + ranges.sorted { $0.key < $1.key }.map { "\($0.key) \(bits($0.value))" }.joined(separator: ",") + "\n"
            for kernels in [Kernels.float, .auto] {
                let net = try Network(spec: spec, inputSize: 9, weights: .seed(1), options: EngineOptions(
                    threads: 1, batchSize: 2, fidelity: false, kernels: kernels, calibration: method, activationRanges: ranges))
                for o in try net.run(images).images { text += o.logits.map(bits).joined(separator: ",") + "\n" }
            }
        }
        return String(Digest.sha256(text).prefix(16))
    }

    public var graphVersion: String { Self.graphEngineVersion }

    /// TEST ONLY (`sweep --debug-slowdown F`, hidden): makes every timed batch really take `F` times as
    /// long (the batches of `time` for block networks, of `evaluate` for graph networks) — after the batch, the
    /// same batch runs again through the same network (⌈F − 1⌉ more runs), and (F − 1)/⌈F − 1⌉ of those runs'
    /// measured time is added to the batch's time. The extra work is the real kernels on the real buffers, so it
    /// uses the caches and memory bandwidth as slower kernels would (a spin on arithmetic, as before, left a
    /// neighbouring job's network faster on a busy machine, so the slow-down seen was less than F). 1 (the
    /// default) does nothing. It exists so that tests and the README's measurement can check that a real
    /// slow-down is called by `compare`; it changes no count and no fidelity figure.
    public var debugSlowdown: Double

    /// Called each time a calibrated job's activation ranges are measured (run through the float network), not
    /// when they are reused: tests count calibrations with it.
    public var onCalibration: (@Sendable (EvaluationJob) -> Void)?

    /// Called each time a graph job's weights are made (seeded, read from a safetensors file or imported from an
    /// ONNX model), not when they are reused: tests count loads with it.
    public var onGraphWeights: (@Sendable (EvaluationJob) -> Void)?

    /// The ranges measured in this run (`forOneRun()`); nil: every evaluation and timing round measures its own.
    var calibrations: CalibrationMemo?

    /// The graph weights made in this run (`forOneRun()`); nil: every evaluation makes its own.
    var graphWeightSets: GraphWeightsMemo?

    public init(debugSlowdown: Double = 1, onCalibration: (@Sendable (EvaluationJob) -> Void)? = nil,
                onGraphWeights: (@Sendable (EvaluationJob) -> Void)? = nil) {
        self.debugSlowdown = debugSlowdown
        self.onCalibration = onCalibration
        self.onGraphWeights = onGraphWeights
    }

    /// A copy for one sweep run that measures a calibrated case's activation ranges once — in its first
    /// evaluation — and reuses them in its timing rounds (and in other cases with the same float network,
    /// size, weights and images), and makes a graph network's weights once and reuses them in its timing rounds
    /// (and in other cases with the same weight source and tensors, `GraphWeightsMemo`); both are dropped with
    /// the copy at the end of the run.
    public func forOneRun() -> EngineEvaluator {
        var e = self
        e.calibrations = CalibrationMemo()
        e.graphWeightSets = GraphWeightsMemo()
        return e
    }

    /// The weights of graph job `job` (its network `network`): seeded, read from the safetensors file or imported
    /// from the ONNX model at the job's size — or the set this run made already for the same source and tensors
    /// (`GraphWeightsMemo`).
    func graphWeights(_ job: EvaluationJob, network: GraphNetwork) throws -> GraphWeights {
        func make() throws -> GraphWeights {
            onGraphWeights?(job)
            switch job.weights {
            case .seed(let s, let initialization):
                return try GraphWeights.seeded(UInt64(s), network: network, inputSize: job.size, initialization: initialization)
            case .safetensors(let path, _):
                return try GraphWeights.load(safetensors: path, network: network, inputSize: job.size)
            case .onnx(let path, _):
                return try GraphNetworks.importONNX(path: path, size: job.size).weights
            }
        }
        guard let graphWeightSets else { return try make() }
        let key: GraphWeightsMemo.Key
        if case .onnx = job.weights {
            key = GraphWeightsMemo.Key(source: job.weights, importSize: job.size, names: [], shapes: [])
        } else {
            let tensors = try GraphWeights.expectedShapes(network, inputSize: job.size)
            key = GraphWeightsMemo.Key(source: job.weights, importSize: nil, names: tensors.map { $0.name }, shapes: tensors.map { $0.shape })
        }
        return try graphWeightSets.weights(key, make: make)
    }

    /// The activation ranges of `job` on `images`: `measure` (the float network on the images), or the ranges
    /// this run measured already for the same float network, options and images. Empty for `fixed`.
    func activationRanges(_ job: EvaluationJob, float: CaseNetwork, images: [Tensor], options: EngineOptions,
                          measure: () throws -> [String: Float]) throws -> [String: Float] {
        guard job.calibration != .fixed else { return [:] }
        func counted() throws -> [String: Float] {
            onCalibration?(job)
            return try measure()
        }
        guard let calibrations else { return try counted() }
        var keyOptions = options
        keyOptions.fidelity = false
        keyOptions.activationRanges = [:]
        let key = CalibrationMemo.Key(network: float.canonical, size: job.size, weights: job.weights, options: keyOptions,
                                      method: job.calibration, images: CalibrationMemo.ImagesFingerprint(images))
        return try calibrations.ranges(key, measure: counted)
    }

    /// The engine version; with a debug slow-down it says so (so that no cached case is shared with a normal run,
    /// and run.json shows it).
    public var version: String { debugSlowdown > 1 ? Self.engineVersion + ", TEST-ONLY debug-slowdown \(debugSlowdown)" : Self.engineVersion }

    public var calibrationVersion: String { Self.calibrationFingerprint }

    public func decode(path: String) throws -> RGBImage {
        try ImageFile.load(path: path)
    }

    public func memoryBytes(_ image: RGBImage) -> Int { image.pixels.count }

    public func checkMemory(_ job: EvaluationJob, imageCount: Int) throws {
        let batch = max(1, min(job.batch, imageCount))
        let estimate: MemoryEstimate, what: String
        switch job.network {
        case .block(let spec):
            estimate = MemoryEstimate(cost: try spec.cost(inputSize: job.size), batch: batch, twin: true)
            what = "\(spec.name) with \(spec.blocks.count) blocks at \(job.size)×\(job.size)"
        case .graph(let g):
            estimate = MemoryEstimate(graph: try g.network.cost(inputSize: job.size), batch: batch, twin: true)
            what = "\(g.network.name) (\(g.network.layers.count) layers) at \(job.size)×\(job.size)"
        }
        try estimate.check(limit: nil, what: what,
                           imageBytes: MemoryEstimate.inputTensorBytes(count: imageCount, channels: job.network.inputChannels, size: job.size))
    }

    public func prepare(_ image: RGBImage, size: Int) throws -> Tensor {
        image.resized(to: size).tensor()
    }

    /// The image through the model's preprocessing (Engine/Preprocessing+Image.swift); the seed's default is
    /// `prepare(image, size:)`, as before preprocessing existed.
    public func prepare(_ image: RGBImage, size: Int, preprocessing: Preprocessing) throws -> Tensor {
        if preprocessing == .seedDefault { return try prepare(image, size: size) }
        return try preprocessing.tensor(image, size: size)
    }

    /// The block-form network of `job` for batches of `batch`: with its float twin (`fidelity`: what `evaluate`
    /// measures fidelity against) or the quantized network alone (what `time` times; the same ops, so the same
    /// logits). A graph case has no block-form network (it is built by `evaluate`). `evaluator`: where the
    /// activation ranges of a calibrated job come from (`activationRanges`); nil: measured here.
    static func network(_ job: EvaluationJob, batch: Int, fidelity: Bool, images: [Tensor],
                        evaluator: EngineEvaluator? = nil) throws -> Network {
        guard case .block(let spec) = job.network else {
            throw SweepError("\(job.network.name) is a graph network, not a block-form one")
        }
        let weights: WeightSource
        var initialization = WeightInit.heNormal
        switch job.weights {
        case .seed(let s, let i):
            weights = .seed(UInt64(s))
            initialization = i
        case .safetensors(let path, _): weights = .safetensors(path)
        case .onnx(let path, _): throw SweepError("\(path): an ONNX model's weights do not fit the block-form network \(spec.name)")
        }
        var options = EngineOptions(granularity: job.quantization, threads: job.threads, batchSize: batch, fidelity: fidelity,
                                    initialization: initialization, kernels: job.kernels, calibration: job.calibration)
        // Calibration (not timed): the float network on the case's images sets the activation ranges (deterministic,
        // so every round's network gets the same ranges; measured once per run when the evaluator keeps them).
        let measure = { [options] in
            try Network.calibratedRanges(spec: spec, inputSize: job.size, weights: weights, images: images,
                                         method: job.calibration, options: options)
        }
        options.activationRanges = try evaluator.map {
            try $0.activationRanges(job, float: .block(spec.allFloat), images: images, options: options, measure: measure)
        } ?? measure()
        return try Network(spec: spec, inputSize: job.size, weights: weights, options: options)
    }

    /// Every image through the network and its float twin: logits, top five and fidelity per image, and the
    /// quantized network's time per image of each batch. A block network's batches are not slowed by
    /// `debugSlowdown` (the runner's timing samples come from `time`); a graph network's are, and are timed
    /// over at least `minimumTimedBatches` batches, since `time` returns nil for it and the runner's samples
    /// come from these batches.
    public func evaluate(_ job: EvaluationJob, images: [Tensor]) throws -> Evaluation {
        var initialization = WeightInit.heNormal
        if case .seed(_, let i) = job.weights { initialization = i }
        let batch = max(1, min(job.batch, images.count))
        var options = EngineOptions(granularity: job.quantization, threads: job.threads, batchSize: batch,
                                    initialization: initialization, kernels: job.kernels, calibration: job.calibration)
        let network: any InferenceNetwork
        let kernelUse: KernelUse
        let calibration: ActivationCalibration?
        let timedHere: Bool
        switch job.network {
        case .block:
            let n = try Self.network(job, batch: batch, fidelity: true, images: images, evaluator: self)
            network = n
            timedHere = false
            kernelUse = n.kernelUse
            calibration = n.activationCalibration
        case .graph(let g):
            // The weights (not timed): made once per run when the evaluator keeps them (later rounds evaluate again).
            let weights = try graphWeights(job, network: g.network)
            // Calibration (not timed): the float network on the case's images sets the activation ranges (measured
            // once per run when the evaluator keeps them: later rounds evaluate again).
            options.activationRanges = try activationRanges(job, float: .graph(GraphCase(network: g.network.allFloat, classes: g.classes,
                                                                                        preprocessing: g.preprocessing)),
                                                            images: images, options: options) { [options] in
                try GraphExecutor.calibratedRanges(network: g.network, inputSize: job.size, weights: weights,
                                                   images: images, method: job.calibration, options: options)
            }
            let executor = try GraphExecutor(network: g.network, inputSize: job.size, weights: weights, options: options)
            network = executor
            kernelUse = executor.kernelUse
            calibration = job.calibration == .fixed ? nil : executor.activationCalibration
            timedHere = true
        }
        // One batch's time per image, ms (slowed by `debugSlowdown` when the samples come from here).
        func perImageMs(_ seconds: Double, _ chunk: [Tensor]) throws -> Double {
            guard timedHere else { return seconds * 1000 / Double(chunk.count) }
            let slowed = try slowedDown(seconds) { Self.timedSeconds(try network.run(chunk).timings, threads: job.threads) }
            return slowed * 1000 / Double(chunk.count)
        }
        var results: [ImageResult] = []
        var perImage: [Double] = []
        var start = 0
        while start < images.count {
            let chunk = Array(images[start..<min(start + batch, images.count)])
            let out = try network.run(chunk)
            perImage.append(try perImageMs(Self.timedSeconds(out.timings, threads: job.threads), chunk))
            for o in out.images {
                let f = o.fidelity
                results.append(ImageResult(
                    file: "", top1: o.top5.first ?? 0, top5: o.top5, logits: o.logits.map(Double.init),
                    sqnrDB: f.flatMap { Self.finite($0.sqnrDB) } ?? nil, cosine: f?.cosine ?? 1,
                    top1Agree: f?.top1Agree ?? true, blockSQNR: f?.blockSQNR.map(Self.finite) ?? [],
                    floatTop5: f?.floatTop5,
                    simulatedSQNR: o.simulatedSQNR.map { Self.finite($0) ?? FidelitySummary.exactSQNR }))
            }
            start += chunk.count
        }
        // A graph network's samples come from here: with fewer batches than `minimumTimedBatches` (a small image
        // set), time more passes over the same batches, so that the round's sample (the median over its batches)
        // is not one batch hit by a busy moment.
        var pass = 0
        while timedHere && !images.isEmpty && perImage.count < Self.minimumTimedBatches {
            let lo = (pass * batch) % images.count
            let chunk = Array(images[lo..<min(lo + batch, images.count)])
            perImage.append(try perImageMs(Self.timedSeconds(try network.run(chunk).timings, threads: job.threads), chunk))
            pass += 1
        }
        return Evaluation(images: results, buildMs: network.buildSeconds * 1000, batchMsPerImage: perImage, kernels: kernelUse,
                          calibration: calibration)
    }

    /// A timing round of a block network: the quantized network alone (no float twin, no simulated run:
    /// fidelity comes from `evaluate`), built afresh, one untimed warm-up batch, then batches over the images in
    /// turn — passing over them again as needed — until at least `minimumTimedBatches` batches and
    /// `minimumTimedSeconds` of measured kernel time (at most `maximumTimedBatches`). Returns each batch's time
    /// per image, ms, slowed by `debugSlowdown` (test only). nil for a graph network: its samples come from
    /// `evaluate`'s batches, as before `time` existed.
    public func time(_ job: EvaluationJob, images: [Tensor]) throws -> [Double]? {
        guard case .block = job.network else { return nil }
        return try timedBatches(job, images: images, slowed: true)
    }

    /// The reference workload (`timeReference`): one fixed network, the same in every run — the seed preset with
    /// 4 blocks, 8-bit weights, float activations, per-tensor, He-normal weights from seed 0, at 64×64, on 8
    /// fixed synthetic images in one batch — timed as a case's round is timed (`time`: built afresh, one untimed
    /// warm-up batch, at least `minimumTimedBatches` batches and `minimumTimedSeconds`), never slowed by
    /// `debugSlowdown` (it stands for the machine, not the code under test).
    public static let referenceWorkload = "seed preset, 4 blocks, 8-bit weights, float activations, 64×64, batch of 8 synthetic images"

    static let referenceImages: [Tensor] = (0..<8).map { k in
        let n = 3 * 64 * 64
        return Tensor(shape: [3, 64, 64], data: (0..<n).map { i in Float((i &* 37 &+ k &* 101) % 256) / 255 })
    }

    public func timeReference(threads: Int) throws -> [Double]? {
        let spec = try Preset.seed.network(PresetOptions(blocks: 4, bits: .uniform(.bits(8))))
        let job = EvaluationJob(network: spec, size: 64, quantization: .perTensor, weights: .seed(0, initialization: .heNormal),
                                batch: 8, threads: threads)
        return try timedBatches(job, images: Self.referenceImages, slowed: false)
    }

    /// `time`'s loop: the quantized block network of `job` on `images`, each batch's time per image, ms;
    /// `slowed`: made `debugSlowdown` times as long (test only).
    func timedBatches(_ job: EvaluationJob, images: [Tensor], slowed: Bool) throws -> [Double] {
        guard !images.isEmpty else { return [] }
        let batch = max(1, min(job.batch, images.count))
        let network = try Self.network(job, batch: batch, fidelity: false, images: images, evaluator: self)
        func run(_ chunk: [Tensor]) throws -> Double { Self.timedSeconds(try network.run(chunk).timings, threads: job.threads) }
        _ = try run(Array(images[0..<batch]))   // warm-up: first touches of the buffers, not timed
        var perImage: [Double] = []
        var measured = 0.0
        var lo = 0
        while perImage.count < Self.minimumTimedBatches
                || (measured < Self.minimumTimedSeconds && perImage.count < Self.maximumTimedBatches) {
            let chunk = Array(images[lo..<min(lo + batch, images.count)])
            let seconds = try run(chunk)
            measured += seconds
            let total = slowed ? try slowedDown(seconds) { try run(chunk) } : seconds
            perImage.append(total * 1000 / Double(chunk.count))
            lo += chunk.count
            if lo >= images.count { lo = 0 }
        }
        return perImage
    }

    /// A timing sample is the median over at least this many timed batches (more passes over a small image set).
    public static let minimumTimedBatches = 3
    /// … and (block networks, `time`) over at least this much measured time (small networks run more batches:
    /// a sample of 3 batches of 0.1 ms each is mostly timer and scheduler noise), …
    public static let minimumTimedSeconds = 0.020
    /// … but at most this many batches.
    public static let maximumTimedBatches = 200

    /// The clock a timing sample is read from. With one engine thread, the calling thread's CPU clock: the time
    /// the network really ran, without the time it waited for a CPU on a busy machine (on an idle machine it
    /// equals the wall time). With an OpenMP team the calling thread's CPU clock holds only its own share of
    /// the work, so the wall clock is used: a time per image is always the whole network's latency.
    static func timedSeconds(_ t: RunTimings, threads: Int) -> Double {
        threads == 1 ? t.quantizedCPUSeconds : t.quantizedSeconds
    }

    /// `seconds` of measured work made `debugSlowdown` times as long (test only; 1: as it is): `again` — the
    /// same batch through the same network, returning its measured seconds — runs ⌈F − 1⌉ times, and
    /// (F − 1)/⌈F − 1⌉ of their sum is added.
    func slowedDown(_ seconds: Double, again: () throws -> Double) rethrows -> Double {
        guard debugSlowdown > 1 else { return seconds }
        let extra = debugSlowdown - 1
        let runs = Int(extra.rounded(.up))
        var more = 0.0
        for _ in 0..<runs { more += try again() }
        return seconds + more * extra / Double(runs)
    }

    /// +∞ (exact) → nil; −∞ → −200 dB; NaN → nil is never expected from the engine and is treated as exact.
    static func finite(_ v: Double) -> Double? {
        if v.isNaN || v == .infinity { return nil }
        if v == -.infinity { return -FidelitySummary.exactSQNR }
        return v
    }
}
