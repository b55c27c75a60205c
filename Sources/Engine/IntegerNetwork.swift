#if canImport(Glibc)
import Glibc
#endif
import BitOpsCore
import CDNNL

// The quantized network on integer kernels: a second op list beside the float one (which the float twin and
// the simulated run keep using). Which layers run int8 is decided from the configuration alone:
//
// - a convolution runs int8 when its weights have at most 8 bits and its input is the output of a layer
//   whose activations are quantized to at most 8 bits (the first layer sees the float image: it runs float),
//   and its requantization factors are usable (non-zero, finite; the bias fits s32);
// - an int8 layer writes u8 codes when the next layer also runs int8, else f32 through the float path's
//   activation chain; a float layer followed by an int8 layer is followed by a reorder f32 → u8 (scale L/R,
//   R = 6 unless calibrated),
//   which is timed with the layer that needed it;
// - pooling and the classifier run float, as on the float path.

extension Network {
    /// Integer parameters per convolution layer (in `cost.layers` order), nil for layers that run float.
    func integerParameters(provider: WeightProvider) throws -> [IntegerLayerParameters?] {
        let convs = cost.layers.filter { $0.kind != .linear }
        var out: [IntegerLayerParameters?] = []
        for (i, layer) in convs.enumerated() {
            let inputBits = i == 0 ? nil : convs[i - 1].outputBits
            guard let inputBits, inputBits.fitsInt8, layer.weightBits.fitsInt8 else { out.append(nil); continue }
            let names = Network.tensorNames(layer)
            let oc = layer.outputShape.channels, ic = layer.inputShape.channels, k = layer.kernel
            let shape = layer.groups > 1 ? [oc, 1, k, k] : [oc, ic, k, k]
            let raw = try provider.values(names.weight, shape: shape, rows: 0..<oc)
            let bn = try ["weight", "bias", "running_mean", "running_var"].map { try provider.tensor("\(names.bn).\($0)", shape: [oc]).data }
            var bnScale = [Float](repeating: 0, count: oc), bnBias = [Float](repeating: 0, count: oc)
            for o in 0..<oc {   // as foldBatchNormInPlace
                bnScale[o] = bn[0][o] / (bn[3][o] + NetworkWeights.batchNormEpsilon).squareRoot()
                bnBias[o] = bn[1][o] - bn[2][o] * bnScale[o]
            }
            guard let w = IntegerWeights(raw, bits: layer.weightBits, channels: oc, granularity: options.granularity) else {
                out.append(nil); continue
            }
            out.append(IntegerLayerParameters(weights: w, inputBits: inputBits, inputRange: activationRange(convs[i - 1].name),
                                              bnScale: bnScale, bnBias: bnBias))
        }
        return out
    }

    /// The op list of the integer run and the kernel of every layer; nil when no layer can run int8 (an
    /// error for `.integer`).
    func buildIntegerOps(provider: WeightProvider, twinProbes: Bool) throws -> (ops: [Op], kernels: [(layer: String, kernel: LayerKernel)])? {
        let params = try integerParameters(provider: provider)
        guard params.contains(where: { $0 != nil }) else {
            if options.kernels == .integer {
                throw EngineError("kernels integer: no layer of \(Network.describe(spec, inputSize)) can run on integer kernels (they need weights of at most 8 bits and input activations quantized to at most 8 bits; the first layer sees the float image)")
            }
            return nil
        }
        let convs = cost.layers.filter { $0.kind != .linear }
        let n = options.batchSize
        var list: [Op] = []
        var kernels: [(layer: String, kernel: LayerKernel)] = []
        var current = inputMD
        var gridBits: BitWidth? = nil   // bits of the grid the running activation is on (for f32 → u8 reorders)
        var gridRange = Quantizer.fixedActivationRange   // and its range

        func conform(to md: dnnl_memory_desc_t, layer: String) throws {
            guard !MemoryDesc.equal(current, md) else { return }
            var a: dnnl_primitive_attr_t?
            try dnnlCheck(dnnl_primitive_attr_create(&a), "attribute")
            defer { dnnl_primitive_attr_destroy(a) }
            try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "scratchpad mode")
            if current.data_type == dnnl_f32 && md.data_type == dnnl_u8 {
                guard let bits = gridBits, let f = Quantizer.activationFactors(bits: bits, range: gridRange) else {
                    throw EngineError("internal: \(layer) wants u8 codes of a float activation")
                }
                try dnnlCheck(dnnl_primitive_attr_set_output_scales(a, 1, 0, [f.up]), "f32 → u8 scale")
            } else if current.data_type != md.data_type {
                throw EngineError("internal: no reorder from \(current.data_type) to \(md.data_type) before \(layer)")
            }
            let pd = try DNNLPrimitiveDesc(reorderFrom: current, to: md, engine: context.engine, attr: a)
            let prim = try DNNLPrimitive(pd.handle)
            let op = Op(name: layer, srcMD: current, dstMD: md, scratchMD: pd.md(dnnl_query_scratchpad_md), quantized: prim, float: prim)
            op.isReorder = true
            list.append(op)
            current = md
        }

