import BitOpsCore
@testable import Engine
import Testing

/// `Preprocessing` applied to images: the default is the seed's pipeline byte for byte; the centre crop takes
/// torchvision's offsets (half-pixel offsets rounded half to even, as Python's `round`); mean, std and the
/// channel order are applied per channel after scaling to [0, 1].
@Suite struct PreprocessingTests {
    /// A `w`×`h` image whose pixel (x, y) is (x, y, x + 10·y) — every position recognisable after a crop.
    static func grid(_ w: Int, _ h: Int) -> RGBImage {
        var p: [UInt8] = []
        for y in 0..<h { for x in 0..<w { p += [UInt8(x), UInt8(y), UInt8(x + 10 * y)] } }
        return RGBImage(width: w, height: h, pixels: p)
    }

    @Test func defaultIsTheSeedPipeline() throws {
        let img = Self.grid(9, 5)
        #expect(try Preprocessing.seedDefault.tensor(img, size: 4) == img.resized(to: 4).tensor())
        #expect(try Preprocessing.seedDefault.tensor(img, size: 9).shape == [3, 9, 9])
    }

    /// Width − size = 2, 3, 5 → left offsets 1, round(1.5) = 2, round(2.5) = 2; height = size → top 0. With
    /// `resize` equal to the height (the shorter side) nothing is resampled, so the crop's pixels are the
    /// source's own.
    @Test(arguments: [(6, 1), (7, 2), (9, 2)])
    func centreCropOffsets(width: Int, left: Int) throws {
        let p = Preprocessing(resize: 4)
        let t = try p.tensor(Self.grid(width, 4), size: 4)
        for y in 0..<4 {
            for x in 0..<4 {
                #expect(t.data[y * 4 + x] == Float(x + left) / 255)        // R = source x
                #expect(t.data[16 + y * 4 + x] == Float(y) / 255)          // G = source y
            }
        }
    }

    /// Resize the shorter side: 12×6 with resize 3 → ⌊3·12/6⌋ = 6 wide, 3 high, then the 3×3 centre at
    /// left round(1.5) = 2 — the same pixels as resampling to 6×3 and taking columns 2…4.
    @Test func resizeShorterSideThenCrop() throws {
        let img = Self.grid(12, 6)
        let t = try Preprocessing(resize: 3, crop: 3).tensor(img, size: 3)
        let resized = img.resized(width: 6, height: 3).tensor()
        for c in 0..<3 { for y in 0..<3 { for x in 0..<3 {
            #expect(t.data[c * 9 + y * 3 + x] == resized.data[c * 18 + y * 6 + x + 2])
        } } }
        // A tall image crops vertically: 6×12 → 3×6, top 2.
        let tall = Self.grid(6, 12)
        let u = try Preprocessing(resize: 3).tensor(tall, size: 3)
        let r2 = tall.resized(width: 3, height: 6).tensor()
        #expect((0..<9).allSatisfy { u.data[$0] == r2.data[6 + $0] })
    }

    @Test func meanStdAndChannelOrder() throws {
        let img = RGBImage(width: 1, height: 1, pixels: [51, 102, 204])
        let p = Preprocessing(mean: [0.1, 0.2, 0.3], std: [0.5, 0.25, 2])
        #expect(try p.tensor(img, size: 1).data == [(Float(51) / 255 - 0.1) / 0.5, (Float(102) / 255 - 0.2) / 0.25,
                                                      (Float(204) / 255 - 0.3) / 2])
        var bgr = p
        bgr.channelOrder = .bgr
        #expect(try bgr.tensor(img, size: 1).data == [(Float(204) / 255 - 0.1) / 0.5, (Float(102) / 255 - 0.2) / 0.25,
                                                        (Float(51) / 255 - 0.3) / 2])
    }

    @Test func refusedValues() {
        func message(_ p: Preprocessing, size: Int = 224, channels: Int = 3) -> String {
            do { try p.validate(channels: channels, size: size); return "(no error)" } catch { return "\(error)" }
        }
        #expect(message(Preprocessing(resize: 256, crop: 200)) == "crop 200 differs from the network's input size 224; expected crop = size (or no crop)")
        #expect(message(Preprocessing(resize: 200)) == "resize 200 is smaller than the 224×224 centre crop; expected resize ≥ 224")
        #expect(message(Preprocessing(std: [1, 0, 1])) == "std 0.0 must be a positive number")
        #expect(message(Preprocessing(mean: [0.5])) == "mean has 1 values; expected 3 (one per channel)")
        #expect(message(Preprocessing(resize: 256), channels: 1) == "preprocessing applies to 3-channel (RGB) inputs; the network takes 1 channels")
        #expect(message(.seedDefault, channels: 1) == "(no error)")
    }
}
