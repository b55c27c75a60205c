import BitOpsCore
import Foundation
import Testing

/// The precision vocabulary: bit widths, policies, and how they are written in files.
struct BitWidthTests {
    @Test(arguments: [(0, nil), (1, BitWidth.bits(1)), (16, .bits(16)), (17, nil), (31, nil), (32, .float), (33, nil), (-4, nil)] as [(Int, BitWidth?)])
    func integersOnTheCommandLineAndInFiles(n: Int, expected: BitWidth?) {
        #expect(BitWidth(n) == expected)
    }

    @Test func textSpellings() {
        #expect(BitWidth(text: "float") == .float)
        #expect(BitWidth(text: " 8 ") == .bits(8))
        #expect(BitWidth(text: "fp32") == nil)
        #expect(BitWidth(text: "") == nil)
        #expect(throws: SpecError("stem bits 0 is out of range: expected 1–16, or float (also written 32)")) { try BitWidth.parse("0", "stem bits") }
        #expect(throws: SpecError("stem bits 'eight' is not a bit width: expected 1–16, or float (also written 32)")) { try BitWidth.parse("eight", "stem bits") }
    }

    @Test func countedBitsAndOrder() {
        #expect(BitWidth.bits(5).countedBits == 5)
        #expect(BitWidth.float.countedBits == 32)
        #expect([BitWidth.float, .bits(2), .bits(16), .bits(8)].sorted() == [.bits(2), .bits(8), .bits(16), .float])
        #expect(BitWidth.float.quantized == nil && BitWidth.bits(3).quantized == 3)
        #expect(BitWidth.bits(4).description == "4" && BitWidth.float.description == "float")
        #expect(BitWidth.bits(4).prose == "4-bit" && BitWidth.float.prose == "float")
        #expect(!BitWidth.bits(0).isValid && !BitWidth.bits(17).isValid && BitWidth.bits(16).isValid)
    }

    @Test func jsonWritesFloatAsAWordAndReadsSchemaOnes32() throws {
        let e = JSONEncoder()
        #expect(String(decoding: try e.encode([BitWidth.bits(4), .float]), as: UTF8.self) == #"[4,"float"]"#)
        let d = JSONDecoder()
        #expect(try d.decode([BitWidth].self, from: Data(#"[4, "float", 32]"#.utf8)) == [.bits(4), .float, .float])
        #expect(throws: DecodingError.self) { try d.decode([BitWidth].self, from: Data("[17]".utf8)) }
        #expect(throws: DecodingError.self) { try d.decode([BitWidth].self, from: Data(#"["fp32"]"#.utf8)) }
    }
}

struct PrecisionPolicyTests {
    @Test func labelsAreDerived() {
        #expect(PrecisionPolicy.uniform(.bits(4)).description == "4")
        #expect(PrecisionPolicy.uniform(.float).description == "float")
        #expect(PrecisionPolicy.firstLast(edge: .bits(8), inner: .float).description == "first-last(8,float)")
        #expect(PrecisionPolicy.perBlock([.bits(8), .bits(4)]).description == "8,4")
        #expect(PrecisionPolicy.model.description == "model")
    }

    @Test func uniformWidthIsTheOneWidthOfEveryBlock() {
        #expect(PrecisionPolicy.uniform(.bits(4)).uniformWidth == .bits(4))
        #expect(PrecisionPolicy.firstLast(edge: .bits(8), inner: .bits(8)).uniformWidth == .bits(8))
        #expect(PrecisionPolicy.firstLast(edge: .bits(8), inner: .bits(2)).uniformWidth == nil)
        #expect(PrecisionPolicy.perBlock([.float, .float]).uniformWidth == .float)
        #expect(PrecisionPolicy.perBlock([.bits(8), .bits(4)]).uniformWidth == nil)
        #expect(PrecisionPolicy.model.uniformWidth == nil)
    }

    @Test func resolvingNamesAListOfTheWrongLength() throws {
        #expect(try PrecisionPolicy.firstLast(edge: .bits(8), inner: .bits(2)).resolving(blocks: 3)
                == ResolvedPrecision(policy: .firstLast(edge: .bits(8), inner: .bits(2)), blocks: [.bits(8), .bits(2), .bits(8)]))
        #expect(throws: SpecError("act-bits list 8,4 has 2 entries; expected 3, one per block")) {
            try PrecisionPolicy.perBlock([.bits(8), .bits(4)]).resolved(blocks: 3, what: "act-bits")
        }
    }

    @Test(arguments: [
        (PrecisionPolicy.uniform(.bits(4)), "4"),
        (.uniform(.float), #""float""#),
        (.firstLast(edge: .bits(8), inner: .bits(2)), #"{"first-last":{"edge":8,"inner":2}}"#),
        (.perBlock([.bits(8), .float]), #"[8,"float"]"#),
        (.model, #""model""#),
    ])
    func policiesAreWrittenAsTheSpecSpellsThem(policy: PrecisionPolicy, json: String) throws {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try e.encode(policy), as: UTF8.self) == json)
        #expect(try JSONDecoder().decode(PrecisionPolicy.self, from: Data(json.utf8)) == policy)
    }

    @Test func engineEnumsSpellTheirValues() {
        #expect(QuantGranularity.spellings == "per-tensor, per-channel")
        #expect(WeightInit.spellings == "he-normal, pytorch-default")
        #expect(BitOpsConvention.spellings == "weight, wa, seed-legacy")
    }
}
