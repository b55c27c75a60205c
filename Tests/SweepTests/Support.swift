import BitOpsCore
import BitSweepConfig
import Foundation
import Results
@testable import Sweep

/// A deterministic stand-in for the engine. A "fake image" is a file whose text starts with `FAKEIMG`; any
/// other file is "not an image". Logits are derived from a hash of the network, the size and the image, so
/// any change of those changes them, and nothing else does. It counts its calls.
struct FakeEvaluator: CaseEvaluator {
    final class Counters: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String: Int] = [:]
        func bump(_ k: String) { lock.lock(); values[k, default: 0] += 1; lock.unlock() }
        subscript(_ k: String) -> Int { lock.lock(); defer { lock.unlock() }; return values[k, default: 0] }
    }
    let counters = Counters()
    var version = "fake-1"
    /// What a change to calibration changes (in calibrated cases' keys only).
    var calibrationVersion = "fake-calibration-1"
    /// Evaluations that throw (the case records the error): networks with more blocks than this.
    var failAboveBlocks = Int.max
    /// Sizes above this "do not fit in memory": `checkMemory` refuses them (before anything is resized).
    var memoryRefusedAboveSize = Int.max
    /// Report which kernels ran (per block) and, where some block ran int8, a simulated-run SQNR per image.
    var reportsKernels = false

    func checkMemory(_ job: EvaluationJob, imageCount: Int) throws {
        if job.size > memoryRefusedAboveSize { throw SweepError("size \(job.size) needs more memory than the fake machine has") }
    }

    /// A fake image's bytes, as the image set's memory budget counts them.
    func memoryBytes(_ image: [UInt8]) -> Int { image.count }

    func decode(path: String) throws -> [UInt8] {
        counters.bump("decode")
        guard let d = FileManager.default.contents(atPath: path) else { throw SweepError("cannot be read") }
        guard d.starts(with: Array("FAKEIMG".utf8)) else { throw SweepError("not an image (no FAKEIMG header)") }
        return [UInt8](d)
    }

    func prepare(_ image: [UInt8], size: Int) throws -> [UInt8] {
        counters.bump("prepare")
        return image + Array("@\(size)".utf8)
    }

    func evaluate(_ job: EvaluationJob, images: [[UInt8]]) throws -> Evaluation {
        counters.bump("evaluate")
        let blocks = job.network.block?.blocks ?? []
        if blocks.count > failAboveBlocks { throw SweepError("too large for the fake engine") }
        let net = Digest.sha256(job.network.canonical + "|\(job.size)|\(job.quantization.rawValue)|\(job.weights.label)")
        let minBits: Int = blocks.map { min($0.bits, $0.actBits).countedBits }.min() ?? BitWidth.float.countedBits
        let results = images.map { img -> ImageResult in
            let h = Array(Digest.sha256(Data(Array(net.utf8) + img)).utf8)
            let logits = (0..<10).map { Double(h[$0 * 3 % h.count]) / 16 - 3 }
            let order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
            let sqnr: Double? = minBits == 32 ? nil : 6.02 * Double(minBits) + Double(h[1] % 7)
            return ImageResult(file: "", top1: order[0], top5: Array(order.prefix(5)), logits: logits, sqnrDB: sqnr,
                               cosine: minBits == 32 ? 1 : 1 - 1 / Double(1 << minBits), top1Agree: minBits >= 4,
                               blockSQNR: blocks.map { b -> Double? in b.bits.quantized.map { 6.02 * Double($0) } })
        }
        guard reportsKernels else { return Evaluation(images: results, buildMs: 1, batchMsPerImage: [Double(images.count)]) }
        // Kernels as the engine decides them for blocks without a stem: block i runs int8 when the choice allows
        // it, its weights have at most 8 bits and the block before it quantizes its output to at most 8 bits.
        let layers = blocks.indices.map { i -> KernelUse.Layer in
            let fits = i > 0 && (blocks[i - 1].actBits.quantized ?? 99) <= 8 && (blocks[i].bits.quantized ?? 99) <= 8
            return KernelUse.Layer(layer: "block\(i)", kernel: job.kernels != .float && fits ? .int8 : .float)
        }
        let int8 = layers.contains { $0.kernel == .int8 }
        return Evaluation(images: results.map { r in
            var r = r
            r.simulatedSQNR = int8 ? 40 + Double(r.top1) : nil
            return r
        }, buildMs: 1, batchMsPerImage: [Double(images.count)], kernels: KernelUse(requested: job.kernels, layers: layers, narrowWeights: false))
    }
}

