import BitSweepConfig
import Foundation
import Testing
@testable import Reports

/// report.pdf keeps the body to what a reader needs: the resolved spec is an appendix in YAML, in small type,
/// not pages of raw JSON in the parameters section.
@Suite struct ReportPDFTests {
    @Test func specYAMLReadsLikeASpecFile() throws {
        let yaml = try #require(SpecYAML.yaml(fromJSON: #"{"batch":8,"blocks":[3,4],"name":"a b","network":{"preset":"seed","weights":null},"exclude":[{"size":32}]}"#))
        #expect(yaml == """
        batch: 8
        blocks: [3, 4]
        name: a b
        network: {preset: seed, weights: null}
        exclude:
        - {size: 32}

        """)
        #expect(SpecYAML.yaml(fromJSON: "") == nil)
        // Strings that would read back as something else keep their quotes; the rest are plain.
        #expect(SpecYAML.yaml(fromJSON: #"{"a":"8","b":"true","c":"null","d":8,"e":"x: y","f":"float"}"#) == """
        a: "8"
        b: "true"
        c: "null"
        d: 8
        e: 'x: y'
        f: float

        """)
    }

    @Test func theSpecIsAYAMLAppendixNotJSONInTheBody() throws {
        guard let pdftotext = which("pdftotext") else { Issue.record("pdftotext (poppler-utils) is not installed: run scripts/setup.sh"); return }
        let dir = try DefaultReport.folder.get()
        let text = try run(pdftotext, ["-layout", "\(dir)/report.pdf", "-"]).output
        let appendix = try #require(text.range(of: "Appendix: resolved sweep spec", options: .backwards))
        let tail = text[appendix.upperBound...]
        #expect(tail.contains("sizes: [32, 64, 128]"))
        #expect(tail.contains("blocks: [3, 4, 5]"))
        #expect(tail.contains("- first-last: {edge: 8, inner: 2}"))
        #expect(!text.contains("\"sizes\": ["), "the spec is still printed as JSON")
        #expect(text[..<appendix.lowerBound].contains("printed as YAML in the appendix"))
    }
}
