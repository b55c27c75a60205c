import BitOpsCore
import Foundation

/// Hardware budget profiles (`bitsweep budget --profiles FILE`): named limits a configuration must fit.
///
/// ```yaml
/// profiles:
///   mcu:                              # the profile's name (any text; shown in tables and file names)
///     description: Cortex-M7 class microcontroller
///     max_bitops: 2G                  # BitOps per image (under the results' convention)
///     max_weight_storage: 1.5 MiB     # bytes of weights (flash)
///     max_activation_memory: 256 KiB  # bytes of peak live activations (SRAM)
///     max_time_per_image: 200 ms      # optional: median engine time per image
///     min_sqnr_db: 20                 # optional: mean logit SQNR against the float twin, dB
///     min_top1_agreement: 90%         # optional: fraction of images whose top-1 matches the float twin
///     convention: weight              # optional (default weight): judge only cases counted under it
/// ```
///
/// Units (case-sensitive; a space between number and unit is optional):
/// - BitOps: a plain number, or with an SI multiplier `K` (10³), `M` (10⁶), `G` (10⁹), `T` (10¹²), `P` (10¹⁵);
///   `1.5G` = 1 500 000 000. Exponents (`1.5e9`) and digit separators (`1_500_000`) work too.
/// - Memory: bytes. A plain number is bytes; `B`; decimal `kB`/`KB` (10³), `MB` (10⁶), `GB` (10⁹); binary
///   `KiB` (2¹⁰), `MiB` (2²⁰), `GiB` (2³⁰). `512 KiB` = 524 288 bytes. Fractions are rounded down to a whole byte.
/// - Time: milliseconds by default; `us` (or `µs`), `ms`, `s`.
/// - `min_sqnr_db`: decibels (an optional `dB` suffix is allowed).
/// - `min_top1_agreement`: a fraction 0–1, or a percentage such as `90%`.
///
/// `max_bitops`, `max_weight_storage` and `max_activation_memory` are required; the rest are optional.
/// Unknown keys are errors; every problem is reported at once as `file:line: message`.
public struct BudgetProfile: Hashable, Codable, Sendable {
    public var name: String
    public var description: String?
    /// BitOps per image.
    public var maxBitOps: Int
    /// Weight storage, bytes (compared with `CostTotals.weightStorageBytes`).
    public var maxWeightStorageBytes: Int
    /// Peak live activation memory, bytes (compared with `CostTotals.peakActivationBytes`).
    public var maxActivationBytes: Int
    /// Median engine time per image, milliseconds (compared with `CaseTimings.msPerImage`).
    public var maxMsPerImage: Double?
    /// Minimum mean logit SQNR, dB (compared with `FidelitySummary.sqnrDBMean`; exact = ∞).
    public var minSQNRDB: Double?
    /// Minimum top-1 agreement with the float twin, 0…1.
    public var minTop1Agreement: Double?
    /// Only cases counted under this convention are judged: a BitOps limit means something under one
    /// convention only (`wa` counts are the `weight` counts times the activation bits). Default `weight`.
    public var convention: BitOpsConvention
    /// The line where the profile is defined (for messages), when read from a file.
    public var line: Int?

    public init(name: String, description: String? = nil, maxBitOps: Int, maxWeightStorageBytes: Int,
                maxActivationBytes: Int, maxMsPerImage: Double? = nil, minSQNRDB: Double? = nil,
                minTop1Agreement: Double? = nil, convention: BitOpsConvention = .weight, line: Int? = nil) {
        self.name = name
        self.description = description
        self.maxBitOps = maxBitOps
        self.maxWeightStorageBytes = maxWeightStorageBytes
        self.maxActivationBytes = maxActivationBytes
        self.maxMsPerImage = maxMsPerImage
        self.minSQNRDB = minSQNRDB
        self.minTop1Agreement = minTop1Agreement
        self.convention = convention
        self.line = line
    }

    enum CodingKeys: String, CodingKey {
        case name, description, maxBitOps = "max_bitops", maxWeightStorageBytes = "max_weight_storage_bytes"
        case maxActivationBytes = "max_activation_bytes", maxMsPerImage = "max_ms_per_image"
        case minSQNRDB = "min_sqnr_db", minTop1Agreement = "min_top1_agreement", convention, line
    }
}

/// Reading budget profile files. See `BudgetProfile` for the format and its units.
public enum BudgetProfiles {
    static let topKeys = ["profiles"]
    static let profileKeys = [
        "description", "max_bitops", "max_weight_storage", "max_activation_memory", "max_time_per_image",
        "min_sqnr_db", "min_top1_agreement", "convention",
    ]

