import BitOpsCore
import Foundation
import StableIO

/// Reading and writing results folders. Every write goes to a temporary file in the same folder and is then
/// renamed over the final name, so no reader ever sees a half-written `results.json`.
public enum ResultsStore {
    public static let resultsFile = "results.json"
    public static let csvFile = "results.csv"
    public static let runFile = "run.json"
    /// The hardware-budget profiles the sweep's spec named, copied into the results folder so that the folder
    /// is self-contained: `report` and `budget` read this copy wherever the folder is moved.
    public static let budgetsFile = "budgets.yaml"

    /// The profiles file kept in results folder `dir` (a folder, or its results.json), if there is one.
    public static func keptBudgets(in dir: String) -> String? {
        var isDir: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: dir, isDirectory: &isDir) && isDir.boolValue
            ? dir : (dir as NSString).deletingLastPathComponent
        let path = (folder as NSString).appendingPathComponent(budgetsFile)
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Copies the profiles file `source` into results folder `dir` as `budgets.yaml` (atomically).
    public static func keepBudgets(from source: String, in dir: String) throws {
        guard let data = FileManager.default.contents(atPath: source) else {
            throw FileSystemError(path: source, action: "cannot read the budget profiles", reason: "missing or unreadable")
        }
        try AtomicFile.write(data, to: (dir as NSString).appendingPathComponent(budgetsFile))
    }

    /// An error reading a results folder, naming the file.
    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The canonical JSON encoding: sorted keys, pretty-printed, no escaped slashes (stable bytes).
    public static func encoder() -> JSONEncoder { JSONText.encoder() }

    /// Accepts a results folder or the path of its `results.json`.
    public static func resultsPath(_ path: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            return (path as NSString).appendingPathComponent(resultsFile)
        }
        return path
    }

    public static func load(_ path: String) throws -> ResultsSet {
        let file = resultsPath(path)
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LoadError(description: "\(file): no results here (expected a results folder or its results.json)")
        }
        do {
            return try JSONDecoder().decode(ResultsSet.self, from: data)
        } catch let e as ResultsSet.UnsupportedSchema {
            throw LoadError(description: "\(file): results schema version \(e.version) is not supported (expected \(ResultsSet.readableSchemas.lowerBound)–\(ResultsSet.readableSchemas.upperBound))")
        } catch {
            throw LoadError(description: "\(file): not a BitSweep results file (\(Self.describe(error)))")
        }
    }

    public static func loadRunInfo(_ dir: String) -> RunInfo? {
        let file = (dir as NSString).appendingPathComponent(runFile)
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return try? JSONDecoder().decode(RunInfo.self, from: data)
    }

    /// Writes `results.json` and `results.csv` into `dir` (created if needed), atomically each.
    public static func write(_ set: ResultsSet, to dir: String) throws {
        try Folder.create(dir)
        try AtomicFile.write(try encoder().encode(set) + Data("\n".utf8), to: (dir as NSString).appendingPathComponent(resultsFile))
        try AtomicFile.write(Data(set.csv().utf8), to: (dir as NSString).appendingPathComponent(csvFile))
    }

    public static func write(_ info: RunInfo, to dir: String) throws {
        try Folder.create(dir)
        try AtomicFile.write(try encoder().encode(info) + Data("\n".utf8), to: (dir as NSString).appendingPathComponent(runFile))
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, let c):
            return "missing key '\(k.stringValue)' at \(c.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
            return "wrong type at \(c.codingPath.map(\.stringValue).joined(separator: ".")): \(c.debugDescription)"
        case DecodingError.dataCorrupted(let c):
            return c.debugDescription
        default:
            return "\(error)"
        }
    }
}

