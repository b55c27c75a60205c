#if canImport(Glibc)
import Glibc
#endif
import CDNNL
import Presentation

// A thin, owning layer over oneDNN's C API: status checks that become Swift errors, memory descriptors,
// aligned buffers, and primitives that free themselves. Nothing outside Engine sees oneDNN.

/// Argument indices of `dnnl_primitive_execute` (`DNNL_ARG_*` are nested C macros Swift does not import).
enum DNNLArg {
    static let src: Int32 = 1
    static let dst: Int32 = 17
    static let weights: Int32 = 33
    static let bias: Int32 = 41
    static let scratchpad: Int32 = 80
}

@inline(__always)
func dnnlCheck(_ status: dnnl_status_t, _ what: @autoclosure () -> String) throws {
    guard status == dnnl_success else {
        throw EngineError("oneDNN: \(what()) failed (status \(status.rawValue))")
    }
}

/// Sets the OpenMP thread count of the calling thread (oneDNN's CPU runtime here is OpenMP).
func setThreads(_ n: Int) {
    omp_set_num_threads(Int32(max(1, n)))
}

/// A 64-byte aligned, zero-filled byte buffer.
final class AlignedBuffer {
    let bytes: Int
    let pointer: UnsafeMutableRawPointer

    init(bytes: Int) throws {
        self.bytes = max(bytes, 64)
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, self.bytes) == 0, let p else {
            throw EngineError("out of memory allocating \(NumberText.bytes(bytes))")
        }
        memset(p, 0, self.bytes)
        pointer = p
    }

    var floats: UnsafeMutablePointer<Float> { pointer.assumingMemoryBound(to: Float.self) }

    deinit { free(pointer) }
}

enum MemoryDesc {
    static func make(_ dims: [Int], tag: dnnl_format_tag_t, type: dnnl_data_type_t = dnnl_f32) throws -> dnnl_memory_desc_t {
        var md = dnnl_memory_desc_t()
        let d = dims.map { Int64($0) }
        try dnnlCheck(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, type, tag), "memory descriptor \(dims)")
        return md
    }

    static func bytes(_ md: dnnl_memory_desc_t) -> Int {
        var m = md
        return Int(dnnl_memory_desc_get_size(&m))
    }

    static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
        var x = a, y = b
        return dnnl_memory_desc_equal(&x, &y) != 0
    }

    /// The product of the inner blocks on `dimension` (1 when unblocked); nil for non-blocked formats.
    static func blockSize(_ md: dnnl_memory_desc_t, dimension: Int) -> Int? {
        guard md.format_kind == dnnl_blocked else { return nil }
        var b = md.format_desc.blocking
        let n = Int(b.inner_nblks)
        var size = 1
        withUnsafeBytes(of: &b.inner_blks) { blocks in
            withUnsafeBytes(of: &b.inner_idxs) { indices in
                for i in 0..<n where indices.load(fromByteOffset: i * 8, as: Int64.self) == Int64(dimension) {
                    size *= Int(blocks.load(fromByteOffset: i * 8, as: Int64.self))
                }
            }
        }
        return size
    }

    /// Elements per image when the outermost (batch) dimension is laid out outermost, as in every activation
    /// format oneDNN chooses for these networks (nchw, nhwc, nChw8c, nChw16c); nil otherwise.
    static func perImageFloats(_ md: dnnl_memory_desc_t, batch: Int) -> Int? {
        guard md.format_kind == dnnl_blocked else { return nil }
        let total = bytes(md) / MemoryLayout<Float>.size
        let s0 = Int(md.format_desc.blocking.strides.0)
        guard s0 * batch == total else { return nil }
        return s0
    }
}

/// A oneDNN memory object viewing a buffer it does not own (the owner keeps the buffer alive).
final class DNNLMemory {
    let handle: dnnl_memory_t
    let desc: dnnl_memory_desc_t

    init(_ desc: dnnl_memory_desc_t, engine: dnnl_engine_t, pointer: UnsafeMutableRawPointer) throws {
        var md = desc
        var m: dnnl_memory_t?
        try dnnlCheck(dnnl_memory_create(&m, &md, engine, pointer), "memory object")
        handle = m!
        self.desc = desc
    }

