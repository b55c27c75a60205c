#if canImport(Glibc)
import Glibc
#endif
import StableIO

/// How far a quantized network's outputs are from its float twin's, for one image.
///
/// - `sqnrDB`: `10·log10(Σ f² / Σ (f − q)²)` over the logits (f = float twin, q = quantized), in dB;
///   +∞ when they are identical, −∞ when the twin's logits are all zero but the quantized ones are not.
/// - `cosine`: `Σ f·q / (‖f‖·‖q‖)`; 1 when both are zero, 0 when only one is.
/// - `top1Agree`: the two networks' top-1 classes are equal.
/// - `top5`: the quantized network's five best classes; `top5Overlap`: how many of the twin's top five are
///   among them (0–5; fewer classes than five give a smaller maximum).
/// - `blockSQNR`: the SQNR of each block's output (after its second ReLU6 and activation quantization), in
///   block order: it shows where the error enters.
///
/// JSON (snake_case keys): `sqnr_db`, `cosine`, `top1_agree`, `top5`, `float_top5`, `top5_overlap`,
/// `block_sqnr_db`. Infinite SQNRs are written as the strings `"inf"` / `"-inf"` (JSON has no infinity) and
/// read back from them.
public struct Fidelity: Hashable, Sendable, Codable {
    public var sqnrDB: Double
    public var cosine: Double
    public var top1Agree: Bool
    public var top5: [Int]
    public var floatTop5: [Int]
    public var top5Overlap: Int
    public var blockSQNR: [Double]

    public init(sqnrDB: Double, cosine: Double, top1Agree: Bool, top5: [Int], floatTop5: [Int], top5Overlap: Int,
                blockSQNR: [Double]) {
        self.sqnrDB = sqnrDB
        self.cosine = cosine
        self.top1Agree = top1Agree
        self.top5 = top5
        self.floatTop5 = floatTop5
        self.top5Overlap = top5Overlap
        self.blockSQNR = blockSQNR
    }

    /// The figures for quantized logits `q` against the twin's `f`.
    public init(quantized q: [Float], float f: [Float], blockSQNR: [Double]) {
        let sqnr = q.withUnsafeBufferPointer { qb in
            f.withUnsafeBufferPointer { fb in Metrics.sqnr(reference: fb, test: qb) }
        }
        let qTop = Metrics.topK(q, 5), fTop = Metrics.topK(f, 5)
        self.init(sqnrDB: sqnr, cosine: Metrics.cosine(f, q), top1Agree: qTop.first == fTop.first, top5: qTop,
                  floatTop5: fTop, top5Overlap: fTop.filter { qTop.contains($0) }.count, blockSQNR: blockSQNR)
    }

    enum CodingKeys: String, CodingKey {
        case sqnrDB = "sqnr_db", cosine, top1Agree = "top1_agree", top5, floatTop5 = "float_top5"
        case top5Overlap = "top5_overlap", blockSQNR = "block_sqnr_db"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(JSONDouble(sqnrDB), forKey: .sqnrDB)
        try c.encode(cosine, forKey: .cosine)
        try c.encode(top1Agree, forKey: .top1Agree)
        try c.encode(top5, forKey: .top5)
        try c.encode(floatTop5, forKey: .floatTop5)
        try c.encode(top5Overlap, forKey: .top5Overlap)
        try c.encode(blockSQNR.map(JSONDouble.init), forKey: .blockSQNR)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sqnrDB = try c.decode(JSONDouble.self, forKey: .sqnrDB).value
        cosine = try c.decode(Double.self, forKey: .cosine)
        top1Agree = try c.decode(Bool.self, forKey: .top1Agree)
        top5 = try c.decode([Int].self, forKey: .top5)
        floatTop5 = try c.decode([Int].self, forKey: .floatTop5)
        top5Overlap = try c.decode(Int.self, forKey: .top5Overlap)
        blockSQNR = try c.decode([JSONDouble].self, forKey: .blockSQNR).map(\.value)
    }
}


/// The arithmetic behind `Fidelity`, all accumulated in Double in index order (deterministic).
public enum Metrics {
    public static func sqnr(reference f: UnsafeBufferPointer<Float>, test q: UnsafeBufferPointer<Float>) -> Double {
        precondition(f.count == q.count)
        var signal: Double = 0, noise: Double = 0
        for i in 0..<f.count {
            let a = Double(f[i]), d = Double(f[i]) - Double(q[i])
            signal += a * a
            noise += d * d
        }
        if noise == 0 { return .infinity }
        if signal == 0 { return -.infinity }
        return 10 * log10(signal / noise)
    }

    public static func sqnr(reference f: [Float], test q: [Float]) -> Double {
        f.withUnsafeBufferPointer { fb in q.withUnsafeBufferPointer { qb in sqnr(reference: fb, test: qb) } }
    }

    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count)
        var ab: Double = 0, aa: Double = 0, bb: Double = 0
        for i in a.indices {
            let x = Double(a[i]), y = Double(b[i])
            ab += x * y
            aa += x * x
            bb += y * y
        }
        if a == b { return 1 }   // exactly, whatever the rounding of the formula
        if aa == 0 && bb == 0 { return 1 }
        if aa == 0 || bb == 0 { return 0 }
        return ab / (aa.squareRoot() * bb.squareRoot())
    }

    /// Indices of the `k` largest values, largest first; ties go to the lower index. One pass that keeps the
    /// best `k` so far in order (O(n·k)): sorting all 1000 logits of every image took about 4% of a
    /// MobileNetV1 int8 run.
    public static func topK(_ x: [Float], _ k: Int) -> [Int] {
        guard k > 0 else { return [] }
        var best: [Int] = []
        best.reserveCapacity(min(k, x.count) + 1)
        for i in x.indices {
            // Indices come in increasing order, so among equal values the earlier ones stay ahead.
            if best.count == k, let last = best.last, !(x[i] > x[last]) { continue }
            var j = best.count
            while j > 0 && x[i] > x[best[j - 1]] { j -= 1 }
            best.insert(i, at: j)
            if best.count > k { best.removeLast() }
        }
        return best
    }
}
