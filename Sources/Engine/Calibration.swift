import BitOpsCore
import CDNNL

// Activation calibration (`--calibrate minmax|percentile:P`): the float network (every weight and activation
// float, the float twin's arithmetic) runs on the calibration images, and each convolution's ReLU6 output is
// measured over all of them (every value of every image; padding images of a short batch are left out):
//
// - minmax: the largest value;
// - percentile:P: the exact nearest-rank P-th percentile (`Calibration.rank`), found without sorting or keeping
//   the values, in two passes over the images: the non-negative Float values order as their bit patterns, so
//   a first pass counts the values by the upper 16 bits of the pattern (65 536 bins) and finds the bin that
//   holds the wanted rank; a second pass counts, within that bin only, by the lower 16 bits — which gives the
//   exact value at that rank.
//
// A range of 0 (or below 1e-6, `ActivationStatistics.smallestRange`: a denormal range would make the grid's
// factor L/R infinite) falls back to the layer's largest value, and to 6 when that is below 1e-6 as well.
// The ranges then set each quantized activation's grid `k · R/L` (`EngineOptions.activationRanges`): in the
// simulated run's post-ops, in the integer kernels' requantization scales and f32 → u8 reorders, and in
// `bitsweep export`'s QuantizeLinear/DequantizeLinear scales.

extension ActivationCalibration {
    /// The ranges of `method` for the quantized activations of `cost` (fixed: 6 each).
    public init(method: Calibration, cost: CostReport, ranges: [String: Float]) {
        self.init(method: method, layers: cost.layers.filter { $0.kind != .linear }.compactMap { l in
            let range = ranges[l.name] ?? Quantizer.fixedActivationRange
            guard let f = Quantizer.activationFactors(bits: l.outputBits, range: range) else { return nil }
            return Layer(layer: l.name, bits: l.outputBits, range: range, scale: f.down)
        })
    }
}

/// What one calibration pass accumulates for one layer.
struct ActivationStatistics {
    var count = 0
    var maxValue: Float = 0
    /// Pass 1: counts by the upper 16 bits of the bit pattern (non-negative values only).
    var high: [Int]
    /// Pass 2: the bin that holds the wanted rank, the rank within it, and counts by the lower 16 bits.
    var bin: UInt32 = 0
    var rankInBin = 0
    var low: [Int] = []

    init(histogram: Bool) { high = histogram ? [Int](repeating: 0, count: 1 << 16) : [] }

    /// A value's key: its bit pattern, with every value ≤ 0 (ReLU6 gives +0 and possibly −0) as +0.
    @inline(__always) static func key(_ x: Float) -> UInt32 { x > 0 ? x.bitPattern : 0 }

    mutating func first(_ v: UnsafeBufferPointer<Float>) {
        count += v.count
        var m = maxValue
        if high.isEmpty {
            for x in v where x > m { m = x }
        } else {
            high.withUnsafeMutableBufferPointer { h in
                for x in v {
                    if x > m { m = x }
                    h[Int(Self.key(x) >> 16)] += 1
                }
            }
        }
        maxValue = m
    }

    /// After pass 1: finds the bin of nearest rank `rank` (0-based) and prepares pass 2.
    mutating func select(rank: Int) {
        var below = 0
        for (b, c) in high.enumerated() {
            if below + c > rank {
                bin = UInt32(b)
                rankInBin = rank - below
                break
            }
            below += c
        }
        low = [Int](repeating: 0, count: 1 << 16)
    }

    mutating func second(_ v: UnsafeBufferPointer<Float>) {
        let b = bin
        low.withUnsafeMutableBufferPointer { l in
            for x in v {
                let k = Self.key(x)
                if k >> 16 == b { l[Int(k & 0xFFFF)] += 1 }
            }
        }
    }

    /// Below this a measured range counts as 0 (and falls back): a denormal R would make the grid's factor
    /// L/R infinite. Activations this small quantize to code 0 on any grid a layer's other values allow.
    static let smallestRange: Float = 1e-6