    deinit { dnnl_memory_destroy(handle) }
}

final class DNNLPrimitive {
    let handle: dnnl_primitive_t
    init(_ pd: const_dnnl_primitive_desc_t) throws {
        var p: dnnl_primitive_t?
        try dnnlCheck(dnnl_primitive_create(&p, pd), "primitive creation")
        handle = p!
    }
    deinit { dnnl_primitive_destroy(handle) }
}

/// A primitive descriptor that frees itself; also answers the memory-descriptor queries.
final class DNNLPrimitiveDesc {
    let handle: dnnl_primitive_desc_t

    init(_ opDesc: UnsafeRawPointer, attr: const_dnnl_primitive_attr_t?, engine: dnnl_engine_t, what: String) throws {
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_primitive_desc_create(&pd, opDesc, attr, engine, nil), what)
        handle = pd!
    }

    init(reorderFrom src: dnnl_memory_desc_t, to dst: dnnl_memory_desc_t, engine: dnnl_engine_t,
         attr: const_dnnl_primitive_attr_t?) throws {
        var s = src, d = dst
        var pd: dnnl_primitive_desc_t?
        try dnnlCheck(dnnl_reorder_primitive_desc_create(&pd, &s, engine, &d, engine, attr), "reorder")
        handle = pd!
    }

    func md(_ what: dnnl_query_t, index: Int32 = 0) -> dnnl_memory_desc_t {
        dnnl_primitive_desc_query_md(handle, what, index)!.pointee
    }

    var implementation: String {
        var s: UnsafePointer<CChar>?
        _ = withUnsafeMutablePointer(to: &s) { dnnl_primitive_desc_query(handle, dnnl_query_impl_info_str, 0, $0) }
        return s.map { String(cString: $0) } ?? "?"
    }

    deinit { dnnl_primitive_desc_destroy(handle) }
}

/// One CPU engine and one in-order stream.
final class DNNLContext {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t

    init() throws {
        var e: dnnl_engine_t?
        try dnnlCheck(dnnl_engine_create(&e, dnnl_cpu, 0), "CPU engine")
        engine = e!
        var s: dnnl_stream_t?
        try dnnlCheck(dnnl_stream_create(&s, engine, dnnl_stream_default_flags.rawValue), "stream")
        stream = s!
    }

    /// Copies `source` (plain layout `from`) into a new buffer laid out as `to`.
    func reorder(_ source: UnsafeMutableRawPointer, from: dnnl_memory_desc_t, to: dnnl_memory_desc_t) throws -> AlignedBuffer {
        let out = try AlignedBuffer(bytes: MemoryDesc.bytes(to))
        if MemoryDesc.equal(from, to) {
            memcpy(out.pointer, source, MemoryDesc.bytes(from))
            return out
        }
        try reorder(source, from: from, to: to, into: out.pointer)
        return out
    }

    /// Copies `source` (layout `from`) into `destination` as laid out by `to` (which may be a sub-memory
    /// descriptor of a larger buffer starting at `destination`).
    func reorder(_ source: UnsafeMutableRawPointer, from: dnnl_memory_desc_t, to: dnnl_memory_desc_t,
                 into destination: UnsafeMutableRawPointer) throws {
        let pd = try DNNLPrimitiveDesc(reorderFrom: from, to: to, engine: engine, attr: nil)
        let prim = try DNNLPrimitive(pd.handle)
        let a = try DNNLMemory(from, engine: engine, pointer: source)
        let b = try DNNLMemory(to, engine: engine, pointer: destination)
        var args = [dnnl_exec_arg_t(arg: DNNLArg.src, memory: a.handle), dnnl_exec_arg_t(arg: DNNLArg.dst, memory: b.handle)]
        try dnnlCheck(dnnl_primitive_execute(prim.handle, stream, 2, &args), "weight reorder")
        try dnnlCheck(dnnl_stream_wait(stream), "stream wait")
    }

    deinit {
        dnnl_stream_destroy(stream)
        dnnl_engine_destroy(engine)
    }
}

func dnnlVersionString() -> String {
    guard let v = dnnl_version() else { return "?" }
    return "\(v.pointee.major).\(v.pointee.minor).\(v.pointee.patch)"
}
