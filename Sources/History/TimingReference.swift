import Analysis
import Foundation
import Results

extension HistoryDatabase {
    /// The baseline timing samples `compare --history` judges the current run against: for each case, the
    /// pooled `ms_per_image` samples of its last `recent` runs in the database before `current` (a run already
    /// added — as `sweep --history` does before the compare — is left out, and so is every run after it).
    /// A case the database has no run of keeps the baseline results' own samples.
    public func timingReference(recent: Int, current: LoadedRun?) throws -> TimingReference {
        let series = try self.series(metrics: [.msPerImage])
        var pooled: [String: [Double]] = [:]
        var runsUsed = 0
        for s in series {
            var points = s.points
            if let current, let i = points.firstIndex(where: { $0.run.fingerprint == current.fingerprint }) {
                points = Array(points[..<i])
            }
            let last = points.suffix(max(1, recent))
            let samples = last.flatMap(\.value.samples)
            if !samples.isEmpty {
                pooled[s.caseKey] = samples
                runsUsed = max(runsUsed, last.count)
            }
        }
        let table = pooled
        let text = "history \(path): each case's last \(runsUsed < recent ? "\(runsUsed) (of up to \(recent))" : "\(recent)") runs"
            + (current == nil ? "" : " before this one") + ", pooled"
        return TimingReference(description: text) { config in table[HistoryDatabase.caseKey(config)] }
    }
}
