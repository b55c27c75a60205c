import BitOpsCore
import CDNNL

/// What the commands that run images need from a built network, whichever form it has: a block-form `Network`
/// or a `GraphExecutor`.
public protocol InferenceNetwork: AnyObject, Sendable {
    /// Seconds spent building (weights, quantization, primitives).
    var buildSeconds: Double { get }
    /// The kernel every layer runs on, in order.
    var layerKernels: [(layer: String, kernel: LayerKernel)] { get }
    /// True when at least one layer runs on int8 kernels.
    var runsInteger: Bool { get }
    /// oneDNN's implementation per layer.
    var implementations: [(layer: String, implementation: String)] { get }
    /// Layers before which oneDNN needed a layout conversion of the activations.
    var layoutConversions: [String] { get }
    /// What building and running needs, as estimated before anything was allocated.
    var estimate: MemoryEstimate { get }
    /// Runs up to the batch size's images (`[channels, size, size]`, CHW).
    func run(_ images: [Tensor]) throws -> BatchOutput
    /// As `run`, timing every layer of the quantized network.
    func runProfiled(_ images: [Tensor]) throws -> BatchOutput
}

extension Network: InferenceNetwork {}
extension GraphExecutor: InferenceNetwork {}

// MARK: The run loop both forms share

/// One lane of a built network — the quantized network, its float twin, or (integer kernels) the simulated run:
/// a list of steps, each one or more oneDNN primitives reading and writing the lane's own buffers.
protocol RunLane: AnyObject {
    /// Steps in execution order.
    var stepCount: Int { get }
    /// Step `k`'s layer name (a layout conversion carries the name of the layer that needed it).
    func stepName(_ k: Int) -> String
    func execute(_ k: Int, stream: dnnl_stream_t) throws
    /// The index of each block's last step, in block order.
    var blockEnds: [Int] { get }
    /// Step `k`'s output as f32 in the float twin's layout (through a probe on integer block ends): per image
    /// `MemoryDesc.perImageFloats(outputMD(k))` floats, batch outermost.
    func blockOutput(_ k: Int, stream: dnnl_stream_t) throws -> UnsafeMutablePointer<Float>
    /// The layout step `k` writes.
    func outputMD(_ k: Int) -> dnnl_memory_desc_t
    /// Step `k`'s output when it is f32 (nil for u8 codes, which are always finite).
    func f32Output(_ k: Int) -> UnsafeMutablePointer<Float>?
    /// The last step's output: the logits, plain, image after image.
    var logits: UnsafeMutablePointer<Float> { get }
}

/// A built network whose batches run through `RunLane`s: `Network` and `GraphExecutor` share `runBatch`
/// (input staging, timing, per-block SQNR against the twin, output assembly) and the search for the layer
/// where non-finite values started (NonFinite.swift).
protocol LaneNetwork: InferenceNetwork {
    var context: DNNLContext { get }
    var options: EngineOptions { get }
    /// The input batch, `options.batchSize` images of `inputChannels × inputSize × inputSize` floats (NCHW).
    var inputBuffer: AlignedBuffer { get }
    var inputChannels: Int { get }
    var inputSize: Int { get }
    /// The quantized network's lane, then the float twin's when it is built.
    var runLanes: [any RunLane] { get }
    /// On integer kernels with fidelity: the simulated run, compared with the quantized lane's logits.
    var simulatedLane: (any RunLane)? { get }
    /// Logits per image.
    var logitCount: Int { get }
    /// Blocks in fidelity's per-block SQNR (all +∞ when no twin is built).
    var blockCount: Int { get }
    /// The buffers holding the placed weights (kept for the network's lifetime).
    var weightBuffers: [AlignedBuffer] { get set }
}

extension LaneNetwork {
    /// Copies plain-layout values into a new weight buffer in the layout `target`, kept in `weightBuffers`.
    func placeWeights(_ values: [Float], plain: dnnl_memory_desc_t, target: dnnl_memory_desc_t) throws -> AlignedBuffer {
        // oneDNN only reads the source of a reorder; no copy of `values` is made.
        let buffer = try values.withUnsafeBytes { raw in
            try context.reorder(UnsafeMutableRawPointer(mutating: raw.baseAddress!), from: plain, to: target)
        }
        weightBuffers.append(buffer)
        return buffer
    }
}

