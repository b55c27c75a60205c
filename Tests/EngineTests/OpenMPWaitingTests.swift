import BitOpsCore
@testable import Engine
import Testing

/// The OpenMP waiting policy follows from the free CPUs alone, and never overrides the user's variables.
@Suite struct OpenMPWaitingTests {
    @Test func spinsOnlyWhenEveryThreadHasAFreeCPU() throws {
        let quiet = try #require(OpenMPWaiting.choose(threads: 2, cpus: 2, othersRunnable: 0, environment: [:]))
        #expect(quiet.variable == "GOMP_SPINCOUNT" && quiet.value == "10000")
        #expect(quiet.reason == "spin ≤ 10000, then sleep: 0 other runnable tasks, 2 CPUs, 2 threads")
        // One other runnable task leaves one CPU for two threads: sleep.
        let busy = try #require(OpenMPWaiting.choose(threads: 2, cpus: 2, othersRunnable: 1, environment: [:]))
        #expect(busy.variable == "OMP_WAIT_POLICY" && busy.value == "PASSIVE")
        #expect(busy.reason == "sleep at once: 1 other runnable tasks, 2 CPUs, 2 threads")
        // Room for 2 threads beside 2 other tasks on 4 CPUs, not for 3.
        #expect(OpenMPWaiting.choose(threads: 2, cpus: 4, othersRunnable: 2, environment: [:])?.variable == "GOMP_SPINCOUNT")
        #expect(OpenMPWaiting.choose(threads: 3, cpus: 4, othersRunnable: 2, environment: [:])?.variable == "OMP_WAIT_POLICY")
        // More threads than CPUs, or an unknown count: sleep.
        #expect(OpenMPWaiting.choose(threads: 3, cpus: 2, othersRunnable: 0, environment: [:])?.value == "PASSIVE")
        #expect(OpenMPWaiting.choose(threads: 2, cpus: 2, othersRunnable: nil, environment: [:])?.value == "PASSIVE")
    }

    @Test func oneThreadOrTheUsersOwnVariablesLeaveItAlone() {
        #expect(OpenMPWaiting.choose(threads: 1, cpus: 2, othersRunnable: 0, environment: [:]) == nil)
        #expect(OpenMPWaiting.choose(threads: 2, cpus: 2, othersRunnable: 0, environment: ["OMP_WAIT_POLICY": "ACTIVE"]) == nil)
        #expect(OpenMPWaiting.choose(threads: 2, cpus: 2, othersRunnable: 5, environment: ["GOMP_SPINCOUNT": "0"]) == nil)
    }

    @Test func runnableTasksComeFromTheFourthFieldOfLoadavg() {
        #expect(OpenMPWaiting.runnableTasks(loadavg: "0.30 1.09 2.21 2/345 6512\n") == 2)
        #expect(OpenMPWaiting.runnableTasks(loadavg: "13.65 14.13 12.64 17/512 9000") == 17)
        #expect(OpenMPWaiting.runnableTasks(loadavg: "0.30 1.09 2.21") == nil)
        #expect(OpenMPWaiting.runnableTasks(loadavg: "0.30 1.09 2.21 x/345 1") == nil)
        #expect(OpenMPWaiting.runnableTasks(loadavg: nil) == nil)
        // On Linux the file exists and counts at least the reading thread.
        if let text = OpenMPWaiting.readLoadavg() { #expect((OpenMPWaiting.runnableTasks(loadavg: text) ?? 0) >= 1) }
    }
}
