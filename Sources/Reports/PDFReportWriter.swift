import CairoRender
import Charts
import Foundation
import Presentation

/// `report.pdf`: the report paginated on A4 with CairoRender's `PDFDocument`.
///
/// - A title page (sweep name, date, counts, provenance, the regenerate command), then the template's cells in
///   order, each page numbered in its footer.
/// - Template prose is typeset from a small Markdown subset: headings, paragraphs, `-`/`1.` lists, fenced
///   code, GFM tables, `**bold**`, `*emphasis*`, `` `code` ``, links (their text), HTML tags dropped.
/// - Charts are drawn as vector graphics (the same `ChartSpec` as the SVG/PNG files); one that does not fit in
///   what is left of a page is laid out down to 80% of its height there rather than leaving the rest empty.
/// - Tables repeat their header on each page they cross and never split a row; a table too wide for the page
///   at 6 pt is split into column groups of even widths, each repeating the first two (identifying) columns.
///   A sentence introducing a table stays with its first rows.
/// - Folded `<details>` content is printed in full after its summary line — except the resolved sweep spec,
///   which goes to an appendix at the end as YAML in small type (no pages of raw JSON in the body).
/// - Fonts are DejaVu Sans / Sans Mono, embedded by Cairo as TrueType subsets (never Type 3).
public struct PDFReportWriter: ReportWriter {
    /// Fonts and sizes of the charts (the report's own text is DejaVu Sans).
    public var theme: ChartTheme
    public init(theme: ChartTheme = .paper) { self.theme = theme }
    public var format: ReportFormat { .pdf }

    /// Typesets the report twice: the first pass finds the page of each section, the second prints the
    /// contents (on the title page, so page numbers do not move) with those pages.
    public func render(_ document: ReportDocument, figures: RenderedFigures) throws -> [String: Data] {
        let first = try typeset(document, contents: nil)
        let second = try typeset(document, contents: first.contents)
        return [format.fileName: second.data]
    }

    func typeset(_ document: ReportDocument, contents: [PDFTypesetter.Entry]?) throws -> (data: Data, contents: [PDFTypesetter.Entry]) {
        let dir = NSTemporaryDirectory() + "bitsweep-pdf-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/report.pdf"
        let pdf = try PDFDocument(path: path, pageSize: .a4, title: document.title, subject: "BitSweep report")
        let typesetter = PDFTypesetter(pdf: pdf, footer: document.title, theme: theme)
        try typesetter.titlePage(document, contents: contents)
        var specAppendix = false
        for (ci, cell) in document.cells.enumerated() {
            switch cell.kind {
            case let .prose(text):
                // Keep a short introduction on the same page as the first output that follows it.
                let next = ci + 1 < document.cells.count ? document.cells[ci + 1].blocks : []
                typesetter.ensure(typesetter.estimate(prose: text) + typesetter.estimateLead(next))
                try typesetter.prose(text)
            case .output:
                var blocks = cell.blocks
                if cell.isParameters, !document.parameters.specYAML.isEmpty {
                    let kept = Self.removingSpec(blocks)
                    if kept.count < blocks.count {
                        specAppendix = true
                        let page = contents?.first { $0.title == Self.appendixTitle }.map { " (page \($0.page))" } ?? ""
                        blocks = kept + [.paragraph([.text("The resolved sweep spec is printed as YAML in the appendix\(page).")])]
                    }
                }
                try typesetter.blocks(blocks)
            }
        }
        if specAppendix {
            // The appendix is not split when it fits on a page of its own.
            let lines = Double(document.parameters.specYAML.components(separatedBy: "\n").count)
            typesetter.ensure(min(60 + lines * 8 + 12, typesetter.limit - typesetter.top))
            typesetter.heading(2, [Run(text: Self.appendixTitle, style: .body)])
            typesetter.code(document.parameters.specYAML, font: Font.monospaced(size: 6.5), lineHeight: 8)
        }
        typesetter.finishPage()
        try pdf.finish()
        guard let data = FileManager.default.contents(atPath: path) else { throw ReportError("\(path): the PDF was not written") }
        return (data, typesetter.sections)
    }

    static let appendixTitle = "Appendix: resolved sweep spec"

    /// `blocks` without the resolved spec's JSON listing (shown, or folded in a details block).
    static func removingSpec(_ blocks: [Block]) -> [Block] {
        blocks.filter { b in
            switch b {
            case .code("json", _): return false
            case let .details(_, inner, _):
                if inner.count == 1, case .code("json", _) = inner[0] { return false }
                return true
            default: return true
            }
        }
    }
}

