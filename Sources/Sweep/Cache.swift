import BitOpsCore
import Foundation
import Results

/// The durable per-case cache of a results folder: `cases/<case id>.json`, one file per finished case,
/// written to a temporary name and renamed, so that a file under its final name is always complete.
///
/// Only cases that ran are stored (a case that could not run is tried again next time). A case is reused
/// only when the stored key equals the key computed now. The key covers the resolved
/// configuration and network, the batch size, the image set (names and SHA-256 of every file) and the engine
/// version: a changed image or a new engine never reuses a stale result.
public struct CaseCache: Sendable {
    public static let folderName = "cases"
    public let directory: String

    public init(resultsDirectory: String) {
        directory = (resultsDirectory as NSString).appendingPathComponent(Self.folderName)
    }

    struct Entry: Codable {
        var key: String
        var result: CaseResult
    }

    /// The cache key of a case.
    public static func key(for c: SweepCase, imageSetDigest: String, engineVersion: String) -> String {
        Digest.sha256("bitsweep-case-v1\n" + Canonical.json(c.config) + "\n" + Canonical.json(c.network)
            + "\nbatch \(c.job.batch)\nengine \(engineVersion)\nimages \(imageSetDigest)\n")
    }

    func path(_ id: String) -> String { (directory as NSString).appendingPathComponent("\(id).json") }

    /// The stored result of case `id` when its key matches; nil when absent, stale or unreadable.
    public func load(id: String, key: String) -> CaseResult? {
        guard let data = FileManager.default.contents(atPath: path(id)),
              let e = try? JSONDecoder().decode(Entry.self, from: data), e.key == key, e.result.id == id else { return nil }
        return e.result
    }

    public func store(_ result: CaseResult, key: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let data = try ResultsStore.encoder().encode(Entry(key: key, result: result))
        try ResultsStore.writeAtomically(data + Data("\n".utf8), to: path(result.id))
    }

    /// Removes temporary files left by a process that was killed while writing.
    public func removeTemporaries() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for n in names where n.contains(".json.tmp-") {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(n))
        }
    }

    /// Forgets every stored case (`--fresh`).
    public func clear() throws {
        guard FileManager.default.fileExists(atPath: directory) else { return }
        try FileManager.default.removeItem(atPath: directory)
    }

    /// Every entry file name (for merge).
    func entryFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.contains(".tmp-") }.sorted()
    }
}
