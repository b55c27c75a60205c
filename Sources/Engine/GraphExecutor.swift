#if canImport(Glibc)
import Glibc
#endif
import BitOpsCore
import CDNNL

/// A graph network (BitOpsCore/Graph.swift) built into oneDNN primitives for one input size and batch, with
/// its float twin — the graph form of `Network`, with the same numerics:
///
/// - **Convolutions** (any kernel, stride, padding, dilation, groups; bias) have their weights fake-quantized at
///   the layer's `bits` (per tensor, or per output channel with `EngineOptions.granularity`; `Quantizer`), then a
///   batch norm reading only that convolution is folded in (`w·γ/√(σ²+ε)`, bias `(b − μ)·γ/√(σ²+ε) + β`), as the
///   block form does. A batch norm after anything else is a per-channel scale and shift (a 1×1 depthwise
///   convolution with those as weights and bias, never quantized).
/// - **Activations** are fused into the convolution, batch norm, add, mul or gemm before them when that layer
///   is their only reader (and in the same block); otherwise they run as eltwise primitives.
/// - **Activation quantization**: the output of each fused chain (conv → BN → activation, add → activation, …)
///   is quantized at the `actBits` of the chain's last layer, on the fixed grids of `EltwiseTail`
///   (GraphPostOps.swift): the block form's unsigned [0, 6] grid for non-negative values, a signed [−6, 6]
///   grid otherwise. Pooling and flatten pass their input's precision on (`actBits` nil).
/// - **add** and **mul** are oneDNN binary primitives; mul's second input may be C×1×1 (squeeze-and-excite),
///   broadcast over the first's map. A residual add right after the convolution that produces one of its inputs
///   (MobileNetV2's linear bottleneck: projection → BN → add) is fused into it instead when that keeps the
///   arithmetic: the convolution writes into the other input's buffer with a `sum` post-op, then the add's
///   activation and quantization (`GraphBuilder.residualCandidate`, `ResidualAdd`; `fusedAdds` lists them). The
///   accounting still counts every add; calibration measures the unfused network. **Pooling** uses pooling primitives (average pooling excludes padding, as
///   ONNX's AveragePool by default). **flatten** reorders to plain NCHW. **gemm** is an inner product run image
///   by image, as the block form's classifier, so results do not depend on how images are batched.
/// - The float twin is the same graph with float weights (BN folded) and no activation quantization; it is
///   built only when it differs. Fidelity's per-block SQNR compares each block's output (its last layer's) in
///   block order.
///
/// Memory: every tensor gets a buffer slot; a slot is reused once the tensor in it has been read for the last
/// time, so a chain of layers needs a few buffers, a residual block one more (a fused residual add writes into
/// its residual's slot).
///
/// **Integer kernels** (`kernels` `.integer` or `.auto`): a convolution runs on oneDNN's int8 kernels when its
/// weights have at most 8 bits and its input lies on a static grid of at most 8 bits — the output of a chain
/// quantized on the fixed [0, 6] grid (after relu6, sigmoid, hard-sigmoid), or on a calibrated range
/// (`EngineOptions.activationRanges`, measured by `GraphExecutor.calibratedRanges`: then signed values, such
/// as a linear bottleneck or a residual sum, have a static [−R, R] grid and are read as s8 codes). The others
/// run float, each with its reason (`kernelFallbacks`): the first convolution reads the float image; an input
/// quantized per image (uncalibrated linear bottlenecks and residual sums) has no static scale; weights or
/// activations above 8 bits. A **gemm** runs on oneDNN's int8 inner product under the same conditions (its input
/// on a static grid: the output of a flatten passes its input's grid on, but a mean of codes from average pooling
/// without act bits of its own is float), image by image as the float one. Every other layer (batch norm alone,
/// add, mul, pooling, flatten) runs float.
/// Tensors cross between codes and values with reorders (scale `L/R` or `R/L`), timed with the layer that
/// needed them (GraphBuilder.swift). With fidelity the float twin and the simulated run (float kernels, the
/// same configuration) are a second executor's lanes, sharing this one's input buffer.
///
/// Not for concurrent use: `run` takes a lock.
public final class GraphExecutor: @unchecked Sendable {
    public let network: GraphNetwork
    public let inputSize: Int
    public let options: EngineOptions
    public let cost: GraphCostReport
    public let estimate: MemoryEstimate
    /// All weights and activations float: the twin would compute the same thing and is not built.
    public let twinIsIdentical: Bool
    /// oneDNN's implementation per primitive, by layer name.
    public internal(set) var implementations: [(layer: String, implementation: String)] = []
    /// Layers before which a layout conversion of their input was needed.
    public var layoutConversions: [String] { steps.filter(\.isReorder).map(\.name) }
    public private(set) var buildSeconds: Double = 0
    /// Every step's kernel, in order (a step carries the name of its first layer).
    /// A fused residual add is listed right after its convolution, as float (a post-op adding f32 values).
    public var layerKernels: [(layer: String, kernel: LayerKernel)] {
        steps.filter { !$0.isReorder }.flatMap { s in [(s.name, s.kernel)] + s.fusedAdds.map { ($0, LayerKernel.float) } }
    }
    public var runsInteger: Bool { steps.contains { $0.kernel == .int8 } }
    /// The residual adds taken by the convolution that produces one of their inputs (a post-op of its primitive,
    /// GraphBuilder.swift), in order. An execution detail: the accounting (`cost`) still counts each add.
    public internal(set) var fusedAdds: [(add: String, convolution: String)] = []
    /// What `implementations` says of a fused add (listed right after its convolution).
    public static let fusedAddImplementation = "fused: sum post-op of the convolution before it"
    /// On integer kernels: the convolutions and gemms that run float, each with the reason.
    public internal(set) var kernelFallbacks: [(layer: String, reason: String)] = []
    /// Which kernels ran, layer by layer, with the choice made (as `Network.kernelUse`).
    public var kernelUse: KernelUse {
        let narrow = Set(network.layers.filter { $0.op.hasWeights && $0.bits < 8 }.map(\.name))
        return KernelUse(requested: options.kernels, layers: layerKernels.map { KernelUse.Layer(layer: $0.layer, kernel: $0.kernel) },
                         narrowWeights: layerKernels.contains { $0.kernel == .int8 && narrow.contains($0.layer) })
    }
    /// The static grid of every step's output that has one (name of the step's first layer), in order.
    var gridRecords: [(layer: String, grid: ActivationGrid)] = []
    /// The method and the range and scale of every activation quantized on a static grid (as
    /// `Network.activationCalibration`; unsigned grids only record [0, R], signed ones R of [−R, R]).
    public var activationCalibration: ActivationCalibration {
        ActivationCalibration(method: options.calibration, layers: gridRecords.map {
            ActivationCalibration.Layer(layer: $0.layer, bits: .bits($0.grid.bits), range: $0.grid.range, scale: $0.grid.down)
        })
    }
    /// Output values per image (the logits): the elements of the last layer's output.
    public internal(set) var outputCount = 0

