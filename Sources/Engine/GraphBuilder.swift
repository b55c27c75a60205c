import BitOpsCore
import CDNNL

/// Builds a `GraphExecutor`'s steps from its network and weights: groups each layer with the batch norm and
/// activation it can absorb, creates the primitives (quantized network and twin), prepares the weights, and
/// inserts layout conversions where a step reads a tensor in another layout than it was written in.
struct GraphBuilder {
    unowned let x: GraphExecutor
    let weights: GraphWeights
    var network: GraphNetwork { x.network }
    /// How the layers group into steps (`GraphSteps`: which layers each absorbs).
    let steps: GraphSteps
    /// Each layer's inputs by name (an empty list resolved to the layer before it).
    var inputs: [[String]] { steps.inputs }
    /// Each layer's index by name.
    let indexOf: [String: Int]
    /// The indices of the layers that read each layer's output.
    var readerLayers: [String: [Int]] { steps.readerLayers }
    /// Each layer's output shape (from the accounting).
    let shapes: [String: Shape]
    /// The tensor holding each layer's output.
    var valueOf: [String: Int] = [GraphNetwork.inputName: 0]
    /// What is known of each tensor's values (how its activations are quantized); the input image is in [0, 1].
    var ranges: [ActivationRange] = [.zeroToSix]
    /// Each tensor's static grid when its values lie on one (nil: float, or quantized per image); the input image
    /// is float.
    var grids: [ActivationGrid?] = [nil]
    /// The step that wrote each tensor.
    var writer: [Int: Int] = [:]
    /// The calibrated range the model carries for the step being built (its last layer's `activationRange`, read
    /// back from a calibrated export), or nil.
    var stepRange: Float?

    init(executor: GraphExecutor, weights: GraphWeights) {
        x = executor
        self.weights = weights
        steps = GraphSteps(executor.network)
        indexOf = Dictionary(uniqueKeysWithValues: executor.network.layers.enumerated().map { ($1.name, $0) })
        var shapes: [String: Shape] = [GraphNetwork.inputName: Shape(channels: executor.network.inputChannels,
                                                                      height: executor.inputSize, width: executor.inputSize)]
        for l in executor.cost.layers { shapes[l.name] = l.outputShape }
        for o in executor.cost.operations { shapes[o.name] = o.outputShape }
        self.shapes = shapes
    }

    var n: Int { x.options.batchSize }

    mutating func build() throws {
        let layers = network.layers
        var i = 0
        while i < layers.count {
            let l = layers[i]
            // The layers this one absorbs: a batch norm (after a convolution), then an activation.
            let chain = Array(layers[i...steps.end(from: i)])
            var activation: Activation? = nil
            if case .activation(let a)? = chain.last?.op, chain.count > 1 { activation = a }
            // A residual add (and its activation) taken by a convolution as post-ops (`residualCandidate`).
            var fused: [GraphLayer] = []
            let bits = chain.last!.actBits
            stepRange = chain.last!.activationRange
            let ins = inputs[i].map { valueOf[$0]! }
            let output: Int
            switch l.op {
            case .conv(let c):
                let bn = chain.count > 1 && chain[1].op == .batchNorm ? chain[1] : nil
                let candidate = residualCandidate(i, chain: chain)
                let built = try convolution(l, c, batchNorm: bn, activation: activation, bits: bits, input: ins[0],
                                            outputName: chain.last!.name, residual: candidate)
                (output, fused) = (built.0, built.1)
            case .batchNorm:
                output = try scaleShift(l, activation: activation, bits: bits, input: ins[0])
            case .activation(let a):
                output = try eltwise(l, a, bits: bits, input: ins[0])
            case .add, .mul:
                output = try binary(l, activation: activation, bits: bits, inputs: ins)
            case .globalAveragePool, .maxPool, .averagePool:
                output = try pool(l, bits: bits, input: ins[0])
            case .flatten:
                output = try flatten(l, bits: bits, input: ins[0])
            case .gemm(let features, let hasBias):
                output = try gemm(l, features: features, hasBias: hasBias, activation: activation, bits: bits, input: ins[0])
            }
            for c in chain + fused { valueOf[c.name] = output }
            i += chain.count + fused.count
        }
        x.layerValues = valueOf
        // The logits: the last layer's output, in plain layout.
        let last = shapes[layers.last!.name]!
        let plain = try MemoryDesc.make([n, last.channels, last.height, last.width], tag: dnnl_nchw)
        x.finalValue = try conform(valueOf[layers.last!.name]!, to: plain, layer: layers.last!.name)
        x.outputCount = last.elements
        x.blockEnds = network.blocks.indices.map { b in
            let lastLayer = layers.last(where: { $0.block == b })!
            return writer[valueOf[lastLayer.name]!]!
        }
    }

    // MARK: Tensors and steps

    /// A new tensor with layout `md`.
    mutating func newValue(_ md: dnnl_memory_desc_t, range: ActivationRange, grid: ActivationGrid? = nil) -> Int {
        x.values.append(md)
        ranges.append(range)
        grids.append(grid)
        x.valueGrids.append(grid)
        x.valueRanges.append(range)
        return x.values.count - 1
    }

    /// Appends `step`; its output's static grid is recorded under its name, or the grids of `records` (a step
    /// with a fused residual add quantizes twice).
    mutating func append(_ step: GraphStep, records: [(layer: String, grid: ActivationGrid?)]? = nil) {
        for r in records ?? [(step.name, step.isReorder ? nil : grids[step.output])] {
            if let grid = r.grid { x.gridRecords.append((r.layer, grid)) }
        }
        writer[step.output] = x.steps.count
        x.steps.append(step)
    }

