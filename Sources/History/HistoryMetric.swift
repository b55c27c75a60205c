import Analysis
import Foundation
import Results

/// What the history keeps of each case, one row per run × case × metric. Names are those of results.csv.
///
/// Counts are exact integers and stored as SQLite integers; fidelity and time are measured values (doubles).
/// Time keeps its samples (one per `--repeats` round) beside the median.
public enum HistoryMetric: String, CaseIterable, Codable, Sendable, Comparable {
    case bitops, macs, params
    case weightBits = "weight_bits"
    case peakActivationBits = "peak_activation_bits"
    case sqnrDBMean = "sqnr_db_mean"
    case sqnrDBMin = "sqnr_db_min"
    case cosineMean = "cosine_mean"
    case top1Agreement = "top1_agreement"
    case msPerImage = "ms_per_image"

    public enum Kind: String, Sendable { case count, fidelity, time }

    public var kind: Kind {
        switch self {
        case .bitops, .macs, .params, .weightBits, .peakActivationBits: return .count
        case .sqnrDBMean, .sqnrDBMin, .cosineMean, .top1Agreement: return .fidelity
        case .msPerImage: return .time
        }
    }

    /// Lower is better for counts and time, higher for fidelity.
    public var higherIsBetter: Bool { kind == .fidelity }

    public var unit: String {
        switch self {
        case .bitops: return "BitOps"
        case .macs: return "MACs"
        case .params: return "parameters"
        case .weightBits, .peakActivationBits: return "bits"
        case .sqnrDBMean, .sqnrDBMin: return "dB"
        case .cosineMean, .top1Agreement: return ""
        case .msPerImage: return "ms/image"
        }
    }

    public static func < (a: Self, b: Self) -> Bool { allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)! }

    /// The values of one case: exact counts, measured values, and time samples.
    public static func values(of c: CaseResult) -> [(HistoryMetric, HistoryValue)] {
        let t = c.cost.totals
        var out: [(HistoryMetric, HistoryValue)] = [
            (.bitops, .exact(t.bitops)), (.macs, .exact(t.macs)), (.params, .exact(t.params)),
            (.weightBits, .exact(t.weightStorageBits)), (.peakActivationBits, .exact(t.peakActivationBits)),
        ]
        if let f = c.fidelity {
            // An exact case (∞ dB) is stored as +∞'s stand-in, the mean's ceiling (FidelitySummary.exactSQNR).
            out.append((.sqnrDBMean, .measured(f.sqnrDBMean ?? FidelitySummary.exactSQNR, samples: [])))
            out.append((.sqnrDBMin, .measured(f.sqnrDBMin ?? FidelitySummary.exactSQNR, samples: [])))
            out.append((.cosineMean, .measured(f.cosineMean, samples: [])))
            out.append((.top1Agreement, .measured(f.top1Agreement, samples: [])))
        }
        if let tm = c.timings, c.error == nil {
            out.append((.msPerImage, .measured(tm.msPerImage, samples: tm.samples)))
        }
        return out
    }
}

/// One stored value.
public enum HistoryValue: Hashable, Sendable {
    case exact(Int)
    case measured(Double, samples: [Double])

    public var double: Double {
        switch self {
        case .exact(let i): return Double(i)
        case .measured(let d, _): return d
        }
    }
    public var samples: [Double] {
        switch self {
        case .exact(let i): return [Double(i)]
        case .measured(let d, let s): return s.isEmpty ? [d] : s
        }
    }
}
