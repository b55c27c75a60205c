import BitOpsCore
@testable import Engine
import Foundation
import Testing

/// Activation calibration: the statistics (max, exact nearest-rank percentile), the ranges a network is
/// calibrated to, and both execution paths running on the calibrated grids.
@Suite struct CalibrationTests {
    /// Pass 1 and 2 of the statistics over values given in two chunks (as two batches would give them).
    static func percentile(_ values: [Float], _ p: Double) -> Float {
        statistics(values, p).selected
    }

    /// The statistics after both passes (the range a layer gets is `range(selected)`).
    static func statistics(_ values: [Float], _ p: Double) -> ActivationStatistics {
        var s = ActivationStatistics(histogram: true)
        let cut = values.count / 2
        let parts = [Array(values[..<cut]), Array(values[cut...])]
        for part in parts { part.withUnsafeBufferPointer { s.first($0) } }
        s.select(rank: Calibration.rank(percentile: p, count: s.count))
        for part in parts { part.withUnsafeBufferPointer { s.second($0) } }
        return s
    }

    /// The fallbacks, on hand-made layers: a percentile that lands in the zeros gives the layer's max; a layer
    /// of zeros (with a −0) gives 6; a denormal or sub-1e-6 rank is a 0 too (its L/R would be infinite), and a
    /// layer whose max is that small gives 6; a value above 6 is capped at 6.
    @Test func rangeFallbacksOnHandMadeLayers() throws {
        // 8 values, 5 of them zero: the 50th percentile is the 4th value, 0 → the max 2.5.
        let mostlyZero: [Float] = [0, 2.5, 0, 1, 0, 0.5, 0, 0]
        let a = Self.statistics(mostlyZero, 50)
        #expect(a.selected == 0 && a.range(a.selected) == 2.5)
        // The 75th percentile is the 6th value, 0.5: no fallback.
        let b = Self.statistics(mostlyZero, 75)
        #expect(b.range(b.selected) == 0.5)
        let zeros = Self.statistics([0, 0, -0.0, 0], 99)
        #expect(zeros.maxValue == 0 && zeros.range(zeros.selected) == 6)
        var minmaxZeros = ActivationStatistics(histogram: false)
        [Float](repeating: 0, count: 5).withUnsafeBufferPointer { minmaxZeros.first($0) }
        #expect(minmaxZeros.range(minmaxZeros.maxValue) == 6)
        // A denormal at the rank: L/R would be inf, so it falls back to the max 3.
        let denormal = Float.leastNonzeroMagnitude * 8
        let c = Self.statistics([denormal, denormal, denormal, 3], 50)
        #expect(c.selected == denormal && c.range(c.selected) == 3)
        #expect(Quantizer.activationFactors(bits: 4, range: c.range(c.selected))!.up.isFinite)
        // Every value below 1e-6 (the max too): 6.
        let tiny = Self.statistics([denormal, 5e-7, 0], 100)
        #expect(tiny.selected == 5e-7 && tiny.range(tiny.selected) == 6)
        // 1e-6 itself is a range; above 6 is capped.
        #expect(Self.statistics([1e-6, 0], 100).range(1e-6) == 1e-6)
        #expect(Self.statistics([7, 1], 100).range(7) == 6)
    }

    /// A hand-made tensor: max 3.25 (a −0 and negative values do not count); at 4 bits the scale is 3.25/15.
    @Test func minmaxOfAHandMadeTensor() throws {
        var s = ActivationStatistics(histogram: false)
        let values: [Float] = [0, 1.5, -0.0, 3.25, 2, -1, 0.75]
        values.withUnsafeBufferPointer { s.first($0) }
        #expect(s.maxValue == 3.25 && s.count == 7)
        let f = try #require(Quantizer.activationFactors(bits: 4, range: s.maxValue))
        #expect(f.down == Float(3.25) / 15 && f.up == 15 / Float(3.25))
        // On that grid 3.25 is code 15, 1.5 is round(6.923…) = 7 → 7·3.25/15, and 4 (above R) clips to 3.25.
        #expect(Quantizer.quantizeActivation(3.25, bits: 4, range: 3.25) == 15 * f.down)
        #expect(Quantizer.quantizeActivation(1.5, bits: 4, range: 3.25) == 7 * f.down)
        #expect(Quantizer.quantizeActivation(4, bits: 4, range: 3.25) == 15 * f.down)
        // The default range is the fixed grid, factor for factor.
        let fixed = try #require(Quantizer.activationFactors(bits: 4))
        #expect(fixed.up == Float(15) / 6 && fixed.down == Float(6) / 15)
    }

