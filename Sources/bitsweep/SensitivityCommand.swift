import ArgumentParser
import BitOpsCore
import CairoRender
import Foundation
import MixedPrecision
import Reports
import Presentation

/// `bitsweep sensitivity`: how much output noise each block adds at each bit-width.
struct SensitivityCommand: ParsableCommand, UsesEngineFlags {
    static let configuration = CommandConfiguration(
        commandName: "sensitivity",
        abstract: "Quantize one block at a time to each bit-width and measure the output noise against the float network.",
        discussion: """
        For every block and every --choices bit-width, the network is built with only that block's weights \
        quantized (everything else float, or as the network options give it) and run on the images; its logits \
        are compared with the float network's. Noise power is the mean squared logit error over all images and \
        classes; SQNR = 10·log10(signal power / noise power), pooled over the images. The weights, the decoded \
        images and the float logits are made once; each entry costs one build and one run.

        Examples:
          bitsweep sensitivity --blocks 5 --choices 2,3,4,6,8 Inputs/images/*
          bitsweep sensitivity --preset mobilenet-v1 --size 96 --format json --chart sens.pdf Inputs/images/*
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json }

    @OptionGroup var network: NetworkOptions
    @OptionGroup var engine: EngineFlags
    @OptionGroup var unitOptions: MixedPrecisionOptions

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @Option(help: ArgumentHelp("Also draw the blocks × bits heatmap of SQNR to this file (.pdf, .svg or .png).", valueName: "file"))
    var chart: String?

    static let defaultChoices: [BitWidth] = [2, 3, 4, 6, 8]

    func run() throws {
        if let chart, ChartFormat(pathExtension: chart) == nil {
            throw InputError("--chart \(chart): cannot tell the format; expected a .pdf, .svg or .png file name")
        }
        let setup = try MixedPrecisionSetup(network: network, engine: engine, options: unitOptions, defaultChoices: Self.defaultChoices)
        let start = Date()
        let table = try setup.probe.sensitivity(progress: MixedPrecisionSetup.progress("sensitivity"))
        let seconds = Date().timeIntervalSince(start)
        if let chart {
            let spec = try SearchCharts.sensitivityHeatmap(table, title: "Sensitivity: \(setup.spec.name), \(setup.spec.blocks.count) blocks at \(setup.size) px")
            try renderChart(spec, to: chart)
        }
        switch format {
        case .json:
            print(try prettyJSON(SensitivityDocument(setup: setup, engine: engine, table: table, files: unitOptions.images, seconds: seconds)))
        case .table:
            print(SearchRendering.sensitivityTable(table, headline: setup.headline(engine), seconds: seconds, runs: setup.probe.runs), terminator: "")
        }
    }

}

extension SensitivityDocument {
    init(setup: MixedPrecisionSetup, engine: EngineFlags, table: SensitivityTable, files: [String], seconds: Double) {
        self.init(network: setup.spec, size: setup.size, convention: setup.space.convention, weights: setup.weightsLabel,
                  granularity: engine.granularity.rawValue, table: table, images: files, seconds: seconds)
    }
}
