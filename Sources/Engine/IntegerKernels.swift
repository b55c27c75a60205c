#if canImport(Glibc)
import Glibc
#endif
import BitOpsCore
import CDNNL

// Integer execution: oneDNN's int8 convolutions (and, for graph networks, inner products) for the layers whose
// weights and input activations are quantized to at most 8 bits.
//
// ## What an integer layer computes
// Input activations are the codes `k ∈ [0, L_in]` (u8) of the previous layer's grid `k · R_in/L_in` (R = 6, the
// fixed range, unless calibrated: Calibration.swift); weights are
// the codes `c ∈ [−2^(b−1), 2^(b−1) − 1]` (s8; 1 bit: {−1, 0, 1}) of the weight quantizer (`Quantizer`), whose
// scale is `s_w` (per tensor or per output channel). BatchNorm folds into a per-output-channel factor `g` and
// bias `β` exactly as on the float path, so with
//
//     eff[o]  = (R_in/L_in) · s_w[o] · g[o]                        (Float, multiplied in this order)
//     bias[o] = roundHalfToEven(β[o] / eff[o])                      (s32, in accumulator units)
//     acc     = Σ k · c                                              (s32, exact)
//     y       = eff[o] · (Float(acc) + Float(bias[o]))               (oneDNN's output scales, mask 2)
//
// the layer's output is `roundHalfToEven(L_out/R_out · clamp(y, 0, R_out))` as a u8 code when the next layer also
// runs integer (ReLU6 is the `eltwise_clip` post-op whose own scale is `L_out/R_out`; the conversion to u8 rounds half
// to even and saturates), or the float path's post-op chain applied to `y` (f32) when the next layer runs
// float. A weight code times its scale is exactly the fake-quantized weight, so the integer and the simulated
// (fake-quantized float) runs differ only by the rounding of the bias and of the float sums.
//
// Sub-8-bit weights execute as int8 (their codes use a narrower range of it): the hardware does not get
// faster below 8 bits here, whatever BitOps predicts.

// `Kernels` (the choice) and `LayerKernel` (what one layer ran on) are vocabulary in BitOpsCore (Kernels.swift),
// shared with the sweep spec and the results.

extension BitWidth {
    /// A quantized width of at most 8 bits: its codes fit int8 (weights) and uint8 (activations).
    var fitsInt8: Bool { quantized.map { $0 <= 8 } ?? false }
}

/// A layer's weights as integer codes with one scale per output channel (per-tensor scales repeated):
/// `codes[i] · scales[channel(i)]` is exactly `Quantizer.quantizeWeights` of the same values.
struct IntegerWeights: Equatable {
    var codes: [Int8]
    var scales: [Float]

    /// Nil when `bits` is more than 8 or 32 (float).
    init?(_ w: [Float], bits width: BitWidth, channels: Int, granularity: QuantGranularity) {
        guard let bits = width.quantized, (1...8).contains(bits), channels > 0, w.count % channels == 0 else { return nil }
        let per = w.count / channels
        let groups = granularity == .perChannel ? channels : 1
        let n = w.count / groups
        var codes = [Int8](repeating: 0, count: w.count)
        var groupScales = [Float](repeating: 0, count: groups)
        for g in 0..<groups {
            let range = (g * n)..<((g + 1) * n)
            var stats = Quantizer.SliceStatistics()
            stats.add(w, range)
            if bits == 1 {
                groupScales[g] = Float(stats.sumAbs / Double(stats.count))
                for i in range { codes[i] = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0) }
                continue
            }
            let qmax = Float((1 << (bits - 1)) - 1), qmin = -Float(1 << (bits - 1))
            let scale = stats.maxAbs / qmax
            guard scale > 0, scale.isFinite else { continue }   // all zeros: codes 0, scale 0
            groupScales[g] = scale
            for i in range { codes[i] = Int8(min(max((w[i] / scale).rounded(.toNearestOrEven), qmin), qmax)) }
        }
        self.codes = codes
        scales = (0..<channels).map { groupScales[granularity == .perChannel ? $0 : 0] }
        _ = per
    }
}

