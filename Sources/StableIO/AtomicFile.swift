import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Whole-file writes that either land completely or not at all.
public enum AtomicFile {
    /// A file that could not be written (a full disk, a missing or read-only folder): one line naming the file
    /// and the system's reason. Nothing was left behind: the previous file, if any, is unchanged.
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "\(path): cannot write (\(reason))" }
    }

    /// The infix of the temporary file beside `path` (`<path>.tmp-<pid>`); a process killed mid-write leaves
    /// such a file, never a partial `path`. Callers that clean up after a crash look for it.
    public static let temporaryInfix = ".tmp-"

    /// Writes `data` to `<path>.tmp-<pid>` in the same folder (creating the folder if needed), flushes it to
    /// disk, then renames it over `path`. On any failure the temporary file is removed, `path` keeps its
    /// previous content, and a `WriteError` naming the path is thrown.
    public static func write(_ data: Data, to path: String) throws {
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw WriteError(path: path, reason: "cannot create the folder \(folder): \(reasonText(error))")
            }
        }
        let tmp = path + temporaryInfix + String(ProcessInfo.processInfo.processIdentifier)
        func fail(_ code: Int32) -> WriteError {
            unlink(tmp)
            return WriteError(path: path, reason: String(cString: strerror(code)))
        }
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        var done = 0
        let failure: Int32? = data.withUnsafeBytes { raw -> Int32? in
            while done < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                done += n
            }
            return fsync(fd) == 0 ? nil : errno
        }
        if let failure {
            close(fd)
            throw fail(failure)
        }
        guard close(fd) == 0 else { throw fail(errno) }
        guard rename(tmp, path) == 0 else { throw fail(errno) }
    }

    /// The system's reason without Foundation's domain and code noise.
    static func reasonText(_ error: Error) -> String { FileSystemError.reason(of: error) }
}
