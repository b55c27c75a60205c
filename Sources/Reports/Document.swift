import Charts
import Foundation
import Results

/// The executed report: a format-neutral document that every writer renders.
///
/// A document is a list of cells in template order. A prose cell is the template author's Markdown; an output
/// cell is what one `bitsweep` cell produced — blocks of headings, sentences, tables and figures whose text is
/// plain (unescaped) and is escaped by each writer for its own format.
public struct ReportDocument: Sendable {
    public var title: String
    public var cells: [ReportCell]
    /// Figures in order of appearance; file names are unique within a report.
    public var figures: [Figure] { cells.flatMap { $0.blocks.flatMap(\.figures) } }
    /// What the report was made from (the parameters cell, the notebook's `parameters` cell, the PDF's title
    /// page).
    public var parameters: Parameters
}

/// One cell of the executed report.
public struct ReportCell: Sendable {
    public enum Kind: Sendable, Hashable {
        /// Template prose, placeholders resolved (Markdown, trusted: it is the template author's).
        case prose(String)
        /// The output of a `bitsweep` cell.
        case output(TemplateCell)
    }
    public var kind: Kind
    public var blocks: [Block]

    public var isParameters: Bool {
        if case let .output(c) = kind { return c.kind == .parameters }
        return false
    }
}

/// A piece of generated output. All strings are plain text; writers escape them.
public indirect enum Block: Sendable {
    case heading(level: Int, text: String)
    case paragraph([Inline])
    case table(Table)
    case figure(Figure)
    /// A code listing (the resolved spec, a command line).
    case code(language: String, text: String)
    /// Content folded behind a one-line summary (`<details>` in Markdown/HTML). The PDF prints it in full
    /// after the summary line, unless `printed` is false (bulky lists that the other formats carry).
    case details(summary: String, blocks: [Block], printed: Bool = true)

    var figures: [Figure] {
        switch self {
        case let .figure(f): return [f]
        case let .details(_, blocks, _): return blocks.flatMap(\.figures)
        default: return []
        }
    }
}

/// A run of inline text.
public enum Inline: Sendable, Hashable {
    case text(String)
    case code(String)
    case strong(String)
    case emphasis(String)
}

/// A table: column headers (with units), right-aligned numeric columns, plain-text cells.
public struct Table: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var title: String
        /// Shown after the title in parentheses: `BitOps`, `KiB`, `dB`, `%`, `ms`.
        public var unit: String?
        public var numeric: Bool
        public init(_ title: String, unit: String? = nil, numeric: Bool = false) {
            self.title = title; self.unit = unit; self.numeric = numeric
        }
        public var header: String { unit.map { "\(title) (\($0))" } ?? title }
    }
    /// What the table is (for LaTeX captions and PDF), plain text.
    public var caption: String
    /// A stable label (`summary`, `layers-<case id>`), used for LaTeX `\label`.
    public var label: String
    public var columns: [Column]
    public var rows: [[String]]
    /// Rows drawn as subtotals (bold) — indices into `rows`.
    public var emphasizedRows: Set<Int> = []
    /// Indices of rows after which a rule is drawn (between groups).
    public var rulesAfter: Set<Int> = []
    /// The leading columns that identify a row (`#` and `case`, or the row's name): repeated in every part
    /// when a table too wide for the page is split into column groups (LaTeX).
    public var keyColumns: Int = 1
}

/// A chart to be written as `figures/<fileStem>.pdf`, `.svg` and `.png` beside the report.
public struct Figure: Sendable {
    /// The file name without extension, from what the chart shows (`FileNames`): `bitops-vs-size_blocks5_act32`.
    public var fileStem: String
    /// One sentence saying what the chart shows (alt text and caption), plain text.
    public var caption: String
    public var spec: ChartSpec
    public var size: FigureSize

    public var pdfPath: String { "figures/\(fileStem).pdf" }
    public var svgPath: String { "figures/\(fileStem).svg" }
    public var pngPath: String { "figures/\(fileStem).png" }
}

