#if canImport(Glibc)
import Glibc
#endif
import BitOpsCore
import CDNNL
import StableIO

/// Where a network's weights come from.
public enum WeightSource: Hashable, Sendable, CustomStringConvertible {
    /// Deterministic initialisation, He-normal by default (see `NetworkWeights.seeded`, `EngineOptions.initialization`).
    case seed(UInt64)
    /// A safetensors file with the demo's `state_dict` names (see `NetworkWeights`).
    case safetensors(String)

    public var description: String {
        switch self {
        case .seed(let s): return "seed \(s)"
        case .safetensors(let p): return p
        }
    }
}

/// How a network is built and run.
public struct EngineOptions: Hashable, Sendable {
    /// More OpenMP threads than this are refused (libgomp crashed on very large counts).
    public static let maxThreads = 1024
    /// Weight quantization granularity (default per tensor, as the demo).
    public var granularity: QuantGranularity
    /// OpenMP threads for every primitive (set on the calling thread at build and at each run).
    public var threads: Int
    /// Images per batch: primitives are created for this batch size; a run with fewer images is padded
    /// with zero images (their outputs are discarded).
    public var batchSize: Int
    /// Build the float twin and measure fidelity (default). Without it `run` returns logits only.
    public var fidelity: Bool
    /// Refuse configurations whose estimate exceeds this many bytes; nil = 85% of MemAvailable.
    public var memoryLimit: Int?
    /// The rule for `WeightSource.seed` weights (default He-normal).
    public var initialization: WeightInit
    /// Layers with more plain weight bytes than this are placed in chunks of about a quarter of it
    /// (internal: tests lower it to exercise chunking on small layers).
    var weightChunkThreshold = 32 << 20
    /// Pointwise layers whose output map has at most this many positions run on plain nhwc activations: in a
    /// block network as a matmul over batch × positions (the weights streamed once per batch; see
    /// `convolutionOp`), in a graph network as an nhwc 1×1 convolution; 0 = always oneDNN's convolution on the
    /// layouts it chooses.
    var plainLayoutMaxPositions = 16
    /// Graph networks: a residual add runs as a post-op of the convolution that produces one of its inputs, where
    /// that keeps the arithmetic (GraphBuilder.swift, `residualCandidate`). Off for calibration, which measures
    /// the convolution's output and the sum apart (internal: tests compare fused with separate adds).
    var fuseResidualAdds = true
    /// Float kernels with simulated quantization (the default here), or oneDNN's int8 kernels where the
    /// configuration allows (see IntegerNetwork.swift).
    public var kernels: Kernels
    /// How the activation ranges were chosen (recorded in `activationCalibration`; `fixed` by default).
    public var calibration: Calibration
    /// The range R of each quantized activation by layer name (`stem`, `block0.depthwise`, …): its grid is
    /// `k · R/L` on [0, R]. A layer not named here uses the fixed range 6 (so the default, empty, is the seed's
    /// rule bit for bit). Measured by `Network.calibratedRanges` (Calibration.swift).
    public var activationRanges: [String: Float]

    public init(granularity: QuantGranularity = .perTensor, threads: Int = 1, batchSize: Int = 1,
                fidelity: Bool = true, memoryLimit: Int? = nil, initialization: WeightInit = .heNormal,
                kernels: Kernels = .float, calibration: Calibration = .fixed, activationRanges: [String: Float] = [:]) {
        self.calibration = calibration
        self.activationRanges = activationRanges
        self.kernels = kernels
        self.initialization = initialization
        self.granularity = granularity
        self.threads = threads
        self.batchSize = batchSize
        self.fidelity = fidelity
        self.memoryLimit = memoryLimit
    }
}

/// Per-image results of one run.
public struct ImageOutput: Hashable, Sendable, Codable {
    /// The quantized network's logits.
    public var logits: [Float]
    /// Indices of the five largest logits, largest first (ties: lower index first); fewer with < 5 classes.
    public var top5: [Int]
    /// Against the float twin (nil when the network was built without `fidelity`).
    public var fidelity: Fidelity?
    /// On integer kernels with `fidelity`: the SQNR (dB) of these logits against the simulated run (float
    /// kernels, fake-quantized) of the same configuration — a check of the integer path itself.
    public var simulatedSQNR: Double?

    public init(logits: [Float], top5: [Int], fidelity: Fidelity?, simulatedSQNR: Double? = nil) {
        self.logits = logits
        self.top5 = top5
        self.fidelity = fidelity
        self.simulatedSQNR = simulatedSQNR
    }

    enum CodingKeys: String, CodingKey {
        case logits, top5, fidelity, simulatedSQNR = "simulated_sqnr_db"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(logits, forKey: .logits)
        try c.encode(top5, forKey: .top5)
        try c.encodeIfPresent(fidelity, forKey: .fidelity)
        try c.encodeIfPresent(simulatedSQNR.map(JSONDouble.init), forKey: .simulatedSQNR)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        logits = try c.decode([Float].self, forKey: .logits)
        top5 = try c.decode([Int].self, forKey: .top5)
        fidelity = try c.decodeIfPresent(Fidelity.self, forKey: .fidelity)
        simulatedSQNR = try c.decodeIfPresent(JSONDouble.self, forKey: .simulatedSQNR)?.value
    }
}

