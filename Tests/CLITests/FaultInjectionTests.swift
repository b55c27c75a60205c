import Foundation
import Testing

/// Faults injected into real runs of the built `bitsweep`: a full disk (a small tmpfs mounted for the test —
/// skipped, with the reason, where mounting is not allowed) and `kill -9`.
@Suite(.serialized) struct FaultInjectionTests {
    /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN); tried once.
    static let tmpfsProblem: String? = {
        let dir = NSTemporaryDirectory() + "bitsweep-mount-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        guard let r = try? CLI.run(["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir], executable: "/bin/mount"), r.status == 0 else {
            return "cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN)"
        }
        _ = try? CLI.run([dir], executable: "/bin/umount")
        return nil
    }()

    /// A tmpfs of `kilobytes`, unmounted at the end.
    final class SmallDisk {
        let path: String
        init(kilobytes: Int) throws {
            path = NSTemporaryDirectory() + "bitsweep-full-disk-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            let r = try CLI.run(["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path], executable: "/bin/mount")
            guard r.status == 0 else { throw CLIError("mount failed: \(r.stderr)") }
        }
        deinit {
            _ = try? CLI.run([path], executable: "/bin/umount")
            try? FileManager.default.removeItem(atPath: path)
        }
        var freeBytes: Int {
            var s = statvfs()
            statvfs(path, &s)
            return Int(s.f_bavail) * Int(s.f_frsize)
        }
        /// Fills the disk until `leave` bytes (rounded to pages) are free.
        func fill(leaving leave: Int) throws {
            let filler = (path as NSString).appendingPathComponent("filler-\(UUID().uuidString)")
            let size = max(0, freeBytes - leave)
            #expect(FileManager.default.createFile(atPath: filler, contents: nil))
            let h = try FileHandle(forWritingTo: URL(fileURLWithPath: filler))
            defer { try? h.close() }
            var left = size
            let chunk = Data(repeating: 0x55, count: 1 << 16)
            while left > 0 {
                let part = chunk.prefix(min(left, chunk.count))
                do { try h.write(contentsOf: part) } catch { break }
                left -= part.count
            }
        }
    }

    struct CLIError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static let images = CLI.packageRoot.appendingPathComponent("Inputs/images").path

    static func tmpFiles(_ dir: String) -> [String] {
        ((FileManager.default.enumerator(atPath: dir)?.allObjects as? [String]) ?? []).filter { $0.contains(".tmp-") }
    }

    static func bytes(_ dir: String, _ names: [String]) -> [Data?] {
        names.map { FileManager.default.contents(atPath: (dir as NSString).appendingPathComponent($0)) }
    }

    /// A sweep that runs out of disk stops with one error line (exit 1), keeps the previous summary byte for
    /// byte and leaves no temporary file.
    @Test(.enabled(if: tmpfsProblem == nil, "\(tmpfsProblem ?? "")"))
    func sweepOnAFullDiskKeepsThePreviousResults() throws {
        let disk = try SmallDisk(kilobytes: 1024)
        let out = (disk.path as NSString).appendingPathComponent("out")
        let specDir = NSTemporaryDirectory() + "bitsweep-fault-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: specDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: specDir) }
        let spec = (specDir as NSString).appendingPathComponent("spec.yaml")
        try "name: full\nimages: \(Self.images)\nsizes: [8]\nblocks: [1]\nprecisions: [4, 8]\n".write(toFile: spec, atomically: true, encoding: .utf8)

        let first = try CLI.run(["sweep", spec, "--out", out, "--no-report", "--jobs", "1"])
        #expect(first.status == 0, "\(first.stderr)")
        let summary = ["results.json", "results.csv", "run.json"]
        let before = Self.bytes(out, summary)
        #expect(before.allSatisfy { $0 != nil })

        try disk.fill(leaving: 0)
        let second = try CLI.run(["sweep", spec, "--out", out, "--no-report", "--jobs", "1", "--set", "sizes=[8, 12]"])
        #expect(second.status == 1, "\(second.stderr)")
        // The one error line names the file that could not be written, first.
        let errors = second.stderr.split(separator: "\n").filter { $0.hasPrefix(out + "/") }
        #expect(errors.count == 1 && errors[0].contains(": cannot write (No space left on device)"), "\(second.stderr)")
        #expect(Self.bytes(out, summary) == before)
        #expect(Self.tmpFiles(out).isEmpty, "\(Self.tmpFiles(out))")
    }

    /// A report on a disk that fills up part-way: the figures are written first and the documents last, so
    /// no report.md appears that links figures which were never written; no temporary file is left.
    @Test(.enabled(if: tmpfsProblem == nil, "\(tmpfsProblem ?? "")"))
    func reportOnAFullDiskWritesNoDocumentWithoutItsFigures() throws {
        let disk = try SmallDisk(kilobytes: 4096)
        let out = (disk.path as NSString).appendingPathComponent("out")
        let specDir = NSTemporaryDirectory() + "bitsweep-fault-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: specDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: specDir) }
        let spec = (specDir as NSString).appendingPathComponent("spec.yaml")
        try "name: fullreport\nimages: \(Self.images)\nsizes: [8]\nblocks: [1]\nprecisions: [4, 8]\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let sweep = try CLI.run(["sweep", spec, "--out", out, "--no-report", "--jobs", "1"])
        #expect(sweep.status == 0, "\(sweep.stderr)")

        // The same report written where there is room: how big its Markdown is.
        let roomy = (specDir as NSString).appendingPathComponent("report")
        let ok = try CLI.run(["report", out, "--out", roomy, "--outputs", "md"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let markdown = try #require(FileManager.default.contents(atPath: (roomy as NSString).appendingPathComponent("report.md"))).count
        let figures = try FileManager.default.contentsOfDirectory(atPath: (roomy as NSString).appendingPathComponent("figures"))
        #expect(figures.count > 2)

        // Room for report.md (and a page more), not for every figure.
        try disk.fill(leaving: (markdown + 4095) / 4096 * 4096 + 4096)
        let r = try CLI.run(["report", out, "--outputs", "md"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains("No space left on device"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("report.md")))
        #expect(Self.tmpFiles(out).isEmpty, "\(Self.tmpFiles(out))")
    }

    /// `kill -9` of a sweep that holds its folder: the lock goes with the process, so the next run starts at
    /// once, finishes the cases and leaves no temporary file.
    @Test func killedSweepLeavesNoLockBehind() throws {
        let dir = NSTemporaryDirectory() + "bitsweep-kill-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = (dir as NSString).appendingPathComponent("spec.yaml")
        try "name: killed\nimages: \(Self.images)\nsizes: [8, 12]\nblocks: [1]\nprecisions: [4, 8]\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let out = (dir as NSString).appendingPathComponent("out")
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["sweep", spec, "--out", out, "--no-report", "--jobs", "1", "--debug-delay-ms", "400"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let lockFile = (out as NSString).appendingPathComponent(".bitsweep.lock")
        for _ in 0..<200 where (try? String(contentsOfFile: lockFile, encoding: .utf8)) != "\(p.processIdentifier)\n" {
            usleep(20_000)
        }
        usleep(600_000)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let again = try CLI.run(["sweep", spec, "--out", out, "--no-report", "--jobs", "1"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(!again.stderr.contains("in use"))
        #expect(again.stderr.contains("done: 4 cases"))
        #expect(Self.tmpFiles(out).isEmpty)
    }
}
