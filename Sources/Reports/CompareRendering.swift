import Analysis
import Foundation
import Presentation

/// The written forms of a `Comparison`: Markdown (verdict and summary first, then the changed cases), a
/// terminal table, and JSON (the `Comparison` value itself: every difference, exact integers).
extension Comparison {
    /// The one-line verdict, e.g. `REGRESSION — 2 cases have different counts …` or `no regression (24 cases identical)`.
    public var verdictLine: String {
        switch verdict {
        case .noRegression:
            var s = "no regression: \(matched) case\(matched == 1 ? "" : "s") match the baseline"
            if faster + slower > 0 {
                s += " (\(faster + slower) timing change\(faster + slower == 1 ? "" : "s") \(timingRuleShort) reported, not failing)"
            }
            return s
        case .regression:
            return "REGRESSION: " + reasons.joined(separator: "; ")
        }
    }

    /// `nightly (Reports/baseline)`: the sweep's name and where it was read from.
    func sideText(_ name: String, _ path: String?) -> String {
        guard let path, !path.isEmpty else { return name }
        return "\(name) (\(path))"
    }

    /// The summary rows shared by the Markdown and table forms.
    var summaryRows: [[String]] {
        var rows: [[String]] = [
            ["cases compared (matched by configuration)", String(matched)],
            ["unchanged", String(unchanged)],
            ["counts changed", String(countChanges)],
            ["fidelity changed (worse / better)", "\(fidelityChanges) (\(fidelityWorse) / \(fidelityChanges - fidelityWorse))"],
            ["timing \(timingRuleShort) (slower / faster)\(options.failOnTime ? "" : ", not failing")", "\(slower + faster) (\(slower) / \(faster))"],
            ["only in the baseline (removed)", String(baselineOnly.count)],
            ["only in the current results (added)", String(currentOnly.count)],
        ]
        if errorChanges > 0 { rows.append(["failing differently", String(errorChanges)]) }
        if !skippedImages.isEmpty { rows.append(["images skipped differently", String(skippedImages.count)]) }
        return rows
    }

    var tolerancesText: String {
        "fidelity tolerance ±\(NumberText.significant(options.sqnrToleranceDB)) dB SQNR, ±\(options.cosineTolerance) cosine, " +
            "±\(NumberText.percent(options.top1Tolerance)) top-1 agreement; \(timingRuleText) " +
            "(\(options.failOnTime ? "a slower one fails with --fail-on-time" : "reported only; --fail-on-time makes a slowdown fail"))"
    }

    /// `99% CI beyond ±10%`: the condition of a called timing change, short.
    var timingRuleShort: String {
        "\(NumberText.percent(1 - options.alpha)) CI beyond ±\(NumberText.percent(options.timeThreshold))"
    }

    /// The timing rule in words, with how many cases fell back to the threshold alone.
    var timingRuleText: String {
        var s = "a timing change is called when the whole \(NumberText.percent(1 - options.alpha)) confidence interval of the shift " +
            "in time per image (Hodges–Lehmann estimate of the current/baseline ratio over the timing samples, distribution-free " +
            "interval from the Mann–Whitney ranks) lies beyond ±\(NumberText.percent(options.timeThreshold))"
        if let r = timingReference { s += " (baseline samples: \(r))" }
        if let f = timingScale, let b = baselineReferenceMs, let c = currentReferenceMs {
            s += "; the current samples are scaled by ×\(NumberText.significant(f, digits: 3)) for the machine's speed: the reference workload took " +
                "\(NumberText.significant(b, digits: 3)) ms per image in the baseline run, \(NumberText.significant(c, digits: 3)) in the current one (--no-reference-scaling: judged as measured)"
        } else if options.referenceScaling && timed > 0 {
            s += "; not scaled for the machine's speed (\(baselineReferenceMs == nil ? "the baseline" : "the current") run has no reference workload samples)"
        } else if let b = baselineReferenceMs, let c = currentReferenceMs, timed > 0 {
            s += "; judged as measured (--no-reference-scaling; the reference workload took \(NumberText.significant(b, digits: 3)) and \(NumberText.significant(c, digits: 3)) ms per image)"
        }
        if let n = timedAgainstBaselineResults {
            s += "; \(n) of \(timed) timed cases have no samples there and are judged against the baseline results' own samples"
            if let f = baselineResultsTimingScale, let b = baselineResultsReferenceMs {
                s += ", scaled by ×\(NumberText.significant(f, digits: 3)) to the baseline run's speed (its reference workload took \(NumberText.significant(b, digits: 3)) ms per image)"
            } else if options.referenceScaling {
                s += ", not scaled (the baseline results have no reference workload samples)"
            }
        }
        if timedThresholdOnly > 0 {
            s += "; \(timedThresholdOnly) of \(timed) timed cases have too few samples on a side for an interval " +
                "(one sample: results from before sweep --repeats), and there the estimate against the threshold alone decides (threshold-only)"
        }
        return s
    }

