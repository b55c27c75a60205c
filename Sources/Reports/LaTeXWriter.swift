import Foundation
import Presentation

/// `tables.tex` and `tables/<name>.tex`: the report's tables as booktabs tables that compile in a plain
/// `article` (one or two columns) with `\usepackage{booktabs}` and `\usepackage{longtable}` — nothing else.
///
/// How a table is set so that it stays readable at the page width (nothing is scaled down):
/// - Text is `\small` (9 pt in a 10 pt document). Units go on a second header line, so headers stay narrow.
/// - A table whose estimated width exceeds `TeXMetrics.targetWidth` (34 em of the table's font — narrower
///   than `\textwidth` of `article` at 10, 11 and 12 pt) is split into column groups of about equal width; the
///   key columns (`#` and `case`, or the row name) are repeated in every group.
/// - A short table is a `table` float; in a two-column document LaTeX measures it and uses `table*` when it
///   is wider than `\columnwidth`. Floats can be switched off (`floats: false`): each file then holds a bare
///   `tabular` for the author to place.
/// - A long table (more than `longRows` rows) is a `longtable` that continues across pages with its header
///   repeated. `longtable` cannot run in two-column mode, so in a two-column document such tables are set on
///   one-column pages (`\onecolumn` … `\twocolumn`), which start a new page.
/// - `tables.tex` holds every table; when it holds more than `maxFloats` tables (a big grid has a block and
///   a layer table per case), all of them are set as `longtable`s, which do not float, so LaTeX never runs out
///   of float slots.
public struct LaTeXWriter: ReportWriter {
    /// Tables as `table` floats (true) or bare `tabular`s (false, `--latex-floats off`).
    public var floats: Bool
    public init(floats: Bool = true) { self.floats = floats }
    public var format: ReportFormat { .tex }

    /// Cells whose tables go into `tables.tex`.
    static let kinds: Set<CellKind> = [.summary, .layers, .failures, .budget]
    /// Above this many rows a table is a `longtable`.
    public static let longRows = 30
    /// Above this many tables, `tables.tex` sets every table as a `longtable` (no floats).
    public static let maxFloats = 12
    /// The folder of the one-file-per-table copies.
    public static let folder = "tables"

