import ArgumentParser
import BitOpsCore
import Foundation
import StableIO
import Reports

/// `bitsweep calc`: the exact cost of one configuration, layer by layer (what the demo app showed).
struct Calc: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count BitOps, MACs, parameters and weight storage of one network, layer by layer.",
        discussion: """
        With no options: the seed preset (the original demo's network) with 5 blocks, 4-bit weights, \
        32×32 input.

        Examples:
          bitsweep calc --blocks 5 --bits 8,4,2,4,8
          bitsweep calc --preset mobilenet-v1 --width 0.5 --format json
          bitsweep calc --preset mobilenet-v2 --width 1.4 --layer-bits 'features.*.conv.0.*=4'
          bitsweep calc --model Inputs/models/seed5-mixed.yaml --format latex
          bitsweep calc --model Tests/Fixtures/onnx/mnv2-folded.onnx --bits 4
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, csv, markdown, latex
    }

    @OptionGroup var network: NetworkOptions

    @Option(help: "Output format: table, json, csv, markdown or latex.")
    var format: Format = .table

    @Flag(help: "In the table, print exact integers with thousands separators instead of SI prefixes (k, M, G).")
    var exact = false

    @Option(name: .customLong("layer-bits"), parsing: .unconditionalSingleValue, help: ArgumentHelp("Weight bits of the layers whose names match a pattern, e.g. 'features.*.conv.0.*=4' (mobilenet-v2, ONNX models) or 'block*.depthwise=8' (seed, mobilenet-v1, model files; counted as a graph). `*` stays within a dot-separated segment, `**` crosses them; the most specific pattern wins. Repeatable.", valueName: "pattern=bits"))
    var layerBits: [String] = []

    func run() throws {
        let rules = try layerBits.map { try LayerBitsRule(parsing: $0) }
        if let path = network.onnxModel {
            let (_, graph, size) = try network.resolveONNX(path, layerBits: rules)
            try write(graph.cost(inputSize: size, convention: network.convention))
            return
        }
        if let g = network.graphPreset {
            let (graph, size) = try network.resolveGraph(g, layerBits: rules)
            try write(graph.cost(inputSize: size, convention: network.convention))
            return
        }
        let (spec, size) = try network.resolve()
        if !rules.isEmpty {
            // Per-layer bits by pattern: the block network counted as its graph (the same rows and totals).
            try write(spec.graph().settingLayerBits(rules).cost(inputSize: size, convention: network.convention))
            return
        }
        let report = try spec.cost(inputSize: size, convention: network.convention)
        switch format {
        case .table: print(report.textTable(exact ? .exact : .si), terminator: "")
        case .json: print(try CalcJSON.encode(report))
        case .csv: print(report.csvTable(), terminator: "")
        case .markdown: print(report.markdownTable(), terminator: "")
        case .latex: print(report.latexTable(), terminator: "")
        }
    }

    private func write(_ report: GraphCostReport) throws {
        switch format {
        case .table: print(report.textTable(exact ? .exact : .si), terminator: "")
        case .json: print(String(decoding: try JSONText.encoder().encode(GraphCost<String>(report)), as: UTF8.self))
        case .csv: print(report.csvTable(), terminator: "")
        case .markdown: print(report.markdownTable(), terminator: "")
        case .latex: print(report.latexTable(), terminator: "")
        }
    }
}

/// The stable JSON of `calc --format json`: `totals`, `layers`, `blocks`, and the configuration.
enum CalcJSON {
    static func encode(_ report: CostReport) throws -> String {
        String(decoding: try JSONText.encoder().encode(report), as: UTF8.self)
    }
}
