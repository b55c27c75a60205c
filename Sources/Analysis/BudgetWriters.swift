import BitSweepConfig
import Foundation
import Presentation

/// The written forms of a `BudgetReport`: a terminal table, Markdown and JSON.
extension BudgetProfile {
    /// `BitOps ≤ 2 G · weights ≤ 1 MiB · activations ≤ 256 KiB · SQNR ≥ 20 dB`.
    public var limitsText: String {
        var parts = ["BitOps (\(convention.rawValue)) ≤ \(NumberText.si(Double(maxBitOps)))", "weights ≤ \(bytesText(Double(maxWeightStorageBytes)))",
                     "activations ≤ \(bytesText(Double(maxActivationBytes)))"]
        if let t = maxMsPerImage { parts.append("time ≤ \(NumberText.milliseconds(t))/image") }
        if let s = minSQNRDB { parts.append("SQNR ≥ \(NumberText.significant(s)) dB") }
        if let a = minTop1Agreement { parts.append("top-1 agreement ≥ \(NumberText.percent(a))") }
        return parts.joined(separator: " · ")
    }
}

extension BudgetCase {
    /// `exact (∞ dB)`, `23.41 dB` or `not measured`.
    public var fidelityText: String {
        if exact { return "exact (∞ dB)" }
        return sqnrDBMean.map { NumberText.fixed($0, 2) + " dB" } ?? "not measured"
    }
    /// The columns of `BudgetReport.header`, formatted.
    public var row: [String] {
        [NumberText.si(Double(bitops)), bytesText(Double(weightStorageBytes)), bytesText(Double(peakActivationBytes)),
         msPerImage.map(NumberText.milliseconds) ?? "—", fidelityText, top1Agreement.map(NumberText.percent) ?? "—"]
    }
}

extension BudgetReport {
    /// Column titles of `BudgetCase.row`.
    public static let header = ["BitOps", "weights", "peak act.", "time/img", "SQNR mean", "top-1 agr."]

    /// The terminal table: per profile, its limits, the fitting cases ranked, then the rest with their
    /// binding constraint.
    public func table(maxFitting: Int = 10, maxRejected: Int = 12) -> String {
        var o = ""
        for p in profiles {
            o += "== \(p.profile.name)\(p.profile.description.map { " — \($0)" } ?? "")\n"
            o += "   \(p.profile.limitsText)\n"
            o += "   \(p.fitting.count) of \(p.fitting.count + p.notFitting.count) cases fit"
            o += p.excluded > 0 ? " (not judged: \(p.notJudgedText))\n\n" : "\n\n"
            if !p.fitting.isEmpty {
                o += PlainTable.text(["#", "case"] + Self.header, p.fitting.prefix(maxFitting).map { ["\($0.rank ?? 0)", $0.label] + $0.row },
                               right: [0, 2, 3, 4, 5, 6, 7])
                if p.fitting.count > maxFitting {
                    o += "… and \(p.fitting.count - maxFitting) more that fit (all in the JSON and Markdown)\n"
                }
                if let b = p.best { o += "best in budget: \(b.label) (id \(b.id.prefix(12)))\n" }
            } else {
                o += "no case fits.\n"
            }
            if !p.notFitting.isEmpty {
                o += "\ndoes not fit (closest first):\n"
                let shown = closestFirst(p.notFitting).prefix(maxRejected)
                o += PlainTable.text(["case", "binding constraint", "also"], shown.map { c in
                    [c.label, c.binding?.text ?? "", c.violations.dropFirst().map(\.constraint).joined(separator: ", ")]
                })
                if p.notFitting.count > shown.count {
                    o += "… and \(p.notFitting.count - shown.count) more (all in the JSON and Markdown)\n"
                }
            }
            o += "\n"
        }
        return o
    }