    let context: DNNLContext
    var steps: [GraphStep] = []
    /// Each tensor's memory descriptor; tensor 0 is the input batch.
    var values: [dnnl_memory_desc_t] = []
    var lanes: [GraphLane] = []
    let inputBuffer: AlignedBuffer
    var scratch: AlignedBuffer
    var weightBuffers: [AlignedBuffer] = []
    let lock = Mutex()
    var scratchBytes = 0
    var finalValue = 0
    /// The tensor holding each layer's output (a fused chain's layers share one).
    var layerValues: [String: Int] = [:]
    /// Each tensor's static grid, if any, and what is known of its values.
    var valueGrids: [ActivationGrid?] = []
    var valueRanges: [ActivationRange] = []
    /// The steps are built on integer kernels where allowed.
    var integerSteps = false
    /// On integer kernels with fidelity: the same configuration on float kernels, whose lanes are the simulated
    /// run and the float twin.
    var reference: GraphExecutor?

    /// The dimensions (N, C, H, W) of the tensor holding layer `layer`'s output, as built.
    func builtDimensions(_ layer: String) -> [Int]? {
        guard let v = layerValues[layer] else { return nil }
        var md = values[v]
        return withUnsafeBytes(of: &md.dims) { raw in (0..<Int(md.ndims)).map { Int(raw.load(fromByteOffset: $0 * 8, as: Int64.self)) } }
    }