/// What the report was made from: shown first, and the notebook's `parameters` cell.
public struct Parameters: Sendable, Hashable {
    public var name: String
    public var resultsDir: String
    public var template: String
    public var cases: Int
    public var imageCount: Int
    /// Image file → SHA-256, sorted by file.
    public var images: [(file: String, digest: String)]
    public var bitsweepVersion: String
    public var engineVersion: String
    public var commit: String
    public var machine: String
    public var date: String
    public var specHash: String
    /// The resolved spec as pretty JSON text ("" when unknown).
    public var spec: String
    /// The command that ran the sweep (shell words), and the one that regenerates this report.
    public var sweepCommand: String
    public var reportCommand: String
    public var shard: String?
    /// The resolved spec as YAML (the PDF's appendix; "" when unknown).
    public var specYAML: String = ""

    public static func == (a: Parameters, b: Parameters) -> Bool {
        a.name == b.name && a.resultsDir == b.resultsDir && a.template == b.template && a.cases == b.cases
            && a.images.map(\.file) == b.images.map(\.file) && a.images.map(\.digest) == b.images.map(\.digest)
            && a.bitsweepVersion == b.bitsweepVersion && a.commit == b.commit && a.machine == b.machine
            && a.date == b.date && a.spec == b.spec && a.sweepCommand == b.sweepCommand && a.reportCommand == b.reportCommand
    }
    public func hash(into h: inout Hasher) { h.combine(name); h.combine(date); h.combine(spec) }
}

/// `where: key=value key=value` — keeps cases whose configuration matches every pair. A value may list
/// alternatives separated by `|` (`size=32|64`).
public struct CaseSelector: Sendable, Hashable {
    /// `kernels` is the kernel choice of a sweep whose cases differ in it (`k=float` in the label); empty otherwise.
    public static let keys = ["family", "size", "blocks", "precision", "act", "convention", "width", "quantization", "kernels"]
    public struct ParseError: Error { public var message: String }

    public var conditions: [(key: String, values: [String])]

    public init(_ text: String) throws {
        conditions = []
        for word in text.split(separator: " ", omittingEmptySubsequences: true) {
            let parts = word.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[1].isEmpty else {
                throw ParseError(message: "option 'where' expects key=value pairs separated by spaces, got '\(word)'")
            }
            let key = String(parts[0])
            guard CaseSelector.keys.contains(key) else {
                throw ParseError(message: "option 'where': unknown key '\(key)' (expected one of: \(CaseSelector.keys.joined(separator: ", ")))")
            }
            conditions.append((key, parts[1].split(separator: "|").map(String.init)))
        }
    }

    public func matches(_ c: CaseConfig) -> Bool {
        conditions.allSatisfy { cond in cond.values.contains(CaseSelector.value(of: cond.key, in: c)) }
    }

    static func value(of key: String, in c: CaseConfig) -> String {
        switch key {
        case "family": return c.family
        case "size": return String(c.size)
        case "blocks": return String(c.blocks)
        case "precision": return c.weightPrecision.description
        case "act": return c.actPrecision.description
        case "convention": return c.convention.rawValue
        case "width": return widthText(c.width)
        case "quantization": return c.quantization.rawValue
        case "kernels": return c.kernels?.rawValue ?? ""
        default: return ""
        }
    }

    /// The network shape of each case — what its float twin is (family, block count, width) — named by the
    /// parts that vary among `configs` (`3 blocks`, `seed, width 0.5`); all nil when there is one shape.
    /// Cost–quality charts draw one Pareto front per shape.
    public static func shapeLabels(_ configs: [CaseConfig]) -> [String?] {
        let keys = ["family", "blocks", "width"].filter { k in Set(configs.map { value(of: k, in: $0) }).count > 1 }
        guard !keys.isEmpty else { return configs.map { _ in nil } }
        return configs.map { c in
            keys.map { k in
                switch k {
                case "blocks": return "\(c.blocks) blocks"
                case "width": return "width " + widthText(c.width)
                default: return c.family
                }
            }.joined(separator: ", ")
        }
    }

    static func widthText(_ w: Double) -> String {
        w == w.rounded() ? String(format: "%.1f", w) : String(w)
    }

    public static func == (a: CaseSelector, b: CaseSelector) -> Bool {
        a.conditions.map(\.key) == b.conditions.map(\.key) && a.conditions.map(\.values) == b.conditions.map(\.values)
    }
    public func hash(into h: inout Hasher) { for c in conditions { h.combine(c.key); h.combine(c.values) } }
}
