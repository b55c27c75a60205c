// swift-tools-version:6.0
// BitSweep — what a quantized MobileNet-style network costs, bit by bit.
// Layers (see docs/architecture.md): pure model/accounting → config → engine → sweep/results → charts → reports.
import PackageDescription

let package = Package(
    name: "BitSweep",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "bitsweep", targets: ["bitsweep"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Pure Swift: network description, presets, shape inference, exact per-layer counts. No dependencies.
        .target(name: "BitOpsCore"),
        // Stable bytes: the one stable hash (FNV-1a), JSON string literals and encoder, atomic file writes. No dependencies.
        .target(name: "StableIO"),
        // How numbers and user text are written in every view: SI/bytes/grouped/percent formats, Markdown/HTML/LaTeX
        // escaping, plain text and Markdown tables. No dependencies.
        .target(name: "Presentation"),
        // The only module that sees YAML: model files, sweep specs, budget profiles (with file:line errors).
        .target(name: "BitSweepConfig", dependencies: ["BitOpsCore", "StableIO", "MixedPrecision", .product(name: "Yams", package: "Yams")]),

        // System libraries, each named for what it wraps.
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
        .target(name: "CImageCodecs", linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo", pkgConfig: "cairo", providers: [.apt(["libcairo2-dev"])]),

        // Engine: tensors, quantizers, oneDNN-backed network, fidelity, image decoding. Only module that sees oneDNN.
        .target(name: "Engine", dependencies: ["BitOpsCore", "Presentation", "StableIO", "CDNNL", "CImageCodecs"]),
        // Results model and its JSON/CSV store (pure: read by reports, compare and budget without the engine).
        .target(name: "Results", dependencies: ["BitOpsCore", "StableIO"]),
        // Sweep runner: grid expansion, cache, shards, merge, progress.
        .target(name: "Sweep", dependencies: [
            "BitOpsCore", "BitSweepConfig", "Engine", "Results", "StableIO", "MixedPrecision", "MixedPrecisionEngine",
            "ONNXImport", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Chart specifications, scales, ticks, layout, palettes, renderer protocol. Knows nothing of Cairo.
        .target(name: "Charts", dependencies: ["BitOpsCore", "Presentation", "StableIO"]),
        // The only module that imports Cairo.
        .target(name: "CairoRender", dependencies: ["Charts", "StableIO", "CCairo"]),
        // Report templates and writers (Markdown, notebook, LaTeX, PDF, plain text); the written forms of compare and
        // budget (their one rendering, their charts and files) and of calc's cost tables.
        .target(name: "Reports", dependencies: ["Results", "Charts", "CairoRender", "BitOpsCore", "Analysis", "BitSweepConfig",
                                               "Presentation", "StableIO", "MixedPrecision", "History"]),
        // Nightly compare and hardware budgets: pure values over results (no charts, no files).
        .target(name: "Analysis", dependencies: ["Results", "BitSweepConfig", "BitOpsCore", "Presentation"]),

        // Mixed-precision search as pure values: per-unit costs, the additive noise model, the exact Pareto front,
        // verification outcome (Reports writes it: SearchRendering, SearchCharts).
        .target(name: "MixedPrecision", dependencies: ["BitOpsCore", "StableIO"]),
        // Sensitivity and verification runs on the engine (weights, images and reference logits made once).
        .target(name: "MixedPrecisionEngine", dependencies: ["MixedPrecision", "Engine", "BitOpsCore"]),

        // The nightly history: runs in a SQLite database (GRDB), steps, timing verdicts, trend chart specs.
        .target(name: "History", dependencies: [
            "Results", "Analysis", "Charts",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // ONNX's schema as Swift (generated once by scripts/generate-onnx-proto.sh and committed: no protoc in builds).
        .target(name: "ONNXProto", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
                exclude: ["README.md"]),
        // A configuration as an ONNX model (QDQ) with the engine's quantized weights. With ONNXImport, the only modules that see ONNXProto.
        .target(name: "ONNXExport", dependencies: [
            "BitOpsCore", "Engine", "ONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),

        // An ONNX model (a trained network) as a GraphNetwork with its float weights (GraphWeights): --model FILE.onnx.
        .target(name: "ONNXImport", dependencies: [
            "BitOpsCore", "Engine", "ONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),

        // The thin command-line layer.
        .executableTarget(name: "bitsweep", dependencies: [
            "BitOpsCore", "BitSweepConfig", "Engine", "Results", "Sweep", "Charts", "CairoRender", "Reports", "Analysis", "History",
            "Presentation", "StableIO",
            "MixedPrecision", "MixedPrecisionEngine", "ONNXExport", "ONNXImport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // A benchmark of the exact Pareto front alone, on a stored sensitivity table (Benchmarks/README.md).
        .executableTarget(name: "front-bench", dependencies: ["MixedPrecision", "BitOpsCore"], path: "Benchmarks/FrontBench"),

        .testTarget(name: "BitOpsCoreTests", dependencies: ["BitOpsCore"]),
        .testTarget(name: "PresentationTests", dependencies: ["Presentation", "StableIO"]),
        .testTarget(name: "BitSweepConfigTests", dependencies: ["BitSweepConfig", "BitOpsCore"]),
        .testTarget(name: "EngineTests", dependencies: ["Engine", "BitOpsCore"], exclude: ["Fixtures"]),
        .testTarget(name: "SweepTests", dependencies: ["Sweep", "Results", "BitSweepConfig", "Engine", "BitOpsCore", "StableIO"]),
        .testTarget(name: "ChartsTests", dependencies: ["Charts", "BitOpsCore"]),
        .testTarget(name: "CairoRenderTests", dependencies: ["CairoRender", "Charts"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Results", "Charts", "BitOpsCore", "Analysis", "BitSweepConfig",
                                                        "Presentation", "StableIO"], exclude: ["Golden"]),
        .testTarget(name: "AnalysisTests", dependencies: ["Analysis", "Reports", "Results", "BitSweepConfig", "BitOpsCore", "Charts"], exclude: ["Fixtures"]),
        .testTarget(name: "MixedPrecisionTests", dependencies: ["MixedPrecision", "MixedPrecisionEngine", "Engine", "BitOpsCore"]),
        .testTarget(name: "HistoryTests", dependencies: ["History", "Analysis", "Results", "BitOpsCore", "Charts"]),
        // Graph exports are read back with ONNXImport (round trips of the committed Tests/Fixtures/onnx models).
        .testTarget(name: "ONNXExportTests", dependencies: [
            "ONNXExport", "ONNXImport", "ONNXProto", "Engine", "BitOpsCore", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        // Reads the committed models in Tests/Fixtures/onnx (scripts/make-onnx-fixtures.py).
        .testTarget(name: "ONNXImportTests", dependencies: [
            "ONNXImport", "ONNXProto", "Engine", "BitOpsCore", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ]),
        // Paper outputs: the default report's tables and figures compiled with pdflatex (texlive-latex-recommended).
        .testTarget(name: "PaperTests", dependencies: ["Reports", "Results", "Sweep", "BitSweepConfig", "Charts", "CairoRender"]),
        // End to end: runs the built `bitsweep` binary and compares with golden files in Tests/CLITests/Snapshots;
        // reads the models `export` writes with ONNXProto (what they hold, not what export printed).
        .testTarget(name: "CLITests", dependencies: [
            "bitsweep", "BitSweepConfig", "MixedPrecision", "ONNXProto", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Snapshots"]),
    ],
    swiftLanguageModes: [.v5]
)
