@testable import Engine
import Testing
#if canImport(Glibc)
import Glibc
#endif

@Suite struct PNGDecodingTests {
    func decode(_ bytes: [UInt8]) throws -> RGBImage { try ImageFile.decode(bytes, source: "test.png") }

    /// Packs sub-byte samples MSB first, each row padded to a byte.
    func pack(_ rows: [[Int]], bits: Int) -> [UInt8] {
        var out: [UInt8] = []
        for row in rows {
            var byte = 0, used = 0
            for v in row {
                byte = (byte << bits) | v
                used += bits
                if used == 8 { out.append(UInt8(byte)); byte = 0; used = 0 }
            }
            if used > 0 { out.append(UInt8(byte << (8 - used))) }
        }
        return out
    }

    func be16(_ values: [Int]) -> [UInt8] { values.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] } }

    /// Greyscale at every bit depth: a sample v of b bits becomes v·255/(2^b − 1) in all three channels.
    @Test(arguments: [1, 2, 4, 8])
    func greyscale(bits: Int) throws {
        let maxV = (1 << bits) - 1
        let rows = [[0, maxV, maxV / 2], [maxV, 0, 1 % (maxV + 1)]]   // 3×2: odd width exercises row padding
        let png = try ImageFile.encodePNG(width: 3, height: 2, colorType: 0, bitDepth: bits,
                                          samples: bits == 8 ? rows.flatMap { $0.map(UInt8.init) } : pack(rows, bits: bits))
        let img = try decode(png)
        #expect(img.width == 3 && img.height == 2)
        let expected = rows.flatMap { $0 }.map { UInt8($0 * 255 / maxV) }
        #expect(img.pixels == expected.flatMap { [$0, $0, $0] })
    }

    /// 16-bit samples that are multiples of 257 reduce to exactly v/257 whatever the rounding.
    @Test func greyscaleAndRGB16Bit() throws {
        let grey = try decode(try ImageFile.encodePNG(width: 2, height: 1, colorType: 0, bitDepth: 16, samples: be16([0x1212, 0xFFFF])))
        #expect(grey.pixels == [0x12, 0x12, 0x12, 255, 255, 255])
        let rgb = try decode(try ImageFile.encodePNG(width: 1, height: 1, colorType: 2, bitDepth: 16, samples: be16([0x0000, 0x8080, 0xFEFE])))
        #expect(rgb.pixels == [0, 0x80, 0xFE])
        let rgba = try decode(try ImageFile.encodePNG(width: 1, height: 1, colorType: 6, bitDepth: 16,
                                                      samples: be16([0x4040, 0x2020, 0x1010, 0xFFFF])))
        #expect(rgba.pixels == [0x40, 0x20, 0x10])
        let ga = try decode(try ImageFile.encodePNG(width: 1, height: 1, colorType: 4, bitDepth: 16, samples: be16([0x3030, 0xFFFF])))
        #expect(ga.pixels == [0x30, 0x30, 0x30])
    }

    @Test func rgbAndAlphaDropped() throws {
        let rgb = try decode(try ImageFile.encodePNG(width: 2, height: 1, colorType: 2, bitDepth: 8, samples: [1, 2, 3, 250, 251, 252]))
        #expect(rgb.pixels == [1, 2, 3, 250, 251, 252])
        // Opaque and half-transparent pixels keep their colour (alpha is dropped, not composited).
        let rgba = try decode(try ImageFile.encodePNG(width: 2, height: 1, colorType: 6, bitDepth: 8,
                                                      samples: [10, 20, 30, 255, 200, 100, 50, 128]))
        #expect(rgba.pixels == [10, 20, 30, 200, 100, 50])
        let ga = try decode(try ImageFile.encodePNG(width: 2, height: 1, colorType: 4, bitDepth: 8, samples: [77, 255, 99, 255]))
        #expect(ga.pixels == [77, 77, 77, 99, 99, 99])
    }

    @Test(arguments: [1, 2, 4, 8])
    func palette(bits: Int) throws {
        let entries = min(1 << bits, 4)
        let palette: [UInt8] = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7].prefix(entries * 3).map { $0 }
        let rows = [(0..<5).map { $0 % entries }]
        let samples = bits == 8 ? rows[0].map(UInt8.init) : pack(rows, bits: bits)
        let img = try decode(try ImageFile.encodePNG(width: 5, height: 1, colorType: 3, bitDepth: bits, samples: samples, palette: palette))
        #expect(img.pixels == rows[0].flatMap { Array(palette[($0 * 3)..<($0 * 3 + 3)]) })
    }

    @Test func corruptAndTruncatedPNGsAreErrorsNamingTheFile() throws {
        var rng = SplitMix64(seed: 3)
        let samples = (0..<(16 * 16 * 3)).map { _ in UInt8(rng.next() & 0xff) }
        let png = try ImageFile.encodePNG(width: 16, height: 16, colorType: 2, bitDepth: 8, samples: samples)
        var corrupt = png
        corrupt[png.count / 2] ^= 0xFF   // inside IDAT: the CRC (or the zlib stream) no longer matches
        #expect(throws: EngineError.self) { try ImageFile.decode(corrupt, source: "c.png") }
        for cut in [10, 40, png.count / 2, png.count - 13] {
            do {
                _ = try ImageFile.decode(Array(png.prefix(cut)), source: "t.png")
                Issue.record("a PNG cut to \(cut) bytes decoded")
            } catch let e as EngineError {
                #expect(e.message.hasPrefix("t.png: ") && !e.message.contains("\n"), "\(e.message)")
            }
        }
    }
}