/// A styled run of text.
struct Run {
    enum Style { case body, bold, italic, code }
    var text: String
    var style: Style
}

/// Lays the report out page by page on a `PDFDocument`.
final class PDFTypesetter {
    /// A contents line: a section heading and its page.
    struct Entry { var title: String; var page: Int }

    let pdf: PDFDocument
    let footer: String
    /// Level-1 and level-2 headings as typeset, with their pages.
    var sections: [Entry] = []
    let page: Size
    let left = 56.0, right = 56.0, top = 56.0, bottom = 62.0
    var y: Double
    var width: Double { page.width - left - right }
    var limit: Double { page.height - bottom }

    let body = Font(size: 9.5)
    let small = Font(size: 8)
    let mono = Font.monospaced(size: 7.5)
    let ink = Color.ink
    let grey = Color.grey(0.4)
    let rule = Color.grey(0.2)

    let theme: ChartTheme

    init(pdf: PDFDocument, footer: String, theme: ChartTheme = .paper) {
        self.pdf = pdf
        self.footer = footer
        self.theme = theme
        self.page = pdf.pageSize
        self.y = top
    }

    // MARK: Pages

    /// Draws the page number (not on the title page).
    func finishPage() {
        guard pdf.pageNumber > 1 else { return }
        let f = Font(size: 7.5)
        let baseline = page.height - 34
        pdf.drawLine(from: Point(left, baseline - 11), to: Point(page.width - right, baseline - 11), width: 0.3, color: Color.grey(0.7))
        pdf.drawText(clip(footer, font: f, width: width - 60), at: Point(left, baseline), font: f, color: grey)
        let label = "\(pdf.pageNumber)"
        pdf.drawText(label, at: Point(page.width - right - pdf.textWidth(label, font: f), baseline), font: f, color: grey)
    }

    func newPage() {
        finishPage()
        pdf.newPage()
        y = top
    }

    /// Starts a new page unless `height` more points fit on this one.
    func ensure(_ height: Double) {
        if y + height > limit, y > top + 0.5 { newPage() }
    }

    func font(_ style: Run.Style, size: Double) -> Font {
        switch style {
        case .body: return Font(size: size)
        case .bold: return Font(size: size, bold: true)
        case .italic: return Font(size: size, italic: true)
        case .code: return Font.monospaced(size: size * 0.92)
        }
    }

    /// Shortens `text` with an ellipsis to fit `width`.
    func clip(_ text: String, font: Font, width: Double) -> String {
        if pdf.textWidth(text, font: font) <= width { return text }
        var s = text
        while !s.isEmpty, pdf.textWidth(s + "…", font: font) > width { s.removeLast() }
        return s + "…"
    }

    // MARK: Title page

