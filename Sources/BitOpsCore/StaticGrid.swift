/// The static activation grid of a calibrated range R (`GraphLayer.activationRange`; R = 6 for the fixed grid):
/// codes `0…L` on [0, R] with `L = 2^a − 1` for values that are never negative, or `−L…L` on [−R, R] with
/// `L = max(1, 2^(a−1) − 1)` for values of either sign (1 and 2 signed bits are the same grid), step `R/L`. One
/// formula for the engine, the ONNX export (the QDQ scale it writes) and the import (the bits it reads back).
public struct StaticGrid: Equatable, Sendable {
    public var bits: Int
    public var range: Float
    public var signed: Bool

    public init(bits: Int, range: Float, signed: Bool) {
        self.bits = bits
        self.range = range
        self.signed = signed
    }

    /// The largest code L.
    public static func levels(bits: Int, signed: Bool) -> Float {
        signed ? Float(max(1, (1 << (bits - 1)) - 1)) : Float((1 << bits) - 1)
    }

    public var levels: Float { Self.levels(bits: bits, signed: signed) }
    /// Code → value, `R/L` (the QDQ scale).
    public var step: Float { range / levels }

    /// The fewest bits in `candidates` whose grid on `range` has step `step` exactly (the bits a QDQ scale stands
    /// for), or nil.
    public static func bits(step: Float, range: Float, signed: Bool, in candidates: ClosedRange<Int>) -> Int? {
        candidates.first { StaticGrid(bits: $0, range: range, signed: signed).step == step }
    }
}
