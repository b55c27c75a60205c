import Analysis
import BitOpsCore
import Charts
import Foundation
import Results
import Presentation

/// A chart to write: a file-name-safe base name (no extension), a caption, and the specification.
public struct NamedChart: Sendable {
    public var name: String
    public var title: String
    public var spec: ChartSpec
    public init(name: String, title: String, spec: ChartSpec) {
        self.name = name
        self.title = title
        self.spec = spec
    }
}

// MARK: - The sweep grid as rows × columns

/// Lays cases out as a grid: columns are the precisions (weight precision names, in grid order), rows are
/// the combinations of every other axis that varies (blocks, size, activation precision, convention, …).
struct GridLayout {
    var rowLabels: [String]
    var columnLabels: [String]
    var cell: [CaseKey: (row: Int, column: Int)]

    init(keys: [CaseKey]) {
        func varies<T: Hashable>(_ f: (CaseKey) -> T) -> Bool { Set(keys.map(f)).count > 1 }
        let parts: [(Bool, (CaseKey) -> String)] = [
            (varies(\.family), { $0.family }),
            (varies(\.blocks), { "n=\($0.blocks)" }),
            (varies(\.size), { "s=\($0.size)" }),
            (varies(\.actPrecision), { "a=\($0.actPrecision)" }),
            (varies(\.width), { "α=\($0.width)" }),
            (varies(\.stemBits), { "stem=\($0.stemBits?.description ?? "-")" }),
            (varies(\.classifierBits), { "fc=\($0.classifierBits)" }),
            (varies(\.convention), { $0.convention.rawValue }),
            (varies(\.quantization), { $0.quantization.rawValue }),
            (varies(\.weights), { $0.weights }),
        ]
        func rowLabel(_ k: CaseKey) -> String {
            let s = parts.filter(\.0).map { $0.1(k) }.joined(separator: " ")
            return s.isEmpty ? "all" : s
        }
        var rows: [String] = [], cols: [String] = []
        var rowSort: [String: CaseKey] = [:]
        for k in keys {
            let r = rowLabel(k)
            if rowSort[r] == nil { rowSort[r] = k; rows.append(r) }
            if !cols.contains(k.precision.description) { cols.append(k.precision.description) }
        }
        // Rows in a natural order (family, blocks, size, … as numbers), columns in grid order.
        rows.sort { rowSort[$0]! < rowSort[$1]! }
        rowLabels = rows
        columnLabels = cols
        var cell: [CaseKey: (Int, Int)] = [:]
        for k in keys { cell[k] = (rows.firstIndex(of: rowLabel(k))!, cols.firstIndex(of: k.precision.description)!) }
        self.cell = cell
    }

    func matrix(_ values: [CaseKey: Double]) -> [[Double?]] {
        var m = Array(repeating: Array(repeating: Double?.none, count: columnLabels.count), count: rowLabels.count)
        for (k, v) in values { if let (r, c) = cell[k] { m[r][c] = v } }
        return m
    }
}

