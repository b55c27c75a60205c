import BitOpsCore
@testable import Engine
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A fresh path under the system's temporary directory.
func temporaryPath(_ name: String) -> String {
    "/tmp/bitsweep-engine-tests-\(getpid())-\(name)"
}

@Suite struct SafetensorsTests {
    static let spec = NetworkSpec(name: "tiny", inputChannels: 3, stem: StemSpec(outChannels: 4, bits: 8),
                                  blocks: [BlockSpec(outChannels: 6, stride: 2, bits: 4)], classes: 5)

    @Test func roundTripThroughAFile() throws {
        let w = Reference.weightsWithBatchNorm(Self.spec, seed: 4)
        let path = temporaryPath("round.safetensors")
        defer { unlink(path) }
        try w.write(safetensors: path)
        let back = try NetworkWeights.load(safetensors: path, spec: Self.spec)
        for (name, t) in w.tensors { #expect(back.tensors[name] == t, "\(name)") }
        let file = try Safetensors.read(path: path)
        #expect(file.metadata["format"] == "pt")
        // The network built from the file equals the one built from memory.
        let img = Reference.randomImage(channels: 3, size: 9, seed: 1)
        let a = try Network(spec: Self.spec, inputSize: 9, weights: .safetensors(path)).run([img]).images
        let b = try Network(spec: Self.spec, inputSize: 9, weights: w).run([img]).images
        #expect(a == b)
    }

    /// A header written by hand, as PyTorch's writer lays it out, with F16, BF16 and F64 tensors and an I64
    /// tensor that is ignored (BatchNorm's num_batches_tracked).
    @Test func readsOtherFloatDtypesAndSkipsIntegers() throws {
        let header = #"{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[4,6]},"c":{"dtype":"F64","shape":[1],"data_offsets":[6,14]},"n":{"dtype":"I64","shape":[],"data_offsets":[14,22]}}"#
        var bytes = littleEndian(UInt64(header.utf8.count)) + Array(header.utf8)
        bytes += [0x00, 0x3C, 0x00, 0xC0]                 // F16 1.0, −2.0
        bytes += [0xC0, 0x3F]                             // BF16 1.5
        bytes += littleEndian((0.25 as Double).bitPattern)
        bytes += littleEndian(UInt64(7))
        let f = try Safetensors.parse(bytes, path: "mem")
        #expect(try f.tensor("a").data == [1, -2])
        #expect(try f.tensor("b").data == [1.5])
        #expect(try f.tensor("c").data == [0.25])
        #expect(throws: EngineError("mem: tensor 'n' has dtype I64; expected F32, F64, F16 or BF16")) { try f.tensor("n") }
    }

    func littleEndian(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xff) } }

    func expectError(_ bytes: [UInt8], contains parts: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let path = temporaryPath("bad-\(parts[0].filter(\.isLetter)).safetensors")
        defer { unlink(path) }
        do {
            try writeFile(path, bytes)
            _ = try NetworkWeights.load(safetensors: path, spec: Self.spec)
            Issue.record("expected an error containing \(parts)", sourceLocation: sourceLocation)
        } catch let e as EngineError {
            #expect(e.message.hasPrefix(path), sourceLocation: sourceLocation)
            #expect(!e.message.contains("\n"), sourceLocation: sourceLocation)
            for p in parts { #expect(e.message.contains(p), "\(e.message)", sourceLocation: sourceLocation) }
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test func everyErrorNamesTheFileAndTensor() throws {
        let w = NetworkWeights.seeded(1, spec: Self.spec)
        let good = Safetensors.encode(w.tensors)

        var missing = w.tensors
        missing["blocks.0.bn2.running_var"] = nil
        expectError(Safetensors.encode(missing), contains: ["missing tensor 'blocks.0.bn2.running_var'"])

        var wrongShape = w.tensors
        wrongShape["blocks.0.pointwise.weight"] = Tensor(zeros: [6, 4, 3, 3])
        expectError(Safetensors.encode(wrongShape), contains: ["'blocks.0.pointwise.weight'", "6×4×3×3", "expected 6×4×1×1"])

        expectError(Array(good.prefix(good.count - 10)), contains: ["truncated"])
        expectError(Array(good.prefix(5)), contains: ["not a safetensors file"])
        expectError(littleEndian(1_000_000) + [0x7b], contains: ["truncated", "header"])
        let junk = "{\"a\": [1, 2"
        expectError(littleEndian(UInt64(junk.utf8.count)) + Array(junk.utf8), contains: ["malformed safetensors header"])
        let noOffsets = #"{"classifier.bias":{"dtype":"F32","shape":[5]}}"#
        expectError(littleEndian(UInt64(noOffsets.utf8.count)) + Array(noOffsets.utf8), contains: ["'classifier.bias'", "data_offsets"])

        var nan = w.tensors
        nan["classifier.bias"]!.data[2] = .nan
        expectError(Safetensors.encode(nan), contains: ["'classifier.bias'", "NaN"])
        // The same errors through the network builder.
        let path = temporaryPath("missing-net.safetensors")
        defer { unlink(path) }
        try writeFile(path, Safetensors.encode(missing))
        #expect(throws: EngineError.self) { try Network(spec: Self.spec, inputSize: 8, weights: .safetensors(path)) }
        #expect(throws: EngineError("/nonexistent/w.safetensors: cannot open (No such file or directory)")) {
            try Network(spec: Self.spec, inputSize: 8, weights: .safetensors("/nonexistent/w.safetensors"))
        }
    }

    /// The byte layout of a small file, against the format's definition.
    @Test func writerLayout() {
        let bytes = Safetensors.encode(["x": Tensor(shape: [1], data: [1.0])])
        let n = Int(bytes[0]) | Int(bytes[1]) << 8
        #expect(n % 8 == 0 && bytes[2..<8].allSatisfy { $0 == 0 })
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        #expect(header.hasPrefix(#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#))
        #expect(Array(bytes.suffix(4)) == [0x00, 0x00, 0x80, 0x3F])
    }
}
