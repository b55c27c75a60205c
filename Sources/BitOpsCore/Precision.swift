/// The precision vocabulary shared by every module: a bit width, a precision policy for a whole network, and
/// the engine settings a configuration names (weight granularity, weight initialisation). `BitOpsConvention`
/// (Cost.swift) completes it.
///
/// Labels are derived from these values and never parsed back: a chart colours by `BitWidth`, not by the
/// digits of a label.

/// A weight or activation bit width: 1…16 bits, or unquantized float.
///
/// Written in files as its integer (`4`) or as `"float"`; `32` is also read as float, as every file before
/// results schema 2 wrote it. `32` appears nowhere else in the code: storage and BitOps take the width of a
/// float from `countedBits`.
public enum BitWidth: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// A quantized width, 1…16.
    case bits(Int)
    /// Unquantized IEEE 754 binary32.
    case float

    /// The quantized widths the engine supports.
    public static let quantizedRange = 1...16
    /// The bits a float value occupies (binary32): what storage and BitOps count for `.float`.
    static let floatBits = 32

    /// The width `n` as given on a command line or in a file: 1…16, or 32 meaning float. Nil otherwise.
    public init?(_ n: Int) {
        if Self.quantizedRange.contains(n) {
            self = .bits(n)
        } else if n == Self.floatBits {
            self = .float
        } else {
            return nil
        }
    }

    /// `4`, `16`, `32` or `float` (the command-line and file spellings). Nil for anything else.
    public init?(text: String) {
        let t = text.trimmingCharacters(in: " ")
        if t == "float" {
            self = .float
        } else if let n = Int(t) {
            self.init(n)
        } else {
            return nil
        }
    }

    /// `text` read as a width: a `SpecError` naming `what` when it is not 1…16, 32 or `float`.
    public static func parse(_ text: String, _ what: String) throws -> BitWidth {
        if let b = BitWidth(text: text) { return b }
        if let n = Int(text.trimmingCharacters(in: " ")) {
            throw SpecError("\(what) \(n) is out of range: expected \(expected)")
        }
        throw SpecError("\(what) '\(text)' is not a bit width: expected \(expected)")
    }

    /// What every message about a bad width says is accepted.
    public static let expected = "1–16, or float (also written 32)"

    /// The bits one value occupies, as counted for storage and BitOps: `n`, or 32 for float.
    public var countedBits: Int {
        switch self {
        case .bits(let n): return n
        case .float: return Self.floatBits
        }
    }

    /// The quantized width, nil for float.
    public var quantized: Int? {
        if case .bits(let n) = self { return n }
        return nil
    }

    public var isFloat: Bool { self == .float }

    /// Whether a value built in code is in range (values read from text are checked when read).
    public var isValid: Bool {
        switch self {
        case .bits(let n): return Self.quantizedRange.contains(n)
        case .float: return true
        }
    }

    /// `4` or `float`.
    public var description: String {
        switch self {
        case .bits(let n): return String(n)
        case .float: return "float"
        }
    }

    /// `4-bit` or `float`, for prose.
    public var prose: String {
        switch self {
        case .bits(let n): return "\(n)-bit"
        case .float: return "float"
        }
    }

    /// Narrower first; float is the widest.
    public static func < (a: BitWidth, b: BitWidth) -> Bool { a.countedBits < b.countedBits }
}

extension BitWidth: ExpressibleByIntegerLiteral {
    /// `4` is `.bits(4)` and `32` is `.float`, as in files and on the command line. A literal outside 1…16
    /// and 32 gives an invalid width that `NetworkSpec.validate()` rejects.
    public init(integerLiteral n: Int) {
        self = BitWidth(n) ?? .bits(n)
    }
}

extension BitWidth: Codable {
    /// `4`, or `"float"`.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .bits(let n): try c.encode(n)
        case .float: try c.encode("float")
        }
    }

    /// Reads `4`, `"float"`, or `32` (float, as files before schema 2 wrote it).
    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let n = try? c.decode(Int.self) {
            guard let b = BitWidth(n) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "bit width \(n) is out of range; expected \(Self.expected)")
            }
            self = b
        } else {
            let t = try c.decode(String.self)
            guard t == "float" else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "bit width '\(t)' is not 1–16 or float")
            }
            self = .float
        }
    }
}

/// A weight or activation precision for a whole network, that scales with the block count.
public enum PrecisionPolicy: Hashable, Sendable, CustomStringConvertible {
    /// Every block at one width (written `4` or `uniform: 4`; both mean the same case).
    case uniform(BitWidth)
    /// The first and last block at `edge`, the blocks between at `inner`. One block: `edge`.
    case firstLast(edge: BitWidth, inner: BitWidth)
    /// One width per block; pairs only with the block count equal to its length.
    case perBlock([BitWidth])
    /// As written in the model file (model-file networks only).
    case model

    /// The label a case carries (`4`, `float`, `first-last(8,4)`, `8,4,2,4,8`, `model`). Charts group by it.
    public var description: String {
        switch self {
        case .uniform(let b): return b.description
        case .firstLast(let e, let i): return "first-last(\(e),\(i))"
        case .perBlock(let l): return l.map(\.description).joined(separator: ",")
        case .model: return "model"
        }
    }