extension LaneNetwork {
    /// Runs up to `options.batchSize` images as one batch (called with the network's lock held). The quantized
    /// lane is timed step by step (`profile`: per layer too); with a twin, block by block the quantized lane then
    /// the twin, so that each block's output can be compared while it is live.
    func runBatch(_ images: [Tensor], profile: Bool) throws -> BatchOutput {
        let n = options.batchSize
        guard !images.isEmpty else { return BatchOutput(images: [], timings: RunTimings()) }
        guard images.count <= n else {
            throw EngineError("\(images.count) images given; this network was built for batches of at most \(n)")
        }
        let c = inputChannels, size = inputSize
        let per = c * size * size
        let t0 = monotonicSeconds()
        for (i, img) in images.enumerated() {
            guard img.shape == [c, size, size] else {
                throw EngineError("image \(i) has shape \(img.shapeDescription); expected \(c)×\(size)×\(size)")
            }
            img.data.withUnsafeBufferPointer { (inputBuffer.floats + i * per).update(from: $0.baseAddress!, count: per) }
        }
        if images.count < n { (inputBuffer.floats + images.count * per).update(repeating: 0, count: (n - images.count) * per) }
        setThreads(options.threads)
        let lanes = runLanes
        let stream = context.stream
        var timings = RunTimings()
        let twin = lanes.count == 2
        var blockSQNR = [[Double]](repeating: [], count: images.count)
        var overhead = monotonicSeconds() - t0
        var next = [0, 0]   // the next step of each lane

        /// Runs lane `l`'s steps up to and including `last`, timing them.
        func advance(_ l: Int, through last: Int) throws {
            let lane = lanes[l]
            while next[l] <= last {
                let k = next[l]
                let a = monotonicSeconds()
                let ca = l == 0 ? threadCPUSeconds() : 0
                try lane.execute(k, stream: stream)
                let b = monotonicSeconds()
                if l == 0 {
                    timings.quantizedCPUSeconds += threadCPUSeconds() - ca
                    timings.quantizedSeconds += b - a
                    if profile { timings.layerSeconds[lane.stepName(k), default: 0] += b - a }
                } else {
                    timings.floatSeconds += b - a
                }
                next[l] += 1
            }
        }

        if twin {
            for (kq, kt) in zip(lanes[0].blockEnds, lanes[1].blockEnds) {
                try advance(0, through: kq)
                try advance(1, through: kt)
                let t = monotonicSeconds()
                guard let stride = MemoryDesc.perImageFloats(lanes[1].outputMD(kt), batch: n) else {
                    throw EngineError("internal: block output layout is not batch-outermost")
                }
                let q = try lanes[0].blockOutput(kq, stream: stream)
                let f = try lanes[1].blockOutput(kt, stream: stream)
                for i in 0..<images.count {
                    blockSQNR[i].append(Metrics.sqnr(reference: UnsafeBufferPointer(start: f + i * stride, count: stride),
                                                     test: UnsafeBufferPointer(start: q + i * stride, count: stride)))
                }
                overhead += monotonicSeconds() - t
            }
        }
        for l in lanes.indices { try advance(l, through: lanes[l].stepCount - 1) }
        let simulated = simulatedLane
        if let simulated {
            let t = monotonicSeconds()
            for k in 0..<simulated.stepCount { try simulated.execute(k, stream: stream) }
            overhead += monotonicSeconds() - t
        }
        let t1 = monotonicSeconds()
        let k = logitCount
        let lastQ = lanes[0].logits
        let lastF = twin ? lanes[1].logits : lastQ
        let lastS = simulated?.logits
        // Non-finite logits are an error that names the layer where they started (see NonFinite.swift).
        if !allFinite(lastQ, images.count * k) || !allFinite(lastF, images.count * k) {
            throw nonFiniteError(imageCount: images.count)
        }
        var outputs: [ImageOutput] = []
        for i in 0..<images.count {
            let q = Array(UnsafeBufferPointer(start: lastQ + i * k, count: k))
            var fidelity: Fidelity? = nil
            if options.fidelity {
                let f = Array(UnsafeBufferPointer(start: lastF + i * k, count: k))
                let blocks = twin ? blockSQNR[i] : [Double](repeating: .infinity, count: blockCount)
                fidelity = Fidelity(quantized: q, float: f, blockSQNR: blocks)
            }
            let simulatedSQNR = lastS.map { s in
                Metrics.sqnr(reference: UnsafeBufferPointer(start: s + i * k, count: k),
                             test: UnsafeBufferPointer(start: lastQ + i * k, count: k))
            }
            outputs.append(ImageOutput(logits: q, top5: fidelity?.top5 ?? Metrics.topK(q, 5), fidelity: fidelity, simulatedSQNR: simulatedSQNR))
        }
        timings.overheadSeconds = overhead + monotonicSeconds() - t1
        return BatchOutput(images: outputs, timings: timings)
    }
}
