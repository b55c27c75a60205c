import CCairo
import Foundation

/// Cairo writes PNGs without a resolution, so LaTeX's `\includegraphics` and most viewers take them at
/// 72 dpi (a 150 dpi chart comes out twice its size). This puts a `pHYs` chunk after the header: pixels per
/// metre in x and y (dpi / 0.0254, rounded), unit 1 = metre — the PNG specification's one way to carry it.
enum PNGResolution {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// `png` with its `pHYs` chunk set to `dpi` (an existing one is replaced). Bytes that are not a PNG
    /// with an IHDR chunk first are returned unchanged.
    static func setting(_ png: Data, dpi: Int) -> Data {
        let bytes = [UInt8](png)
        guard bytes.count >= 33, Array(bytes[0..<8]) == signature, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return png }
        let perMetre = UInt32((Double(dpi) / 0.0254).rounded())
        var body = Array("pHYs".utf8)
        for _ in 0..<2 { body += [UInt8(perMetre >> 24), UInt8(perMetre >> 16 & 0xFF), UInt8(perMetre >> 8 & 0xFF), UInt8(perMetre & 0xFF)] }
        body.append(1)
        var out = Array(bytes[0..<8])
        var i = 8
        var inserted = false
        while i + 12 <= bytes.count {
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            let end = i + 12 + length
            guard end <= bytes.count else { return png }
            let type = String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self)
            if type != "pHYs" { out += bytes[i..<end] }
            if type == "IHDR" && !inserted {
                out += [0, 0, 0, 9] + body + bigEndian(crc(body))
                inserted = true
            }
            i = end
        }
        return Data(out)
    }

    /// Dots per inch from a PNG's `pHYs` chunk (metre unit), or nil when it has none.
    static func dpi(of png: Data) -> Double? {
        let bytes = [UInt8](png)
        var i = 8
        while i + 12 <= bytes.count {
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if String(decoding: bytes[(i + 4)..<(i + 8)], as: UTF8.self) == "pHYs", length == 9, i + 17 <= bytes.count, bytes[i + 16] == 1 {
                let x = UInt32(bytes[i + 8]) << 24 | UInt32(bytes[i + 9]) << 16 | UInt32(bytes[i + 10]) << 8 | UInt32(bytes[i + 11])
                return Double(x) * 0.0254
            }
            i += 12 + length
        }
        return nil
    }

    static func crc(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
}

/// Dots per inch recorded in a PNG's `pHYs` chunk, or nil.
public func pngResolution(_ png: Data) -> Double? { PNGResolution.dpi(of: png) }
