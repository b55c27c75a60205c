import Charts
import Foundation

/// Report templates: Markdown with fenced `bitsweep` cells.
///
/// A template is ordinary Markdown. Prose is copied into every output as written (so headings and
/// explanations are the template author's). A fenced code block whose info string is `bitsweep` is a *cell*:
/// it names one table or chart and its options, and is replaced by that output, computed from the results.
///
/// ````markdown
/// ## Cost against fidelity
/// Each point is one case; the Pareto front is joined.
///
/// ```bitsweep
/// chart: cost-quality
/// fidelity: sqnr
/// ```
/// ````
///
/// Inside a cell: the first line is `table: NAME` or `chart: NAME`; every further line is `option: value`;
/// blank lines and lines starting with `#` are ignored. An HTML comment that starts a line of prose (up to
/// its `-->`) is a template comment and is not copied into the outputs. Prose may use the placeholders `{{name}}`,
/// `{{cases}}`, `{{images}}`, `{{date}}` and `{{version}}` (escaped values from the results). The cell kinds
/// and their options are listed in `CellKind` (and in `Inputs/report-template.md`).
///
/// Errors — an unknown cell kind, an unknown or repeated option, a bad value, an unclosed cell, an unknown
/// placeholder — are all collected and reported as `file:line: message`, one per line.

/// One problem in a template, with its file and line.
public struct TemplateIssue: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String
    public var description: String { "\(file):\(line): \(message)" }
}

/// Every problem found in a template (at least one).
public struct TemplateError: Error, Sendable, CustomStringConvertible {
    public var issues: [TemplateIssue]
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// The cells a template can contain. `table: NAME` or `chart: NAME`.
public enum CellKind: String, CaseIterable, Sendable {
    case parameters = "table: parameters"
    case summary = "table: summary"
    case layers = "table: layers"
    case images = "table: images"
    case failures = "table: failures"
    case budget = "table: budget"
    case history = "table: history"
    case accuracy = "table: accuracy"
    case search = "table: search"
    case layerwise = "chart: layerwise"
    case size = "chart: size"
    case heatmap = "chart: heatmap"
    case costQuality = "chart: cost-quality"
    case storage = "chart: storage"
    case speedup = "chart: speedup"

    /// What the cell produces (for documentation and `--help`).
    public var summary: String {
        switch self {
        case .parameters: return "what the report was made from: spec, images, version, commit, machine, date, commands"
        case .summary: return "one row per case: BitOps, MACs, weight storage, peak activations, fidelity, time per image"
        case .layers: return "per case: block subtotals with the depthwise/pointwise split and shares, then every layer"
        case .images: return "per case: fidelity of every image against the float twin"
        case .failures: return "cases that failed and images that were skipped, with reasons"
        case .budget: return "hardware budgets (when the sweep spec or --budgets names a profiles file): per profile, the cases that fit, ranked, the binding limit of the rest, and a cost–quality chart; nothing at all without profiles"
        case .history: return "the nightly history (when the sweep spec's `history:` or --history names a database): steps of these cases over the runs and trend charts of time per image and SQNR; nothing at all without one"
        case .accuracy: return "accuracy on labelled images (an ImageFolder-layout images folder): per case top-1/top-5 of the quantized network and its float twin, with BitOps, and a chart of accuracy against BitOps; nothing at all without labels"
        case .search: return "the mixed-precision search the results folder holds (search.json: a sweep spec's `search:` section, or bitsweep search --out): the predicted and measured fronts, the front's assignments, uniform references and the best per budget; nothing at all without one"
        case .layerwise: return "per case: BitOps per block by layer kind (stem/depthwise/pointwise/classifier), on a log axis or stacked"
        case .size: return "total BitOps against image size, one line per precision (log–log)"
        case .heatmap: return "blocks (or size) × precision, cells coloured by a value"
        case .costQuality: return "total BitOps against fidelity, one point per case, one step-line Pareto front per network shape"
        case .storage: return "weight storage per block count, one bar per precision"
        case .speedup: return "predicted speed-up (BitOps ratio to the float case) against measured speed-up (time ratio), one point per configuration, marked by the kernels that ran (int8, or float with simulated quantization)"
        }
    }