    /// Builds with seeded weights (`GraphWeights.seeded`, rule `options.initialization`); the memory estimate is
    /// checked before the weights are generated.
    public convenience init(network: GraphNetwork, inputSize: Int, seed: UInt64, options: EngineOptions = EngineOptions()) throws {
        let (cost, estimate) = try Self.plan(network, inputSize: inputSize, options: options)
        let weights = try GraphWeights.seeded(seed, network: network, inputSize: inputSize, initialization: options.initialization)
        try self.init(network: network, inputSize: inputSize, weights: weights, cost: cost, estimate: estimate, options: options)
    }

    /// Builds from weights in memory, checked against the network first (`GraphWeights.validate`).
    public convenience init(network: GraphNetwork, inputSize: Int, weights: GraphWeights,
                            options: EngineOptions = EngineOptions()) throws {
        let (cost, estimate) = try Self.plan(network, inputSize: inputSize, options: options)
        try weights.validate(for: network, inputSize: inputSize)
        try self.init(network: network, inputSize: inputSize, weights: weights, cost: cost, estimate: estimate, options: options)
    }

    static func plan(_ network: GraphNetwork, inputSize: Int, options: EngineOptions) throws -> (GraphCostReport, MemoryEstimate) {
        guard (1...EngineOptions.maxThreads).contains(options.threads) else {
            throw EngineError("threads \(options.threads) is out of range: expected 1–\(EngineOptions.maxThreads)")
        }
        guard options.batchSize >= 1 else { throw EngineError("batch size \(options.batchSize) must be at least 1") }
        let cost: GraphCostReport
        do { cost = try network.cost(inputSize: inputSize) } catch let e as SpecError { throw EngineError("\(e)") }
        let estimate = MemoryEstimate(graph: cost, batch: options.batchSize, twin: options.fidelity)
        try estimate.check(limit: options.memoryLimit, what: "\(network.name) (\(network.layers.count) layers) at \(inputSize)×\(inputSize)")
        return (cost, estimate)
    }

    init(network: GraphNetwork, inputSize: Int, weights: GraphWeights, cost: GraphCostReport, estimate: MemoryEstimate,
         options: EngineOptions, sharing: (context: DNNLContext, input: AlignedBuffer)? = nil) throws {
        let start = monotonicSeconds()
        self.network = network
        self.inputSize = inputSize
        self.options = options
        self.cost = cost
        self.estimate = estimate
        twinIsIdentical = network.layers.allSatisfy {
            (!$0.op.hasWeights || $0.bits == .float) && ($0.actBits == nil || $0.actBits == .float)
        }
        setThreads(options.threads)
        context = try sharing?.context ?? DNNLContext()
        let input = try MemoryDesc.make([options.batchSize, network.inputChannels, inputSize, inputSize], tag: dnnl_nchw)
        inputBuffer = try sharing?.input ?? AlignedBuffer(bytes: MemoryDesc.bytes(input))
        scratch = try AlignedBuffer(bytes: 64)
        if options.kernels != .float {
            integerSteps = true
            try buildSteps(weights: weights, input: input)
            if !runsInteger {
                if options.kernels == .integer {
                    let reasons = kernelFallbacks.map { "\($0.layer): \($0.reason)" }.prefix(3).joined(separator: "; ")
                    throw EngineError("kernels integer: no layer of \(network.name) at \(inputSize)×\(inputSize) can run on integer kernels (a convolution or gemm needs weights of at most 8 bits and an input on a static grid of at most 8 bits\(reasons.isEmpty ? "" : ": " + reasons))")
                }
                integerSteps = false
            }
        }
        if !integerSteps { try buildSteps(weights: weights, input: input) }
        scratch = try AlignedBuffer(bytes: scratchBytes)
        let slots = GraphSlots(steps: steps, values: values, finalValue: finalValue)
        if integerSteps && options.fidelity {
            var o = options
            o.kernels = .float
            let reference = try GraphExecutor(network: network, inputSize: inputSize, weights: weights, cost: cost, estimate: estimate,
                                              options: o, sharing: (context, inputBuffer))
            self.reference = reference
            // Block ends compared with the twin's, as f32 in the twin's layout.
            var probes: [Int: (md: dnnl_memory_desc_t, scale: Float?)] = [:]
            if reference.lanes.count == 2 {
                for (kq, kt) in zip(blockEnds, reference.blockEnds) {
                    let v = steps[kq].output
                    let target = reference.values[reference.steps[kt].output]
                    guard !MemoryDesc.equal(values[v], target) else { continue }
                    probes[kq] = (target, values[v].data_type == dnnl_f32 ? nil : valueGrids[v]?.down)
                }
            }
            lanes = [try GraphLane(executor: self, slots: slots, twin: false, probes: probes)]
        } else {
            lanes = [try GraphLane(executor: self, slots: slots, twin: false)]
            if buildsTwin { lanes.append(try GraphLane(executor: self, slots: slots, twin: true)) }
        }
        buildSeconds = monotonicSeconds() - start
    }

