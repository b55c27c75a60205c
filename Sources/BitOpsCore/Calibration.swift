/// How the range of each quantized activation (the `R` of its grid `k · R/L`, `L = 2^a − 1`) is chosen: the
/// choice `infer`, `bench`, `export` (`--calibrate`) and the sweep spec (`network.calibrate`) make.
///
/// - `fixed` (the default, the seed's rule): every ReLU6 output on [0, 6].
/// - `minmax`: the largest value the float network's layer produced on the calibration images.
/// - `percentile(P)`, 0 < P ≤ 100: the P-th percentile of those values, by nearest rank: with the `N` values
///   sorted ascending `v₁ ≤ … ≤ v_N`, the value `v_⌈P/100 · N⌉` (so `percentile:100` is `minmax`).
///
/// The engine (Engine/Calibration.swift) measures the ranges; a range of 0 or below 1e-6 (a layer whose values at
/// that rank are all zero, or denormal) falls back to the layer's largest value, and to 6 when that is too.
public enum Calibration: Hashable, Sendable, CustomStringConvertible {
    case fixed
    case minmax
    case percentile(Double)

    /// `fixed`, `minmax`, `percentile:99.99`.
    public var description: String {
        switch self {
        case .fixed: return "fixed"
        case .minmax: return "minmax"
        case .percentile(let p):
            let text = "\(p)"
            return "percentile:" + (text.hasSuffix(".0") ? String(text.dropLast(2)) : text)
        }
    }

    /// What a value must look like (for error messages).
    public static let expected = "fixed, minmax or percentile:P with 0 < P ≤ 100 (e.g. percentile:99.99)"

    /// Reads `fixed`, `minmax` or `percentile:P`; nil for anything else (see `parse` for the message).
    public init?(_ text: String) {
        switch text {
        case "fixed": self = .fixed
        case "minmax": self = .minmax
        default:
            guard text.hasPrefix("percentile:"), let p = Double(text.dropFirst("percentile:".count)),
                  p.isFinite, p > 0, p <= 100, !text.contains(where: { $0 == " " || $0 == "_" }) else { return nil }
            self = .percentile(p)
        }
    }

    /// `init?`, or an error that names the value and what was expected: `calibrate 'percentile:101': expected …`.
    public static func parse(_ text: String, what: String = "calibrate") throws -> Calibration {
        guard let c = Calibration(text) else { throw SpecError("\(what) '\(text)': expected \(expected)") }
        return c
    }

    /// The nearest-rank index (0-based) of the P-th percentile among `count` ≥ 1 sorted values.
    public static func rank(percentile p: Double, count: Int) -> Int {
        precondition(count >= 1 && p > 0 && p <= 100)
        // P·N/100, nudged down by a relative 1e-12 so that a product that is an integer in decimal (99.99 % of
        // 10 000 values) is not pushed to the next rank by binary rounding.
        let x = p * Double(count) / 100
        let r = (x - x * 1e-12).rounded(.up)
        return min(max(Int(r), 1), count) - 1
    }
}

extension Calibration: Codable {
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let v = Calibration(text) else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "calibration '\(text)': expected \(Calibration.expected)")
        }
        self = v
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

/// The activation ranges a network ran with: the method, and per quantized activation its bits, range R and
/// scale R/L (what `infer --format json`, `bench` and a sweep's results.json record).
public struct ActivationCalibration: Hashable, Codable, Sendable {
    public struct Layer: Hashable, Codable, Sendable {
        /// `stem`, `block0.depthwise`, …
        public var layer: String
        public var bits: BitWidth
        /// The upper end of the grid [0, R].
        public var range: Float
        /// The grid step R / (2^bits − 1) (the QuantizeLinear scale of an export).
        public var scale: Float

        public init(layer: String, bits: BitWidth, range: Float, scale: Float) {
            self.layer = layer
            self.bits = bits
            self.range = range
            self.scale = scale
        }
    }

    public var method: Calibration
    /// Quantized activations only, in layer order.
    public var layers: [Layer]

    public init(method: Calibration, layers: [Layer]) {
        self.method = method
        self.layers = layers
    }

    /// `minmax: stem 5.12, block0.depthwise 3.9, …` (ranges to three decimals), or `fixed [0, 6]`.
    public var summary: String {
        guard method != .fixed else { return "fixed [0, 6]" }
        return "\(method): " + layers.map { "\($0.layer) \(Self.short($0.range))" }.joined(separator: ", ")
    }

    /// Three decimals: 5.123.
    static func short(_ v: Float) -> String { "\((Double(v) * 1000).rounded() / 1000)" }
}

