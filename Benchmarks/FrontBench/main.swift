// front-bench: how long the exact Pareto front of `bitsweep search` takes, on a stored sensitivity table.
//
// The front is the part of a search that grows with the search space (the sensitivity and verification runs
// grow with the network and the images instead), so it is timed alone here, in whatever build configuration
// this executable was built in (`swift build -c release --product front-bench` for the figures users see).
//
//   front-bench TABLE.json [--budgets LIST]… [--repeat N] [--dump DIR]
//
// TABLE.json is `bitsweep sensitivity --format json` output (or a search's sensitivity.json); the network,
// size, convention, granularity and choices come from it. Each `--budgets` is one row: a comma-separated list
// of `kind<=number` in base units (bitops<=2e9, weights<=2621440 bytes), the first one's axis being the front's,
// or `none`. Each row is computed `--repeat` times (default 5) and printed as a Markdown table row with the
// median, fastest and slowest time. `--dump DIR` writes each row's front to DIR/rowN.txt, one point per line (choices,
// costs, noise as the exact hexadecimal Double), so that two builds of the front can be compared byte for byte.
import BitOpsCore
import Foundation
import MixedPrecision

struct Usage: Error, CustomStringConvertible {
    var description: String
}

func parseBudgets(_ text: String) throws -> [SearchBudget] {
    if text == "none" { return [] }
    return try text.split(separator: ",").map { part in
        let s = String(part)
        guard let r = s.range(of: "<=") else { throw Usage(description: "--budgets '\(s)': expected kind<=number") }
        let name = String(s[..<r.lowerBound]), value = String(s[r.upperBound...])
        guard let kind = SearchBudget.Kind(rawValue: name), kind == .bitops || kind == .weights else {
            throw Usage(description: "--budgets '\(s)': kind must be bitops or weights")
        }
        guard let v = Double(value), v > 0, v.isFinite else {
            throw Usage(description: "--budgets '\(s)': '\(value)' is not a positive number (base units: BitOps or bytes)")
        }
        return SearchBudget(kind: kind, limit: v, text: s)
    }
}

func run() throws {
    var args = Array(CommandLine.arguments.dropFirst())
    var rows: [String] = []
    var repeats = 5
    var dump: String?
    var table: String?
    while !args.isEmpty {
        let a = args.removeFirst()
        switch a {
        case "--budgets", "--repeat", "--dump":
            guard !args.isEmpty else { throw Usage(description: "\(a) needs a value") }
            let v = args.removeFirst()
            if a == "--budgets" { rows.append(v) }
            if a == "--dump" { dump = v }
            if a == "--repeat" {
                guard let n = Int(v), n >= 1 else { throw Usage(description: "--repeat '\(v)': expected a count ≥ 1") }
                repeats = n
            }
        default:
            guard table == nil, !a.hasPrefix("-") else { throw Usage(description: "unexpected argument '\(a)'") }
            table = a
        }
    }
    guard let table else { throw Usage(description: "usage: front-bench TABLE.json [--budgets LIST]… [--repeat N] [--dump DIR]") }
    if rows.isEmpty { rows = ["none"] }
    let doc = try JSONDecoder().decode(SensitivityDocument.self, from: Data(contentsOf: URL(fileURLWithPath: table)))
    let space = try SearchSpace(network: doc.network, inputSize: doc.size, convention: doc.convention,
                                granularity: doc.per, choices: doc.choices)
    let sensitivity = try doc.table(network: doc.network, size: doc.size, convention: doc.convention, weights: doc.weights,
                                    granularity: doc.granularity, units: space.units, per: doc.per, choices: doc.choices,
                                    images: doc.images)
    print("\(doc.network.name) \(doc.size) px, per \(doc.per.rawValue): \(space.units.count) units × \(space.choices.count) choices; \(repeats) runs per row")
    print("")
    print("| budgets | assignments | front points | largest partial front | candidates | median | fastest | slowest |")
    print("|---|---|---|---|---|---|---|---|")
    let clock = ContinuousClock()
    if let dump { try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true) }
    for (r, row) in rows.enumerated() {
        let budgets = try parseBudgets(row)
        let (problem, _) = try MixedPrecisionSearch.problem(space: space, table: sensitivity, budgets: budgets)
        var seconds: [Double] = []
        var result: (front: [FrontPoint], stats: FrontStats) = ([], FrontStats())
        for _ in 0..<repeats {
            let t = try clock.measure { result = try problem.frontAndStats() }
            seconds.append(Double(t.components.seconds) + Double(t.components.attoseconds) * 1e-18)
        }
        seconds.sort()
        let median = seconds.count % 2 == 1 ? seconds[seconds.count / 2] : (seconds[seconds.count / 2 - 1] + seconds[seconds.count / 2]) / 2
        func text(_ s: Double) -> String { s < 1 ? String(format: "%.1f ms", s * 1000) : String(format: "%.2f s", s) }
        let count = problem.assignmentCount.map(String.init) ?? "> 2⁶³"
        print("| \(row) | \(count) | \(result.front.count) | \(result.stats.largestPartialFront) | \(result.stats.candidatesExamined) | \(text(median)) | \(text(seconds.first!)) | \(text(seconds.last!)) |")
        if let dump {
            let lines = result.front.map { p in
                "\(p.choices.map(String.init).joined(separator: ",")) \(p.costs.map(String.init).joined(separator: ",")) \(String(p.noise.bitPattern, radix: 16)) \(p.noise)"
            }
            try (lines.joined(separator: "\n") + "\n").write(toFile: "\(dump)/row\(r + 1).txt", atomically: true, encoding: .utf8)
        }
    }
}

do {
    try run()
} catch {
    FileHandle.standardError.write(Data("front-bench: \(error)\n".utf8))
    exit(2)
}
