import StableIO
import BitOpsCore

/// What `bitsweep sensitivity --format json` prints (and `search --out` writes as `sensitivity.json`): the
/// configuration and one entry per (unit, bit-width). `search --sensitivity FILE` reads it back instead of
/// measuring again, after checking that it describes the same network, size, weights and choices.
@dynamicMemberLookup
public struct SensitivityDocument: Codable, Sendable {
    public struct Entry: Codable, Sendable, Hashable {
        public var unit: String
        /// The block index (per-block tables).
        public var block: Int?
        /// The layer name (per-layer tables).
        public var layer: String?
        public var bits: BitWidth
        /// Against the base network.
        public var noisePower: Double
        /// Of the network with only this unit quantized, against the float network.
        public var sqnrDB: JSONDouble
        public var top1Agreement: Double
        enum CodingKeys: String, CodingKey {
            case unit, block, layer, bits, noisePower = "noise_power", sqnrDB = "sqnr_db", top1Agreement = "top1_agreement"
        }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(unit, forKey: .unit)
            try c.encodeIfPresent(block, forKey: .block)
            try c.encodeIfPresent(layer, forKey: .layer)
            try c.encodeWidth(bits, forKey: .bits)
            try c.encode(noisePower, forKey: .noisePower)
            try c.encode(sqnrDB, forKey: .sqnrDB)
            try c.encode(top1Agreement, forKey: .top1Agreement)
        }
    }
    /// The network, size, weights, units, choices and images (read as `doc.network`, `doc.choices`, …).
    public var configuration: SearchConfiguration
    public var signalPower: Double
    public var fixedNoisePower: Double
    public var msPerImage: Double?
    public var entries: [Entry]
    public var seconds: Double

    public init(network: NetworkSpec, size: Int, convention: BitOpsConvention, weights: String, granularity: String,
                table: SensitivityTable, images: [String], seconds: Double) {
        configuration = SearchConfiguration(network: network, size: size, convention: convention, weights: weights,
                                            granularity: granularity, per: table.granularity, choices: table.choices,
                                            units: table.units, images: images)
        signalPower = table.signalPower
        fixedNoisePower = table.fixedNoisePower
        msPerImage = table.msPerImage
        self.seconds = seconds
        entries = []
        for (u, name) in table.units.enumerated() {
            for (c, b) in table.choices.enumerated() {
                entries.append(Entry(unit: name, block: table.granularity == .block ? u : nil,
                                     layer: table.granularity == .layer ? name : nil, bits: b,
                                     noisePower: table.noisePower[u][c], sqnrDB: JSONDouble(table.sqnrDB(unit: u, choice: c)),
                                     top1Agreement: table.top1Agreement[u][c]))
            }
        }
    }

    public subscript<T>(dynamicMember key: WritableKeyPath<SearchConfiguration, T>) -> T {
        get { configuration[keyPath: key] }
        set { configuration[keyPath: key] = newValue }
    }

    enum CodingKeys: String, CodingKey {
        case signalPower = "signal_power", fixedNoisePower = "fixed_noise_power", msPerImage = "ms_per_image", entries, seconds
    }

    public func encode(to encoder: Encoder) throws {
        try configuration.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(signalPower, forKey: .signalPower)
        try c.encode(fixedNoisePower, forKey: .fixedNoisePower)
        try c.encodeIfPresent(msPerImage, forKey: .msPerImage)
        try c.encode(entries, forKey: .entries)
        try c.encode(seconds, forKey: .seconds)
    }

    public init(from decoder: Decoder) throws {
        configuration = try SearchConfiguration(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        signalPower = try c.decode(Double.self, forKey: .signalPower)
        fixedNoisePower = try c.decode(Double.self, forKey: .fixedNoisePower)
        msPerImage = try c.decodeIfPresent(Double.self, forKey: .msPerImage)
        entries = try c.decode([Entry].self, forKey: .entries)
        seconds = try c.decode(Double.self, forKey: .seconds)
    }

    /// The table back, for a search with `expected` as its configuration: throws a one-line `SearchError`
    /// naming the first thing that differs (network, size, convention, weights, granularity, unit, choices,
    /// images) or a missing entry.
    public func table(network expectedNetwork: NetworkSpec, size expectedSize: Int, convention expectedConvention: BitOpsConvention,
                      weights expectedWeights: String, granularity expectedGranularity: String, units expectedUnits: [String],
                      per expectedPer: SearchGranularity, choices expectedChoices: [BitWidth], images expectedImages: [String]) throws -> SensitivityTable {
        func differs(_ what: String, _ here: String, _ wanted: String) -> SearchError {
            SearchError("the sensitivity table is for \(what) \(here), not \(wanted); measure it again or drop --sensitivity")
        }
        let my = configuration
        guard my.network == expectedNetwork else { throw differs("another network:", my.network.name, expectedNetwork.name + " as given") }
        guard my.size == expectedSize else { throw differs("size", String(my.size), String(expectedSize)) }
        guard my.convention == expectedConvention else { throw differs("convention", my.convention.rawValue, expectedConvention.rawValue) }
        guard my.weights == expectedWeights else { throw differs("weights", my.weights, expectedWeights) }
        guard my.granularity == expectedGranularity else { throw differs("granularity", my.granularity, expectedGranularity) }
        guard my.per == expectedPer, my.units == expectedUnits else {
            throw differs("units", my.units.joined(separator: ","), expectedUnits.joined(separator: ","))
        }
        guard my.images == expectedImages else { throw differs("images", my.images.joined(separator: " "), expectedImages.joined(separator: " ")) }
        func at(_ b: BitWidth) -> String { b.isFloat ? "float" : "\(b) bits" }
        var noise = Array(repeating: Array(repeating: 0.0, count: expectedChoices.count), count: my.units.count)
        var agree = noise
        for (u, name) in my.units.enumerated() {
            for (c, b) in expectedChoices.enumerated() {
                guard let e = entries.first(where: { $0.unit == name && $0.bits == b }) else {
                    throw SearchError("the sensitivity table has no entry for \(name) at \(at(b)) (it measured \(my.choices.commaSeparated))")
                }
                guard e.noisePower.isFinite, e.noisePower >= 0 else {
                    throw SearchError("the sensitivity table's noise power for \(name) at \(at(b)) is \(e.noisePower); expected a finite value ≥ 0")
                }
                noise[u][c] = e.noisePower
                agree[u][c] = e.top1Agreement
            }
        }
        return SensitivityTable(granularity: my.per, units: my.units, choices: expectedChoices, images: my.images.count,
                                signalPower: signalPower, fixedNoisePower: fixedNoisePower, noisePower: noise,
                                top1Agreement: agree, msPerImage: msPerImage)
    }
}