    /// The two-pass percentile against sorting: nearest rank ⌈P·N/100⌉ computed in integers (P in hundredths
    /// of a percent), on values with many zeros, ties and a long tail.
    @Test(arguments: [9999, 9990, 9900, 5000, 100, 10000, 1])
    func percentileMatchesSorting(hundredths: Int) {
        var rng = SplitMix64(seed: 7)
        let n = 20_011
        let values: [Float] = (0..<n).map { i in
            let u = rng.nextUnitFloat()
            if i % 3 == 0 { return 0 }                       // ReLU zeros
            if i % 7 == 0 { return 1.5 }                     // ties
            return min(6, -log(max(u, 1e-7)))                // exponential tail, clipped at 6
        }
        let sorted = values.sorted()
        let rank = (hundredths * n + 9_999) / 10_000         // ⌈P·N/100⌉ with P = hundredths/100
        let expected = sorted[max(rank, 1) - 1]
        #expect(Self.percentile(values, Double(hundredths) / 100) == expected, "P = \(Double(hundredths) / 100)")
    }

    @Test func rankIsNearestRank() {
        #expect(Calibration.rank(percentile: 100, count: 10) == 9)
        #expect(Calibration.rank(percentile: 50, count: 10) == 4)      // ⌈5⌉ = 5th value
        #expect(Calibration.rank(percentile: 51, count: 10) == 5)      // ⌈5.1⌉ = 6th
        #expect(Calibration.rank(percentile: 99.99, count: 10_000) == 9_998)   // exactly 9 999th, not pushed up
        #expect(Calibration.rank(percentile: 0.001, count: 10) == 0)
    }

    static func spec() -> NetworkSpec { NetworkTests.oddSpec(bits: 6, actBits: 4) }

    /// minmax ranges are the largest values of each layer's float output on the images, as the naive reference
    /// computes them (float precision apart); percentile:100 is the same.
    @Test func minmaxRangesAreTheFloatNetworksLayerMaxima() throws {
        let spec = Self.spec()
        let weights = Reference.weightsWithBatchNorm(spec, seed: 21)
        let size = 13
        let images = (0..<3).map { Reference.randomImage(channels: 3, size: size, seed: UInt64(40 + $0)) }
        var maxima: [String: Float] = [:]
        for img in images {
            _ = Reference.run(spec, weights: weights, image: img.data, size: size, quantize: false) { name, y in
                maxima[name] = max(maxima[name] ?? 0, y.max()!)
            }
        }
        // batch 2 over 3 images: the last batch is padded, and the padding must not count.
        let ranges = try Network.calibratedRanges(spec: spec, inputSize: size, weights: weights, images: images,
                                                  method: .minmax, options: EngineOptions(batchSize: 2))
        #expect(Set(ranges.keys) == Set(maxima.keys))
        for (name, m) in maxima {
            let r = try #require(ranges[name])
            #expect(abs(r - min(m, 6)) <= 1e-4 * max(1, m), "\(name): \(r) vs \(m)")
        }
        #expect(ranges.values.contains { $0 < 5.9 }, "some layer stays below 6, or the test shows nothing")
        let p100 = try Network.calibratedRanges(spec: spec, inputSize: size, weights: weights, images: images,
                                                method: .percentile(100), options: EngineOptions(batchSize: 3))
        #expect(p100 == ranges)
    }

    /// The percentile of a real layer against sorting all of that layer's float values (from the reference).
    @Test func percentileRangeOfALayerMatchesSortedValues() throws {
        let spec = Self.spec()
        let weights = Reference.weightsWithBatchNorm(spec, seed: 22)
        let size = 13
        let images = (0..<2).map { Reference.randomImage(channels: 3, size: size, seed: UInt64(50 + $0)) }
        var values: [String: [Float]] = [:]
        for img in images {
            _ = Reference.run(spec, weights: weights, image: img.data, size: size, quantize: false) { name, y in
                values[name, default: []] += y
            }
        }
        let ranges = try Network.calibratedRanges(spec: spec, inputSize: size, weights: weights, images: images,
                                                  method: .percentile(90), options: EngineOptions(batchSize: 2))
        for (name, v) in values {
            let sorted = v.sorted()
            let expected = sorted[(90 * sorted.count + 99) / 100 - 1]
            guard expected > 0 else { continue }   // a zero rank falls back (rangeFallbacksOnHandMadeLayers)
            let r = try #require(ranges[name])
            #expect(abs(r - expected) <= 1e-4 * max(1, expected), "\(name): \(r) vs \(expected)")
        }
    }

