import BitOpsCore
import Foundation
import Results
import Testing
@testable import Sweep

/// A calibrated case's cache key has the evaluator's calibration version, so that a change to calibration makes
/// it stale; a fixed case's key is the one it always had (and never asks for the calibration version).
@Suite struct CalibrationCacheTests {
    static let grid = """
        name: calibrated
        sizes: [8]
        blocks: [1]
        precisions: [4]
        act_bits: [4]
        conventions: [weight]
        """

    @Test func onlyCalibratedKeysHaveTheCalibrationVersion() throws {
        let d = TempDir()
        let fixed = try SweepPlan.expand(try spec(Self.grid, dir: d)).cases[0]
        let minmax = try SweepPlan.expand(try spec(Self.grid + "\nnetwork: {preset: seed, calibrate: minmax}\n", dir: d)).cases[0]
        #expect(fixed.job.calibration == .fixed && minmax.job.calibration == .minmax)
        func notAsked() -> String {
            Issue.record("a fixed case's key asked for the calibration version")
            return "x"
        }
        // The fixed key: the formula it had before calibration existed, and the calibration version not evaluated.
        let before = Digest.sha256("bitsweep-case-v1\n" + Canonical.json(fixed.config) + "\n" + fixed.network.canonical
            + "\nbatch \(fixed.job.batch)\nkernels \(fixed.job.kernels.rawValue)\nengine e\nimages x\n")
        #expect(CaseCache.key(for: fixed, imageSetDigest: "x", engineVersion: "e", calibrationVersion: notAsked()) == before)
        #expect(CaseCache.key(for: minmax, imageSetDigest: "x", engineVersion: "e", calibrationVersion: "c1")
            != CaseCache.key(for: minmax, imageSetDigest: "x", engineVersion: "e", calibrationVersion: "c2"))
    }

    /// End to end with the fake engine: a changed calibration version recomputes the calibrated case and
    /// reuses the fixed one.
    @Test func aChangedCalibrationRecomputesCalibratedCasesOnly() throws {
        let d = TempDir()
        d.fakeImages()
        let fixed = try spec(Self.grid, dir: d)
        let minmax = try spec(Self.grid + "\nnetwork: {preset: seed, calibrate: minmax}\n", dir: d)
        var e = FakeEvaluator()
        #expect(try run(fixed, out: d.sub("fixed"), evaluator: e).computed == 1)
        #expect(try run(minmax, out: d.sub("minmax"), evaluator: e).computed == 1)
        #expect(try run(minmax, out: d.sub("minmax"), evaluator: e).reused == 1)
        e.calibrationVersion = "fake-calibration-2"
        let again = try run(minmax, out: d.sub("minmax"), evaluator: e)
        #expect(again.computed == 1 && again.reused == 0)
        let fixedAgain = try run(fixed, out: d.sub("fixed"), evaluator: e)
        #expect(fixedAgain.reused == 1 && fixedAgain.computed == 0)
    }
}
