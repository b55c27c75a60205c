import BitSweepConfig
import Foundation
import Reports
import Results
import Sweep

/// The report of the default sweep (`Inputs/sweep.yaml`, every case of its grid) as `bitsweep report`
/// writes it, made once per test run in a temporary folder. The cases and their exact counts come from the
/// real spec; fidelity and timings are synthetic (the engine is not run), chosen to cover what tables print:
/// exact (∞) cases, negative SQNR, disagreeing images.
enum DefaultReport {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let specPath = repoRoot + "/Inputs/sweep.yaml"

    /// The default spec's cases with synthetic fidelity; `overrides` as `bitsweep sweep --set`.
    static func results(overrides: [String] = []) throws -> (ResultsSet, RunInfo, budgets: String?) {
        let spec = try SweepSpecReader.load(path: specPath, overrides: overrides)
        let plan = try SweepPlan.expand(spec)
        let cases = plan.cases.map { c -> CaseResult in
            let minBits = (c.config.weightPrecision.blocks + c.config.actPrecision.blocks).map(\.countedBits).min() ?? 32
            let images = ["a.png", "b.jpg"].enumerated().map { i, file -> ImageResult in
                let sqnr: Double? = minBits == 32 ? nil : 6.02 * Double(minBits) - 1.5 * Double(c.config.blocks) - 6 + Double(i)
                return ImageResult(file: file, top1: 1, top5: [1, 2, 3, 4, 5], logits: [0.5, -0.25], sqnrDB: sqnr,
                                   cosine: sqnr.map { 1 - pow(10, -$0 / 10) / 2 } ?? 1, top1Agree: minBits >= 4 || i == 0,
                                   blockSQNR: c.config.weightPrecision.blocks.map { $0.quantized.map { 6.02 * Double($0) } })
            }
            let ms = Double(c.cost.totals.macs) / 2e7
            return CaseResult(id: c.id, index: c.index, config: c.config, cost: c.cost, images: images,
                              fidelity: FidelitySummary(images: images),
                              timings: CaseTimings(buildMs: 1, msPerImage: ms, imagesPerSecond: 1000 / ms, totalMs: 2 * ms))
        }
        let run = RunInfo(bitsweepVersion: "test", engineVersion: "synthetic", gitCommit: nil, spec: spec.resolvedJSON,
                          specHash: "test", images: ["a.png": String(repeating: "a", count: 64), "b.jpg": String(repeating: "b", count: 64)],
                          machine: "test", date: "2026-01-01T00:00:00Z", commandLine: ["bitsweep", "sweep"], gridCases: plan.cases.count)
        return (ResultsSet(name: spec.name.value, cases: cases, skippedImages: []), run, spec.budgetsPath)
    }

    /// Writes the results and the report (every format) into a new temporary folder; returns its path.
    static func generate(overrides: [String] = [], options: ReportOptions = ReportOptions(),
                         outputs: [ReportFormat] = ReportFormat.allCases) throws -> String {
        let (set, run, budgets) = try results(overrides: overrides)
        let dir = NSTemporaryDirectory() + "bitsweep-paper-\(UUID().uuidString)"
        try ResultsStore.write(set, to: dir)
        try ResultsStore.write(run, to: dir)
        try ReportGenerator.generate(resultsDir: dir, outputs: outputs, command: ["bitsweep", "report"], budgets: budgets,
                                     options: options)
        return dir
    }

    /// The default report, generated once per test run.
    static let folder: Result<String, Error> = Result { try generate() }
}

/// Runs a program in `directory`; returns its exit status and combined output.
func run(_ path: String, _ args: [String], in directory: String? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The path of `tool` on PATH, or nil.
func which(_ tool: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(tool)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}
