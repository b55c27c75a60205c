import Analysis
import BitSweepConfig
import Charts
import Foundation
import Results
import Presentation

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

extension CellExecutor {
    /// `table: budget`: Analysis's budget answer as report blocks — a heading, the summary of every profile,
    /// then per profile its best case, its cost–quality chart, the cases that fit (ranked) and those that do
    /// not (closest first, with the binding limit). Without profiles: no blocks at all, so the report has no
    /// empty section (the cell brings its own heading).
    func budgetBlocks(_ cell: TemplateCell) throws -> [Block] {
        guard let budgets, !budgets.profiles.isEmpty else { return [] }
        let report = Analysis.budget(results, profiles: budgets.profiles)
        let showChart = cell.options["chart"] != "false"
        let fold = cell.options["fold"].flatMap(Int.init) ?? 10
        let number = Dictionary(results.cases.map { ($0.id, $0.index) }, uniquingKeysWith: { a, _ in a })
        func num(_ c: BudgetCase) -> String { number[c.id].map(String.init) ?? "" }

        var blocks: [Block] = [.heading(level: 2, text: "Hardware budgets")]
        blocks.append(.paragraph([
            .text("Which cases fit each device profile of "), .code(budgets.file),
            .text(": BitOps per image, weight storage and peak activation memory are checked exactly, time per image and fidelity where a profile asks. Cases that fit are ranked by fidelity (mean logit SQNR, exact first), then by cost; for the others, the binding constraint is the limit exceeded by the largest relative amount. Cases are numbered as in the summary."),
        ]))
        blocks.append(.table(Table(
            caption: "Hardware budget profiles and the best case within each", label: "budgets",
            columns: [.init("profile"), .init("limits"), .init("cases that fit", numeric: true), .init("best in budget")],
            rows: report.profiles.map { p in
                [p.profile.name, p.profile.limitsText, "\(p.fitting.count) of \(p.fitting.count + p.notFitting.count)",
                 p.best.map { "case \(num($0)) (\($0.label))" } ?? "none"]
            })))
        let caseColumns: [Table.Column] = [
            .init("#", numeric: true), .init("case"), .init("BitOps", numeric: true), .init("weights", numeric: true),
            .init("peak act.", numeric: true), .init("time/img", numeric: true), .init("SQNR mean", numeric: true),
            .init("top-1 agr.", numeric: true),
        ]
        let order = precisionOrder(results.cases)
        for p in report.profiles {
            let safe = Escape.fileComponent(p.fileSafeName)
            blocks.append(.heading(level: 3, text: p.profile.name))
            var intro: [Inline] = []
            if let d = p.profile.description { intro.append(.text(d + ". ")) }
            intro.append(.text("Limits: \(p.profile.limitsText)."))
            if p.excluded > 0 { intro.append(.text(" Not judged: \(p.notJudgedText).")) }
            blocks.append(.paragraph(intro))
            if let b = p.best {
                blocks.append(.paragraph([
                    .strong("Best in budget: case \(num(b)) (\(b.label))"),
                    .text(" — \(b.fidelityText), \(b.row[0]) BitOps, \(b.row[1]) of weights, \(b.row[2]) of peak activations. \(p.fitting.count) of \(p.fitting.count + p.notFitting.count) cases fit."),
                ]))
            } else {
                var s: [Inline] = [.strong("No case fits this profile.")]
                if let c = p.notFittingClosestFirst.first, let v = c.binding {
                    s.append(.text(" The closest is case \(num(c)) (\(c.label)): \(v.text)."))
                }
                blocks.append(.paragraph(s))
            }
            if showChart, let chart = try p.costQualityChart(precisionOrder: order, colors: colors) {
                blocks.append(.figure(Figure(fileStem: "budget-" + safe, caption: chart.title, spec: chart.spec, size: .twoColumn)))
            }
            if !p.fitting.isEmpty {
                let rows = p.fitting.map { [num($0), $0.label] + $0.row }
                let table = { (rows: [[String]], part: String) in
                    Block.table(Table(caption: "Cases that fit \(p.profile.name)\(part), best first",
                                      label: "budget-fit-\(safe)\(part.isEmpty ? "" : "-more")", columns: caseColumns, rows: rows))
                }
                blocks.append(.paragraph([.text("Cases that fit, best first:")]))
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
}
