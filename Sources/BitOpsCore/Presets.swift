/// The built-in network families.
///
/// - `seed`: the original PyTorch/Gradio demo's rule. `N` blocks (1–12); block `i` (from 0) has `32·2^i`
///   output channels and stride 2 when `i` is odd; 3 input channels; no stem; classifier to 10 classes, float.
/// - `mobilenet-v1`: Howard et al. 2017, "MobileNets: Efficient Convolutional Neural Networks for Mobile
///   Vision Applications" (arXiv:1704.04861), Table 1: a 3×3 stride-2 stem conv with 32 channels, 13
///   depthwise-separable blocks, average pooling, FC to 1000 classes. Stem and classifier at 8 bits by default.
///   Table 1 prints the last depthwise layer as "s2" with a 7×7 input and a 7×7 output; that is a misprint
///   (a stride of 2 would halve the map), so the last block uses stride 1, as every implementation does.
public enum Preset: String, CaseIterable, Sendable {
    case seed
    case mobilenetV1 = "mobilenet-v1"

    /// Default image size, block count and weight bits (the demo app's defaults for `seed`).
    public var defaultSize: Int { self == .seed ? 32 : 224 }
    public var defaultBlocks: Int { self == .seed ? 5 : MobileNetV1.table.count }
    public var defaultBits: BitWidth { .bits(self == .seed ? 4 : 8) }
    public var blockRange: ClosedRange<Int> { self == .seed ? 1...12 : 1...MobileNetV1.table.count }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s.removeFirst() }
        while s.last == set { s.removeLast() }
        return String(s)
    }
}

/// MobileNetV1's Table 1, as (output channels, depthwise stride) per block.
public enum MobileNetV1 {
    public static let stemChannels = 32
    public static let table: [(channels: Int, stride: Int)] = [
        (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
        (512, 1), (512, 1), (512, 1), (512, 1), (512, 1),
        (1024, 2), (1024, 1),
    ]

    /// Channels under the width multiplier α: ⌊α·c⌋, at least 1 (α·c is exact for the paper's α values).
    public static func scaled(_ channels: Int, width: Double) -> Int {
        max(1, Int((Double(channels) * width).rounded(.down)))
    }
}

/// Everything a preset needs to become a `NetworkSpec`. Unset values take the preset's defaults.
public struct PresetOptions: Hashable, Sendable {
    public var blocks: Int?
    /// Weight bits of the blocks (`uniform`, `firstLast` or `perBlock`; `model` does not apply to a preset).
    public var bits: PrecisionPolicy?
    /// Activation bits of the blocks.
    public var actBits: PrecisionPolicy?
    public var width: Double
    public var stemBits: BitWidth?
    public var classifierBits: BitWidth?
    public var inputBits: BitWidth
    public var classes: Int?

    public init(blocks: Int? = nil, bits: PrecisionPolicy? = nil, actBits: PrecisionPolicy? = nil, width: Double = 1.0,
                stemBits: BitWidth? = nil, classifierBits: BitWidth? = nil, inputBits: BitWidth = .bits(8), classes: Int? = nil) {
        self.blocks = blocks
        self.bits = bits
        self.actBits = actBits
        self.width = width
        self.stemBits = stemBits
        self.classifierBits = classifierBits
        self.inputBits = inputBits
        self.classes = classes
    }
}

extension Preset {
    /// Builds the network this preset describes. Throws a one-line `SpecError` naming the bad value.
    public func network(_ o: PresetOptions = PresetOptions()) throws -> NetworkSpec {
        let n = o.blocks ?? defaultBlocks
        guard blockRange.contains(n) else {
            throw SpecError("blocks \(n) is out of range for the \(rawValue) preset: expected \(blockRange.lowerBound)–\(blockRange.upperBound)")
        }
        let bits = try (o.bits ?? .uniform(defaultBits)).resolved(blocks: n, what: "bits")
        let act = try (o.actBits ?? .uniform(.float)).resolved(blocks: n, what: "act-bits")
        let spec: NetworkSpec
        switch self {
        case .seed:
            guard o.width == 1.0 else {
                throw SpecError("width \(o.width) applies to mobilenet-v1 only; the seed preset's channels are fixed at 32·2^i")
            }
            if let s = o.stemBits {
                throw SpecError("stem bits \(s) given, but the seed preset has no stem")
            }
            let blocks = (0..<n).map { i in
                BlockSpec(outChannels: 32 << i, stride: i % 2 == 1 ? 2 : 1, bits: bits[i], actBits: act[i])
            }
            spec = NetworkSpec(name: rawValue, inputChannels: 3, inputBits: o.inputBits, stem: nil, blocks: blocks,
                               classes: o.classes ?? 10, classifierBits: o.classifierBits ?? .float)
        case .mobilenetV1:
            guard o.width > 0, o.width <= 4, o.width.isFinite else {
                throw SpecError("width \(o.width) is out of range: expected a multiplier in (0, 4], e.g. 1.0, 0.75, 0.5, 0.25")
            }
            let stemBits = o.stemBits ?? .bits(8)
            let blocks = (0..<n).map { i in
                BlockSpec(outChannels: MobileNetV1.scaled(MobileNetV1.table[i].channels, width: o.width),
                          stride: MobileNetV1.table[i].stride, bits: bits[i], actBits: act[i])
            }
            let stem = StemSpec(outChannels: MobileNetV1.scaled(MobileNetV1.stemChannels, width: o.width),
                                kernel: 3, stride: 2, bits: stemBits, actBits: act[0])
            spec = NetworkSpec(name: rawValue, inputChannels: 3, inputBits: o.inputBits, stem: stem, blocks: blocks,
                               classes: o.classes ?? 1000, classifierBits: o.classifierBits ?? .bits(8))
        }
        try spec.validate()
        return spec
    }
}