/// Wall-clock times of one run, in seconds.
public struct RunTimings: Hashable, Sendable, Codable {
    /// The quantized network's primitives (the figure `bench` reports).
    public var quantizedSeconds: Double = 0
    /// The quantized network's primitives on the calling thread's CPU clock (CLOCK_THREAD_CPUTIME_ID): the
    /// time that thread really ran, without the time it waited for a CPU on a busy machine. With one engine
    /// thread it is the wall time on an idle machine; with an OpenMP team it is the calling thread's share.
    public var quantizedCPUSeconds: Double = 0
    /// The float twin's primitives.
    public var floatSeconds: Double = 0
    /// Copying the images in and computing the fidelity figures.
    public var overheadSeconds: Double = 0
    /// The quantized network's time per layer name (`stem`, `block0.depthwise`, …, `pool`, `classifier`);
    /// layout conversions oneDNN needed between layers are counted in the layer that needed them.
    public var layerSeconds: [String: Double] = [:]

    public init() {}

    enum CodingKeys: String, CodingKey {
        case quantizedSeconds = "quantized_seconds", quantizedCPUSeconds = "quantized_cpu_seconds", floatSeconds = "float_seconds"
        case overheadSeconds = "overhead_seconds", layerSeconds = "layer_seconds"
    }
}

public struct BatchOutput: Sendable {
    public var images: [ImageOutput]
    public var timings: RunTimings
}

/// A quantized network and its float twin, built once for one configuration (network spec, input size,
/// weights, granularity, threads, batch size) and run on as many batches as wanted.
///
/// Build: weights are loaded or generated, quantized once, BatchNorm folded, reordered into the layouts the
/// oneDNN primitives chose, and every primitive is created once. Run: each layer of the quantized network
/// then of the twin, interleaved, so that each block's output can be compared while it is live; memory is
/// the weights plus four activation buffers (two per network) of the largest activation.
///
/// Not for concurrent use: `run` takes a lock. Build several networks to run in parallel.
public final class Network: @unchecked Sendable {
    public let spec: NetworkSpec
    public let inputSize: Int
    public let options: EngineOptions
    public let cost: CostReport
    public let estimate: MemoryEstimate
    /// True when the twin would compute exactly the same thing (all weights and activations float): it is
    /// then not built, and the fidelity figures are the trivial ones (SQNR +∞, cosine 1, agreement).
    public let twinIsIdentical: Bool
    /// oneDNN's implementation per layer, e.g. `block3.pointwise: brgconv_1x1:avx512_core`.
    public internal(set) var implementations: [(layer: String, implementation: String)] = []
    /// Layers before which oneDNN needed a layout conversion of the activations (a reorder step).
    /// (On integer kernels these include the conversions to u8 codes at float → int8 boundaries.)
    public var layoutConversions: [String] { (lanes.first?.ops ?? ops).filter(\.isReorder).map(\.name) }
    /// Seconds spent building (weights, quantization, primitives).
    public private(set) var buildSeconds: Double = 0
    /// The kernel every layer of the quantized network runs on, in order (`stem`, …, `pool`, `classifier`).
    public private(set) var layerKernels: [(layer: String, kernel: LayerKernel)] = []
    /// True when at least one layer runs on int8 kernels.
    public var runsInteger: Bool { layerKernels.contains { $0.kernel == .int8 } }
    /// Which kernels ran, layer by layer, with the choice made (what `infer`, `bench` and a sweep record).
    public var kernelUse: KernelUse {
        let int8 = Set(layerKernels.filter { $0.kernel == .int8 }.map(\.layer))
        return KernelUse(requested: options.kernels, layers: layerKernels.map { KernelUse.Layer(layer: $0.layer, kernel: $0.kernel) },
                         narrowWeights: cost.layers.contains { int8.contains($0.name) && $0.weightBits < 8 })
    }

    let context: DNNLContext
    var ops: [Op] = []
    /// The quantized network (its own ops on integer kernels), then the float twin when built.
    var lanes: [Lane] = []
    /// On integer kernels with fidelity: the simulated run (float kernels, fake quantization) of the same
    /// configuration, compared with the integer run's logits.
    var simulated: Lane?
    var inputBuffer: AlignedBuffer
    let inputMD: dnnl_memory_desc_t
    var scratch: AlignedBuffer
    var weightBuffers: [AlignedBuffer] = []
    /// Layers whose weights were placed a chunk of output channels at a time (see `chunkRows`).
    var chunkedLayers: [String] = []
    let lock = Mutex()

    /// Builds from a weight source; the memory estimate is checked before anything large is allocated.
    public convenience init(spec: NetworkSpec, inputSize: Int, weights: WeightSource,
                            options: EngineOptions = EngineOptions()) throws {
        let cost = try spec.cost(inputSize: inputSize)
        let estimate = MemoryEstimate(cost: cost, batch: options.batchSize, twin: options.fidelity)
        try estimate.check(limit: options.memoryLimit, what: Network.describe(spec, inputSize))
        let provider: WeightProvider
        switch weights {
        case .seed(let s): provider = SeededWeights(seed: s, spec: spec, initialization: options.initialization)
        case .safetensors(let path): provider = try FileWeights(path: path, spec: spec)
        }
        try self.init(spec: spec, inputSize: inputSize, provider: provider, cost: cost, estimate: estimate, options: options)
    }

