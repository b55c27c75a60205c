#if canImport(Glibc)
import Glibc
#endif
import CImageCodecs

/// An 8-bit RGB image as decoded from a file: `height` rows of `width` pixels, 3 bytes (R, G, B) each.
///
/// The pipeline of the demo, `Resize((s, s))` then `ToTensor()` on a PIL image, is reproduced as:
/// `ImageFile.load(path:)` (decode once) → `resized(to: s)` (once per size) → `tensor()` (CHW floats,
/// `v / 255` in float32, as `ToTensor` does).
public struct RGBImage: Hashable, Sendable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]
    /// The file the image came from, for messages.
    public var source: String

    public init(width: Int, height: Int, pixels: [UInt8], source: String = "image") {
        precondition(pixels.count == width * height * 3, "RGB image \(width)×\(height) needs \(width * height * 3) bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
        self.source = source
    }

    /// `[3, height, width]` floats in [0, 1]: channel-major (CHW), each byte divided by 255 in float32.
    public func tensor() -> Tensor {
        let plane = width * height
        var out = [Float](repeating: 0, count: 3 * plane)
        pixels.withUnsafeBufferPointer { p in
            for i in 0..<plane {
                out[i] = Float(p[3 * i]) / 255
                out[plane + i] = Float(p[3 * i + 1]) / 255
                out[2 * plane + i] = Float(p[3 * i + 2]) / 255
            }
        }
        return Tensor(shape: [3, height, width], data: out)
    }

    /// Resized to `size`×`size` as torchvision's `Resize((size, size))` does on a **PIL** image (the demo's
    /// pipeline): Pillow's `Image.resize(…, BILINEAR)`, see `Resampler`. An image already at that size is
    /// returned unchanged.
    public func resized(to size: Int) -> RGBImage {
        resized(width: size, height: size)
    }

    public func resized(width w: Int, height h: Int) -> RGBImage {
        precondition(w >= 1 && h >= 1)
        if w == width && h == height { return self }
        var img = self
        if w != width {
            img = Resampler.horizontal(img, to: w)
        }
        if h != height {
            img = Resampler.vertical(img, to: h)
        }
        return img
    }
}

/// Decoding image files: PNG through libpng, JPEG through libjpeg-turbo (C code in `CImageCodecs`).
public enum ImageFile {
    /// A file larger than this is refused before it is read (a 16384×16384 RGB PNG stored without
    /// compression is 805 MB; real photographs are far smaller).
    public static let maxFileBytes = 256 << 20
    /// An image of more pixels than this is refused from its header, before its pixels are allocated
    /// (8192×8192; decoding one holds 4 bytes a pixel for a moment, 256 MiB, then 3).
    public static let maxPixels = 1 << 26

    /// Reads and decodes a PNG or JPEG file (recognised by its first bytes, not its name). Only a regular
    /// file of at most `maxFileBytes` is read, and only after its first bytes have shown a PNG or JPEG
    /// signature: a FIFO, a device or a huge file of another kind is refused without reading it.
    public static func load(path: String, maxPixels: Int = maxPixels) throws -> RGBImage {
        let bytes = try readImageFile(path)
        return try decode(bytes, source: path, maxPixels: maxPixels)
    }

    static func readImageFile(_ path: String) throws -> [UInt8] {
        // O_NONBLOCK: opening a FIFO must not wait for a writer (the type check below then refuses it).
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw EngineError("\(path): cannot open (\(String(cString: strerror(errno))))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw EngineError("\(path): cannot read (\(String(cString: strerror(errno))))") }
        guard st.st_mode & S_IFMT == S_IFREG else {
            throw EngineError("\(path): not a regular file; expected a PNG or JPEG image")
        }
        let size = Int(st.st_size)
        guard size > 0 else { throw EngineError("\(path): empty file; expected a PNG or JPEG image") }
        var head = [UInt8](repeating: 0, count: min(8, size))
        let n = head.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        guard n == head.count else { throw EngineError("\(path): cannot read (\(String(cString: strerror(errno))))") }
        guard kind(of: head) != nil else {
            throw EngineError("\(path): unsupported image format; expected PNG or JPEG")
        }
        guard size <= maxFileBytes else {
            throw EngineError("\(path): a file of \(size) bytes is larger than an image file may be (\(maxFileBytes) bytes)")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let r = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { break }
            done += r
        }
        return Array(bytes[0..<done])
    }

    /// `PNG` or `JPEG` from a file's first bytes; nil for anything else.
    static func kind(of head: [UInt8]) -> String? {
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "PNG" }
        if head.starts(with: [0xFF, 0xD8]) { return "JPEG" }
        return nil
    }

