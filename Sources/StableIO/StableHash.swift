/// A hash that is the same on every run, process and platform (unlike `Hasher`/`hashValue`, which are seeded
/// per process): 64-bit FNV-1a over UTF-8 bytes. For seeds, file-name suffixes and colour picks — not for
/// content addressing (the sweep cache uses SHA-256) or anything an adversary chooses.
public enum StableHash {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x100_0000_01b3

    /// FNV-1a, 64-bit, of `s`'s UTF-8 bytes (`fnv1a("")` is the offset basis 0xcbf29ce484222325).
    public static func fnv1a(_ s: String) -> UInt64 {
        var h = offsetBasis
        for b in s.utf8 {
            h ^= UInt64(b)
            h = h &* prime
        }
        return h
    }

    /// The hash as 16 lowercase hex digits (leading zeros kept), cut to its first `length` digits.
    public static func hex(_ s: String, length: Int = 16) -> String {
        let digits = String(fnv1a(s), radix: 16)
        return String((String(repeating: "0", count: 16 - digits.count) + digits).prefix(length))
    }
}
