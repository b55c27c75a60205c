import Charts
import MixedPrecision

/// Charts of a sensitivity table and a search outcome, as plain `ChartSpec` values (render them with
/// CairoRender). They draw the numbers they are given and compute none.
public enum SearchCharts {
    /// Units × bit-widths, each cell the SQNR (dB) of the network with only that unit quantized.
    public static func sensitivityHeatmap(_ table: SensitivityTable, title: String?) throws -> ChartSpec {
        let values: [[Double?]] = table.units.indices.map { u in table.choices.indices.map { c in table.sqnrDB(unit: u, choice: c) } }
        return try ChartKinds.heatmap(
            title: title, rowLabels: table.units, columnLabels: table.choices.map(SearchRendering.bitsLabel),
            values: values, xTitle: "weight bits", yTitle: table.granularity.rawValue,
            colorBarTitle: "SQNR (dB)", logColor: false, colorMap: .viridis, format: .fixed(1), infinityLabel: "exact",
            size: .custom(width: 3.5 * 72, height: Double(max(160, 60 + 16 * table.units.count))))
    }

    /// The staircase of a front (cost ascending, quality ascending): right from each point, then up to the next.
    static func steps(_ points: [(Double, Double)]) -> [DataPoint] {
        var out: [DataPoint] = []
        for (i, p) in points.enumerated() {
            if i > 0 { out.append(DataPoint(p.0, points[i - 1].1)) }
            out.append(DataPoint(p.0, p.1))
        }
        return out
    }

    /// Predicted front (step line), measured verified points and their front (step line), the uniform
    /// assignments as labelled reference points, and the budgets on the front's axis. Infinite SQNRs
    /// (float assignments) are left out.
    public static func front(_ o: SearchOutcome, title: String?) throws -> ChartSpec {
        let axis = o.primary
        func x(_ p: SearchPoint) -> Double {
            axis == .bitops ? Double(p.bitops) : Double(p.weightStorageBits) / 8
        }
        let predicted = o.front.filter { $0.predictedSQNRDB.isFinite }.map { (x($0), $0.predictedSQNRDB) }
        let measuredFront = o.measuredFront.map { o.front[$0] }.filter { $0.measuredSQNRDB!.isFinite }.map { (x($0), $0.measuredSQNRDB!) }
        let verified = o.verified.map { o.front[$0] }.filter { $0.measuredSQNRDB!.isFinite }
        let uniform = o.uniform.filter { $0.measuredSQNRDB?.isFinite == true }
        guard !predicted.isEmpty || !uniform.isEmpty else { throw ChartError.empty("the search found no assignment to draw") }
        let predictedColor = OkabeIto.blue, measuredColor = OkabeIto.vermillion
        var marks: [Mark] = []
        var entries: [LegendEntry] = []
        for b in o.budgets where b.axis == axis {
            marks.append(.rule(RuleMark(orientation: .vertical, value: b.limit, color: Color(rgb: 0x006B4E), label: b.text)))
        }
        if !predicted.isEmpty {
            marks.append(.line(LineMark(name: "predicted front", points: steps(predicted), color: predictedColor, width: 1.1, marker: nil)))
            marks.append(.points(PointMark(points: predicted.map { ScatterPoint(x: $0.0, y: $0.1, color: predictedColor, radius: 1.6) })))
            entries.append(LegendEntry(label: "predicted front", color: predictedColor, symbol: .line(marker: .circle, dash: [])))
        }
        if !verified.isEmpty {
            marks.append(.line(LineMark(name: "measured front", points: steps(measuredFront), color: measuredColor, width: 1.1,
                                        dash: [3, 2], marker: nil)))
            marks.append(.points(PointMark(points: verified.map {
                ScatterPoint(x: x($0), y: $0.measuredSQNRDB!, color: measuredColor, marker: .square, radius: 2.4)
            })))
            entries.append(LegendEntry(label: "measured (verified)", color: measuredColor, symbol: .line(marker: .square, dash: [3, 2])))
        }
        if !uniform.isEmpty {
            marks.append(.points(PointMark(points: uniform.map {
                ScatterPoint(x: x($0), y: $0.measuredSQNRDB!, color: .ink, marker: .diamond, radius: 3.2,
                             label: $0.bits.first.map(SearchRendering.bitsLabel))
            })))
            entries.append(LegendEntry(label: "uniform (measured)", color: .ink, symbol: .marker(.diamond)))
        }
        let spec = ChartSpec(
            title: title,
            x: Axis(title: axis == .bitops ? "BitOps per image" : "Weight storage (bytes)", scale: .log, format: .si, grid: true),
            y: Axis(title: "Logit SQNR vs float (dB)", format: .plain, grid: true),
            marks: marks, legend: Legend(entries: entries), preferredSize: .twoColumn)
        try ChartLayout.validate(spec)
        return spec
    }
}