    /// Reads a profiles file (YAML or JSON).
    public static func load(path: String) throws -> [BudgetProfile] {
        let (root, d) = try ConfigNode.load(path: path)
        return try read(root, diagnostics: d)
    }

    /// Parses profile text (for tests and embedded specs); `file` names it in messages.
    public static func parse(_ text: String, file: String = "<profiles>") throws -> [BudgetProfile] {
        let (root, d) = try ConfigNode.parse(text, file: file)
        return try read(root, diagnostics: d)
    }

    /// Reads profiles from a node whose mapping holds a `profiles` key (also usable inside a sweep spec's node).
    public static func read(_ root: ConfigNode, diagnostics d: Diagnostics) throws -> [BudgetProfile] {
        guard let top = root.mapping("budget profiles file", allowed: topKeys) else { try d.check(); throw ConfigError(d.issues) }
        var profiles: [BudgetProfile] = []
        if let p = top.required("profiles") {
            profiles = readProfiles(p)
        }
        if !d.issues.isEmpty {
            // In file order, so that the first message is the first problem in the file.
            throw ConfigError(d.issues.enumerated().sorted { a, b in
                let x = a.element.line ?? 0, y = b.element.line ?? 0
                return x != y ? x < y : a.offset < b.offset
            }.map(\.element))
        }
        return profiles
    }

    /// Reads the value of a `profiles:` key: a mapping of profile name → limits. Problems go to the node's
    /// diagnostics; profiles with problems are left out of the result.
    public static func readProfiles(_ node: ConfigNode) -> [BudgetProfile] {
        let d = node.diagnostics
        guard case .mapping(let m) = node.node else {
            d.error("profiles must be a mapping of profile names to limits, e.g. `mcu: {max_bitops: 2G, …}`", at: node)
            return []
        }
        if m.isEmpty { d.error("profiles: the mapping is empty; expected at least one profile", at: node) }
        var profiles: [BudgetProfile] = []
        for (k, v) in m {
            let keyNode = ConfigNode(node: k, diagnostics: d)
            guard let name = keyNode.scalarText("a profile name"), !name.isEmpty else { continue }
            let before = d.issues.count
            let valueNode = ConfigNode(node: v, diagnostics: d)
            guard let pm = valueNode.mapping("profile '\(name)'", allowed: profileKeys) else { continue }
            let what = "profile '\(name)'"
            let bitops = pm.required("max_bitops").flatMap { bitOps($0, "\(what): max_bitops") }
            let weights = pm.required("max_weight_storage").flatMap { bytes($0, "\(what): max_weight_storage") }
            let acts = pm.required("max_activation_memory").flatMap { bytes($0, "\(what): max_activation_memory") }
            let time = pm["max_time_per_image"].flatMap { milliseconds($0, "\(what): max_time_per_image") }
            let sqnr = pm["min_sqnr_db"].flatMap { decibels($0, "\(what): min_sqnr_db") }
            let top1 = pm["min_top1_agreement"].flatMap { fraction($0, "\(what): min_top1_agreement") }
            var convention: BitOpsConvention? = .weight
            if let c = pm["convention"], let t = c.string("\(what): convention") {
                convention = BitOpsConvention(rawValue: t)
                if convention == nil {
                    d.error("\(what): convention '\(t)' is not known; expected one of \(BitOpsConvention.spellings)", at: c)
                }
            }
            let description = pm["description"]?.string("\(what): description")
            guard d.issues.count == before, let bitops, let weights, let acts, let convention else { continue }
            profiles.append(BudgetProfile(
                name: name, description: description, maxBitOps: bitops, maxWeightStorageBytes: weights,
                maxActivationBytes: acts, maxMsPerImage: time, minSQNRDB: sqnr, minTop1Agreement: top1,
                convention: convention, line: keyNode.line))
        }
        return profiles
    }

    // MARK: - Quantities with units

    /// Multipliers accepted after a BitOps count.
    public static let bitOpsUnits: [String: Double] = ["": 1, "K": 1e3, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15]
    /// Multipliers accepted after a memory size (to bytes).
    public static let byteUnits: [String: Double] = [
        "": 1, "B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9,
        "KiB": 1024, "MiB": 1_048_576, "GiB": 1_073_741_824,
    ]
    /// Multipliers accepted after a time (to milliseconds).
    public static let timeUnits: [String: Double] = ["": 1, "ms": 1, "us": 1e-3, "µs": 1e-3, "s": 1000]