@Suite struct JPEGDecodingTests {
    func gradient(_ w: Int, _ h: Int) -> [UInt8] {
        (0..<(w * h)).flatMap { i -> [UInt8] in
            let x = i % w, y = i / w
            return [UInt8(x * 255 / (w - 1)), UInt8(y * 255 / (h - 1)), 128]
        }
    }

    func maxDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
        zip(a, b).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    @Test(arguments: [false, true])
    func baselineAndProgressiveRGB(progressive: Bool) throws {
        let src = gradient(24, 16)
        let jpeg = try ImageFile.encodeJPEG(width: 24, height: 16, components: 3, samples: src, quality: 95, progressive: progressive)
        let img = try ImageFile.decode(jpeg, source: "g.jpg")
        #expect(img.width == 24 && img.height == 16)
        #expect(maxDifference(img.pixels, src) <= 12)
    }

    @Test func greyscaleJPEGBecomesThreeEqualChannels() throws {
        let src = (0..<64).map { UInt8($0 * 4) }
        let img = try ImageFile.decode(try ImageFile.encodeJPEG(width: 8, height: 8, components: 1, samples: src), source: "g.jpg")
        for i in 0..<64 {
            #expect(img.pixels[3 * i] == img.pixels[3 * i + 1] && img.pixels[3 * i + 1] == img.pixels[3 * i + 2])
        }
        #expect(maxDifference(stride(from: 0, to: 192, by: 3).map { img.pixels[$0] }, src) <= 8)
    }

    /// libjpeg writes CMYK with an Adobe marker, which by convention means the samples are stored inverted.
    @Test func cmykJPEGIsConverted() throws {
        // Stored (inverted) values for cyan, then 50% black.
        let stored: [UInt8] = Array(repeating: [0, 255, 255, 255], count: 32).flatMap { $0 }
            + Array(repeating: [255, 255, 255, 127], count: 32).flatMap { $0 }
        let img = try ImageFile.decode(try ImageFile.encodeJPEG(width: 8, height: 8, components: 4, samples: stored, quality: 100),
                                       source: "c.jpg")
        #expect(maxDifference(Array(img.pixels.prefix(3)), [0, 255, 255]) <= 4)
        #expect(maxDifference(Array(img.pixels.suffix(3)), [127, 127, 127]) <= 4)
    }

    @Test func truncatedAndCorruptJPEGsAreErrors() throws {
        let jpeg = try ImageFile.encodeJPEG(width: 32, height: 32, components: 3, samples: gradient(32, 32))
        for cut in [2, 20, jpeg.count / 2, jpeg.count - 2] {
            do {
                _ = try ImageFile.decode(Array(jpeg.prefix(cut)), source: "t.jpg")
                Issue.record("a JPEG cut to \(cut) of \(jpeg.count) bytes decoded")
            } catch let e as EngineError {
                #expect(e.message.hasPrefix("t.jpg: ") && !e.message.contains("\n"), "\(e.message)")
            }
        }
        var corrupt = jpeg
        if let sof = (0..<(jpeg.count - 1)).first(where: { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }) {
            corrupt[sof + 4] = 0xFF   // sample precision 255 bits
        }
        #expect(throws: EngineError.self) { try ImageFile.decode(corrupt, source: "c.jpg") }
    }
}

