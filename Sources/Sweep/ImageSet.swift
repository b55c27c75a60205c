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
///
/// A folder in the ImageFolder layout is a **labelled** set: its top level holds one sub-folder per class
/// (and nothing else but hidden entries), or a `classes.txt` that names the class folders one per line. The
/// class index of an image is the position of its class folder among the sorted folder names (byte order,
/// as Python's `sorted` orders them), or its line among the non-empty lines of `classes.txt`; every image
/// below a class folder (at any depth) has that class. With `classes.txt`, files outside the folders it names
/// are skipped with the reason. A class folder with no file in it, a `classes.txt` that names a missing
/// folder (or one twice, or none) is an input error. Any other folder is unlabelled, as before.
public struct ImageSet: Sendable {
    /// The file of a labelled folder that names (and orders) its classes.
    public static let classesFile = "classes.txt"

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
    /// The class names of a labelled set, in class-index order; nil for an unlabelled set.
    public var classes: [String]? = nil

    /// A digest of the whole set (names and contents, and the classes of a labelled set): part of every cache
    /// key. An unlabelled set's digest is what it was before labels existed.
    public var setDigest: String {
        Digest.sha256(files.map { "\($0)\t\(digests[$0] ?? "")\n" }.joined()
            + skipped.map { "\($0.file)\tskipped: \($0.reason)\n" }.joined()
            + (classes.map { "labelled classes\t\($0.joined(separator: "\t"))\n" } ?? ""))
    }

    /// The class index of `file` (a relative path of `files`) in a labelled set: its first folder's position
    /// in `classes`. Nil in an unlabelled set.
    public func label(of file: String) -> Int? {
        guard let classes, let first = file.split(separator: "/", maxSplits: 1).first, file.contains("/") else { return nil }
        return classes.firstIndex(of: String(first))
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
        let classes = try labelClasses(folder: folder, files: files, skipped: skipped)
        if let classes {
            // Only what lies below a class folder is an image of the set; classes.txt itself is no image.
            let named = Set(classes)
            var kept: [String] = []
            for rel in files {
                let parts = rel.split(separator: "/", maxSplits: 1).map(String.init)
                if parts.count == 2, named.contains(parts[0]) {
                    kept.append(rel)
                } else if rel != classesFile {
                    skipped.append((rel, parts.count == 2
                        ? "its folder '\(parts[0])' is not a class that \(classesFile) names"
                        : "not in a class folder (\(classesFile) names the classes)"))
                }
            }
            files = kept
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
        return ImageSet(folder: folder, files: files, digests: digests, skipped: skipped, classes: classes)
    }

    /// The classes of `folder` when it is labelled (see the type's notes), nil when it is not. `files` and
    /// `skipped` are the folder's listing (relative paths of every non-hidden, non-folder entry).
    static func labelClasses(folder: String, files: [String], skipped: [(file: String, reason: String)]) throws -> [String]? {
        let fm = FileManager.default
        func isFolder(_ name: String) -> Bool {
            var d: ObjCBool = false
            return fm.fileExists(atPath: (folder as NSString).appendingPathComponent(name), isDirectory: &d) && d.boolValue
        }
        let top = ((try? fm.contentsOfDirectory(atPath: folder)) ?? []).filter { !$0.hasPrefix(".") }
        let classes: [String]
        if files.contains(classesFile) {
            let path = (folder as NSString).appendingPathComponent(classesFile)
            guard let data = fm.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw SweepError("\(path): cannot be read as UTF-8 text; expected one class folder name per line", input: true)
            }
            var names: [String] = []
            for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if name.isEmpty { continue }
                guard !names.contains(name) else {
                    throw SweepError("\(path):\(i + 1): names the class '\(name)' a second time; expected each class folder once", input: true)
                }
                guard !name.contains("/"), !name.hasPrefix("."), isFolder(name) else {
                    throw SweepError("\(path):\(i + 1): names the class folder '\(name)', which is not a folder in \(folder)", input: true)
                }
                names.append(name)
            }
            guard !names.isEmpty else {
                throw SweepError("\(path): names no class; expected one class folder name per line", input: true)
            }
            classes = names
        } else {
            guard !top.isEmpty, top.allSatisfy(isFolder) else { return nil }
            classes = top.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        }
        // Every class folder holds something (an image, or at least a file that is skipped with its reason).
        var used = Set<String>()
        for rel in files + skipped.map(\.file) {
            if let i = rel.firstIndex(of: "/") { used.insert(String(rel[..<i])) }
        }
        for c in classes where !used.contains(c) {
            throw SweepError("\((folder as NSString).appendingPathComponent(c)): empty class folder; a labelled images folder needs at least one image in every class folder", input: true)
        }
        return classes
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