    /// The Markdown comparison. `charts` are relative paths of figures to link (e.g. the delta heatmap).
    public func markdown(charts: [(title: String, path: String)] = []) -> String {
        var o = "# Comparison: \(Escape.markdown(sideText(currentName, currentPath))) against the baseline \(Escape.markdown(sideText(baselineName, baselinePath)))\n\n"
        switch verdict {
        case .noRegression:
            let detail = verdictLine.hasPrefix("no regression: ") ? String(verdictLine.dropFirst("no regression: ".count)) : verdictLine
            o += "**Verdict: no regression** (exit code 0): \(Escape.markdown(detail)).\n\n"
        case .regression:
            o += "**Verdict: REGRESSION** (exit code 1).\n\n"
            for r in reasons { o += "- \(Escape.markdown(r))\n" }
            o += "\n"
        }
        o += PlainTable.markdown(["", "cases"], summaryRows, right: [1])
        o += "\nCounts (BitOps, MACs, params, weight storage, activation memory) are compared exactly; \(tolerancesText).\n"

        if !provenance.isEmpty {
            o += "\nThe two runs differ in provenance (context, not a reason for the verdict):\n\n"
            o += PlainTable.markdown(["", "baseline", "current"], provenance.map { [Escape.markdown($0.field), Escape.markdown($0.baseline), Escape.markdown($0.current)] })
        }
        for c in charts {
            o += "\n![\(Escape.markdown(c.title))](\(c.path.replacingOccurrences(of: " ", with: "%20")))\n"
        }

        if !baselineOnly.isEmpty {
            o += "\n## Removed: only in the baseline\n\n" + summaryTable(baselineOnly)
        }
        if !currentOnly.isEmpty {
            o += "\n## Added: only in the current results\n\n" + summaryTable(currentOnly)
        }
        if !skippedImages.isEmpty {
            o += "\n## Images skipped differently\n\n"
            o += PlainTable.markdown(["image", "baseline", "current"], skippedImages.map { [Escape.markdown($0.field), Escape.markdown($0.baseline), Escape.markdown($0.current)] })
        }
        let detailed = changed.filter { $0.countsChanged || $0.fidelityChanged || $0.errorChanged }
        if !detailed.isEmpty {
            o += "\n## Changed cases\n"
            for d in detailed.prefix(20) { o += "\n" + d.markdown(options) }
            if detailed.count > 20 {
                o += "\n<details><summary>\(detailed.count - 20) more changed cases</summary>\n"
                for d in detailed.dropFirst(20) { o += "\n" + d.markdown(options) }
                o += "\n</details>\n"
            }
        }
        let timed = timingChangesLargestFirst
        if !timed.isEmpty {
            o += "\n## Timing changes (\(timingRuleShort))\n\n"
            o += options.failOnTime ? "Slower cases fail (--fail-on-time); faster ones are reported. " : "Reported, not failing (timings are noisy; --fail-on-time makes a slowdown fail). "
            o += "Largest shifts first.\n\n"
            let rows = timed.map { d -> [String] in
                let t = d.timing!
                return [Escape.markdown(d.label), NumberText.milliseconds(t.baselineMs), NumberText.milliseconds(t.currentMs), NumberText.signedPercent(t.shift),
                        t.intervalText, t.samplesText, t.slower ? (options.failOnTime ? "**slower: fails**" : "slower") : "faster"]
            }
            let header = ["case", "baseline (median)", "current (median)", "shift", "\(NumberText.percent(1 - options.alpha)) CI", "samples", ""]
            o += PlainTable.markdown(header, Array(rows.prefix(10)), right: [1, 2, 3, 4, 5])
            if rows.count > 10 {
                o += "\n<details><summary>\(rows.count - 10) more timing changes</summary>\n\n"
                o += PlainTable.markdown(header, Array(rows.dropFirst(10)), right: [1, 2, 3, 4, 5])
                o += "\n</details>\n"
            }
        }
        return o
    }

