import BitOpsCore
import Testing
@testable import Reports

/// The word a precision policy gives a figure or table file name (typed: never parsed back from its label).
@Suite struct FileNamesTests {
    @Test func precisionWords() {
        #expect(FileNames.precisionWord(.uniform(.bits(8))) == "8")
        #expect(FileNames.precisionWord(.uniform(.float)) == "32")
        #expect(FileNames.precisionWord(.perBlock([.float])) == "32")   // labelled `float`, as the uniform one
        #expect(FileNames.precisionWord(.firstLast(edge: .bits(8), inner: .bits(2))) == "fl8-2")
        #expect(FileNames.precisionWord(.firstLast(edge: .float, inner: .bits(2))) == "flfloat-2")
        #expect(FileNames.precisionWord(.perBlock([.bits(8), .bits(4), .bits(2), .bits(4), .bits(8)])) == "8-4-2-4-8")
        #expect(FileNames.precisionWord(.model) == "model")
    }
}