        for (i, layer) in convs.enumerated() {
            let floatOp = ops.first { $0.name == layer.name && !$0.isReorder }!
            guard let p = params[i] else {
                try conform(to: floatOp.srcMD, layer: layer.name)
                list.append(floatOp)
                kernels.append((layer.name, .float))
                current = floatOp.dstMD
                gridBits = layer.outputBits
                gridRange = activationRange(layer.name)
                continue
            }
            let g = ConvGeometry(batch: n, inChannels: layer.inputShape.channels, outChannels: layer.outputShape.channels,
                                 groups: layer.groups, kernel: layer.kernel, stride: layer.stride, padding: layer.padding,
                                 height: layer.inputShape.height, width: layer.inputShape.width)
            let codes = i + 1 < convs.count && params[i + 1] != nil
            let conv = try IntegerConvolution(g, parameters: p, outputBits: layer.outputBits, outputRange: activationRange(layer.name),
                                              outputCodes: codes, context: context, name: layer.name)
            try conform(to: conv.srcMD, layer: layer.name)
            weightBuffers += [conv.weights, conv.bias]
            let op = Op(name: layer.name, srcMD: conv.srcMD, dstMD: conv.dstMD, scratchMD: conv.scratchMD,
                        quantized: conv.primitive, float: conv.primitive)
            op.weightsQ = try DNNLMemory(conv.weightsMD, engine: context.engine, pointer: conv.weights.pointer)
            op.weightsF = op.weightsQ
            op.bias = try DNNLMemory(conv.biasMD, engine: context.engine, pointer: conv.bias.pointer)
            op.blockEnd = floatOp.blockEnd
            if twinProbes && op.blockEnd != nil && !MemoryDesc.equal(conv.dstMD, floatOp.dstMD) {
                // The block's output, dequantized into the twin's layout, for the per-block SQNR (not timed).
                var a: dnnl_primitive_attr_t?
                try dnnlCheck(dnnl_primitive_attr_create(&a), "attribute")
                defer { dnnl_primitive_attr_destroy(a) }
                if codes, let f = Quantizer.activationFactors(bits: layer.outputBits, range: activationRange(layer.name)) {
                    try dnnlCheck(dnnl_primitive_attr_set_output_scales(a, 1, 0, [f.down]), "probe scale")
                }
                let pd = try DNNLPrimitiveDesc(reorderFrom: conv.dstMD, to: floatOp.dstMD, engine: context.engine, attr: a)
                op.probe = (try DNNLPrimitive(pd.handle), floatOp.dstMD)
            }
            if let k = implementations.firstIndex(where: { $0.layer == layer.name }) {
                implementations[k].implementation = conv.pd.implementation
            }
            list.append(op)
            kernels.append((layer.name, .int8))
            current = conv.dstMD
            gridBits = layer.outputBits
            gridRange = activationRange(layer.name)
        }
        let pool = ops.firstIndex { $0.name == "pool" }!
        try conform(to: ops[pool].srcMD, layer: "pool")
        list += ops[pool...]
        kernels += [("pool", .float), ("classifier", .float)]
        return (list, kernels)
    }
}