    /// The widths for `blocks` blocks; nil when a per-block list has another length, or for `model` when
    /// `modelBits` has fewer than `blocks` values (`model` takes the first `blocks` of them).
    public func resolve(blocks n: Int, modelBits: [BitWidth]? = nil) -> [BitWidth]? {
        switch self {
        case .uniform(let b): return Array(repeating: b, count: n)
        case .firstLast(let e, let i): return (0..<n).map { $0 == 0 || $0 == n - 1 ? e : i }
        case .perBlock(let l): return l.count == n ? l : nil
        case .model:
            guard let modelBits, modelBits.count >= n else { return nil }
            return Array(modelBits.prefix(n))
        }
    }

    /// `resolve`, throwing a `SpecError` naming `what` when a per-block list has another length.
    public func resolved(blocks n: Int, modelBits: [BitWidth]? = nil, what: String = "bits") throws -> [BitWidth] {
        guard let r = resolve(blocks: n, modelBits: modelBits) else {
            if case .perBlock(let l) = self {
                throw SpecError("\(what) list \(self) has \(l.count) entries; expected \(n), one per block")
            }
            throw SpecError("\(what) \(self) cannot be resolved for \(n) blocks")
        }
        return r
    }

    /// A width for every block (`4`, `float`) or one per block (`8,4,2,4,8`): the command line's spelling.
    public init(parsing text: String, what: String = "bits") throws {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        var values: [BitWidth] = []
        for p in parts {
            guard let b = BitWidth(text: String(p)) else {
                if Int(p.trimmingCharacters(in: " ")) != nil { _ = try BitWidth.parse(String(p), what) }
                throw SpecError("\(what) '\(text)' is not a bit width or a comma-separated list of bit widths (e.g. 4 or 8,4,2,4,8)")
            }
            values.append(b)
        }
        self = values.count == 1 ? .uniform(values[0]) : .perBlock(values)
    }
}

extension PrecisionPolicy {
    /// The one width every block gets whatever the block count (`uniform`, or `first-last` with equal
    /// widths); nil otherwise. Charts give such a policy the colour of its width.
    public var uniformWidth: BitWidth? {
        switch self {
        case .uniform(let b): return b
        case .firstLast(let e, let i): return e == i ? e : nil
        case .perBlock(let l): return l.first.flatMap { f in l.allSatisfy { $0 == f } ? f : nil }
        case .model: return nil
        }
    }

    /// The policy resolved for `blocks` blocks (see `resolved`).
    public func resolving(blocks n: Int, modelBits: [BitWidth]? = nil, what: String = "bits") throws -> ResolvedPrecision {
        ResolvedPrecision(policy: self, blocks: try resolved(blocks: n, modelBits: modelBits, what: what))
    }
}

/// A precision policy and what it resolved to for one network: one width per block. A case stores its
/// weight and activation precision this way, once.
public struct ResolvedPrecision: Hashable, Codable, Sendable, CustomStringConvertible {
    public var policy: PrecisionPolicy
    /// One width per block.
    public var blocks: [BitWidth]

    public init(policy: PrecisionPolicy, blocks: [BitWidth]) {
        self.policy = policy
        self.blocks = blocks
    }

    /// The policy's label (`4`, `first-last(8,2)`, …): what charts and tables group by.
    public var description: String { policy.description }
}

extension PrecisionPolicy: Codable {
    /// `4`, `"float"`, `[8, 4, 2]`, `{"first-last": {"edge": 8, "inner": 2}}`, or `"model"`: the spec's own
    /// spelling (a uniform width is written as the width itself).
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .uniform(let b): try b.encode(to: encoder)
        case .perBlock(let l):
            var c = encoder.unkeyedContainer()
            for b in l { try c.encode(b) }
        case .firstLast(let e, let i):
            var c = encoder.container(keyedBy: PolicyKey.self)
            var inner = c.nestedContainer(keyedBy: PolicyKey.self, forKey: .firstLast)
            try inner.encode(e, forKey: .edge)
            try inner.encode(i, forKey: .inner)
        case .model:
            var c = encoder.singleValueContainer()
            try c.encode("model")
        }
    }

    public init(from decoder: Decoder) throws {
        if let c = try? decoder.container(keyedBy: PolicyKey.self), c.contains(.firstLast) {
            let inner = try c.nestedContainer(keyedBy: PolicyKey.self, forKey: .firstLast)
            self = .firstLast(edge: try inner.decode(BitWidth.self, forKey: .edge), inner: try inner.decode(BitWidth.self, forKey: .inner))
        } else if var c = try? decoder.unkeyedContainer() {
            var l: [BitWidth] = []
            while !c.isAtEnd { l.append(try c.decode(BitWidth.self)) }
            self = .perBlock(l)
        } else if let s = try? decoder.singleValueContainer().decode(String.self), s == "model" {
            self = .model
        } else {
            self = .uniform(try BitWidth(from: decoder))
        }
    }

    enum PolicyKey: String, CodingKey {
        case firstLast = "first-last", edge, inner
    }
}

/// How weights are grouped for quantization: one scale per tensor, or one per output channel.
public enum QuantGranularity: String, Codable, Sendable, CaseIterable {
    case perTensor = "per-tensor"
    case perChannel = "per-channel"
}

/// How seeded weights are drawn: He-normal (the default; keeps activations in range), or PyTorch's default
/// initialisation of an untrained model (as the original demo).
public enum WeightInit: String, Codable, Sendable, CaseIterable {
    case heNormal = "he-normal"
    case pytorchDefault = "pytorch-default"
}

extension CaseIterable where Self: RawRepresentable, RawValue == String {
    /// `a, b, c`: the accepted spellings, for messages.
    public static var spellings: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