extension ResultsSet {
    /// The CSV columns, in order. One row per case; numbers unformatted; exact integers. `weight_precision` and
    /// `act_precision` are the policies' labels, `weight_bits` and `act_bits` the widths of the blocks
    /// (space-separated, `float` for float); weight storage is `weight_storage_bits` and `…_bytes`.
    public static let csvColumns = [
        "id", "family", "size", "blocks", "weight_precision", "act_precision", "weight_bits", "act_bits", "width",
        "stem_bits", "classifier_bits", "convention", "quantization", "bitops", "macs", "params", "weight_storage_bits",
        "weight_storage_bytes",
        "peak_activation_bytes", "images", "sqnr_db_mean", "sqnr_db_min", "cosine_mean", "cosine_min",
        "top1_agreement", "ms_per_image", "images_per_second", "error",
    ]

    /// Columns appended after `csvColumns` when some case has an accuracy (a labelled image set): top-1 and
    /// top-5 accuracy (0…1) of the quantized network and of its float twin. An unlabelled set's CSV has none.
    public static let accuracyColumns = ["top1_accuracy", "top5_accuracy", "float_top1_accuracy", "float_top5_accuracy"]

    /// Columns appended last, always: which kernels ran (`kernels`: the summary; `int8_layers` of `layers`;
    /// `layer_kernels`: `stem:float block0.depthwise:int8 …`), and on integer kernels the SQNR of the integer run
    /// against the simulated run of the same configuration (mean and minimum over the images). Empty for a case
    /// that did not run, or read from a file written before integer kernels.
    public static let kernelColumns = ["kernels", "int8_layers", "layers", "layer_kernels", "simulated_sqnr_db_mean", "simulated_sqnr_db_min"]

    /// The last column, after the kernel columns: the timing samples `ms_per_image` is the median of (one per
    /// `--repeats` round, in ms, space-separated like `weight_bits`; their count is the number of rounds, and
    /// `compare` judges timing changes on them). Empty for a case without timings.
    public static let timingSampleColumns = ["samples_ms_per_image"]

    /// `results.csv`: RFC 4180 quoting where a field needs it.
    public func csv() -> String {
        let q = CSVText.field
        func d(_ v: Double?) -> String { v.map { String(format: "%.6g", $0) } ?? "" }
        let labelled = cases.contains { $0.accuracy != nil }
        var lines = [(Self.csvColumns + (labelled ? Self.accuracyColumns : []) + Self.kernelColumns + Self.timingSampleColumns).joined(separator: ",")]
        for c in cases {
            let t = c.cost.totals
            let f = c.fidelity
            let row: [String] = [
                c.id, c.config.family, String(c.config.size), String(c.config.blocks), c.config.weightPrecision.description,
                c.config.actPrecision.description, c.config.weightPrecision.blocks.map(\.description).joined(separator: " "),
                c.config.actPrecision.blocks.map(\.description).joined(separator: " "), String(c.config.width),
                c.config.stemBits?.description ?? "", c.config.classifierBits.description, c.config.convention.rawValue,
                c.config.quantization.rawValue, String(t.bitops), String(t.macs), String(t.params), String(t.weightStorageBits),
                String(t.weightStorageBytes), String(t.peakActivationBytes), String(f?.images ?? 0), d(f?.sqnrDBMean),
                d(f?.sqnrDBMin), d(f?.cosineMean), d(f?.cosineMin), d(f?.top1Agreement), d(c.timings?.msPerImage),
                d(c.timings?.imagesPerSecond), c.error ?? "",
            ]
            let a = c.accuracy
            let accuracy = labelled ? [d(a?.top1), d(a?.top5), d(a?.floatTop1), d(a?.floatTop5)] : []
            let k = c.kernels
            let kernels = [k?.summary ?? "", k.map { String($0.int8Layers) } ?? "", k.map { String($0.layers.count) } ?? "",
                           k?.perLayerText ?? "", d(f?.simulatedSQNRMean), d(f?.simulatedSQNRMin)]
            let samples = [c.timings.map { $0.samples.map { d($0) }.joined(separator: " ") } ?? ""]
            lines.append((row + accuracy + kernels + samples).map(q).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