/// The geometry of one convolution (NCHW, square kernel, symmetric padding, dilation 1 unless given).
struct ConvGeometry: Hashable {
    var batch: Int
    var inChannels: Int
    var outChannels: Int
    /// 1, or `inChannels` (= `outChannels`) for a depthwise convolution.
    var groups: Int
    var kernel: Int
    var stride: Int
    var padding: Int
    var height: Int
    var width: Int
    /// 1: taps on adjacent positions.
    var dilation = 1

    /// The kernel's extent on the map: `dilation · (kernel − 1) + 1`.
    var extent: Int { dilation * (kernel - 1) + 1 }
    var outHeight: Int { (height + 2 * padding - extent) / stride + 1 }
    var outWidth: Int { (width + 2 * padding - extent) / stride + 1 }
    /// Weights per output channel.
    var perChannel: Int { (inChannels / groups) * kernel * kernel }
    var weightDims: [Int] { groups > 1 ? [groups, outChannels / groups, inChannels / groups, kernel, kernel] : [outChannels, inChannels, kernel, kernel] }
    var weightTag: dnnl_format_tag_t { groups > 1 ? dnnl_goihw : dnnl_oihw }
}

/// What an integer layer needs besides its geometry: codes, requantization factors and s32 bias.
struct IntegerLayerParameters {
    /// s8 weight codes, plain `[out, in/groups, k, k]`.
    var codes: [Int8]
    /// `eff[o]` (see the top of this file).
    var scales: [Float]
    var bias: [Int32]

    /// From integer weights, the input grid's bits and the folded BatchNorm (factor `g`, bias `β`); nil when a
    /// channel's factor is zero or not finite, or its bias does not fit s32 (the layer then runs float).
    init?(weights: IntegerWeights, inputBits: BitWidth, inputRange: Float = Quantizer.fixedActivationRange,
          bnScale: [Float], bnBias: [Float]) {
        guard let f = Quantizer.activationFactors(bits: inputBits, range: inputRange) else { return nil }
        self.init(weights: weights, inputStep: f.down, bnScale: bnScale, bnBias: bnBias)
    }

    /// As above, with the input grid given by its step (`R_in/L_in`; a signed grid's `R/(2^(a−1) − 1)`).
    init?(weights: IntegerWeights, inputStep: Float, bnScale: [Float], bnBias: [Float]) {
        var scales = [Float](), bias = [Int32]()
        for o in 0..<weights.scales.count {
            let eff = inputStep * weights.scales[o] * bnScale[o]
            guard eff != 0, eff.isFinite else { return nil }
            let b = (Double(bnBias[o]) / Double(eff)).rounded(.toNearestOrEven)
            guard b.isFinite, abs(b) < 2_000_000_000 else { return nil }
            scales.append(eff)
            bias.append(Int32(b))
        }
        codes = weights.codes
        self.scales = scales
        self.bias = bias
    }

    init(codes: [Int8], scales: [Float], bias: [Int32]) {
        self.codes = codes
        self.scales = scales
        self.bias = bias
    }
}

/// What an int8 kernel of this file holds for running it: its primitive, and its s8 weights and s32 bias in the
/// layouts oneDNN chose (their descriptors read from the primitive descriptor).
protocol IntegerPrimitive: AnyObject {
    var pd: DNNLPrimitiveDesc { get }
    var primitive: DNNLPrimitive { get }
    var weights: AlignedBuffer { get }
    var bias: AlignedBuffer { get }
}

extension IntegerPrimitive {
    var weightsMD: dnnl_memory_desc_t { pd.md(dnnl_query_weights_md) }
    /// The bias descriptor (s32, plain).
    var biasMD: dnnl_memory_desc_t { pd.md(dnnl_query_weights_md, index: 1) }
    var scratchMD: dnnl_memory_desc_t { pd.md(dnnl_query_scratchpad_md) }
}

/// One oneDNN int8 convolution (u8 source, s8 weights, s32 bias) with its weights placed in the layout it
/// chose. The destination is u8 codes of an `outputBits` grid (`outputCodes`) or f32 after the float path's
/// activation chain.
final class IntegerConvolution: IntegerPrimitive {
    let geometry: ConvGeometry
    let pd: DNNLPrimitiveDesc
    let primitive: DNNLPrimitive
    let weights: AlignedBuffer
    let bias: AlignedBuffer
    var srcMD: dnnl_memory_desc_t { pd.md(dnnl_query_src_md) }
    var dstMD: dnnl_memory_desc_t { pd.md(dnnl_query_dst_md) }