    /// Builds from weights already in memory.
    public convenience init(spec: NetworkSpec, inputSize: Int, weights: NetworkWeights,
                            options: EngineOptions = EngineOptions()) throws {
        let cost = try spec.cost(inputSize: inputSize)
        let estimate = MemoryEstimate(cost: cost, batch: options.batchSize, twin: options.fidelity)
        try estimate.check(limit: options.memoryLimit, what: Network.describe(spec, inputSize))
        try weights.validate(for: spec)
        try self.init(spec: spec, inputSize: inputSize, provider: weights, cost: cost, estimate: estimate, options: options)
    }

    static func describe(_ spec: NetworkSpec, _ size: Int) -> String {
        "\(spec.name) with \(spec.blocks.count) blocks at \(size)×\(size)"
    }

    init(spec: NetworkSpec, inputSize: Int, provider: WeightProvider, cost: CostReport, estimate: MemoryEstimate,
         options: EngineOptions) throws {
        guard (1...EngineOptions.maxThreads).contains(options.threads) else {
            throw EngineError("threads \(options.threads) is out of range: expected 1–\(EngineOptions.maxThreads)")
        }
        guard options.batchSize >= 1 else { throw EngineError("batch size \(options.batchSize) must be at least 1") }
        let start = monotonicSeconds()
        self.spec = spec
        self.inputSize = inputSize
        self.options = options
        self.cost = cost
        self.estimate = estimate
        let allFloat = cost.layers.allSatisfy { $0.weightBits == BitWidth.float && ($0.kind == .linear || $0.outputBits == BitWidth.float) }
        twinIsIdentical = allFloat
        setThreads(options.threads)
        context = try DNNLContext()
        let n = options.batchSize
        inputMD = try MemoryDesc.make([n, spec.inputChannels, inputSize, inputSize], tag: dnnl_nchw)
        inputBuffer = try AlignedBuffer(bytes: MemoryDesc.bytes(inputMD))
        scratch = try AlignedBuffer(bytes: 64)
        try buildOps(provider: provider)
        let twin = options.fidelity && !twinIsIdentical
        layerKernels = cost.layers.filter { $0.kind != .linear }.map { ($0.name, LayerKernel.float) } + [("pool", .float), ("classifier", .float)]
        var quantizedOps = ops
        if options.kernels != .float, let integer = try buildIntegerOps(provider: provider, twinProbes: twin) {
            quantizedOps = integer.ops
            layerKernels = integer.kernels
            let need = integer.ops.map { MemoryDesc.bytes($0.scratchMD) }.max() ?? 0
            if need > scratch.bytes { scratch = try AlignedBuffer(bytes: need) }
        }
        lanes = [try Lane(ops: quantizedOps, input: inputBuffer, inputMD: inputMD, context: context, scratch: scratch, twin: false)]
        if twin {
            lanes.append(try Lane(ops: ops, input: inputBuffer, inputMD: inputMD, context: context, scratch: scratch, twin: true))
        }
        if runsInteger && options.fidelity {
            simulated = try Lane(ops: ops, input: inputBuffer, inputMD: inputMD, context: context, scratch: scratch, twin: false)
        }
        buildSeconds = monotonicSeconds() - start
    }

    // MARK: Building

    /// The float op list (quantization simulated in the weights and the activation post-ops), and the float
    /// twin's primitives beside it: each convolution in turn, then global average pooling and the classifier.
    func buildOps(provider: WeightProvider) throws {
        var state = BuildState(current: inputMD)
        for layer in cost.layers where layer.kind != .linear {
            appendOp(try convolutionOp(layer, provider: provider, state: &state), state: &state)
        }
        ops.append(try poolOp(state: &state))
        appendOp(try classifierOp(provider: provider, state: &state), state: &state)
        scratch = try AlignedBuffer(bytes: state.scratchBytes)
    }

    /// What `buildOps` carries from one op to the next.
    struct BuildState {
        /// The running activation's layout.
        var current: dnnl_memory_desc_t
        /// Reorders that bring the running activation into the next op's layout (run before it).
        var pendingReorders: [Op] = []
        /// The largest scratchpad any primitive needs (one buffer serves them all).
        var scratchBytes = 0

        mutating func needScratch(_ pd: DNNLPrimitiveDesc) {
            scratchBytes = max(scratchBytes, MemoryDesc.bytes(pd.md(dnnl_query_scratchpad_md)))
        }
    }

    /// Whether the float twin is built beside the quantized network.
    var buildsTwin: Bool { options.fidelity && !twinIsIdentical }

    /// Appends `op` after the reorders pending before it; the running activation is then its output.
    func appendOp(_ op: Op, state: inout BuildState) {
        ops += state.pendingReorders
        state.pendingReorders = []
        ops.append(op)
        state.current = op.dstMD
    }