    /// Builds the steps from scratch (`integerSteps` says on which kernels).
    private func buildSteps(weights: GraphWeights, input: dnnl_memory_desc_t) throws {
        steps = []
        values = [input]
        valueGrids = [nil]
        valueRanges = [.zeroToSix]
        implementations = []
        kernelFallbacks = []
        fusedAdds = []
        gridRecords = []
        weightBuffers = []
        scratchBytes = 0
        var builder = GraphBuilder(executor: self, weights: weights)
        try builder.build()
    }

    /// Whether the float twin is built beside the quantized network (on integer kernels it is `reference`'s).
    var buildsTwin: Bool { options.fidelity && !twinIsIdentical && !integerSteps }

    // MARK: Running

    /// Runs up to `options.batchSize` images, each a `[channels, size, size]` tensor (CHW), as one batch; per
    /// image the last layer's output as logits, its top-5 and (with fidelity) the figures against the twin.
    public func run(_ images: [Tensor]) throws -> BatchOutput {
        try lock.locked { try runBatch(images, profile: false) }
    }

    /// As `run`, and also times every layer of the quantized network (`timings.layerSeconds`).
    public func runProfiled(_ images: [Tensor]) throws -> BatchOutput {
        try lock.locked { try runBatch(images, profile: true) }
    }

    /// Per block, in block order, the step that writes the block's output (its last layer's).
    var blockEnds: [Int] = []
}

extension GraphExecutor: LaneNetwork {
    var inputChannels: Int { network.inputChannels }
    var runLanes: [any RunLane] { lanes + (reference?.lanes.dropFirst().map { $0 as any RunLane } ?? []) }
    var simulatedLane: (any RunLane)? { reference?.lanes.first }
    var logitCount: Int { outputCount }
    var blockCount: Int { network.blocks.count }
}

/// One step of a graph network: a primitive reading tensors and writing one, with its weights; then, in place
/// on its output, the eltwise primitives of a tail that could not be fused (quantized network / twin).
final class GraphStep {
    let name: String
    /// Argument index, tensor, and the layout the primitive reads it in (the tensor's own).
    var inputs: [(arg: Int32, value: Int)]
    let output: Int
    /// The layout the primitive writes (the tensor's, except for flatten's reinterpretation).
    let outputMD: dnnl_memory_desc_t
    let quantized: DNNLPrimitive
    let float: DNNLPrimitive
    let scratchQ: dnnl_memory_desc_t
    let scratchF: dnnl_memory_desc_t
    var tailQ: [DNNLPrimitive] = []
    var tailF: [DNNLPrimitive] = []
    var weightsQ: DNNLMemory?
    var weightsF: DNNLMemory?
    var bias: DNNLMemory?
    /// Run once per image with these batch-1 layouts (gemm).
    var perImage: (src: dnnl_memory_desc_t, dst: dnnl_memory_desc_t)?
    var isReorder = false
    /// The kernel the step runs on (int8: an integer convolution).
    var kernel = LayerKernel.float
    /// Activation quantization with a per-image range, after the primitives (quantized network only).
    var dynamic: DynamicQuantization?
    /// The tensor whose buffer the output takes over, already holding the values the primitive adds to (a fused
    /// residual add's other input: `ResidualAdd`); its last reader is this step.
    var accumulates: Int?
    /// The residual adds this step (a convolution) took as post-ops.
    var fusedAdds: [String] = []