    func titlePage(_ doc: ReportDocument, contents: [Entry]?) throws {
        let p = doc.parameters
        y = 200
        pdf.drawText("BitSweep report", at: Point(left, y), font: Font(size: 26, bold: true), color: ink)
        y += 34
        for line in pdf.wrap(Escape.oneLine(p.name), font: Font(size: 16), width: width) {
            pdf.drawText(line, at: Point(left, y), font: Font(size: 16), color: Color(rgb: 0x0072B2))
            y += 22
        }
        y += 6
        pdf.drawLine(from: Point(left, y), to: Point(page.width - right, y), width: 0.8, color: rule)
        y += 26
        let facts: [(String, String)] = [
            ("Cases", "\(p.cases)"), ("Images", "\(p.imageCount)"), ("Sweep date", p.date),
            ("BitSweep", "\(p.bitsweepVersion) (engine \(p.engineVersion))"), ("Commit", p.commit), ("Machine", p.machine),
            ("Results", p.resultsDir), ("Template", p.template),
        ]
        let keyFont = Font(size: 10, bold: true), valFont = Font(size: 10)
        for (k, v) in facts {
            pdf.drawText(k, at: Point(left, y), font: keyFont, color: grey)
            let lines = hardWrap(Escape.oneLine(v), font: valFont, width: width - 90)
            for (i, l) in lines.enumerated() {
                pdf.drawText(l, at: Point(left + 90, y + Double(i) * 14), font: valFont, color: ink)
            }
            y += 14 * Double(max(lines.count, 1)) + 4
        }
        y += 20
        pdf.drawText("Regenerate this report:", at: Point(left, y), font: small, color: grey)
        y += 14
        for l in hardWrap(p.reportCommand, font: mono, width: width) {
            pdf.drawText(l, at: Point(left, y), font: mono, color: ink)
            y += 11
        }
        if let contents, !contents.isEmpty {
            y += 18
            pdf.drawText("Contents", at: Point(left, y), font: Font(size: 11, bold: true), color: ink)
            y += 16
            let f = Font(size: 9.5)
            let room = Int((page.height - 110 - y) / 13.5)
            let shown = contents.count <= room ? contents : Array(contents.prefix(max(room - 1, 0)))
            for e in shown {
                let num = "\(e.page)"
                let nw = pdf.textWidth(num, font: f)
                let title = clip(Escape.oneLine(e.title), font: f, width: width - 60)
                pdf.drawText(title, at: Point(left, y), font: f, color: ink)
                // Dot leaders between the title and the page number.
                let start = left + pdf.textWidth(title, font: f) + 6, end = page.width - right - nw - 6
                if end > start {
                    let dot = pdf.textWidth(". ", font: f)
                    pdf.drawText(String(repeating: ". ", count: max(0, Int((end - start) / dot))), at: Point(start, y), font: f, color: Color.grey(0.6))
                }
                pdf.drawText(num, at: Point(page.width - right - nw, y), font: f, color: ink)
                y += 13.5
            }
            if shown.count < contents.count {
                pdf.drawText("… and \(contents.count - shown.count) more sections", at: Point(left, y), font: Font(size: 9, italic: true), color: grey)
            }
        }
        y = page.height - 90
        for l in pdf.wrap("Charts are vector graphics; counts are exact integers from results.json. The same report is written as report.md, report.ipynb and tables.tex.", font: small, width: width) {
            pdf.drawText(l, at: Point(left, y), font: small, color: grey)
            y += 11
        }
        newPage()
    }

    // MARK: Blocks

    /// Blocks in order; a heading or a details summary is kept on the page of what follows it.
    func blocks(_ list: [Block]) throws {
        var skip = false
        for (i, b) in list.enumerated() {
            if skip { skip = false; continue }
            let next = i + 1 < list.count ? list[i + 1] : nil
            // Two one-column charts in a row share a line of the page.
            if case let .figure(f1) = b, case let .figure(f2)? = next, f1.size == .oneColumn, f2.size == .oneColumn {
                try figurePair(f1, f2)
                skip = true
                continue
            }
            switch b {
            case .heading, .paragraph:
                if next != nil, case .heading = b { ensure(40 + estimateLead(Array(list[(i + 1)...]))) }
                else if let next, case .figure = next { ensure(30 + estimate(next)) }
                // A sentence that introduces a table ("Cases that fit:") stays with its first rows.
                else if let next, case .table = next { ensure(estimate(b) + 70) }
            default: break
            }
            try block(b)
        }
    }

    /// About how much height a block needs before it may start (its whole height when small).
    func estimate(_ b: Block) -> Double {
        switch b {
        case .heading: return 40
        case let .paragraph(inlines): return 14 * Double(1 + inlines.reduce(0) { $0 + Self.length($1) } / 95) + 6
        case let .figure(f): return f.size.points.height * Self.smallestFigureScale + 40
        case let .table(t): return min(40 + 10.5 * Double(t.rows.count), 160)
        case .code: return 40
        case let .details(_, inner, printed): return printed ? 20 + (inner.first.map(estimate) ?? 0) : 0
        }
    }

    /// What must follow a heading on its page: the first block of `list`, and the block after it when
    /// `blocks(_:)` keeps the two together (a heading with what follows it; a sentence with the figure or the
    /// table it introduces) — otherwise a template heading could stay alone at the foot of a page while its
    /// section's first sentence moves on with its chart.
    func estimateLead(_ list: [Block]) -> Double {
        guard let first = list.first else { return 0 }
        guard list.count > 1 else { return estimate(first) }
        switch (first, list[1]) {
        case (.heading, _), (.paragraph, .figure): return estimate(first) + estimate(list[1])
        case (.paragraph, .table): return estimate(first) + 70
        default: return estimate(first)
        }
    }

    static func length(_ i: Inline) -> Int {
        switch i { case let .text(s), let .code(s), let .strong(s), let .emphasis(s): return s.count }
    }

    /// About how tall a prose cell is (it is short in templates: a heading and a sentence or two).
    func estimate(prose text: String) -> Double {
        var h = 0.0
        for line in text.components(separatedBy: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { h += 6 } else if t.hasPrefix("#") { h += 36 } else { h += 13.3 * Double(1 + t.count / 95) }
        }
        return min(h, 300)
    }

