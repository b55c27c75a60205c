import Foundation
import StableIO

/// An exclusive lock on a results folder for the length of one run (`sweep`, `merge`): a `flock` on
/// `<folder>/.bitsweep.lock`, whose text is the holder's PID. The kernel drops the lock when the holder's
/// process ends, however it ends (kill -9 included), so a lock is never left behind; the file itself stays.
///
/// A second run on the same folder either stops at once with "folder in use by PID N" or, with `wait`, waits
/// until the first one ends. Holding the lock is also what makes it safe for a run to remove the temporary
/// files (`*.tmp-PID`) it finds: no other live run can be writing them.
public final class FolderLock: @unchecked Sendable {
    public static let fileName = ".bitsweep.lock"
    private var fd: Int32
    public let path: String

    /// Locks `directory` (created if needed). `onWait` is called once, with the holder's PID, before
    /// waiting (only when `wait`).
    public init(directory: String, wait: Bool, onWait: (String) -> Void = { _ in }) throws {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDir), !isDir.boolValue {
            throw SweepError("\(directory): not a folder (a file of that name exists); choose another --out")
        }
        try Folder.create(directory)
        path = (directory as NSString).appendingPathComponent(Self.fileName)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw SweepError("\(path): cannot open the lock file (\(String(cString: strerror(errno))))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            guard code == EWOULDBLOCK else {
                close(fd)
                throw SweepError("\(path): cannot lock (\(String(cString: strerror(code))))")
            }
            let holder = Self.holder(path)
            guard wait else {
                close(fd)
                throw SweepError("\(directory): folder in use by PID \(holder) (another bitsweep run writes there); wait for it to finish, or pass --wait")
            }
            onWait(holder)
            while flock(fd, LOCK_EX) != 0 {
                guard errno == EINTR else {
                    let code = errno
                    close(fd)
                    throw SweepError("\(path): cannot lock (\(String(cString: strerror(code))))")
                }
            }
        }
        // Ours: record our PID for the next one who finds the folder in use.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
    }

    /// The PID written in the lock file (`unknown` when it cannot be read).
    static func holder(_ path: String) -> String {
        guard let data = FileManager.default.contents(atPath: path),
              let pid = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return "unknown"
        }
        return String(pid)
    }

    /// Releases the lock (also done when the value goes away).
    public func release() {
        guard fd >= 0 else { return }
        flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }
}