    init(name: String, inputs: [(arg: Int32, value: Int)], output: Int, outputMD: dnnl_memory_desc_t,
         quantized: DNNLPrimitive, float: DNNLPrimitive, scratchQ: dnnl_memory_desc_t, scratchF: dnnl_memory_desc_t) {
        self.name = name
        self.inputs = inputs
        self.output = output
        self.outputMD = outputMD
        self.quantized = quantized
        self.float = float
        self.scratchQ = scratchQ
        self.scratchF = scratchF
    }
}

/// Which buffer slot holds each tensor: a tensor's slot is free again after the last step that reads it (the
/// final output's never). Slot sizes are the largest tensor they hold. A step that accumulates into a tensor
/// (`GraphStep.accumulates`, read there for the last time) writes its output into that tensor's slot.
struct GraphSlots {
    var slotOf: [Int]
    var bytes: [Int]

    init(steps: [GraphStep], values: [dnnl_memory_desc_t], finalValue: Int) {
        var lastUse = Array(0..<values.count).map { _ in -1 }
        for (k, s) in steps.enumerated() {
            lastUse[s.output] = max(lastUse[s.output], k)
            for i in s.inputs { lastUse[i.value] = max(lastUse[i.value], k) }
            if let a = s.accumulates { lastUse[a] = max(lastUse[a], k) }
        }
        lastUse[finalValue] = steps.count
        slotOf = Array(repeating: -1, count: values.count)
        bytes = []
        var free: [Int] = []
        for (k, s) in steps.enumerated() {
            let need = max(MemoryDesc.bytes(values[s.output]), MemoryDesc.bytes(s.outputMD))
            // The smallest free slot that is large enough, else the largest free one (grown), else a new one.
            let fits = free.filter { bytes[$0] >= need }.min { bytes[$0] < bytes[$1] }
            let chosen = fits ?? free.max { bytes[$0] < bytes[$1] }
            if let a = s.accumulates {
                precondition(lastUse[a] == k && a != 0, "internal: \(s.name) accumulates into a tensor read later")
                slotOf[s.output] = slotOf[a]
                bytes[slotOf[a]] = max(bytes[slotOf[a]], need)
            } else if let chosen {
                free.removeAll { $0 == chosen }
                bytes[chosen] = max(bytes[chosen], need)
                slotOf[s.output] = chosen
            } else {
                slotOf[s.output] = bytes.count
                bytes.append(need)
            }
            var released = Set<Int>()
            for v in s.inputs.map(\.value) + [s.output] where v != 0 && lastUse[v] == k && !released.contains(v) {
                released.insert(v)
                free.append(slotOf[v])
            }
        }
    }
}

/// One network's buffers (quantized network or twin) and the bound arguments of every step.
final class GraphLane {
    let slots: [AlignedBuffer]
    let slotOf: [Int]
    let input: AlignedBuffer
    var memories: [DNNLMemory] = []
    /// Per step, the primitive invocations in order (several for per-image steps and in-place tails).
    var invocations: [[(primitive: dnnl_primitive_t, args: [dnnl_exec_arg_t])]] = []
    let names: [String]
    let slotOutput: [Int]
    /// The layout of each step's output tensor.
    let outputMDs: [dnnl_memory_desc_t]
    let blockEnds: [Int]
    let finalValue: Int
    /// Per step, the dynamic quantization of its output: per image, `stride` floats from the output's start.
    var dynamic: [(quantization: DynamicQuantization, stride: Int, images: Int)?] = []
    /// Per block end of an integer lane whose output is codes or in another layout than the twin's: a reorder
    /// to f32 in the twin's layout (for the per-block SQNR; not timed), into `probeBuffer`.
    var probes: [Int: (primitive: DNNLPrimitive, args: [dnnl_exec_arg_t], md: dnnl_memory_desc_t)] = [:]
    var probeBuffer: AlignedBuffer?

