import BitOpsCore
import Foundation
import Results
import StableIO

/// The durable per-case cache of a results folder: `cases/<case id>.json`, one file per finished case,
/// written to a temporary name and renamed, so that a file under its final name is always complete.
///
/// Only cases that ran are stored (a case that could not run is tried again next time). A case is reused
/// only when the stored key equals the key computed now. The key covers the resolved
/// configuration and network, the batch size, the image set (names and SHA-256 of every file) and the engine
/// version: a changed image or a new engine never reuses a stale result.
///
/// A file under the right key is still not trusted blindly (`lookup`): its counts must equal the exact
/// counts just recomputed, its images must be the images of this run, its fidelity summary must be the one
/// its per-image results give, and the SHA-256 `checksum` stored beside the result must match the result's
/// canonical JSON. An entry that fails any check is recomputed, and the reason is reported.
public struct CaseCache: Sendable {
    public static let folderName = "cases"
    public let directory: String

    public init(resultsDirectory: String) {
        directory = (resultsDirectory as NSString).appendingPathComponent(Self.folderName)
    }

    struct Entry: Codable {
        var key: String
        var result: CaseResult
        /// SHA-256 of `checksumText(result)`; nil in files written before checksums (such entries are recomputed).
        var checksum: String?
    }

    /// What `lookup` found for one case.
    public enum Lookup: Sendable {
        /// A valid entry under the current key.
        case hit(CaseResult)
        /// No entry, or one stored under another key (a changed configuration, image set or engine).
        case miss
        /// An entry under the current key that failed a check: recompute it; the text says why.
        case invalid(String)
    }

    /// The canonical text the checksum covers (sorted keys; the index is excluded: it moves with the grid).
    static func checksum(_ result: CaseResult) -> String {
        var r = result
        r.index = 0
        return Digest.sha256(Canonical.json(r))
    }

    /// The cache key of a case. The kernels are in it always (a case's configuration names them only when
    /// the spec asks for several), so that a result timed on other kernels is never reused. A calibrated case
    /// (`minmax`, `percentile:P`) also has `calibrationVersion` (`CaseEvaluator.calibrationVersion`), so that a
    /// change to calibration makes it stale; a fixed case's key does not have it (and stays as it was). It is
    /// an autoclosure, evaluated for calibrated cases only.
    public static func key(for c: SweepCase, imageSetDigest: String, engineVersion: String,
                           calibrationVersion: @autoclosure () -> String) -> String {
        let calibration = c.job.calibration == .fixed ? "" : "calibration \(calibrationVersion())\n"
        return Digest.sha256("bitsweep-case-v1\n" + Canonical.json(c.config) + "\n" + c.network.canonical
            + "\nbatch \(c.job.batch)\nkernels \(c.job.kernels.rawValue)\nengine \(engineVersion)\nimages \(imageSetDigest)\n"
            + calibration)
    }

    func path(_ id: String) -> String { (directory as NSString).appendingPathComponent("\(id).json") }

    /// The stored result of case `id` when its key matches and it passes every check; nil otherwise.
    public func load(id: String, key: String) -> CaseResult? {
        guard let data = FileManager.default.contents(atPath: path(id)),
              let e = try? JSONDecoder().decode(Entry.self, from: data), e.key == key, e.result.id == id,
              e.checksum == Self.checksum(e.result) else { return nil }
        return e.result
    }

    /// The stored result of `c`, checked against what this run knows: the key, the exact counts the plan has
    /// just recomputed (`c.cost`), the images this run reads (`imageFiles`, in order), the fidelity summary
    /// its own per-image results give, and the checksum.
    public func lookup(_ c: SweepCase, key: String, imageFiles: [String]) -> Lookup {
        let file = "\(Self.folderName)/\(c.id).json"
        guard let data = FileManager.default.contents(atPath: path(c.id)) else { return .miss }
        guard let e = try? JSONDecoder().decode(Entry.self, from: data) else {
            return .invalid("\(file) is not a readable case record")
        }
        guard e.key == key else { return .miss }
        guard e.result.id == c.id else { return .invalid("\(file) holds case \(e.result.id), not \(c.id)") }
        guard let sum = e.checksum else { return .invalid("\(file) has no checksum") }
        guard sum == Self.checksum(e.result) else {
            return .invalid("\(file) does not match its checksum (edited or damaged)")
        }
        guard e.result.cost == c.cost else {
            return .invalid("\(file) has counts (\(e.result.cost.totals.bitops) BitOps) that differ from the exact counts (\(c.cost.totals.bitops) BitOps)")
        }
        guard e.result.error == nil, e.result.images.map(\.file) == imageFiles else {
            return .invalid("\(file) was computed on other images than this run's \(imageFiles.count)")
        }
        guard e.result.fidelity == FidelitySummary(images: e.result.images) else {
            return .invalid("\(file) has a fidelity summary that its per-image results do not give")
        }
        guard e.result.accuracy == AccuracySummary(images: e.result.images) else {
            return .invalid("\(file) has an accuracy that its per-image results do not give")
        }
        return .hit(e.result)
    }

    public func store(_ result: CaseResult, key: String) throws {
        try Folder.create(directory)
        let data = try ResultsStore.encoder().encode(Entry(key: key, result: result, checksum: Self.checksum(result)))
        try AtomicFile.write(data + Data("\n".utf8), to: path(result.id))
    }

    /// Removes temporary files left by a process that was killed while writing.
    public func removeTemporaries() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for n in names where n.contains(".json" + AtomicFile.temporaryInfix) {
            try? FileManager.default.removeItem(atPath: (directory as NSString).appendingPathComponent(n))
        }
    }

    /// Forgets every stored case (`--fresh`).
    public func clear() throws {
        guard FileManager.default.fileExists(atPath: directory) else { return }
        do { try FileManager.default.removeItem(atPath: directory) } catch {
            throw FileSystemError(path: directory, action: "cannot remove the case cache", error: error)
        }
    }

    /// Every entry file name (for merge).
    func entryFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasSuffix(".json") && !$0.contains(".tmp-") }.sorted()
    }
}
