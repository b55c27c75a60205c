import BitOpsCore

/// What a sensitivity table or a search was measured on: the network, input size, convention, weights,
/// quantization granularity, the units and the choices, and the images. `SensitivityDocument` and
/// `SearchDocument` both carry it, written flat among their own keys (`network`, `size`, … `images`).
public struct SearchConfiguration: Codable, Sendable {
    public var network: NetworkSpec
    public var size: Int
    public var convention: BitOpsConvention
    /// `seed 0 (he-normal)` or the safetensors file.
    public var weights: String
    /// Weight quantization granularity (`per-tensor`).
    public var granularity: String
    public var per: SearchGranularity
    public var choices: [BitWidth]
    public var units: [String]
    public var images: [String]

    public init(network: NetworkSpec, size: Int, convention: BitOpsConvention, weights: String, granularity: String,
                per: SearchGranularity, choices: [BitWidth], units: [String], images: [String]) {
        self.network = network
        self.size = size
        self.convention = convention
        self.weights = weights
        self.granularity = granularity
        self.per = per
        self.choices = choices
        self.units = units
        self.images = images
    }

    enum CodingKeys: String, CodingKey {
        case network, size, convention, weights, granularity, per, choices, units, images
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(network, forKey: .network)
        try c.encode(size, forKey: .size)
        try c.encode(convention, forKey: .convention)
        try c.encode(weights, forKey: .weights)
        try c.encode(granularity, forKey: .granularity)
        try c.encode(per, forKey: .per)
        try c.encodeWidths(choices, forKey: .choices)
        try c.encode(units, forKey: .units)
        try c.encode(images, forKey: .images)
    }
}

/// `search.json` and `sensitivity.json` write the searched bit widths as integers, float as 32, as they did
/// before widths were typed (a network's own widths, under `network`, are written `"float"`). They are read
/// back by `BitWidth`'s decoding, which takes 32 and `"float"` alike.
extension KeyedEncodingContainer {
    mutating func encodeWidth(_ width: BitWidth, forKey key: Key) throws {
        try encode(width.countedBits, forKey: key)
    }

    mutating func encodeWidths(_ widths: [BitWidth], forKey key: Key) throws {
        try encode(widths.map(\.countedBits), forKey: key)
    }

    mutating func encodeWidthsIfPresent(_ widths: [BitWidth]?, forKey key: Key) throws {
        try encodeIfPresent(widths?.map(\.countedBits), forKey: key)
    }
}

extension Array where Element == BitWidth {
    /// `8,4,2`: an assignment or a list of choices in text (`float` for a float width).
    public var commaSeparated: String { map(\.description).joined(separator: ",") }
}
