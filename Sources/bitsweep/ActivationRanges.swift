import BitOpsCore
import Engine

/// Where the activation ranges a network runs with come from, as `infer` reports them: the fixed [0, 6] rule,
/// measured now (`--calibrate` on infer's images), or carried in the model file (a calibrated export read back) —
/// and what `export` and `infer` say when `--calibrate` has nothing to calibrate.

extension GraphNetwork {
    /// Whether any step's output is quantized (what `--calibrate` gives a static grid): false when every activation
    /// is float (no --act-bits), so that there is nothing to calibrate.
    var quantizesActivations: Bool {
        let steps = GraphSteps(self)
        var i = 0
        while i < layers.count {
            let end = steps.end(from: i)
            if layers[end].actBits?.quantized != nil { return true }
            i = end + 1
        }
        return false
    }
}

extension NetworkSpec {
    /// Whether any convolution's output is quantized (what `--calibrate` gives a range): false when every activation
    /// is float (no --act-bits), so that there is nothing to calibrate.
    func quantizesActivations(inputSize: Int) throws -> Bool {
        try cost(inputSize: inputSize).layers.contains { $0.kind != .linear && $0.outputBits.quantized != nil }
    }
}

/// What `export` and `infer` say of `--calibrate method` on a network whose activations are all float: accepted (as a
/// sweep accepts it), nothing measured.
func nothingToCalibrate(_ method: Calibration) -> String {
    "activations float: nothing to calibrate (--calibrate \(method) applies to quantized activations: --act-bits)"
}

/// `calibration` in `infer --format json` and `bench --format json`: the activation ranges the network ran with — `method` and `layers` (per
/// activation on a static grid: `layer`, `bits`, `range`, `scale`), the names a sweep's results.json uses
/// (`ActivationCalibration`) — and `source`, where they came from.
struct CalibrationJSON: Encodable, Equatable {
    enum Source: String, Encodable {
        /// The fixed rule, every ReLU6 output on [0, 6] (a block network without --calibrate).
        case fixed
        /// Measured now: `--calibrate` on infer's own images, with the float network.
        case measured
        /// Carried in the model file: the Clip/QuantizeLinear grids of a calibrated export, read back as the layers'
        /// ranges (`GraphLayer.activationRange`).
        case model
    }
    var source: Source
    /// `fixed`, the method measured with, or the one the model's metadata records (`bitsweep.calibrate`); absent
    /// when the model records none.
    var method: Calibration?
    /// Source `model`: how many layer outputs carry a calibrated range in the file (the other static grids are the
    /// fixed [0, 6] after ReLU6, Sigmoid and HardSigmoid).
    var carriedLayers: Int?
    var layers: [ActivationCalibration.Layer]

    enum CodingKeys: String, CodingKey { case source, method, carriedLayers = "carried_layers", layers }
}

extension EngineTarget {
    /// How many layer outputs carry a calibrated range of the model file (0 for anything but such a graph).
    var carriedRangeCount: Int {
        if case .graph(let g, _) = form { return g.calibratedLayerCount }
        return 0
    }

    /// `17 layer outputs, minmax as its metadata records` (or `…, no method recorded`).
    var carriedRangesText: String {
        let n = carriedRangeCount
        return "\(n) layer output\(n == 1 ? "" : "s"), " + (recordedCalibration.map { "\($0) as its metadata records" } ?? "no method recorded")
    }

    /// `--calibrate` on a model that carries calibrated ranges: refused (infer, bench and export alike), so that the
    /// file runs as the network it describes.
    func carriedRangesRefusal(_ method: Calibration) -> InputError {
        InputError("--calibrate \(method): \(modelFile ?? name) carries its own calibrated activation ranges (\(carriedRangesText)); expected no --calibrate (the model runs and exports on the ranges it carries), or the model before calibration to measure new ones")
    }

    /// The activation ranges `net` (built from this target) runs with and where they came from; nil for a graph
    /// network on the fixed and per-image grids (its default JSON stays as it was).
    func activationRanges(_ net: any InferenceNetwork) -> CalibrationJSON? {
        if carriedRangeCount > 0, let g = net as? GraphExecutor {
            return CalibrationJSON(source: .model, method: recordedCalibration, carriedLayers: carriedRangeCount,
                                   layers: g.activationCalibration.layers)
        }
        guard let c = activationCalibration(net) else { return nil }
        return CalibrationJSON(source: c.method == .fixed ? .fixed : .measured, method: c.method, carriedLayers: nil, layers: c.layers)
    }

    /// The line `infer` and `bench` print about the ranges: measured now (`activation ranges: minmax: block0.depthwise
    /// 1.816, … (measured now on 4 images)`, what they were measured on in parentheses: `measuredOn`), carried in the
    /// model file, or nothing to calibrate; nil (no line, as before) for the fixed ranges and for a graph without
    /// calibration.
    func activationRangesLine(_ c: CalibrationJSON?, measuredOn: String) -> String? {
        guard let c else { return nil }
        let ranges = c.layers.map { "\($0.layer) \((Double($0.range) * 1000).rounded() / 1000)" }.joined(separator: ", ")
        switch c.source {
        case .fixed: return nil
        case .measured:
            guard let method = c.method, !c.layers.isEmpty else { return c.method.map { "activation ranges: none, " + nothingToCalibrate($0) } }
            return "activation ranges: \(method): \(ranges) (\(measuredOn))"
        case .model:
            return "activation ranges: carried in \(modelFile ?? name) (\(carriedRangesText)): \(ranges)"
        }
    }
}