/// Temporary folders, removed at the end of the test.
final class TempDir {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "bitsweep-sweep-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func sub(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        let p = sub(name)
        try! FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try! Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }

    /// A folder of fake images (for `FakeEvaluator`), plus optional junk.
    @discardableResult
    func fakeImages(_ names: [String] = ["a.png", "b.png", "c.jpg"], folder: String = "images") -> String {
        for n in names { write("\(folder)/\(n)", "FAKEIMG \(n)") }
        return sub(folder)
    }
}

/// The repository root (this file is Tests/SweepTests/Support.swift).
let repoRoot: String = {
    var u = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { u.deleteLastPathComponent() }
    return u.path
}()

/// `results.json` with every timing removed, re-encoded canonically: what must be identical across runs.
func maskedResults(_ dir: String) throws -> String {
    var set = try ResultsStore.load(dir)
    for i in set.cases.indices { set.cases[i].timings = nil }
    return String(decoding: try ResultsStore.encoder().encode(set), as: UTF8.self)
}

/// The raw bytes of `results.json` with each case's `"timings" : {…}` object cut out (nothing else touched).
func rawMaskedResults(_ dir: String) throws -> String {
    let text = try String(contentsOfFile: (dir as NSString).appendingPathComponent("results.json"), encoding: .utf8)
    let masked = text.replacingOccurrences(of: #""timings" : \{[^}]*\}"#, with: "\"timings\" : {}", options: .regularExpression)
    return masked
}

/// `results.csv` with the timing columns (as named by its header line) blanked.
func maskedCSV(_ dir: String) throws -> String {
    let text = try String(contentsOfFile: (dir as NSString).appendingPathComponent("results.csv"), encoding: .utf8)
    let cols = text.split(separator: "\n").first.map { csvFields(String($0)) } ?? []
    let drop = Set(["ms_per_image", "images_per_second", "samples_ms_per_image"].compactMap { cols.firstIndex(of: $0) })
    return text.split(separator: "\n").map { line in
        var cells = csvFields(String(line))
        for i in drop where i < cells.count { cells[i] = "" }
        return cells.joined(separator: ",")
    }.joined(separator: "\n")
}

/// Splits one CSV line into its (still quoted) fields.
func csvFields(_ line: String) -> [String] {
    var fields: [String] = []
    var cur = ""
    var quoted = false
    for ch in line {
        if ch == "\"" { quoted.toggle() }
        if ch == "," && !quoted { fields.append(cur); cur = "" } else { cur.append(ch) }
    }
    fields.append(cur)
    return fields
}

func spec(_ text: String, dir: TempDir, overrides: [String] = []) throws -> SweepSpec {
    let path = dir.write("spec.yaml", text)
    return try SweepSpecReader.load(path: path, overrides: overrides)
}

/// Every problem reading `text` as a spec reports (with `files` written beside it first), or [] when it reads:
/// the spec-error helper of the spec suites.
func specIssues(_ text: String, files: [String: String] = [:], overrides: [String] = []) -> [ConfigIssue] {
    let d = TempDir()
    for (name, body) in files { d.write(name, body) }
    do {
        _ = try spec(text, dir: d, overrides: overrides)
        return []
    } catch let e as ConfigError {
        return e.issues
    } catch {
        return [ConfigIssue(file: "?", line: nil, message: "\(error)")]
    }
}

/// Runs `s` with the fake engine; one timing round per case unless `repeats` says otherwise (nil: the spec's
/// `repeats`, else the default), so that evaluation counts are one per network.
func run<E: CaseEvaluator>(_ s: SweepSpec, out: String, evaluator: E, jobs: Int = 1, shard: Shard? = nil,
                           fresh: Bool = false, repeats: Int? = 1) throws -> SweepSummary {
    var options = SweepOptions(
        outputDirectory: out, jobs: jobs, shard: shard, fresh: fresh, progress: .quiet, commandLine: ["test"],
        bitsweepVersion: "test", cores: 2)
    options.repeats = repeats
    return try SweepRunner.run(try SweepPlan.expand(s), options: options, evaluator: evaluator)
}