    /// The options the cell accepts, with the values each accepts (nil = free text or a number).
    public var options: [(name: String, values: [String]?, help: String)] {
        let whereOpt = ("where", nil as [String]?, "keep cases matching all `key=value` pairs, space-separated; keys: " + CaseSelector.keys.joined(separator: ", "))
        let title = ("title", nil as [String]?, "the chart title (default: generated)")
        let figSize = ("width", ["one-column", "two-column"] as [String]?, "figure width: 3.5 in or 7 in (default two-column)")
        let cases = ("cases", nil as [String]?, "`all` (default), `first`, `last`, or case ids / id prefixes separated by spaces")
        switch self {
        case .parameters:
            return [("spec", ["shown", "folded", "hidden"], "how to show the resolved sweep spec (default folded)"),
                    ("images", ["shown", "folded", "hidden"], "how to list the image files and digests (default folded)")]
        case .summary:
            return [("sort", SummaryColumn.allCases.map(\.rawValue), "the column to sort by (default: grid order)"),
                    ("order", ["ascending", "descending"], "sort direction (default ascending)"),
                    whereOpt]
        case .layers:
            return [cases, whereOpt,
                    ("fold", nil, "fold the per-layer list into <details> when it has more rows than this (default 8)"),
                    ("chart", ["auto", "true", "false"], "layer-wise charts: auto (default) draws one per case up to \(CellExecutor.foldCasesAbove) cases, else one per network shape and mixed-precision policy; true: every case; false: none"),
                    ("scale", LayerwiseScale.allCases.map(\.rawValue), "the layer-wise charts' scale, as for `chart: layerwise` (default log)")]
        case .images:
            return [cases, whereOpt]
        case .failures:
            return []
        case .budget:
            return [("chart", ["true", "false"], "a cost–quality chart per profile, the feasible region shaded (default true)"),
                    ("fold", nil, "fold a profile's list of cases that fit or do not fit into <details> when it has more rows than this (default 10)")]
        case .history:
            return [("fold", nil, "fold the list of steps into <details> when it has more rows than this (default 20)")]
        case .search:
            return [("fold", nil, "fold the front's table into <details> when it has more rows than this (default 20)")]
        case .accuracy:
            return [whereOpt, title, figSize,
                    ("chart", ["true", "false"], "a chart of top-1 accuracy against BitOps (default true)")]
        case .layerwise:
            return [cases, whereOpt, title, figSize,
                    ("scale", LayerwiseScale.allCases.map(\.rawValue), "log (default): layer kinds side by side on a log axis, so that depthwise layers and the classifier stay visible; linear: stacked, bar heights are block totals; share: stacked, as shares of the total"),
                    ("shares", ["true", "false"], "the old name of `scale: share` (true) and `scale: linear` (false), still read; `scale` wins when both are given")]
        case .size:
            return [whereOpt, title, figSize]
        case .heatmap:
            return [whereOpt, title, figSize,
                    ("rows", ["blocks", "size"], "what the rows are (default blocks); columns are precisions"),
                    ("value", HeatmapValue.allCases.map(\.rawValue), "what colours the cells (default bitops)")]
        case .costQuality:
            return [whereOpt, title, figSize,
                    ("fidelity", FidelityMeasure.allCases.map(\.rawValue), "the y axis (default sqnr)"),
                    ("budget", nil, "a BitOps budget: draw it and shade the feasible side (a number, SI suffix allowed: 2G)")]
        case .storage, .speedup:
            return [whereOpt, title, figSize]
        }
    }
}

/// Columns of the summary table that `sort:` accepts.
public enum SummaryColumn: String, CaseIterable, Sendable {
    case index, size, blocks, precision, bitops, macs, params, weights, activations, sqnr, cosine, top1, accuracy, time
}

/// What a heatmap colours its cells by.
public enum HeatmapValue: String, CaseIterable, Sendable {
    case bitops, macs, weights, sqnr, top1
}

/// The fidelity measure on a cost-quality chart.
public enum FidelityMeasure: String, CaseIterable, Sendable {
    case sqnr, top1, cosine
    /// Top-1 / top-5 accuracy of the quantized network on labelled images (cases without labels have none).
    case top1Accuracy = "top1-accuracy", top5Accuracy = "top5-accuracy"
}

/// A parsed cell: its kind, its options (validated), and where it was.
public struct TemplateCell: Hashable, Sendable {
    public var kind: CellKind
    public var options: [String: String]
    /// The cell's source lines (between the fences), as written.
    public var source: String
    public var line: Int
}

/// A piece of a template.
public enum TemplatePart: Hashable, Sendable {
    /// Markdown copied to the outputs (placeholders resolved at execution).
    case prose(String, line: Int)
    case cell(TemplateCell)
}

/// A parsed, validated template.
public struct Template: Hashable, Sendable {
    /// The file it came from (for messages and the parameters cell); `(default)` for the built-in one.
    public var file: String
    public var parts: [TemplatePart]

