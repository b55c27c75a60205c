#if canImport(Glibc)
import Glibc
#endif

/// Every failure of the engine: a one-line message naming the file, tensor or configuration and what was
/// expected. Thrown, never a crash.
public struct EngineError: Error, CustomStringConvertible, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// `1.5 GB`, `812 MB`, `96 KB` (decimal prefixes).
public func formatBytes(_ bytes: Int) -> String {
    let b = Double(bytes)
    if b >= 1e9 { return String(format1: b / 1e9) + " GB" }
    if b >= 1e6 { return String(format1: b / 1e6) + " MB" }
    if b >= 1e3 { return String(format1: b / 1e3) + " KB" }
    return "\(bytes) B"
}

extension String {
    /// One decimal place, without Foundation.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(abs(tenths % 10))"
    }
}
