import Foundation
import MixedPrecision
import Presentation
import Results

/// The mixed-precision search a results folder holds (`search.json`, written by `bitsweep sweep` for a spec's
/// `search:` section, or by `bitsweep search --out`): what `table: search` shows, read as stored.
public enum ReportSearch {
    public static let fileName = "search.json"

    /// The folder's search document, nil when it has none; a file that is not a search document is a `ReportError`.
    public static func load(resultsDir: String) throws -> SearchDocument? {
        let path = (resultsDir as NSString).appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(SearchDocument.self, from: try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw ReportError("\(path): not a search document written by bitsweep (\(error)); remove it or rerun the sweep")
        }
    }
}

/// `table: search`: a heading, what was searched, the predicted and measured fronts as a chart, the front as
/// a table (bits per unit, costs, predicted and measured SQNR), the uniform references and the best assignment
/// per budget. Every number is the stored document's. Without a search document: nothing.
struct SearchCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        guard let d = executor.search else { return [] }
        let o = d.outcome
        let dB = SearchRendering.dB
        func bits(_ p: SearchPoint) -> String { p.bits.map(\.description).joined(separator: " ") }
        var blocks: [Block] = [.heading(level: 2, text: "Mixed-precision search")]
        let assignments = o.assignments.map { NumberText.grouped($0) } ?? "more than 2⁶³"
        let others = o.budgets.filter { $0.axis != nil && $0.axis != o.primary }.map(\.text)
        blocks.append(.paragraph([
            .text("\(d.network.name), \(d.network.blocks.count) blocks at \(d.size) px, weights \(d.weights), \(d.granularity), "
                  + "\(d.images.count) image\(d.images.count == 1 ? "" : "s"); one bit-width per \(d.per.rawValue) from "
                  + d.choices.map(SearchRendering.bitsLabel).joined(separator: ", ") + " (\(d.convention.rawValue) convention). "
                  + "Of \(assignments) assignments, \(o.front.count) lie on the exact Pareto front of "
                  + "\(o.primary == .bitops ? "BitOps" : "weight storage")\(others.isEmpty ? "" : " (subject to \(others.joined(separator: ", ")))") "
                  + "against predicted SQNR; \(o.verified.count) of them were run and measured against the float network. "
                  + "The prediction is the additive noise model: "),
            .code(d.model),
            .text(". From "), .code(ReportSearch.fileName), .text(" in the results folder."),
        ]))
        if !o.front.isEmpty || !o.uniform.isEmpty {
            let spec = try SearchCharts.front(o, title: SearchRendering.chartTitle(d))
            blocks.append(.figure(Figure(fileStem: "search-front", caption: "Predicted front (step line), measured verified assignments and their front, uniform assignments as references",
                                         spec: spec, size: .twoColumn)))
        }
        let columns: [Table.Column] = [.init("#", numeric: true), .init("bits per \(d.per.rawValue)"), .init("BitOps", numeric: true),
                                       .init("weight storage", numeric: true), .init("predicted SQNR", unit: "dB", numeric: true),
                                       .init("measured SQNR", unit: "dB", numeric: true), .init("top-1 agreement", numeric: true)]
        func row(_ label: String, _ p: SearchPoint) -> [String] {
            [label, bits(p), NumberText.si(p.bitops), NumberText.bytes(bits: p.weightStorageBits), dB(p.predictedSQNRDB),
             dB(p.measuredSQNRDB), p.measuredTop1Agreement.map { NumberText.percent($0) } ?? "–"]
        }
        let fold = cell.options["fold"].flatMap(Int.init) ?? 20
        let front = Table(caption: "The predicted front, cheapest first (measured where verified)", label: "search-front",
                          columns: columns, rows: o.front.enumerated().map { row(String($0.offset), $0.element) })
        if !o.front.isEmpty {
            blocks.append(.paragraph([.text("The front, cheapest first; measured where verified (– where not). Top-1 agreement is with the float network.")]))
        }
        if o.front.isEmpty {
            blocks.append(.paragraph([.emphasis("No assignment meets every budget.")]))
        } else if o.front.count > fold {
            blocks.append(.details(summary: "The front: \(o.front.count) assignments", blocks: [.table(front)], printed: true))
        } else {
            blocks.append(.table(front))
        }
        if !o.uniform.isEmpty {
            blocks.append(.paragraph([.text("Uniform references: every \(d.per.rawValue) at the same bits, measured.")]))
            blocks.append(.table(Table(caption: "Uniform references: every \(d.per.rawValue) at the same bits, measured", label: "search-uniform",
                                       columns: columns, rows: o.uniform.map { row("", $0) })))
        }
        if !o.best.isEmpty {
            blocks.append(.paragraph([.text("The best assignment under each budget: the best measured among the verified ones, else the best predicted.")]))
            var rows: [[String]] = []
            for b in o.best {
                if let v = b.networkValue {
                    let what = b.budget.kind == .time ? NumberText.milliseconds(v) + " per image" : NumberText.bytes(Int(v))
                    rows.append([b.budget.text, b.met ? "met" : "not met", "", "", "", "the same for every assignment: \(what)"])
                } else if let i = b.bestMeasured ?? b.bestPredicted {
                    let p = o.front[i]
                    rows.append([b.budget.text, "#\(i)", bits(p), dB(p.predictedSQNRDB), dB(p.measuredSQNRDB),
                                 b.bestMeasured != nil ? "best measured" : "best predicted; not verified"])
                } else {
                    rows.append([b.budget.text, "none fits", "", "", "", ""])
                }
            }
            blocks.append(.table(Table(caption: "The best assignment under each budget", label: "search-budgets",
                                       columns: [.init("budget"), .init("choice"), .init("bits per \(d.per.rawValue)"),
                                                 .init("predicted SQNR", unit: "dB", numeric: true),
                                                 .init("measured SQNR", unit: "dB", numeric: true), .init("")],
                                       rows: rows)))
        }
        if !o.nonMonotone.isEmpty {
            blocks.append(.paragraph([.text("Where the additive model broke down: \(o.nonMonotone.count) of \(o.verified.count) verified assignments measured no better than a cheaper verified one ("
                                            + o.nonMonotone.prefix(5).map { "#\($0.point) \(dB($0.measuredSQNRDB)) dB ≤ #\($0.cheaper) \(dB($0.cheaperMeasuredSQNRDB)) dB" }.joined(separator: "; ")
                                            + (o.nonMonotone.count > 5 ? "; …" : "") + ").")]))
        } else if o.verified.count > 1 {
            blocks.append(.paragraph([.text("The measured front is monotone: every verified assignment measured better than every cheaper one.")]))
        }
        return blocks
    }
}