    /// The placeholders prose may use.
    public static let placeholders = ["name", "cases", "images", "date", "version"]

    /// The built-in template (the same text as `Inputs/report-template.md`).
    public static func defaultTemplate() -> Template {
        // The built-in text is tested to parse; a failure here is a programming error.
        try! parse(DefaultTemplate.text, file: "(default template)")
    }

    /// Reads and parses a template file.
    public static func load(_ path: String) throws -> Template {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TemplateError(issues: [TemplateIssue(file: path, line: 1, message: "cannot read the template file")])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TemplateError(issues: [TemplateIssue(file: path, line: 1, message: "the template is not UTF-8 text")])
        }
        return try parse(text, file: path)
    }

    /// Parses template text. Collects every problem and throws them together.
    public static func parse(_ text: String, file: String) throws -> Template {
        var issues: [TemplateIssue] = []
        func fail(_ line: Int, _ message: String) { issues.append(TemplateIssue(file: file, line: line, message: message)) }

        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")
        var parts: [TemplatePart] = []
        var prose: [String] = []
        var proseStart = 1

        func flushProse() {
            // Drop leading/trailing blank lines; keep the rest exactly.
            while let f = prose.first, f.trimmingCharacters(in: .whitespaces).isEmpty { prose.removeFirst(); proseStart += 1 }
            while let l = prose.last, l.trimmingCharacters(in: .whitespaces).isEmpty { prose.removeLast() }
            if !prose.isEmpty {
                let joined = prose.joined(separator: "\n")
                checkPlaceholders(joined, startLine: proseStart, fail: fail)
                parts.append(.prose(joined, line: proseStart))
            }
            prose = []
        }

        var i = 0
        var otherFence: (char: Character, count: Int)? = nil   // inside a non-bitsweep code block
        while i < lines.count {
            let line = lines[i]
            let lineNo = i + 1
            if let fence = Fence(line) {
                if let open = otherFence {
                    if fence.char == open.char, fence.count >= open.count, fence.info.isEmpty { otherFence = nil }
                    prose.append(line)
                    i += 1
                    continue
                }
                if fence.info.split(separator: " ").first.map(String.init) == "bitsweep" {
                    flushProse()
                    // Collect until the closing fence.
                    var body: [(Int, String)] = []
                    var j = i + 1
                    var closed = false
                    while j < lines.count {
                        if let f = Fence(lines[j]), f.char == fence.char, f.count >= fence.count, f.info.isEmpty {
                            closed = true
                            break
                        }
                        body.append((j + 1, lines[j]))
                        j += 1
                    }
                    if !closed {
                        fail(lineNo, "this bitsweep cell is never closed (expected a line \(String(repeating: fence.char, count: fence.count)))")
                        i = lines.count
                        proseStart = i + 1
                        break
                    }
                    if let cell = parseCell(body, openLine: lineNo, fail: fail) { parts.append(.cell(cell)) }
                    i = j + 1
                    proseStart = i + 1
                    continue
                }
                otherFence = (fence.char, fence.count)
            }
            // Template comments: an HTML comment starting a line, up to the line holding `-->`, is dropped.
            if line.trimmingCharacters(in: .whitespaces).hasPrefix("<!--") {
                var j = i
                while j < lines.count, !lines[j].contains("-->") { j += 1 }
                if j == lines.count { fail(lineNo, "this comment is never closed (expected -->)") }
                i = j + 1
                continue
            }
            if prose.isEmpty { proseStart = lineNo }
            prose.append(line)
            i += 1
        }
        flushProse()
        if !issues.isEmpty { throw TemplateError(issues: issues) }
        return Template(file: file, parts: parts)
    }

    /// A fence line: three or more backticks or tildes, optionally indented up to three spaces, then an info
    /// string.
    struct Fence {
        var char: Character
        var count: Int
        var info: String
        init?(_ line: String) {
            var s = Substring(line)
            var indent = 0
            while s.first == " ", indent < 4 { s.removeFirst(); indent += 1 }
            guard indent < 4, let c = s.first, c == "`" || c == "~" else { return nil }
            let run = s.prefix { $0 == c }
            guard run.count >= 3 else { return nil }
            let rest = s.dropFirst(run.count).trimmingCharacters(in: .whitespaces)
            if c == "`", rest.contains("`") { return nil }
            char = c
            count = run.count
            info = rest
        }
    }

