import BitOpsCore
@testable import Engine

/// Naive reference evaluation of a network, straight from the definitions, in NCHW with plain loops:
/// convolution with explicit padding, BatchNorm *unfolded* (x − mean)/√(var+ε)·γ + β, ReLU6, activation
/// quantization, global average pooling, linear. Weights are quantized with `Quantizer` (tested on its own).
enum Reference {
    /// `x`: [C, H, W] for one image. Returns [O, Ho, Wo].
    static func conv(_ x: [Float], c: Int, h: Int, w: Int, weight: [Float], out o: Int, kernel k: Int, stride s: Int,
                     groups g: Int) -> (y: [Float], h: Int, w: Int) {
        let p = k / 2
        let ho = (h + 2 * p - k) / s + 1, wo = (w + 2 * p - k) / s + 1
        let icg = c / g, ocg = o / g
        var y = [Float](repeating: 0, count: o * ho * wo)
        for oc in 0..<o {
            let grp = oc / ocg
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var acc: Double = 0
                    for ic in 0..<icg {
                        let cin = grp * icg + ic
                        for ky in 0..<k {
                            let iy = oy * s + ky - p
                            if iy < 0 || iy >= h { continue }
                            for kx in 0..<k {
                                let ix = ox * s + kx - p
                                if ix < 0 || ix >= w { continue }
                                acc += Double(x[(cin * h + iy) * w + ix]) * Double(weight[((oc * icg + ic) * k + ky) * k + kx])
                            }
                        }
                    }
                    y[(oc * ho + oy) * wo + ox] = Float(acc)
                }
            }
        }
        return (y, ho, wo)
    }

    static func batchNormReLU6(_ y: inout [Float], channels: Int, plane: Int, weights: NetworkWeights, prefix: String,
                               actBits: BitWidth, range: Float = 6) {
        let g = weights.tensors["\(prefix).weight"]!.data, b = weights.tensors["\(prefix).bias"]!.data
        let m = weights.tensors["\(prefix).running_mean"]!.data, v = weights.tensors["\(prefix).running_var"]!.data
        for c in 0..<channels {
            for i in 0..<plane {
                let x = Double(y[c * plane + i])
                let n = (x - Double(m[c])) / (Double(v[c]) + 1e-5).squareRoot() * Double(g[c]) + Double(b[c])
                y[c * plane + i] = Quantizer.quantizeActivation(Float(n), bits: actBits, range: range)
            }
        }
    }

    /// Logits and block outputs of one image; `quantize: false` evaluates the float twin.
    /// `ranges`: calibrated activation ranges by layer name (6 when absent); `observe` sees every convolution's
    /// output after ReLU6 (and quantization), by layer name.
    static func run(_ spec: NetworkSpec, weights: NetworkWeights, image: [Float], size: Int, quantize: Bool,
                    granularity: QuantGranularity = .perTensor, ranges: [String: Float] = [:],
                    observe: (String, [Float]) -> Void = { _, _ in }) -> (logits: [Float], blocks: [[Float]]) {
        func rangeOf(_ name: String) -> Float { ranges[name] ?? 6 }
        func wq(_ name: String, _ bits: BitWidth, _ oc: Int) -> [Float] {
            let w = weights.tensors[name]!.data
            return quantize ? Quantizer.quantizeWeights(w, bits: bits, channels: oc, granularity: granularity) : w
        }
        func act(_ bits: BitWidth) -> BitWidth { quantize ? bits : .float }
        var x = image, c = spec.inputChannels, h = size, w = size
        if let stem = spec.stem {
            let r = conv(x, c: c, h: h, w: w, weight: wq("stem.conv.weight", stem.bits, stem.outChannels),
                         out: stem.outChannels, kernel: stem.kernel, stride: stem.stride, groups: 1)
            x = r.y; c = stem.outChannels; h = r.h; w = r.w
            batchNormReLU6(&x, channels: c, plane: h * w, weights: weights, prefix: "stem.bn", actBits: act(stem.actBits), range: rangeOf("stem"))
            observe("stem", x)
        }
        var blocks: [[Float]] = []
        for (i, b) in spec.blocks.enumerated() {
            var r = conv(x, c: c, h: h, w: w, weight: wq("blocks.\(i).depthwise.weight", b.bits, c), out: c,
                         kernel: b.kernel, stride: b.stride, groups: c)
            batchNormReLU6(&r.y, channels: c, plane: r.h * r.w, weights: weights, prefix: "blocks.\(i).bn1", actBits: act(b.actBits),
                           range: rangeOf("block\(i).depthwise"))
            observe("block\(i).depthwise", r.y)
            h = r.h; w = r.w
            var p = conv(r.y, c: c, h: h, w: w, weight: wq("blocks.\(i).pointwise.weight", b.bits, b.outChannels),
                         out: b.outChannels, kernel: 1, stride: 1, groups: 1)
            c = b.outChannels
            batchNormReLU6(&p.y, channels: c, plane: h * w, weights: weights, prefix: "blocks.\(i).bn2", actBits: act(b.actBits),
                           range: rangeOf("block\(i).pointwise"))
            observe("block\(i).pointwise", p.y)
            x = p.y
            blocks.append(x)
        }
        var pooled = [Double](repeating: 0, count: c)
        for ch in 0..<c {
            for i in 0..<(h * w) { pooled[ch] += Double(x[ch * h * w + i]) }
            pooled[ch] /= Double(h * w)
        }
        let cw = wq("classifier.weight", spec.classifierBits, spec.classes)
        let cb = weights.tensors["classifier.bias"]!.data
        var logits = [Float](repeating: 0, count: spec.classes)
        for o in 0..<spec.classes {
            var acc = Double(cb[o])
            for ch in 0..<c { acc += Double(cw[o * c + ch]) * pooled[ch] }
            logits[o] = Float(acc)
        }
        return (logits, blocks)
    }

    /// Seeded weights with BatchNorm statistics made non-trivial, so that folding is actually exercised.
    static func weightsWithBatchNorm(_ spec: NetworkSpec, seed: UInt64) -> NetworkWeights {
        var w = NetworkWeights.seeded(seed, spec: spec)
        var rng = SplitMix64(seed: seed &+ 99)
        for name in w.tensors.keys.sorted() where name.contains("bn") {
            var t = w.tensors[name]!
            for i in t.data.indices {
                let u = rng.nextUnitFloat()
                if name.hasSuffix(".weight") { t.data[i] = 0.5 + u }          // γ in [0.5, 1.5)
                else if name.hasSuffix(".bias") { t.data[i] = u - 0.3 }      // β in [−0.3, 0.7)
                else if name.hasSuffix("running_mean") { t.data[i] = 0.2 * (u - 0.5) }
                else { t.data[i] = 0.05 + 0.5 * u }                           // var in [0.05, 0.55)
            }
            w.tensors[name] = t
        }
        return w
    }

    /// Seeded graph weights (seed 2) with the tensors `perturb` names redrawn from `seed`: running variances in
    /// [0.05, 0.55), other `.weight` tensors (batch-norm scales) in [0.5, 1.5), everything else (biases, means) in
    /// [−0.4, 0.6) — non-trivial batch norms and biases.
    static func perturbedGraphWeights(_ g: GraphNetwork, size: Int, seed: UInt64, perturb: (String) -> Bool) throws -> GraphWeights {
        var w = try GraphWeights.seeded(2, network: g, inputSize: size)
        var rng = SplitMix64(seed: seed)
        for name in w.tensors.keys.sorted() where perturb(name) {
            var t = w.tensors[name]!
            for i in t.data.indices {
                let u = rng.nextUnitFloat()
                if name.hasSuffix("running_var") { t.data[i] = 0.05 + 0.5 * u }
                else if name.hasSuffix(".weight") { t.data[i] = 0.5 + u }
                else { t.data[i] = u - 0.4 }
            }
            w.tensors[name] = t
        }
        return w
    }

    static func randomImage(channels: Int, size: Int, seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: [channels, size, size], data: (0..<(channels * size * size)).map { _ in rng.nextUnitFloat() })
    }
}

func maxRelativeError(_ a: [Float], _ b: [Float]) -> Double {
    let scale = max(b.map { Double(abs($0)) }.max() ?? 0, 1e-6)
    var m = 0.0
    for i in a.indices { m = max(m, Double(abs(a[i] - b[i])) / scale) }
    return m
}