    func summaryTable(_ list: [CaseSummary]) -> String {
        PlainTable.markdown(["case", "id", "BitOps", "weight storage", "peak activations", "SQNR mean"], list.map {
            [Escape.markdown($0.label), "`\($0.id.prefix(12))`", NumberText.grouped($0.bitops), bytesText(Double($0.weightStorageBytes)),
             bytesText(Double($0.peakActivationBytes)), $0.error.map { "failed: " + Escape.markdown($0) } ?? dbText($0.sqnrDBMean)]
        }, right: [2, 3, 4, 5])
    }

    /// Cases whose timing change is called, the largest shift first (grid order on ties).
    var timingChangesLargestFirst: [CaseDiff] {
        changed.enumerated().filter { $0.element.timeChanged }.sorted { a, b in
            let x = abs(a.element.timing!.shift), y = abs(b.element.timing!.shift)
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
    }

    /// The plain-text form printed on a terminal: verdict, summary, then one block per changed case (the
    /// first `maxCases`), then the largest `maxTimingRows` timing changes.
    public func table(maxCases: Int = 20, maxTimingRows: Int = 12) -> String {
        var o = "baseline: \(sideText(baselineName, baselinePath))\ncurrent:  \(sideText(currentName, currentPath))\n\n"
        o += PlainTable.text(["", "cases"], summaryRows, right: [1])
        for p in provenance { o += "provenance \(p.field): \(p.baseline) → \(p.current)\n" }
        for s in baselineOnly { o += "removed: \(s.label)\n" }
        for s in currentOnly { o += "added:   \(s.label)\n" }
        for s in skippedImages { o += "skipped image \(s.field): \(s.baseline) → \(s.current)\n" }
        let detailed = changed.filter { $0.countsChanged || $0.fidelityChanged || $0.errorChanged }
        for d in detailed.prefix(maxCases) {
            o += "\n\(d.label)  [\(d.isRegression(options) ? "regression" : "reported")]\n"
            for f in d.config { o += "  \(f.field): \(f.baseline) → \(f.current)\n" }
            for f in d.totals { o += "  total \(f.field): \(NumberText.grouped(Int(f.baseline) ?? 0)) → \(NumberText.grouped(Int(f.current) ?? 0)) (\(NumberText.signedGrouped(f.delta ?? 0)))\n" }
            for l in d.layers {
                func g(_ t: String) -> String { Int(t).map { NumberText.grouped($0) } ?? t }
                let what = l.changes.map { "\($0.field) \(g($0.baseline))→\(g($0.current))" }.joined(separator: ", ")
                o += "  layer \(l.layer)\(l.presence == .both ? "" : " (\(l.presence.rawValue))"): \(what)\n"
            }
            for f in d.fidelity { o += "  \(f.text)\n" }
            if !d.images.isEmpty { o += "  \(d.images.count) image\(d.images.count == 1 ? "" : "s") moved\n" }
            if let e = d.error { o += "  error: \(e.baseline) → \(e.current)\n" }
        }
        if detailed.count > maxCases {
            o += "\n… and \(detailed.count - maxCases) more changed cases (all in comparison.md and the JSON)\n"
        }
        let timed = timingChangesLargestFirst
        if !timed.isEmpty {
            o += "\ntime per image, shift \(timingRuleShort)\(options.failOnTime ? "; slower fails" : ", reported, not failing"); largest first:\n"
            o += PlainTable.text(["case", "baseline", "current", "shift", "\(NumberText.percent(1 - options.alpha)) CI", "samples"], timed.prefix(maxTimingRows).map { d in
                let t = d.timing!
                return [d.label, NumberText.milliseconds(t.baselineMs), NumberText.milliseconds(t.currentMs), NumberText.signedPercent(t.shift),
                        t.intervalText, t.samplesText]
            }, right: [1, 2, 3, 4, 5])
            if timed.count > maxTimingRows {
                o += "… and \(timed.count - maxTimingRows) more timing changes (all in comparison.md and the JSON)\n"
            }
        }
        if self.timed > 0 { o += "\ntiming: \(timingRuleText)\n" }
        o += "\n" + verdictLine + "\n"
        return o
    }

    /// The JSON of the differences (this value, canonical encoding).
    public func json() throws -> Data {
        try analysisEncoder().encode(self) + Data("\n".utf8)
    }
}

extension FidelityChange {
    var valueText: (String, String) {
        if metric.hasPrefix("sqnr") { return (dbText(baseline), dbText(current)) }
        if metric == "images" { return (baseline.map { String(Int($0)) } ?? "not measured", current.map { String(Int($0)) } ?? "not measured") }
        if metric == "top1_agreement" { return (baseline.map(NumberText.percent) ?? "—", current.map(NumberText.percent) ?? "—") }
        return (baseline.map { NumberText.fixed($0, 6) } ?? "—", current.map { NumberText.fixed($0, 6) } ?? "—")
    }
    var deltaText: String {
        guard let delta else { return "—" }
        if metric.hasPrefix("sqnr") { return NumberText.signedFixed(delta, 2) + " dB" }
        if metric == "top1_agreement" { return NumberText.signedFixed(delta * 100, 1) + " pp" }
        if metric == "images" { return NumberText.signedGrouped(Int(delta)) }
        return NumberText.signedFixed(delta, 6)
    }
    var toleranceText: String {
        if metric.hasPrefix("sqnr") { return "±\(NumberText.significant(tolerance)) dB" }
        if metric == "top1_agreement" { return "±\(NumberText.percent(tolerance))" }
        if metric == "images" { return "exact" }
        return "±\(tolerance)"
    }
    var text: String {
        let (a, b) = valueText
        return "\(metric): \(a) → \(b) (\(deltaText), \(worse ? "worse" : "better"); tolerance \(toleranceText))"
    }
}

extension TimingVerdict {
    /// `10 vs 10`: current against baseline samples.
    var samplesText: String { "\(currentSamples) vs \(baselineSamples)" }
    /// The shift's interval, `[+27%, +35%]`, or `threshold only` when the samples are too few for one.
    var intervalText: String {
        guard rule == .shiftInterval, let shiftLow, let shiftHigh else { return "threshold only" }
        return "[\(NumberText.signedPercent(shiftLow)), \(NumberText.signedPercent(shiftHigh))]"
    }

