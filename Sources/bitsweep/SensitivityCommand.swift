import ArgumentParser
import BitOpsCore
import CairoRender
import Foundation
import MixedPrecision
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

    static let defaultChoices = [2, 3, 4, 6, 8]

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
            print(try prettyJSON(SensitivityJSON(setup: setup, engine: engine, table: table, files: unitOptions.images, seconds: seconds)))
        case .table:
            print(Self.text(table, headline: setup.headline(engine), seconds: seconds, runs: setup.probe.runs), terminator: "")
        }
    }

    static func text(_ t: SensitivityTable, headline: String, seconds: Double, runs: Int) -> String {
        let unit = t.granularity.rawValue
        var s = headline + "\n"
        s += "one \(unit) quantized at a time, everything else as given; logit SQNR (dB) against the float network, pooled over the images\n\n"
        let nameWidth = max(unit.count, t.units.map(\.count).max() ?? 0)
        func row(_ name: String, _ cells: [String]) -> String {
            name.padding(toLength: nameWidth, withPad: " ", startingAt: 0) + cells.map { $0.leftPadded(10) }.joined() + "\n"
        }
        s += row(unit, t.choices.map(bitsLabel))
        for (u, name) in t.units.enumerated() {
            s += row(name, t.choices.indices.map { dBText(t.sqnrDB(unit: u, choice: $0)) })
        }
        s += "\nnoise power (mean squared logit error against the base network)\n"
        s += row(unit, t.choices.map(bitsLabel))
        for (u, name) in t.units.enumerated() {
            s += row(name, t.noisePower[u].map { String(format: "%.3e", $0) })   // NumberText has no scientific form
        }
        s += "\nsignal power \(String(format: "%.4e", t.signalPower)); base network noise \(String(format: "%.3e", t.fixedNoisePower))"
        s += t.fixedNoisePower == 0 ? " (the base network is the float network)\n" : " (layers outside the search quantized as given)\n"
        s += "\(runs) runs in \(NumberText.fixed(seconds, 2)) s\n"
        return s
    }
}

/// The JSON of `sensitivity --format json`.
struct SensitivityJSON: Encodable {
    struct Entry: Encodable {
        var unit: String
        var block: Int?
        var layer: String?
        var bits: Int
        var noisePower: Double
        var sqnrDB: JSONNumber
        var top1Agreement: Double
        enum CodingKeys: String, CodingKey {
            case unit, block, layer, bits, noisePower = "noise_power", sqnrDB = "sqnr_db", top1Agreement = "top1_agreement"
        }
    }
    var network: NetworkSpec
    var size: Int
    var convention: BitOpsConvention
    var weights: String
    var granularity: String
    var per: SearchGranularity
    var choices: [Int]
    var images: [String]
    var signalPower: Double
    var fixedNoisePower: Double
    var msPerImage: Double?
    var entries: [Entry]
    var seconds: Double

    init(setup: MixedPrecisionSetup, engine: EngineFlags, table: SensitivityTable, files: [String], seconds: Double) {
        network = setup.spec
        size = setup.size
        convention = setup.space.convention
        weights = setup.weightsLabel
        granularity = engine.granularity.rawValue
        per = table.granularity
        choices = table.choices
        images = files
        signalPower = table.signalPower
        fixedNoisePower = table.fixedNoisePower
        msPerImage = table.msPerImage
        self.seconds = seconds
        entries = []
        for (u, name) in table.units.enumerated() {
            for (c, b) in table.choices.enumerated() {
                entries.append(Entry(unit: name, block: table.granularity == .block ? u : nil,
                                     layer: table.granularity == .layer ? name : nil, bits: b,
                                     noisePower: table.noisePower[u][c], sqnrDB: JSONNumber(table.sqnrDB(unit: u, choice: c)),
                                     top1Agreement: table.top1Agreement[u][c]))
            }
        }
    }

    enum CodingKeys: String, CodingKey {
        case network, size, convention, weights, granularity, per, choices, images, signalPower = "signal_power"
        case fixedNoisePower = "fixed_noise_power", msPerImage = "ms_per_image", entries, seconds
    }
}
