import Analysis
import Foundation
import Results

extension HistoryDatabase {
    /// The baseline timing samples `compare --history` judges the current run against: for each case, the
    /// pooled `ms_per_image` samples of its last `recent` runs in the database before `current` (a run already
    /// added — as `sweep --history` does before the compare — is left out, and so is every run after it).
    /// A case the database has no run of keeps the baseline results' own samples.
    ///
    /// When every pooled run has a reference median (schema v3, `ReferenceScaling`), each run's samples are
    /// first scaled to one machine speed — the reference median of the latest pooled run — and the reference
    /// says so (`referenceMs`), so that `compare` scales the current run's samples to the same speed.
    /// `scaled: false` (`--no-reference-scaling`): the samples as stored.
    public func timingReference(recent: Int, current: LoadedRun?, scaled scaling: Bool = true) throws -> TimingReference {
        let series = try self.series(metrics: [.msPerImage])
        var windows: [(key: String, points: ArraySlice<HistoryPoint>)] = []
        for s in series {
            var points = s.points
            if let current, let i = points.firstIndex(where: { $0.run.fingerprint == current.fingerprint }) {
                points = Array(points[..<i])
            }
            windows.append((s.caseKey, points.suffix(max(1, recent))))
        }
        let used = windows.flatMap { $0.points.map(\.run) }
        let scaled = scaling && !used.isEmpty && used.allSatisfy { ($0.referenceMs ?? 0) > 0 }
        let speed = scaled ? used.max { ($0.date, $0.id) < ($1.date, $1.id) }!.referenceMs! : nil
        var pooled: [String: [Double]] = [:]
        var runsUsed = 0
        for w in windows {
            let samples = w.points.flatMap { p in p.value.samples.map { $0 * (speed.map { s in s / p.run.referenceMs! } ?? 1) } }
            if !samples.isEmpty {
                pooled[w.key] = samples
                runsUsed = max(runsUsed, w.points.count)
            }
        }
        let table = pooled
        let text = "history \(path): each case's last \(runsUsed < recent ? "\(runsUsed) (of up to \(recent))" : "\(recent)") runs"
            + (current == nil ? "" : " before this one") + ", pooled"
            + (speed == nil ? "" : ", each run scaled to the machine speed of the latest (reference workload)")
        return TimingReference(description: text, referenceMs: speed) { config in table[HistoryDatabase.caseKey(config)] }
    }
}