    func block(_ b: Block) throws {
        switch b {
        case let .heading(level, text):
            heading(level, [Run(text: text, style: .body)])
        case let .paragraph(inlines):
            paragraph(inlines.map { i -> Run in
                switch i {
                case let .text(s): return Run(text: s, style: .body)
                case let .code(s): return Run(text: s, style: .code)
                case let .strong(s): return Run(text: s, style: .bold)
                case let .emphasis(s): return Run(text: s, style: .italic)
                }
            })
        case let .table(t):
            table(t)
        case let .figure(f):
            try figure(f)
        case let .code(_, text):
            code(text)
        case .details(_, _, false):
            break
        case let .details(summary, inner, true):
            ensure(20 + inner.prefix(2).reduce(0) { $0 + estimate($1) })
            y += 4
            paragraph([Run(text: "▸ " + summary, style: .bold)], size: 9.5, after: 2)
            try blocks(inner)
        }
    }

    func heading(_ level: Int, _ runs: [Run]) {
        let size: Double = level <= 1 ? 17 : level == 2 ? 13 : level == 3 ? 11 : 10
        let before: Double = level <= 2 ? 14 : 9
        // Keep a heading with at least a few lines of what follows.
        if y > top + 0.5 { y += before }
        ensure(size * 1.4 + 60)
        let runs = runs.map { Run(text: $0.text, style: $0.style == .code ? .code : .bold) }
        if level <= 2 { sections.append(Entry(title: runs.map(\.text).joined(), page: pdf.pageNumber)) }

        layoutRuns(runs, size: size, lineHeight: size * 1.3, x: left, width: width, color: level <= 2 ? Color(rgb: 0x1A1A1A) : ink)
        if level <= 2 {
            pdf.drawLine(from: Point(left, y - size * 0.15), to: Point(page.width - right, y - size * 0.15), width: 0.4, color: Color.grey(0.75))
            y += 6
        } else {
            y += 3
        }
    }

    func paragraph(_ runs: [Run], size: Double = 9.5, after: Double = 6, indent: Double = 0, bullet: String? = nil) {
        if let bullet {
            ensure(size * 1.4)
            pdf.drawText(bullet, at: Point(left + indent - 10, y + size), font: font(.body, size: size), color: ink)
        }
        layoutRuns(runs, size: size, lineHeight: size * 1.4, x: left + indent, width: width - indent, color: ink)
        y += after
    }

    /// Word-wraps styled runs into lines, breaking pages between lines.
    func layoutRuns(_ runs: [Run], size: Double, lineHeight: Double, x: Double, width: Double, color: Color) {
        struct Word { var text: String; var font: Font; var width: Double; var spaceBefore: Bool }
        var words: [Word] = []
        var pendingSpace = false
        for r in runs {
            let f = font(r.style, size: size)
            let text = Escape.oneLine(r.text)
            var first = true
            for piece in text.split(separator: " ", omittingEmptySubsequences: false) {
                let spaceBefore = !first || pendingSpace
                first = false
                pendingSpace = false
                if piece.isEmpty { pendingSpace = true; continue }
                // Over-long words (hashes, paths) are broken by characters.
                for (i, chunk) in hardWrap(String(piece), font: f, width: width).enumerated() {
                    words.append(Word(text: chunk, font: f, width: pdf.textWidth(chunk, font: f), spaceBefore: i == 0 ? spaceBefore : false))
                }
            }
        }
        let space = pdf.textWidth(" ", font: font(.body, size: size))
        var line: [Word] = []
        var lineWidth = 0.0
        func flush() {
            ensure(lineHeight)
            var cx = x
            for (i, w) in line.enumerated() {
                if i > 0, w.spaceBefore { cx += space }
                pdf.drawText(w.text, at: Point(cx, y + size), font: w.font, color: color)
                cx += w.width
            }
            y += lineHeight
            line = []
            lineWidth = 0
        }
        for w in words {
            let add = (line.isEmpty ? 0 : (w.spaceBefore ? space : 0)) + w.width
            if !line.isEmpty, lineWidth + add > width { flush() }
            lineWidth += line.isEmpty ? w.width : add
            line.append(w)
        }
        if !line.isEmpty { flush() }
    }

