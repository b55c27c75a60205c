import Analysis
import BitSweepConfig
import CairoRender
import Charts
import Foundation
import Presentation
import Results
import StableIO

/// The hardware-budget profiles a report judges its cases against (`table: budget`).
public struct ReportBudgets: Sendable {
    public var profiles: [BudgetProfile]
    /// The profiles file as the report names it (`Inputs/budgets.yaml`).
    public var file: String
    public init(profiles: [BudgetProfile], file: String) {
        self.profiles = profiles
        self.file = file
    }

    /// Reads a profiles file (a `ConfigError` names file:line on bad input).
    public static func load(_ path: String) throws -> ReportBudgets {
        ReportBudgets(profiles: try BudgetProfiles.load(path: path), file: path)
    }
}

/// The one written form of a budget answer (`Analysis.budget`): report blocks. The report's `table: budget`
/// cell, and `bitsweep budget`'s terminal table (`PlainTextWriter`) and Markdown (`MarkdownWriter`), are all
/// these blocks.
public enum BudgetRendering {
    public struct Options: Sendable {
        /// Cases listed before the rest is folded (Markdown `<details>`, left out of the terminal and PDF).
        public var fold = 10
        /// Draw each profile's cost–quality chart.
        public var charts = true
        /// The section heading, at `headingLevel`; profiles are one level below.
        public var title = "Hardware budgets"
        public var headingLevel = 2
        /// The precisions in the order of the legend and colours (a report passes the spec's order).
        public var precisionOrder: [String]? = nil
        public var colors: PrecisionColors? = nil
        /// The size of each profile's chart (a report passes `--figure-width`).
        public var figureSize: FigureSize = .twoColumn
        public init() {}
    }

