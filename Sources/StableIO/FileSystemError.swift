import Foundation

/// A file-system operation that failed, naming the path: `path: cannot write (No space left on device)`.
///
/// Foundation's own errors often leave the path out ("There isn't enough space.") or print as a raw
/// `NSCocoaErrorDomain` dump; wrap them with `FileSystemError(path:action:error:)` where the path is known.
public struct FileSystemError: Error, CustomStringConvertible, Sendable {
    public var path: String
    /// What was being done, as a verb phrase: "cannot write", "cannot create the folder".
    public var action: String
    /// The system's reason, e.g. "No space left on device".
    public var reason: String

    public init(path: String, action: String, reason: String) {
        self.path = path
        self.action = action
        self.reason = reason
    }

    /// Wraps any error thrown while acting on `path`.
    public init(path: String, action: String, error: Error) {
        self.init(path: path, action: action, reason: Self.reason(of: error))
    }

    public var description: String { "\(path): \(action) (\(reason))" }

    /// The short reason of a Foundation or POSIX error: the POSIX message when there is one
    /// ("No space left on device", "Not a directory"), else the error's localized description.
    public static func reason(of error: Error) -> String {
        if let e = error as? FileSystemError { return e.reason }
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        // The underlying error is a Swift `POSIXError` on Linux, an `NSError` elsewhere: bridge either.
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error {
            let u = underlying as NSError
            if u.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(u.code))) }
        }
        if let code = posixCode(of: ns) { return String(cString: strerror(code)) }
        let text = ns.localizedDescription
        return text.hasSuffix(".") ? String(text.dropLast()) : text
    }

    /// The path a Foundation error names, if any (`NSFilePath` or a file URL in its user info).
    public static func path(of error: Error) -> String? {
        let ns = error as NSError
        if let p = ns.userInfo[NSFilePathErrorKey] as? String { return p }
        if let u = ns.userInfo[NSURLErrorKey] as? URL, u.isFileURL { return u.path }
        return nil
    }

    /// Cocoa file errors that stand for one POSIX error.
    static func posixCode(of ns: NSError) -> Int32? {
        guard ns.domain == NSCocoaErrorDomain else { return nil }
        switch ns.code {
        case CocoaError.fileWriteOutOfSpace.rawValue: return ENOSPC
        case CocoaError.fileNoSuchFile.rawValue, CocoaError.fileReadNoSuchFile.rawValue: return ENOENT
        case CocoaError.fileWriteNoPermission.rawValue, CocoaError.fileReadNoPermission.rawValue: return EACCES
        case CocoaError.fileWriteFileExists.rawValue: return EEXIST
        case CocoaError.fileWriteVolumeReadOnly.rawValue: return EROFS
        default: return nil
        }
    }
}

/// Folders, created with errors that name them.
public enum Folder {
    /// Creates `path` and its parents; a failure is a `FileSystemError` naming the folder that could not be
    /// made (e.g. `/dev/null/r: cannot create the folder (Not a directory)`).
    public static func create(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileSystemError(path: FileSystemError.path(of: error) ?? path, action: "cannot create the folder", error: error)
        }
    }
}
