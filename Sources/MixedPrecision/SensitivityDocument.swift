import StableIO
import BitOpsCore

/// What `bitsweep sensitivity --format json` prints (and `search --out` writes as `sensitivity.json`): the
/// configuration and one entry per (unit, bit-width). `search --sensitivity FILE` reads it back instead of
/// measuring again, after checking that it describes the same network, size, weights and choices.
public struct SensitivityDocument: Codable, Sendable {
    public struct Entry: Codable, Sendable, Hashable {
        public var unit: String
        /// The block index (per-block tables).
        public var block: Int?
        /// The layer name (per-layer tables).
        public var layer: String?
        public var bits: Int
        /// Against the base network.
        public var noisePower: Double
        /// Of the network with only this unit quantized, against the float network.
        public var sqnrDB: JSONDouble
        public var top1Agreement: Double
        enum CodingKeys: String, CodingKey {
            case unit, block, layer, bits, noisePower = "noise_power", sqnrDB = "sqnr_db", top1Agreement = "top1_agreement"
        }
    }
    public var network: NetworkSpec
    public var size: Int
    public var convention: BitOpsConvention
    public var weights: String
    public var granularity: String
    public var per: SearchGranularity
    public var choices: [Int]
    public var units: [String]
    public var images: [String]
    public var signalPower: Double
    public var fixedNoisePower: Double
    public var msPerImage: Double?
    public var entries: [Entry]
    public var seconds: Double

    public init(network: NetworkSpec, size: Int, convention: BitOpsConvention, weights: String, granularity: String,
                table: SensitivityTable, images: [String], seconds: Double) {
        self.network = network
        self.size = size
        self.convention = convention
        self.weights = weights
        self.granularity = granularity
        per = table.granularity
        choices = table.choices
        units = table.units
        self.images = images
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

    enum CodingKeys: String, CodingKey {
        case network, size, convention, weights, granularity, per, choices, units, images, signalPower = "signal_power"
        case fixedNoisePower = "fixed_noise_power", msPerImage = "ms_per_image", entries, seconds
    }

    /// The table back, for a search with `expected` as its configuration: throws a one-line `SearchError`
    /// naming the first thing that differs (network, size, convention, weights, granularity, unit, choices,
    /// images) or a missing entry.
    public func table(network expectedNetwork: NetworkSpec, size expectedSize: Int, convention expectedConvention: BitOpsConvention,
                      weights expectedWeights: String, granularity expectedGranularity: String, units expectedUnits: [String],
                      per expectedPer: SearchGranularity, choices expectedChoices: [Int], images expectedImages: [String]) throws -> SensitivityTable {
        func differs(_ what: String, _ here: String, _ wanted: String) -> SearchError {
            SearchError("the sensitivity table is for \(what) \(here), not \(wanted); measure it again or drop --sensitivity")
        }
        guard network == expectedNetwork else { throw differs("another network:", network.name, expectedNetwork.name + " as given") }
        guard size == expectedSize else { throw differs("size", String(size), String(expectedSize)) }
        guard convention == expectedConvention else { throw differs("convention", convention.rawValue, expectedConvention.rawValue) }
        guard weights == expectedWeights else { throw differs("weights", weights, expectedWeights) }
        guard granularity == expectedGranularity else { throw differs("granularity", granularity, expectedGranularity) }
        guard per == expectedPer, units == expectedUnits else { throw differs("units", units.joined(separator: ","), expectedUnits.joined(separator: ",")) }
        guard images == expectedImages else { throw differs("images", images.joined(separator: " "), expectedImages.joined(separator: " ")) }
        var noise = Array(repeating: Array(repeating: 0.0, count: expectedChoices.count), count: units.count)
        var agree = noise
        for (u, name) in units.enumerated() {
            for (c, b) in expectedChoices.enumerated() {
                guard let e = entries.first(where: { $0.unit == name && $0.bits == b }) else {
                    throw SearchError("the sensitivity table has no entry for \(name) at \(b) bits (it measured \(choices.map(String.init).joined(separator: ",")))")
                }
                guard e.noisePower.isFinite, e.noisePower >= 0 else {
                    throw SearchError("the sensitivity table's noise power for \(name) at \(b) bits is \(e.noisePower); expected a finite value ≥ 0")
                }
                noise[u][c] = e.noisePower
                agree[u][c] = e.top1Agreement
            }
        }
        return SensitivityTable(granularity: per, units: units, choices: expectedChoices, images: images.count,
                                signalPower: signalPower, fixedNoisePower: fixedNoisePower, noisePower: noise,
                                top1Agreement: agree, msPerImage: msPerImage)
    }
}
