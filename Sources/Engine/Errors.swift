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

