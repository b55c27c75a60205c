import Foundation
import Testing

/// The hostile-input suite: the built `bitsweep` run as a hostile user would, on small generated inputs, one
/// case per kind of bad input. Each asserts the exit code, the one-line message, that no partial file was
/// left and that earlier results are intact. The commands that allocate run under `ulimit -v` (4 GB of
/// address space), so that an allocation the checks should have prevented shows up as a failure.
@Suite(.serialized) struct HostileInputTests {
    static let image = "Inputs/images/chelsea.jpg"
    static let limitKB = 4 << 20

    /// A fresh folder under /tmp, removed at the end.
    final class Scratch {
        let path: String
        init() {
            path = NSTemporaryDirectory() + "bitsweep-hostile-" + UUID().uuidString
            try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }
        @discardableResult
        func write(_ name: String, _ data: Data) -> String {
            let p = sub(name)
            try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try! data.write(to: URL(fileURLWithPath: p))
            return p
        }
    }

    /// Runs `bitsweep` under `ulimit -v`.
    static func limited(_ arguments: [String]) throws -> CLI.Result {
        try CLI.run(["-c", "ulimit -v \(limitKB) && exec \"$0\" \"$@\"", CLI.binary.path] + arguments, executable: "/bin/sh")
    }

    /// The outcome every bad input must have: `status`, nothing on stdout, one line on stderr containing
    /// `message`.
    static func expectRefusal(_ r: CLI.Result, status: Int32, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(r.status == status, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stdout.isEmpty, "stdout: \(r.stdout)", sourceLocation: sourceLocation)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(r.stderr)", sourceLocation: sourceLocation)
        #expect(r.stderr.contains(message), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    }

    static func names(_ dir: String) -> [String] {
        (FileManager.default.enumerator(atPath: dir)?.allObjects as? [String]) ?? []
    }

    // MARK: numbers from the command line

    @Test func hugeBatchIsRefusedNotTrapped() throws {
        Self.expectRefusal(try Self.limited(["infer", "--batch", "999999999999999", Self.image]), status: 1, "needs about")
    }

    /// A usage error: one line, naming the option.
    @Test func threadsHaveAnUpperBound() throws {
        for (args, message) in [(["infer", "--threads", "100000", Self.image], "bitsweep infer: --threads 100000 is too many (at most 1024)\n"),
                                (["bench", "--threads", "9999999999"], "bitsweep bench: --threads 9999999999 is too many (at most 1024)\n"),
                                (["sweep", "--jobs", "5000"], "bitsweep sweep: --jobs 5000 is too many (at most 1024)\n")] {
            let r = try CLI.run(args)
            #expect(r.status == 2 && r.stdout.isEmpty)
            #expect(r.stderr == message)
        }
    }

    /// Refused from the estimate before the image is resized (which alone would take 3 GiB at 16384).
    @Test func hugeSizeIsRefusedBeforeImagesAreResized() throws {
        let r = try Self.limited(["infer", "--size", "16384", Self.image])
        Self.expectRefusal(r, status: 1, "input images 3.00 GiB")   // 3·16384²·4 bytes = 3·2³⁰
    }

    // MARK: weights and models

    /// A safetensors file of the seed network's weights whose classifier weights are all 3e38.
    static func overflowingWeights(_ s: Scratch) throws -> String {
        let path = s.sub("overflow.safetensors")
        let r = try CLI.run(["bench", "--blocks", "2", "--runs", "1", "--warmup", "0", "--save-weights", path])
        #expect(r.status == 0, "\(r.stderr)")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let n = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + n)])) as! [String: Any]
        let entry = header["classifier.weight"] as! [String: Any]
        let offsets = entry["data_offsets"] as! [Int]
        let big = withUnsafeBytes(of: Float(3e38).bitPattern.littleEndian) { Array($0) }
        for o in stride(from: 8 + n + offsets[0], to: 8 + n + offsets[1], by: 4) { bytes.replaceSubrange(o..<(o + 4), with: big) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Logits that overflow once printed SQNR -nan, cosine 1 and "top-1 agree: yes" (exit 0), and `--format
    /// json` died with an encoding error: now an error naming the layer.
    @Test func nonFiniteLogitsNameTheLayer() throws {
        let s = Scratch()
        let w = try Self.overflowingWeights(s)
        for format in ["table", "json"] {
            Self.expectRefusal(try CLI.run(["infer", "--blocks", "2", "--weights", w, "--format", format, Self.image]), status: 1,
                               "the output of layer 'classifier' of the quantized network and the float twin went non-finite first")
        }
    }

    /// A sweep with those weights: every case records the error (once: "cannot write case" for all), the run
    /// finishes, and exits 1 saying how many cases failed.
    @Test func nonFiniteLogitsAreAPerCaseErrorInASweep() throws {
        let s = Scratch()
        let w = try Self.overflowingWeights(s)
        let images = CLI.packageRoot.appendingPathComponent("Inputs/images").path
        let spec = s.write("spec.yaml", Data("name: nan\nimages: \(images)\nnetwork: {preset: seed, weights: \(w)}\nsizes: [16]\nblocks: [2]\nprecisions: [4, 8]\n".utf8))
        let r = try CLI.run(["sweep", spec, "--out", s.sub("out"), "--no-report", "--jobs", "1"])
        #expect(r.status == 1, "\(r.stderr)")
        #expect(r.stderr.hasSuffix("bitsweep sweep: 2 of 2 cases failed; their errors are in \(s.sub("out"))/results.json\n"), "\(r.stderr)")
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.sub("out/results.json")))) as! [String: Any]
        let cases = results["cases"] as! [[String: Any]]
        #expect(cases.count == 2)
        for c in cases {
            #expect((c["error"] as? String)?.contains("the output of layer 'classifier'") == true, "\(c["error"] ?? "no error")")
        }
        #expect(!r.stderr.contains("not saved"))
    }

