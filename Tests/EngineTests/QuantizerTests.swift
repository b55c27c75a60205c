import BitOpsCore
@testable import Engine
import Testing

@Suite struct QuantizerTests {
    /// The symmetric rule on a tensor whose max |w| is 127·0.5, so that scale = 0.5 at 8 bits and
    /// w / scale is exactly the "ratio" column. Rounding is half to even: ties go to the even integer.
    @Test(arguments: [
        // ratio      expected q/scale
        (0.5,          0.0),
        (1.5,          2.0),
        (2.5,          2.0),
        (3.5,          4.0),
        (-0.5,        -0.0),
        (-1.5,        -2.0),
        (-2.5,        -2.0),
        (0.49999997,   0.0),
        (0.50000006,   1.0),
        (126.5,      126.0),
        (125.5,      126.0),
        (127.0,      127.0),
        (-127.0,    -127.0),
    ] as [(Float, Float)])
    func halfToEvenAt8Bits(ratio: Float, expected: Float) {
        let scale: Float = 0.5
        let w: [Float] = [127 * scale, ratio * scale]
        let q = Quantizer.quantizeWeights(w, bits: 8, channels: 1)
        #expect(q[0] == 127 * scale)
        #expect(q[1] == expected * scale, "ratio \(ratio)")
        #expect(q[1].sign == expected.sign || q[1] != 0, "sign of zero for ratio \(ratio)")
    }

    /// Bit-widths: levels 2^(b−1) − 1 on each side; the largest magnitude maps onto the top level exactly.
    @Test(arguments: [
        // bits  values                       expected
        (2, [1.0, 0.4, 0.5, 0.6, -1.0] as [Float], [1.0, 0.0, 0.0, 1.0, -1.0] as [Float]),
        (3, [3.0, 1.5, 2.5, -0.5, -3.0],          [3.0, 2.0, 2.0, -0.0, -3.0]),
        (4, [7.0, 6.5, 0.5, -6.5, 1.49],          [7.0, 6.0, 0.0, -6.0, 1.0]),
    ] as [(BitWidth, [Float], [Float])])
    func smallBitWidths(bits: BitWidth, values: [Float], expected: [Float]) {
        #expect(Quantizer.quantizeWeights(values, bits: bits, channels: 1) == expected)
    }

    @Test func oneBitIsSignTimesMeanAbs() {
        let w: [Float] = [0.5, -1.5, 0, 2.0]   // mean |w| = 1.0
        #expect(Quantizer.quantizeWeights(w, bits: 1, channels: 1) == [1.0, -1.0, 0, 1.0])
        // Per channel: each output channel has its own mean.
        let pc = Quantizer.quantizeWeights([1, -3, 2, 2], bits: 1, channels: 2, granularity: .perChannel)
        #expect(pc == [2, -2, 2, 2])
    }

    @Test func thirtyTwoBitsIsUnchangedAndZerosStayZeros() {
        let w: [Float] = [0.1234567, -9.87654, 1e-30]
        #expect(Quantizer.quantizeWeights(w, bits: 32, channels: 1) == w)
        #expect(Quantizer.quantizeWeights([0, 0, 0], bits: 4, channels: 1) == [0, 0, 0])
    }

    @Test func perChannelUsesOneScalePerOutputChannel() {
        // Channel 0 max 7 → scale 1 at 4 bits; channel 1 max 0.7 → scale 0.1.
        let w: [Float] = [7, 2.5, 0.7, 0.25]
        let pt = Quantizer.quantizeWeights(w, bits: 4, channels: 2, granularity: .perTensor)
        let pc = Quantizer.quantizeWeights(w, bits: 4, channels: 2, granularity: .perChannel)
        #expect(pt == [7, 2, 1, 0])                 // 0.7 → 1, 0.25 → 0 with the shared scale 1
        #expect(pc[0] == 7 && pc[1] == 2)
        #expect(abs(pc[2] - 0.7) < 1e-6 && abs(pc[3] - Float(2) * (0.7 / 7)) < 1e-6)   // 0.25/0.1 = 2.5 → 2
    }

    /// Activations: unsigned on [0, 6]; L = 2^a − 1 steps of 6/L; half to even on exact ties.
    @Test(arguments: [
        // bits  x       expected
        (1,  -1.0,   0.0),
        (1,   2.9,   0.0),
        (1,   3.0,   0.0),     // tie 0.5 → 0
        (1,   3.1,   6.0),
        (1,   9.0,   6.0),
        (2,   1.0,   0.0),     // 1·0.5 = 0.5 → 0
        (2,   3.0,   4.0),     // 1.5 → 2 steps of 2
        (2,   5.0,   4.0),     // 2.5 → 2
        (2,   6.0,   6.0),
        (32,  5.123, 5.123),
        (32,  7.0,   6.0),     // float: ReLU6 only
    ] as [(BitWidth, Float, Float)])
    func activationGrid(bits: BitWidth, x: Float, expected: Float) {
        #expect(Quantizer.quantizeActivation(x, bits: bits) == expected, "\(bits) bits, x = \(x)")
    }

    @Test func activationFourBitsHasSixteenLevels() {
        var levels = Set<Float>()
        for i in 0...600 { levels.insert(Quantizer.quantizeActivation(Float(i) / 100, bits: 4)) }
        #expect(levels.count == 16)
        #expect(levels.min() == 0 && levels.max() == 6)
    }
}

@Suite struct BatchNormFoldingTests {
    /// conv(x, fold(w)) + b' must equal BN(conv(x, w)) evaluated unfolded.
    @Test func foldedConvolutionEqualsUnfoldedBatchNorm() {
        var rng = SplitMix64(seed: 5)
        let oc = 3, ic = 4, k = 3, size = 5
        let w = (0..<(oc * ic * k * k)).map { _ in rng.nextUnitFloat() - 0.5 }
        let x = (0..<(ic * size * size)).map { _ in rng.nextUnitFloat() }
        let gamma: [Float] = [0.5, 1.5, -0.7], beta: [Float] = [0.1, -0.2, 0.3]
        let mean: [Float] = [0.05, -0.1, 0.2], variance: [Float] = [0.3, 1.7, 0.01]
        let folded = foldBatchNorm(weight: w, outChannels: oc, gamma: gamma, beta: beta, mean: mean, variance: variance)
        let plain = Reference.conv(x, c: ic, h: size, w: size, weight: w, out: oc, kernel: k, stride: 1, groups: 1)
        let viaFold = Reference.conv(x, c: ic, h: size, w: size, weight: folded.weight, out: oc, kernel: k, stride: 1, groups: 1)
        let plane = plain.h * plain.w
        for o in 0..<oc {
            for i in 0..<plane {
                let bn = (Double(plain.y[o * plane + i]) - Double(mean[o])) / (Double(variance[o]) + 1e-5).squareRoot()
                    * Double(gamma[o]) + Double(beta[o])
                let f = Double(viaFold.y[o * plane + i]) + Double(folded.bias[o])
                #expect(abs(bn - f) < 1e-5, "channel \(o) position \(i)")
            }
        }
    }
}
