/// # Engine — run real images through a quantized MobileNet-style network and measure what precision costs
///
/// The only module that sees oneDNN, libpng and libjpeg. API for callers (the sweep, `infer`, `bench`):
///
/// ```swift
/// // 1. Images: decode once, resize once per size, convert to a CHW float tensor in [0, 1].
/// let image: RGBImage = try ImageFile.load(path: "cat.jpg")      // EngineError names the file on failure
/// let input: Tensor   = image.resized(to: 224).tensor()           // [3, 224, 224]; same size → no resampling
///
/// // 2. Network: build once per configuration (weights generated/loaded and quantized once, primitives
/// //    created once). Refused before allocating when the memory estimate does not fit.
/// let net = try Network(spec: spec, inputSize: 224, weights: .seed(0),          // or .safetensors(path)
///                       options: EngineOptions(granularity: .perTensor,        // or .perChannel
///                                              threads: 1, batchSize: 8,
///                                              fidelity: true,                 // false: no float twin
///                                              initialization: .heNormal))     // or .pytorchDefault
///
/// // 3. Run batches (≤ batchSize images; fewer are padded internally).
/// let out: BatchOutput = try net.run([input, …])
/// out.images[i].logits          // [Float], the quantized network's
/// out.images[i].top5            // [Int]
/// out.images[i].fidelity        // Fidelity? (Codable: sqnr_db, cosine, top1_agree, top5, float_top5,
///                               //            top5_overlap, block_sqnr_db)
/// out.timings                   // RunTimings: quantized / float / overhead seconds (+ per layer with runProfiled)
///
/// // Without building a network: what it would need.
/// MemoryEstimate(cost: try spec.cost(inputSize: 224), batch: 8, twin: true).totalBytes
/// ```
///
/// Determinism: weights depend only on (seed, init rule, tensor name); outputs are bit-identical across runs,
/// thread counts, batch sizes and positions in a batch (checked by the tests), so a sweep gives the same
/// numbers for any `--jobs`. Seeded weights: He-normal by default (N(0, 2/fan_in); see
/// `NetworkWeights.seeded`), BatchNorm at its initial state. Resizing matches Pillow's BILINEAR byte for byte
/// (what torchvision's `Resize((s, s))` does on PIL images: antialiased when shrinking).
///
/// Other pieces: `Quantizer` (weight and activation rules, rounding half to even), `NetworkWeights` (names,
/// seeded init, safetensors loading), `Safetensors` (reader/writer), `foldBatchNorm`, `Resampler`
/// (Pillow-exact bilinear), `Metrics`, `MemoryEstimate`, `ProcessMemory`.
public enum Engine {
    /// oneDNN's version as `major.minor.patch`.
    public static var oneDNNVersion: String { dnnlVersionString() }
}