    /// A header of 60,000 nested brackets (120 KB) once crashed the parser with SIGSEGV.
    @Test func deeplyNestedSafetensorsHeader() throws {
        let s = Scratch()
        let depth = 60_000
        var header = Data(repeating: UInt8(ascii: "["), count: depth) + Data(repeating: UInt8(ascii: "]"), count: depth)
        while header.count % 8 != 0 { header.append(0x20) }
        let file = s.write("deep.safetensors", withUnsafeBytes(of: UInt64(header.count).littleEndian) { Data($0) } + header)
        Self.expectRefusal(try Self.limited(["infer", "--weights", file, Self.image]), status: 2, "nested deeper than 64 levels")
    }

    /// A model file may declare at most 1024 blocks.
    @Test func modelFileIsBounded() throws {
        let s = Scratch()
        let blocks = String(repeating: "  - {out_channels: 4, stride: 1, bits: 4}\n", count: 2000)
        let model = s.write("m.yaml", Data("name: long\nclasses: 4\nblocks:\n\(blocks)".utf8))
        let r = try CLI.run(["calc", "--model", model])
        Self.expectRefusal(r, status: 2, "a network of 2000 blocks is too large (at most 1024)")
    }

    // MARK: image files

    /// A PNG whose header claims 16000×16000 (the rest of the file does not matter: it is refused from the
    /// header). Chunks carry real CRCs, so libpng reads the header as valid.
    static func hugePNGHeader() -> Data {
        func crc32(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = (c >> 1) ^ (0xEDB8_8320 & (0 &- (c & 1))) }
            }
            return ~c
        }
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
            let body = Array(type.utf8) + data
            return be32(UInt32(data.count)) + body + be32(crc32(body))
        }
        let ihdr = be32(16000) + be32(16000) + [1, 0, 0, 0, 0]   // 1-bit grey
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr)
                    + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) + chunk("IEND", []))
    }

    @Test(.timeLimit(.minutes(1))) func badImageFiles() throws {
        let s = Scratch()
        let png = s.write("huge.png", Self.hugePNGHeader())
        Self.expectRefusal(try Self.limited(["infer", png]), status: 2, "image of 16000×16000 pixels is too large (limit 67108864 pixels)")
        let fifo = s.sub("fifo.png")
        #expect(mkfifo(fifo, 0o644) == 0)
        Self.expectRefusal(try CLI.run(["infer", fifo]), status: 2, "\(fifo): not a regular file; expected a PNG or JPEG image")
        Self.expectRefusal(try CLI.run(["infer", "/dev/zero"]), status: 2, "/dev/zero: not a regular file")
        let text = s.write("big.txt", Data("not an image".utf8))
        #expect(truncate(text, 3 << 30) == 0)
        Self.expectRefusal(try Self.limited(["infer", text]), status: 2, "\(text): unsupported image format; expected PNG or JPEG")
    }

    /// A folder with a FIFO, a link to /dev/zero and a header-only huge PNG besides real images: the sweep
    /// finishes, each bad file skipped with its reason.
    @Test(.timeLimit(.minutes(1))) func sweepSkipsBadFilesWithReasons() throws {
        let s = Scratch()
        let images = s.sub("images")
        try FileManager.default.createDirectory(atPath: images, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: CLI.packageRoot.appendingPathComponent(Self.image).path, toPath: "\(images)/cat.jpg")
        #expect(mkfifo("\(images)/fifo.png", 0o644) == 0)
        try FileManager.default.createSymbolicLink(atPath: "\(images)/zero.png", withDestinationPath: "/dev/zero")
        s.write("images/huge.png", Self.hugePNGHeader())
        let spec = s.write("spec.yaml", Data("name: files\nimages: \(images)\nsizes: [16]\nblocks: [1]\nprecisions: [4]\n".utf8))
        let r = try Self.limited(["sweep", spec, "--out", s.sub("out"), "--no-report"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("skipped fifo.png: not a regular file (a FIFO)"))
        #expect(r.stderr.contains("skipped zero.png: not a regular file (a character device)"))
        #expect(r.stderr.contains("skipped huge.png: image of 16000×16000 pixels is too large"))
    }

    // MARK: grids

    @Test(.timeLimit(.minutes(1))) func hugeGridIsRefusedBeforeExpansion() throws {
        let s = Scratch()
        let sizes = (1...600).map { String(4 * $0) }.joined(separator: ", ")
        let bits = ((1...16).map(String.init) + ["32"]).joined(separator: ", ")
        let spec = s.write("grid.yaml", Data("name: grid\nsizes: [\(sizes)]\nblocks: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\nprecisions: [\(bits)]\nact_bits: [\(bits)]\n".utf8))
        let r = try Self.limited(["sweep", spec, "--out", s.sub("out")])
        Self.expectRefusal(r, status: 2, "the grid has 2080800 cases")
        #expect(r.stderr.contains("raise the limit with --max-cases 2080800"))
        #expect(!FileManager.default.fileExists(atPath: s.sub("out")))
    }

    // MARK: bad input already handled, into a folder with results

    /// Each kind of bad spec or option given to a sweep whose folder holds earlier results: the exit code, the
    /// message (its first line), and the earlier results byte for byte, with no temporary file.
    @Test func badSweepInputsLeaveEarlierResultsIntact() throws {
        let s = Scratch()
        let images = CLI.packageRoot.appendingPathComponent("Inputs/images").path
        let good = s.write("good.yaml", Data("name: good\nimages: \(images)\nsizes: [8]\nblocks: [1]\nprecisions: [4]\n".utf8))
        let out = s.sub("out")
        let first = try CLI.run(["sweep", good, "--out", out, "--no-report"])
        #expect(first.status == 0, "\(first.stderr)")
        let summary = ["results.json", "results.csv", "run.json"].map { "\(out)/\($0)" }
        let before = summary.map { FileManager.default.contents(atPath: $0) }
        let cases: [(String, String, Int32, String)] = [
            ("broken YAML", "name: x\nsizes: [8\n", 2, "not valid YAML/JSON"),
            ("value out of range", "name: x\nimages: \(images)\nsizes: [0]\n", 2, "size 0 is out of range"),
            ("unknown key", "name: x\nimages: \(images)\nsizse: [8]\n", 2, "unknown key 'sizse' (did you mean 'sizes'?)"),
            ("missing images folder", "name: x\nimages: /nonexistent-bitsweep\nsizes: [8]\n", 2, "the images folder '/nonexistent-bitsweep' does not exist"),
            ("model of 2000 blocks", "name: x\nimages: \(images)\nnetwork: {model: long.yaml}\n", 2, "a network of 2000 blocks is too large (at most 1024)"),
        ]
        let blocks = String(repeating: "  - {out_channels: 4, stride: 1, bits: 4}\n", count: 2000)
        s.write("long.yaml", Data("name: long\nclasses: 4\nblocks:\n\(blocks)".utf8))
        for (what, text, status, message) in cases {
            let spec = s.write("bad.yaml", Data(text.utf8))
            let r = try CLI.run(["sweep", spec, "--out", out, "--no-report"])
            #expect(r.status == status, "\(what): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(message), "\(what): \(r.stderr)")
            #expect(summary.map { FileManager.default.contents(atPath: $0) } == before, "\(what)")
            #expect(Self.names(out).filter { $0.contains(".tmp-") }.isEmpty, "\(what)")
        }
        // Options: a bad override, a bad shard, an --out that is a file.
        let file = s.write("afile", Data("x".utf8))
        for (args, status, message) in [(["--set", "sizes=[abc]"], Int32(2), "size 'abc' is not an integer"),
                                        (["--shard", "3/2"], 2, "shard '3/2' is out of range"),
                                        (["--out", file], 1, "\(file): not a folder (a file of that name exists)")] {
            let r = try CLI.run(["sweep", good] + (args.first == "--out" ? [] : ["--out", out]) + args + ["--no-report"])
            #expect(r.status == status, "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").first?.contains(message) == true, "\(args): \(r.stderr)")
            #expect(summary.map { FileManager.default.contents(atPath: $0) } == before, "\(args)")
        }
        #expect(FileManager.default.contents(atPath: file) == Data("x".utf8))
    }

    /// Bad weights files given to infer: one line, exit 2 (an input error), nothing on stdout.
    @Test func badWeightsFiles() throws {
        let s = Scratch()
        let garbage = s.write("garbage.safetensors", Data((0..<100).map { UInt8(($0 * 37) & 0xFF) }))
        Self.expectRefusal(try Self.limited(["infer", "--weights", garbage, Self.image]), status: 2, "\(garbage): ")
        let short = s.write("short.safetensors", Data([1, 2, 3]))
        Self.expectRefusal(try CLI.run(["infer", "--weights", short, Self.image]), status: 2, "shorter than the 8-byte header length")
        Self.expectRefusal(try CLI.run(["infer", "--weights", s.sub("none.safetensors"), Self.image]), status: 2, "cannot open")
    }

    // MARK: concurrent runs

    /// A sweep into a folder another sweep is writing stops at once naming that run's PID (exit 1) and
    /// touches nothing; with --wait it runs after the first one.
    @Test func concurrentSweepsIntoOneFolder() throws {
        let s = Scratch()
        let images = CLI.packageRoot.appendingPathComponent("Inputs/images").path
        let spec = s.write("spec.yaml", Data("name: busy\nimages: \(images)\nsizes: [8]\nblocks: [1]\nprecisions: [4, 8]\n".utf8))
        let out = s.sub("out")
        let first = Process()
        first.executableURL = CLI.binary
        first.arguments = ["sweep", spec, "--out", out, "--no-report", "--jobs", "1", "--debug-delay-ms", "1500"]
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        // Wait until it holds the folder (its PID is in the lock file).
        let lockFile = "\(out)/.bitsweep.lock"
        for _ in 0..<200 where (try? String(contentsOfFile: lockFile, encoding: .utf8)) != "\(first.processIdentifier)\n" {
            usleep(20_000)
        }
        let second = try CLI.run(["sweep", spec, "--out", out, "--no-report"])
        Self.expectRefusal(second, status: 1, "\(out): folder in use by PID \(first.processIdentifier)")
        let waited = try CLI.run(["sweep", spec, "--out", out, "--no-report", "--wait"])
        #expect(waited.status == 0, "\(waited.stderr)")
        #expect(waited.stderr.contains("folder in use by PID \(first.processIdentifier); waiting for it to finish"))
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
        #expect(waited.stderr.contains("0 computed, 2 cached"))
    }
}
