import BitOpsCore
import CDNNL

/// The element-wise tail of a graph step: the activation fused into it and the quantization of its output,
/// as a list of oneDNN eltwise operations (applied as post-ops of a convolution, binary or inner product, or
/// as in-place eltwise primitives after a layer that takes no post-ops).
///
/// Activations (oneDNN 2.6 algorithms):
///
///     relu          max(x, 0)                    eltwise_relu
///     relu6         clip(x, 0, 6)                eltwise_clip 0, 6
///     sigmoid       1 / (1 + e^−x)               eltwise_logistic
///     hard-sigmoid  clip(x/6 + 1/2, 0, 1)        eltwise_linear 1/6, 1/2 → eltwise_clip 0, 1
///                   (PyTorch's hardsigmoid; ONNX HardSigmoid with alpha 1/6)
///     hard-swish    x · clip(x + 3, 0, 6) / 6    eltwise_hardswish
///
/// Activation quantization at `a` bits (see `ActivationRange`): values known to lie in [0, 6] — after relu6,
/// sigmoid or hard-sigmoid, or pooling and flatten of such values — use the block form's fixed grid
/// `round(clip(x, 0, 6)·(L/6))·(6/L)`, L = 2^a − 1 (`Quantizer.quantizeActivation`), fused as the block form's
/// post-op chain (a clip to [0, 6] already is relu6, so relu6 is not repeated before it). Rounding is half to
/// even (oneDNN's eltwise_round). Other values (a linear bottleneck, a residual sum, relu, hard-swish) have
/// no fixed range and are quantized after the step with a per-image range (`DynamicQuantization`).
struct EltwiseTail: Equatable {
    struct Step: Equatable {
        var algorithm: dnnl_alg_kind_t
        /// The post-op's output scale (eltwise primitives: a following eltwise_linear when not 1).
        var scale: Float
        var alpha: Float
        var beta: Float
    }
    var steps: [Step] = []

    var isEmpty: Bool { steps.isEmpty }

    /// The tail for `activation` (nil: none) then, when given, quantization on the fixed grid of `grid` bits
    /// (for values within [0, 6] only).
    init(activation: Activation?, grid bits: BitWidth?) {
        self.init(activation: activation, on: bits.flatMap { b in b.quantized.map { ActivationGrid(bits: $0, range: Quantizer.fixedActivationRange, signed: false) } })
    }

    /// The tail for `activation` then, when given, quantization on `grid`: `clip(x, lower, R)` scaled by `L/R`,
    /// rounded, scaled by `R/L`. On an unsigned grid the clip to [0, R] is the relu, and the relu6 too (R ≤ 6 on
    /// values after relu6), so neither is repeated before it.
    init(activation: Activation?, on grid: ActivationGrid?) {
        let unsignedGrid = grid.map { !$0.signed } ?? false
        switch activation {
        case .relu?: if !unsignedGrid { steps.append(Step(algorithm: dnnl_eltwise_relu, scale: 1, alpha: 0, beta: 0)) }
        case .relu6?: if !unsignedGrid { steps.append(Step(algorithm: dnnl_eltwise_clip, scale: 1, alpha: 0, beta: 6)) }
        case .sigmoid?: steps.append(Step(algorithm: dnnl_eltwise_logistic, scale: 1, alpha: 0, beta: 0))
        case .hardSigmoid?:
            steps.append(Step(algorithm: dnnl_eltwise_linear, scale: 1, alpha: 1.0 / 6, beta: 0.5))
            steps.append(Step(algorithm: dnnl_eltwise_clip, scale: 1, alpha: 0, beta: 1))
        case .hardSwish?: steps.append(Step(algorithm: dnnl_eltwise_hardswish, scale: 1, alpha: 0, beta: 0))
        case nil: break
        }
        if let grid {
            steps.append(Step(algorithm: dnnl_eltwise_clip, scale: grid.up, alpha: grid.lower, beta: grid.range))
            steps.append(Step(algorithm: dnnl_eltwise_round, scale: grid.down, alpha: 0, beta: 0))
        }
    }

    /// The tail of an int8 layer that writes codes of the grid this tail ends on: without the final round and
    /// scale back (the conversion to u8 or s8 rounds half to even and saturates).
    var writingCodes: EltwiseTail {
        var t = self
        if t.steps.last?.algorithm == dnnl_eltwise_round { t.steps.removeLast() }
        return t
    }

    /// The tail as post-ops on `attr`; with `residual`, then the residual add and its tail (`ResidualAdd`).
    func append(to attr: dnnl_primitive_attr_t, residual: ResidualAdd? = nil) throws {
        guard !steps.isEmpty || residual != nil else { return }
        var po: dnnl_post_ops_t?
        try dnnlCheck(dnnl_post_ops_create(&po), "post-ops")
        defer { dnnl_post_ops_destroy(po) }
        for s in steps {
            try dnnlCheck(dnnl_post_ops_append_eltwise(po, s.scale, s.algorithm, s.alpha, s.beta), "eltwise post-op")
        }
        if let residual {
            try dnnlCheck(dnnl_post_ops_append_sum(po, 1), "residual sum post-op")
            for s in residual.tail.steps {
                try dnnlCheck(dnnl_post_ops_append_eltwise(po, s.scale, s.algorithm, s.alpha, s.beta), "eltwise post-op")
            }
        }
        try dnnlCheck(dnnl_primitive_attr_set_post_ops(attr, po), "set post-ops")
    }

