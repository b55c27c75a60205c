import Foundation

/// A Double that JSON can hold even when infinite: finite values as numbers, ±∞ as "inf" / "-inf".
public struct JSONDouble: Hashable, Sendable, Codable {
    public var value: Double
    public init(_ value: Double) { self.value = value }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if value.isFinite { try c.encode(value) } else if value > 0 { try c.encode("inf") } else if value < 0 { try c.encode("-inf") } else { try c.encode("nan") }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let d = try? c.decode(Double.self) {
            value = d
            return
        }
        switch try c.decode(String.self) {
        case "inf", "+inf", "Infinity": value = .infinity
        case "-inf", "-Infinity": value = -.infinity
        case "nan", "NaN": value = .nan
        case let s: throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected a number or \"inf\", got \"\(s)\"")
        }
    }
}
