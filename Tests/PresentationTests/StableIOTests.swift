import Foundation
import Testing
@testable import StableIO

struct StableHashTests {
    /// Published FNV-1a 64-bit test vectors (Fowler/Noll/Vo): "" is the offset basis.
    @Test(arguments: [
        ("", UInt64(0xcbf2_9ce4_8422_2325)), ("a", UInt64(0xaf63_dc4c_8601_ec8c)), ("foobar", UInt64(0x8594_4171_f739_67e8)),
    ])
    func vectors(_ c: (String, UInt64)) {
        #expect(StableHash.fnv1a(c.0) == c.1)
    }

    @Test func hexKeepsLeadingZerosAndCuts() {
        #expect(StableHash.hex("") == "cbf29ce484222325")
        #expect(StableHash.hex("a", length: 10) == "af63dc4c86")
    }
}

struct JSONTextTests {
    @Test(arguments: [
        ("plain", #""plain""#),
        (#"quote " and \ backslash"#, #""quote \" and \\ backslash""#),
        ("\n\r\t\u{08}\u{0C}", #""\n\r\t\b\f""#),
        ("\u{01}\u{1F}\u{7F}", #""\u0001\u001f\u007f""#),
        ("\u{2028}\u{2029}", #""\u2028\u2029""#),
        ("<b>&", #""<b>&""#),
        ("é ∞ 😀", "\"é ∞ 😀\""),
    ])
    func quote(_ c: (String, String)) {
        #expect(JSONText.quote(c.0) == c.1)
    }

    @Test func quoteForHTMLPages() {
        #expect(JSONText.quote("<script>&", escapeHTML: true) == #""\u003cscript\u003e\u0026""#)
    }

    /// Whatever the string, the literal parses back to it.
    @Test func roundTrips() throws {
        let s = "a\"b\\c\nd\u{01}e\u{2028}<&> ∞"
        let data = Data(("[" + JSONText.quote(s, escapeHTML: true) + "]").utf8)
        #expect(try JSONSerialization.jsonObject(with: data) as? [String] == [s])
    }
}

struct AtomicFileTests {
    func scratch() throws -> String {
        let dir = NSTemporaryDirectory() + "atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func writesCreatesFoldersAndReplaces() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sub/folder/f.txt"
        try AtomicFile.write(Data("one".utf8), to: path)
        try AtomicFile.write(Data("two".utf8), to: path)
        #expect(FileManager.default.contents(atPath: path) == Data("two".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/sub/folder") == ["f.txt"])
    }

    /// A write that cannot happen names the path, and what was there stays.
    @Test func failureNamesThePathAndKeepsTheOldFile() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let blocker = dir + "/plain-file"
        try Data("kept".utf8).write(to: URL(fileURLWithPath: blocker))
        let target = blocker + "/inside.txt"   // its folder is a regular file
        #expect {
            try AtomicFile.write(Data("x".utf8), to: target)
        } throws: { error in
            (error as? AtomicFile.WriteError).map { $0.description.hasPrefix(target + ": cannot write") } ?? false
        }
        #expect(FileManager.default.contents(atPath: blocker) == Data("kept".utf8))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["plain-file"])
    }
}

struct CSVTextTests {
    @Test(arguments: [
        ("plain", "plain"), ("a,b", "\"a,b\""), (#"say "hi""#, #""say ""hi""""#), ("two\nlines", "\"two\nlines\""),
        ("cr\r\nlf", "\"cr\r\nlf\""), ("", ""),
    ])
    func field(_ c: (String, String)) {
        #expect(CSVText.field(c.0) == c.1)
    }
}
