import Analysis
import CairoRender
import Foundation
import Presentation
import Results
import StableIO

// `bitsweep compare` and `bitsweep budget` as library calls: Analysis answers with values; this side prints
// them, renders their charts and writes their files. (Budget: `BudgetRun` in BudgetRendering.swift.)

/// What `bitsweep compare` and `bitsweep budget` print on standard output.
public enum AnalysisFormat: String, CaseIterable, Sendable {
    case table, json, markdown
}

/// `bitsweep compare`, as a library call: load both sets, compare, write the outputs, return what to print.
/// The command-line layer only parses options; its root command turns the errors thrown here into exit codes.
public enum CompareRun {
    public struct Output: Sendable {
        public var comparison: Comparison
        /// The text for standard output, in the requested format.
        public var printed: String
        /// Files written under `out`, in order.
        public var written: [String]
    }

    /// File names written into the output folder.
    public static let markdownFile = "comparison.md"
    public static let jsonFile = "comparison.json"

    /// Loads `baselinePath` and `currentPath` (results folders or their `results.json`), compares them and,
    /// when `out` is given, writes `comparison.md`, `comparison.json` and the delta heatmaps
    /// (`delta-bitops`, `delta-sqnr`, `delta-time`, each as SVG and PNG) into it. Nothing is written unless
    /// every file was made; each is written atomically.
    /// - Throws: `ResultsStore.LoadError` or `AnalysisInputError` for unreadable or inconsistent input
    ///   (exit code 2), `ChartError` when a chart cannot be drawn, `AtomicFile.WriteError` naming the file.
    /// With `timingReference` (`compare --history`), timings are judged against its samples.
    public static func run(baselinePath: String, currentPath: String, options: CompareOptions = CompareOptions(),
                           out: String? = nil, format: AnalysisFormat = .table,
                           timingReference: TimingReference? = nil) throws -> Output {
        let baseline = try ResultsStore.load(baselinePath)
        let current = try ResultsStore.load(currentPath)
        var c = try compare(baseline: baseline, current: current, options: options, timingReference: timingReference)
        c.baselinePath = baselinePath
        c.currentPath = currentPath
        if let a = ResultsStore.loadRunInfo(runFolder(baselinePath)), let b = ResultsStore.loadRunInfo(runFolder(currentPath)) {
            c.provenance = provenanceChanges(baseline: a, current: b)
        }
        let json = try analysisEncoder().encode(c) + Data("\n".utf8)
        var written: [String] = []
        var links: [(title: String, path: String)] = []
        if let out {
            let charts = try c.deltaCharts(baseline: baseline, current: current)
            links = charts.map { ($0.title, "\($0.name).png") }
            var files = try chartFiles(charts)
            files += [(markdownFile, Data(c.markdown(charts: links).utf8)), (jsonFile, json)]
            written = try ReportGenerator.write(files, to: out)
        }
        let printed: String
        switch format {
        case .table: printed = c.table()
        case .json: printed = String(decoding: json, as: UTF8.self)
        case .markdown: printed = c.markdown(charts: links)
        }
        return Output(comparison: c, printed: printed, written: written)
    }
}

/// `charts` as files `<name>.svg` and `<name>.png`, rendered in memory.
func chartFiles(_ charts: [NamedChart]) throws -> [(String, Data)] {
    try charts.flatMap { c in
        [("\(c.name).svg", try renderChartData(c.spec, format: .svg)),
         ("\(c.name).png", try renderChartData(c.spec, format: .png, dpi: ReportGenerator.pngDPI))]
    }
}

/// SQNR in dB with nil meaning exact: `23.41 dB`, `exact (∞ dB)`.
func dbText(_ v: Double?) -> String {
    guard let v else { return "exact (∞ dB)" }
    return NumberText.fixed(v, 2) + " dB"
}

/// Bytes, given as a count in a `Double` (limits and values of a budget), with zeros after the point dropped.
func bytesText(_ v: Double) -> String { NumberText.bytes(Int(v.rounded()), trimmingZeros: true) }

/// The canonical JSON encoding for analysis outputs (sorted keys, pretty, stable bytes; ±∞ and NaN as text).
func analysisEncoder() -> JSONEncoder {
    let e = JSONText.encoder()
    e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return e
}