    /// Markdown: one section per profile. `charts` maps a profile name to a relative figure path to link.
    public func markdown(charts: [String: String] = [:], headingLevel: Int = 1) -> String {
        let h = String(repeating: "#", count: headingLevel)
        var o = "\(h) Hardware budgets for \(Escape.markdown(resultsName))\n\n"
        o += "Each profile's limits are checked against every case: BitOps per image, weight storage and peak activation "
        o += "memory exactly; time per image and fidelity where the profile asks. Cases that fit are ranked by fidelity "
        o += "(mean logit SQNR, highest first), then by cost (BitOps, weights, activations); for the others the binding "
        o += "constraint is the limit exceeded by the largest relative amount.\n\n"
        o += PlainTable.markdown(["profile", "limits", "cases that fit", "best in budget"], profiles.map { p in
            [Escape.markdown(p.profile.name), Escape.markdown(p.profile.limitsText), "\(p.fitting.count) of \(p.fitting.count + p.notFitting.count)",
             p.best.map { Escape.markdown($0.label) } ?? "none"]
        }, right: [2])
        for p in profiles {
            o += "\n\(h)# \(Escape.markdown(p.profile.name))\n\n"
            if let d = p.profile.description { o += "\(Escape.markdown(d)).\n\n" }
            o += "Limits: \(Escape.markdown(p.profile.limitsText)).\n\n"
            if let b = p.best {
                o += "**Best in budget: \(Escape.markdown(b.label))** — \(b.fidelityText), \(NumberText.si(Double(b.bitops))) BitOps, "
                o += "\(bytesText(Double(b.weightStorageBytes))) of weights, \(bytesText(Double(b.peakActivationBytes))) of peak activations.\n\n"
            } else {
                o += "**No case fits this profile.**"
                if let c = closestFirst(p.notFitting).first, let v = c.binding { o += " The closest is \(Escape.markdown(c.label)): \(Escape.markdown(v.text))." }
                o += "\n\n"
            }
            if let chart = charts[p.profile.name] {
                o += "![Cost against fidelity for \(Escape.markdown(p.profile.name))](\(chart.replacingOccurrences(of: " ", with: "%20")))\n\n"
            }
            if !p.fitting.isEmpty {
                let rows = p.fitting.map { ["\($0.rank ?? 0)", Escape.markdown($0.label)] + $0.row }
                let top = rows.prefix(10)
                o += "Cases that fit, best first:\n\n"
                o += PlainTable.markdown(["#", "case"] + Self.header, Array(top), right: [0, 2, 3, 4, 5, 6, 7])
                if rows.count > top.count {
                    o += "\n<details><summary>\(rows.count - top.count) more cases fit</summary>\n\n"
                    o += PlainTable.markdown(["#", "case"] + Self.header, Array(rows.dropFirst(top.count)), right: [0, 2, 3, 4, 5, 6, 7])
                    o += "\n</details>\n"
                }
                o += "\n"
            }
            if !p.notFitting.isEmpty {
                let rows = closestFirst(p.notFitting).map { c in
                    [Escape.markdown(c.label), Escape.markdown(c.binding?.text ?? ""), Escape.markdown(c.violations.dropFirst().map(\.text).joined(separator: "; "))]
                }
                let table = PlainTable.markdown(["case", "binding constraint", "also exceeded"], rows)
                if rows.count > 10 {
                    o += "<details><summary>\(rows.count) cases do not fit (closest first)</summary>\n\n\(table)\n</details>\n"
                } else {
                    o += "Cases that do not fit (closest first):\n\n\(table)"
                }
            }
            if p.excluded > 0 { o += "\nNot judged: \(Escape.markdown(p.notJudgedText)).\n" }
        }
        return o
    }

    /// JSON: every profile with its fitting cases (ranked) and the others with all their violations.
    public func json() throws -> Data {
        try analysisEncoder().encode(self) + Data("\n".utf8)
    }
}

extension ProfileResult {
    /// `181 cases counted under another convention, 2 failed cases`.
    public var notJudgedText: String {
        var parts: [String] = []
        let other = excluded - failed
        if other > 0 { parts.append("\(other) case\(other == 1 ? "" : "s") counted under another convention than \(profile.convention.rawValue)") }
        if failed > 0 { parts.append("\(failed) case\(failed == 1 ? "" : "s") that failed to run") }
        return parts.joined(separator: ", ")
    }
}

extension ProfileResult {
    /// The cases that do not fit, those nearest to fitting first (see `closestFirst`).
    public var notFittingClosestFirst: [BudgetCase] { closestFirst(notFitting) }
}

/// Cases that do not fit, those nearest to fitting first (smallest binding excess), then in grid order.
func closestFirst(_ cases: [BudgetCase]) -> [BudgetCase] {
    cases.enumerated().sorted { a, b in
        let x = a.element.binding?.relative ?? .infinity, y = b.element.binding?.relative ?? .infinity
        return x != y ? x < y : a.offset < b.offset
    }.map(\.element)
}