    /// A heading, the summary of every profile, then per profile its limits, its best case, its cost–quality
    /// chart, the cases that fit (ranked) and those that do not (closest first, with the binding limit).
    /// Cases are numbered by their index in the results (as in the report's summary). No profiles: no blocks.
    public static func blocks(_ report: BudgetReport, results: ResultsSet, budgets: ReportBudgets,
                              options: Options = Options()) throws -> [Block] {
        guard !report.profiles.isEmpty else { return [] }
        let fold = options.fold
        let number = Dictionary(results.cases.map { ($0.id, $0.index) }, uniquingKeysWith: { a, _ in a })
        func num(_ c: BudgetCase) -> String { number[c.id].map(String.init) ?? "" }

        var blocks: [Block] = [.heading(level: options.headingLevel, text: options.title)]
        blocks.append(.paragraph([
            .text("Which cases fit each device profile of "), .code(budgets.file),
            .text(": BitOps per image, weight storage and peak activation memory are checked exactly, time per image and fidelity where a profile asks. " + rankingText(report) + " For the cases that do not fit, the binding constraint is the limit exceeded by the largest relative amount. Cases are numbered as in the results (and the report's summary)."),
        ]))
        blocks.append(.table(Table(
            caption: "Hardware budget profiles and the best case within each", label: "budgets",
            columns: [.init("profile"), .init("limits"), .init("cases that fit", numeric: true), .init(bestColumnTitle(report))],
            rows: report.profiles.map { p in
                [p.profile.name, limitsText(p.profile), "\(p.fitting.count) of \(p.fitting.count + p.notFitting.count)", bestText(p, num)]
            })))
        let caseColumns: [Table.Column] = [.init("#", numeric: true), .init("case")] + header.map { .init($0, numeric: true) }
        for p in report.profiles {
            let safe = Escape.fileComponent(p.fileSafeName)
            blocks.append(.heading(level: options.headingLevel + 1, text: p.profile.name))
            var intro: [Inline] = []
            if let d = p.profile.description { intro.append(.text(d + ". ")) }
            intro.append(.text("Limits: \(limitsText(p.profile))."))
            if p.excluded > 0 { intro.append(.text(" Not judged: \(notJudgedText(p)).")) }
            blocks.append(.paragraph(intro))
            if let b = p.best {
                let r = row(b)
                let by = p.ranking == .accuracy ? "top-1 accuracy \(b.accuracyTop1.map(NumberText.percent) ?? "—")" : fidelityText(b)
                blocks.append(.paragraph([
                    .strong("Best in budget: case \(num(b)) (\(b.label))"),
                    .text(" — \(by), \(r[0]) BitOps, \(r[1]) of weight storage, \(r[2]) of peak activations. \(p.fitting.count) of \(p.fitting.count + p.notFitting.count) cases fit."),
                ]))
            } else if !p.fitting.isEmpty {
                let shapes = p.bestPerShape
                let fitCount = Dictionary(grouping: p.fitting, by: \.shape).mapValues(\.count)
                blocks.append(.paragraph([
                    .strong("Best per network shape"),
                    .text(" — \(shapes.count) network shapes fit; fidelity compares each case with its own float twin, so it ranks cases within a shape, not across shapes (labelled images would rank them by accuracy). \(p.fitting.count) of \(p.fitting.count + p.notFitting.count) cases fit."),
                ]))
                blocks.append(.table(Table(
                    caption: "The best case of each network shape that fits \(p.profile.name)", label: "budget-shapes-\(safe)",
                    columns: [.init("network shape"), .init("#", numeric: true), .init("case"), .init("SQNR mean", numeric: true),
                              .init("BitOps", numeric: true), .init("weight storage", numeric: true), .init("fit", numeric: true)],
                    rows: shapes.map { b in
                        let r = row(b)
                        return [b.shape, num(b), b.label, fidelityText(b), r[0], r[1], "\(fitCount[b.shape] ?? 0)"]
                    }, keyColumns: 1)))
            } else {
                var s: [Inline] = [.strong("No case fits this profile.")]
                if let c = p.notFittingClosestFirst.first, let v = c.binding {
                    s.append(.text(" The closest is case \(num(c)) (\(c.label)): \(v.text)."))
                }
                blocks.append(.paragraph(s))
            }
            if options.charts, let chart = try p.costQualityChart(precisionOrder: options.precisionOrder, colors: options.colors) {
                blocks.append(.figure(Figure(fileStem: "budget-" + safe, caption: chart.title, spec: chart.spec, size: options.figureSize)))
            }
            if !p.fitting.isEmpty {
                let accuracy = p.ranking == .accuracy
                let columns = [Table.Column("rank", numeric: true)] + caseColumns + (accuracy ? [.init("top-1 acc.", numeric: true)] : [])
                let rows = p.fitting.map { c in
                    ["\(c.rank ?? 0)", num(c), c.label] + row(c) + (accuracy ? [c.accuracyTop1.map(NumberText.percent) ?? "—"] : [])
                }
                let order = accuracy ? "ranked by top-1 accuracy" : "ranked by SQNR within each network shape"
                let table = { (rows: [[String]], part: String) in
                    Block.table(Table(caption: "Cases that fit \(p.profile.name)\(part), \(order)",
                                      label: "budget-fit-\(safe)\(part.isEmpty ? "" : "-more")", columns: columns, rows: rows,
                                      keyColumns: 3))
                }
                blocks.append(.paragraph([.text(accuracy
                    ? "Cases that fit, best first (ranked by top-1 accuracy on the labelled images, then top-5, then cost):"
                    : p.bestPerShape.count == 1
                        ? "Cases that fit, best first (one network shape: ranked by SQNR, then cost):"
                        : "Cases that fit, by network shape (in results order), each shape's best first (ranked by SQNR, then cost; rank is within the shape):")]))
                blocks.append(table(Array(rows.prefix(fold)), ""))
                if rows.count > fold {
                    let more = rows.count - fold
                    blocks.append(.details(summary: "\(more) more case\(more == 1 ? " fits" : "s fit") \(p.profile.name)",
                                           blocks: [table(Array(rows.dropFirst(fold)), " (continued)")]))
                }
            }
            if !p.notFitting.isEmpty {
                let rows = p.notFittingClosestFirst.map { c in
                    [num(c), c.label, c.binding?.text ?? "", c.violations.dropFirst().map(\.text).joined(separator: "; ")]
                }
                let columns: [Table.Column] = [.init("#", numeric: true), .init("case"), .init("binding constraint"), .init("also exceeded")]
                let shown = rows.count > fold ? "the \(fold) closest of \(rows.count)" : "closest first"
                blocks.append(.paragraph([.text(rows.count > fold ? "Cases that do not fit, the \(fold) closest to fitting:" : "Cases that do not fit (closest first):")]))
                blocks.append(.table(Table(caption: "Cases that do not fit \(p.profile.name), \(shown)", label: "budget-nofit-\(safe)",
                                           columns: columns, rows: Array(rows.prefix(fold)))))
                if rows.count > fold {
                    // The long tail is folded in Markdown and the notebook, and left out of the PDF.
                    let more = rows.count - fold
                    blocks.append(.details(summary: "\(more) more case\(more == 1 ? " does" : "s do") not fit \(p.profile.name) (farther from fitting)",
                                           blocks: [.table(Table(caption: "Cases that do not fit \(p.profile.name) (continued)",
                                                                 label: "budget-nofit-\(safe)-more", columns: columns,
                                                                 rows: Array(rows.dropFirst(fold))))],
                                           printed: false))
                }
            }
        }
        return blocks
    }