    /// The range a layer gets from `measured` (its max, or the value at the wanted rank): `measured`, or the
    /// layer's max when `measured` is below `smallestRange` (a rank that lands in the zeros), or 6 when the max
    /// is too (every value 0 or nearly); at most `cap` (6: values after ReLU6; nil: unbounded values of a graph).
    func range(_ measured: Float, cap: Float? = Quantizer.fixedActivationRange) -> Float {
        var r = measured
        if !(r >= Self.smallestRange) { r = maxValue }
        if !(r >= Self.smallestRange) { r = Quantizer.fixedActivationRange }
        return cap.map { min(r, $0) } ?? r
    }

    /// The ranges of `method` for the outputs `caps` names (each with its cap, as in `range`): `pass` runs the
    /// float network over the calibration images once and hands every named output to its body; minmax takes one
    /// pass, a percentile two (a histogram of the values' high bits, then of the low bits within the wanted bin).
    static func ranges(_ caps: [String: Float?], method: Calibration,
                       pass: ((String, UnsafeBufferPointer<Float>) throws -> Void) throws -> Void) throws -> [String: Float] {
        let histogram: Bool
        if case .percentile = method { histogram = true } else { histogram = false }
        var stats = caps.mapValues { _ in ActivationStatistics(histogram: histogram) }
        try pass { name, v in stats[name]!.first(v) }
        var measured = stats.mapValues(\.maxValue)
        if case .percentile(let p) = method {
            for (name, s) in stats where s.count > 0 {
                stats[name]!.select(rank: Calibration.rank(percentile: p, count: s.count))
            }
            try pass { name, v in stats[name]!.second(v) }
            measured = stats.mapValues(\.selected)
        }
        return Dictionary(uniqueKeysWithValues: stats.map { name, s in (name, s.range(measured[name]!, cap: caps[name]!)) })
    }

    /// After pass 2: the value at the wanted rank.
    var selected: Float {
        var below = 0
        for (lo, c) in low.enumerated() {
            if below + c > rankInBin { return Float(bitPattern: bin << 16 | UInt32(lo)) }
            below += c
        }
        return maxValue
    }
}

extension Network {
    /// The range R of layer `name`'s quantized activations (6 unless calibrated).
    func activationRange(_ name: String) -> Float {
        options.activationRanges[name] ?? Quantizer.fixedActivationRange
    }

    /// The method and the range and scale of every quantized activation this network runs with.
    public var activationCalibration: ActivationCalibration {
        ActivationCalibration(method: options.calibration, cost: cost, ranges: options.activationRanges)
    }

    /// The ranges of `method` for every convolution of `spec` (by layer name), measured on `images` with the
    /// float network (see the top of this file); empty for `fixed`. `options` gives threads, batch size,
    /// initialisation and memory limit; the float network is built without a twin.
    public static func calibratedRanges(spec: NetworkSpec, inputSize: Int, weights: WeightSource, images: [Tensor],
                                        method: Calibration, options: EngineOptions) throws -> [String: Float] {
        guard method != .fixed else { return [:] }
        guard !images.isEmpty else { throw EngineError("calibrate \(method): no calibration images") }
        let net = try Network(spec: spec.allFloat, inputSize: inputSize, weights: weights, options: calibrationOptions(options))
        return try net.measureRanges(images, method: method)
    }

    /// As above, with weights already in memory.
    public static func calibratedRanges(spec: NetworkSpec, inputSize: Int, weights: NetworkWeights, images: [Tensor],
                                        method: Calibration, options: EngineOptions) throws -> [String: Float] {
        guard method != .fixed else { return [:] }
        guard !images.isEmpty else { throw EngineError("calibrate \(method): no calibration images") }
        let net = try Network(spec: spec.allFloat, inputSize: inputSize, weights: weights, options: calibrationOptions(options))
        return try net.measureRanges(images, method: method)
    }

    static func calibrationOptions(_ o: EngineOptions) -> EngineOptions {
        var f = o
        f.fidelity = false
        f.kernels = .float
        f.calibration = .fixed
        f.activationRanges = [:]
        f.fuseResidualAdds = false
        return f
    }