    /// A primitive attribute with a user scratchpad and, for a convolution, the ReLU6 (and activation
    /// quantization) post-ops. The caller destroys it.
    func primitiveAttr(actBits: BitWidth?, range: Float = Quantizer.fixedActivationRange) throws -> dnnl_primitive_attr_t {
        var a: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&a), "attribute")
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "scratchpad mode")
        if let actBits {
            var po: dnnl_post_ops_t?
            try dnnlCheck(dnnl_post_ops_create(&po), "post-ops")
            defer { dnnl_post_ops_destroy(po) }
            // ReLU6, then for quantized activations: up·clip(x, 0, R) → down·round(·) (R = 6 unless calibrated).
            // The factors ride on the post-ops' own `scale` argument (two eltwise_linear post-ops in one chain
            // were miscomputed by oneDNN 2.6's AVX2 kernels: the second reused the first's alpha).
            let f = Quantizer.activationFactors(bits: actBits, range: range)
            try dnnlCheck(dnnl_post_ops_append_eltwise(po, f?.up ?? 1, dnnl_eltwise_clip, 0, f == nil ? 6 : range), "ReLU6 post-op")
            if let f {
                try dnnlCheck(dnnl_post_ops_append_eltwise(po, f.down, dnnl_eltwise_round, 0, 0), "activation round post-op")
            }
            try dnnlCheck(dnnl_primitive_attr_set_post_ops(a, po), "set post-ops")
        }
        return a!
    }

    /// The primitive descriptor of the op descriptor `desc` (a oneDNN `dnnl_*_desc_t`) for layer `name`, with
    /// `primitiveAttr(actBits:)`.
    func primitiveDesc<Descriptor>(_ desc: inout Descriptor, actBits: BitWidth?, range: Float = Quantizer.fixedActivationRange,
                                   name: String) throws -> DNNLPrimitiveDesc {
        let a = try primitiveAttr(actBits: actBits, range: range)
        defer { dnnl_primitive_attr_destroy(a) }
        return try withUnsafePointer(to: &desc) {
            try DNNLPrimitiveDesc(UnsafeRawPointer($0), attr: a, engine: context.engine, what: "\(name) primitive descriptor")
        }
    }

    /// Brings the running activation into `md` with a reorder op when the layouts differ.
    func conform(to md: dnnl_memory_desc_t, layer: String, state: inout BuildState) throws {
        guard !MemoryDesc.equal(state.current, md) else { return }
        let a = try primitiveAttr(actBits: nil)
        defer { dnnl_primitive_attr_destroy(a) }
        let pd = try DNNLPrimitiveDesc(reorderFrom: state.current, to: md, engine: context.engine, attr: a)
        state.needScratch(pd)
        let prim = try DNNLPrimitive(pd.handle)
        let op = Op(name: layer, srcMD: state.current, dstMD: md, scratchMD: pd.md(dnnl_query_scratchpad_md),
                    quantized: prim, float: prim)
        op.isReorder = true
        state.pendingReorders.append(op)
        state.current = md
    }

    /// A convolution (stem, depthwise or pointwise) with BatchNorm folded in and ReLU6 after it: its
    /// primitives (quantized, and the float twin's when the activations differ) and its weights.
    ///
    /// A pointwise layer whose output map has at most `plainLayoutMaxPositions` positions runs as a oneDNN
    /// matmul on plain nhwc activations: the map of the whole batch is then one `(batch·positions) × in` matrix,
    /// and the weights (`in × out`, reordered once here into the matmul's layout) are streamed once per batch.
    /// oneDNN's 1×1 convolution streamed them about once per image on these shapes (block 9 of seed-10 at 32,
    /// batch 8: 512 MiB of weights, 300 ms against the matmul's 60 ms in a C++ probe). The matmul sums the input
    /// channels in runs of 512 and adds the runs' sums; the convolution summed them in one run (both checked
    /// against in-order sums in that probe) — the same numbers up to 512 input channels, differences of a few
    /// ulps above. Both are bit-identical across batch sizes, batch positions and thread counts.
    func convolutionOp(_ layer: LayerCost, provider: WeightProvider, state: inout BuildState) throws -> Op {
        let n = options.batchSize
        let oc = layer.outputShape.channels, ic = layer.inputShape.channels, k = layer.kernel
        let h = layer.outputShape.height, w = layer.outputShape.width
        let matrix = layer.kind == .pointwise && layer.groups == 1 && layer.stride == 1 && layer.padding == 0
            && h * w <= options.plainLayoutMaxPositions
        let srcAny = try MemoryDesc.make([n, ic, layer.inputShape.height, layer.inputShape.width],
                                         tag: matrix ? dnnl_nhwc : dnnl_format_tag_any)
        let dstAny = try MemoryDesc.make([n, oc, h, w], tag: matrix ? dnnl_nhwc : dnnl_format_tag_any)
        // The matmul's operands: activations as (batch·positions) × channels, weights in × out, bias 1 × out.
        let srcMatrix = try MemoryDesc.make([n * h * w, ic], tag: dnnl_ab)
        let dstMatrix = try MemoryDesc.make([n * h * w, oc], tag: dnnl_ab)
        let wDims = matrix ? [ic, oc] : layer.groups > 1 ? [layer.groups, 1, 1, k, k] : [oc, ic, k, k]
        let wAny = try MemoryDesc.make(wDims, tag: dnnl_format_tag_any)
        let wPlain = try MemoryDesc.make(wDims, tag: matrix ? dnnl_ba : layer.groups > 1 ? dnnl_goihw : dnnl_oihw)
        var biasMD = matrix ? try MemoryDesc.make([1, oc], tag: dnnl_ab) : try MemoryDesc.make([oc], tag: dnnl_x)
        let strides: [Int64] = [Int64(layer.stride), Int64(layer.stride)]
        let pad: [Int64] = [Int64(layer.padding), Int64(layer.padding)]

        func makePD(weights: dnnl_memory_desc_t, actBits: BitWidth?, src: dnnl_memory_desc_t? = nil,
                           dst: dnnl_memory_desc_t? = nil) throws -> DNNLPrimitiveDesc {
            var w = weights
            let range = activationRange(layer.name)
            if matrix {
                var s = srcMatrix, d = dstMatrix
                var desc = dnnl_matmul_desc_t()
                try dnnlCheck(dnnl_matmul_desc_init(&desc, &s, &w, &biasMD, &d), "\(layer.name) descriptor")
                return try primitiveDesc(&desc, actBits: actBits, range: range, name: layer.name)
            }
            var s = src ?? srcAny, d = dst ?? dstAny
            var desc = dnnl_convolution_desc_t()
            try dnnlCheck(dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                                             &s, &w, &biasMD, &d, strides, pad, pad), "\(layer.name) descriptor")
            return try primitiveDesc(&desc, actBits: actBits, range: range, name: layer.name)
        }

        let qpd = try makePD(weights: wAny, actBits: layer.outputBits)
        let srcMD = matrix ? srcAny : qpd.md(dnnl_query_src_md), dstMD = matrix ? dstAny : qpd.md(dnnl_query_dst_md)
        let wMD = qpd.md(dnnl_query_weights_md)
        if matrix, !MemoryDesc.equal(qpd.md(dnnl_query_src_md), srcMatrix) || !MemoryDesc.equal(qpd.md(dnnl_query_dst_md), dstMatrix) {
            throw EngineError("internal: the \(layer.name) matmul wants other activation layouts")
        }
        implementations.append((layer.name, qpd.implementation))
        try conform(to: srcMD, layer: layer.name, state: &state)
        let qprim = try DNNLPrimitive(qpd.handle)
        var fprim = qprim
        state.needScratch(qpd)
        if buildsTwin && layer.outputBits != BitWidth.float {
            let fpd = try makePD(weights: wMD, actBits: BitWidth.float, src: srcMD, dst: dstMD)
            state.needScratch(fpd)
            fprim = try DNNLPrimitive(fpd.handle)
        }

        let weights = try convolutionWeights(layer, provider: provider, plain: wPlain, target: wMD, matrix: matrix)
        let bias = try placeWeights(weights.bias, plain: biasMD, target: biasMD)
        let op = Op(name: layer.name, srcMD: srcMD, dstMD: dstMD, scratchMD: qpd.md(dnnl_query_scratchpad_md),
                    quantized: qprim, float: fprim)
        if matrix { op.view = (src: srcMatrix, dst: dstMatrix) }
        op.weightsQ = try DNNLMemory(wMD, engine: context.engine, pointer: weights.quantized.pointer)
        op.weightsF = try weights.float.map { try DNNLMemory(wMD, engine: context.engine, pointer: $0.pointer) } ?? op.weightsQ
        op.bias = try DNNLMemory(biasMD, engine: context.engine, pointer: bias.pointer)
        if layer.kind == .pointwise { op.blockEnd = layer.block }
        return op
    }

    /// A convolution's weights, quantized (once) with BatchNorm folded in and placed in the primitive's
    /// layout `target`; the float twin's copy, made first, when it differs; and the folded bias. Big layers
    /// are placed a chunk of output channels at a time (into sub-blocks of the target layout), so the build
    /// needs only a chunk of plain weights on top of the network's own; small ones in one piece. `matrix`: the
    /// target is a matmul's `in × out` weights (output channels on its second dimension).
    func convolutionWeights(_ layer: LayerCost, provider: WeightProvider, plain wPlain: dnnl_memory_desc_t,
                            target wMD: dnnl_memory_desc_t, matrix: Bool = false) throws -> (quantized: AlignedBuffer, float: AlignedBuffer?, bias: [Float]) {
        let names = Network.tensorNames(layer)
        let oc = layer.outputShape.channels, ic = layer.inputShape.channels, k = layer.kernel
        let wShape = layer.groups > 1 ? [oc, 1, k, k] : [oc, ic, k, k]
        let t = try ["weight", "bias", "running_mean", "running_var"].map { try provider.tensor("\(names.bn).\($0)", shape: [oc]).data }
        let bn = WeightPreparation.BatchNorm(gamma: t[0], beta: t[1], mean: t[2], variance: t[3])
        let rowsPerChunk = layer.groups == 1 ? chunkRows(shape: wShape, target: wMD, matrix: matrix) : oc
        if rowsPerChunk < oc { chunkedLayers.append(layer.name) }
        let perTensor = options.granularity == .perTensor && layer.weightBits != BitWidth.float
        var statistics: Quantizer.SliceStatistics? = nil
        var fw: AlignedBuffer?
        if buildsTwin && layer.weightBits != BitWidth.float {
            var stats = Quantizer.SliceStatistics()
            fw = try placeRows(provider, names.weight, shape: wShape, plain: wPlain, target: wMD, rowsPerChunk: rowsPerChunk, matrix: matrix) { v, r in
                if perTensor { stats.add(v, 0..<v.count) }
                WeightPreparation.floatRows(&v, rows: r, batchNorm: bn)
            }
            statistics = stats
        }
        if perTensor && statistics == nil && rowsPerChunk < oc {
            var stats = Quantizer.SliceStatistics()
            for r0 in stride(from: 0, to: oc, by: rowsPerChunk) {
                let v = try provider.values(names.weight, shape: wShape, rows: r0..<min(oc, r0 + rowsPerChunk))
                stats.add(v, 0..<v.count)
            }
            statistics = stats
        }
        let qw = try placeRows(provider, names.weight, shape: wShape, plain: wPlain, target: wMD, rowsPerChunk: rowsPerChunk, matrix: matrix) { v, r in
            WeightPreparation.quantizedRows(&v, rows: r, bits: layer.weightBits, granularity: options.granularity,
                                            statistics: statistics, batchNorm: bn)
        }
        return (qw, fw, WeightPreparation.foldedBias(bn))
    }

    /// Global average pooling over the whole map of the last convolution.
    func poolOp(state: inout BuildState) throws -> Op {
        let last = cost.layers[cost.layers.count - 2]
        let c = last.outputShape.channels, h = last.outputShape.height, w = last.outputShape.width
        let input = state.current
        var src = input
        var dst = try MemoryDesc.make([options.batchSize, c, 1, 1], tag: dnnl_format_tag_any)
        var desc = dnnl_pooling_v2_desc_t()
        let kernel: [Int64] = [Int64(h), Int64(w)], one: [Int64] = [1, 1], zero: [Int64] = [0, 0]
        try dnnlCheck(dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_inference, dnnl_pooling_avg_exclude_padding,
                                                        &src, &dst, one, kernel, zero, zero, zero), "pool descriptor")
        let pd = try primitiveDesc(&desc, actBits: nil, name: "pool")
        implementations.append(("pool", pd.implementation))
        state.needScratch(pd)
        let prim = try DNNLPrimitive(pd.handle)
        let dstMD = pd.md(dnnl_query_dst_md)
        state.current = dstMD
        return Op(name: "pool", srcMD: input, dstMD: dstMD, scratchMD: pd.md(dnnl_query_scratchpad_md),
                  quantized: prim, float: prim)
    }

    /// The classifier on the pooled features: image by image (a batch-1 inner product
    /// on each image's pooled features), because oneDNN's GEMM rounds differently for different batch sizes
    /// and results must not depend on how images are batched.
    func classifierOp(provider: WeightProvider, state: inout BuildState) throws -> Op {
        let n = options.batchSize
        let c = cost.layers[cost.layers.count - 2].outputShape.channels
        let classes = spec.classes
        let raw = try provider.tensor("classifier.weight", shape: [classes, c])
        let rawBias = try provider.tensor("classifier.bias", shape: [classes])
        let pooled = try MemoryDesc.make([n, c, 1, 1], tag: dnnl_nchw)
        try conform(to: pooled, layer: "classifier", state: &state)
        var src = try MemoryDesc.make([1, c, 1, 1], tag: dnnl_nchw)
        var wAny = try MemoryDesc.make([classes, c, 1, 1], tag: dnnl_format_tag_any)
        let wPlain = try MemoryDesc.make([classes, c, 1, 1], tag: dnnl_oihw)
        var biasMD = try MemoryDesc.make([classes], tag: dnnl_x)
        var dst = try MemoryDesc.make([1, classes], tag: dnnl_nc)
        var desc = dnnl_inner_product_desc_t()
        try dnnlCheck(dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &src, &wAny, &biasMD, &dst),
                      "classifier descriptor")
        let pd = try primitiveDesc(&desc, actBits: nil, name: "classifier")
        implementations.append(("classifier", pd.implementation))
        state.needScratch(pd)
        let wMD = pd.md(dnnl_query_weights_md)
        guard MemoryDesc.equal(pd.md(dnnl_query_src_md), src) else {
            throw EngineError("internal: the classifier primitive wants another input layout")
        }
        let prim = try DNNLPrimitive(pd.handle)
        let q = Quantizer.quantizeWeights(raw.data, bits: spec.classifierBits, channels: classes, granularity: options.granularity)
        let qw = try placeWeights(q, plain: wPlain, target: wMD)
        let fw = buildsTwin && spec.classifierBits != BitWidth.float ? try placeWeights(raw.data, plain: wPlain, target: wMD) : qw
        let bias = try placeWeights(rawBias.data, plain: biasMD, target: biasMD)
        let op = Op(name: "classifier", srcMD: pooled, dstMD: try MemoryDesc.make([n, classes], tag: dnnl_nc),
                    scratchMD: pd.md(dnnl_query_scratchpad_md), quantized: prim, float: prim)
        op.perImage = (src: src, dst: dst, count: n)
        op.weightsQ = try DNNLMemory(wMD, engine: context.engine, pointer: qw.pointer)
        op.weightsF = fw === qw ? op.weightsQ : try DNNLMemory(wMD, engine: context.engine, pointer: fw.pointer)
        op.bias = try DNNLMemory(biasMD, engine: context.engine, pointer: bias.pointer)
        return op
    }

    /// Output channels per chunk when placing a layer's weights: everything below 32 MB in one piece; above,
    /// about 8 MB per chunk, a multiple of the target layout's block on the output-channel dimension (the first
    /// of a convolution's weights, the second of a matmul's: `matrix`).
    func chunkRows(shape: [Int], target: dnnl_memory_desc_t, matrix: Bool = false) -> Int {
        let rows = shape[0]
        let perRow = shape.dropFirst().reduce(1, *)
        let threshold = options.weightChunkThreshold
        guard rows * perRow * 4 > threshold, let block = MemoryDesc.blockSize(target, dimension: matrix ? 1 : 0),
              rows % block == 0 else { return rows }
        let want = max(1, threshold / 4 / (perRow * 4))
        return max(block, want / block * block)
    }

    /// Places rows (output channels) of a weight tensor into a new buffer laid out as `target`, applying
    /// `transform` to each chunk of plain values first. `shape` is the plain (oihw) shape; `matrix`: the target
    /// is a matmul's `in × out` weights, whose chunks are column ranges.
    func placeRows(_ provider: WeightProvider, _ name: String, shape: [Int], plain: dnnl_memory_desc_t,
                   target: dnnl_memory_desc_t, rowsPerChunk: Int, matrix: Bool = false,
                   transform: (inout [Float], Range<Int>) throws -> Void) throws -> AlignedBuffer {
        let rows = shape[0]
        if rowsPerChunk >= rows {
            var v = try provider.values(name, shape: shape, rows: 0..<rows)
            try transform(&v, 0..<rows)
            return try placeWeights(v, plain: plain, target: target)
        }
        let out = try AlignedBuffer(bytes: MemoryDesc.bytes(target))
        weightBuffers.append(out)
        for r0 in stride(from: 0, to: rows, by: rowsPerChunk) {
            let r = r0..<min(rows, r0 + rowsPerChunk)
            var v = try provider.values(name, shape: shape, rows: r)
            try transform(&v, r)
            // The chunk's rows are r.count × (in · k · k) plain values: oihw, or for a matmul in × r.count as `ba`.
            let dims = matrix ? [shape[1], r.count] : [r.count] + shape.dropFirst()
            let chunk = try MemoryDesc.make(dims, tag: matrix ? dnnl_ba : dnnl_oihw)
            var parent = target
            var sub = dnnl_memory_desc_t()
            let d = dims.map { Int64($0) }
            let offsets: [Int64] = matrix ? [0, Int64(r0)] : [Int64(r0)] + Array(repeating: 0, count: dims.count - 1)
            try dnnlCheck(dnnl_memory_desc_init_submemory(&sub, &parent, d, offsets), "weight chunk descriptor")
            try v.withUnsafeBytes { raw in
                try context.reorder(UnsafeMutableRawPointer(mutating: raw.baseAddress!), from: chunk, to: sub, into: out.pointer)
            }
        }
        return out
    }

    public static func tensorNames(_ layer: LayerCost) -> (weight: String, bn: String) {
        switch layer.kind {
        case .conv: return ("stem.conv.weight", "stem.bn")
        case .depthwise: return ("blocks.\(layer.block!).depthwise.weight", "blocks.\(layer.block!).bn1")
        case .pointwise: return ("blocks.\(layer.block!).pointwise.weight", "blocks.\(layer.block!).bn2")
        case .linear: return ("classifier.weight", "")
        }
    }

    // MARK: Running

    /// Runs up to `options.batchSize` images, each a `[channels, size, size]` tensor (CHW, values in [0, 1]),
    /// as one batch. Returns per-image logits, top-5 and (when built with fidelity) the fidelity figures.
    public func run(_ images: [Tensor]) throws -> BatchOutput {
        try lock.locked { try runBatch(images, profile: false) }
    }

    /// As `run`, and also times every layer of the quantized network (`timings.layerSeconds`).
    public func runProfiled(_ images: [Tensor]) throws -> BatchOutput {
        try lock.locked { try runBatch(images, profile: true) }
    }
}