    /// A primitive attribute with a user scratchpad and `tail` (then `residual`) as post-ops. The caller destroys it.
    func attribute(_ tail: EltwiseTail = EltwiseTail(activation: nil, grid: nil), residual: ResidualAdd? = nil) throws
        -> dnnl_primitive_attr_t {
        var a: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&a), "attribute")
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "scratchpad mode")
        try tail.append(to: a!, residual: residual)
        return a!
    }

    func descriptor<D>(_ desc: inout D, tail: EltwiseTail, residual: ResidualAdd? = nil, name: String) throws -> DNNLPrimitiveDesc {
        let a = try attribute(tail, residual: residual)
        defer { dnnl_primitive_attr_destroy(a) }
        let pd = try withUnsafePointer(to: &desc) {
            try DNNLPrimitiveDesc(UnsafeRawPointer($0), attr: a, engine: x.context.engine, what: "\(name) primitive descriptor")
        }
        x.scratchBytes = max(x.scratchBytes, MemoryDesc.bytes(pd.md(dnnl_query_scratchpad_md)))
        return pd
    }

    /// Tensor `v` in layout `md`: itself, or a new tensor written by a reorder step named `layer`. A change of type
    /// converts between values and the codes of the tensor's grid (f32 → u8/s8: `L/R`, rounded half to even and
    /// saturated; u8/s8 → f32: `R/L`).
    mutating func conform(_ v: Int, to md: dnnl_memory_desc_t, layer: String) throws -> Int {
        guard !MemoryDesc.equal(x.values[v], md) else { return v }
        let a = try attribute()
        defer { dnnl_primitive_attr_destroy(a) }
        let from = x.values[v].data_type, to = md.data_type
        if from != to {
            guard let grid = grids[v], from == dnnl_f32 || to == dnnl_f32 else {
                throw EngineError("internal: \(layer) needs a conversion from \(from) to \(to) of a tensor without a static grid")
            }
            try dnnlCheck(dnnl_primitive_attr_set_output_scales(a, 1, 0, [from == dnnl_f32 ? grid.up : grid.down]), "\(layer) code scale")
        }
        let pd = try DNNLPrimitiveDesc(reorderFrom: x.values[v], to: md, engine: x.context.engine, attr: a)
        x.scratchBytes = max(x.scratchBytes, MemoryDesc.bytes(pd.md(dnnl_query_scratchpad_md)))
        let prim = try DNNLPrimitive(pd.handle)
        let out = newValue(md, range: ranges[v], grid: grids[v])
        let scratch = pd.md(dnnl_query_scratchpad_md)
        let step = GraphStep(name: layer, inputs: [(DNNLArg.src, v)], output: out, outputMD: md, quantized: prim, float: prim,
                             scratchQ: scratch, scratchF: scratch)
        step.isReorder = true
        append(step)
        return out
    }

    /// Tensor `v` as f32 (the layers other than int8 convolutions read values, not codes).
    mutating func floatValue(_ v: Int, layer: String) throws -> Int {
        guard x.values[v].data_type != dnnl_f32 else { return v }
        var md = x.values[v]
        md.data_type = dnnl_f32
        return try conform(v, to: md, layer: layer)
    }

    /// In-place eltwise primitives for `tail` on layout `md`.
    func tailPrimitives(_ tail: EltwiseTail, md: dnnl_memory_desc_t, name: String) throws -> [DNNLPrimitive] {
        try tail.primitiveOperations.map { op in
            var data = md
            var desc = dnnl_eltwise_desc_t()
            try dnnlCheck(dnnl_eltwise_forward_desc_init(&desc, dnnl_forward_inference, op.algorithm, &data, op.alpha, op.beta),
                          "\(name) eltwise descriptor")
            let pd = try withUnsafePointer(to: &desc) {
                try DNNLPrimitiveDesc(UnsafeRawPointer($0), attr: nil, engine: x.context.engine, what: "\(name) eltwise")
            }
            return try DNNLPrimitive(pd.handle)
        }
    }

    /// Places plain values into a new weight buffer in layout `target`.
    func place(_ values: [Float], plain: dnnl_memory_desc_t, target: dnnl_memory_desc_t) throws -> DNNLMemory {
        let buffer = try x.placeWeights(values, plain: plain, target: target)
        return try DNNLMemory(target, engine: x.context.engine, pointer: buffer.pointer)
    }

    func tensor(_ name: String) throws -> [Float] {
        guard let t = weights.tensors[name] else { throw EngineError("\(weights.origin): missing tensor '\(name)'") }
        return t.data
    }

    /// The quantized and twin tails of step `name` whose values before `activation` have range `input`, the
    /// output's range, and its quantization: on a static grid (values in [0, 6]: [0, 6] or the calibrated [0, R];
    /// others: the calibrated [0, R] or [−R, R]), else after the step with a per-image range.
    func tails(_ name: String, activation: Activation?, bits: BitWidth?, input: ActivationRange = .signed)
        -> (q: EltwiseTail, f: EltwiseTail, range: ActivationRange, dynamic: DynamicQuantization?, grid: ActivationGrid?) {
        let range = activation.map(ActivationRange.after) ?? input
        let f = EltwiseTail(activation: activation, on: nil)
        guard let a = bits?.quantized else { return (f, f, range, nil, nil) }
        let calibrated = x.options.activationRanges[name]
        let grid: ActivationGrid?
        // Measured here (--calibrate), else carried by the model (`GraphLayer.activationRange`), else 6 for values
        // in [0, 6] and none (per image) for the others.
        let given = calibrated ?? stepRange
        if range == .zeroToSix {
            grid = ActivationGrid(bits: a, range: given ?? Quantizer.fixedActivationRange, signed: false)
        } else {
            grid = given.map { ActivationGrid(bits: a, range: $0, signed: range == .signed) }
        }
        if let grid {
            return (EltwiseTail(activation: activation, on: grid), f, range, nil, grid)
        }
        return (f, f, range, DynamicQuantization(bits: .bits(a), unsigned: range == .nonNegative), nil)
    }

    // MARK: Layers

    /// The residual add that the convolution step `chain` (from layer `i`) may take as post-ops: the layer right
    /// after the step is an add in the same block that reads the step's output — its only reader — once, and
    /// another tensor of the same shape (no broadcast), not the convolution's input, that nothing reads after the add; with the activation the
    /// add absorbs (as `build` would group it). Whether the convolution's own output quantization allows it is `convolution`'s to decide.
    func residualCandidate(_ i: Int, chain: [GraphLayer]) -> (layers: [GraphLayer], residual: String)? {
        let layers = network.layers
        let last = chain.last!.name, j = i + chain.count
        guard x.options.fuseResidualAdds, j < layers.count, layers[j].op == .add, layers[j].block == chain[0].block,
              steps.readers[last] == 1, inputs[j].count == 2, inputs[j].filter({ $0 == last }).count == 1 else { return nil }
        let other = inputs[j][0] == last ? inputs[j][1] : inputs[j][0]
        guard let s = shapes[last], shapes[other] == s, shapes[layers[j].name] == s else { return nil }
        // The convolution overwrites the residual's buffer: it may not be the convolution's own input, nothing may
        // read it after the add (every layer whose output is that tensor counts), and the input image is never
        // overwritten.
        guard let v = valueOf[other], v != 0, other != inputs[i][0],
              valueOf.allSatisfy({ $0.value != v || readerLayers[$0.key, default: []].allSatisfy { $0 <= j } }) else { return nil }
        return (Array(layers[j...steps.end(from: j)]), other)
    }

    /// A convolution with the batch norm after it folded in and the activation and quantization as post-ops; with
    /// `residual` (`residualCandidate`), also the residual add and its activation and quantization, when the
    /// convolution's own output has neither activation nor quantization (a per-image quantization needs the whole
    /// output before the add; eltwise post-ops before the sum gave other values than the separate primitives on
    /// oneDNN 2.6's brgconv, so a static grid there is not fused either), the convolution runs on float kernels
    /// and oneDNN keeps the same implementation with the sum post-op. Returns the output tensor and the layers of the add it took (none
    /// when it did not).
    mutating func convolution(_ l: GraphLayer, _ c: ConvAttributes, batchNorm bn: GraphLayer?, activation: Activation?,
                              bits: BitWidth?, input: Int, outputName: String,
                              residual candidate: (layers: [GraphLayer], residual: String)? = nil) throws -> (Int, [GraphLayer]) {
        if x.integerSteps {
            switch try integerConvolution(l, c, batchNorm: bn, activation: activation, bits: bits, input: input, outputName: outputName) {
            case .built(let output): return (output, [])
            case .float(let reason): x.kernelFallbacks.append((l.name, reason))
            }
        }
        let inShape = shapes[inputs[indexOf[l.name]!][0]]!
        let out = shapes[l.name]!
        let oc = c.outChannels, ic = inShape.channels, k = c.kernel, g = c.groups
        let plain = k == 1 && g == 1 && out.height * out.width <= x.options.plainLayoutMaxPositions
        let tag = plain ? dnnl_nhwc : dnnl_format_tag_any
        let srcAny = try MemoryDesc.make([n, ic, inShape.height, inShape.width], tag: tag)
        let dstAny = try MemoryDesc.make([n, oc, out.height, out.width], tag: tag)
        let wDims = g > 1 ? [g, oc / g, ic / g, k, k] : [oc, ic, k, k]
        let wAny = try MemoryDesc.make(wDims, tag: dnnl_format_tag_any)
        let wPlain = try MemoryDesc.make(wDims, tag: g > 1 ? dnnl_goihw : dnnl_oihw)
        var biasMD = try MemoryDesc.make([oc], tag: dnnl_x)
        let strides = [Int64(c.stride), Int64(c.stride)], dilates = [Int64(c.dilation - 1), Int64(c.dilation - 1)]
        let pad = [Int64(c.padding), Int64(c.padding)]
        let (tailQ, tailF, range, dynamic, grid) = tails(l.name, activation: activation, bits: bits)
        // The residual add, when taken: the residual as f32 values, the add's tails on the sum's range.
        var add: (layers: [GraphLayer], value: Int, q: EltwiseTail, f: EltwiseTail, range: ActivationRange,
                  dynamic: DynamicQuantization?, grid: ActivationGrid?)?
        if let candidate, dynamic == nil, tailQ.isEmpty, tailF.isEmpty {
            let first = candidate.layers[0], last = candidate.layers.last!
            var addActivation: Activation? = nil
            if case .activation(let a) = last.op, candidate.layers.count > 1 { addActivation = a }
            let value = valueOf[candidate.residual]!
            let saved = stepRange
            stepRange = last.activationRange
            let t = tails(first.name, activation: addActivation, bits: last.actBits, input: .combining(range, ranges[value]))
            stepRange = saved
            add = (candidate.layers, value, t.q, t.f, t.range, t.dynamic, t.grid)
        }

        func pd(src: dnnl_memory_desc_t, weights: dnnl_memory_desc_t, dst: dnnl_memory_desc_t, tail: EltwiseTail,
                residual: ResidualAdd?) throws -> DNNLPrimitiveDesc {
            var s = src, w = weights, d = dst
            var desc = dnnl_convolution_desc_t()
            try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                                                     &s, &w, &biasMD, &d, strides, dilates, pad, pad),
                          "\(l.name) descriptor")
            return try descriptor(&desc, tail: tail, residual: residual, name: l.name)
        }
        var qpd = try pd(src: srcAny, weights: wAny, dst: dstAny, tail: tailQ, residual: nil)
        if let a = add {
            // Fused only where the same implementation takes the sum post-op in the layouts it chose without it
            // (otherwise a separate add is the faster): the residual is converted to that layout if it is not in it.
            let dst = qpd.md(dnnl_query_dst_md)
            let fused = try? pd(src: srcAny, weights: wAny, dst: dst, tail: tailQ, residual: ResidualAdd(tail: a.q))
            if let fused, fused.implementation == qpd.implementation,
               MemoryDesc.equal(fused.md(dnnl_query_src_md), qpd.md(dnnl_query_src_md)),
               MemoryDesc.equal(fused.md(dnnl_query_weights_md), qpd.md(dnnl_query_weights_md)) {
                qpd = fused
                add!.value = try conform(a.value, to: dst, layer: a.layers[0].name)
            } else {
                add = nil
            }
        }
        let srcMD = qpd.md(dnnl_query_src_md), dstMD = qpd.md(dnnl_query_dst_md), wMD = qpd.md(dnnl_query_weights_md)
        x.implementations.append((l.name, qpd.implementation))
        if let a = add {
            x.implementations.append((a.layers[0].name, GraphExecutor.fusedAddImplementation))
            x.fusedAdds.append((add: a.layers[0].name, convolution: l.name))
        }
        let src = try conform(input, to: srcMD, layer: l.name)
        let qprim = try DNNLPrimitive(qpd.handle)
        var fprim = qprim, scratchF = qpd.md(dnnl_query_scratchpad_md)
        if x.buildsTwin && (tailQ != tailF || add.map { $0.q != $0.f } ?? false) {
            let fpd = try pd(src: srcMD, weights: wMD, dst: dstMD, tail: tailF,
                             residual: add.map { ResidualAdd(tail: $0.f) })
            fprim = try DNNLPrimitive(fpd.handle)
            scratchF = fpd.md(dnnl_query_scratchpad_md)
        }

        // Weights: quantize, then fold the batch norm (a convolution bias enters as a shift of the mean).
        let raw = try tensor("\(l.name).weight")
        let convBias = c.bias ? try tensor("\(l.name).bias") : nil
        func fold(_ w: inout [Float]) throws -> [Float] {
            guard let bn = bn else { return convBias ?? [Float](repeating: 0, count: oc) }
            let p = try ["weight", "bias", "running_mean", "running_var"].map { try tensor("\(bn.name).\($0)") }
            var mean = p[2]
            if let convBias { for o in 0..<oc { mean[o] -= convBias[o] } }
            return foldBatchNormInPlace(&w, outChannels: oc, gamma: p[0], beta: p[1], mean: mean, variance: p[3],
                                        epsilon: weights.epsilon(bn.name))
        }
        var q = raw
        Quantizer.quantizeWeightsInPlace(&q, bits: l.bits, channels: oc, granularity: x.options.granularity)
        let bias = try fold(&q)
        let output = newValue(dstMD, range: add?.range ?? range, grid: add.map { $0.grid } ?? grid)
        let step = GraphStep(name: l.name, inputs: [(DNNLArg.src, src)], output: output, outputMD: dstMD, quantized: qprim,
                             float: fprim, scratchQ: qpd.md(dnnl_query_scratchpad_md), scratchF: scratchF)
        step.dynamic = add.map { $0.dynamic } ?? dynamic
        if let a = add {
            step.accumulates = a.value
            step.fusedAdds = [a.layers[0].name]
        }
        step.weightsQ = try place(q, plain: wPlain, target: wMD)
        step.weightsF = step.weightsQ
        if x.buildsTwin && l.bits != .float {
            var f = raw
            _ = try fold(&f)
            step.weightsF = try place(f, plain: wPlain, target: wMD)
        }
        step.bias = try place(bias, plain: biasMD, target: biasMD)
        append(step, records: add.map { [(l.name, grid), ($0.layers[0].name, $0.grid)] })
        return (output, add?.layers ?? [])
    }

    enum IntegerOutcome {
        case built(Int)
        /// The layer runs float, for this reason.
        case float(String)
    }

    /// A convolution on oneDNN's int8 kernels (IntegerKernels.swift), when its weights have at most 8 bits and its
    /// input lies on a static grid of at most 8 bits (u8 codes for an unsigned grid, s8 for a signed one): the
    /// batch norm folds into the requantization scales and the s32 bias, the activation and the output grid are
    /// post-ops. It writes codes when its output lies on a static grid of at most 8 bits and a convolution that
    /// can run int8 reads it; otherwise f32 after the float path's tail (and the per-image quantization, if any).
    mutating func integerConvolution(_ l: GraphLayer, _ c: ConvAttributes, batchNorm bn: GraphLayer?, activation: Activation?,
                                     bits: BitWidth?, input: Int, outputName: String) throws -> IntegerOutcome {
        guard l.bits.fitsInt8 else { return .float("weights are \(l.bits)") }
        guard let inGrid = grids[input] else {
            if input == 0 { return .float("reads the float input image") }
            if ranges[input] != .zeroToSix, x.values[input].data_type == dnnl_f32,
               writer[input].map({ x.steps[$0].dynamic != nil }) ?? false {
                return .float("input is quantized with a per-image range (calibrate for a static grid)")
            }
            return .float("input activations are float")
        }
        guard inGrid.fitsInt8 else { return .float("input activations have \(inGrid.bits) bits") }
        let inShape = shapes[inputs[indexOf[l.name]!][0]]!
        let out = shapes[l.name]!
        let oc = c.outChannels
        let geometry = ConvGeometry(batch: n, inChannels: inShape.channels, outChannels: oc, groups: c.groups, kernel: c.kernel,
                                    stride: c.stride, padding: c.padding, height: inShape.height, width: inShape.width,
                                    dilation: c.dilation)
        guard geometry.outHeight == out.height, geometry.outWidth == out.width else {
            throw EngineError("internal: \(l.name) int8 geometry gives \(geometry.outHeight)×\(geometry.outWidth), the accounting \(out.height)×\(out.width)")
        }
        // The batch norm as a factor and a shift per output channel, as the float path folds it.
        let convBias = c.bias ? try tensor("\(l.name).bias") : nil
        var bnScale = [Float](repeating: 1, count: oc)
        var bnBias = convBias ?? [Float](repeating: 0, count: oc)
        if let bn {
            let p = try ["weight", "bias", "running_mean", "running_var"].map { try tensor("\(bn.name).\($0)") }
            var mean = p[2]
            if let convBias { for o in 0..<oc { mean[o] -= convBias[o] } }
            bnBias = foldBatchNormInPlace(&bnScale, outChannels: oc, gamma: p[0], beta: p[1], mean: mean, variance: p[3],
                                          epsilon: weights.epsilon(bn.name))
        }
        guard let w = IntegerWeights(try tensor("\(l.name).weight"), bits: l.bits, channels: oc, granularity: x.options.granularity),
              let parameters = IntegerLayerParameters(weights: w, inputStep: inGrid.down, bnScale: bnScale, bnBias: bnBias) else {
            return .float("a requantization scale is zero or not finite, or a bias does not fit s32")
        }
        let (tailQ, _, range, dynamic, grid) = tails(l.name, activation: activation, bits: bits)
        let wanted = readerLayers[outputName, default: []].contains { k in
            if case .conv = network.layers[k].op { return network.layers[k].bits.fitsInt8 }
            return false
        }
        let codes = wanted && (grid?.fitsInt8 ?? false)
        let tail = codes ? tailQ.writingCodes : tailQ
        let conv: IntegerConvolution
        do {
            conv = try IntegerConvolution(geometry, parameters: parameters, source: inGrid.codeType,
                                          destination: codes ? grid!.codeType : dnnl_f32, context: x.context, name: l.name) {
                try tail.append(to: $0)
            }
        } catch {
            return .float("oneDNN has no int8 convolution for it (\(inGrid.signed ? "s8" : "u8") input): \(error)")
        }
        x.scratchBytes = max(x.scratchBytes, MemoryDesc.bytes(conv.scratchMD))
        x.implementations.append((l.name, conv.pd.implementation))
        let src = try conform(input, to: conv.srcMD, layer: l.name)
        let output = newValue(conv.dstMD, range: range, grid: grid)
        append(try int8Step(l, conv, src: src, output: output, outputMD: conv.dstMD, dynamic: dynamic))
        return .built(output)
    }

    /// A batch norm on its own: `x·s + (β − μ·s)` per channel, s = γ/√(σ²+ε), as a 1×1 depthwise convolution.
    mutating func scaleShift(_ l: GraphLayer, activation: Activation?, bits: BitWidth?, input: Int) throws -> Int {
        let input = try floatValue(input, layer: l.name)
        let s = shapes[l.name]!
        let c = s.channels
        var srcMD = x.values[input]
        var wMD = try MemoryDesc.make([c, 1, 1, 1, 1], tag: dnnl_format_tag_any)
        let wPlain = try MemoryDesc.make([c, 1, 1, 1, 1], tag: dnnl_goihw)
        var biasMD = try MemoryDesc.make([c], tag: dnnl_x)
        var dst = try MemoryDesc.make([n, c, s.height, s.width], tag: dnnl_format_tag_any)
        let (tailQ, tailF, range, dynamic, grid) = tails(l.name, activation: activation, bits: bits)
        let one: [Int64] = [1, 1], zero: [Int64] = [0, 0]
        func pd(_ tail: EltwiseTail) throws -> DNNLPrimitiveDesc {
            var desc = dnnl_convolution_desc_t()
            try dnnlCheck(dnnl_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                                             &srcMD, &wMD, &biasMD, &dst, one, zero, zero), "\(l.name) descriptor")
            return try descriptor(&desc, tail: tail, name: l.name)
        }
        let qpd = try pd(tailQ)
        x.implementations.append((l.name, qpd.implementation))
        let src = try conform(input, to: qpd.md(dnnl_query_src_md), layer: l.name)
        let dstMD = qpd.md(dnnl_query_dst_md)
        let qprim = try DNNLPrimitive(qpd.handle)
        var fprim = qprim, scratchF = qpd.md(dnnl_query_scratchpad_md)
        if x.buildsTwin && tailQ != tailF {
            srcMD = qpd.md(dnnl_query_src_md)
            dst = dstMD
            wMD = qpd.md(dnnl_query_weights_md)
            let fpd = try pd(tailF)
            fprim = try DNNLPrimitive(fpd.handle)
            scratchF = fpd.md(dnnl_query_scratchpad_md)
        }
        let p = try ["weight", "bias", "running_mean", "running_var"].map { try tensor("\(l.name).\($0)") }
        var w = [Float](repeating: 1, count: c)
        let bias = foldBatchNormInPlace(&w, outChannels: c, gamma: p[0], beta: p[1], mean: p[2], variance: p[3],
                                        epsilon: weights.epsilon(l.name))
        let output = newValue(dstMD, range: range, grid: grid)
        let step = GraphStep(name: l.name, inputs: [(DNNLArg.src, src)], output: output, outputMD: dstMD, quantized: qprim,
                             float: fprim, scratchQ: qpd.md(dnnl_query_scratchpad_md), scratchF: scratchF)
        step.dynamic = dynamic
        step.weightsQ = try place(w, plain: wPlain, target: qpd.md(dnnl_query_weights_md))
        step.weightsF = step.weightsQ
        step.bias = try place(bias, plain: biasMD, target: biasMD)
        append(step)
        return output
    }

    /// An activation that could not be fused: eltwise primitives on its input's layout.
    mutating func eltwise(_ l: GraphLayer, _ a: Activation, bits: BitWidth?, input: Int) throws -> Int {
        let input = try floatValue(input, layer: l.name)
        let md = x.values[input]
        let (tailQ, tailF, range, dynamic, grid) = tails(l.name, activation: a, bits: bits)
        let q = try tailPrimitives(tailQ, md: md, name: l.name)
        let f = tailQ == tailF ? q : try tailPrimitives(tailF, md: md, name: l.name)
        let output = newValue(md, range: range, grid: grid)
        let step = GraphStep(name: l.name, inputs: [(DNNLArg.src, input)], output: output, outputMD: md, quantized: q[0],
                             float: f[0], scratchQ: dnnl_memory_desc_t(), scratchF: dnnl_memory_desc_t())
        step.tailQ = Array(q.dropFirst())
        step.tailF = Array(f.dropFirst())
        step.dynamic = dynamic
        x.implementations.append((l.name, "eltwise"))
        append(step)
        return output
    }

    /// add or mul (a second input of C×1×1 is broadcast), with the activation and quantization as post-ops.
    mutating func binary(_ l: GraphLayer, activation: Activation?, bits: BitWidth?, inputs ins: [Int]) throws -> Int {
        let a = try floatValue(ins[0], layer: l.name)
        let first = x.values[a]
        let s = shapes[l.name]!
        let index = indexOf[l.name]!
        let second = shapes[inputs[index][1]]!
        let b: Int
        if second == s {
            b = try conform(ins[1], to: first, layer: l.name)
        } else {
            b = try conform(ins[1], to: try MemoryDesc.make([n, second.channels, 1, 1], tag: dnnl_nchw), layer: l.name)
        }
        let (tailQ, tailF, range, dynamic, grid) = tails(l.name, activation: activation, bits: bits,
                                                         input: ActivationRange.combining(ranges[a], ranges[ins[1]]))
        let algorithm = l.op == .add ? dnnl_binary_add : dnnl_binary_mul
        func pd(_ tail: EltwiseTail) throws -> DNNLPrimitiveDesc {
            var s0 = first, s1 = x.values[b], d = first
            var desc = dnnl_binary_desc_t()
            try dnnlCheck(dnnl_binary_desc_init(&desc, algorithm, &s0, &s1, &d), "\(l.name) descriptor")
            return try descriptor(&desc, tail: tail, name: l.name)
        }
        let qpd = try pd(tailQ)
        x.implementations.append((l.name, qpd.implementation))
        let qprim = try DNNLPrimitive(qpd.handle)
        var fprim = qprim, scratchF = qpd.md(dnnl_query_scratchpad_md)
        if x.buildsTwin && tailQ != tailF {
            let fpd = try pd(tailF)
            fprim = try DNNLPrimitive(fpd.handle)
            scratchF = fpd.md(dnnl_query_scratchpad_md)
        }
        let output = newValue(first, range: range, grid: grid)
        let step = GraphStep(name: l.name, inputs: [(DNNLArg.src, a), (DNNLArg.src1, b)], output: output, outputMD: first,
                             quantized: qprim, float: fprim, scratchQ: qpd.md(dnnl_query_scratchpad_md), scratchF: scratchF)
        step.dynamic = dynamic
        append(step)
        return output
    }

    /// Global average, max or average pooling; then, in place, the quantization of its `actBits` if it has its own.
    mutating func pool(_ l: GraphLayer, bits: BitWidth?, input: Int) throws -> Int {
        let input = try floatValue(input, layer: l.name)
        let inShape = shapes[inputs[indexOf[l.name]!][0]]!
        let out = shapes[l.name]!
        var src = x.values[input]
        var dst = try MemoryDesc.make([n, out.channels, out.height, out.width], tag: dnnl_format_tag_any)
        let algorithm: dnnl_alg_kind_t, kernel: [Int64], strides: [Int64], pad: [Int64]
        switch l.op {
        case .globalAveragePool:
            (algorithm, kernel, strides, pad) = (dnnl_pooling_avg_exclude_padding, [Int64(inShape.height), Int64(inShape.width)], [1, 1], [0, 0])
        case .maxPool(let k, let s, let p):
            (algorithm, kernel, strides, pad) = (dnnl_pooling_max, [Int64(k), Int64(k)], [Int64(s), Int64(s)], [Int64(p), Int64(p)])
        case .averagePool(let k, let s, let p):
            (algorithm, kernel, strides, pad) = (dnnl_pooling_avg_exclude_padding, [Int64(k), Int64(k)], [Int64(s), Int64(s)], [Int64(p), Int64(p)])
        default:
            throw EngineError("internal: \(l.name) is not a pooling layer")
        }
        var desc = dnnl_pooling_v2_desc_t()
        let dilation: [Int64] = [0, 0]
        try dnnlCheck(dnnl_pooling_v2_forward_desc_init(&desc, dnnl_forward_inference, algorithm, &src, &dst, strides, kernel,
                                                        dilation, pad, pad), "\(l.name) descriptor")
        let pd = try descriptor(&desc, tail: EltwiseTail(activation: nil, grid: nil), name: l.name)
        x.implementations.append((l.name, pd.implementation))
        let prim = try DNNLPrimitive(pd.handle)
        let dstMD = pd.md(dnnl_query_dst_md)
        let (tail, _, range, dynamic, grid) = tails(l.name, activation: nil, bits: bits, input: ranges[input])
        let output = newValue(dstMD, range: range, grid: grid)
        let scratch = pd.md(dnnl_query_scratchpad_md)
        let step = GraphStep(name: l.name, inputs: [(DNNLArg.src, input)], output: output, outputMD: dstMD, quantized: prim,
                             float: prim, scratchQ: scratch, scratchF: scratch)
        step.tailQ = try tailPrimitives(tail, md: dstMD, name: l.name)
        step.dynamic = dynamic
        append(step)
        return output
    }

    /// Flatten: the input reordered to plain NCHW, read as `(C·H·W)×1×1`; without act bits of its own its output
    /// keeps its input's static grid (the values are the same), so an int8 gemm can read it.
    mutating func flatten(_ l: GraphLayer, bits: BitWidth?, input: Int) throws -> Int {
        let input = try floatValue(input, layer: l.name)
        let inShape = shapes[inputs[indexOf[l.name]!][0]]!
        let plain = try MemoryDesc.make([n, inShape.channels, inShape.height, inShape.width], tag: dnnl_nchw)
        let a = try attribute()
        defer { dnnl_primitive_attr_destroy(a) }
        let pd = try DNNLPrimitiveDesc(reorderFrom: x.values[input], to: plain, engine: x.context.engine, attr: a)
        x.scratchBytes = max(x.scratchBytes, MemoryDesc.bytes(pd.md(dnnl_query_scratchpad_md)))
        let prim = try DNNLPrimitive(pd.handle)
        let (tail, _, range, dynamic, own) = tails(l.name, activation: nil, bits: bits, input: ranges[input])
        // Without act bits of its own, flatten moves values without changing them: they stay on their grid (not
        // recorded again as a quantization).
        let grid = bits == nil ? grids[input] : own
        let output = newValue(try MemoryDesc.make([n, inShape.elements, 1, 1], tag: dnnl_nchw), range: range, grid: grid)
        let scratch = pd.md(dnnl_query_scratchpad_md)
        let step = GraphStep(name: l.name, inputs: [(DNNLArg.src, input)], output: output, outputMD: plain, quantized: prim,
                             float: prim, scratchQ: scratch, scratchF: scratch)
        step.tailQ = try tailPrimitives(tail, md: plain, name: l.name)
        step.dynamic = dynamic
        x.implementations.append((l.name, "reorder"))
        append(step, records: bits == nil ? [] : nil)
        return output
    }

    /// A linear layer on `C×1×1` features, image by image (batch-1 inner products, as the block form's classifier).
    mutating func gemm(_ l: GraphLayer, features: Int, hasBias: Bool, activation: Activation?, bits: BitWidth?,
                       input: Int) throws -> Int {
        let c = shapes[inputs[indexOf[l.name]!][0]]!.channels
        let pooled = try MemoryDesc.make([n, c, 1, 1], tag: dnnl_nchw)
        var one = try MemoryDesc.make([1, c, 1, 1], tag: dnnl_nchw)
        var wAny = try MemoryDesc.make([features, c, 1, 1], tag: dnnl_format_tag_any)
        let wPlain = try MemoryDesc.make([features, c, 1, 1], tag: dnnl_oihw)
        var biasMD = try MemoryDesc.make([features], tag: dnnl_x)
        var dst = try MemoryDesc.make([1, features], tag: dnnl_nc)
        let (tailQ, tailF, range, dynamic, grid) = tails(l.name, activation: activation, bits: bits)
        if x.integerSteps {
            switch try integerGemm(l, inputs: c, features: features, hasBias: hasBias, input: input, pooled: pooled,
                                   tail: tailQ, range: range, dynamic: dynamic, grid: grid) {
            case .built(let output): return output
            case .float(let reason): x.kernelFallbacks.append((l.name, reason))
            }
        }
        func pd(_ tail: EltwiseTail) throws -> DNNLPrimitiveDesc {
            var desc = dnnl_inner_product_desc_t()
            try dnnlCheck(dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &one, &wAny, &biasMD, &dst),
                          "\(l.name) descriptor")
            return try descriptor(&desc, tail: tail, name: l.name)
        }
        let src = try conform(input, to: pooled, layer: l.name)
        let qpd = try pd(tailQ)
        x.implementations.append((l.name, qpd.implementation))
        guard MemoryDesc.equal(qpd.md(dnnl_query_src_md), one) else {
            throw EngineError("internal: the \(l.name) primitive wants another input layout")
        }
        let wMD = qpd.md(dnnl_query_weights_md)
        let qprim = try DNNLPrimitive(qpd.handle)
        var fprim = qprim, scratchF = qpd.md(dnnl_query_scratchpad_md)
        if x.buildsTwin && tailQ != tailF {
            wAny = wMD
            let fpd = try pd(tailF)
            fprim = try DNNLPrimitive(fpd.handle)
            scratchF = fpd.md(dnnl_query_scratchpad_md)
        }
        let raw = try tensor("\(l.name).weight")
        let q = Quantizer.quantizeWeights(raw, bits: l.bits, channels: features, granularity: x.options.granularity)
        let out = try MemoryDesc.make([n, features, 1, 1], tag: dnnl_nchw)
        let output = newValue(out, range: range, grid: grid)
        let step = GraphStep(name: l.name, inputs: [(DNNLArg.src, src)], output: output, outputMD: out, quantized: qprim,
                             float: fprim, scratchQ: qpd.md(dnnl_query_scratchpad_md), scratchF: scratchF)
        step.perImage = (src: one, dst: dst)
        step.dynamic = dynamic
        step.weightsQ = try place(q, plain: wPlain, target: wMD)
        step.weightsF = x.buildsTwin && l.bits != .float ? try place(raw, plain: wPlain, target: wMD) : step.weightsQ
        step.bias = try place(hasBias ? try tensor("\(l.name).bias") : [Float](repeating: 0, count: features),
                              plain: biasMD, target: biasMD)
        append(step)
        return output
    }
}

