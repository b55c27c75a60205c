import Testing
@testable import Analysis

/// The one pairing that compare uses for cases, layers and images.
@Suite struct MatchByKeyTests {
    func text(_ m: [Matched<String>]) -> [String] {
        m.map {
            switch $0 {
            case let .both(b, c): return "\(b)=\(c)"
            case let .baselineOnly(b): return "\(b)<"
            case let .currentOnly(c): return ">\(c)"
            }
        }
    }

    /// Baseline order first (matched or baseline-only), then the current-only elements in their order; the
    /// key is the first letter, so "a1" and "a2" pair while their digits show which element was taken.
    @Test func baselineOrderThenCurrentOnly() {
        let m = matchByKey(["b1", "a1", "d1"], ["e2", "a2", "c2", "b2"], key: \.first)
        #expect(text(m) == ["b1=b2", "a1=a2", "d1<", ">e2", ">c2"])
    }

    /// A key that repeats on the current side pairs with its first element.
    @Test func repeatedCurrentKeyPairsWithTheFirst() {
        #expect(text(matchByKey(["a1"], ["a2", "a3"], key: \.first)) == ["a1=a2"])
        #expect(text(matchByKey([String](), ["x"], key: \.first)) == [">x"])
        #expect(text(matchByKey(["x"], [String](), key: \.first)) == ["x<"])
    }

    /// Exact SQNR is nil (+∞ dB): exact on one side only has moved; two finite values beyond the tolerance.
    @Test func sqnrMovedTreatsNilAsExact() {
        #expect(!sqnrMoved(nil, nil, tolerance: 0.1))
        #expect(sqnrMoved(nil, 40, tolerance: 0.1))
        #expect(sqnrMoved(40, nil, tolerance: 0.1))
        #expect(!sqnrMoved(40, 40.1, tolerance: 0.2))
        #expect(sqnrMoved(40, 40.3, tolerance: 0.2))
        #expect(sqnrMoved(40.3, 40, tolerance: 0.2))
    }
}
