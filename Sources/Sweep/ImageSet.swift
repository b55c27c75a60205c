import BitSweepConfig
import Engine
import Foundation

/// The files of an images folder: every regular, non-hidden file below it (recursively), in a fixed order,
/// with the SHA-256 of each. Which of them are images is decided later, by decoding.
///
/// Only regular files (or symlinks to regular files) of at most `maxFileBytes` are candidates; anything else
/// in the folder — a FIFO (reading it would wait forever), a link to `/dev/zero` (endless), a socket, a
/// device, a broken link, a file too large to be an image — is listed in `skipped` with the reason, and is
/// never opened.
public struct ImageSet: Sendable {
    /// An image file larger than this is skipped unread (a 16384×16384 RGB PNG without compression is 805 MB;
    /// real photographs are far smaller).
    public static let maxFileBytes = ImageFile.maxFileBytes

    /// The folder as resolved.
    public var folder: String
    /// Relative paths, sorted.
    public var files: [String]
    /// Relative path → SHA-256 of the file's bytes (`unreadable` when it cannot be read).
    public var digests: [String: String]
    /// Entries that are not candidate images, with the reason, sorted by path.
    public var skipped: [(file: String, reason: String)] = []

    /// A digest of the whole set (names and contents): part of every cache key.
    public var setDigest: String {
        Digest.sha256(files.map { "\($0)\t\(digests[$0] ?? "")\n" }.joined()
            + skipped.map { "\($0.file)\tskipped: \($0.reason)\n" }.joined())
    }

    /// Why `path` is not a candidate image (nil when it is a regular file of an acceptable size). Symlinks
    /// are followed; nothing is opened.
    public static func notAnImageFile(_ path: String, maxBytes: Int = maxFileBytes) -> String? {
        var st = stat()
        guard stat(path, &st) == 0 else {
            return "cannot be read (\(String(cString: strerror(errno))))"
        }
        switch st.st_mode & S_IFMT {
        case S_IFREG:
            if Int(st.st_size) > maxBytes {
                return "a file of \(Int(st.st_size)) bytes is larger than an image file may be (\(maxBytes) bytes)"
            }
            return nil
        case S_IFIFO: return "not a regular file (a FIFO)"
        case S_IFCHR: return "not a regular file (a character device)"
        case S_IFBLK: return "not a regular file (a block device)"
        case S_IFSOCK: return "not a regular file (a socket)"
        case S_IFDIR: return "a folder"
        default: return "not a regular file"
        }
    }

    public func path(_ file: String) -> String { (folder as NSString).appendingPathComponent(file) }

    /// Lists `folder`. A missing folder, a file in its place, or a folder with no files is an error that
    /// names `origin` (the spec line that chose the folder).
    public static func scan(folder: String, origin: SpecOrigin) throws -> ImageSet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) else {
            throw SweepError("\(origin): the images folder '\(folder)' does not exist", input: true)
        }
        guard isDir.boolValue else {
            throw SweepError("\(origin): '\(folder)' is a file, not a folder of images", input: true)
        }
        guard let all = try? FileManager.default.subpathsOfDirectory(atPath: folder) else {
            throw SweepError("\(origin): the images folder '\(folder)' cannot be read", input: true)
        }
        var files: [String] = []
        var skipped: [(file: String, reason: String)] = []
        for rel in all {
            if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            let p = (folder as NSString).appendingPathComponent(rel)
            switch notAnImageFile(p) {
            case nil: files.append(rel)
            case "a folder"?: continue
            case let reason?: skipped.append((rel, reason))
            }
        }
        files.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        skipped.sort { $0.file.utf8.lexicographicallyPrecedes($1.file.utf8) }
        guard !files.isEmpty || !skipped.isEmpty else {
            throw SweepError("\(origin): the images folder '\(folder)' is empty; put at least one PNG or JPEG image in it", input: true)
        }
        var digests: [String: String] = [:]
        for f in files {
            digests[f] = Digest.sha256(file: (folder as NSString).appendingPathComponent(f)) ?? "unreadable"
        }
        return ImageSet(folder: folder, files: files, digests: digests, skipped: skipped)
    }
}

/// A sweep that cannot start or cannot finish; `description` is one line (or one line per problem), starting
/// with the file or folder at fault when there is one.
public struct SweepError: Error, CustomStringConvertible, Sendable {
    public var description: String
    /// True when the problem is the input (a missing or empty images folder, shard folders that do not fit
    /// together, a malformed `--shard`): the command line exits 2 for these, 1 for a failure while working.
    public var isInputError: Bool
    public init(_ description: String, input: Bool = false) {
        self.description = description
        self.isInputError = input
    }
}
