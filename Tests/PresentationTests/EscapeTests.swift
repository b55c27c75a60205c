import Testing
@testable import Presentation
import Presentation

/// Edge cases of each escaper, one row per case: input, expected output, written out by hand.
struct EscapeTests {
    @Test(arguments: [
        ("plain text 1.5", "plain text 1.5"),
        ("a|b", #"a\|b"#),
        (#"back\slash"#, #"back\\slash"#),
        ("`code` *em* _u_ [l](x) #h ~s !i", ##"\`code\` \*em\* \_u\_ \[l\](x) \#h \~s \!i"##),
        ("<script>&", "&lt;script&gt;&amp;"),
        ("x\ny\r\nz\tw", "x y z w"),          // CR LF is one Character, one line break: one space
        ("", ""),
        ("ünïcödé · ×", "ünïcödé · ×"),
    ])
    func markdown(_ c: (String, String)) {
        #expect(Escape.markdown(c.0) == c.1)
    }

    @Test(arguments: [
        ("a", "`a`"), ("a`b", "``a`b``"), ("``x", "``` ``x ```"), ("a|b", #"`a\|b`"#), ("l1\nl2", "`l1 l2`"),
    ])
    func codeSpan(_ c: (String, String)) {
        #expect(Escape.codeSpan(c.0) == c.1)
    }

    @Test(arguments: [
        ("<a href='x'>&</a>", "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;"),
        (#"say "hi""#, "say &quot;hi&quot;"),
        ("two\nlines", "two lines"),
        ("&amp;", "&amp;amp;"),
    ])
    func html(_ c: (String, String)) {
        #expect(Escape.html(c.0) == c.1)
    }

    @Test func htmlKeepsNewlinesWhenAsked() {
        #expect(Escape.html("a<\nb", keepNewlines: true) == "a&lt;\nb")
    }

    /// Each special character of LaTeX text mode, and the symbols BitSweep prints, written out by hand.
    @Test(arguments: [
        ("a_b", #"a\_b"#), ("50%", #"50\%"#), ("{x}", #"\{x\}"#), ("$&#", ##"\$\&\#"##),
        (#"C:\dir"#, #"C:\textbackslash{}dir"#), ("~^", #"\textasciitilde{}\textasciicircum{}"#),
        ("3×32", #"3$\times$32"#), ("1–2", "1--2"), ("a<b>c|d", #"a\textless{}b\textgreater{}c\textbar{}d"#),
        ("∞ · ≥ → −", #"$\infty$ $\cdot$ $\geq$ $\to$ $-$"#), ("plain", "plain"),
        ("50% of $x_1 & {y}", #"50\% of \$x\_1 \& \{y\}"#), ("line\nbreak", "line break"),
    ])
    func latex(_ c: (String, String)) {
        #expect(Escape.latex(c.0) == c.1)
    }

    @Test(arguments: [
        ("../../etc/passwd", "---etc-passwd"), ("..", "x"), (".hidden", "hidden"), ("a b/c", "a-b-c"),
        ("", "x"), ("ok_name-1.svg", "ok_name-1.svg"), ("ä", "-"),
    ])
    func fileComponent(_ c: (String, String)) {
        #expect(Escape.fileComponent(c.0) == c.1)
    }

    @Test func fileComponentIsCut() {
        #expect(Escape.fileComponent(String(repeating: "a", count: 100), maxLength: 10) == "aaaaaaaaaa")
    }

    @Test(arguments: [
        ("it's", #"'it'\''s'"#), ("Reports/a-b_c.d", "Reports/a-b_c.d"), ("a b", "'a b'"), ("", "''"),
        ("$HOME", "'$HOME'"),
    ])
    func shellWord(_ c: (String, String)) {
        #expect(Escape.shellWord(c.0) == c.1)
    }

    @Test func oneLineReplacesControlCharacters() {
        #expect(Escape.oneLine("a\u{7F}b\u{01}c\u{2028}d") == "a b c d")
    }
}
