import BitSweepConfig
import Charts
import Foundation
import Results
import StableIO

/// What `bitsweep compare` and `bitsweep budget` print on standard output.
public enum AnalysisFormat: String, CaseIterable, Sendable {
    case table, json, markdown
}

/// `bitsweep compare`, as a library call: load both sets, compare, write the outputs, return what to print.
/// The command-line layer only parses options and maps errors to exit code 2.
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
    /// (`delta-bitops`, `delta-sqnr`, `delta-time`, each as SVG and PNG) into it.
    /// - Throws: `ResultsStore.LoadError` or `AnalysisInputError` for unreadable or inconsistent input
    ///   (exit code 2), `ChartError` when a chart cannot be written.
    public static func run(baselinePath: String, currentPath: String, options: CompareOptions = CompareOptions(),
                           out: String? = nil, format: AnalysisFormat = .table) throws -> Output {
        let baseline = try ResultsStore.load(baselinePath)
        let current = try ResultsStore.load(currentPath)
        var c = try compare(baseline: baseline, current: current, options: options)
        c.baselinePath = baselinePath
        c.currentPath = currentPath
        if let a = ResultsStore.loadRunInfo(runFolder(baselinePath)), let b = ResultsStore.loadRunInfo(runFolder(currentPath)) {
            c.provenance = provenanceChanges(baseline: a, current: b)
        }
        var written: [String] = []
        var links: [(title: String, path: String)] = []
        if let out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let charts = try c.deltaCharts(baseline: baseline, current: current)
            written += try writeCharts(charts, to: out)
            links = charts.map { ($0.title, "\($0.name).png") }
            try AtomicFile.write(Data(c.markdown(charts: links).utf8), to: (out as NSString).appendingPathComponent(markdownFile))
            try AtomicFile.write(try c.json(), to: (out as NSString).appendingPathComponent(jsonFile))
            written += [markdownFile, jsonFile].map { (out as NSString).appendingPathComponent($0) }
        }
        let printed: String
        switch format {
        case .table: printed = c.table()
        case .json: printed = String(decoding: try c.json(), as: UTF8.self)
        case .markdown: printed = c.markdown(charts: links)
        }
        return Output(comparison: c, printed: printed, written: written)
    }
}

/// The precision labels of `results` in order of first appearance (the sweep spec's grid order).
public func precisionOrder(_ results: ResultsSet) -> [String] {
    var seen: Set<String> = []
    return results.cases.map(\.config.precision).filter { seen.insert($0).inserted }
}

/// The folder of a results path (a folder, or its `results.json`), where `run.json` lives.
func runFolder(_ path: String) -> String {
    var isDir: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue { return path }
    return (path as NSString).deletingLastPathComponent
}

/// `bitsweep budget`, as a library call.
public enum BudgetRun {
    public struct Output: Sendable {
        public var report: BudgetReport
        public var printed: String
        public var written: [String]
    }

    public static let markdownFile = "budget.md"
    public static let jsonFile = "budget.json"

    /// Loads the results and the profiles, judges every case and, when `out` is given, writes `budget.md`,
    /// `budget.json` and one cost–quality chart per profile (`budget-<profile>.svg|png`).
    /// - Throws: `ResultsStore.LoadError` or `ConfigError` (with file:line) for bad input (exit code 2).
    public static func run(resultsPath: String, profilesPath: String, out: String? = nil,
                           format: AnalysisFormat = .table) throws -> Output {
        let profiles = try BudgetProfiles.load(path: profilesPath)
        let results = try ResultsStore.load(resultsPath)
        let report = budget(results, profiles: profiles)
        var written: [String] = []
        var links: [String: String] = [:]
        if let out {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            let order = precisionOrder(results)
            for p in report.profiles {
                guard let chart = try p.costQualityChart(precisionOrder: order) else { continue }
                written += try writeCharts([chart], to: out)
                links[p.profile.name] = "\(chart.name).png"
            }
            try AtomicFile.write(Data(report.markdown(charts: links).utf8), to: (out as NSString).appendingPathComponent(markdownFile))
            try AtomicFile.write(try report.json(), to: (out as NSString).appendingPathComponent(jsonFile))
            written += [markdownFile, jsonFile].map { (out as NSString).appendingPathComponent($0) }
        }
        let printed: String
        switch format {
        case .table: printed = report.table()
        case .json: printed = String(decoding: try report.json(), as: UTF8.self)
        case .markdown: printed = report.markdown(charts: links)
        }
        return Output(report: report, printed: printed, written: written)
    }

    /// The results folder used when none is given: `.` when it holds `results.json`, else the only
    /// `Reports/*/` that does (the same rule as `bitsweep report`).
    public static func defaultResultsDir() throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: ResultsStore.resultsFile) { return "." }
        let found = ((try? fm.contentsOfDirectory(atPath: "Reports")) ?? []).sorted()
            .filter { fm.fileExists(atPath: "Reports/\($0)/\(ResultsStore.resultsFile)") }
            .map { "Reports/\($0)" }
        guard found.count == 1 else {
            throw AnalysisInputError(found.isEmpty
                ? "no results folder given and none found under Reports/: run `bitsweep sweep` first, or give RESULTS_DIR"
                : "no results folder given and several found (\(found.joined(separator: ", "))): give one")
        }
        return found[0]
    }
}

/// Budget results as a report section, for `bitsweep report` when a sweep spec names a profiles file.
///
/// ```swift
/// let section = try BudgetSection.make(results: set, profilesPath: "Inputs/budgets.yaml", headingLevel: 2,
///                                      chartPath: { "figures/\($0).png" })
/// markdown += section.markdown           // heading, summary table, one subsection per profile
/// for c in section.charts {              // one cost–quality chart per profile (ChartSpec values)
///     try renderChart(c.spec, to: "figures/\(c.name).svg")   // and .png: the names the Markdown links
/// }
/// ```
/// `section.report` is the full `BudgetReport` (for JSON or a notebook's tables).
public struct BudgetSection: Sendable {
    public var report: BudgetReport
    /// Markdown starting with a heading at `headingLevel` (`## Hardware budgets for …`).
    public var markdown: String
    /// One chart per profile that has cases with a measured fidelity; `name` is the file base name
    /// (`budget-<profile>`) and `title` a one-sentence caption.
    public var charts: [NamedChart]

    /// - Parameters:
    ///   - chartPath: maps a chart's base name to the path the Markdown should link (e.g. `figures/<name>.png`).
    ///   - colors: the report's precision colours (nil: distinct colours per chart).
    public static func make(results: ResultsSet, profiles: [BudgetProfile], headingLevel: Int = 2,
                            colors: PrecisionColors? = nil,
                            chartPath: (String) -> String = { "\($0).png" }) throws -> BudgetSection {
        let report = budget(results, profiles: profiles)
        var charts: [NamedChart] = []
        var links: [String: String] = [:]
        let order = precisionOrder(results)
        for p in report.profiles {
            guard let c = try p.costQualityChart(precisionOrder: order, colors: colors) else { continue }
            charts.append(c)
            links[p.profile.name] = chartPath(c.name)
        }
        return BudgetSection(report: report, markdown: report.markdown(charts: links, headingLevel: headingLevel), charts: charts)
    }

    /// The same, reading the profiles file (a `ConfigError` names file:line on bad input).
    public static func make(results: ResultsSet, profilesPath: String, headingLevel: Int = 2,
                            chartPath: (String) -> String = { "\($0).png" }) throws -> BudgetSection {
        try make(results: results, profiles: try BudgetProfiles.load(path: profilesPath), headingLevel: headingLevel, chartPath: chartPath)
    }
}
