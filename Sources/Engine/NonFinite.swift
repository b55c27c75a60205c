import CDNNL

/// Non-finite outputs (NaN or ±∞): weights or activations that overflow float32. They are an error of the
/// run, never a result (an SQNR of NaN must not read as "exact"), and the error names the first layer whose
/// output went non-finite, found by running the batch again one layer at a time. Shared by both network forms
/// (`Network` and `GraphExecutor`, through `LaneNetwork`).
extension LaneNetwork {
    /// True when the first `count` floats at `p` are all finite.
    func allFinite(_ p: UnsafeMutablePointer<Float>, _ count: Int) -> Bool {
        var i = 0
        while i < count {
            if !p[i].isFinite { return false }
            i += 1
        }
        return true
    }

    /// Runs the batch already in the input buffer again, layer by layer, checking each layer's output in
    /// both networks; the error names the first layer (and which network) that produced a NaN or an infinity.
    /// Called with the lock held, after a run whose logits were not finite.
    func nonFiniteError(imageCount: Int) -> EngineError {
        let n = options.batchSize
        // Each lane runs its own steps (the integer run has its own list); the first step of each lane whose
        // f32 output is not finite is named (u8 codes are always finite).
        var culprits: [(index: Int, layer: String, network: String)] = []
        for (l, lane) in runLanes.enumerated() {
            for k in 0..<lane.stepCount {
                do { try lane.execute(k, stream: context.stream) } catch {
                    return EngineError("non-finite values (NaN or ±∞) in the network's output; re-running to find their layer failed: \(error)")
                }
                guard let output = lane.f32Output(k) else { continue }
                let md = lane.outputMD(k)
                let total = MemoryDesc.bytes(md) / MemoryLayout<Float>.size
                // Only the real images of the batch (the padding images are zeros).
                let count = MemoryDesc.perImageFloats(md, batch: n).map { $0 * imageCount } ?? total
                if !allFinite(output, min(count, total)) {
                    culprits.append((k, lane.stepName(k), l == 0 ? "quantized network" : "float twin"))
                    break
                }
            }
        }
        culprits.sort { $0.index < $1.index }
        if let first = culprits.first {
            let sameLayer = culprits.count == 2 && culprits[1].index == first.index
            let who = sameLayer ? "quantized network and the float twin" : first.network
            return EngineError("non-finite values (NaN or ±∞): the output of layer '\(first.layer)' of the \(who) went non-finite first (weights or activations overflow float32)")
        }
        return EngineError("non-finite values (NaN or ±∞) in the network's output")
    }
}
