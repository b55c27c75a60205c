/// How an image becomes a network's input tensor: part of the model (a trained network expects the
/// preprocessing it was trained with). Applied by the engine (Engine/Preprocessing+Image.swift):
///
/// 1. decode to 8-bit RGB;
/// 2. resize: with `resize` = R, the shorter side to R and the longer to ⌊R·long/short⌋ (torchvision's
///    `Resize(R)`), then a centre crop of the network's size S, the top-left corner at
///    round-half-even((H − S)/2), round-half-even((W − S)/2) (torchvision's `CenterCrop(S)`); without `resize`,
///    straight to S×S ignoring the aspect ratio (the seed's `Resize((S, S))`). Both resample as Pillow's
///    antialiased bilinear does;
/// 3. scale each byte to [0, 1] (v / 255), then per channel (x − mean[c]) / std[c];
/// 4. channel order: `rgb` keeps R, G, B as channels 0, 1, 2; `bgr` reverses them (mean and std are given in
///    the tensor's channel order).
///
/// `crop`, when given, must equal the network's input size (it documents the model; the size comes from the
/// case). The default — no resize, mean 0, std 1, rgb — is the seed's pipeline, unchanged.
public struct Preprocessing: Hashable, Sendable, Codable, CustomStringConvertible {
    public enum ChannelOrder: String, Hashable, Sendable, Codable, CaseIterable {
        case rgb, bgr
    }

    public var resize: Int?
    public var crop: Int?
    public var mean: [Double]
    public var std: [Double]
    public var channelOrder: ChannelOrder

    public init(resize: Int? = nil, crop: Int? = nil, mean: [Double] = [0, 0, 0], std: [Double] = [1, 1, 1],
                channelOrder: ChannelOrder = .rgb) {
        self.resize = resize
        self.crop = crop
        self.mean = mean
        self.std = std
        self.channelOrder = channelOrder
    }

    /// The seed's pipeline: resize to the network's size, scale to [0, 1].
    public static let seedDefault = Preprocessing()

    enum CodingKeys: String, CodingKey {
        case resize, crop, mean, std, channelOrder = "channel_order"
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(resize, forKey: .resize)
        try c.encode(crop, forKey: .crop)
        try c.encode(mean, forKey: .mean)
        try c.encode(std, forKey: .std)
        try c.encode(channelOrder, forKey: .channelOrder)
    }

    /// `resize 256 · centre crop · mean 0.485,0.456,0.406 · std 0.229,0.224,0.225 · rgb`, or
    /// `resize to the input size · [0, 1] · rgb`.
    public var description: String {
        var parts: [String] = []
        if let resize { parts.append("resize \(resize) · centre crop") } else { parts.append("resize to the input size") }
        if mean == [0, 0, 0] && std == [1, 1, 1] {
            parts.append("[0, 1]")
        } else {
            parts.append("mean \(mean.map { "\($0)" }.joined(separator: ","))")
            parts.append("std \(std.map { "\($0)" }.joined(separator: ","))")
        }
        parts.append(channelOrder.rawValue)
        return parts.joined(separator: " · ")
    }

    /// Checks the values for a network of `channels` input channels at `size`; throws the first problem.
    public func validate(channels: Int = 3, size: Int) throws {
        guard channels == 3 else {
            if self != .seedDefault {
                throw SpecError("preprocessing applies to 3-channel (RGB) inputs; the network takes \(channels) channels")
            }
            return
        }
        if let resize, !(1...16384).contains(resize) { throw SpecError("resize \(resize) is out of range: expected 1–16384 pixels") }
        if let crop, crop != size {
            throw SpecError("crop \(crop) differs from the network's input size \(size); expected crop = size (or no crop)")
        }
        if let resize, resize < size {
            throw SpecError("resize \(resize) is smaller than the \(size)×\(size) centre crop; expected resize ≥ \(size)")
        }
        guard mean.count == 3 else { throw SpecError("mean has \(mean.count) values; expected 3 (one per channel)") }
        guard std.count == 3 else { throw SpecError("std has \(std.count) values; expected 3 (one per channel)") }
        for m in mean where !m.isFinite { throw SpecError("mean \(m) is not a finite number") }
        for s in std where !(s > 0 && s.isFinite) { throw SpecError("std \(s) must be a positive number") }
    }

    /// `0.485,0.456,0.406` → three numbers (the command line's spelling of mean and std).
    public static func parseTriple(_ text: String, _ what: String) throws -> [Double] {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0.filter { $0 != " " }) }
        let values = parts.compactMap { Double($0) }
        guard values.count == parts.count, values.count == 3, values.allSatisfy(\.isFinite) else {
            throw SpecError("\(what) '\(text)' is not three comma-separated numbers (e.g. 0.485,0.456,0.406)")
        }
        return values
    }
}