    func text(_ o: CompareOptions) -> String {
        let verdict = flagged
            ? (slower ? (o.failOnTime ? "slower: fails (--fail-on-time)" : "slower: reported, not failing") : "faster: reported")
            : beyondThreshold ? "the estimate is beyond the threshold but its interval is not" : "within the threshold"
        let test = rule == .thresholdOnly ? "threshold only: \(samplesText) samples are too few for a confidence interval"
            : "\(NumberText.percent(1 - o.alpha)) CI \(intervalText), \(samplesText) samples"
        return "time per image (median): \(NumberText.milliseconds(baselineMs)) → \(NumberText.milliseconds(currentMs)) (shift \(NumberText.signedPercent(shift)); \(test); threshold ±\(NumberText.percent(o.timeThreshold)); \(verdict))"
    }
}

extension CaseDiff {
    func markdown(_ o: CompareOptions) -> String {
        var s = "### \(Escape.markdown(label))\n\n"
        var kinds: [String] = []
        if countsChanged { kinds.append("counts") }
        if fidelityChanged { kinds.append("fidelity (\(fidelityWorse ? "worse" : "better"))") }
        if timeChanged { kinds.append(slowerChanged ? "slower" : "faster") }
        if errorChanged { kinds.append("error") }
        s += "\(isRegression(o) ? "**Regression**" : "Reported, not failing"): \(kinds.joined(separator: ", ")). "
        s += "Case id `\(baselineID.prefix(12))` → `\(currentID.prefix(12))`.\n\n"
        if !config.isEmpty {
            s += "Resolved configuration:\n\n"
            s += PlainTable.markdown(["field", "baseline", "current"], config.map { [$0.field, $0.baseline, $0.current] })
            s += "\n"
        }
        if !totals.isEmpty {
            s += "Totals:\n\n"
            s += PlainTable.markdown(["count", "baseline", "current", "Δ", "Δ %"], totals.map { f in
                let a = Int(f.baseline) ?? 0, b = Int(f.current) ?? 0
                let pct = a == 0 ? "—" : NumberText.signedPercent(Double(b - a) / Double(a))
                return [f.field, NumberText.grouped(a), NumberText.grouped(b), NumberText.signedGrouped(f.delta ?? 0), pct]
            }, right: [1, 2, 3, 4])
            s += "\n"
        }
        if !layers.isEmpty {
            s += "Layers that moved:\n\n"
            var rows: [[String]] = []
            for l in layers {
                for (i, f) in l.changes.enumerated() {
                    let name = i == 0 ? Escape.markdown(l.layer) + (l.presence == .both ? "" : " (\(l.presence.rawValue))") : ""
                    let numeric = Int(f.baseline) != nil && Int(f.current) != nil
                    rows.append([name, f.field,
                                 numeric ? NumberText.grouped(Int(f.baseline)!) : Escape.markdown(f.baseline),
                                 numeric ? NumberText.grouped(Int(f.current)!) : Escape.markdown(f.current),
                                 f.delta.map(NumberText.signedGrouped) ?? ""])
                }
            }
            s += PlainTable.markdown(["layer", "field", "baseline", "current", "Δ"], rows, right: [2, 3, 4])
            s += "\n"
        }
        if !fidelity.isEmpty {
            s += "Fidelity beyond the tolerance:\n\n"
            s += PlainTable.markdown(["metric", "baseline", "current", "Δ", "tolerance", ""], fidelity.map { f in
                let (a, b) = f.valueText
                return [f.metric, a, b, f.deltaText, f.toleranceText, f.worse ? "worse" : "better"]
            }, right: [1, 2, 3])
            s += "\n"
        }
        if !images.isEmpty {
            let shown = images.prefix(20)
            s += "Images that moved (\(images.count)\(images.count > shown.count ? ", first \(shown.count) shown; all in the JSON" : "")):\n\n"
            s += PlainTable.markdown(["image", "SQNR baseline", "SQNR current", "top-1 agrees (baseline → current)"], shown.map { i in
                func agree(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "—" }
                return [Escape.markdown(i.file) + (i.presence == .both ? "" : " (\(i.presence.rawValue))"),
                        i.presence == .currentOnly ? "—" : dbText(i.baselineSQNRDB),
                        i.presence == .baselineOnly ? "—" : dbText(i.currentSQNRDB),
                        "\(agree(i.baselineTop1Agree)) → \(agree(i.currentTop1Agree))"]
            }, right: [1, 2])
            s += "\n"
        }
        if let t = timing, t.flagged {
            s += "Timing (also in the timing table): \(t.text(o)).\n\n"
        }
        if let e = error {
            s += "Error: \(Escape.markdown(e.baseline)) → \(Escape.markdown(e.current)).\n\n"
        }
        return s
    }
}
