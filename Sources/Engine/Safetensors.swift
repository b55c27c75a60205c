#if canImport(Glibc)
import Glibc
#endif
import StableIO

/// The safetensors format (https://github.com/huggingface/safetensors), as written by
/// `safetensors.torch.save_file(model.state_dict(), path)`:
///
///     8 bytes   little-endian UInt64 N, the header's length
///     N bytes   UTF-8 JSON: { "name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …,
///                             optional "__metadata__": {string: string} }
///     …         the data buffer; offsets are relative to its start, little-endian, row-major
///
/// The reader accepts F32, F64, F16 and BF16 (converted to Float) and skips other dtypes unless asked for
/// (BatchNorm's `num_batches_tracked` is I64); the writer writes F32. Every error names the file and,
/// where it applies, the tensor.
public enum Safetensors {
    public struct Entry: Sendable {
        public var dtype: String
        public var shape: [Int]
        public var begin: Int
        public var end: Int
    }

    /// A parsed file: the header and the raw data buffer.
    public struct File: Sendable {
        public var path: String
        public var entries: [String: Entry]
        public var metadata: [String: String]
        var bytes: [UInt8]
        var dataStart: Int

        public var names: [String] { entries.keys.sorted() }

        /// The tensor `name` as Float, checked against `shape` when given.
        public func tensor(_ name: String, shape expected: [Int]? = nil) throws -> Tensor {
            let (e, _) = try check(name, shape: expected)
            let rows = e.shape.first ?? 1
            return Tensor(shape: e.shape, data: try values(name, shape: expected, rows: 0..<rows))
        }

