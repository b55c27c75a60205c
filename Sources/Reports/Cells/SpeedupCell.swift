import BitOpsCore
import Charts
import Foundation
import Results
import Presentation

/// `chart: speedup`: per configuration, the speed-up BitOps predict (the float reference's BitOps ÷ the
/// case's) against the one measured (the float reference's time per image ÷ the case's), one chart per BitOps
/// convention. The float reference of a case is the case of the results with float weights and float
/// activations in every block and otherwise the same settings (family, size, blocks, width, convention,
/// quantization, weights — not the kernel choice: a float case runs on float kernels whatever was chosen, and
/// with `kernels: [float, integer]` it exists only under `float`, since `integer` cannot run it); cases without
/// one are left out, and the caption says how many.
/// Both ratios come from numbers the results hold (BitOps and the median time per image); nothing is re-run.
struct SpeedupCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        var out: [Block] = []
        for facet in CostQualityCell(executor: executor).facetsBy(selected, key: "convention") {
            let rows = Self.points(facet.cases, references: results.cases)
            guard !rows.isEmpty else { continue }
            let points = rows.map { r in
                SpeedupPoint(label: "#\(r.c.index)", predicted: r.predicted, measured: r.measured,
                             group: r.c.config.weightPrecision.description, integer: r.integer)
            }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let title = cell.options["title"] ?? "Predicted and measured speed-up\(suffix)"
            var spec = try ChartKinds.speedup(title: title, points: points, colors: colors, size: figureSize(cell))
            spec.legend.title = "weight bits"
            let int8 = points.filter(\.integer).count, float = points.count - int8
            let convention = facet.cases.first?.config.convention.rawValue ?? ""
            var caption = "Per configuration: the speed-up BitOps predict (BitOps of the float case with the same size and blocks ÷ the configuration’s, convention \(convention)) against the speed-up measured (the float case’s time per image ÷ the configuration’s), both on log scales. The dashed line is y = x, where the hardware delivers what BitOps promise; the dotted line y = 1, no faster than float. "
            caption += "Markers say which kernels ran: \(Self.count(int8, "configuration")) on \(ChartKinds.integerKernelsLabel) (diamonds), \(Self.count(float, "configuration")) on \(ChartKinds.floatKernelsLabel) (circles: float arithmetic with quantization simulated, so no faster than float whatever the bits). "
            caption += "Sub-8-bit weights execute as int8 (their codes use a narrower range of it): below 8 bits BitOps promise a speed-up this CPU does not deliver."
            let skipped = facet.cases.filter { c in c.error == nil && !rows.contains { $0.c.id == c.id } && !Self.isFloat(c.config) }.count
            if skipped > 0 { caption += " \(Self.count(skipped, "case")) without a float case of the same settings (or without a time) are not shown." }
            out.append(.figure(Figure(fileStem: FileNames.name("speedup", cases: facet.cases, excluding: Set(FileNames.order).subtracting(["convention"])),
                                      caption: caption + suffix, spec: spec, size: figureSize(cell))))
        }
        if out.isEmpty {
            out.append(.paragraph([.emphasis("No case has a float case of the same settings with a time per image — no speed-up chart.")]))
        }
        return out
    }

    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    /// Float weights and float activations in every block.
    static func isFloat(_ c: CaseConfig) -> Bool {
        c.weightPrecision.blocks.allSatisfy { $0 == .float } && c.actPrecision.blocks.allSatisfy { $0 == .float }
    }

    /// The cases of `cases` that have a float reference among `references` and a time per image (theirs and the
    /// reference's), with the two ratios and whether some layer ran int8 (results without a kernel record ran
    /// float). The reference cases themselves are left out (their ratios are 1 by definition).
    static func points(_ cases: [CaseResult], references: [CaseResult])
        -> [(c: CaseResult, predicted: Double, measured: Double, integer: Bool)] {
        func key(_ c: CaseConfig) -> [String] {
            [c.family, String(c.size), String(c.blocks), String(c.width), c.convention.rawValue, c.quantization.rawValue,
             c.weights]
        }
        var refs: [[String]: CaseResult] = [:]
        for r in references where isFloat(r.config) && r.error == nil && (r.timings?.msPerImage ?? 0) > 0 && r.cost.totals.bitops > 0 {
            if refs[key(r.config)] == nil { refs[key(r.config)] = r }
        }
        return cases.compactMap { c in
            guard !isFloat(c.config), c.error == nil, let ms = c.timings?.msPerImage, ms > 0, c.cost.totals.bitops > 0,
                  let r = refs[key(c.config)], let refMs = r.timings?.msPerImage else { return nil }
            return (c, Double(r.cost.totals.bitops) / Double(c.cost.totals.bitops), refMs / ms, c.kernels?.runsInteger ?? false)
        }
    }
}