extension Comparison {
    /// The delta heatmaps over the sweep grid, blank where nothing changed (and where a case exists on one
    /// side only: those are listed in the Markdown):
    /// - `delta-bitops`: relative change of total BitOps (current / baseline − 1);
    /// - `delta-sqnr`: change of the mean logit SQNR in dB, where beyond the tolerance (exact counts as
    ///   `FidelitySummary.exactSQNR`);
    /// - `delta-time`: the ratio of the median times per image (current / baseline), where the change
    ///   is called (beyond the threshold and statistically clear), on a log₂ colour scale: a 2× speed-up and a 2× slow-down are equally far from white
    ///   (a linear scale of relative change runs from −100 % to +∞ and is not symmetric).
    public func deltaCharts(baseline: ResultsSet, current: ResultsSet) throws -> [NamedChart] {
        let base = Dictionary(baseline.cases.map { (CaseKey($0.config), $0) }, uniquingKeysWith: { a, _ in a })
        let cur = Dictionary(current.cases.map { (CaseKey($0.config), $0) }, uniquingKeysWith: { a, _ in a })
        let keys = baseline.cases.map { CaseKey($0.config) } + current.cases.map { CaseKey($0.config) }.filter { base[$0] == nil }
        guard !keys.isEmpty else { return [] }
        let grid = GridLayout(keys: keys)
        var bitops: [CaseKey: Double] = [:], sqnr: [CaseKey: Double] = [:], time: [CaseKey: Double] = [:]
        let changedByKey = Dictionary(changed.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        for (k, b) in base {
            guard let c = cur[k] else { continue }
            let d = changedByKey[k]
            let bb = b.cost.totals.bitops, cb = c.cost.totals.bitops
            bitops[k] = bb == cb ? 0 : (bb == 0 ? 1 : Double(cb - bb) / Double(bb))
            if let d, d.fidelity.contains(where: { $0.metric == "sqnr_db_mean" }) {
                let x = b.fidelity?.sqnrDBMean ?? FidelitySummary.exactSQNR, y = c.fidelity?.sqnrDBMean ?? FidelitySummary.exactSQNR
                sqnr[k] = y - x
            } else {
                sqnr[k] = 0
            }
            if let t = d?.timing, t.flagged, t.shift > -1 { time[k] = log2(1 + t.shift) } else { time[k] = 0 }
        }
        let size = FigureSize.custom(width: max(252, 110 + 62 * Double(grid.columnLabels.count)),
                                     height: max(150, 80 + 20 * Double(grid.rowLabels.count)))
        let note = baselineOnly.isEmpty && currentOnly.isEmpty ? "" : " (cases on one side only are blank)"
        var charts: [NamedChart] = []
        charts.append(NamedChart(name: "delta-bitops", title: "Change of total BitOps against the baseline\(note)", spec: try ChartKinds.deltaHeatmap(
            title: "Total BitOps: current vs baseline", rowLabels: grid.rowLabels, columnLabels: grid.columnLabels,
            deltas: grid.matrix(bitops), xTitle: "Weight bits", colorBarTitle: "change", format: .percent, size: size)))
        charts.append(NamedChart(name: "delta-sqnr", title: "Change of mean logit SQNR beyond ±\(NumberText.significant(options.sqnrToleranceDB)) dB\(note)", spec: try ChartKinds.deltaHeatmap(
            title: "Mean SQNR (dB): current − baseline", rowLabels: grid.rowLabels, columnLabels: grid.columnLabels,
            deltas: grid.matrix(sqnr), xTitle: "Weight bits", colorBarTitle: "dB", format: .fixed(2), size: size)))
        // Which kernels the timings came from, on each side (in the chart's title and in its caption).
        let kb = Self.timingKernels(baseline), kc = Self.timingKernels(current)
        let kernelsTitle = kb == kc ? "Time per image: current / baseline, \(kb.short)"
            : "Time per image: current (\(kc.short)) / baseline (\(kb.short))"
        let kernelsCaption = kb == kc ? "timings on \(kb.long)" : "timings: current on \(kc.long), baseline on \(kb.long)"
        charts.append(NamedChart(name: "delta-time", title: "Change of median time per image beyond ±\(NumberText.percent(options.timeThreshold))\(note) (\(kernelsCaption))", spec: try ChartKinds.deltaHeatmap(
            title: kernelsTitle, rowLabels: grid.rowLabels, columnLabels: grid.columnLabels,
            deltas: grid.matrix(time), xTitle: "Weight bits", colorBarTitle: "time ratio (log scale)", format: .log2Ratio, size: size)))
        return charts
    }

    /// Which kernels a results set's timings came from: `int8 kernels`, `float kernels` (long: `…, simulated
    /// quantization`) or, when its timed cases differ, `int8 + float kernels`. A case without a kernel record (a
    /// file written before integer kernels) ran float.
    static func timingKernels(_ set: ResultsSet) -> (short: String, long: String) {
        let timed = set.cases.filter { $0.timings != nil }
        let integer = Set(timed.map { $0.kernels?.runsInteger ?? false })
        if integer == [true] { return ("int8 kernels", KernelUse.int8Label) }
        if integer.count == 2 { return ("int8 + float kernels", "int8 kernels for some cases, float for the others") }
        return ("float kernels", KernelUse.floatLabel)
    }
}

extension ProfileResult {
    /// The file-name-safe form of the profile's name.
    public var fileSafeName: String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let s = String(profile.name.map { allowed.contains($0) ? $0 : "-" })
        return s.isEmpty || s.hasPrefix(".") ? "profile" + s : s
    }

