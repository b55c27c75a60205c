import BitOpsCore
import Charts
import Foundation
import Results
import StableIO
import Presentation

/// `chart: cost-quality`: total BitOps against fidelity, one chart per BitOps convention.
struct CostQualityCell: CellRenderer {
    let executor: CellExecutor

    func blocks(_ cell: TemplateCell, _ selected: [CaseResult], _ parameters: Parameters) throws -> [Block] {
        try costQualityFigures(cell, selected)
    }

    func costQualityFigures(_ cell: TemplateCell, _ cases: [CaseResult]) throws -> [Block] {
        let measure = FidelityMeasure(rawValue: cell.options["fidelity"] ?? "sqnr") ?? .sqnr
        let budget = cell.options["budget"].flatMap(SINumber.parse)
        var out: [Block] = []
        // BitOps are comparable only within one convention: one chart per convention.
        for facet in facetsBy(cases, key: "convention") {
            // Fidelity is measured against each network shape's own float twin: one Pareto front per shape.
            // Accuracy is measured against the images' labels, the same for every shape: one front.
            let accuracyMeasure = measure == .top1Accuracy || measure == .top5Accuracy
            let shapes = accuracyMeasure ? [:] : Dictionary(zip(facet.cases.map(\.id), CaseSelector.shapeLabels(facet.cases.map(\.config))),
                                                              uniquingKeysWith: { a, _ in a })
            let pts: [CostQualityPoint] = facet.cases.compactMap { c in
                guard let f = c.fidelity, f.images > 0, c.error == nil else { return nil }
                let y: Double
                switch measure {
                case .sqnr: y = f.sqnrDBMean ?? .infinity   // exact: drawn on the band above the axis
                case .top1: y = f.top1Agreement * 100
                case .cosine: y = f.cosineMean
                case .top1Accuracy:
                    guard let a = c.accuracy else { return nil }
                    y = a.top1 * 100
                case .top5Accuracy:
                    guard let a = c.accuracy else { return nil }
                    y = a.top5 * 100
                }
                return CostQualityPoint(label: "#\(c.index)", cost: Double(c.cost.totals.bitops), quality: y,
                                        group: c.config.weightPrecision.description, shape: shapes[c.id] ?? nil)
            }
            guard !pts.isEmpty else { continue }
            let suffix = facet.label.isEmpty ? "" : " (\(facet.label))"
            let yTitle: String
            switch measure {
            case .sqnr: yTitle = "mean logit SQNR (dB)"
            case .top1: yTitle = "top-1 agreement with float (%)"
            case .cosine: yTitle = "mean cosine similarity"
            case .top1Accuracy: yTitle = "top-1 accuracy (%)"
            case .top5Accuracy: yTitle = "top-5 accuracy (%)"
            }
            let accuracy = measure == .top1Accuracy || measure == .top5Accuracy
            let title = cell.options["title"] ?? "\(accuracy ? "Accuracy against BitOps" : "Cost against fidelity")\(suffix)"
            let spec = try ChartAdapter.costQuality(title: title, points: pts, fidelityTitle: yTitle, budget: budget, colors: colors, size: figureSize(cell),
                                                      percentScale: measure == .top1 || accuracy)
            out.append(.figure(Figure(fileStem: FileNames.name("cost-vs-\(measure.rawValue)", cases: facet.cases, excluding: Set(FileNames.order).subtracting(["convention"])),
                                      caption: "Total BitOps (log scale) against \(yTitle), one point per case coloured by weight precision (mixed precision as squares; dominated cases hollow); \(pts.allSatisfy { $0.shape == nil } ? "the Pareto front is drawn as a step line" : "each network shape’s Pareto front is drawn as a step line (shapes are measured against different float twins)") and its cases are labelled with their number\(budget.map { ", budget \(NumberText.si($0)) BitOps" } ?? "")\(suffix).\(pts.contains { $0.quality == .infinity } ? " Triangles on the shaded band at the top: exact cases (logits equal to the float twin’s, ∞ dB)." : "")",
                                      spec: spec, size: figureSize(cell))))
        }
        if out.isEmpty {
            let what = measure == .top1Accuracy || measure == .top5Accuracy ? "accuracy figures (no labelled images)" : "fidelity figures"
            out.append(.paragraph([.emphasis("No case has \(what) — no cost-quality chart.")]))
        }
        return out
    }

    func facetsBy(_ cases: [CaseResult], key: String) -> [(label: String, cases: [CaseResult])] {
        var order: [String] = []
        var groups: [String: [CaseResult]] = [:]
        for c in cases {
            let v = CaseSelector.value(of: key, in: c.config)
            if groups[v] == nil { order.append(v) }
            groups[v, default: []].append(c)
        }
        return order.map { (order.count > 1 ? "\(key)=\($0)" : "", groups[$0]!) }
    }
}