        /// The values of rows `rows` (along dimension 0) of tensor `name`, as Float.
        public func values(_ name: String, shape expected: [Int]? = nil, rows: Range<Int>) throws -> [Float] {
            let (e, width) = try check(name, shape: expected)
            let perRow = e.shape.isEmpty ? 1 : e.shape.dropFirst().reduce(1, *)
            let count = rows.count * perRow
            var out = [Float](repeating: 0, count: count)
            let base = dataStart + e.begin + rows.lowerBound * perRow * width
            bytes.withUnsafeBytes { raw in
                for i in 0..<count {
                    let o = base + i * width
                    switch e.dtype {
                    case "F32":
                        out[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt32.self).littleEndian)
                    case "F64":
                        out[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian))
                    case "F16":
                        out[i] = Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian))
                    default: // BF16: the high half of a float32
                        out[i] = Float(bitPattern: UInt32(raw.loadUnaligned(fromByteOffset: o, as: UInt16.self).littleEndian) << 16)
                    }
                }
            }
            return out
        }

        /// Checks that `name` exists with `shape` (when given), a float dtype and a consistent extent;
        /// returns its entry and element width.
        public func check(_ name: String, shape expected: [Int]? = nil) throws -> (entry: Entry, width: Int) {
            guard let e = entries[name] else {
                throw EngineError("\(path): missing tensor '\(name)'\(expected.map { " (expected shape \(Tensor.describe($0)))" } ?? "")")
            }
            if let expected, expected != e.shape {
                throw EngineError("\(path): tensor '\(name)' has shape \(Tensor.describe(e.shape)); expected \(Tensor.describe(expected))")
            }
            let width: Int
            switch e.dtype {
            case "F32": width = 4
            case "F64": width = 8
            case "F16", "BF16": width = 2
            default:
                throw EngineError("\(path): tensor '\(name)' has dtype \(e.dtype); expected F32, F64, F16 or BF16")
            }
            let count = e.shape.reduce(1, *)
            guard e.end - e.begin == count * width else {
                throw EngineError("\(path): tensor '\(name)' spans \(e.end - e.begin) bytes; its shape \(Tensor.describe(e.shape)) and dtype \(e.dtype) need \(count * width)")
            }
            return (e, width)
        }
    }

    /// Reads and validates a whole file (header, offsets, sizes). Tensors are converted on demand.
    public static func read(path: String) throws -> File {
        let bytes = try readFile(path)
        return try parse(bytes, path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws -> File {
        guard bytes.count >= 8 else {
            throw EngineError("\(path): not a safetensors file: \(bytes.count) bytes, shorter than the 8-byte header length")
        }
        var n: UInt64 = 0
        for i in 0..<8 { n |= UInt64(bytes[i]) << (8 * UInt64(i)) }
        guard n <= UInt64(bytes.count - 8), n <= 100_000_000 else {
            throw EngineError("\(path): truncated safetensors file: the header claims \(n) bytes but the file has \(bytes.count - 8) after the length")
        }
        let headerEnd = 8 + Int(n)
        let json: JSONValue
        do {
            var parser = JSONParser(bytes: bytes[8..<headerEnd])
            json = try parser.parseDocument()
        } catch let e as JSONParser.Failure {
            throw EngineError("\(path): malformed safetensors header: \(e.message)")
        }
        guard case .object(let top) = json else {
            throw EngineError("\(path): malformed safetensors header: expected a JSON object")
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        let dataLength = bytes.count - headerEnd
        for (name, value) in top {
            if name == "__metadata__" {
                if case .object(let m) = value {
                    for (k, v) in m { if case .string(let s) = v { metadata[k] = s } }
                }
                continue
            }
            guard case .object(let o) = value, case .string(let dtype)? = o["dtype"],
                  case .array(let shapeValues)? = o["shape"], case .array(let offsets)? = o["data_offsets"],
                  offsets.count == 2 else {
                throw EngineError("\(path): tensor '\(name)': header entry needs dtype, shape and data_offsets [begin, end]")
            }
            var shape: [Int] = []
            for s in shapeValues {
                guard case .number(let d) = s, d >= 0, d == d.rounded(), d < 1e15 else {
                    throw EngineError("\(path): tensor '\(name)': shape entries must be non-negative integers")
                }
                shape.append(Int(d))
            }
            guard case .number(let b) = offsets[0], case .number(let e) = offsets[1], b >= 0, e >= b,
                  b == b.rounded(), e == e.rounded(), e < 1e15 else {
                throw EngineError("\(path): tensor '\(name)': data_offsets must be two integers with begin ≤ end")
            }
            guard Int(e) <= dataLength else {
                throw EngineError("\(path): truncated file: tensor '\(name)' ends at byte \(Int(e)) of the data buffer, which has only \(dataLength) bytes")
            }
            entries[name] = Entry(dtype: dtype, shape: shape, begin: Int(b), end: Int(e))
        }
        return File(path: path, entries: entries, metadata: metadata, bytes: bytes, dataStart: headerEnd)
    }

    /// Encodes tensors as F32 (sorted by name, contiguous, no padding beyond aligning the header to 8 bytes).
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> [UInt8] {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(JSONText.quote($0)):\(JSONText.quote(metadata[$0]!))" }
            parts.append("\"__metadata__\":{\(m.joined(separator: ","))}")
        }
        var offset = 0
        let names = tensors.keys.sorted()
        for name in names {
            let t = tensors[name]!
            let size = t.count * 4
            parts.append("\(JSONText.quote(name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + size)]}")
            offset += size
        }
        header += parts.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        while headerBytes.count % 8 != 0 { headerBytes.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + headerBytes.count + offset)
        let n = UInt64(headerBytes.count)
        for i in 0..<8 { out.append(UInt8((n >> (8 * UInt64(i))) & 0xff)) }
        out += headerBytes
        for name in names {
            for v in tensors[name]!.data {
                let b = v.bitPattern.littleEndian
                out.append(UInt8(b & 0xff)); out.append(UInt8((b >> 8) & 0xff))
                out.append(UInt8((b >> 16) & 0xff)); out.append(UInt8(b >> 24))
            }
        }
        return out
    }

    public static func write(_ tensors: [String: Tensor], to path: String, metadata: [String: String] = [:]) throws {
        try writeFile(path, encode(tensors, metadata: metadata))
    }

}

/// Reads a whole file; errors name the file.
func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else {
        throw EngineError("\(path): cannot open (\(String(cString: strerror(errno))))")
    }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count {
            if ferror(f) != 0 { throw EngineError("\(path): read error (is it a directory?)") }
            break
        }
    }
    return out
}

func writeFile(_ path: String, _ bytes: [UInt8]) throws {
    guard let f = fopen(path, "wb") else {
        throw EngineError("\(path): cannot create (\(String(cString: strerror(errno))))")
    }
    defer { fclose(f) }
    let n = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, f) }
    guard n == bytes.count else { throw EngineError("\(path): write failed after \(n) of \(bytes.count) bytes") }
}

/// A minimal JSON value and parser, enough for safetensors headers (Engine does not depend on Foundation).
enum JSONValue: Equatable {
    case object([String: JSONValue]), array([JSONValue]), string(String), number(Double), bool(Bool), null
}