    /// Decodes PNG or JPEG bytes; errors name `source`.
    public static func decode(_ bytes: [UInt8], source: String, maxPixels: Int = maxPixels) throws -> RGBImage {
        var image = bs_image()
        var message = [CChar](repeating: 0, count: Int(BS_CODEC_MESSAGE_SIZE))
        let code: Int32
        let kind: String
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            kind = "PNG"
            code = bytes.withUnsafeBufferPointer { bs_decode_png($0.baseAddress, $0.count, maxPixels, &image, &message) }
        } else if bytes.starts(with: [0xFF, 0xD8]) {
            kind = "JPEG"
            code = bytes.withUnsafeBufferPointer { bs_decode_jpeg($0.baseAddress, $0.count, maxPixels, &image, &message) }
        } else if bytes.isEmpty {
            throw EngineError("\(source): empty file; expected a PNG or JPEG image")
        } else {
            throw EngineError("\(source): unsupported image format; expected PNG or JPEG")
        }
        defer { bs_image_free(&image) }
        let reason = String(cString: message)
        switch Int(code) {
        case BS_CODEC_OK: break
        case BS_CODEC_TRUNCATED: throw EngineError("\(source): truncated \(kind) (\(reason))")
        case BS_CODEC_UNSUPPORTED: throw EngineError("\(source): unsupported \(kind) (\(reason))")
        case BS_CODEC_TOO_LARGE: throw EngineError("\(source): \(reason)")
        case BS_CODEC_NO_MEMORY: throw EngineError("\(source): \(reason)")
        default: throw EngineError("\(source): corrupt \(kind) (\(reason))")
        }
        let w = Int(image.width), h = Int(image.height)
        let pixels = Array(UnsafeBufferPointer(start: image.rgb, count: w * h * 3))
        return RGBImage(width: w, height: h, pixels: pixels, source: source)
    }
}

/// Pillow's bilinear resampling of 8-bit images (`Image.resize(size, Image.BILINEAR)`, Pillow ≥ 4), which is
/// what torchvision's `Resize((s, s))` calls on PIL images — **antialiased**: when shrinking, the triangle
/// filter is stretched by the scale factor, so every input pixel contributes.
///
/// Per axis (horizontal pass first, then vertical, each skipped when that size is unchanged), for output
/// index `i`, with `scale = in/out` and `fs = max(scale, 1)`:
///
///     center = (i + 0.5)·scale,   support = fs
///     taps j = ⌊center − support + 0.5⌋ … ⌊center + support + 0.5⌋ − 1, clipped to [0, in)
///     weight(j) = max(0, 1 − |(j − center + 0.5)/fs|), normalised to sum 1
///
/// computed in Double, then turned into fixed point with 22 fraction bits (weights rounded half away from
/// zero); each output byte is `(½ + Σ weight·byte) >> 22` clamped to 0…255, and the intermediate image
/// between the passes is 8-bit, as in Pillow. This is not torch's tensor `interpolate(…, antialias=False)`
/// (which samples only the two nearest pixels) nor its `antialias=True` float path (no 8-bit rounding).
public enum Resampler {
    static let precisionBits = 22

    struct Taps {
        var start: [Int]
        var count: [Int]
        var weights: [[Int32]]
    }

    static func taps(inSize: Int, outSize: Int) -> Taps {
        let scale = Double(inSize) / Double(outSize)
        let fs = max(scale, 1)
        let support = fs
        var t = Taps(start: [], count: [], weights: [])
        for i in 0..<outSize {
            let center = (Double(i) + 0.5) * scale
            let ss = 1 / fs
            var lo = Int(center - support + 0.5)   // truncation toward zero, as C's (int)
            if lo < 0 { lo = 0 }
            var hi = Int(center + support + 0.5)
            if hi > inSize { hi = inSize }
            var w: [Double] = []
            var total = 0.0
            for j in lo..<max(hi, lo) {
                let x = abs((Double(j) - center + 0.5) * ss)
                let v = x < 1 ? 1 - x : 0
                w.append(v)
                total += v
            }
            if total != 0 { w = w.map { $0 / total } }
            let one = Double(1 << precisionBits)
            t.start.append(lo)
            t.count.append(w.count)
            t.weights.append(w.map { Int32(($0 < 0 ? (-0.5 + $0 * one) : (0.5 + $0 * one)).rounded(.towardZero)) })
        }
        return t
    }

