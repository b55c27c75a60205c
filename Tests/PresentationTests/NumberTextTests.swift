import Testing
@testable import Presentation
import Presentation

/// Every expected string is written out by hand; the comments show the arithmetic.
struct NumberTextTests {
    @Test(arguments: [
        (0, "0"), (999, "999"), (1_000, "1.00 k"), (2_359_296, "2.36 M"), (54_865_920, "54.9 M"),
        (999_499, "999 k"),                  // 999.499 k: three digits, rounds down
        (999_500, "1.00 M"), (999_999, "1.00 M"), // 999.5 k rounds half up to 1000 k = 1.00 M
        (4_549_922_816, "4.55 G"), (123_456_789_012_345, "123 T"), (-1_500, "-1.50 k"),
        (Int.max, "9.22 E"),                 // 9,223,372,036,854,775,807
        (Int.min, "-9.22 E"),
    ])
    func siExact(_ c: (Int, String)) {
        #expect(NumberText.si(c.0) == c.1)
    }

    @Test(arguments: [
        (1_000, "1 k"), (1_500, "1.5 k"), (2_000_000_000, "2 G"), (4_720_000_000, "4.72 G"), (812, "812"),
        (999_999, "1 M"),
    ])
    func siTrimmed(_ c: (Int, String)) {
        #expect(NumberText.si(c.0, trimmingZeros: true) == c.1)
    }

    @Test(arguments: [
        (12.5, "12.5"), (1500.0, "1.5 k"), (65_300_000.0, "65.3 M"), (0.25, "0.25"), (1234.5, "1.23 k"),
        (-1500.0, "−1.5 k"), (1e20, "100 E"), (Double.infinity, "∞"), (-Double.infinity, "−∞"),
    ])
    func siReal(_ c: (Double, String)) {
        #expect(NumberText.si(c.0, minus: .typographic) == c.1)
    }

    @Test(arguments: [
        (0, "0 B"), (999, "999 B"),
        (1000, "0.98 KiB"),                  // 1000/1024 = 0.9766
        (1024, "1.00 KiB"), (1536, "1.50 KiB"),
        (1_048_575, "1.00 MiB"),             // 1023.999 KiB ≥ 1000 → MiB: 0.99999905 → 1.00
        (1_572_864, "1.50 MiB"),             // 1.5·2²⁰
        (5_368_709_120, "5.00 GiB"),         // 5·2³⁰
    ])
    func bytes(_ c: (Int, String)) {
        #expect(NumberText.bytes(c.0) == c.1)
    }

    @Test func bytesVariants() {
        #expect(NumberText.bytes(bits: 9) == "2 B")            // 9 bits need 2 whole bytes
        #expect(NumberText.bytes(bits: 8 * 1024) == "1.00 KiB")
        #expect(NumberText.bytes(1_572_864, trimmingZeros: true) == "1.5 MiB")
        #expect(NumberText.bytes(262_144, trimmingZeros: true) == "256 KiB")
        #expect(NumberText.kib(5059) == "4.94")                // 5059/1024 = 4.9404
    }

    @Test func grouping() {
        #expect(NumberText.grouped(0) == "0")
        #expect(NumberText.grouped(999) == "999")
        #expect(NumberText.grouped(1000) == "1,000")
        #expect(NumberText.grouped(4_555_234_304) == "4,555,234,304")
        #expect(NumberText.grouped(-1_000) == "-1,000")
        #expect(NumberText.grouped(-12_345, minus: .typographic) == "−12,345")
        #expect(NumberText.signedGrouped(1234) == "+1,234")
        #expect(NumberText.signedGrouped(-56) == "-56")
        #expect(NumberText.signedGrouped(0) == "0")
    }

    @Test func percentFromIntegersRoundsHalfUp() {
        #expect(NumberText.percent(1, of: 3) == "33.3%")
        #expect(NumberText.percent(2, of: 3) == "66.7%")
        #expect(NumberText.percent(1, of: 2000) == "0.1%") // 0.05% rounds up
        #expect(NumberText.percent(5, of: 5) == "100.0%")
        #expect(NumberText.percent(1, of: 0) == "–")
    }

    @Test(arguments: [
        (4.7234, "4.72"), (34.56, "34.6"), (812.4, "812"), (3098.0, "3098"), (1.5, "1.5"), (10.0, "10"),
        (0.001234, "0.00123"), (99.96, "100"), (-4.7234, "-4.72"), (0.0, "0"),
    ])
    func significant(_ c: (Double, String)) {
        #expect(NumberText.significant(c.0) == c.1)
    }

    @Test func fixedAndSigned() {
        #expect(NumberText.fixed(23.456, 2) == "23.46")
        #expect(NumberText.fixed(-0.004, 2) == "0.00")          // rounds to zero: no sign
        #expect(NumberText.fixed(-1.5, 1, minus: .typographic) == "−1.5")
        #expect(NumberText.signedFixed(1.25, 2) == "+1.25")
        #expect(NumberText.signedFixed(-0.5, 2) == "-0.50")
        #expect(NumberText.signedFixed(0.001, 2) == "0.00")
        #expect(NumberText.percent(0.125) == "12.5%")
        #expect(NumberText.percent(0.1) == "10%")
        #expect(NumberText.signedPercent(0.125) == "+12.5%")
        #expect(NumberText.signedPercent(-0.03) == "-3%")
        #expect(NumberText.percentValue(0.1234) == "12.3")
        #expect(NumberText.milliseconds(1.234) == "1.23 ms")
        #expect(NumberText.milliseconds(0.45) == "450 µs")
    }

    @Test(arguments: [(2.0, "×2"), (0.5, "×0.5"), (1.0, "×1"), (1.2345, "×1.23"), (0.0625, "×0.0625"), (5.33, "×5.33"), (1000.0, "×1000")])
    func ratio(_ c: (Double, String)) {
        #expect(NumberText.ratio(c.0) == c.1)
    }
}