extension GraphBuilder {
    /// A gemm on oneDNN's int8 inner product (`IntegerInnerProduct`), image by image as the float one, when its
    /// weights have at most 8 bits and its input lies on a static grid of at most 8 bits (u8 codes of an unsigned
    /// grid, s8 of a signed one): the weight scales and the input step are the output scales, the bias is s32 in
    /// accumulator units, the activation and the output's quantization are post-ops on the f32 result (a per-image
    /// quantization runs after the step), as for an int8 convolution that writes f32.
    mutating func integerGemm(_ l: GraphLayer, inputs c: Int, features: Int, hasBias: Bool, input: Int,
                              pooled: dnnl_memory_desc_t, tail: EltwiseTail, range: ActivationRange,
                              dynamic: DynamicQuantization?, grid: ActivationGrid?) throws -> IntegerOutcome {
        guard l.bits.fitsInt8 else { return .float("weights are \(l.bits)") }
        guard let inGrid = grids[input] else {
            if input == 0 { return .float("reads the float input image") }
            if let mean = averagedSource(l.name) {
                return .float("input is the float mean of \(mean) (an average of codes is not on their grid)")
            }
            if ranges[input] != .zeroToSix, writer[input].map({ x.steps[$0].dynamic != nil }) ?? false {
                return .float("input is quantized with a per-image range (calibrate for a static grid)")
            }
            return .float("input activations are float")
        }
        guard inGrid.fitsInt8 else { return .float("input activations have \(inGrid.bits) bits") }
        let bias = hasBias ? try tensor("\(l.name).bias") : [Float](repeating: 0, count: features)
        guard let w = IntegerWeights(try tensor("\(l.name).weight"), bits: l.bits, channels: features, granularity: x.options.granularity),
              let parameters = IntegerLayerParameters(weights: w, inputStep: inGrid.down,
                                                      bnScale: [Float](repeating: 1, count: features), bnBias: bias) else {
            return .float("a requantization scale is zero or not finite, or a bias does not fit s32")
        }
        let ip: IntegerInnerProduct
        do {
            ip = try IntegerInnerProduct(inputs: c, features: features, parameters: parameters, source: inGrid.codeType,
                                         context: x.context, name: l.name) { try tail.append(to: $0) }
        } catch {
            return .float("oneDNN has no int8 inner product for it (\(inGrid.signed ? "s8" : "u8") input): \(error)")
        }
        x.scratchBytes = max(x.scratchBytes, MemoryDesc.bytes(ip.scratchMD))
        x.implementations.append((l.name, ip.pd.implementation))
        var codes = pooled
        codes.data_type = inGrid.codeType
        let src = try conform(input, to: codes, layer: l.name)
        let out = try MemoryDesc.make([n, features, 1, 1], tag: dnnl_nchw)
        let output = newValue(out, range: range, grid: grid)
        let step = try int8Step(l, ip, src: src, output: output, outputMD: out, dynamic: dynamic)
        step.perImage = (src: ip.srcMD, dst: ip.dstMD)
        append(step)
        return .built(output)
    }

