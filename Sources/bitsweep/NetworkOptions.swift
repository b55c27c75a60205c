import ArgumentParser
import BitOpsCore
import BitSweepConfig

extension BitOpsConvention: ExpressibleByArgument {}

/// The network options shared by `calc`, `infer`, `bench` and `export`: which network, at which size and precision.
struct NetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Network family: seed (the original demo), mobilenet-v1, or mobilenet-v2 (a graph network: calc, infer, bench and export).", valueName: "preset"))
    var preset: String?

    @Option(help: ArgumentHelp("A model file: YAML or JSON describing the blocks, or an ONNX model (.onnx: calc, infer, bench and export); replaces --preset.", valueName: "file"))
    var model: String?

    @Option(parsing: .unconditional, help: "Number of blocks (seed: 1–12, default 5; mobilenet-v1: the first N of its 13).")
    var blocks: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Weight bits: one value for every block (4) or one per block (8,4,2,4,8). 1–16, or float (also 32).", valueName: "bits"))
    var bits: String?

    @Option(name: .customLong("act-bits"), parsing: .unconditional, help: ArgumentHelp("Activation bits, global or per block; float (default; also 32).", valueName: "bits"))
    var actBits: String?

    @Option(parsing: .unconditional, help: "Input image size in pixels (square). Default: 32 for seed, 224 for mobilenet-v1.")
    var size: Int?

    @Option(parsing: .unconditional, help: "Width multiplier α: mobilenet-v1 channels ⌊α·c⌋ (e.g. 1.0, 0.75, 0.5, 0.25); mobilenet-v2 channels α·c rounded to multiples of 8 (e.g. 1.4, 1.0, 0.35).")
    var width: Double?

    @Option(name: .customLong("stem-bits"), parsing: .unconditional, help: ArgumentHelp("Weight bits of the stem conv (mobilenet-v1 default 8).", valueName: "bits"))
    var stemBits: String?

    @Option(name: .customLong("classifier-bits"), parsing: .unconditional, help: ArgumentHelp("Weight bits of the classifier (seed default float; mobilenet-v1 8).", valueName: "bits"))
    var classifierBits: String?

    @Option(name: .customLong("input-bits"), parsing: .unconditional, help: ArgumentHelp("Bits of the input image, used by the wa convention for the first layer.", valueName: "bits"))
    var inputBits: String = "8"

    @Option(help: ArgumentHelp("BitOps convention: weight (MACs × weight bits), wa (× activation bits too), seed-legacy (the demo's code).", valueName: "name"))
    var convention: BitOpsConvention = .weight

    /// The network and the square input size these options describe.
    func resolve() throws -> (network: NetworkSpec, size: Int) {
        let stemBits = try self.stemBits.map { try BitWidth.parse($0, "stem bits") }
        let classifierBits = try self.classifierBits.map { try BitWidth.parse($0, "classifier bits") }
        let inputBits = try BitWidth.parse(self.inputBits, "input bits")
        let bits = try self.bits.map { try PrecisionPolicy(parsing: $0, what: "bits") }
        let actBits = try self.actBits.map { try PrecisionPolicy(parsing: $0, what: "act-bits") }
        if let onnx = onnxModel { throw Self.engineCannotRun(onnx: onnx) }
        if let model {
            guard preset == nil else { throw InputError("give either --preset or --model, not both") }
            guard blocks == nil else { throw InputError("--blocks does not apply to --model: the model file lists its blocks") }
            guard width == nil else { throw InputError("--width applies to the mobilenet-v1 preset only") }
            var spec = try ModelFile.load(path: model)
            if let bits {
                let list = try bits.resolved(blocks: spec.blocks.count, what: "bits")
                for i in spec.blocks.indices {
                    spec.blocks[i].bits = list[i]
                    spec.blocks[i].depthwiseBits = nil   // --bits sets both layers of every block
                    spec.blocks[i].pointwiseBits = nil
                }
            }
            if let actBits {
                let list = try actBits.resolved(blocks: spec.blocks.count, what: "act-bits")
                for i in spec.blocks.indices { spec.blocks[i].actBits = list[i] }
            }
            if let stemBits {
                guard spec.stem != nil else { throw InputError("--stem-bits \(stemBits) given, but \(model) has no stem") }
                spec.stem?.bits = stemBits
            }
            if let classifierBits { spec.classifierBits = classifierBits }
            spec.inputBits = inputBits
            try spec.validate()
            return (spec, try checkedSize(size ?? 32))
        }
        let name = preset ?? Preset.seed.rawValue
        if let g = graphPreset { throw Self.engineCannotRun(g) }
        guard let p = Preset(rawValue: name) else {
            throw InputError("unknown preset '\(name)': expected one of \(Preset.spellings), \(GraphPreset.spellings)")
        }
        let options = PresetOptions(
            blocks: blocks, bits: bits, actBits: actBits,
            width: width ?? 1.0, stemBits: stemBits, classifierBits: classifierBits, inputBits: inputBits)
        return (try p.network(options), try checkedSize(size ?? p.defaultSize))
    }

    private func checkedSize(_ s: Int) throws -> Int {
        guard (1...16384).contains(s) else { throw InputError("size \(s) is out of range: expected 1–16384 pixels") }
        return s
    }
}
