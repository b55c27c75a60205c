import Foundation
import Testing

/// The one error style and exit-code policy, end to end: every usage or input error exits 2 with exactly one
/// line on stderr, starting with `file[:line]:` when a file is at fault and `bitsweep SUBCOMMAND:` otherwise;
/// a failure while working exits 1 and names the path; nothing goes to stdout.
@Suite struct ErrorPolicyCLITests {
    /// A scratch folder with a tiny sweep spec (seed preset, 8×8, over the repository's images).
    final class Scratch {
        let path: String
        init() throws {
            path = NSTemporaryDirectory() + "bitsweep-cli-errors-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
        @discardableResult
        func write(_ name: String, _ data: Data) throws -> String {
            let p = sub(name)
            try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: p))
            return p
        }
        @discardableResult
        func write(_ name: String, _ text: String) throws -> String { try write(name, Data(text.utf8)) }

        /// `name: tiny`, sizes [8], the given blocks, and `extra` lines.
        func spec(blocks: String = "[1]", images: String? = nil, extra: String = "") throws -> String {
            let imgs = images ?? CLI.packageRoot.appendingPathComponent("Inputs/images").path
            return try write("tiny.yaml", "name: tiny\nimages: \(imgs)\nsizes: [8]\nblocks: \(blocks)\nprecisions: [4]\n\(extra)")
        }
    }

    /// Runs `bitsweep args`, expects `status`, no stdout, and exactly one stderr line equal to `line` (or,
    /// with `prefix: true`, starting with it).
    func expectOneLine(_ args: [String], status: Int32, _ line: String, prefix: Bool = false, cwd: URL? = nil,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let r = try CLI.run(args, cwd: cwd)
        let lines = r.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(r.status == status, "bitsweep \(args.joined(separator: " ")): \(r.stderr)", sourceLocation: sourceLocation)
        #expect(lines.count == 1, "expected one line, got: \(r.stderr)", sourceLocation: sourceLocation)
        if prefix {
            #expect(lines.first?.hasPrefix(line) == true, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        } else {
            #expect(lines.first == line, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        }
    }

    // MARK: usage errors

    @Test func negativeNumbersAreNamed() throws {
        try expectOneLine(["sweep", "--jobs", "-3"], status: 2, "bitsweep sweep: --jobs -3 must be at least 1")
        try expectOneLine(["infer", "--threads", "-1", "x.png"], status: 2, "bitsweep infer: --threads -1 must be at least 1")
        try expectOneLine(["bench", "--batch", "-2"], status: 2, "bitsweep bench: --batch -2 must be at least 1")
        try expectOneLine(["calc", "--size", "-5"], status: 2, "bitsweep calc: size -5 is out of range: expected 1–16384 pixels")
    }

    @Test func argumentParserErrorsAreOneLineAndExit2() throws {
        try expectOneLine(["sweep", "--no-such-option"], status: 2, "bitsweep sweep: Unknown option '--no-such-option'")
        try expectOneLine(["compare", "a", "b", "--out"], status: 2, "bitsweep compare: Missing value for '--out <dir>'")
        try expectOneLine(["budget", "a", "b"], status: 2, "bitsweep budget: Unexpected argument 'b'")
    }

    @Test func galleryDpiZeroIsAUsageError() throws {
        try expectOneLine(["gallery", "--dpi", "0", "--out", "/tmp/unused"], status: 2,
                          "bitsweep gallery: --dpi 0 is out of range: expected 1–2400 dots per inch")
    }

    // MARK: input errors (files)

    @Test func inferWithAMissingImageNamesIt() throws {
        try expectOneLine(["infer", "/nonexistent/photo.png"], status: 2, "/nonexistent/photo.png: ", prefix: true)
        try expectOneLine(["sensitivity", "/nonexistent/photo.png"], status: 2, "/nonexistent/photo.png: ", prefix: true)
        try expectOneLine(["search", "--batch", "-2", "x.png"], status: 2, "bitsweep search: --batch -2 must be at least 1")
    }

    @Test func aBadWeightsFileIsAnInputError() throws {
        let s = try Scratch()
        let garbage = try s.write("w.safetensors", "not a safetensors file at all")
        try expectOneLine(["infer", "--weights", garbage, "Inputs/images/chelsea.jpg"], status: 2,
                          "\(garbage): truncated safetensors file", prefix: true)
        // A well-formed file without the network's tensors: also the input's fault.
        var empty = Data([2, 0, 0, 0, 0, 0, 0, 0])
        empty.append(Data("{}".utf8))
        let noTensors = try s.write("empty.safetensors", empty)
        try expectOneLine(["infer", "--weights", noTensors, "Inputs/images/chelsea.jpg"], status: 2,
                          "\(noTensors): missing tensor", prefix: true)
    }

    @Test func aMissingOrEmptyImagesFolderIsAnInputError() throws {
        let s = try Scratch()
        let spec = try s.spec(images: "pictures")
        try expectOneLine(["sweep", spec, "--out", s.sub("out")], status: 2,
                          "\(spec):2: the images folder '\(s.sub("pictures"))' does not exist")
        try FileManager.default.createDirectory(atPath: s.sub("pictures"), withIntermediateDirectories: true)
        try expectOneLine(["sweep", spec, "--out", s.sub("out")], status: 2,
                          "\(spec):2: the images folder '\(s.sub("pictures"))' is empty; put at least one PNG or JPEG image in it")
    }

    @Test func mergeWithAMissingFolderOrShardIsAnInputError() throws {
        let s = try Scratch()
        try expectOneLine(["merge", "--out", s.sub("m"), s.sub("nothing")], status: 2,
                          "\(s.sub("nothing")): no results here (expected a results folder or its results.json)")
        let spec = try s.spec(blocks: "[1, 2]")
        let shard = try CLI.run(["sweep", spec, "--shard", "0/2", "--out", s.sub("s0"), "--no-report", "--jobs", "1"])
        #expect(shard.status == 0, "\(shard.stderr)")
        try expectOneLine(["merge", "--out", s.sub("m"), s.sub("s0")], status: 2,
                          "bitsweep merge: missing shard 1/2: merge needs all 2")
        #expect(!FileManager.default.fileExists(atPath: s.sub("m/results.json")))
    }

    @Test func reportOnAFolderWithoutResultsIsAnInputError() throws {
        let s = try Scratch()
        try expectOneLine(["report", s.path], status: 2,
                          "\(s.path)/results.json: no results here (expected a results folder or its results.json)")
    }

    // MARK: failures while working

    @Test func aFolderThatCannotBeCreatedIsNamedAndExits1() throws {
        // /dev/null is a file: nothing can be created below it.
        try expectOneLine(["report", "Reports/example", "--out", "/dev/null/r", "--outputs", "md"], status: 1,
                          "/dev/null/r: cannot create the folder (Not a directory)")
    }

    @Test func aSweepWithFailedCasesExits1AndCountsThem() throws {
        let s = try Scratch()
        // A readable safetensors file without the network's tensors: every case fails in the engine.
        var empty = Data([2, 0, 0, 0, 0, 0, 0, 0])
        empty.append(Data("{}".utf8))
        try s.write("w.safetensors", empty)
        let spec = try s.spec(blocks: "[1, 2]", extra: "network:\n  preset: seed\n  weights: w.safetensors\n")
        let r = try CLI.run(["sweep", spec, "--out", s.sub("out"), "--no-report", "--jobs", "1"])
        #expect(r.status == 1, "\(r.stderr)")
        let last = r.stderr.split(separator: "\n").last.map(String.init)
        #expect(last == "bitsweep sweep: 2 of 2 cases failed; their errors are in \(s.sub("out"))/results.json")
        #expect(FileManager.default.fileExists(atPath: s.sub("out/results.json")))
    }

    // MARK: --outputs and the old spelling

    @Test func reportTakesOutputsAndStillAcceptsFormatWithANote() throws {
        let s = try Scratch()
        let a = try CLI.run(["report", "Reports/example", "--out", s.sub("a"), "--outputs", "md"])
        #expect(a.status == 0, "\(a.stderr)")
        #expect(a.stderr.isEmpty)
        #expect(FileManager.default.fileExists(atPath: s.sub("a/report.md")))
        #expect(!FileManager.default.fileExists(atPath: s.sub("a/report.pdf")))
        let b = try CLI.run(["report", "Reports/example", "--out", s.sub("b"), "--format", "md"])
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stderr == "bitsweep report: warning: --format is deprecated for report; use --outputs (the files to write)\n")
        #expect(FileManager.default.fileExists(atPath: s.sub("b/report.md")))
        try expectOneLine(["report", "Reports/example", "--out", s.sub("c"), "--outputs", "docx"], status: 2,
                          "bitsweep report: --outputs: unknown format 'docx' (expected a comma-separated list of md, pdf, ipynb, tex, html, or all)")
    }
}
