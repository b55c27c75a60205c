import ArgumentParser
import BitOpsCore
import BitSweepConfig
import CairoRender
import Foundation
import MixedPrecision
import MixedPrecisionEngine
import Reports

/// `bitsweep search`: the exact Pareto front of per-block bit assignments, predicted from sensitivities and
/// verified by running it.
struct SearchCommand: ParsableCommand, UsesEngineFlags {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "The whole Pareto front of per-block weight bits under budgets: predicted from sensitivities, verified by running it.",
        discussion: """
        1. Sensitivity: every block alone at every --choices bit-width (as `bitsweep sensitivity`).
        2. Prediction: output noise powers of independently quantized blocks add (the additive noise model), \
        so an assignment's noise is predicted as the sum of its blocks' noise. Costs add exactly (BitOps and \
        weight storage are exact integers per block).
        3. Front: the exact Pareto front of cost against predicted noise over all assignments — a \
        multiple-choice knapsack solved block by block, keeping at each step only partial assignments no other \
        beats on every cost and on noise. Exact for the model; the model itself is the approximation.
        4. Verification: the front's assignments (or an even spread of --verify N) and the uniform assignments \
        are run and measured against the float network.

        Budgets: bitops<=1.5G (BitOps per image), weights<=1MiB (weight storage, bytes), act-memory<=512KiB \
        (peak activations, bytes), time<=2ms (engine time per image). The front is over the first budget's cost \
        (BitOps when none) subject to the others; act-memory and time do not depend on weight bits here (the \
        engine runs every precision in fp32) and are checked once.

        Examples:
          bitsweep search --blocks 5 --choices 2,4,8 Inputs/images/*
          bitsweep search --blocks 5 --choices 2,4,8 --budget bitops<=20M --out Reports/search Inputs/images/*
          bitsweep search --preset mobilenet-v1 --size 64 --choices 2,3,4,5,6,8 --verify 0 Inputs/images/*
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var network: NetworkOptions
    @OptionGroup var engine: EngineFlags
    @OptionGroup var unitOptions: MixedPrecisionOptions

    @Option(name: .customLong("budget"), help: ArgumentHelp("A limit: bitops<=1.5G, weights<=1MiB, act-memory<=512KiB or time<=2ms (repeatable).", valueName: "kind<=value"))
    var budgets: [String] = []

    @Option(help: ArgumentHelp("Run N front assignments spread evenly along it (0: none; all: every one). Default: all, at most 100.", valueName: "N|all"))
    var verify: String?

    @Option(name: .customLong("brute-force"), parsing: .unconditional, help: ArgumentHelp("Also run every assignment (at most this many, e.g. 243) and compare the verified front with the brute-force one.", valueName: "max"))
    var bruteForce: Int?

    @Option(help: ArgumentHelp("Reuse this sensitivity table (sensitivity --format json, or sensitivity.json from --out) instead of measuring it again.", valueName: "file"))
    var sensitivity: String?

    @Option(help: "Output format on standard output: table, json or csv.")
    var format: Format = .table

    @Option(help: ArgumentHelp("Write search.json, search.csv, search-front.pdf, sensitivity.json, sensitivity.pdf and search-sweep.yaml into this folder.", valueName: "dir"))
    var out: String?

    @Option(help: ArgumentHelp("Draw the predicted and measured fronts to this file (.pdf, .svg or .png).", valueName: "file"))
    var chart: String?

    static let defaultChoices: [BitWidth] = [2, 4, 8]
    static let defaultVerify = 100

    /// `bitops<=1.5G` → a budget (the grammar a sweep spec's `search: budget:` shares).
    static func parseBudget(_ text: String) throws -> SearchBudget {
        do { return try SearchBudgetText.parse(text) } catch let e as SearchBudgetText.Problem {
            throw InputError("--budget '\(text)': \(e.message)")
        }
    }

    func run() throws {
        let parsed = try budgets.map(Self.parseBudget)
        // How many front points to run, given the front's size.
        let verifyRule: (Int) -> Int
        switch verify {
        case nil: verifyRule = { min($0, Self.defaultVerify) }
        case "all": verifyRule = { $0 }
        case let text?:
            guard let n = Int(text), n >= 0 else { throw InputError("--verify '\(text)': expected a count ≥ 0 or 'all'") }
            verifyRule = { _ in n }
        }
        for path in [chart].compactMap({ $0 }) where ChartFormat(pathExtension: path) == nil {
            throw InputError("--chart \(path): cannot tell the format; expected a .pdf, .svg or .png file name")
        }
        if let bruteForce, bruteForce < 1 { throw InputError("--brute-force \(bruteForce) must be at least 1") }
        let setup = try MixedPrecisionSetup(network: network, engine: engine, options: unitOptions, defaultChoices: Self.defaultChoices)
        let space = setup.space
        if let bruteForce, let n = ParetoProblemSize.assignments(space), n > bruteForce {
            throw InputError("--brute-force \(bruteForce): the space has \(n) assignments; raise the limit or use fewer blocks or choices")
        }
        var given: SensitivityTable?
        if let sensitivity {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: sensitivity)) } catch {
                throw InputError("--sensitivity \(sensitivity): cannot read the file (\(error.localizedDescription))")
            }
            let document: SensitivityDocument
            do { document = try JSONDecoder().decode(SensitivityDocument.self, from: data) } catch {
                throw InputError("--sensitivity \(sensitivity): not a sensitivity table written by bitsweep (\(error))")
            }
            do {
                given = try document.table(network: setup.spec, size: setup.size, convention: space.convention,
                                           weights: setup.weightsLabel, granularity: engine.granularity.rawValue,
                                           units: space.units, per: space.granularity, choices: space.choices,
                                           images: unitOptions.images)
            } catch let e as SearchError {
                throw InputError("--sensitivity \(sensitivity): \(e.description)")
            }
        }
        let request = SearchPipeline.Request(
            network: setup.spec, size: setup.size, convention: space.convention, weights: setup.probe.weights,
            weightsLabel: setup.weightsLabel, images: setup.probe.images, imageNames: unitOptions.images, per: space.granularity,
            choices: space.choices, budgets: parsed, verify: verifyRule, options: setup.probe.options)
        let bars = ["sensitivity": MixedPrecisionSetup.progress("sensitivity"), "verification": MixedPrecisionSetup.progress("verification")]
        var doc = try SearchPipeline.run(request, space: space, probe: setup.probe, table: given, setupSeconds: setup.setupSeconds,
                                         progress: { bars[$0]?($1, $2) })
        let table = doc.sensitivity, outcome = doc.outcome
        let sensitivitySeconds = doc.timings.sensitivitySeconds
        if bruteForce != nil {
            let t2 = Date()
            doc.bruteForce = try Self.bruteForce(space: space, table: table, outcome: outcome, probe: setup)
            doc.timings.bruteForceSeconds = Date().timeIntervalSince(t2)
        }
        MixedPrecisionSetup.clearProgress()
        let snippet = SearchRendering.sweepSnippet(doc, source: SweepSource(network: network, engine: engine, images: unitOptions.images))
        if let chart {
            try renderChart(try SearchCharts.front(outcome, title: SearchRendering.chartTitle(doc)), to: chart)
        }
        if let out {
            let dir = URL(fileURLWithPath: out)
            try writeTextAtomically(try prettyJSON(doc) + "\n", to: dir.appendingPathComponent("search.json").path)
            try writeTextAtomically(SearchRendering.csv(doc), to: dir.appendingPathComponent("search.csv").path)
            if !doc.chosen().isEmpty && doc.per == .block {
                try writeTextAtomically(snippet, to: dir.appendingPathComponent("search-sweep.yaml").path)
            }
            try writeTextAtomically(try prettyJSON(SensitivityDocument(setup: setup, engine: engine, table: table, files: unitOptions.images,
                                                                   seconds: sensitivitySeconds)) + "\n",
                                    to: dir.appendingPathComponent("sensitivity.json").path)
            if !outcome.front.isEmpty || !outcome.uniform.isEmpty {
                try renderChart(try SearchCharts.front(outcome, title: SearchRendering.chartTitle(doc)), to: dir.appendingPathComponent("search-front.pdf").path)
            }
            try renderChart(try SearchCharts.sensitivityHeatmap(table, title: "Sensitivity (SQNR, dB)"),
                            to: dir.appendingPathComponent("sensitivity.pdf").path)
        }
        switch format {
        case .json: print(try prettyJSON(doc))
        case .csv: print(SearchRendering.csv(doc), terminator: "")
        case .table: print(SearchRendering.table(doc, headline: setup.headline(engine)) + "\nsweep spec to rerun the chosen assignments (bitsweep sweep FILE):\n" + snippet, terminator: "")
        }
    }

    /// Runs every assignment and compares (see `BruteForceComparison`).
    static func bruteForce(space: SearchSpace, table: SensitivityTable, outcome: SearchOutcome, probe setup: MixedPrecisionSetup) throws -> BruteForceComparison {
        let (problem, _) = try MixedPrecisionSearch.problem(space: space, table: table, budgets: [])
        var all: [BruteForceComparison.Sample] = []
        let total = problem.assignmentCount ?? 0
        let progress = MixedPrecisionSetup.progress("brute force")
        // Only the assignments within every budget compete (the verified front obeys them too).
        let limits = outcome.budgets.compactMap { b in b.axis.map { ($0, b.axisLimit!) } }
        try problem.forEachAssignment { picks in
            let bits = space.bits(choices: picks)
            let cost = try space.cost(choices: picks)
            guard limits.allSatisfy({ cost[$0.0] <= $0.1 }) else { return }
            let m = try setup.probe.measure(bits: bits)
            all.append(.init(bits: bits, cost: cost[outcome.primary], sqnrDB: NoiseModel.sqnrDB(signal: table.signalPower, noise: m.noisePower)))
            progress(all.count, total)
        }
        let primaryLimits = outcome.budgets.filter { $0.axis == outcome.primary }.compactMap(\.axisLimit)
        let levels = BruteForceComparison.levels(costs: all.map(\.cost), count: 5)
        return BruteForceComparison(outcome: outcome, all: all, limits: primaryLimits.isEmpty ? levels : primaryLimits)
    }
}

enum ParetoProblemSize {
    static func assignments(_ space: SearchSpace) -> Int? {
        var n = 1
        for _ in space.units {
            let (p, o) = n.multipliedReportingOverflow(by: space.choices.count)
            if o { return nil }
            n = p
        }
        return n
    }
}