@Suite struct ImageFileTests {
    @Test func unsupportedEmptyAndMissingFiles() throws {
        #expect(throws: EngineError("x.gif: unsupported image format; expected PNG or JPEG")) {
            try ImageFile.decode(Array("GIF89a".utf8), source: "x.gif")
        }
        #expect(throws: EngineError("e.png: empty file; expected a PNG or JPEG image")) { try ImageFile.decode([], source: "e.png") }
        #expect(throws: EngineError("/nonexistent/a.png: cannot open (No such file or directory)")) {
            try ImageFile.load(path: "/nonexistent/a.png")
        }
        #expect(throws: EngineError.self) { try ImageFile.load(path: "/tmp") }
    }

    @Test func loadFromDisk() throws {
        let path = temporaryPath("disk.png")
        defer { unlink(path) }
        try writeFile(path, try ImageFile.encodePNG(width: 1, height: 1, colorType: 2, bitDepth: 8, samples: [5, 6, 7]))
        let img = try ImageFile.load(path: path)
        #expect(img.pixels == [5, 6, 7] && img.source == path)
    }
}

@Suite struct ResizeTests {
    /// Worked by hand from Pillow's rule (see `Resampler`): 4 → 2 weights (3/7, 3/7, 1/7) and (1/7, 3/7, 3/7).
    @Test func downscaleByTwoAntialiased() {
        let img = RGBImage(width: 4, height: 1, pixels: [0, 100, 200, 255].flatMap { [UInt8($0), 0, 0] })
        let r = img.resized(width: 2, height: 1)
        #expect(r.pixels == [71, 0, 0, 209, 0, 0])   // 500/7 = 71.4, 1465/7 = 209.3
    }

    /// 2 → 4: centres at 0.25, 0.75, 1.25, 1.75 → [a, ¾a+¼b, ¼a+¾b, b].
    @Test func upscaleByTwo() {
        let img = RGBImage(width: 1, height: 2, pixels: [0, 0, 0, 100, 200, 40])
        let r = img.resized(width: 1, height: 4)
        #expect(r.pixels == [0, 0, 0, 25, 50, 10, 75, 150, 30, 100, 200, 40])
    }

    @Test func sameSizeIsIdentityAndConstantsStayConstant() {
        var rng = SplitMix64(seed: 1)
        let img = RGBImage(width: 7, height: 5, pixels: (0..<105).map { _ in UInt8(rng.next() & 0xff) })
        #expect(img.resized(width: 7, height: 5) == img)
        let flat = RGBImage(width: 13, height: 9, pixels: Array(repeating: [17, 200, 255], count: 117).flatMap { $0 })
        for (w, h) in [(4, 4), (32, 32), (13, 3), (1, 1)] {
            let r = flat.resized(width: w, height: h)
            #expect(r.pixels == Array(repeating: [17, 200, 255], count: w * h).flatMap { $0 }, "\(w)×\(h)")
        }
    }

    @Test func tensorIsCHWDividedBy255() {
        let img = RGBImage(width: 2, height: 1, pixels: [255, 0, 51, 0, 102, 255])
        let t = img.tensor()
        #expect(t.shape == [3, 1, 2])
        #expect(t.data == [1, 0, 0, 102 / 255, 51 / 255, 1])
    }
}

extension ResizeTests {
    /// Byte-for-byte against Pillow's own output (Fixtures/pillow_resize.txt, made by make_resize_fixture.py).
    @Test func matchesPillowByteForByte() throws {
        let dir = String(#filePath.prefix(upTo: #filePath.lastIndex(of: "/")!))
        let text = String(decoding: try readFile(dir + "/Fixtures/pillow_resize.txt"), as: UTF8.self)
        func hex(_ s: Substring) -> [UInt8] {
            let u = Array(s.utf8)
            return stride(from: 0, to: u.count, by: 2).map { UInt8(String(decoding: u[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
        }
        var cases = 0
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ")
            let (W, H, w, h) = (Int(f[0])!, Int(f[1])!, Int(f[2])!, Int(f[3])!)
            let img = RGBImage(width: W, height: H, pixels: hex(f[4]))
            let expected = hex(f[5])
            let got = img.resized(width: w, height: h).pixels
            let mismatches = zip(got, expected).filter { $0 != $1 }.count
            #expect(mismatches == 0, "\(W)×\(H) → \(w)×\(h): \(mismatches) of \(expected.count) bytes differ")
            cases += 1
        }
        #expect(cases == 9)
    }
}