    /// Runs this (float) network on `images` once (minmax) or twice (percentile) and returns each
    /// convolution's range.
    func measureRanges(_ images: [Tensor], method: Calibration) throws -> [String: Float] {
        let caps = Dictionary(cost.layers.filter { $0.kind != .linear }.map { ($0.name, Optional(Quantizer.fixedActivationRange)) },
                              uniquingKeysWith: { first, _ in first })
        return try ActivationStatistics.ranges(caps, method: method) { body in try forEachLayerOutput(images, body) }
    }

    /// Runs the quantized lane on `images` batch by batch, op by op, and hands every convolution's output (plain
    /// NCHW, real images only) to `body` with the layer's name. Not timed; not for concurrent use.
    func forEachLayerOutput(_ images: [Tensor], _ body: (String, UnsafeBufferPointer<Float>) throws -> Void) throws {
        try lock.locked {
            let n = options.batchSize
            let lane = lanes[0]
            let shapes = Dictionary(uniqueKeysWithValues: cost.layers.filter { $0.kind != .linear }.map { ($0.name, $0.outputShape) })
            let per = spec.inputChannels * inputSize * inputSize
            setThreads(options.threads)
            for start in stride(from: 0, to: images.count, by: n) {
                let batch = images[start..<min(start + n, images.count)]
                for (i, img) in batch.enumerated() {
                    guard img.shape == [spec.inputChannels, inputSize, inputSize] else {
                        throw EngineError("calibration image \(start + i) has shape \(img.shapeDescription); expected \(spec.inputChannels)×\(inputSize)×\(inputSize)")
                    }
                    img.data.withUnsafeBufferPointer { (inputBuffer.floats + i * per).update(from: $0.baseAddress!, count: per) }
                }
                if batch.count < n { (inputBuffer.floats + batch.count * per).update(repeating: 0, count: (n - batch.count) * per) }
                for (k, op) in lane.ops.enumerated() {
                    try lane.execute(k, stream: context.stream)
                    try dnnlCheck(dnnl_stream_wait(context.stream), "stream wait")
                    guard !op.isReorder, let shape = shapes[op.name] else { continue }
                    let plain = try MemoryDesc.make([n, shape.channels, shape.height, shape.width], tag: dnnl_nchw)
                    let out = try context.reorder(UnsafeMutableRawPointer(lane.output(k)), from: op.dstMD, to: plain)
                    try body(op.name, UnsafeBufferPointer(start: out.floats, count: batch.count * shape.channels * shape.height * shape.width))
                }
            }
        }
    }
}

extension NetworkSpec {
    /// The same network with every weight and activation float (the float twin as a network of its own): the
    /// network calibration runs.
    public var allFloat: NetworkSpec {
        var f = self
        if var stem = f.stem {
            stem.bits = .float
            stem.actBits = .float
            f.stem = stem
        }
        for i in f.blocks.indices {
            f.blocks[i].bits = .float
            f.blocks[i].actBits = .float
            f.blocks[i].depthwiseBits = nil
            f.blocks[i].pointwiseBits = nil
        }
        f.classifierBits = .float
        return f
    }
}

// MARK: Graph networks

// A graph network (GraphExecutor) is calibrated the same way, step by step: every step's output (a fused chain's
// output, after its activation: the values its quantization sees) is measured on the float network, by the name
// of the step's first layer. Values known to lie in [0, 6] (after relu6, sigmoid, hard-sigmoid) get a range
// capped at 6, the grid [0, R]; non-negative values (after relu) the grid [0, R]; values of either sign (a linear
// bottleneck, a residual sum, hard-swish) are measured by magnitude, |x|, for the symmetric grid [−R, R].

extension GraphNetwork {
    /// The same graph with every weight and activation float: the network calibration runs.
    public var allFloat: GraphNetwork {
        var f = self
        for i in f.layers.indices {
            f.layers[i].bits = .float
            if f.layers[i].actBits != nil { f.layers[i].actBits = .float }
        }
        return f
    }
}