    public func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data] {
        files(document).mapValues { Data($0.utf8) }
    }

    /// `tables.tex` and `tables/<name>.tex` for every table.
    public func files(_ document: ReportDocument) -> [String: String] {
        let tables = named(document)
        var out = [format.fileName: latex(tables, document: document)]
        for (name, t) in tables {
            let mode = Self.mode(t, floats: floats)
            let body = setTable(t, name: name, mode: mode)
            out["\(Self.folder)/\(name).tex"] = header(document, what: "Table \"\(Escape.latex(t.caption))\"") + Self.macros(for: [mode]) + "\n" + body + "\n"
        }
        return out
    }

    /// The text of `tables.tex`.
    public func latex(_ document: ReportDocument) -> String { latex(named(document), document: document) }

    func latex(_ tables: [(name: String, table: Table)], document: ReportDocument) -> String {
        let flowing = tables.count > Self.maxFloats
        var out = header(document, what: "Tables")
        out += "% One file per table: tables/<name>.tex (\\input{tables/summary}).\n"
        if flowing {
            out += "% \(tables.count) tables: all set as longtables (no floats); in a two-column document they go on one-column pages.\n"
        }
        let modes = tables.map { flowing ? Mode.longtable(caption: floats, guarded: false) : Self.mode($0.table, floats: floats) }
        out += Self.macros(for: modes + (flowing ? [.longtable(caption: floats, guarded: true)] : []))
        if flowing { out += "\\BitSweepBeginLong\n" }
        for ((name, t), mode) in zip(tables, modes) {
            out += "\n" + setTable(t, name: name, mode: mode) + "\n"
        }
        if flowing { out += "\\BitSweepEndLong\n" }
        return out
    }

    func header(_ document: ReportDocument, what: String) -> String {
        """
        % \(what) of the BitSweep report "\(Escape.latex(document.parameters.name))", written by `bitsweep report`.
        % Needs \\usepackage{booktabs} and \\usepackage{longtable} (plain article, one or two columns).
        % Counts are exact integers; summary.csv has the raw values.

        """
    }

    /// Helpers defined once (`\providecommand`), so `tables.tex` and any number of `tables/*.tex` can be
    /// `\input` together. `\BitSweepBeginLong`/`\BitSweepEndLong` switch to one column around longtables in
    /// a two-column document; `\BitSweepFloat` measures a table and floats it as `table` or, when wider than
    /// the column, `table*`.
    static let longMacros = #"""
    \providecommand\BitSweepBeginLong{\expandafter\ifx\csname if@twocolumn\endcsname\iftrue
      \onecolumn\gdef\BitSweepEndLong{\twocolumn}\else\gdef\BitSweepEndLong{}\fi}
    \providecommand\BitSweepEndLong{}

    """#
    static let floatMacros = #"""
    \ifdefined\BitSweepBox\else\newsavebox\BitSweepBox\fi
    \providecommand\BitSweepFloat[3]{\sbox\BitSweepBox{\small#3}%
      \ifdim\wd\BitSweepBox>\columnwidth
        \begin{table*}[tbp]\centering\caption{#1}\label{#2}\usebox\BitSweepBox\end{table*}%
      \else
        \begin{table}[tbp]\centering\caption{#1}\label{#2}\usebox\BitSweepBox\end{table}%
      \fi}

    """#

    /// The helper macros the given modes use.
    static func macros(for modes: [Mode]) -> String {
        (modes.contains(.float) ? floatMacros : "") + (modes.contains(where: { if case .longtable(_, true) = $0 { return true }; return false }) ? longMacros : "")
    }

    /// Every table of the cells that go to LaTeX, with a unique file name (the table's label; a repeated
    /// label gets `-2`, `-3`, …).
    func named(_ document: ReportDocument) -> [(name: String, table: Table)] {
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
        var seen: [String: Int] = [:]
        return tables.map { t in
            let base = Escape.fileComponent(t.label)
            let n = seen[base, default: 0] + 1
            seen[base] = n
            return (n > 1 ? "\(base)-\(n)" : base, t)
        }
    }

    enum Mode: Equatable {
        /// A float (one `tabular` per column group, stacked).
        case float
        /// Bare `tabular`s, stacked, no caption.
        case bare
        /// One `longtable` per column group; `guarded`: wrapped in the one-column switch.
        case longtable(caption: Bool, guarded: Bool)
    }

    /// Above this many lines (rows and header lines, summed over the column groups stacked in it) a table
    /// would not fit a page as a float: it becomes a `longtable`.
    public static let maxFloatLines = 40

    static func mode(_ t: Table, floats: Bool) -> Mode {
        let groups = TeXMetrics.columnGroups(t).count
        if t.rows.count > longRows || groups * (t.rows.count + 4) > maxFloatLines { return .longtable(caption: floats, guarded: true) }
        return floats ? .float : .bare
    }

    func setTable(_ t: Table, name: String, mode: Mode) -> String {
        let groups = TeXMetrics.columnGroups(t)
        let label = "tab:bitsweep-\(name)"
        let caption = Escape.latex(t.caption)
        let keys = t.columns.prefix(t.keyColumns).map(\.title)
        let splitNote = groups.count > 1
            ? " (in \(groups.count) parts\(keys.isEmpty ? "" : "; \(keys.map(Escape.latex).joined(separator: " and ")) repeated in each"))"
            : ""
        switch mode {
        case .float:
            let body = groups.map { tabular(t, columns: $0) }.joined(separator: "\\\\\\noalign{\\vskip\\bigskipamount}\n")
            let stacked = groups.count == 1 ? body : "\\begin{tabular}{@{}c@{}}\n\(body)\n\\end{tabular}"
            return "\\BitSweepFloat{\(caption)\(splitNote)}{\(label)}{%\n\(stacked)}"
        case .bare:
            let body = groups.map { tabular(t, columns: $0) }.joined(separator: "\n\n\\medskip\n")
            return "{\\small\n\(body)\n}"
        case let .longtable(withCaption, guarded):
            var parts: [String] = []
            for (k, g) in groups.enumerated() {
                let part = groups.count > 1 ? " (part \(k + 1) of \(groups.count)\(k == 0 && !keys.isEmpty ? "; \(keys.map(Escape.latex).joined(separator: " and ")) repeated in each" : ""))" : ""
                parts.append(longtable(t, columns: g, caption: withCaption ? caption + part : nil,
                                       label: withCaption ? (k == 0 ? label : "\(label)-part\(k + 1)") : nil))
            }
            let body = "{\\small\n" + parts.joined(separator: "\n") + "\n}"
            return guarded ? "\\BitSweepBeginLong\n\(body)\n\\BitSweepEndLong" : body
        }
    }

    /// Column spec, header lines (titles, then units when any column has one) and body rows of one group.
    func parts(_ t: Table, columns: [Int]) -> (spec: String, header: [String], rows: [String]) {
        let spec = "@{}" + columns.map { t.columns[$0].numeric ? "r" : "l" }.joined() + "@{}"
        let natural = TeXMetrics.naturalWidths(t)
        var header = [columns.map { Escape.latex(t.columns[$0].title) }.joined(separator: " & ") + " \\\\"]
        if columns.contains(where: { t.columns[$0].unit != nil }) {
            header.append(columns.map { t.columns[$0].unit.map { "(\(Escape.latex($0)))" } ?? "" }.joined(separator: " & ") + " \\\\")
        }
        var rows: [String] = []
        for (i, row) in t.rows.enumerated() {
            let cells = columns.map { j -> String in
                var v = Escape.latex(j < row.count ? row[j] : "")
                if t.emphasizedRows.contains(i) && !v.isEmpty { v = "\\textbf{\(v)}" }
                // A long text column wraps (ragged right) instead of widening the table.
                if !t.columns[j].numeric, natural[j] > TeXMetrics.maxTextColumn {
                    v = "\\parbox[t]{\(TeXMetrics.maxTextColumn)em}{\\raggedright \(v)\\strut}"
                }
                return v
            }
            rows.append(cells.joined(separator: " & ") + " \\\\")
            if t.rulesAfter.contains(i) && i < t.rows.count - 1 { rows.append("\\midrule") }
        }
        return (spec, header, rows)
    }

    func tabular(_ t: Table, columns: [Int]) -> String {
        let p = parts(t, columns: columns)
        return (["\\begin{tabular}{\(p.spec)}", "\\toprule"] + p.header + ["\\midrule"] + p.rows
            + ["\\bottomrule", "\\end{tabular}"]).joined(separator: "\n")
    }

    func longtable(_ t: Table, columns: [Int], caption: String?, label: String?) -> String {
        let p = parts(t, columns: columns)
        var lines = ["\\begin{longtable}{\(p.spec)}"]
        if let caption {
            lines.append("\\caption{\(caption)}" + (label.map { "\\label{\($0)}" } ?? "") + "\\\\")
        }
        lines += ["\\toprule"] + p.header + ["\\midrule", "\\endfirsthead"]
        if let caption {
            lines.append("\\caption[]{\(caption) (continued)}\\\\")
        }
        lines += ["\\toprule"] + p.header + ["\\midrule", "\\endhead", "\\bottomrule", "\\endfoot"]
        lines += p.rows
        lines.append("\\end{longtable}")
        return lines.joined(separator: "\n")
    }
}

/// Width estimates for LaTeX tables, in em of the table's font (Computer Modern), used only to decide how
/// to split a table into column groups. They err on the wide side: a group estimated to fit does fit.
enum TeXMetrics {
    /// The widest a column group may be: 34 em of `\small` is below `\textwidth` of `article` at 10 pt
    /// (345 pt / 9 pt = 38 em), 11 pt (360 / 10 = 36 em) and 12 pt (390 / 10.95 = 35.6 em).
    static let targetWidth = 34.0
    /// `\tabcolsep` (6 pt) on both sides of an inner column boundary, in em of a 9 pt font.
    static let columnGap = 12.0 / 9

    /// Advance widths of Computer Modern Roman (cmr10) in em, to three digits: lower and upper case
    /// letters, then punctuation. Other characters count as 0.8 em (math symbols such as ×, →, ∞).
    static let lowercase: [Double] = [0.500, 0.556, 0.444, 0.556, 0.444, 0.306, 0.500, 0.556, 0.278, 0.306, 0.528, 0.278, 0.833,
                                      0.556, 0.500, 0.556, 0.528, 0.392, 0.394, 0.389, 0.556, 0.528, 0.722, 0.528, 0.528, 0.444]
    static let uppercase: [Double] = [0.750, 0.708, 0.722, 0.764, 0.681, 0.653, 0.785, 0.750, 0.361, 0.514, 0.778, 0.625, 0.917,
                                      0.750, 0.778, 0.681, 0.778, 0.736, 0.556, 0.722, 0.750, 0.750, 1.028, 0.750, 0.750, 0.611]
    static let punctuation: [Character: Double] = [
        " ": 0.333, ".": 0.278, ",": 0.278, ":": 0.278, ";": 0.278, "'": 0.278, "!": 0.278, "(": 0.389, ")": 0.389,
        "[": 0.278, "]": 0.278, "-": 0.333, "/": 0.5, "%": 0.833, "#": 0.833, "&": 0.778, "+": 0.778, "=": 0.778,
        "*": 0.5, "_": 0.5, "$": 0.5, "|": 0.278, "–": 0.5, "—": 1.0, "·": 0.278, "…": 0.833,
    ]

    /// One character's advance width in em: digits are exactly half an em.
    static func width(_ ch: Character) -> Double {
        if ch.isASCII, ch.isNumber { return 0.5 }
        if let a = ch.asciiValue, a >= 97, a <= 122 { return lowercase[Int(a - 97)] }
        if let a = ch.asciiValue, a >= 65, a <= 90 { return uppercase[Int(a - 65)] }
        return punctuation[ch] ?? 0.8
    }

    /// The width of `s` in em of the table's `\small` font, with a 6 % margin (the 9 pt design is a little
    /// wider than the 10 pt one; bold extended is about 15 % wider still).
    static func width(_ s: String, bold: Bool = false) -> Double {
        s.reduce(0) { $0 + width($1) } * 1.06 * (bold ? 1.15 : 1)
    }

    /// A text column wider than this (em) wraps its cells in a `\parbox` of this width.
    static let maxTextColumn = 14.0

    /// The width of each column as set: its natural width, text columns capped at `maxTextColumn`.
    static func columnWidths(_ t: Table) -> [Double] {
        zip(naturalWidths(t), t.columns).map { w, c in c.numeric ? w : min(w, maxTextColumn) }
    }

    /// Natural width of each column (header title, unit line, every cell).
    static func naturalWidths(_ t: Table) -> [Double] {
        t.columns.indices.map { j in
            var w = max(width(t.columns[j].title), t.columns[j].unit.map { width("(\($0))") } ?? 0)
            for (i, row) in t.rows.enumerated() where j < row.count {
                w = max(w, width(row[j], bold: t.emphasizedRows.contains(i)))
            }
            return w
        }
    }

    /// Width of a group of columns set side by side (no padding at the outer edges: `@{}`).
    static func groupWidth(_ widths: [Double], _ columns: [Int]) -> Double {
        columns.reduce(0) { $0 + widths[$1] } + Double(max(columns.count - 1, 0)) * columnGap
    }

    /// The columns in groups that fit `targetWidth`, each starting with the key columns; as few groups as
    /// possible, of about equal width (the widest group is as narrow as it can be).
    static func columnGroups(_ t: Table, target: Double = targetWidth) -> [[Int]] {
        let widths = columnWidths(t)
        let keys = Array(0..<min(t.keyColumns, t.columns.count))
        let rest = Array(keys.count..<t.columns.count)
        if groupWidth(widths, keys + rest) <= target || rest.count <= 1 { return [keys + rest] }
        // Fewest groups: greedy. Then the most even split into that many contiguous groups (dynamic programming
        // over the split points; a handful of columns).
        var count = 1, current: [Int] = []
        for c in rest {
            if !current.isEmpty && groupWidth(widths, keys + current + [c]) > target { count += 1; current = [] }
            current.append(c)
        }
        let n = rest.count
        func cost(_ a: Int, _ b: Int) -> Double { groupWidth(widths, keys + Array(rest[a..<b])) }
        // best[k][i]: the narrowest possible widest group when the first i columns form k groups.
        var best = Array(repeating: Array(repeating: Double.infinity, count: n + 1), count: count + 1)
        var cut = Array(repeating: Array(repeating: 0, count: n + 1), count: count + 1)
        best[0][0] = 0
        for k in 1...count {
            for i in k...n {
                for j in (k - 1)..<i where best[k - 1][j] < .infinity {
                    let v = max(best[k - 1][j], cost(j, i))
                    if v < best[k][i] { best[k][i] = v; cut[k][i] = j }
                }
            }
        }
        var groups: [[Int]] = []
        var i = n
        for k in stride(from: count, through: 1, by: -1) {
            let j = cut[k][i]
            groups.insert(keys + Array(rest[j..<i]), at: 0)
            i = j
        }
        return groups
    }
}