    /// Breaks `text` into pieces no wider than `width`, at any character.
    func hardWrap(_ text: String, font: Font, width: Double) -> [String] {
        if pdf.textWidth(text, font: font) <= width { return [text] }
        var out: [String] = []
        var current = ""
        for ch in text {
            if !current.isEmpty, pdf.textWidth(current + String(ch), font: font) > width {
                out.append(current)
                current = ""
            }
            current.append(ch)
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    func code(_ text: String, font mono: Font? = nil, lineHeight: Double = 9.6) {
        let mono = mono ?? self.mono
        var lines: [String] = []
        for l in text.components(separatedBy: "\n") {
            lines += l.isEmpty ? [""] : hardWrap(l.replacingOccurrences(of: "\t", with: "    "), font: mono, width: width - 12)
        }
        var i = 0
        y += 2
        while i < lines.count {
            ensure(lineHeight + 8)
            let fit = max(1, Int((limit - y - 8) / lineHeight))
            let chunk = lines[i..<min(lines.count, i + fit)]
            let h = Double(chunk.count) * lineHeight + 8
            pdf.fillRect(Rect(x: left, y: y, width: width, height: h), color: Color.grey(0.95))
            var cy = y + 4
            for l in chunk {
                pdf.drawText(l, at: Point(left + 6, cy + lineHeight * 0.75), font: mono, color: ink)
                cy += lineHeight
            }
            y += h
            i += chunk.count
            if i < lines.count { newPage() }
        }
        y += 8
    }

    /// A chart that does not fit in what is left of a page is laid out in a box down to this share of its
    /// height, rather than leaving the rest of the page empty (the layout keeps the text at its size and gives
    /// the plot less room).
    static let smallestFigureScale = 0.8

    /// The scale (1, or down to `smallestFigureScale`) at which `height` plus `extra` fits in what is left of
    /// this page; 1 when it does not fit even then (the caller starts a new page) or when the page is empty.
    func fittingScale(height: Double, extra: Double) -> Double {
        let room = limit - y - extra
        if height <= room || y <= top + 0.5 { return 1 }
        let s = room / height
        return s >= Self.smallestFigureScale ? s : 1
    }

    func figure(_ f: Figure) throws {
        let size = f.size.points
        let captionLines = pdf.wrap(f.caption, font: Font(size: 8, italic: true), width: width)
        let extra = Double(captionLines.count) * 11 + 12
        let w = min(width, size.width)
        let natural = size.height * (w / size.width > 0.98 ? 1 : w / size.width)
        let h = natural * fittingScale(height: natural, extra: extra)
        ensure(h + extra)
        y += 4
        try pdf.drawChart(f.spec, in: Rect(x: left + (width - w) / 2, y: y, width: w, height: h), theme: theme)
        y += h + 4
        for l in captionLines {
            pdf.drawText(l, at: Point(left, y + 8), font: Font(size: 8, italic: true), color: grey)
            y += 11
        }
        y += 8
    }

    /// Two charts side by side, each with its caption below it.
    func figurePair(_ a: Figure, _ b: Figure) throws {
        let gap = 14.0
        let w = (width - gap) / 2
        let captionFont = Font(size: 7.5, italic: true)
        let captions = [a, b].map { pdf.wrap($0.caption, font: captionFont, width: w) }
        let extra = Double(captions.map(\.count).max()!) * 10 + 16
        let natural = [a, b].map { $0.size.points.height * min(1, w / $0.size.points.width) }
        let fit = fittingScale(height: natural.max()!, extra: extra)
        let heights = natural.map { $0 * fit }
        let h = heights.max()! + extra - 4
        ensure(h + 4)
        y += 4
        for (k, f) in [a, b].enumerated() {
            let x = left + Double(k) * (w + gap)
            try pdf.drawChart(f.spec, in: Rect(x: x, y: y, width: w, height: heights[k]), theme: theme)
            var cy = y + heights[k] + 4
            for l in captions[k] {
                pdf.drawText(l, at: Point(x, cy + 7.5), font: captionFont, color: grey)
                cy += 10
            }
        }
        y += h + 4
    }

    // MARK: Tables

    func table(_ t: Table) {
        guard !t.columns.isEmpty else { return }
        // The largest font size (7.5 down to 6 pt) at which the table fits the width.
        var size = 7.5
        var widths = columnWidths(t, size: size)
        for smaller in [7.0, 6.5, 6.0] where widths.reduce(0, +) > width {
            size = smaller
            widths = columnWidths(t, size: size)
        }
        // Column groups: all columns if they fit, else the first two (identifying) columns plus as many as fit.
        var groups: [[Int]] = []
        if widths.reduce(0, +) <= width {
            groups = [Array(t.columns.indices)]
        } else {
            let keys = Array(t.columns.indices.prefix(min(2, t.columns.count - 1)))
            let keyWidth = keys.reduce(0) { $0 + widths[$1] }
            let rest = t.columns.indices.filter { !keys.contains($0) }
            // As many groups as filling each in turn needs, then the columns spread evenly over them (a last
            // group of two columns would leave most of its pages' width empty).
            let room = width - keyWidth
            func split(_ target: Double) -> [[Int]] {
                var out: [[Int]] = []
                var current: [Int] = []
                var used = 0.0
                for j in rest {
                    // A column joins the group while it fits and its middle is within the target.
                    if !current.isEmpty, used + widths[j] > room || used + widths[j] / 2 > target {
                        out.append(current)
                        current = []
                        used = 0
                    }
                    current.append(j)
                    used += widths[j]
                }
                if !current.isEmpty { out.append(current) }
                return out
            }
            let greedy = split(room)
            let even = split(rest.reduce(0) { $0 + widths[$1] } / Double(greedy.count))
            groups = (even.count == greedy.count ? even : greedy).map { keys + $0 }
        }
        for (gi, cols) in groups.enumerated() {
            let part = groups.count > 1 ? " (part \(gi + 1) of \(groups.count))" : ""
            tableGroup(t, columns: cols, widths: widths, size: size, caption: t.caption + part)
        }
        y += 6
    }

    /// Widest cell (or header line) per column plus padding; very wide text columns are capped and wrap.
    func columnWidths(_ t: Table, size: Double) -> [Double] {
        let f = Font(size: size), bold = Font(size: size, bold: true)
        let pad = 8.0
        return t.columns.indices.map { j in
            let words = t.columns[j].title.split(separator: " ").map { pdf.textWidth(String($0), font: bold) }
            var w = max(words.max() ?? 0, pdf.textWidth(t.columns[j].unit.map { "(\($0))" } ?? "", font: bold))
            for (i, row) in t.rows.enumerated() where j < row.count {
                w = max(w, pdf.textWidth(row[j], font: t.emphasizedRows.contains(i) ? bold : f))
            }
            let cap = t.columns[j].numeric ? width : width * 0.42
            return min(w, cap) + pad
        }
    }

    func tableGroup(_ t: Table, columns cols: [Int], widths: [Double], size: Double, caption: String) {
        let f = Font(size: size), bold = Font(size: size, bold: true)
        let lineH = size * 1.3
        let total = cols.reduce(0) { $0 + widths[$1] }
        let scale = total > width ? width / total : 1
        let w = cols.map { widths[$0] * scale }
        // Header: the title wrapped to the column (at spaces), then the unit in parentheses.
        let headerLines: [[String]] = cols.enumerated().map { k, j in
            let c = t.columns[j]
            return pdf.wrap(c.title, font: bold, width: w[k] - 8) + (c.unit.map { ["(\($0))"] } ?? [])
        }
        let headerH = lineH * Double(headerLines.map(\.count).max() ?? 1) + 5

        func cellLines(_ text: String, _ j: Int, _ k: Int, bold isBold: Bool) -> [String] {
            let font = isBold ? bold : f
            if t.columns[j].numeric { return [text] }
            return pdf.wrap(Escape.oneLine(text), font: font, width: w[k] - 8).flatMap { hardWrap($0, font: font, width: w[k] - 8) }
        }
        func drawHeader(continued: Bool) {
            ensure(headerH + lineH * 2 + 16)
            pdf.drawText(clip(caption + (continued ? " (continued)" : ""), font: Font(size: 8, bold: true), width: width),
                         at: Point(left, y + 8), font: Font(size: 8, bold: true), color: grey)
            y += 13
            pdf.drawLine(from: Point(left, y), to: Point(left + w.reduce(0, +), y), width: 0.8, color: rule)
            var x = left
            for (k, j) in cols.enumerated() {
                let c = t.columns[j]
                for (li, l) in headerLines[k].enumerated() {
                    let text = clip(l, font: bold, width: w[k] - 8)
                    let tw = pdf.textWidth(text, font: bold)
                    let tx = c.numeric ? x + w[k] - 4 - tw : x + 4
                    pdf.drawText(text, at: Point(tx, y + 3 + lineH * Double(li) + size), font: bold, color: ink)
                }
                x += w[k]
            }
            y += headerH
            pdf.drawLine(from: Point(left, y), to: Point(left + w.reduce(0, +), y), width: 0.5, color: rule)
            y += 2
        }
        // A table that fits on half a page is never split.
        let estimatedRows = t.rows.enumerated().reduce(0.0) { acc, r in
            let lines = cols.enumerated().map { k, j in cellLines(j < r.element.count ? r.element[j] : "", j, k, bold: t.emphasizedRows.contains(r.offset)).count }
            return acc + lineH * Double(lines.max() ?? 1) + 2
        }
        let whole = 13 + headerH + 2 + estimatedRows + 10
        if whole < (limit - top) * 0.5 { ensure(whole) }
        drawHeader(continued: false)
        for (i, row) in t.rows.enumerated() {
            let isBold = t.emphasizedRows.contains(i)
            let lines = cols.enumerated().map { k, j in cellLines(j < row.count ? row[j] : "", j, k, bold: isBold) }
            let rowH = lineH * Double(lines.map(\.count).max() ?? 1) + 2
            if y + rowH > limit - 4 {
                pdf.drawLine(from: Point(left, y), to: Point(left + w.reduce(0, +), y), width: 0.8, color: rule)
                newPage()
                drawHeader(continued: true)
            }
            var x = left
            for (k, j) in cols.enumerated() {
                for (li, l) in lines[k].enumerated() {
                    let font = isBold ? bold : f
                    let text = t.columns[j].numeric ? clip(l, font: font, width: w[k] - 6) : l
                    let tw = pdf.textWidth(text, font: font)
                    let tx = t.columns[j].numeric ? x + w[k] - 4 - tw : x + 4
                    pdf.drawText(text, at: Point(tx, y + 1 + lineH * Double(li) + size), font: font, color: ink)
                }
                x += w[k]
            }
            y += rowH
            if t.rulesAfter.contains(i) {
                pdf.drawLine(from: Point(left, y), to: Point(left + w.reduce(0, +), y), width: 0.3, color: rule)
                y += 1
            }
        }
        pdf.drawLine(from: Point(left, y + 1), to: Point(left + w.reduce(0, +), y + 1), width: 0.8, color: rule)
        y += 10
    }

    // MARK: Prose (a Markdown subset)

    func prose(_ text: String) throws {
        let lines = text.components(separatedBy: "\n")
        var para: [String] = []
        func flushPara() {
            if !para.isEmpty { paragraph(Self.inlineRuns(para.joined(separator: " "))) }
            para = []
        }
        var i = 0
        while i < lines.count {
            let line = lines[i]
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if let fence = Template.Fence(line) {
                flushPara()
                var body: [String] = []
                var j = i + 1
                while j < lines.count, !(Template.Fence(lines[j]).map { $0.char == fence.char && $0.count >= fence.count && $0.info.isEmpty } ?? false) {
                    body.append(lines[j]); j += 1
                }
                code(body.joined(separator: "\n"))
                i = j + 1
                continue
            }
            if trimmed.isEmpty { flushPara(); i += 1; continue }
            if trimmed.hasPrefix("#") {
                let level = trimmed.prefix { $0 == "#" }.count
                let rest = trimmed.dropFirst(level)
                if level <= 6, rest.isEmpty || rest.first == " " {
                    flushPara()
                    heading(level, Self.inlineRuns(rest.trimmingCharacters(in: .whitespaces)))
                    i += 1
                    continue
                }
            }
            if trimmed.hasPrefix("|") {
                flushPara()
                var rows: [[String]] = []
                var j = i
                while j < lines.count, lines[j].trimmingCharacters(in: .whitespaces).hasPrefix("|") {
                    rows.append(Self.splitRow(lines[j])); j += 1
                }
                if rows.count >= 2, rows[1].allSatisfy({ $0.allSatisfy { "-: ".contains($0) } }) {
                    let numeric = rows[1].map { $0.trimmingCharacters(in: .whitespaces).hasSuffix(":") }
                    let cols = rows[0].enumerated().map { k, h in Table.Column(Self.plain(h), numeric: k < numeric.count && numeric[k]) }
                    table(Table(caption: "", label: "prose", columns: cols, rows: rows.dropFirst(2).map { $0.map(Self.plain) }))
                } else {
                    for r in rows { paragraph([Run(text: r.joined(separator: " | "), style: .body)]) }
                }
                i = j
                continue
            }
            if let item = Self.listItem(trimmed) {
                flushPara()
                paragraph(Self.inlineRuns(item.text), after: 2, indent: 14, bullet: item.bullet)
                i += 1
                continue
            }
            if trimmed.hasPrefix("<"), trimmed.hasSuffix(">"), !trimmed.contains(" ") || trimmed.hasPrefix("</") || trimmed.hasPrefix("<details") {
                flushPara()   // a line holding only an HTML tag
                i += 1
                continue
            }
            para.append(trimmed)
            i += 1
        }
        flushPara()
    }

    static func listItem(_ s: String) -> (bullet: String, text: String)? {
        if s.hasPrefix("- ") || s.hasPrefix("* ") || s.hasPrefix("+ ") { return ("•", String(s.dropFirst(2))) }
        let digits = s.prefix { $0.isASCII && $0.isNumber }
        if !digits.isEmpty, s.dropFirst(digits.count).hasPrefix(". ") {
            return ("\(digits).", String(s.dropFirst(digits.count + 2)))
        }
        return nil
    }

    static func splitRow(_ line: String) -> [String] {
        var cells: [String] = []
        var current = ""
        var escaped = false
        for ch in line.trimmingCharacters(in: .whitespaces) {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" { escaped = true; current.append(ch); continue }
            if ch == "|" { cells.append(current); current = ""; continue }
            current.append(ch)
        }
        cells.append(current)
        if cells.first?.trimmingCharacters(in: .whitespaces).isEmpty == true { cells.removeFirst() }
        if cells.last?.trimmingCharacters(in: .whitespaces).isEmpty == true { cells.removeLast() }
        return cells.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    static func plain(_ s: String) -> String { inlineRuns(s).map(\.text).joined() }

    /// Inline Markdown to styled runs: `**bold**`, `*em*`/`_em_`, `` `code` ``, `[text](url)`, `![alt](src)`,
    /// backslash escapes, HTML entities; other HTML tags are dropped.
    static func inlineRuns(_ s: String) -> [Run] {
        var runs: [Run] = []
        var cur = ""
        var style: Run.Style = .body
        func push() { if !cur.isEmpty { runs.append(Run(text: cur, style: style)); cur = "" } }
        let chars = Array(s)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\\", i + 1 < chars.count, chars[i + 1].isPunctuation || chars[i + 1].isSymbol {
                cur.append(chars[i + 1]); i += 2; continue
            }
            if c == "`" {
                let run = chars[i...].prefix { $0 == "`" }.count
                let fence = String(repeating: "`", count: run)
                let rest = String(chars[(i + run)...])
                if let end = rest.range(of: fence) {
                    push()
                    runs.append(Run(text: String(rest[..<end.lowerBound]).trimmingCharacters(in: .whitespaces), style: .code))
                    i += run + rest.distance(from: rest.startIndex, to: end.upperBound)
                    continue
                }
            }
            let boundaryBefore = i == 0 || chars[i - 1].isWhitespace || chars[i - 1].isPunctuation
            let boundaryAfter = i + 1 >= chars.count || chars[i + 1].isWhitespace || chars[i + 1].isPunctuation
            if c == "*" || (c == "_" && (boundaryBefore || boundaryAfter)) {
                let double = i + 1 < chars.count && chars[i + 1] == c
                let target: Run.Style = double ? .bold : .italic
                push()
                style = style == target ? .body : target
                i += double ? 2 : 1
                continue
            }
            if c == "!" || c == "[" {
                let start = c == "!" ? i + 1 : i
                if start < chars.count, chars[start] == "[",
                   let close = chars[start...].firstIndex(of: "]"), close + 1 < chars.count, chars[close + 1] == "(",
                   let paren = chars[(close + 1)...].firstIndex(of: ")") {
                    let label = String(chars[(start + 1)..<close])
                    cur += c == "!" ? "[figure: \(plain(label))]" : plain(label)
                    i = paren + 1
                    continue
                }
            }
            if c == "&", let semi = chars[i...].prefix(8).firstIndex(of: ";") {
                let entity = String(chars[i...semi])
                let map = ["&lt;": "<", "&gt;": ">", "&amp;": "&", "&quot;": "\"", "&#39;": "'", "&nbsp;": " "]
                if let v = map[entity] { cur += v; i = semi + 1; continue }
            }
            if c == "<", let close = chars[i...].firstIndex(of: ">"), close > i + 1,
               chars[i + 1].isLetter || chars[i + 1] == "/" || chars[i + 1] == "!" {
                i = close + 1
                continue
            }
            cur.append(c)
            i += 1
        }
        push()
        return runs
    }
}
