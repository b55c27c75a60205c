import Foundation
import Testing

/// The cluster side: `--jobs` follows the affinity mask, and the Slurm and Kubernetes recipes in deploy/ run
/// (scripts/check-cluster-recipes.py: schema validation, each recipe's own commands run locally, merged
/// results equal to one unsharded run).
@Suite struct ClusterTests {
    /// `taskset -c 0 bitsweep sweep …` runs one job: the default follows the CPUs the process may use.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset"), "SKIPPED: no taskset"))
    func jobsDefaultFollowsTheAffinityMask() throws {
        let out = NSTemporaryDirectory() + "bitsweep-taskset-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: out) }
        let sweep = [CLI.binary.path, "sweep", "Inputs/sweep.yaml", "--set", "sizes=[16]", "--set", "blocks=[2,3]",
                     "--set", "precisions=[8,4]", "--set", "act_bits=[32]", "--set", "conventions=[weight]",
                     "--set", "exclude=[]", "--set", "include=[]", "--no-report", "--out", out]
        let pinned = try CLI.run(["-c", "0"] + sweep, executable: "/usr/bin/taskset")
        #expect(pinned.status == 0, "\(pinned.stderr)")
        #expect(pinned.stderr.contains(", 1 job × 1 thread → "), "\(pinned.stderr)")
        // With two CPUs allowed (when the machine has them) the same command runs two jobs.
        if ProcessInfo.processInfo.activeProcessorCount >= 2 {
            let two = try CLI.run(["-c", "0,1"] + sweep + ["--fresh"], executable: "/usr/bin/taskset")
            #expect(two.stderr.contains(", 2 jobs × 1 thread → "), "\(two.stderr)")
        }
    }

    /// A venv with kubernetes-validate (schemas bundled, no cluster needed), made once per machine; nil when
    /// PyPI or python3-venv is unavailable — then only the structural checks run.
    static let python: String? = {
        let venv = NSTemporaryDirectory() + "bitsweep-k8svenv"
        let py = venv + "/bin/python"
        if FileManager.default.isExecutableFile(atPath: py),
           (try? CLI.run(["-c", "import kubernetes_validate, yaml"], executable: py))?.status == 0 { return py }
        guard (try? CLI.run(["python3", "-m", "venv", venv], executable: "/usr/bin/env"))?.status == 0 else { return nil }
        let pip = try? CLI.run(["install", "--quiet", "--disable-pip-version-check", "kubernetes-validate"], executable: venv + "/bin/pip")
        return pip?.status == 0 ? py : nil
    }()

    @Test func clusterRecipesValidateAndMergeToTheSingleRunResults() throws {
        let script = CLI.packageRoot.appendingPathComponent("scripts/check-cluster-recipes.py").path
        let r: CLI.Result
        if let py = Self.python {
            r = try CLI.run([script, "--bitsweep", CLI.binary.path, "--require-schema"], executable: py)
        } else {
            r = try CLI.run(["python3", script, "--bitsweep", CLI.binary.path], executable: "/usr/bin/env")
        }
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        for line in ["ok: manifests:", "ok: Kubernetes: 3 Indexed Job pods", "ok: Kubernetes: merged results equal",
                     "ok: Slurm: 3 array tasks", "ok: Slurm: merged results equal", "ok: Slurm: an array with gaps",
                     "ok: submit.sh: array 0-4, then merge with --dependency=afterok:701"] {
            #expect(r.stdout.contains(line), "missing '\(line)' in:\n\(r.stdout)")
        }
        if Self.python != nil { #expect(r.stdout.contains("ok: kubernetes-validate")) }
    }
}