    static func parseCell(_ body: [(Int, String)], openLine: Int, fail: (Int, String) -> Void) -> TemplateCell? {
        var kind: CellKind?
        var kindSeen = false
        var options: [String: String] = [:]
        var optionLines: [String: Int] = [:]
        let source = body.map(\.1).joined(separator: "\n")
        var ok = true
        for (lineNo, raw) in body {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                fail(lineNo, "expected `option: value`, got '\(line)'")
                ok = false
                continue
            }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !kindSeen {
                kindSeen = true
                let name = "\(key): \(value)"
                guard key == "table" || key == "chart" else {
                    fail(lineNo, "a cell must start with `table: NAME` or `chart: NAME`, got '\(line)'")
                    ok = false
                    continue
                }
                guard let k = CellKind(rawValue: name) else {
                    let names = CellKind.allCases.filter { $0.rawValue.hasPrefix(key + ":") }
                        .map { String($0.rawValue.dropFirst(key.count + 2)) }
                    fail(lineNo, "unknown cell kind '\(name)' (expected \(key): one of \(names.joined(separator: ", ")))")
                    ok = false
                    continue
                }
                kind = k
                continue
            }
            guard let k = kind else { continue }   // kind line was bad; its error is reported already
            guard let spec = k.options.first(where: { $0.name == key }) else {
                let names = k.options.map(\.name)
                fail(lineNo, "unknown option '\(key)' for \(k.rawValue)" +
                     (names.isEmpty ? " (it takes no options)" : " (expected one of: \(names.joined(separator: ", ")))"))
                ok = false
                continue
            }
            if let first = optionLines[key] {
                fail(lineNo, "option '\(key)' is given twice (first on line \(first))")
                ok = false
                continue
            }
            if let allowed = spec.values, !allowed.contains(value) {
                fail(lineNo, "option '\(key)' must be one of \(allowed.joined(separator: ", ")), got '\(value)'")
                ok = false
                continue
            }
            if let problem = validate(option: key, value: value) {
                fail(lineNo, problem)
                ok = false
                continue
            }
            options[key] = value
            optionLines[key] = lineNo
        }
        if !kindSeen {
            fail(openLine, "empty bitsweep cell: expected `table: NAME` or `chart: NAME` on its first line")
            return nil
        }
        guard ok, let k = kind else { return nil }
        return TemplateCell(kind: k, options: options, source: source, line: openLine)
    }

    /// Checks free-form option values; returns a message for a bad one.
    static func validate(option: String, value: String) -> String? {
        switch option {
        case "where":
            do { _ = try CaseSelector(value) } catch let e as CaseSelector.ParseError { return e.message } catch { return "\(error)" }
        case "fold":
            if Int(value).map({ $0 >= 0 }) != true { return "option 'fold' must be a whole number ≥ 0, got '\(value)'" }
        case "budget":
            if SINumber.parse(value).map({ $0 > 0 }) != true {
                return "option 'budget' must be a positive number of BitOps (e.g. 2e9 or 2G), got '\(value)'"
            }
        case "cases":
            if value.isEmpty { return "option 'cases' needs a value: all, first, last, or case ids" }
        case "title":
            if value.isEmpty { return "option 'title' needs a value" }
        default:
            break
        }
        return nil
    }

    static func checkPlaceholders(_ text: String, startLine: Int, fail: (Int, String) -> Void) {
        for (offset, line) in text.components(separatedBy: "\n").enumerated() {
            var rest = Substring(line)
            while let open = rest.range(of: "{{") {
                guard let close = rest[open.upperBound...].range(of: "}}") else { break }
                let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
                if !placeholders.contains(name) {
                    fail(startLine + offset, "unknown placeholder '{{\(name)}}' (expected one of: \(placeholders.map { "{{\($0)}}" }.joined(separator: ", ")))")
                }
                rest = rest[close.upperBound...]
            }
        }
    }
}

/// Numbers with an optional SI suffix: `2e9`, `2G`, `340M`, `1.5k`.
enum SINumber {
    static func parse(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let suffixes: [Character: Double] = ["k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15]
        if let last = t.last, let mult = suffixes[last] {
            return Double(t.dropLast().trimmingCharacters(in: .whitespaces)).map { $0 * mult }
        }
        return Double(t)
    }
}