    /// The cost–quality chart of this profile: every case with a measured fidelity (total BitOps against mean
    /// logit SQNR), the Pareto front of each network shape, the BitOps limit as a line with the feasible region shaded (also above
    /// `min_sqnr_db` when the profile has one), and the best case in budget ringed and labelled. Exact cases
    /// (∞ dB) are drawn as triangles on a band above the finite SQNR range, marked "exact (∞ dB)". Nil when
    /// no case has a fidelity to draw.
    /// - Parameters:
    ///   - precisionOrder: the precision labels in the order the legend lists them (a report passes the
    ///     spec's order); nil: the order of the cases here.
    ///   - colors: the colour of each precision (a report passes its own, so a precision keeps its colour
    ///     in every chart); nil: distinct colours for this chart's labels.
    public func costQualityChart(precisionOrder: [String]? = nil, colors: PrecisionColors? = nil) throws -> NamedChart? {
        var all = fitting + notFitting
        if let order = precisionOrder {
            let rank = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
            all = all.enumerated().sorted { a, b in
                let x = rank[a.element.config.weightPrecision.description] ?? order.count, y = rank[b.element.config.weightPrecision.description] ?? order.count
                return x != y ? x < y : a.offset < b.offset
            }.map(\.element)
        }
        let drawn = all.filter { ($0.exact || $0.sqnrDBMean != nil) && $0.bitops > 0 }
        // One Pareto front per network shape (each is measured against its own float twin).
        let shapes = CaseSelector.shapeLabels(drawn.map(\.config))
        let points = zip(drawn, shapes).map { c, shape in
            CostQualityPoint(label: c.label, cost: Double(c.bitops), quality: c.exact ? .infinity : c.sqnrDBMean!,
                             group: c.config.weightPrecision.description, shape: shape)
        }
        guard !points.isEmpty else { return nil }
        let colors = colors ?? PrecisionColors(groups: drawn.map(\.config.weightPrecision.colorGroup))
        var spec = try ChartKinds.costQuality(
            title: "\(profile.name): cost vs fidelity", points: points, yTitle: "Mean logit SQNR (dB)",
            budget: Double(profile.maxBitOps), highlight: best?.label, colors: colors, size: .twoColumn)
        // Cases that break a limit the axes do not show (memory, time, top-1) are drawn as diamonds, so that
        // a point inside the shaded region that does not fit is not mistaken for one that does.
        let offAxes: Set<String> = ["max_weight_storage", "max_activation_memory", "max_time_per_image", "min_top1_agreement"]
        let breaksOffAxes = drawn.map { $0.violations.contains { offAxes.contains($0.constraint) } }
        if breaksOffAxes.contains(true) {
            spec.marks = spec.marks.map { m in
                guard case .points(var pm) = m, pm.points.count == drawn.count else { return m }
                for i in pm.points.indices where breaksOffAxes[i] { pm.points[i].marker = .diamond }
                return .points(pm)
            }
            spec.legend.entries.append(LegendEntry(label: "breaks a memory, time or top-1 limit", color: .grey(0.35), symbol: .marker(.diamond)))
        }
        if let minSQNR = profile.minSQNRDB {
            // Bound the feasible region (the one ending at the BitOps limit) below by the SQNR minimum.
            spec.marks = spec.marks.map { m in
                guard case .region(var r) = m, r.xTo != nil else { return m }
                r.yFrom = minSQNR
                return .region(r)
            }
            spec.marks.insert(.rule(RuleMark(orientation: .horizontal, value: minSQNR, color: Color(rgb: 0x006B4E),
                                             dash: [3, 2], label: "min \(NumberText.significant(minSQNR)) dB")), at: 1)
        }
        var caption = "Cost against fidelity for \(profile.name): shaded, the region within the BitOps limit"
        caption += profile.minSQNRDB == nil ? "" : " and the SQNR minimum"
        caption += "; memory, time and top-1 limits are checked in the table."
        if let b = best { caption += " Ringed: the best case in budget, \(b.label)." }
        if drawn.contains(where: \.exact) { caption += " Triangles on the band at the top: exact cases (∞ dB)." }
        return NamedChart(name: "budget-\(fileSafeName)", title: caption, spec: spec)
    }
}

extension ResultsSet {
    /// One colour per weight precision of these results: a precision of one width (uniform) gets that
    /// width's colour where it is free (see `PrecisionColors`).
    public var precisionColors: PrecisionColors {
        PrecisionColors(groups: cases.map(\.config.weightPrecision.colorGroup))
    }
}

extension ResolvedPrecision {
    /// The label and, for a policy of one width, that width: how charts colour this precision.
    public var colorGroup: (label: String, width: BitWidth?) { (description, policy.uniformWidth) }
}
