#if canImport(Glibc)
import Glibc
#endif

/// How the engine's OpenMP threads wait between oneDNN primitives, chosen once per process.
///
/// oneDNN threads with GNU OpenMP (libgomp), which reads its waiting policy from the environment when the
/// process starts. A thread that finished its share of a primitive either spins (fast hand-over to the next
/// primitive, but the spinning burns a CPU) or sleeps on a futex (free when the CPU is wanted elsewhere, but
/// every primitive then pays a wake-up). Measured on a 2-CPU virtual machine, MobileNetV1-224 fp32 on 2
/// threads: on a quiet machine sleeping (`OMP_WAIT_POLICY=PASSIVE`) took 4.17 ms and spinning 2.66 ms; with
/// other work on the CPUs, spinning (libgomp's default of 300 000 spins — about 20 ms here, where a spin
/// iteration's PAUSE takes ~140 cycles — or `ACTIVE`) made it 5–17× slower than sleeping, and even a bounded
/// spin of 1 000–10 000 iterations lost to sleeping.
///
/// So the choice follows from whether the CPUs are free when the process starts: when the tasks running
/// besides this one leave a CPU for every engine thread, the threads spin for at most `quietSpinCount`
/// iterations (`GOMP_SPINCOUNT`; below a millisecond here, enough to cover the gap between two primitives,
/// and a bounded loss if the machine gets busy later); otherwise they sleep (`OMP_WAIT_POLICY=PASSIVE`).
/// "Running besides this one" is the kernel's count of runnable tasks (the 4th field of /proc/loadavg, an
/// instant figure, not the load average, which lags by minutes and counts a benchmark's own earlier runs),
/// minus this thread, the smallest of several samples (a thread that spins briefly, such as ONNX Runtime's
/// pool after a run, is not load). A user's own `OMP_WAIT_POLICY` or `GOMP_SPINCOUNT` always wins.
public enum OpenMPWaiting {
    /// Spin iterations before a waiting thread sleeps, when the CPUs are free.
    public static let quietSpinCount = 10_000

    /// The variables to set and why.
    public struct Choice: Equatable, Sendable {
        public var variable: String
        public var value: String
        /// e.g. `spin ≤ 10000, then sleep: 0 other runnable tasks, 2 CPUs, 2 threads`.
        public var reason: String
    }

    /// The policy for `threads` engine threads on `cpus` CPUs with `othersRunnable` other runnable tasks; nil
    /// when there is nothing to choose (one thread, or the environment already sets `OMP_WAIT_POLICY` or
    /// `GOMP_SPINCOUNT`).
    public static func choose(threads: Int, cpus: Int, othersRunnable: Int?, environment: [String: String]) -> Choice? {
        guard threads > 1, environment["OMP_WAIT_POLICY"] == nil, environment["GOMP_SPINCOUNT"] == nil else { return nil }
        let situation = "\(othersRunnable.map(String.init) ?? "unknown") other runnable tasks, \(cpus) CPUs, \(threads) threads"
        if let others = othersRunnable, others + threads <= cpus {
            return Choice(variable: "GOMP_SPINCOUNT", value: "\(quietSpinCount)", reason: "spin ≤ \(quietSpinCount), then sleep: \(situation)")
        }
        return Choice(variable: "OMP_WAIT_POLICY", value: "PASSIVE", reason: "sleep at once: \(situation)")
    }

    /// The runnable tasks of the whole machine besides the calling thread: the smallest of `samples` readings
    /// of /proc/loadavg's `running/total` field, `interval` microseconds apart, minus one; nil when unreadable.
    public static func othersRunnable(samples: Int = 10, intervalMicroseconds: UInt32 = 3000) -> Int? {
        var best: Int?
        for i in 0..<max(1, samples) {
            if i > 0 { usleep(intervalMicroseconds) }
            guard let running = runnableTasks(loadavg: readLoadavg()) else { return nil }
            best = min(best ?? running, running)
        }
        return best.map { max(0, $0 - 1) }
    }

    /// The `running` of /proc/loadavg's 4th field (`running/total`), e.g. `2` of `0.30 1.09 2.21 2/345 6512`.
    static func runnableTasks(loadavg text: String?) -> Int? {
        guard let text else { return nil }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard fields.count >= 4, let slash = fields[3].firstIndex(of: "/") else { return nil }
        return Int(fields[3][..<slash])
    }

    static func readLoadavg() -> String? {
        guard let f = fopen("/proc/loadavg", "r") else { return nil }
        defer { fclose(f) }
        var buffer = [CChar](repeating: 0, count: 256)
        guard fgets(&buffer, Int32(buffer.count), f) != nil else { return nil }
        return String(cString: buffer)
    }
}
