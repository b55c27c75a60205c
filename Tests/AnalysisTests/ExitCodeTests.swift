import Foundation
import Results
import Testing

/// Exit codes of the built `bitsweep compare` / `bitsweep budget` (0 no regression, 1 regression, 2 usage or
/// input error), run as a nightly job runs them. The binary is the one built beside the test bundle
/// (`swift build --build-tests` builds it); these tests are skipped when it is not there.
enum BuiltBinary {
    static let path: String? = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // Inside an .xctest bundle on macOS the executable sits a few levels below the build folder.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("bitsweep").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }()
}

@Suite(.enabled(if: BuiltBinary.path != nil, "the bitsweep executable is not built beside the tests"))
struct ExitCodeTests {

    static func run(_ args: [String]) throws -> (code: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: BuiltBinary.path!)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// Baseline, an identical copy, one with a removed case, one slower by 25% in one case.
    static func fixtures() throws -> String {
        let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("analysis-exit-\(UUID().uuidString)")
        try ResultsStore.write(try Fixture.grid(), to: dir + "/base")
        try ResultsStore.write(try Fixture.grid(), to: dir + "/same")
        var removed = try Fixture.grid()
        removed.cases.removeFirst()
        try ResultsStore.write(removed, to: dir + "/removed")
        try ResultsStore.write(try Fixture.grid { c in
            if c.config.size == 32 && c.config.weightPrecision.description == "4" { c.timings?.msPerImage *= 1.25 }
        }, to: dir + "/slower")
        try Data("profiles:\n  x:\n    max_bitops: 1G\n    max_weight_storage: 1 MiB\n    max_activation_memory: 1 MiB\n    max_flash: 2\n".utf8)
            .write(to: URL(fileURLWithPath: dir + "/bad.yaml"))
        return dir
    }

    @Test func verdictsAndErrorsMapToExitCodes() throws {
        let d = try Self.fixtures()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let cases: [([String], Int32)] = [
            (["compare", d + "/base", d + "/same"], 0),
            (["compare", d + "/base", d + "/removed"], 1),
            (["compare", d + "/base", d + "/slower"], 0),
            (["compare", d + "/base", d + "/slower", "--fail-on-time"], 1),
            (["compare", d + "/base", d + "/slower", "--fail-on-time", "--time-threshold", "30%"], 0),
            (["compare", d + "/base", d + "/missing"], 2),
            (["compare", d + "/base"], 2),
            (["compare", d + "/base", d + "/same", "--no-such-option"], 2),
            (["compare", d + "/base", d + "/same", "extra"], 2),
            (["compare", d + "/base", d + "/same", "--time-threshold", "fast"], 2),
            (["compare", d + "/base", d + "/same", "--format", "xml"], 2),
            (["budget", d + "/base"], 2),
            (["budget", d + "/base", "--profiles", d + "/bad.yaml"], 2),
            (["budget", d + "/base", "--profiles", d + "/bad.yaml", "--bogus"], 2),
        ]
        for (args, expected) in cases {
            let r = try Self.run(args)
            #expect(r.code == expected, "bitsweep \(args.joined(separator: " ")) → \(r.code): \(r.stderr)")
        }
    }

    @Test func errorsAreOneLineNamingTheProblem() throws {
        let d = try Self.fixtures()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let bad = try Self.run(["budget", d + "/base", "--profiles", d + "/bad.yaml"])
        #expect(bad.stderr == "\(d)/bad.yaml:6: profile 'x': unknown key 'max_flash'; expected one of description, max_bitops, max_weight_storage, max_activation_memory, max_time_per_image, min_sqnr_db, min_top1_agreement, convention\n")
        #expect(bad.stdout.isEmpty)
        let missing = try Self.run(["compare", d + "/base", d + "/missing"])
        #expect(missing.stderr.hasPrefix("\(d)/missing: no results here"))
        #expect(missing.stderr.split(separator: "\n").count == 1)
    }
}