extension GraphExecutor {
    /// The ranges of `method` for every step of `network` (by the name of its first layer), measured on `images`
    /// with the float network; empty for `fixed`.
    public static func calibratedRanges(network: GraphNetwork, inputSize: Int, weights: GraphWeights, images: [Tensor],
                                        method: Calibration, options: EngineOptions) throws -> [String: Float] {
        guard method != .fixed else { return [:] }
        guard !images.isEmpty else { throw EngineError("calibrate \(method): no calibration images") }
        let net = try GraphExecutor(network: network.allFloat, inputSize: inputSize, weights: weights,
                                    options: Network.calibrationOptions(options))
        return try net.measureRanges(images, method: method)
    }

    /// As above with seeded weights (`GraphWeights.seeded`, rule `options.initialization`).
    public static func calibratedRanges(network: GraphNetwork, inputSize: Int, seed: UInt64, images: [Tensor],
                                        method: Calibration, options: EngineOptions) throws -> [String: Float] {
        guard method != .fixed else { return [:] }
        let weights = try GraphWeights.seeded(seed, network: network, inputSize: inputSize, initialization: options.initialization)
        return try calibratedRanges(network: network, inputSize: inputSize, weights: weights, images: images, method: method,
                                    options: options)
    }

    /// Runs this (float) network on `images` once (minmax) or twice (percentile) and returns each step's range.
    func measureRanges(_ images: [Tensor], method: Calibration) throws -> [String: Float] {
        var caps = [String: Float?]()
        for s in steps where !s.isReorder {
            let cap: Float? = valueRanges[s.output] == .zeroToSix ? Quantizer.fixedActivationRange : nil
            caps[s.name] = .some(cap)   // a nil cap (unbounded values) is kept as a value, not a removal
        }
        return try ActivationStatistics.ranges(caps, method: method) { body in try forEachStepOutput(images, body) }
    }

    /// Runs the quantized lane on `images` batch by batch, step by step, and hands every step's output (plain,
    /// real images only; the magnitudes of values that may be negative) to `body` with the step's name. Not
    /// timed; not for concurrent use.
    func forEachStepOutput(_ images: [Tensor], _ body: (String, UnsafeBufferPointer<Float>) throws -> Void) throws {
        try lock.locked {
            let n = options.batchSize
            let lane = lanes[0]
            let c = network.inputChannels
            let per = c * inputSize * inputSize
            setThreads(options.threads)
            for start in stride(from: 0, to: images.count, by: n) {
                let batch = images[start..<min(start + n, images.count)]
                for (i, img) in batch.enumerated() {
                    guard img.shape == [c, inputSize, inputSize] else {
                        throw EngineError("calibration image \(start + i) has shape \(img.shapeDescription); expected \(c)×\(inputSize)×\(inputSize)")
                    }
                    img.data.withUnsafeBufferPointer { (inputBuffer.floats + i * per).update(from: $0.baseAddress!, count: per) }
                }
                if batch.count < n { (inputBuffer.floats + batch.count * per).update(repeating: 0, count: (n - batch.count) * per) }
                for (k, step) in steps.enumerated() {
                    try lane.execute(k, stream: context.stream)
                    try dnnlCheck(dnnl_stream_wait(context.stream), "stream wait")
                    guard !step.isReorder else { continue }
                    var md = values[step.output]
                    let dims = withUnsafeBytes(of: &md.dims) { raw in
                        (0..<Int(md.ndims)).map { Int(raw.load(fromByteOffset: $0 * 8, as: Int64.self)) }
                    }
                    let plain = try MemoryDesc.make(dims, tag: dims.count == 4 ? dnnl_nchw : dnnl_nc)
                    let out = try context.reorder(lane.raw(step.output), from: md, to: plain)
                    let count = batch.count * dims.dropFirst().reduce(1, *)
                    if valueRanges[step.output] == .signed {
                        for j in 0..<count { out.floats[j] = abs(out.floats[j]) }
                    }
                    try body(step.name, UnsafeBufferPointer(start: out.floats, count: count))
                }
            }
        }
    }
}
