import Foundation
import Results
import Testing
@testable import Sweep

/// `kill -9` in the middle of a sweep, then the same command again: only unfinished cases are computed, and
/// the results equal those of an uninterrupted run. Runs the built `bitsweep` binary as a child process.
@Suite(.serialized) struct CrashTests {
    /// The `bitsweep` executable beside the test bundle (`swift build --build-tests` builds both).
    static func binary() throws -> String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        if dir.lastPathComponent == "MacOS" || dir.lastPathComponent == "Contents" {  // an .xctest bundle
            while !dir.path.hasSuffix(".xctest") && dir.path != "/" { dir.deleteLastPathComponent() }
            dir.deleteLastPathComponent()
        }
        let path = dir.appendingPathComponent("bitsweep").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw SweepError("\(path) not found: build it with `swift build --build-tests` before `swift test --skip-build`")
        }
        return path
    }

    /// Starts `bitsweep` with `arguments`; stderr goes to `stderrFile`.
    static func start(_ arguments: [String], stderrFile: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try binary())
        p.arguments = arguments
        #expect(FileManager.default.createFile(atPath: stderrFile, contents: nil))
        p.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: stderrFile))
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        return p
    }

    static func finishedCases(_ out: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: out + "/cases")) ?? []
        return names.filter { $0.hasSuffix(".json") }.count
    }

    @Test func killMidSweepThenResume() throws {
        let d = TempDir()
        let images = (repoRoot as NSString).appendingPathComponent("Inputs/images")
        let spec = d.write("spec.yaml", """
            name: crash
            images: \(images)
            sizes: [8, 12, 16]
            blocks: [1, 2, 3]
            precisions: [32, 4, {first-last: {edge: 8, inner: 2}}]
            conventions: [weight, wa]
            """)
        let total = 3 * 3 * 3 * 2

        // Reference: uninterrupted.
        let ref = d.sub("ref")
        let r0 = try Self.start(["sweep", spec, "--out", ref, "--jobs", "2", "--no-report"], stderrFile: d.sub("ref.err"))
        r0.waitUntilExit()
        #expect(r0.terminationStatus == 0)

        // Interrupted: each evaluation is slowed down so that the kill lands in the middle.
        let out = d.sub("crash")
        let p = try Self.start(["sweep", spec, "--out", out, "--jobs", "2", "--no-report", "--debug-delay-ms", "150"],
                               stderrFile: d.sub("crash.err"))
        let deadline = Date().addingTimeInterval(120)
        while Self.finishedCases(out) < 10 && p.isRunning && Date() < deadline { usleep(20_000) }
        #expect(p.isRunning, "the sweep finished before it could be killed")
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(p.terminationReason == .uncaughtSignal)
        let done = Self.finishedCases(out)
        #expect(done >= 10 && done < total, "killed after \(done) of \(total) cases")
        #expect(!FileManager.default.fileExists(atPath: out + "/results.json"))

        // The same command again.
        let q = try Self.start(["sweep", spec, "--out", out, "--jobs", "2", "--no-report"], stderrFile: d.sub("resume.err"))
        q.waitUntilExit()
        #expect(q.terminationStatus == 0)
        let log = try String(contentsOfFile: d.sub("resume.err"), encoding: .utf8)
        #expect(log.contains("\(total) cases, \(done) cached"), "\(log)")
        #expect(log.contains("(\(total - done) computed, \(done) cached)"), "\(log)")
        // stderr is not a terminal here: one plain line per computed case, numbered after the cached ones.
        let caseLines = log.split(separator: "\n").filter { $0.hasPrefix("[") && $0.contains("/\(total)] seed n=") }
        #expect(caseLines.count == total - done)
        #expect(caseLines.first?.hasPrefix("[\(done + 1)/\(total)] ") == true)
        #expect(caseLines.last?.hasPrefix("[\(total)/\(total)] ") == true)
        #expect(try maskedResults(out) == maskedResults(ref))
        #expect(try maskedCSV(out) == maskedCSV(ref))
        let leftovers = (try FileManager.default.contentsOfDirectory(atPath: out + "/cases")).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }

    @Test func badSpecExitsNonZeroWithEveryProblemAndWritesNothing() throws {
        let d = TempDir()
        let spec = d.write("spec.yaml", "sizes: [0]\nblocks: [99]\nprecisions: [4]\n")
        let p = try Self.start(["sweep", spec, "--out", d.sub("out"), "--set", "conventions=[flops]"], stderrFile: d.sub("err"))
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        let err = try String(contentsOfFile: d.sub("err"), encoding: .utf8)
        #expect(err.contains("\(spec):1: size 0 is out of range"))
        #expect(err.contains("\(spec):2: blocks for the seed preset: 99 is out of range"))
        #expect(err.contains("--set conventions=[flops]: convention 'flops' is unknown"))
        #expect(!FileManager.default.fileExists(atPath: d.sub("out")))
    }
}
