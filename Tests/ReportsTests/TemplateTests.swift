import Foundation
import Testing
@testable import Reports

/// Template parsing: what a cell is, and every error, each with its file and line.
@Suite struct TemplateTests {
    func issues(_ text: String) -> [String] {
        do {
            _ = try Template.parse(text, file: "t.md")
            return []
        } catch let e as TemplateError {
            return e.issues.map(\.description)
        } catch {
            return ["unexpected \(error)"]
        }
    }

    @Test func proseAndCellsInOrder() throws {
        let t = try Template.parse("""
        # Title {{name}}

        Some prose.

        ```bitsweep
        # a comment inside a cell
        table: summary
        sort: bitops
        order: descending
        ```
        More prose.
        ```yaml
        not: a cell
        ```
        ~~~bitsweep
        chart: heatmap
        value: sqnr
        ~~~
        """, file: "t.md")
        #expect(t.parts.count == 4)
        guard case let .prose(p0, line0) = t.parts[0], case let .cell(c1) = t.parts[1],
              case let .prose(p2, line2) = t.parts[2], case let .cell(c3) = t.parts[3] else {
            Issue.record("unexpected parts \(t.parts)")
            return
        }
        #expect(p0 == "# Title {{name}}\n\nSome prose.")
        #expect(line0 == 1)
        #expect(c1.kind == .summary)
        #expect(c1.options == ["sort": "bitops", "order": "descending"])
        #expect(c1.line == 5)
        #expect(p2 == "More prose.\n```yaml\nnot: a cell\n```")
        #expect(line2 == 11)
        #expect(c3.kind == .heatmap)
        #expect(c3.options == ["value": "sqnr"])
        #expect(c3.line == 15)
    }

    @Test func templateCommentsAreDropped() throws {
        let t = try Template.parse("<!-- a note\nfor authors -->\nHello\n<!-- x -->\n", file: "t.md")
        #expect(t.parts == [.prose("Hello", line: 3)])
    }

    @Test func unknownCellKind() {
        #expect(issues("x\n\n```bitsweep\nchart: pie\n```\n") == ["t.md:4: unknown cell kind 'chart: pie' (expected chart: one of layerwise, size, heatmap, cost-quality, storage, speedup)"])
    }

    @Test func cellMustStartWithTableOrChart() {
        #expect(issues("```bitsweep\nfigure: size\n```") == ["t.md:2: a cell must start with `table: NAME` or `chart: NAME`, got 'figure: size'"])
    }

    @Test func unknownOption() {
        #expect(issues("```bitsweep\nchart: heatmap\ncolour: red\n```") == [
            "t.md:3: unknown option 'colour' for chart: heatmap (expected one of: where, title, width, rows, value)"])
        #expect(issues("```bitsweep\ntable: failures\nsort: x\n```") == ["t.md:3: unknown option 'sort' for table: failures (it takes no options)"])
    }

    @Test func badOptionValues() {
        #expect(issues("```bitsweep\ntable: summary\nsort: colour\n```").first?.hasPrefix("t.md:3: option 'sort' must be one of index, size") == true)
        #expect(issues("```bitsweep\ntable: layers\nfold: -2\n```") == ["t.md:3: option 'fold' must be a whole number ≥ 0, got '-2'"])
        #expect(issues("```bitsweep\nchart: cost-quality\nbudget: lots\n```") == ["t.md:3: option 'budget' must be a positive number of BitOps (e.g. 2e9 or 2G), got 'lots'"])
        #expect(issues("```bitsweep\ntable: summary\nwhere: colour=red\n```") == ["t.md:3: option 'where': unknown key 'colour' (expected one of: family, size, blocks, precision, act, convention, width, quantization, kernels)"])
        #expect(issues("```bitsweep\ntable: summary\nwhere: size\n```") == ["t.md:3: option 'where' expects key=value pairs separated by spaces, got 'size'"])
    }

    @Test func repeatedOption() {
        #expect(issues("```bitsweep\nchart: heatmap\nvalue: sqnr\nvalue: bitops\n```") == ["t.md:4: option 'value' is given twice (first on line 3)"])
    }

    @Test func lineWithoutColon() {
        #expect(issues("```bitsweep\ntable: summary\nsort bitops\n```") == ["t.md:3: expected `option: value`, got 'sort bitops'"])
    }

    @Test func emptyAndUnclosedCells() {
        #expect(issues("a\n```bitsweep\n\n```") == ["t.md:2: empty bitsweep cell: expected `table: NAME` or `chart: NAME` on its first line"])
        #expect(issues("a\n\n```bitsweep\ntable: summary\n") == ["t.md:3: this bitsweep cell is never closed (expected a line ```)"])
        #expect(issues("<!-- never closed\n\nHello") == ["t.md:1: this comment is never closed (expected -->)"])
    }

    @Test func unknownPlaceholder() {
        #expect(issues("# {{name}}\n\nRun on {{machine}}.") == ["t.md:3: unknown placeholder '{{machine}}' (expected one of: {{name}}, {{cases}}, {{images}}, {{date}}, {{version}})"])
    }

    @Test func allErrorsAreReportedTogether() {
        let found = issues("{{nope}}\n```bitsweep\nchart: pie\n```\n```bitsweep\ntable: summary\nsort: x\nfoo: 1\n```")
        #expect(found.count == 4)
        #expect(found.map { $0.split(separator: ":")[1] } == ["1", "3", "7", "8"])
    }

    /// The shipped copy users edit must stay the built-in template, byte for byte.
    @Test func inputsCopyIsTheDefaultTemplate() throws {
        let root = URL(fileURLWithPath: Fixture.testsDir).deletingLastPathComponent().deletingLastPathComponent().path
        let copy = try String(contentsOfFile: root + "/Inputs/report-template.md", encoding: .utf8)
        #expect(copy == DefaultTemplate.text + "\n")
        let t = Template.defaultTemplate()
        #expect(t.parts.contains { if case let .cell(c) = $0 { return c.kind == .parameters } else { return false } })
    }

    /// Every option the documentation comment of the shipped template names exists, and vice versa.
    @Test func templateDocumentsEveryCellKind() {
        for kind in CellKind.allCases {
            #expect(DefaultTemplate.text.contains("    " + kind.rawValue), "\(kind.rawValue) is not documented in the template")
            for o in kind.options {
                #expect(DefaultTemplate.text.contains(o.name), "option \(o.name) of \(kind.rawValue) is not documented")
            }
        }
    }

    @Test func caseFilter() throws {
        let f = try CaseSelector("size=32|64 precision=8,4,2")
        let results = try Fixture.results()
        #expect(results.cases.filter { f.matches($0.config) }.isEmpty)
        let g = try CaseSelector("size=64 blocks=3")
        #expect(results.cases.filter { g.matches($0.config) }.map(\.index) == [6, 7])
    }
}