    init(executor x: GraphExecutor, slots s: GraphSlots, twin: Bool,
         probes probeTargets: [Int: (md: dnnl_memory_desc_t, scale: Float?)] = [:]) throws {
        slots = try s.bytes.map { try AlignedBuffer(bytes: $0) }
        slotOf = s.slotOf
        input = x.inputBuffer
        names = x.steps.map(\.name)
        slotOutput = x.steps.map(\.output)
        outputMDs = x.steps.map { x.values[$0.output] }
        blockEnds = x.blockEnds
        finalValue = x.finalValue
        let engine = x.context.engine
        for step in x.steps {
            var calls: [(primitive: dnnl_primitive_t, args: [dnnl_exec_arg_t])] = []
            let dst = raw(step.output)
            let images = step.perImage == nil ? 1 : x.options.batchSize
            for i in 0..<images {
                var args: [dnnl_exec_arg_t] = []
                for input in step.inputs {
                    let md = step.perImage?.src ?? x.values[input.value]
                    let m = try DNNLMemory(md, engine: engine, pointer: raw(input.value) + i * MemoryDesc.bytes(md))
                    memories.append(m)
                    args.append(dnnl_exec_arg_t(arg: input.arg, memory: m.handle))
                }
                let dmd = step.perImage?.dst ?? step.outputMD
                let d = try DNNLMemory(dmd, engine: engine, pointer: dst + i * MemoryDesc.bytes(dmd))
                memories.append(d)
                args.append(dnnl_exec_arg_t(arg: DNNLArg.dst, memory: d.handle))
                if let w = twin ? step.weightsF : step.weightsQ { args.append(dnnl_exec_arg_t(arg: DNNLArg.weights, memory: w.handle)) }
                if let b = step.bias { args.append(dnnl_exec_arg_t(arg: DNNLArg.bias, memory: b.handle)) }
                let smd = twin ? step.scratchF : step.scratchQ
                if MemoryDesc.bytes(smd) > 0 {
                    let m = try DNNLMemory(smd, engine: engine, pointer: x.scratch.pointer)
                    memories.append(m)
                    args.append(dnnl_exec_arg_t(arg: DNNLArg.scratchpad, memory: m.handle))
                }
                calls.append(((twin ? step.float : step.quantized).handle, args))
            }
            let tail = twin ? step.tailF : step.tailQ
            if !tail.isEmpty {
                let m = try DNNLMemory(step.outputMD, engine: engine, pointer: dst)
                memories.append(m)
                for p in tail {
                    calls.append((p.handle, [dnnl_exec_arg_t(arg: DNNLArg.src, memory: m.handle),
                                             dnnl_exec_arg_t(arg: DNNLArg.dst, memory: m.handle)]))
                }
            }
            invocations.append(calls)
            if let target = probeTargets[invocations.count - 1] {
                if probeBuffer == nil {
                    probeBuffer = try AlignedBuffer(bytes: probeTargets.values.map { MemoryDesc.bytes($0.md) }.max()!)
                }
                var a: dnnl_primitive_attr_t?
                try dnnlCheck(dnnl_primitive_attr_create(&a), "attribute")
                defer { dnnl_primitive_attr_destroy(a) }
                if let scale = target.scale { try dnnlCheck(dnnl_primitive_attr_set_output_scales(a, 1, 0, [scale]), "probe scale") }
                let pd = try DNNLPrimitiveDesc(reorderFrom: step.outputMD, to: target.md, engine: engine, attr: a)
                let from = try DNNLMemory(step.outputMD, engine: engine, pointer: dst)
                let to = try DNNLMemory(target.md, engine: engine, pointer: probeBuffer!.pointer)
                memories += [from, to]
                probes[invocations.count - 1] = (try DNNLPrimitive(pd.handle), [dnnl_exec_arg_t(arg: DNNLArg.src, memory: from.handle),
                                                                               dnnl_exec_arg_t(arg: DNNLArg.dst, memory: to.handle)], target.md)
            }
            if !twin, let q = step.dynamic {
                guard let stride = MemoryDesc.perImageFloats(step.outputMD, batch: x.options.batchSize) else {
                    throw EngineError("internal: \(step.name) output layout is not batch-outermost")
                }
                dynamic.append((q, stride, x.options.batchSize))
            } else {
                dynamic.append(nil)
            }
        }
    }

    func raw(_ v: Int) -> UnsafeMutableRawPointer { v == 0 ? input.pointer : slots[slotOf[v]].pointer }