    /// - outputCodes: u8 destination (`outputBits` ≤ 8) or f32 (any `outputBits`, 32 = ReLU6 only).
    convenience init(_ g: ConvGeometry, parameters p: IntegerLayerParameters, outputBits: BitWidth,
                     outputRange: Float = Quantizer.fixedActivationRange, outputCodes: Bool, context: DNNLContext, name: String) throws {
        precondition(!outputCodes || outputBits.fitsInt8)
        try self.init(g, parameters: p, source: dnnl_u8, destination: outputCodes ? dnnl_u8 : dnnl_f32, context: context, name: name) {
            try appendActivationPostOps($0, bits: outputBits, range: outputRange, codes: outputCodes)
        }
    }

    /// The general form (graph networks): a u8 or s8 source (codes of an unsigned or signed grid), a u8, s8 or f32
    /// destination, and the post-ops `postOps` appends after the output scales. oneDNN's refusal of a combination
    /// (an s8 source on a CPU without a kernel for it) is thrown.
    init(_ g: ConvGeometry, parameters p: IntegerLayerParameters, source: dnnl_data_type_t, destination: dnnl_data_type_t,
         context: DNNLContext, name: String, postOps: (dnnl_primitive_attr_t) throws -> Void) throws {
        precondition(p.codes.count == g.outChannels * g.perChannel && p.scales.count == g.outChannels && p.bias.count == g.outChannels)
        geometry = g
        var src = try MemoryDesc.make([g.batch, g.inChannels, g.height, g.width], tag: dnnl_format_tag_any, type: source)
        var dst = try MemoryDesc.make([g.batch, g.outChannels, g.outHeight, g.outWidth], tag: dnnl_format_tag_any, type: destination)
        var w = try MemoryDesc.make(g.weightDims, tag: dnnl_format_tag_any, type: dnnl_s8)
        var b = try MemoryDesc.make([g.outChannels], tag: dnnl_x, type: dnnl_s32)
        let strides: [Int64] = [Int64(g.stride), Int64(g.stride)], pad: [Int64] = [Int64(g.padding), Int64(g.padding)]
        let dilates: [Int64] = [Int64(g.dilation - 1), Int64(g.dilation - 1)]
        var desc = dnnl_convolution_desc_t()
        try dnnlCheck(dnnl_dilated_convolution_forward_desc_init(&desc, dnnl_forward_inference, dnnl_convolution_direct,
                                                                 &src, &w, &b, &dst, strides, dilates, pad, pad), "\(name) int8 descriptor")
        var a: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&a), "attribute")
        defer { dnnl_primitive_attr_destroy(a) }
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "scratchpad mode")
        let uniform = p.scales.allSatisfy { $0 == p.scales[0] }
        try dnnlCheck(dnnl_primitive_attr_set_output_scales(a, uniform ? 1 : Int64(g.outChannels), uniform ? 0 : 1 << 1,
                                                            uniform ? [p.scales[0]] : p.scales), "\(name) output scales")
        try postOps(a!)
        let pd = try withUnsafePointer(to: &desc) {
            try DNNLPrimitiveDesc(UnsafeRawPointer($0), attr: a, engine: context.engine, what: "\(name) int8 primitive descriptor")
        }
        self.pd = pd
        primitive = try DNNLPrimitive(pd.handle)
        let plainW = try MemoryDesc.make(g.weightDims, tag: g.weightTag, type: dnnl_s8)
        weights = try p.codes.withUnsafeBytes { raw in
            try context.reorder(UnsafeMutableRawPointer(mutating: raw.baseAddress!), from: plainW, to: pd.md(dnnl_query_weights_md))
        }
        bias = try AlignedBuffer(bytes: g.outChannels * 4)
        p.bias.withUnsafeBytes { bias.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// Runs on a plain NCHW u8 input and returns the plain NCHW output (u8 codes widened, or f32): for tests
    /// and probes, not for the network's hot path.
    func runPlain(_ input: [UInt8], context: DNNLContext) throws -> [Float] {
        let g = geometry
        precondition(input.count == g.batch * g.inChannels * g.height * g.width)
        let plainSrc = try MemoryDesc.make([g.batch, g.inChannels, g.height, g.width], tag: dnnl_nchw, type: dnnl_u8)
        let srcBuf = try input.withUnsafeBytes { raw in
            try context.reorder(UnsafeMutableRawPointer(mutating: raw.baseAddress!), from: plainSrc, to: srcMD)
        }
        let dstBuf = try AlignedBuffer(bytes: MemoryDesc.bytes(dstMD))
        let scratch = try AlignedBuffer(bytes: MemoryDesc.bytes(scratchMD))
        let s = try DNNLMemory(srcMD, engine: context.engine, pointer: srcBuf.pointer)
        let d = try DNNLMemory(dstMD, engine: context.engine, pointer: dstBuf.pointer)
        let wm = try DNNLMemory(weightsMD, engine: context.engine, pointer: weights.pointer)
        let bm = try DNNLMemory(biasMD, engine: context.engine, pointer: bias.pointer)
        let sm = try DNNLMemory(scratchMD, engine: context.engine, pointer: scratch.pointer)
        var args = [dnnl_exec_arg_t(arg: DNNLArg.src, memory: s.handle), dnnl_exec_arg_t(arg: DNNLArg.dst, memory: d.handle),
                    dnnl_exec_arg_t(arg: DNNLArg.weights, memory: wm.handle), dnnl_exec_arg_t(arg: DNNLArg.bias, memory: bm.handle),
                    dnnl_exec_arg_t(arg: DNNLArg.scratchpad, memory: sm.handle)]
        try dnnlCheck(dnnl_primitive_execute(primitive.handle, context.stream, Int32(args.count), &args), "int8 convolution")
        try dnnlCheck(dnnl_stream_wait(context.stream), "stream wait")
        let codes = dstMD.data_type == dnnl_u8
        let plainDst = try MemoryDesc.make([g.batch, g.outChannels, g.outHeight, g.outWidth], tag: dnnl_nchw,
                                           type: codes ? dnnl_u8 : dnnl_f32)
        let out = try context.reorder(dstBuf.pointer, from: dstMD, to: plainDst)
        let count = g.batch * g.outChannels * g.outHeight * g.outWidth
        if codes {
            return (0..<count).map { Float(out.pointer.load(fromByteOffset: $0, as: UInt8.self)) }
        }
        return Array(UnsafeBufferPointer(start: out.floats, count: count))
    }
}

