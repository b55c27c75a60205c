import BitOpsCore
import Foundation
import Testing
@testable import Charts

/// Reads an SI/plain/percent label back into a number (test helper; accepts U+2212 minus).
func parseLabel(_ s: String) -> Double? {
    var t = s.replacingOccurrences(of: "\u{2212}", with: "-")
    var scale = 1.0
    if t.hasSuffix("%") { t.removeLast(); scale = 0.01 }
    let prefixes: [String: Double] = ["k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18]
    if let last = t.last, let p = prefixes[String(last)] { t.removeLast(); scale = p }
    return Double(t.trimmingCharacters(in: .whitespaces)).map { $0 * scale }
}

struct NiceTicksTests {
    // lower, upper: data ranges across 1e0…1e15, with zero and negative data.
    static let ranges: [(Double, Double)] = [
        (0, 1), (0, 7), (1, 10), (3, 97), (0, 1e3), (1, 1e4), (0, 1.2e9), (1e6, 3.4e9),
        (2.5e11, 2.6e11), (0, 1e15), (1e14, 1e15), (7.7e14, 9.9e14), (-5, 5), (-1e9, 0),
        (-3e12, 7e12), (-8.8e14, -1e13), (42, 42), (0, 0), (-3, -3), (0.001, 0.004), (0.12, 0.995),
    ]

    @Test(arguments: ranges)
    func linearTicksAreNiceEvenAndCoverTheData(lower: Double, upper: Double) throws {
        for target in [2, 4, 5, 8] {
            let t = NiceTicks.linear(lower: lower, upper: upper, targetCount: target)
            #expect(t.ticks.count >= 2 && t.ticks.count <= 2 * target + 2, "\(lower)…\(upper) target \(target): \(t.ticks)")
            #expect(t.domain.lowerBound <= lower && t.domain.upperBound >= upper)
            #expect(t.ticks.first == t.domain.lowerBound && t.ticks.last == t.domain.upperBound)
            // Step is 1, 2 or 5 × 10^k, and ticks are evenly spaced by it.
            let mantissa = t.step / pow(10, floor(log10(t.step)))
            #expect([1.0, 2, 5].contains { abs($0 - mantissa) < 1e-9 }, "step \(t.step)")
            for (a, b) in zip(t.ticks, t.ticks.dropFirst()) {
                #expect(abs((b - a) - t.step) <= t.step * 1e-9, "uneven ticks \(t.ticks)")
            }
            // Labels are distinct and read back as the tick values.
            for format in [NumberFormat.si, .plain] {
                let labels = format.labels(for: t.ticks, step: t.step)
                #expect(Set(labels).count == labels.count, "duplicate labels \(labels)")
                for (v, s) in zip(t.ticks, labels) {
                    let back = try #require(parseLabel(s), "unparseable label \(s)")
                    #expect(abs(back - v) <= max(abs(v), t.step) * 1e-9, "\(s) ≠ \(v)")
                }
            }
        }
    }

    @Test func linearTicksExamples() {
        let a = NiceTicks.linear(lower: 0, upper: 10, targetCount: 5)
        #expect(a.ticks == [0, 2, 4, 6, 8, 10])
        let b = NiceTicks.linear(lower: 0, upper: 1.2e9, targetCount: 5)
        #expect(b.ticks == [0, 2e8, 4e8, 6e8, 8e8, 1e9, 1.2e9])
        #expect(NumberFormat.si.labels(for: b.ticks, step: b.step) == ["0", "200 M", "400 M", "600 M", "800 M", "1 G", "1.2 G"])
        let c = NiceTicks.linear(lower: -3e12, upper: 7e12, targetCount: 5)
        #expect(NumberFormat.si.labels(for: c.ticks, step: c.step) == ["−4 T", "−2 T", "0", "2 T", "4 T", "6 T", "8 T"])
        let d = NiceTicks.linear(lower: 0.12, upper: 0.995, targetCount: 4)
        #expect(NumberFormat.percent.labels(for: d.ticks, step: d.step) == ["0%", "20%", "40%", "60%", "80%", "100%"])
    }

    @Test(arguments: [(1.0, 1e15), (1.0, 10.0), (96.0, 224.0), (1e8, 1e10), (3.3e7, 4.1e12), (0.001, 1000.0), (5e14, 9e14), (2.0, 2.0)])
    func logTicksArePositiveSortedAndBounded(lower: Double, upper: Double) throws {
        let t = try NiceTicks.log(lower: lower, upper: upper, maxCount: 8)
        #expect(t.ticks.count >= 1 && t.ticks.count <= 9, "\(t.ticks)")
        #expect(t.ticks == t.ticks.sorted() && t.ticks.allSatisfy { $0 > 0 })
        #expect(t.ticks.allSatisfy { $0 >= lower * (1 - 1e-9) && $0 <= upper * (1 + 1e-9) }, "\(t.ticks) outside \(lower)…\(upper)")
        let labels = t.ticks.map { NumberFormat.si.string($0) }
        #expect(Set(labels).count == labels.count, "duplicate labels \(labels)")
    }

    @Test func logTicksUseDecadesAndThinThem() throws {
        let full = try NiceTicks.log(lower: 1, upper: 1e15, maxCount: 8)
        #expect(full.ticks == [1, 1e2, 1e4, 1e6, 1e8, 1e10, 1e12, 1e14])
        #expect(full.ticks.map { NumberFormat.si.string($0) } == ["1", "100", "10 k", "1 M", "100 M", "10 G", "1 T", "100 T"])
        let three = try NiceTicks.log(lower: 1e8, upper: 1e10)
        #expect(three.ticks == [1e8, 1e9, 1e10])
        #expect(three.minor.count == 8 + 8)
        // Under three decades: the densest of 1-2-5, 1-3, decades that fits.
        #expect(try NiceTicks.log(lower: 3.7e8, upper: 5e10, maxCount: 8).ticks == [5e8, 1e9, 2e9, 5e9, 1e10, 2e10, 5e10])
        #expect(try NiceTicks.log(lower: 3.7e8, upper: 5e10, maxCount: 5).ticks == [1e9, 3e9, 1e10, 3e10])
        #expect(try NiceTicks.log(lower: 3.7e8, upper: 5e10, maxCount: 3).ticks == [1e9, 1e10])
        let narrow = try NiceTicks.log(lower: 96, upper: 224)
        #expect(narrow.ticks.count >= 2 && narrow.minor.isEmpty)
    }

    @Test(arguments: [(0.0, 10.0), (-1.0, 10.0), (1.0, -5.0), (Double.nan, 10.0), (1.0, Double.infinity)])
    func logTicksRefuseNonPositiveData(lower: Double, upper: Double) {
        #expect(throws: ChartError.self) { try NiceTicks.log(lower: lower, upper: upper, axis: "y axis") }
        do {
            _ = try NiceTicks.log(lower: lower, upper: upper, axis: "y axis")
        } catch {
            #expect("\(error)".contains("log scale") && "\(error)".contains("y axis"), "unclear message: \(error)")
        }
    }
}

struct NumberFormatTests {
    // value, SI string (three significant digits)
    static let si: [(Double, String)] = [
        (0, "0"), (1, "1"), (12.5, "12.5"), (999, "999"), (1000, "1 k"), (1500, "1.5 k"), (65_300_000, "65.3 M"),
        (3.4e8, "340 M"), (1.2e9, "1.2 G"), (1.234e9, "1.23 G"), (999.6e6, "1 G"), (4.2e12, "4.2 T"),
        (1e15, "1 P"), (2.5e16, "25 P"), (1e18, "1 E"), (-2.5e6, "−2.5 M"), (-1, "−1"), (0.5, "0.5"),
    ]
    @Test(arguments: si)
    func siStrings(value: Double, expected: String) {
        #expect(NumberFormat.si.string(value) == expected)
    }

    @Test func otherFormats() {
        #expect(NumberFormat.percent.string(0.125) == "12.5%")
        #expect(NumberFormat.percent.string(-0.25) == "−25%")
        #expect(NumberFormat.plain.string(3098) == "3098")
        #expect(NumberFormat.plain.string(0.012345) == "0.0123")
        #expect(NumberFormat.fixed(2).string(3.14159) == "3.14")
        #expect(NumberFormat.si.string(.nan) == "NaN")
    }

    @Test func tickLabelsUseStepPrecision() {
        #expect(NumberFormat.si.labels(for: [1e9, 1.25e9, 1.5e9], step: 2.5e8) == ["1 G", "1.25 G", "1.5 G"])
        #expect(NumberFormat.plain.labels(for: [0, 0.1, 0.2], step: 0.1) == ["0", "0.1", "0.2"])
        #expect(NumberFormat.si.labels(for: [-5e5, 0, 5e5], step: 5e5) == ["−500 k", "0", "500 k"])
    }
}

struct PaletteTests {
    @Test func okabeItoHasTheEightColoursAndBlack() {
        let hexes = Set(OkabeIto.all.map(\.hex))
        #expect(hexes == ["#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#999999", "#000000"])
    }

    @Test func widthsHaveFixedColours() {
        #expect(PrecisionColors.color(for: .float) == OkabeIto.black)
        #expect(PrecisionColors.color(for: .bits(8)) == OkabeIto.blue)
        #expect(PrecisionColors.color(for: .bits(4)) == OkabeIto.orange)
        #expect(PrecisionColors.color(for: .bits(7)) == nil)
        let widths: [BitWidth] = [.float, .bits(16), .bits(8), .bits(6), .bits(5), .bits(4), .bits(3), .bits(2), .bits(1)]
        #expect(Set(widths.compactMap { PrecisionColors.color(for: $0) }).count == widths.count)
    }

    @Test func labelsAreNeverParsedForDigits() {
        // A free-text label that looks like a width gets no width colour: only a typed width does.
        let free = PrecisionColors(labels: ["8"])
        let typed = PrecisionColors(groups: [("8", .bits(8))])
        #expect(typed.color(for: "8") == OkabeIto.blue)
        #expect(free.color(for: "8") == OkabeIto.all[0])   // the first free colour, as any free-text label
        #expect(OkabeIto.all[0] != OkabeIto.blue)
        #expect(PrecisionColors.standard.color(for: "w4a8") == PrecisionColors.standard.color(for: "w4a8"))
    }

    @Test func reportColoursAreDistinctAndIndependentOfOrder() {
        let groups: [(label: String, width: BitWidth?)] = [("w8a8", .bits(8)), ("w4a8", nil), ("w4a4", .bits(4)), ("fp32", .float), ("w2a2", .bits(2)),
                                                           ("w6a6", .bits(6)), ("w8a4", nil), ("w2a8", nil), ("w3a3", .bits(3))]
        let labels = groups.map(\.label)
        let a = PrecisionColors(groups: groups), b = PrecisionColors(groups: groups.reversed())
        #expect(Set(labels.map { a.color(for: $0) }).count == labels.count)
        for l in labels { #expect(a.color(for: l) == b.color(for: l)) }
        #expect(a.color(for: "w8a8") == OkabeIto.blue)
        #expect(a.color(for: "fp32") == OkabeIto.black)
    }

    @Test func colourScalesAndContrast() throws {
        let log = try ColorScale.spanning([1e6, nil, 1e9], map: .viridis, logarithmic: true)
        #expect(abs(log.fraction(1e6)) < 1e-12 && abs(log.fraction(1e9) - 1) < 1e-12 && abs(log.fraction(pow(10, 7.5)) - 0.5) < 1e-9)
        #expect(throws: ChartError.self) { try ColorScale.spanning([0, 5], map: .viridis, logarithmic: true) }
        let diverging = ColorScale.centredAtZero([-0.1, 0.4, nil])
        #expect(diverging.lower == -0.4 && diverging.upper == 0.4 && diverging.fraction(0) == 0.5)
        #expect(ColorMap.viridis.color(at: 0).contrastingText == .white)
        #expect(ColorMap.viridis.color(at: 1).contrastingText == .ink)
        #expect(ColorMap.diverging.color(at: 0.5).contrastingText == .ink)
    }
}