    /// The tail as a list of plain eltwise operations `(algorithm, alpha, beta)` for in-place primitives: a
    /// step with a scale other than 1 becomes the operation then `eltwise_linear(scale, 0)` — the same float
    /// product as the post-op's scale.
    var primitiveOperations: [(algorithm: dnnl_alg_kind_t, alpha: Float, beta: Float)] {
        steps.flatMap { s -> [(algorithm: dnnl_alg_kind_t, alpha: Float, beta: Float)] in
            var ops = [(s.algorithm, s.alpha, s.beta)]
            if s.scale != 1 { ops.append((dnnl_eltwise_linear, s.scale, 0)) }
            return ops
        }
    }
}

/// A residual add fused into the convolution that produces one of its inputs (GraphBuilder): the convolution
/// writes into the buffer that holds the other input (the residual, which nothing reads afterwards), a oneDNN
/// `sum` post-op adds what the buffer held to the convolution's f32 result (with its bias and folded batch norm;
/// the convolution itself has no activation or quantization when fused), then comes the add's own tail (its
/// activation and the quantization of the sum on a static grid; a per-image quantization of the sum runs after
/// the step). The same arithmetic as the separate binary primitive: the convolution's result plus the residual,
/// in f32.
///
/// A `sum` rather than a `binary_add` post-op reading the residual: with a binary post-op oneDNN 2.6 drops the
/// 1×1 convolutions from `brgconv_1x1` to `jit_1x1` or gemm kernels (nhwc, measured on AVX-512), with `sum` it keeps
/// them on `brgconv_1x1`.
struct ResidualAdd {
    var tail: EltwiseTail
}

/// A static activation grid: the codes `k` of `k · R/L`, unsigned on [0, R] with `L = 2^a − 1`, or signed on
/// [−R, R] with `L = max(1, 2^(a−1) − 1)` (symmetric, as `DynamicQuantization`). `R` is 6 for values known to lie
/// in [0, 6], or a calibrated range (Calibration.swift). Codes of at most 8 bits are what int8 layers read and
/// write (u8 for unsigned grids, s8 for signed ones).
struct ActivationGrid: Equatable {
    var bits: Int
    var range: Float
    var signed: Bool

    var levels: Float { StaticGrid.levels(bits: bits, signed: signed) }
    /// Value → code factor `L/R`, and code → value `R/L`.
    var up: Float { levels / range }
    var down: Float { range / levels }
    var lower: Float { signed ? -range : 0 }
    var fitsInt8: Bool { bits <= 8 }
    /// The oneDNN type of its codes.
    var codeType: dnnl_data_type_t { signed ? dnnl_s8 : dnnl_u8 }
}

/// What is known of a tensor's values, which decides how its activations are quantized.
public enum ActivationRange: Equatable, Sendable {
    /// Within [0, 6]: the fixed grid, fused.
    case zeroToSix
    /// Never negative, unbounded: per-image unsigned range.
    case nonNegative
    /// Either sign: per-image symmetric range.
    case signed

    /// The range after `activation`; nil: a layer without activation keeps `input`'s range only when it
    /// cannot leave it (pooling, flatten).
    public static func after(_ activation: Activation) -> ActivationRange {
        switch activation {
        case .relu6, .sigmoid, .hardSigmoid: return .zeroToSix
        case .relu: return .nonNegative
        case .hardSwish: return .signed
        }
    }

    /// The range of a sum or product of two tensors.
    public static func combining(_ a: ActivationRange, _ b: ActivationRange) -> ActivationRange {
        a == .signed || b == .signed ? .signed : .nonNegative
    }
}

/// Activation quantization of values without a fixed range, done in place after a step, image by image:
///
///     unsigned (values ≥ 0):  s = max x / (2^a − 1),          q = round(x / s) · s
///     signed:                 s = max |x| / max(1, 2^(a−1) − 1), q = round(x / s) · s
///
/// with `max` over the image's whole tensor (dynamic, per-tensor quantization), rounding half to even; an
/// all-zero tensor stays zero. Symmetric, so 1 and 2 signed bits both give {−s, 0, s}.
public struct DynamicQuantization: Equatable, Sendable {
    public var bits: Int
    public var unsigned: Bool

    public init?(bits: BitWidth, unsigned: Bool) {
        guard case .bits(let a) = bits else { return nil }
        self.bits = a
        self.unsigned = unsigned
    }

    /// The largest code: 2^a − 1 (unsigned), max(1, 2^(a−1) − 1) (signed).
    public var levels: Float { StaticGrid.levels(bits: bits, signed: !unsigned) }

    /// Quantizes `count` floats at `p` with their own range. Written for speed (this runs on every
    /// linear-bottleneck output of the quantized network): the maximum in eight independent lanes, and the
    /// rounding as `(v + 1.5·2²³) − 1.5·2²³`, which is round-half-to-even under the default rounding mode for
    /// |v| ≤ 2²² (here |v| ≤ 2^16 − 1).
    public func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        var lanes = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            lanes = pointwiseMax(lanes, pointwiseMax(v, -v))
            i += 8
        }
        var m = lanes.max()
        while i < count { m = max(m, abs(p[i])); i += 1 }
        let scale = m / levels
        guard scale > 0, scale.isFinite else { return }
        let magic: Float = 12_582_912
        for j in 0..<count { p[j] = ((p[j] / scale + magic) - magic) * scale }
    }

    /// The reference of `apply` on an array.
    public func quantize(_ x: [Float]) -> [Float] {
        var y = x
        y.withUnsafeMutableBufferPointer { apply($0.baseAddress!, count: $0.count) }
        return y
    }
}
