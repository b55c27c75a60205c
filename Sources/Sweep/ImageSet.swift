import BitSweepConfig
import Foundation

/// The files of an images folder: every regular, non-hidden file below it (recursively), in a fixed order,
/// with the SHA-256 of each. Which of them are images is decided later, by decoding.
public struct ImageSet: Sendable {
    /// The folder as resolved.
    public var folder: String
    /// Relative paths, sorted.
    public var files: [String]
    /// Relative path → SHA-256 of the file's bytes (`unreadable` when it cannot be read).
    public var digests: [String: String]

    /// A digest of the whole set (names and contents): part of every cache key.
    public var setDigest: String {
        Digest.sha256(files.map { "\($0)\t\(digests[$0] ?? "")\n" }.joined())
    }

    public func path(_ file: String) -> String { (folder as NSString).appendingPathComponent(file) }

    /// Lists `folder`. A missing folder, a file in its place, or a folder with no files is an error that
    /// names `origin` (the spec line that chose the folder).
    public static func scan(folder: String, origin: SpecOrigin) throws -> ImageSet {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDir) else {
            throw SweepError("\(origin): the images folder '\(folder)' does not exist")
        }
        guard isDir.boolValue else {
            throw SweepError("\(origin): '\(folder)' is a file, not a folder of images")
        }
        guard let all = try? FileManager.default.subpathsOfDirectory(atPath: folder) else {
            throw SweepError("\(origin): the images folder '\(folder)' cannot be read")
        }
        var files: [String] = []
        for rel in all {
            if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            var d: ObjCBool = false
            let p = (folder as NSString).appendingPathComponent(rel)
            if FileManager.default.fileExists(atPath: p, isDirectory: &d), !d.boolValue { files.append(rel) }
        }
        files.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        guard !files.isEmpty else {
            throw SweepError("\(origin): the images folder '\(folder)' is empty; put at least one PNG or JPEG image in it")
        }
        var digests: [String: String] = [:]
        for f in files {
            digests[f] = Digest.sha256(file: (folder as NSString).appendingPathComponent(f)) ?? "unreadable"
        }
        return ImageSet(folder: folder, files: files, digests: digests)
    }
}

/// A sweep that cannot start or cannot finish; `description` is one line (or one line per problem).
public struct SweepError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
