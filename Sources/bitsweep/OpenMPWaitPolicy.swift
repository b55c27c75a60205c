import Engine
import Foundation
import Sweep

/// libgomp reads its waiting policy once, when the process starts, so `infer`, `bench`, `sensitivity` and
/// `search` with more than one engine thread choose it first (`OpenMPWaiting.choose`: a bounded spin when the
/// CPUs are free, sleeping at once when other work is running) and re-execute themselves once with the chosen
/// variable set. `OMP_WAIT_POLICY` or `GOMP_SPINCOUNT` set by the user is kept as it is.
enum OpenMPWaitPolicy {
    /// Set in the re-executed process: the reason of the choice, for `bench` to report.
    static let choiceVariable = "BITSWEEP_OPENMP_WAITING"

    static func apply(threads: Int) {
        let env = ProcessInfo.processInfo.environment
        guard threads > 1, env["OMP_WAIT_POLICY"] == nil, env["GOMP_SPINCOUNT"] == nil else { return }
        let others = OpenMPWaiting.othersRunnable()
        guard let choice = OpenMPWaiting.choose(threads: threads, cpus: AvailableCPUs.current().count,
                                                othersRunnable: others, environment: env) else { return }
        setenv(choice.variable, choice.value, 1)
        setenv(choiceVariable, choice.reason, 1)
        var argv: [UnsafeMutablePointer<CChar>?] = CommandLine.arguments.map { strdup($0) } + [nil]
        execv("/proc/self/exe", &argv)
        // Only reached when exec failed: carry on with libgomp's default.
        unsetenv(choice.variable)
        unsetenv(choiceVariable)
    }

    /// How this process's OpenMP threads wait, for reports: the variables libgomp reads, and why they were
    /// chosen when bitsweep chose them (`default` when neither is set: libgomp spins 300 000 iterations).
    static var current: String {
        let env = ProcessInfo.processInfo.environment
        let set = ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"].compactMap { k in env[k].map { "\(k)=\($0)" } }
        guard !set.isEmpty else { return "default" }
        return set.joined(separator: " ") + (env[choiceVariable].map { " (chosen: \($0))" } ?? " (from the environment)")
    }
}