/// One oneDNN int8 inner product for one image (a graph's gemm on `C×1×1` features, run image by image as the
/// float path's): u8 or s8 source (codes of the input's static grid), s8 weights, s32 bias, f32 destination
/// `[1, features]` after the output scales and the post-ops `postOps` appends (the float path's tail). The same
/// arithmetic as `IntegerConvolution` (see the top of this file), with no batch norm: `eff[o] = (R_in/L_in) · s_w[o]`,
/// `bias[o] = roundHalfToEven(b[o] / eff[o])`, `y = eff[o] · (Float(Σ k · c) + Float(bias[o]))`.
final class IntegerInnerProduct: IntegerPrimitive {
    let pd: DNNLPrimitiveDesc
    let primitive: DNNLPrimitive
    let weights: AlignedBuffer
    let bias: AlignedBuffer
    /// The batch-1 source `[1, C, 1, 1]` (plain) and destination `[1, features]`.
    let srcMD: dnnl_memory_desc_t
    let dstMD: dnnl_memory_desc_t

    /// `p.codes` are the plain `[features, C]` weight codes. oneDNN's refusal (no int8 kernel for the source
    /// type on this CPU) is thrown.
    init(inputs c: Int, features: Int, parameters p: IntegerLayerParameters, source: dnnl_data_type_t,
         context: DNNLContext, name: String, postOps: (dnnl_primitive_attr_t) throws -> Void) throws {
        precondition(p.codes.count == features * c && p.scales.count == features && p.bias.count == features)
        var src = try MemoryDesc.make([1, c, 1, 1], tag: dnnl_nchw, type: source)
        var w = try MemoryDesc.make([features, c, 1, 1], tag: dnnl_format_tag_any, type: dnnl_s8)
        var b = try MemoryDesc.make([features], tag: dnnl_x, type: dnnl_s32)
        var dst = try MemoryDesc.make([1, features], tag: dnnl_nc, type: dnnl_f32)
        var desc = dnnl_inner_product_desc_t()
        try dnnlCheck(dnnl_inner_product_forward_desc_init(&desc, dnnl_forward_inference, &src, &w, &b, &dst),
                      "\(name) int8 descriptor")
        var a: dnnl_primitive_attr_t?
        try dnnlCheck(dnnl_primitive_attr_create(&a), "attribute")
        defer { dnnl_primitive_attr_destroy(a) }
        try dnnlCheck(dnnl_primitive_attr_set_scratchpad_mode(a, dnnl_scratchpad_mode_user), "scratchpad mode")
        let uniform = p.scales.allSatisfy { $0 == p.scales[0] }
        try dnnlCheck(dnnl_primitive_attr_set_output_scales(a, uniform ? 1 : Int64(features), uniform ? 0 : 1 << 1,
                                                            uniform ? [p.scales[0]] : p.scales), "\(name) output scales")
        try postOps(a!)
        let pd = try withUnsafePointer(to: &desc) {
            try DNNLPrimitiveDesc(UnsafeRawPointer($0), attr: a, engine: context.engine, what: "\(name) int8 primitive descriptor")
        }
        guard MemoryDesc.equal(pd.md(dnnl_query_src_md), src), MemoryDesc.equal(pd.md(dnnl_query_dst_md), dst) else {
            throw EngineError("internal: the \(name) int8 inner product wants other input or output layouts")
        }
        self.pd = pd
        srcMD = src
        dstMD = dst
        primitive = try DNNLPrimitive(pd.handle)
        let plainW = try MemoryDesc.make([features, c, 1, 1], tag: dnnl_oihw, type: dnnl_s8)
        weights = try p.codes.withUnsafeBytes { raw in
            try context.reorder(UnsafeMutableRawPointer(mutating: raw.baseAddress!), from: plainW, to: pd.md(dnnl_query_weights_md))
        }
        bias = try AlignedBuffer(bytes: features * 4)
        p.bias.withUnsafeBytes { bias.pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }
}

/// ReLU6 and activation quantization as post-ops on the grid [0, R] (R = `range`, 6 unless calibrated). Codes:
/// `clip(x, 0, R)` scaled by `L/R` (the u8 conversion rounds). Float: the float path's chain (`L/R · clip`,
/// then `R/L · round`; ReLU6 alone for 32 bits).
func appendActivationPostOps(_ attr: dnnl_primitive_attr_t, bits: BitWidth?, range: Float = Quantizer.fixedActivationRange,
                             codes: Bool = false) throws {
    guard let bits else { return }
    var po: dnnl_post_ops_t?
    try dnnlCheck(dnnl_post_ops_create(&po), "post-ops")
    defer { dnnl_post_ops_destroy(po) }
    // Two eltwise_linear post-ops in one chain were miscomputed by oneDNN 2.6's AVX2 kernels (the second
    // reused the first's alpha): the factors ride on the post-ops' own `scale` argument instead.
    let f = Quantizer.activationFactors(bits: bits, range: range)
    try dnnlCheck(dnnl_post_ops_append_eltwise(po, f?.up ?? 1, dnnl_eltwise_clip, 0, f == nil ? 6 : range), "ReLU6 post-op")
    if let f, !codes {
        try dnnlCheck(dnnl_post_ops_append_eltwise(po, f.down, dnnl_eltwise_round, 0, 0), "activation round post-op")
    }
    try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, po), "set post-ops")
}

/// The requantization of one accumulator, as documented at the top of this file (for references and tests).
func requantize(accumulator: Int32, bias: Int32, scale: Float, outputBits: BitWidth,
                outputRange: Float = Quantizer.fixedActivationRange) -> UInt8 {
    let y = scale * (Float(accumulator) + Float(bias))
    let f = Quantizer.activationFactors(bits: outputBits, range: outputRange)!
    return UInt8((f.up * min(max(y, 0), outputRange)).rounded(.toNearestOrEven))
}
