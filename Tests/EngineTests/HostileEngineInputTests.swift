import BitOpsCore
@testable import Engine
import Foundation
import Testing

/// Crashes and runaway use in the engine's inputs: every case ends in a one-line error (or a refusal), never
/// a trap, a SIGSEGV, a hang or a huge allocation.
@Suite struct HostileEngineInputTests {
    // MARK: safetensors headers

    /// A header nested 60,000 levels deep (120 KB) once overflowed the parser's stack (SIGSEGV).
    @Test func deeplyNestedSafetensorsHeaderIsAnError() throws {
        let depth = 60_000
        var header = Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)
        while header.count % 8 != 0 { header.append(0x20) }
        var bytes: [UInt8] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { bytes += $0 }
        bytes += header
        let path = temporaryPath("deep.safetensors")
        defer { unlink(path) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(throws: EngineError("\(path): malformed safetensors header: nested deeper than 64 levels at byte 64")) {
            try Safetensors.read(path: path)
        }
    }

    /// The bound is exact: 64 levels parse, 65 do not.
    @Test func nestingBoundIsSixtyFour() throws {
        func parse(_ depth: Int) throws -> JSONValue {
            var p = JSONParser(bytes: ArraySlice(Array(repeating: UInt8(ascii: "["), count: depth) + Array(repeating: UInt8(ascii: "]"), count: depth)))
            return try p.parseDocument()
        }
        _ = try parse(JSONParser.maxDepth)
        #expect(throws: JSONParser.Failure.self) { try parse(JSONParser.maxDepth + 1) }
        // Depth is released on the way out: many shallow siblings are fine.
        var p = JSONParser(bytes: ArraySlice(Array("{\"a\":[[1]],\"b\":[[2]],\"c\":{\"d\":[3]}}".utf8)))
        #expect(try p.parseDocument() == .object(["a": .array([.array([.number(1)])]), "b": .array([.array([.number(2)])]),
                                                  "c": .object(["d": .array([.number(3)])])]))
    }

    // MARK: memory estimate

    @Test func saturatingArithmetic() {
        #expect(saturatingProduct(3, 5, 7) == 105)
        #expect(saturatingProduct(Int.max / 2, 3) == Int.max)
        #expect(saturatingProduct(999_999_999_999_999, 3, 224, 224, 4) == Int.max)
        #expect(saturatingSum(Int.max - 1, 1) == Int.max)
        #expect(saturatingSum(Int.max, 1) == Int.max)
        #expect(saturatingSum(2, 3, 4) == 9)
    }

    /// `--batch 999999999999999` once trapped on overflow in the estimate; now it is Int.max and refused.
    @Test func hugeBatchIsRefusedNotTrapped() throws {
        let spec = try Preset.seed.network(PresetOptions(blocks: 2, bits: .uniform(4)))
        let cost = try spec.cost(inputSize: 32)
        let e = MemoryEstimate(cost: cost, batch: 999_999_999_999_999, twin: true)
        #expect(e.totalBytes == Int.max)
        #expect(throws: EngineError.self) { try e.check(limit: 1 << 40, what: "test") }
        // A sane batch: activations grow exactly linearly with it.
        let one = MemoryEstimate(cost: cost, batch: 1, twin: true), two = MemoryEstimate(cost: cost, batch: 2, twin: true)
        let three = MemoryEstimate(cost: cost, batch: 3, twin: true)
        #expect(three.activationBytes - two.activationBytes == two.activationBytes - one.activationBytes)
        #expect(MemoryEstimate.inputTensorBytes(count: 3, size: 16384) == 3 * 3 * 16384 * 16384 * 4)
    }

    /// The images of a run count in the refusal: the same network fits alone and not with 100 huge images.
    @Test func imagesCountInTheRefusal() throws {
        let spec = try Preset.seed.network(PresetOptions(blocks: 1, bits: .uniform(4)))
        let e = MemoryEstimate(cost: try spec.cost(inputSize: 64), batch: 1, twin: true)
        let limit = e.totalBytes + 1000
        try e.check(limit: limit, what: "x", imageBytes: 1000)
        #expect(throws: EngineError.self) { try e.check(limit: limit, what: "x", imageBytes: 1001) }
    }

    @Test func threadsAreBounded() throws {
        let spec = try Preset.seed.network(PresetOptions(blocks: 1, bits: .uniform(4)))
        #expect(throws: EngineError("threads 100000 is out of range: expected 1–1024")) {
            try Network(spec: spec, inputSize: 8, weights: .seed(0), options: EngineOptions(threads: 100_000))
        }
    }

    // MARK: model size

    /// The per-name shape lookup (constant time) agrees with the full listing, and knows no other name.
    @Test func shapeByNameAgreesWithTheListing() throws {
        for spec in [NetworkTests.oddSpec(), NetworkTests.oddSpec(stem: false),
                     try Preset.mobilenetV1.network(PresetOptions(blocks: 13, bits: .uniform(4)))] {
            for (name, shape) in NetworkWeights.expectedShapes(spec) {
                #expect(NetworkWeights.expectedShape(name, spec: spec) == shape, "\(name)")
            }
            for junk in ["blocks.99.depthwise.weight", "blocks.01.bn1.weight", "blocks.0.bn3.weight", "stem.bn.x",
                         "classifier", "blocks.0.depthwise", "blocks.-1.pointwise.weight", ""] {
                #expect(NetworkWeights.expectedShape(junk, spec: spec) == nil, "\(junk)")
            }
        }
        #expect(NetworkWeights.expectedShape("stem.conv.weight", spec: NetworkTests.oddSpec(stem: false)) == nil)
    }

    /// A model may declare at most 1024 blocks, 65,536 channels, 1,000,000 classes and 31×31 kernels.
    @Test func modelDeclarationsAreBounded() throws {
        func spec(blocks: Int = 1, channels: Int = 8, classes: Int = 10, kernel: Int = 3) -> NetworkSpec {
            NetworkSpec(name: "m", inputChannels: 3, stem: nil,
                        blocks: Array(repeating: BlockSpec(outChannels: channels, stride: 1, bits: 4, kernel: kernel), count: blocks),
                        classes: classes)
        }
        try spec(blocks: 1024).validate()
        #expect(throws: SpecError("a network of 1025 blocks is too large (at most 1024)")) { try spec(blocks: 1025).validate() }
        #expect(throws: SpecError("block 0: out_channels 65537 is too large (at most 65536)")) { try spec(channels: 65_537).validate() }
        #expect(throws: SpecError("classes 1000001 is too large (at most 1000000)")) { try spec(classes: 1_000_001).validate() }
        #expect(throws: SpecError("block 0: kernel must be a positive odd integer of at most 31, got 33")) { try spec(kernel: 33).validate() }
    }

    // MARK: image files

    /// A FIFO is refused without waiting for a writer; a huge non-image file is refused from its first bytes;
    /// a huge file with an image signature is refused from its size; nothing is read whole.
    @Test(.timeLimit(.minutes(1))) func onlyRegularImageFilesAreRead() throws {
        let fifo = temporaryPath("fifo.png")
        defer { unlink(fifo) }
        #expect(mkfifo(fifo, 0o644) == 0)
        #expect(throws: EngineError("\(fifo): not a regular file; expected a PNG or JPEG image")) { try ImageFile.load(path: fifo) }

        let text = temporaryPath("huge.txt")
        defer { unlink(text) }
        #expect(FileManager.default.createFile(atPath: text, contents: Data("hello".utf8)))
        #expect(truncate(text, 3 << 30) == 0)   // 3 GB, sparse
        #expect(throws: EngineError("\(text): unsupported image format; expected PNG or JPEG")) { try ImageFile.load(path: text) }

        let png = temporaryPath("huge.png")
        defer { unlink(png) }
        #expect(FileManager.default.createFile(atPath: png, contents: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])))
        #expect(truncate(png, off_t(ImageFile.maxFileBytes + 1)) == 0)
        #expect(throws: EngineError("\(png): a file of \(ImageFile.maxFileBytes + 1) bytes is larger than an image file may be (\(ImageFile.maxFileBytes) bytes)")) {
            try ImageFile.load(path: png)
        }
        #expect(throws: EngineError("/dev/zero: not a regular file; expected a PNG or JPEG image")) { try ImageFile.load(path: "/dev/zero") }
    }

    /// A valid PNG of 8193×8193 pixels (a few KB: 1-bit grey) is refused from its header, before its pixels
    /// are allocated; one just under the limit decodes.
    @Test func hugePNGIsRefusedFromItsHeader() throws {
        let side = 8193
        let rowBytes = (side + 7) / 8
        let png = try ImageFile.encodePNG(width: side, height: side, colorType: 0, bitDepth: 1,
                                          samples: [UInt8](repeating: 0xAA, count: rowBytes * side))
        #expect(png.count < 200_000)
        #expect(throws: EngineError("big.png: image of 8193×8193 pixels is too large (limit 67108864 pixels)")) {
            try ImageFile.decode(png, source: "big.png")
        }
        // The limit is a parameter: the same file under a higher one decodes (to 201 MB of RGB).
        let small = try ImageFile.encodePNG(width: 64, height: 32, colorType: 0, bitDepth: 1,
                                            samples: [UInt8](repeating: 0xF0, count: 8 * 32))
        #expect(throws: EngineError.self) { try ImageFile.decode(small, source: "s.png", maxPixels: 64 * 32 - 1) }
        #expect(try ImageFile.decode(small, source: "s.png", maxPixels: 64 * 32).width == 64)
    }

    /// A JPEG whose header claims 16000×16000 is refused before libjpeg allocates anything for the image.
    @Test func hugeJPEGIsRefusedFromItsHeader() throws {
        var jpeg = try ImageFile.encodeJPEG(width: 8, height: 8, components: 3, samples: [UInt8](repeating: 128, count: 8 * 8 * 3))
        // SOF0 (FF C0): length(2) precision(1) height(2) width(2).
        let sof = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
        for (k, v) in [UInt8(16000 >> 8), UInt8(16000 & 0xFF), UInt8(16000 >> 8), UInt8(16000 & 0xFF)].enumerated() {
            jpeg[sof + 5 + k] = v
        }
        #expect(throws: EngineError("big.jpg: image of 16000×16000 pixels is too large (limit 67108864 pixels)")) {
            try ImageFile.decode(jpeg, source: "big.jpg")
        }
    }
}