extension Network: LaneNetwork {
    var inputChannels: Int { spec.inputChannels }
    var runLanes: [any RunLane] { lanes }
    var simulatedLane: (any RunLane)? { simulated }
    var logitCount: Int { spec.classes }
    var blockCount: Int { spec.blocks.count }
}

/// One step of the network: a primitive with its source/destination layouts and (for conv and classifier)
/// its weights. The quantized and float twins share everything that is identical.
final class Op {
    let name: String
    let srcMD: dnnl_memory_desc_t
    let dstMD: dnnl_memory_desc_t
    let scratchMD: dnnl_memory_desc_t
    let quantized: DNNLPrimitive
    let float: DNNLPrimitive
    var weightsQ: DNNLMemory?
    var weightsF: DNNLMemory?
    var bias: DNNLMemory?
    /// The block whose output this op produces.
    var blockEnd: Int?
    var isReorder = false
    /// Integer block ends: a reorder of this op's output into the twin's layout as f32 (for the per-block
    /// SQNR; not timed).
    var probe: (primitive: DNNLPrimitive, md: dnnl_memory_desc_t)?
    /// The op writes u8 activation codes (integer runs), not f32.
    var writesCodes: Bool { dstMD.data_type == dnnl_u8 }
    /// The descriptors the primitive reads and writes the same buffers through, when they are not `srcMD`/`dstMD`
    /// (a matmul sees an nhwc map as a (batch·positions) × channels matrix).
    var view: (src: dnnl_memory_desc_t, dst: dnnl_memory_desc_t)?
    /// Run once per image on batch-1 descriptors (the slices of `srcMD`/`dstMD` along the batch dimension).
    var perImage: (src: dnnl_memory_desc_t, dst: dnnl_memory_desc_t, count: Int)?

