#if canImport(Glibc)
import Glibc
#endif
import BitOpsCore
import Presentation

/// What building and running a configuration will need, computed from the accounting before anything is
/// allocated. Layouts are assumed padded to 16 channels (oneDNN's blocked formats), which over-estimates
/// slightly.
///
///     weights      = Σ layers params·4 B, twice for layers whose float twin differs (quantized weights)
///     activations  = (2 per network) × batch × largest activation · 4 B + the input batch
///     transient    = one layer's plain weights while they are placed (layers above 32 MB go in ~8 MB chunks)
public struct MemoryEstimate: Hashable, Sendable, Codable {
    public var weightBytes: Int
    public var activationBytes: Int
    public var transientBytes: Int
    public var totalBytes: Int { saturatingSum(weightBytes, activationBytes, transientBytes) }

    public init(cost: CostReport, batch: Int, twin: Bool) {
        func pad(_ c: Int) -> Int { (c + 15) / 16 * 16 }
        var weights = 0, largestLayer = 0, largestActivation = 0
        let allFloat = cost.layers.allSatisfy { $0.weightBits == .float && ($0.kind == .linear || $0.outputBits == .float) }
        let lanes = twin && !allFloat ? 2 : 1
        for l in cost.layers {
            let params: Int
            switch l.kind {
            case .depthwise: params = pad(l.inputShape.channels) * l.kernel * l.kernel
            case .linear: params = pad(l.outputShape.channels) * pad(l.inputShape.channels)
            default: params = pad(l.outputShape.channels) * pad(l.inputShape.channels) * l.kernel * l.kernel
            }
            let copies = lanes == 2 && l.weightBits != .float ? 2 : 1
            weights += (params * copies + pad(l.outputShape.channels)) * 4
            largestLayer = max(largestLayer, l.params * 4)
            let o = l.outputShape
            largestActivation = max(largestActivation, pad(o.channels) * o.height * o.width * 4,
                                    pad(l.inputShape.channels) * l.inputShape.height * l.inputShape.width * 4)
        }
        // Saturating: a batch or size far beyond any machine gives Int.max (and is refused), never a trap.
        let input = saturatingProduct(cost.network.inputChannels, cost.inputSize, cost.inputSize, 4, batch)
        weightBytes = weights
        activationBytes = saturatingSum(saturatingProduct(2, lanes, batch, largestActivation), input)
        transientBytes = min(largestLayer, 40 << 20)
    }

    /// Bytes the kernel says are available (`MemAvailable` in /proc/meminfo), or nil where unknown.
    public static func availableBytes() -> Int? {
        guard let f = fopen("/proc/meminfo", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(cString: line)
            if s.hasPrefix("MemAvailable:") {
                let digits = s.filter(\.isNumber)
                return Int(digits).map { $0 * 1024 }
            }
        }
        return nil
    }

    /// Throws a one-line error with the estimate when it exceeds `limit` (default: 85% of MemAvailable).
    public func check(limit: Int?, what: String) throws {
        guard let budget = MemoryEstimate.budget(limit: limit) else { return }
        guard totalBytes <= budget else {
            throw EngineError("\(what) needs about \(NumberText.bytes(totalBytes)) (weights \(NumberText.bytes(weightBytes)), activations \(NumberText.bytes(activationBytes)), build \(NumberText.bytes(transientBytes))) but only \(NumberText.bytes(budget)) may be used; choose fewer blocks, a smaller size or a smaller batch")
        }
    }
}

/// The process's memory as the kernel reports it (Linux `/proc/self/status`); nil elsewhere.
public enum ProcessMemory {
    /// Peak resident set size (`VmHWM`), in bytes.
    public static func peakResidentBytes() -> Int? { field("VmHWM:") }

    static func field(_ name: String) -> Int? {
        guard let f = fopen("/proc/self/status", "r") else { return nil }
        defer { fclose(f) }
        var line = [CChar](repeating: 0, count: 256)
        while fgets(&line, Int32(line.count), f) != nil {
            let s = String(cString: line)
            if s.hasPrefix(name) { return Int(s.filter(\.isNumber)).map { $0 * 1024 } }
        }
        return nil
    }
}
