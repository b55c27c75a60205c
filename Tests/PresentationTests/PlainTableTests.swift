import Testing
@testable import Presentation

struct PlainTableTests {
    /// Columns as wide as their widest cell, two spaces apart, numbers right-aligned, no trailing spaces.
    @Test func textTable() {
        let t = PlainTable.text(["case", "BitOps"], [["a", "1.5 k"], ["longer name", "12"]], right: [1])
        #expect(t == """
        case         BitOps
        -----------  ------
        a             1.5 k
        longer name      12

        """)
    }

    @Test func ragged() {
        #expect(PlainTable.widths([["ab", "c"], ["d"]]) == [2, 1])
        #expect(PlainTable.line(["x", ""], widths: [3, 4]) == "x")
    }

    @Test func markdownTable() {
        #expect(PlainTable.markdown(["a", "n"], [["x", "1"]], right: [1]) == "| a | n |\n|:---|---:|\n| x | 1 |\n")
    }
}

struct PaddedMarkdownTableTests {
    /// Padded: columns at least 3 wide and as wide as their widest cell; numbers right-aligned with `---:`.
    @Test func padded() {
        let t = PlainTable.markdown(["name", "n"], [["a", "12"], ["bb"]], right: [1], padded: true)
        #expect(t == """
        | name |   n |
        | ---- | --: |
        | a    |  12 |
        | bb   |     |

        """)
    }
}
