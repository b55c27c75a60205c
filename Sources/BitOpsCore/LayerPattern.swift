/// Weight precision per layer, by layer-name pattern (`"features.*.conv.0.*": 4`).
///
/// A pattern is matched against a whole layer name. Names are dot-separated segments (`features.3.conv.0.0`):
/// - `*` matches any run of characters within one segment (never a `.`), including none;
/// - `**` matches any run of characters, dots included (any number of segments);
/// - `?` matches one character other than `.`;
/// - every other character matches itself.
///
/// A rule sets the weight bits of the convolutions and gemm layers it matches (layers without weights, such
/// as batch norm, are never matched: `features.*.conv.0.*` sets `features.3.conv.0.0` and ignores the batch
/// norm `features.3.conv.0.1`). Rules apply after the per-block precision, so they override it.
///
/// When several rules match one layer, the most specific wins: the one with the most literal (non-wildcard)
/// characters. Two matching rules equally specific that give different widths are an error, as is a rule that
/// matches no weight layer at all (a typo must not silently do nothing). The order of the rules never matters.

/// One rule: a layer-name pattern and the weight bits of the layers it matches.
public struct LayerBitsRule: Hashable, Sendable, CustomStringConvertible {
    public var pattern: String
    public var bits: BitWidth

    public init(pattern: String, bits: BitWidth) {
        self.pattern = pattern
        self.bits = bits
    }

    /// `features.*.conv.0.*=4` (the command line's spelling).
    public init(parsing text: String) throws {
        guard let eq = text.lastIndex(of: "="), eq != text.startIndex else {
            throw SpecError("layer bits '\(text)' is not PATTERN=BITS (e.g. 'features.*.conv.0.*=4')")
        }
        let bitsText = String(text[text.index(after: eq)...])
        self.init(pattern: String(text[..<eq]), bits: try BitWidth.parse(bitsText, "layer bits for '\(text[..<eq])'"))
    }

    public var description: String { "\(pattern)=\(bits)" }
}

/// The glob matching of layer names (see the top of this file).
public enum LayerPattern {
    /// Whether `pattern` matches the whole of `name`.
    public static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = Array(pattern), n = Array(name)
        // memo[i][j]: does p[i...] match n[j...]? (nil: not computed yet)
        var memo = Array(repeating: Array(repeating: Bool?.none, count: n.count + 1), count: p.count + 1)
        func match(_ i: Int, _ j: Int) -> Bool {
            if let m = memo[i][j] { return m }
            let r: Bool
            if i == p.count {
                r = j == n.count
            } else if p[i] == "*" {
                let crossesDots = i + 1 < p.count && p[i + 1] == "*"
                let rest = crossesDots ? i + 2 : i + 1
                // Zero characters, or one more character (a dot only for `**`) and stay on the star.
                r = match(rest, j) || (j < n.count && (crossesDots || n[j] != ".") && match(i, j + 1))
            } else if j < n.count, p[i] == "?" {
                r = n[j] != "." && match(i + 1, j + 1)
            } else {
                r = j < n.count && p[i] == n[j] && match(i + 1, j + 1)
            }
            memo[i][j] = r
            return r
        }
        return match(0, 0)
    }

    /// The number of literal characters: how specific a pattern is.
    public static func specificity(_ pattern: String) -> Int {
        pattern.filter { $0 != "*" && $0 != "?" }.count
    }
}

extension GraphNetwork {
    /// The network with each weight layer's bits set by the most specific rule matching its name (see the top
    /// of LayerPattern.swift). Throws when a rule matches no weight layer, when a rule's bits are out of range,
    /// or when two equally specific rules give one layer different widths.
    public func settingLayerBits(_ rules: [LayerBitsRule]) throws -> GraphNetwork {
        guard !rules.isEmpty else { return self }
        for r in rules {
            guard !r.pattern.isEmpty else { throw SpecError("layer bits: an empty pattern matches no layer") }
            guard r.bits.isValid else {
                throw SpecError("layer bits for '\(r.pattern)': \(r.bits) is out of range: expected \(BitWidth.expected)")
            }
        }
        var used = Array(repeating: false, count: rules.count)
        var g = self
        for li in g.layers.indices where g.layers[li].op.hasWeights {
            let name = g.layers[li].name
            let matching = rules.indices.filter { LayerPattern.matches(rules[$0].pattern, name) }
            guard !matching.isEmpty else { continue }
            for m in matching { used[m] = true }
            let best = matching.map { LayerPattern.specificity(rules[$0].pattern) }.max()!
            let winners = matching.filter { LayerPattern.specificity(rules[$0].pattern) == best }
            if let clash = winners.first(where: { rules[$0].bits != rules[winners[0]].bits }) {
                throw SpecError("layer '\(name)' is matched by '\(rules[winners[0]].pattern)' (\(rules[winners[0]].bits)) and '\(rules[clash].pattern)' (\(rules[clash].bits)), equally specific; make one pattern more specific")
            }
            g.layers[li].bits = rules[winners[0]].bits
        }
        if let unused = used.firstIndex(of: false) {
            let example = layers.first(where: { $0.op.hasWeights })?.name ?? ""
            throw SpecError("layer bits pattern '\(rules[unused].pattern)' matches no convolution or gemm layer of \(name) (names look like '\(example)')")
        }
        return g
    }
}