    @inline(__always)
    static func clip8(_ v: Int64) -> UInt8 {
        if v >= Int64(1) << (precisionBits + 8) { return 255 }
        if v <= 0 { return 0 }
        return UInt8(truncatingIfNeeded: v >> Int64(precisionBits))
    }

    static func horizontal(_ img: RGBImage, to w: Int) -> RGBImage {
        let t = taps(inSize: img.width, outSize: w)
        var out = [UInt8](repeating: 0, count: w * img.height * 3)
        let half = Int64(1) << Int64(precisionBits - 1)
        img.pixels.withUnsafeBufferPointer { src in
            for y in 0..<img.height {
                let row = y * img.width * 3
                for x in 0..<w {
                    var r = half, g = half, b = half
                    let ws = t.weights[x]
                    for k in 0..<t.count[x] {
                        let p = row + (t.start[x] + k) * 3
                        let c = Int64(ws[k])
                        r += Int64(src[p]) * c
                        g += Int64(src[p + 1]) * c
                        b += Int64(src[p + 2]) * c
                    }
                    let o = (y * w + x) * 3
                    out[o] = clip8(r); out[o + 1] = clip8(g); out[o + 2] = clip8(b)
                }
            }
        }
        return RGBImage(width: w, height: img.height, pixels: out, source: img.source)
    }

    static func vertical(_ img: RGBImage, to h: Int) -> RGBImage {
        let t = taps(inSize: img.height, outSize: h)
        let rowBytes = img.width * 3
        var out = [UInt8](repeating: 0, count: rowBytes * h)
        let half = Int64(1) << Int64(precisionBits - 1)
        img.pixels.withUnsafeBufferPointer { src in
            for y in 0..<h {
                let ws = t.weights[y]
                for x in 0..<rowBytes {
                    var s = half
                    for k in 0..<t.count[y] {
                        s += Int64(src[(t.start[y] + k) * rowBytes + x]) * Int64(ws[k])
                    }
                    out[y * rowBytes + x] = clip8(s)
                }
            }
        }
        return RGBImage(width: img.width, height: h, pixels: out, source: img.source)
    }
}

extension ImageFile {
    /// Encodes raw PNG samples (for tests and benchmarks): `colorType` 0 grey, 2 RGB, 3 palette, 4 grey+alpha,
    /// 6 RGBA; `samples` are rows packed exactly as the PNG stores them (16-bit big-endian, sub-byte MSB first).
    public static func encodePNG(width: Int, height: Int, colorType: Int, bitDepth: Int, samples: [UInt8],
                                 palette: [UInt8] = []) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(BS_CODEC_MESSAGE_SIZE))
        let code = samples.withUnsafeBufferPointer { s in
            palette.withUnsafeBufferPointer { p in
                bs_encode_png(Int32(width), Int32(height), Int32(colorType), Int32(bitDepth), s.baseAddress, p.baseAddress,
                              Int32(palette.count / 3), &out, &size, &message)
            }
        }
        guard code == 0, let out else { throw EngineError("PNG encoding failed: \(String(cString: message))") }
        defer { bs_buffer_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// Encodes 8-bit samples (1 = grey, 3 = RGB, 4 = CMYK components) as a JPEG (for tests and benchmarks).
    public static func encodeJPEG(width: Int, height: Int, components: Int, samples: [UInt8], quality: Int = 95,
                                  progressive: Bool = false) throws -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: Int(BS_CODEC_MESSAGE_SIZE))
        let code = samples.withUnsafeBufferPointer { s in
            bs_encode_jpeg(Int32(width), Int32(height), Int32(components), s.baseAddress, Int32(quality),
                           progressive ? 1 : 0, &out, &size, &message)
        }
        guard code == 0, let out else { throw EngineError("JPEG encoding failed: \(String(cString: message))") }
        defer { bs_buffer_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }
}