    /// How the profiles rank their cases, in one or two sentences (every profile of one report ranks the
    /// same way unless only some have accuracy for all their fitting cases).
    static func rankingText(_ report: BudgetReport) -> String {
        let rankings = Set(report.profiles.filter { !$0.fitting.isEmpty }.map(\.ranking))
        let withinShape = "Fidelity compares each case with its own float twin, so cases that fit are ranked by fidelity (mean logit SQNR, exact first), then by cost, within each network shape (family, blocks, size, width and weights), and each shape has its own best case."
        let accuracy = "Cases that fit are ranked by top-1 accuracy on the labelled images (then top-5, then cost), which compares network shapes too."
        switch (rankings.contains(.accuracy), rankings.contains(.fidelityWithinShape)) {
        case (true, false): return accuracy
        case (true, true): return accuracy + " Where some fitting case has no accuracy: " + withinShape.prefix(1).lowercased() + withinShape.dropFirst()
        default: return withinShape
        }
    }

    /// The summary table's last column: one best case, or the best of each shape.
    static func bestColumnTitle(_ report: BudgetReport) -> String {
        report.profiles.allSatisfy { $0.best != nil || $0.fitting.isEmpty } ? "best in budget" : "best in budget (per network shape)"
    }

    /// `case 2 (seed n=3 s=32 w=8 a=float)`, or `cases 2, 5, 8 (best of 3 shapes)`, or `none`.
    static func bestText(_ p: ProfileResult, _ num: (BudgetCase) -> String) -> String {
        if let b = p.best { return "case \(num(b)) (\(b.label))" }
        let shapes = p.bestPerShape
        guard !shapes.isEmpty else { return "none" }
        return "cases \(shapes.map(num).joined(separator: ", ")) (best of \(shapes.count) shapes)"
    }

    /// Column titles of `row(_:)`.
    public static let header = ["BitOps", "weight storage", "peak act.", "time/img", "SQNR mean", "top-1 agr."]

    /// A case's cost and quality, formatted as the columns of `header`.
    public static func row(_ c: BudgetCase) -> [String] {
        [NumberText.si(c.bitops, trimmingZeros: true), bytesText(Double(c.weightStorageBytes)), bytesText(Double(c.peakActivationBytes)),
         c.msPerImage.map(NumberText.milliseconds) ?? "—", fidelityText(c), c.top1Agreement.map(NumberText.percent) ?? "—"]
    }

    /// `exact (∞ dB)`, `23.41 dB` or `not measured`.
    public static func fidelityText(_ c: BudgetCase) -> String {
        c.exact || c.sqnrDBMean != nil ? dbText(c.exact ? nil : c.sqnrDBMean) : "not measured"
    }

