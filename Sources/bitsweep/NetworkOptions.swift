import ArgumentParser
import BitOpsCore
import BitSweepConfig

extension BitOpsConvention: ExpressibleByArgument {}

/// The network options shared by `calc`, `infer` and `bench`: which network, at which size and precision.
struct NetworkOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Network family: seed (the original demo) or mobilenet-v1.", valueName: "preset"))
    var preset: String?

    @Option(help: ArgumentHelp("A model file (YAML or JSON) describing the blocks; replaces --preset.", valueName: "file"))
    var model: String?

    @Option(parsing: .unconditional, help: "Number of blocks (seed: 1–12, default 5; mobilenet-v1: the first N of its 13).")
    var blocks: Int?

    @Option(parsing: .unconditional, help: ArgumentHelp("Weight bits: one value for every block (4) or one per block (8,4,2,4,8). 1–16, or 32 for float.", valueName: "bits"))
    var bits: String?

    @Option(name: .customLong("act-bits"), parsing: .unconditional, help: ArgumentHelp("Activation bits, global or per block; 32 = float (default).", valueName: "bits"))
    var actBits: String?

    @Option(parsing: .unconditional, help: "Input image size in pixels (square). Default: 32 for seed, 224 for mobilenet-v1.")
    var size: Int?

    @Option(parsing: .unconditional, help: "mobilenet-v1 width multiplier α (channels ⌊α·c⌋), e.g. 1.0, 0.75, 0.5, 0.25.")
    var width: Double?

    @Option(name: .customLong("stem-bits"), parsing: .unconditional, help: "Weight bits of the stem conv (mobilenet-v1 default 8).")
    var stemBits: Int?

    @Option(name: .customLong("classifier-bits"), parsing: .unconditional, help: "Weight bits of the classifier (seed default 32 = float; mobilenet-v1 8).")
    var classifierBits: Int?

    @Option(name: .customLong("input-bits"), parsing: .unconditional, help: "Bits of the input image, used by the wa convention for the first layer.")
    var inputBits: Int = 8

    @Option(help: ArgumentHelp("BitOps convention: weight (MACs × weight bits), wa (× activation bits too), seed-legacy (the demo's code).", valueName: "name"))
    var convention: BitOpsConvention = .weight

    /// The network and the square input size these options describe.
    func resolve() throws -> (network: NetworkSpec, size: Int) {
        if let model {
            guard preset == nil else { throw InputError("give either --preset or --model, not both") }
            guard blocks == nil else { throw InputError("--blocks does not apply to --model: the model file lists its blocks") }
            guard width == nil else { throw InputError("--width applies to the mobilenet-v1 preset only") }
            var spec = try ModelFile.load(path: model)
            if let bits {
                let list = try BitsChoice(parsing: bits, what: "bits").resolve(blocks: spec.blocks.count, what: "bits")
                for i in spec.blocks.indices { spec.blocks[i].bits = list[i] }
            }
            if let actBits {
                let list = try BitsChoice(parsing: actBits, what: "act-bits").resolve(blocks: spec.blocks.count, what: "act-bits")
                for i in spec.blocks.indices { spec.blocks[i].actBits = list[i] }
            }
            if let stemBits {
                guard spec.stem != nil else { throw InputError("--stem-bits \(stemBits) given, but \(model) has no stem") }
                try Precision.check(stemBits, "stem bits")
                spec.stem?.bits = stemBits
            }
            if let classifierBits { spec.classifierBits = classifierBits }
            try Precision.check(inputBits, "input bits")
            spec.inputBits = inputBits
            try spec.validate()
            return (spec, try checkedSize(size ?? 32))
        }
        let name = preset ?? Preset.seed.rawValue
        guard let p = Preset(rawValue: name) else {
            throw InputError("unknown preset '\(name)': expected one of \(Preset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try Precision.check(inputBits, "input bits")
        let options = PresetOptions(
            blocks: blocks,
            bits: try bits.map { try BitsChoice(parsing: $0, what: "bits") },
            actBits: try actBits.map { try BitsChoice(parsing: $0, what: "act-bits") },
            width: width ?? 1.0, stemBits: stemBits, classifierBits: classifierBits, inputBits: inputBits)
        return (try p.network(options), try checkedSize(size ?? p.defaultSize))
    }

    private func checkedSize(_ s: Int) throws -> Int {
        guard (1...16384).contains(s) else { throw InputError("size \(s) is out of range: expected 1–16384 pixels") }
        return s
    }
}