    /// Splits `1.5 GiB` into (1.5, "GiB"). Nil when the text does not start with a number.
    public static func splitQuantity(_ text: String) -> (value: Double, unit: String)? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let chars = Array(t)
        var i = 0
        func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }
        if i < chars.count, chars[i] == "+" || chars[i] == "-" { i += 1 }
        var sawDigit = false
        while i < chars.count, isDigit(chars[i]) || chars[i] == "_" || chars[i] == "." {
            if isDigit(chars[i]) { sawDigit = true }
            i += 1
        }
        guard sawDigit else { return nil }
        // An exponent: e or E followed by a digit, or by a sign and a digit.
        if i < chars.count, chars[i] == "e" || chars[i] == "E" {
            var j = i + 1
            if j < chars.count, chars[j] == "+" || chars[j] == "-" { j += 1 }
            if j < chars.count, isDigit(chars[j]) {
                while j < chars.count, isDigit(chars[j]) { j += 1 }
                i = j
            }
        }
        let number = String(chars[0..<i]).replacingOccurrences(of: "_", with: "")
        guard let v = Double(number), v.isFinite else { return nil }
        let unit = String(chars[i...]).trimmingCharacters(in: .whitespaces)
        return (v, unit)
    }

    /// Parses a quantity with one of `units`; returns nil and a message on failure.
    public static func quantity(_ text: String, units: [String: Double], expected: String) -> Result<Double, QuantityError> {
        guard let (v, unit) = splitQuantity(text) else {
            return .failure(QuantityError(message: "'\(text)' is not a number; expected \(expected)"))
        }
        guard let m = units[unit] else {
            return .failure(QuantityError(message: "'\(text)' has an unknown unit '\(unit)'; expected \(expected)"))
        }
        return .success(v * m)
    }

    public struct QuantityError: Error, Sendable { public var message: String }

    static func text(_ node: ConfigNode, _ what: String) -> String? { node.scalarText(what) }

    static func bitOps(_ node: ConfigNode, _ what: String) -> Int? {
        positiveInt(node, what, units: bitOpsUnits, expected: "a positive count such as 2000000, 1.5G or 800M (units K, M, G, T, P)")
    }

    static func bytes(_ node: ConfigNode, _ what: String) -> Int? {
        positiveInt(node, what, units: byteUnits, expected: "a positive size such as 262144, 256 KiB or 2 MiB (units B, kB, MB, GB, KiB, MiB, GiB)")
    }

    static func positiveInt(_ node: ConfigNode, _ what: String, units: [String: Double], expected: String) -> Int? {
        guard let t = text(node, what) else { return nil }
        switch quantity(t, units: units, expected: expected) {
        case .failure(let e):
            node.diagnostics.error("\(what) \(e.message)", at: node)
            return nil
        case .success(let v):
            guard v >= 1, v < 9.0e15 else {
                node.diagnostics.error("\(what) '\(t)' is out of range; expected \(expected)", at: node)
                return nil
            }
            return Int(v.rounded(.down))
        }
    }

    static func milliseconds(_ node: ConfigNode, _ what: String) -> Double? {
        let expected = "a positive time such as 50, 50 ms, 800 us or 0.2 s (milliseconds when no unit is given)"
        guard let t = text(node, what) else { return nil }
        switch quantity(t, units: timeUnits, expected: expected) {
        case .failure(let e):
            node.diagnostics.error("\(what) \(e.message)", at: node)
            return nil
        case .success(let v):
            guard v > 0 else {
                node.diagnostics.error("\(what) '\(t)' must be positive; expected \(expected)", at: node)
                return nil
            }
            return v
        }
    }

    static func decibels(_ node: ConfigNode, _ what: String) -> Double? {
        guard let t = text(node, what) else { return nil }
        switch quantity(t, units: ["": 1, "dB": 1], expected: "a level in dB such as 20 or 20 dB") {
        case .failure(let e):
            node.diagnostics.error("\(what) \(e.message)", at: node)
            return nil
        case .success(let v): return v
        }
    }

    static func fraction(_ node: ConfigNode, _ what: String) -> Double? {
        let expected = "a fraction 0–1 such as 0.9, or a percentage such as 90%"
        guard let t = text(node, what) else { return nil }
        switch quantity(t, units: ["": 1, "%": 0.01], expected: expected) {
        case .failure(let e):
            node.diagnostics.error("\(what) \(e.message)", at: node)
            return nil
        case .success(let v):
            guard (0...1).contains(v) else {
                node.diagnostics.error("\(what) '\(t)' is out of range; expected \(expected)", at: node)
                return nil
            }
            return v
        }
    }
}