    /// `BitOps (weight) ≤ 2 G · weight storage ≤ 1 MiB · activations ≤ 256 KiB · SQNR ≥ 20 dB`.
    public static func limitsText(_ p: BudgetProfile) -> String {
        var parts = ["BitOps (\(p.convention.rawValue)) ≤ \(NumberText.si(p.maxBitOps, trimmingZeros: true))",
                     "weight storage ≤ \(bytesText(Double(p.maxWeightStorageBytes)))",
                     "activations ≤ \(bytesText(Double(p.maxActivationBytes)))"]
        if let t = p.maxMsPerImage { parts.append("time ≤ \(NumberText.milliseconds(t))/image") }
        if let s = p.minSQNRDB { parts.append("SQNR ≥ \(NumberText.significant(s)) dB") }
        if let a = p.minTop1Agreement { parts.append("top-1 agreement ≥ \(NumberText.percent(a))") }
        return parts.joined(separator: " · ")
    }

    /// `181 cases counted under another convention than wa, 2 cases that failed to run`.
    public static func notJudgedText(_ p: ProfileResult) -> String {
        var parts: [String] = []
        let other = p.excluded - p.failed
        if other > 0 { parts.append("\(other) case\(other == 1 ? "" : "s") counted under another convention than \(p.profile.convention.rawValue)") }
        if p.failed > 0 { parts.append("\(p.failed) case\(p.failed == 1 ? "" : "s") that failed to run") }
        return parts.joined(separator: ", ")
    }
}

/// `bitsweep budget`, as a library call: judge, render the blocks once, print them in one format and write
/// `budget.md`, `budget.json` and the charts (`figures/budget-<profile>.svg|png`).
public enum BudgetRun {
    public struct Output: Sendable {
        public var report: BudgetReport
        public var printed: String
        public var written: [String]
    }

    public static let markdownFile = "budget.md"
    public static let jsonFile = "budget.json"

    /// Loads the results and the profiles, judges every case and, when `out` is given, writes `budget.md`,
    /// `budget.json` and one cost–quality chart per profile. Nothing is written unless all of it was made.
    /// - Throws: `ResultsStore.LoadError` or `ConfigError` (with file:line) for bad input (exit code 2).
    public static func run(resultsPath: String, profilesPath: String, out: String? = nil,
                           format: AnalysisFormat = .table) throws -> Output {
        let budgets = try ReportBudgets.load(profilesPath)
        let results = try ResultsStore.load(resultsPath)
        let report = budget(results, profiles: budgets.profiles)
        var options = BudgetRendering.Options()
        options.headingLevel = 1
        options.title = "Hardware budgets for \(results.name)"
        options.precisionOrder = CellExecutor.precisionOrder(of: results)
        let blocks = try BudgetRendering.blocks(report, results: results, budgets: budgets, options: options)
        let markdown = blocks.map(MarkdownWriter.block).joined(separator: "\n\n") + "\n"
        let json = try report.json()
        var written: [String] = []
        if let out {
            var files: [(String, Data)] = []
            for f in blocks.flatMap(\.figures) {
                files.append((f.svgPath, try renderChartData(f.spec, format: .svg, size: f.size)))
                files.append((f.pngPath, try renderChartData(f.spec, format: .png, size: f.size, dpi: ReportGenerator.pngDPI)))
            }
            files += [(markdownFile, Data(markdown.utf8)), (jsonFile, json)]
            written = try ReportGenerator.write(files, to: out)
        }
        let printed: String
        switch format {
        case .table: printed = PlainTextWriter.text(blocks)
        case .json: printed = String(decoding: json, as: UTF8.self)
        case .markdown: printed = markdown
        }
        return Output(report: report, printed: printed, written: written)
    }
}

extension BudgetReport {
    /// `budget.json`: every profile with its fitting cases (ranked) and the others with all their violations.
    public func json() throws -> Data { try analysisEncoder().encode(self) + Data("\n".utf8) }
}