    func pointer(_ v: Int) -> UnsafeMutablePointer<Float> { raw(v).assumingMemoryBound(to: Float.self) }

    func execute(_ k: Int, stream: dnnl_stream_t) throws {
        for call in invocations[k] {
            try call.args.withUnsafeBufferPointer { a in
                try dnnlCheck(dnnl_primitive_execute(call.primitive, stream, Int32(a.count), a.baseAddress), "\(names[k]) execution")
            }
        }
        if let d = dynamic[k] {
            let p = raw(slotOutput[k]).assumingMemoryBound(to: Float.self)
            for i in 0..<d.images { d.quantization.apply(p + i * d.stride, count: d.stride) }
        }
    }
}

extension GraphLane: RunLane {
    var stepCount: Int { names.count }
    func stepName(_ k: Int) -> String { names[k] }
    func blockOutput(_ k: Int, stream: dnnl_stream_t) throws -> UnsafeMutablePointer<Float> {
        guard var probe = probes[k] else { return pointer(slotOutput[k]) }
        try dnnlCheck(dnnl_primitive_execute(probe.primitive.handle, stream, Int32(probe.args.count), &probe.args), "\(names[k]) probe")
        try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
        return probeBuffer!.floats
    }
    func outputMD(_ k: Int) -> dnnl_memory_desc_t { probes[k]?.md ?? outputMDs[k] }
    func f32Output(_ k: Int) -> UnsafeMutablePointer<Float>? { outputMDs[k].data_type == dnnl_f32 ? pointer(slotOutput[k]) : nil }
    var logits: UnsafeMutablePointer<Float> { pointer(finalValue) }
}

extension MemoryEstimate {
    /// What a graph network needs: its weights (twice where the twin's differ), the tensors alive at once at
    /// the worst layer (every layer's output padded to 16 channels, kept from its layer to its last reader), per
    /// network and image, and the input batch; the build holds every layer's plain weights on top (the graph's
    /// weights, `GraphWeights`, are all in memory while they are placed: seeded ones are generated first, imported
    /// ones come with the model).
    public init(graph cost: GraphCostReport, batch: Int, twin: Bool) {
        func pad(_ c: Int) -> Int { (c + 15) / 16 * 16 }
        let g = cost.network
        let allFloat = g.layers.allSatisfy { (!$0.op.hasWeights || $0.bits == .float) && ($0.actBits == nil || $0.actBits == .float) }
        let lanes = twin && !allFloat ? 2 : 1
        var weights = 0, plain = 0
        for l in cost.layers {
            let copies = lanes == 2 && l.weightBits != .float ? 2 : 1
            weights = saturatingSum(weights, saturatingProduct(l.params, 4, copies), pad(l.outputShape.channels) * 4)
            plain = saturatingSum(plain, saturatingProduct(l.params, 4))
        }
        var shapes: [String: Shape] = [:]
        for l in cost.layers { shapes[l.name] = l.outputShape }
        for o in cost.operations { shapes[o.name] = o.outputShape }
        var lastUse: [String: Int] = [:]
        var previous = GraphNetwork.inputName
        for (i, l) in g.layers.enumerated() {
            for input in l.inputs.isEmpty ? [previous] : l.inputs { lastUse[input] = i }
            previous = l.name
        }
        // Live bytes at each layer: a layer's output counts from its layer to its last reader.
        var delta = [Int](repeating: 0, count: g.layers.count + 2)
        for (j, l) in g.layers.enumerated() {
            let s = shapes[l.name]!
            let bytes = saturatingProduct(pad(s.channels), s.height, s.width, 4)
            delta[j] = saturatingSum(delta[j], bytes)
            delta[(lastUse[l.name] ?? g.layers.count) + 1] -= bytes
        }
        var peak = 0, live = 0
        for i in g.layers.indices {
            live = saturatingSum(live, delta[i])
            peak = max(peak, live)
        }
        let input = saturatingProduct(g.inputChannels, cost.inputSize, cost.inputSize, 4, batch)
        weightBytes = weights
        activationBytes = saturatingSum(saturatingProduct(lanes, batch, peak), input)
        transientBytes = plain
    }
}
