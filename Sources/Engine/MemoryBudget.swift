#if canImport(Glibc)
import Glibc
#endif
import Presentation

/// `a × b × …`, or `Int.max` when the product does not fit (counts from the command line can be anything).
public func saturatingProduct(_ factors: Int...) -> Int {
    var p = 1
    for f in factors {
        let (r, overflow) = p.multipliedReportingOverflow(by: f)
        if overflow { return Int.max }
        p = r
    }
    return p
}

/// `a + b + …`, or `Int.max` when the sum does not fit.
public func saturatingSum(_ terms: Int...) -> Int {
    var s = 0
    for t in terms {
        let (r, overflow) = s.addingReportingOverflow(t)
        if overflow { return Int.max }
        s = r
    }
    return s
}

extension MemoryEstimate {
    /// The bytes a run may use: `limit` when given; otherwise 85% of `MemAvailable`, and no more than 85% of
    /// what the address-space limit (`ulimit -v`) leaves above what the process has mapped already. Nil when
    /// nothing is known.
    public static func budget(limit: Int?) -> Int? {
        if let limit { return limit }
        var budget = availableBytes().map { $0 / 100 * 85 }
        if let left = addressSpaceLeft() {
            budget = min(budget ?? Int.max, left / 100 * 85)
        }
        return budget
    }

    /// What `RLIMIT_AS` leaves above the process's current virtual size, or nil without such a limit.
    static func addressSpaceLeft() -> Int? {
        var r = rlimit()
        guard getrlimit(Int32(RLIMIT_AS.rawValue), &r) == 0, r.rlim_cur != rlim_t.max else { return nil }
        let limit = r.rlim_cur > UInt64(Int.max) ? Int.max : Int(r.rlim_cur)
        let used = ProcessMemory.virtualBytes() ?? 0
        return max(0, limit - used)
    }

    /// Bytes of `count` input tensors of `channels` × `size` × `size` floats, as a run holds them.
    public static func inputTensorBytes(count: Int, channels: Int = 3, size: Int) -> Int {
        saturatingProduct(count, channels, size, size, MemoryLayout<Float>.size)
    }

    /// As `check(limit:what:)`, with `images` more bytes held beside the network (the prepared input images
    /// of a run): called before those images are resized or allocated.
    public func check(limit: Int?, what: String, imageBytes images: Int) throws {
        guard let budget = MemoryEstimate.budget(limit: limit) else { return }
        let total = saturatingSum(totalBytes, images)
        guard total <= budget else {
            throw EngineError("\(what) needs about \(NumberText.bytes(total)) (weights \(NumberText.bytes(weightBytes)), activations \(NumberText.bytes(activationBytes)), build \(NumberText.bytes(transientBytes)), input images \(NumberText.bytes(images))) but only \(NumberText.bytes(budget)) may be used; choose fewer blocks, a smaller size, a smaller batch or fewer images")
        }
    }
}

extension ProcessMemory {
    /// Current virtual size (`VmSize`), in bytes.
    public static func virtualBytes() -> Int? { field("VmSize:") }
}
