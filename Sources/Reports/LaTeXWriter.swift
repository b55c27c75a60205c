import Foundation
import Presentation

/// `tables.tex`: the summary and per-case tables of the report as booktabs tables, for papers.
///
/// Needs `\usepackage{booktabs}` and `\usepackage{graphicx}` (wide tables are scaled to `\linewidth` with
/// `\resizebox`). Each table is a `table` float with a caption and a label `tab:bitsweep-<label>`; numeric
/// columns are right-aligned; subtotal rows are bold; every user string is escaped.
public struct LaTeXWriter: ReportWriter {
    public init() {}
    public var format: ReportFormat { .tex }

    /// Cells whose tables go into `tables.tex`.
    static let kinds: Set<CellKind> = [.summary, .layers, .failures]

    public func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data] {
        [format.fileName: Data(latex(document).utf8)]
    }

    public func latex(_ document: ReportDocument) -> String {
        var tables: [Table] = []
        func collect(_ blocks: [Block]) {
            for b in blocks {
                switch b {
                case let .table(t): tables.append(t)
                case let .details(_, inner, _): collect(inner)
                default: break
                }
            }
        }
        for cell in document.cells {
            if case let .output(tc) = cell.kind, LaTeXWriter.kinds.contains(tc.kind) { collect(cell.blocks) }
        }
        var out = """
        % Tables of the BitSweep report "\(Escape.latex(document.parameters.name))", written by `bitsweep report`.
        % Requires \\usepackage{booktabs} and \\usepackage{graphicx}. Exact integers; see summary.csv for raw values.

        """
        var seenLabels: [String: Int] = [:]
        for t in tables {
            let n = seenLabels[t.label, default: 0] + 1
            seenLabels[t.label] = n
            out += "\n" + table(t, labelSuffix: n > 1 ? "-\(n)" : "") + "\n"
        }
        return out
    }

    func table(_ t: Table, labelSuffix: String) -> String {
        let spec = t.columns.map { $0.numeric ? "r" : "l" }.joined()
        var lines: [String] = []
        lines.append("\\begin{table}[htbp]")
        lines.append("\\centering")
        lines.append("\\caption{\(Escape.latex(t.caption))}")
        lines.append("\\label{tab:bitsweep-\(Escape.fileComponent(t.label))\(labelSuffix)}")
        let wide = t.columns.count > 6
        if wide { lines.append("\\resizebox{\\linewidth}{!}{%") }
        lines.append("\\begin{tabular}{\(spec)}")
        lines.append("\\toprule")
        lines.append(t.columns.map { Escape.latex($0.header) }.joined(separator: " & ") + " \\\\")
        lines.append("\\midrule")
        for (i, row) in t.rows.enumerated() {
            let cells = t.columns.indices.map { j -> String in
                let v = Escape.latex(j < row.count ? row[j] : "")
                return t.emphasizedRows.contains(i) && !v.isEmpty ? "\\textbf{\(v)}" : v
            }
            lines.append(cells.joined(separator: " & ") + " \\\\")
            if t.rulesAfter.contains(i) { lines.append("\\midrule") }
        }
        lines.append("\\bottomrule")
        lines.append("\\end{tabular}" + (wide ? "}" : ""))
        lines.append("\\end{table}")
        return lines.joined(separator: "\n")
    }
}