    init(name: String, srcMD: dnnl_memory_desc_t, dstMD: dnnl_memory_desc_t, scratchMD: dnnl_memory_desc_t,
         quantized: DNNLPrimitive, float: DNNLPrimitive) {
        self.name = name
        self.srcMD = srcMD
        self.dstMD = dstMD
        self.scratchMD = scratchMD
        self.quantized = quantized
        self.float = float
    }
}

/// One network's activations: two ping-pong buffers (op k writes buffer k mod 2) and the bound arguments.
final class Lane {
    let buffers: [AlignedBuffer]
    var memories: [DNNLMemory] = []
    var primitives: [dnnl_primitive_t] = []
    /// Per op, one argument set (or one per image for `perImage` ops).
    var args: [[[dnnl_exec_arg_t]]] = []
    let ops: [Op]
    /// The index of each block's last op, in block order.
    let blockEnds: [Int]
    /// Where probes write, and their arguments per op index.
    let probeBuffer: AlignedBuffer
    var probeArgs: [Int: [dnnl_exec_arg_t]] = [:]

    init(ops: [Op], input: AlignedBuffer, inputMD: dnnl_memory_desc_t, context: DNNLContext, scratch: AlignedBuffer,
         twin: Bool) throws {
        self.ops = ops
        blockEnds = ops.indices.filter { ops[$0].blockEnd != nil }
        let size = ops.map { MemoryDesc.bytes($0.dstMD) }.max() ?? 64
        buffers = [try AlignedBuffer(bytes: size), try AlignedBuffer(bytes: size)]
        probeBuffer = try AlignedBuffer(bytes: ops.compactMap { $0.probe.map { MemoryDesc.bytes($0.md) } }.max() ?? 64)
        for (k, op) in ops.enumerated() {
            guard let probe = op.probe else { continue }
            let s = try DNNLMemory(op.dstMD, engine: context.engine, pointer: buffers[k % 2].pointer)
            let d = try DNNLMemory(probe.md, engine: context.engine, pointer: probeBuffer.pointer)
            memories += [s, d]
            probeArgs[k] = [dnnl_exec_arg_t(arg: DNNLArg.src, memory: s.handle), dnnl_exec_arg_t(arg: DNNLArg.dst, memory: d.handle)]
        }
        for (k, op) in ops.enumerated() {
            let src = k == 0 ? input.pointer : buffers[(k - 1) % 2].pointer
            let dst = buffers[k % 2].pointer
            var sets: [[dnnl_exec_arg_t]] = []
            let images = op.perImage?.count ?? 1
            for i in 0..<images {
                let srcMD = op.perImage?.src ?? op.view?.src ?? op.srcMD, dstMD = op.perImage?.dst ?? op.view?.dst ?? op.dstMD
                let s = try DNNLMemory(srcMD, engine: context.engine, pointer: src + i * MemoryDesc.bytes(srcMD))
                let d = try DNNLMemory(dstMD, engine: context.engine, pointer: dst + i * MemoryDesc.bytes(dstMD))
                memories += [s, d]
                var a = [dnnl_exec_arg_t(arg: DNNLArg.src, memory: s.handle), dnnl_exec_arg_t(arg: DNNLArg.dst, memory: d.handle)]
                if let w = twin ? op.weightsF : op.weightsQ { a.append(dnnl_exec_arg_t(arg: DNNLArg.weights, memory: w.handle)) }
                if let b = op.bias { a.append(dnnl_exec_arg_t(arg: DNNLArg.bias, memory: b.handle)) }
                if MemoryDesc.bytes(op.scratchMD) > 0 {
                    let m = try DNNLMemory(op.scratchMD, engine: context.engine, pointer: scratch.pointer)
                    memories.append(m)
                    a.append(dnnl_exec_arg_t(arg: DNNLArg.scratchpad, memory: m.handle))
                }
                sets.append(a)
            }
            args.append(sets)
            primitives.append(twin ? op.float.handle : op.quantized.handle)
        }
    }

