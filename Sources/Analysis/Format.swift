import Foundation
import Presentation
import StableIO

// What compare and budget write that is their own; numbers and escaping come from `Presentation`.

/// SQNR in dB with nil meaning exact: `23.41 dB`, `exact (∞ dB)`.
func dbText(_ v: Double?) -> String {
    guard let v else { return "exact (∞ dB)" }
    return NumberText.fixed(v, 2) + " dB"
}

/// Bytes, given as a count in a `Double` (limits and values of a budget), with zeros after the point dropped.
func bytesText(_ v: Double) -> String { NumberText.bytes(Int(v.rounded()), trimmingZeros: true) }

/// The canonical JSON encoding for analysis outputs (sorted keys, pretty, stable bytes; ±∞ and NaN as text).
func analysisEncoder() -> JSONEncoder {
    let e = JSONText.encoder()
    e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return e
}