    /// The step of an int8 kernel (convolution or inner product): one primitive for both paths, its s8 weights and
    /// s32 bias as oneDNN memories (the buffers kept alive with the network), recorded as int8.
    mutating func int8Step(_ l: GraphLayer, _ k: some IntegerPrimitive, src: Int, output: Int, outputMD: dnnl_memory_desc_t,
                           dynamic: DynamicQuantization?) throws -> GraphStep {
        x.weightBuffers += [k.weights, k.bias]
        let step = GraphStep(name: l.name, inputs: [(DNNLArg.src, src)], output: output, outputMD: outputMD,
                             quantized: k.primitive, float: k.primitive, scratchQ: k.scratchMD, scratchF: k.scratchMD)
        step.dynamic = dynamic
        step.weightsQ = try DNNLMemory(k.weightsMD, engine: x.context.engine, pointer: k.weights.pointer)
        step.weightsF = step.weightsQ
        step.bias = try DNNLMemory(k.biasMD, engine: x.context.engine, pointer: k.bias.pointer)
        step.kernel = .int8
        return step
    }

    /// The average pooling without act bits of its own whose output reaches layer `name` through flattens only,
    /// if any (its mean of codes is float: the reason a gemm after it runs float).
    func averagedSource(_ name: String) -> String? {
        var k = indexOf[name]!
        while let from = inputs[k].first, let j = indexOf[from] {
            switch network.layers[j].op {
            case .flatten: k = j
            case .globalAveragePool, .averagePool: return network.layers[j].actBits == nil ? from : nil
            default: return nil
            }
        }
        return nil
    }
}

extension DNNLArg {
    /// `DNNL_ARG_SRC_1`: a binary primitive's second input.
    static let src1: Int32 = 2
}