    func execute(_ k: Int, stream: dnnl_stream_t) throws {
        for set in args[k] {
            try set.withUnsafeBufferPointer { a in
                try dnnlCheck(dnnl_primitive_execute(primitives[k], stream, Int32(a.count), a.baseAddress), "\(ops[k].name) execution")
            }
        }
    }

    /// The buffer op `k` wrote.
    func output(_ k: Int) -> UnsafeMutablePointer<Float> { buffers[k % 2].floats }

    /// Op `k`'s output as f32 in the float twin's layout: through its probe when it has one.
    func floatOutput(_ k: Int, stream: dnnl_stream_t) throws -> UnsafeMutablePointer<Float> {
        guard let probe = ops[k].probe, var args = probeArgs[k] else { return output(k) }
        try dnnlCheck(dnnl_primitive_execute(probe.primitive.handle, stream, Int32(args.count), &args), "\(ops[k].name) probe")
        try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
        return probeBuffer.floats
    }
}

extension Lane: RunLane {
    var stepCount: Int { ops.count }
    func stepName(_ k: Int) -> String { ops[k].name }
    func blockOutput(_ k: Int, stream: dnnl_stream_t) throws -> UnsafeMutablePointer<Float> { try floatOutput(k, stream: stream) }
    func outputMD(_ k: Int) -> dnnl_memory_desc_t { ops[k].dstMD }
    func f32Output(_ k: Int) -> UnsafeMutablePointer<Float>? { ops[k].dstMD.data_type == dnnl_f32 ? output(k) : nil }
    var logits: UnsafeMutablePointer<Float> { output(ops.count - 1) }
}

/// A pthread mutex (Engine does not depend on Foundation).
final class Mutex: @unchecked Sendable {
    private var m = pthread_mutex_t()
    init() { pthread_mutex_init(&m, nil) }
    deinit { pthread_mutex_destroy(&m) }
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&m)
        defer { pthread_mutex_unlock(&m) }
        return try body()
    }
}

/// CPU time of the calling thread, seconds.
public func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

func monotonicSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}
