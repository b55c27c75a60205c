import Foundation
import Testing

/// `bench` with more than one thread chooses the OpenMP waiting policy, re-executes itself with it, and reports
/// the choice and its reason; a policy from the environment is kept as it is.
@Suite struct OpenMPWaitingCLITests {
    /// `bench`'s `omp_wait_policy` with `threads` threads and `variables` added to an environment without any
    /// OpenMP waiting variable.
    static func policy(threads: Int, _ variables: [String: String] = [:]) throws -> String {
        var env = ProcessInfo.processInfo.environment
        for k in ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "BITSWEEP_OPENMP_WAITING"] { env[k] = nil }
        env.merge(variables) { _, new in new }
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["bench", "--blocks", "2", "--size", "16", "--threads", "\(threads)", "--runs", "1", "--warmup", "0", "--format", "json"]
        p.environment = env
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(doc["omp_wait_policy"] as? String)
    }

    @Test func twoThreadsChooseFromTheFreeCPUs() throws {
        let chosen = try Self.policy(threads: 2)
        // Which one depends on the machine's load at that instant; the reason must match the choice.
        let spin = try Regex(#"^GOMP_SPINCOUNT=10000 \(chosen: spin ≤ 10000, then sleep: (\d+) other runnable tasks, (\d+) CPUs, 2 threads\)$"#)
        let sleep = try Regex(#"^OMP_WAIT_POLICY=PASSIVE \(chosen: sleep at once: (\d+|unknown) other runnable tasks, (\d+) CPUs, 2 threads\)$"#)
        if let m = chosen.wholeMatch(of: spin) {
            let others = Int(m.output[1].substring!)!, cpus = Int(m.output[2].substring!)!
            #expect(others + 2 <= cpus, "\(chosen)")
        } else if let m = chosen.wholeMatch(of: sleep) {
            if let others = m.output[1].substring.flatMap({ Int($0) }) {
                #expect(others + 2 > Int(m.output[2].substring!)!, "\(chosen)")
            }
        } else {
            Issue.record("unexpected omp_wait_policy: \(chosen)")
        }
    }

    /// With a busy loop on every CPU, no CPU is free for two engine threads whatever else runs: the choice must
    /// be to sleep, and the count of other runnable tasks it gives must include the loops (a rule that did not
    /// read the machine's load, or read it wrong, would spin here).
    @Test func busyCPUsMakeTheThreadsSleep() throws {
        let cpus = ProcessInfo.processInfo.activeProcessorCount
        var loops: [Process] = []
        // SIGKILL: the loops, started by Foundation's Process, did not end on SIGTERM.
        defer { for p in loops { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() } }
        for _ in 0..<cpus {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", "while :; do :; done"]
            try p.run()
            loops.append(p)
        }
        let chosen = try Self.policy(threads: 2)
        let sleep = try Regex(#"^OMP_WAIT_POLICY=PASSIVE \(chosen: sleep at once: (\d+) other runnable tasks, (\d+) CPUs, 2 threads\)$"#)
        let m = try #require(chosen.wholeMatch(of: sleep), "\(chosen)")
        #expect(Int(m.output[1].substring!)! >= cpus, "\(chosen)")
    }

    @Test func theEnvironmentWinsAndOneThreadChoosesNothing() throws {
        #expect(try Self.policy(threads: 2, ["OMP_WAIT_POLICY": "ACTIVE"]) == "OMP_WAIT_POLICY=ACTIVE (from the environment)")
        #expect(try Self.policy(threads: 2, ["GOMP_SPINCOUNT": "500"]) == "GOMP_SPINCOUNT=500 (from the environment)")
        #expect(try Self.policy(threads: 1) == "default")
    }
}