struct JSONParser {
    struct Failure: Error { var message: String }
    /// Objects and arrays nested deeper than this are refused (a safetensors header needs 3 levels; without a
    /// bound, a header of 60,000 brackets overflowed the stack of this recursive parser).
    static let maxDepth = 64
    let bytes: ArraySlice<UInt8>
    var i: Int
    var depth = 0

    init(bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        i = bytes.startIndex
    }

    mutating func parseDocument() throws -> JSONValue {
        let v = try value()
        skip()
        guard i == bytes.endIndex else { throw Failure(message: "unexpected text after the JSON value at byte \(i)") }
        return v
    }

    mutating func skip() {
        while i < bytes.endIndex, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[i]) { i += 1 }
    }

    mutating func expect(_ c: UInt8) throws {
        skip()
        guard i < bytes.endIndex, bytes[i] == c else {
            throw Failure(message: "expected '\(Character(Unicode.Scalar(c)))' at byte \(i)")
        }
        i += 1
    }

    mutating func value() throws -> JSONValue {
        skip()
        guard i < bytes.endIndex else { throw Failure(message: "unexpected end of header") }
        let c = bytes[i]
        if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") {
            guard depth < Self.maxDepth else {
                throw Failure(message: "nested deeper than \(Self.maxDepth) levels at byte \(i - bytes.startIndex)")
            }
            depth += 1
        }
        defer { if c == UInt8(ascii: "{") || c == UInt8(ascii: "[") { depth -= 1 } }
        switch c {
        case UInt8(ascii: "{"):
            i += 1
            var o: [String: JSONValue] = [:]
            skip()
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
            while true {
                skip()
                guard case .string(let k) = try value() else { throw Failure(message: "expected a key at byte \(i)") }
                try expect(UInt8(ascii: ":"))
                o[k] = try value()
                skip()
                guard i < bytes.endIndex else { throw Failure(message: "unexpected end of header") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(o) }
                throw Failure(message: "expected ',' or '}' at byte \(i)")
            }
        case UInt8(ascii: "["):
            i += 1
            var a: [JSONValue] = []
            skip()
            if i < bytes.endIndex, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
            while true {
                a.append(try value())
                skip()
                guard i < bytes.endIndex else { throw Failure(message: "unexpected end of header") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(a) }
                throw Failure(message: "expected ',' or ']' at byte \(i)")
            }
        case UInt8(ascii: "\""):
            i += 1
            var scalars: [UInt8] = []
            while true {
                guard i < bytes.endIndex else { throw Failure(message: "unterminated string") }
                let c = bytes[i]
                i += 1
                if c == UInt8(ascii: "\"") { break }
                if c == UInt8(ascii: "\\") {
                    guard i < bytes.endIndex else { throw Failure(message: "unterminated string") }
                    let e = bytes[i]
                    i += 1
                    switch e {
                    case UInt8(ascii: "n"): scalars.append(0x0a)
                    case UInt8(ascii: "t"): scalars.append(0x09)
                    case UInt8(ascii: "r"): scalars.append(0x0d)
                    case UInt8(ascii: "b"): scalars.append(0x08)
                    case UInt8(ascii: "f"): scalars.append(0x0c)
                    case UInt8(ascii: "u"):
                        guard i + 4 <= bytes.endIndex,
                              let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
                            throw Failure(message: "bad \\u escape at byte \(i)")
                        }
                        i += 4
                        scalars += Array(String(Unicode.Scalar(v) ?? "?").utf8)
                    default: scalars.append(e)
                    }
                } else {
                    scalars.append(c)
                }
            }
            return .string(String(decoding: scalars, as: UTF8.self))
        case UInt8(ascii: "t"):
            try literal("true"); return .bool(true)
        case UInt8(ascii: "f"):
            try literal("false"); return .bool(false)
        case UInt8(ascii: "n"):
            try literal("null"); return .null
        default:
            let start = i
            while i < bytes.endIndex, "+-0123456789.eE".utf8.contains(bytes[i]) { i += 1 }
            guard i > start, let d = Double(String(decoding: bytes[start..<i], as: UTF8.self)) else {
                throw Failure(message: "unexpected character at byte \(start)")
            }
            return .number(d)
        }
    }

    mutating func literal(_ word: String) throws {
        let w = Array(word.utf8)
        guard i + w.count <= bytes.endIndex, Array(bytes[i..<(i + w.count)]) == w else {
            throw Failure(message: "unexpected character at byte \(i)")
        }
        i += w.count
    }
}