    /// The simulated run with calibrated ranges is the reference with the same ranges; the integer run agrees
    /// with the simulated run of the same calibrated configuration up to requantization rounding; and the
    /// ranges really change the result (the fixed grid gives other logits).
    @Test func calibratedIntegerAndSimulatedRunsAgree() throws {
        let spec = NetworkTests.oddSpec(bits: 8, actBits: 8)
        let weights = Reference.weightsWithBatchNorm(spec, seed: 23)
        let size = 15
        // Dim images and the 80th percentile: ranges well inside [0, 6] (these weights saturate ReLU6 often).
        let images = (0..<2).map { i in
            var t = Reference.randomImage(channels: 3, size: size, seed: UInt64(60 + i))
            t.data = t.data.map { $0 * 0.25 }
            return t
        }
        let ranges = try Network.calibratedRanges(spec: spec, inputSize: size, weights: weights, images: images,
                                                  method: .percentile(80), options: EngineOptions(batchSize: 2))
        #expect(ranges.values.allSatisfy { $0 > 0 && $0 <= 6 })
        #expect(ranges.values.contains { $0 < 5 }, "\(ranges)")
        let options = EngineOptions(batchSize: 2, calibration: .percentile(80), activationRanges: ranges)
        var integerOptions = options
        integerOptions.kernels = .integer
        let simulated = try Network(spec: spec, inputSize: size, weights: weights, options: options).run(images)
        let integerNet = try Network(spec: spec, inputSize: size, weights: weights, options: integerOptions)
        #expect(integerNet.runsInteger)
        let integer = try integerNet.run(images)
        let fixed = try Network(spec: spec, inputSize: size, weights: weights, options: EngineOptions(batchSize: 2)).run(images)
        for (i, img) in images.enumerated() {
            let ref = Reference.run(spec, weights: weights, image: img.data, size: size, quantize: true, ranges: ranges)
            #expect(maxRelativeError(simulated.images[i].logits, ref.logits) < 1e-2, "image \(i)")
            let s = try #require(integer.images[i].simulatedSQNR)
            #expect(s >= 30, "image \(i): integer vs simulated \(s) dB")
            #expect(abs(Metrics.sqnr(reference: simulated.images[i].logits, test: integer.images[i].logits) - s) < 1e-9)
            #expect(simulated.images[i].logits != fixed.images[i].logits)
        }
        let record = integerNet.activationCalibration
        #expect(record.method == .percentile(80))
        #expect(record.layers.map(\.layer) == integerNet.cost.layers.filter { $0.kind != .linear }.map(\.name))
        for l in record.layers { #expect(l.range == ranges[l.layer]! && l.scale == ranges[l.layer]! / 255) }
    }

    /// Fixed ranges are the default and change nothing: an explicit 6 everywhere gives the same logits, bit for bit.
    @Test func fixedRangesAreTheDefaultBitForBit() throws {
        let spec = NetworkTests.oddSpec(bits: 5, actBits: 6)
        let weights = Reference.weightsWithBatchNorm(spec, seed: 24)
        let images = [Reference.randomImage(channels: 3, size: 11, seed: 70)]
        let names = try spec.cost(inputSize: 11).layers.filter { $0.kind != .linear }.map(\.name)
        let six = Dictionary(uniqueKeysWithValues: names.map { ($0, Float(6)) })
        for kernels in [Kernels.float, .integer] {
            let a = try Network(spec: spec, inputSize: 11, weights: weights, options: EngineOptions(kernels: kernels)).run(images)
            let b = try Network(spec: spec, inputSize: 11, weights: weights,
                                options: EngineOptions(kernels: kernels, activationRanges: six)).run(images)
            #expect(a.images[0].logits == b.images[0].logits)
        }
        #expect(try Network.calibratedRanges(spec: spec, inputSize: 11, weights: weights, images: images, method: .fixed,
                                             options: EngineOptions()).isEmpty)
    }

    @Test func parsing() throws {
        #expect(Calibration("fixed") == .fixed && Calibration("minmax") == .minmax)
        #expect(Calibration("percentile:99.99") == .percentile(99.99) && Calibration("percentile:100") == .percentile(100))
        #expect(Calibration("percentile:99.99")!.description == "percentile:99.99")
        #expect(Calibration("percentile:99")!.description == "percentile:99")
        for bad in ["percentile:101", "percentile:abc", "minmax2", "percentile:0", "percentile:-1", "percentile:nan", "percentile:", "Fixed"] {
            #expect(Calibration(bad) == nil, "\(bad)")
        }
        #expect(throws: SpecError("calibrate 'percentile:101': expected \(Calibration.expected)")) {
            try Calibration.parse("percentile:101")
        }
    }
}
