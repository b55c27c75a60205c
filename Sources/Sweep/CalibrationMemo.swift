import BitOpsCore
import Engine
import Foundation

/// The activation ranges a sweep run has measured, so that a calibrated case measures them once and not in each
/// of its timing rounds (`EngineEvaluator.forOneRun()` gives each run its own memo, dropped with the run).
///
/// Calibration is a deterministic function of what `Key` holds — the float network (the case's network with
/// every layer float: the only form calibration runs), the input size, the weights, the engine options it is
/// built with, the method and the images — so a range looked up here is the one measuring again would give,
/// to the bit. Cases that differ only in weight or activation bits share one measurement.
final class CalibrationMemo: @unchecked Sendable {
    struct Key: Hashable {
        /// The float network's canonical text (`CaseNetwork.canonical` of the all-float form).
        var network: String
        var size: Int
        var weights: EvaluationJob.Weights
        /// The options the ranges are measured with, `fidelity` off (the float twin is never built for them).
        var options: EngineOptions
        var method: Calibration
        var images: ImagesFingerprint
    }

    /// Which images: their count and shapes and two 64-bit hashes of every value's bytes (salted differently).
    struct ImagesFingerprint: Hashable {
        var shapes: [[Int]]
        var hashes: [Int]

        init(_ images: [Tensor]) {
            shapes = images.map(\.shape)
            hashes = [0x5eed, 0xca11b].map { salt in
                var h = Hasher()
                h.combine(salt)
                for t in images { t.data.withUnsafeBytes { h.combine(bytes: $0) } }
                return h.finalize()
            }
        }
    }

    private let memo = RunMemo<Key, [String: Float]>()

    /// The ranges of `key`: measured by `measure` the first time (a failure is not kept: the next caller measures
    /// again, as it would without the memo), then the same ranges.
    func ranges(_ key: Key, measure: () throws -> [String: Float]) throws -> [String: Float] {
        try memo.value(key, make: measure)
    }
}
