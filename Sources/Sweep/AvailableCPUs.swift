import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How many CPUs this process may really use: the default of `sweep --jobs` and of the engine threads.
///
/// `ProcessInfo.activeProcessorCount` is the machine's count. A process can be given fewer:
/// - its **affinity mask** (`taskset -c 0 bitsweep …`, Slurm's `--cpus-per-task` with task binding, a
///   container runtime's `--cpuset-cpus`): counted with `sched_getaffinity(2)`;
/// - a **cgroup CPU quota** (Kubernetes `resources.limits.cpu`, `docker run --cpus`, systemd's `CPUQuota=`):
///   cgroup v2 `cpu.max` (`"200000 100000"` = 2 CPUs, `"max 100000"` = none), or cgroup v1
///   `cpu.cfs_quota_us` / `cpu.cfs_period_us` (quota −1 = none). A quota may be set on the process's cgroup or
///   on any ancestor up to the mount point; the smallest one binds. A fractional quota rounds up (1.5 CPUs
///   → 2 jobs: the second runs throttled, which is still faster than leaving half a CPU idle).
///
/// `count = max(1, min(affinity, ⌈quota⌉))`.
public struct AvailableCPUs: Hashable, Sendable, CustomStringConvertible {
    /// CPUs online on the machine.
    public var online: Int
    /// CPUs in the affinity mask; nil when it could not be read.
    public var affinity: Int?
    /// The binding cgroup quota in CPUs (quota / period) and the file it came from; nil when there is none.
    public var quota: Double?
    public var quotaFile: String?

    public init(online: Int, affinity: Int?, quota: Double?, quotaFile: String? = nil) {
        self.online = online
        self.affinity = affinity
        self.quota = quota
        self.quotaFile = quotaFile
    }

    /// The CPUs this process may use (at least 1).
    public var count: Int {
        var n = affinity ?? online
        if let quota { n = min(n, Int(quota.rounded(.up))) }
        return max(1, n)
    }

    /// `2 CPUs (2 online, affinity 2, cgroup quota none)`.
    public var description: String {
        "\(count) CPU\(count == 1 ? "" : "s") (\(online) online, affinity \(affinity.map(String.init) ?? "unknown"), "
            + "cgroup quota \(quota.map { String(format: "%g", $0) + " (\(quotaFile ?? "?"))" } ?? "none"))"
    }

    /// This process, now.
    public static func current() -> AvailableCPUs {
        let q = CGroupCPU.quota(read: { try? String(contentsOfFile: $0, encoding: .utf8) })
        return AvailableCPUs(online: ProcessInfo.processInfo.activeProcessorCount, affinity: affinityCount(),
                             quota: q?.cpus, quotaFile: q?.file)
    }

    /// CPUs in this process's affinity mask (`sched_getaffinity`), nil where the call is unavailable.
    public static func affinityCount() -> Int? {
        #if os(Linux)
        // Glibc's Swift module hides the GNU extension, so it is looked up by name.
        typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_getaffinity") else { return nil }
        let getAffinity = unsafeBitCast(sym, to: GetAffinity.self)
        var mask = [UInt64](repeating: 0, count: 64)          // 4096 CPUs
        let rc = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress!) }
        guard rc == 0 else { return nil }
        let n = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return n > 0 ? n : nil
        #else
        return nil
        #endif
    }
}

/// Reading cgroup CPU quotas from `/proc/self/cgroup`, `/proc/self/mountinfo` and the cgroup files. Every
/// parser takes text, so tests give it the files of any machine; `quota(read:)` takes the file reader.
public enum CGroupCPU {
    /// One line of `/proc/self/cgroup`: `hierarchy-ID:controller-list:cgroup-path`. v2 is `0::/path`.
    public struct Membership: Hashable, Sendable {
        public var hierarchy: Int
        public var controllers: [String]
        public var path: String
    }

    /// One line of `/proc/self/mountinfo` that mounts a cgroup file system.
    public struct Mount: Hashable, Sendable {
        /// The path inside the cgroup hierarchy that is mounted (field 4), e.g. `/` or `/docker/abc`.
        public var root: String
        public var mountPoint: String
        /// `cgroup` or `cgroup2`.
        public var fsType: String
        /// Super options (v1: the controllers, e.g. `rw,cpu,cpuacct`).
        public var superOptions: [String]
    }

    public static func parseMemberships(_ text: String) -> [Membership] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
            guard f.count == 3, let h = Int(f[0]) else { return nil }
            return Membership(hierarchy: h, controllers: f[1].split(separator: ",").map(String.init), path: String(f[2]))
        }
    }

    /// Cgroup mounts from mountinfo: `ID parent major:minor root mount-point options [optional…] - fstype source super-options`.
    public static func parseMounts(_ text: String) -> [Mount] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard let dash = f.firstIndex(of: "-"), dash >= 6, f.count >= dash + 4 else { return nil }
            let type = f[dash + 1]
            guard type == "cgroup" || type == "cgroup2" else { return nil }
            return Mount(root: unescape(f[3]), mountPoint: unescape(f[4]), fsType: type,
                         superOptions: f[dash + 3].split(separator: ",").map(String.init))
        }
    }

    /// mountinfo escapes space, tab, newline and backslash as octal (`\040`).
    static func unescape(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out = [UInt8]()
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "\\"), i + 3 < b.count,
               let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// cgroup v2 `cpu.max`: `"max 100000"` → nil (no limit); `"150000 100000"` → 1.5. Nil for malformed text.
    public static func parseCPUMax(_ text: String) -> (limited: Bool, cpus: Double)? {
        let f = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard f.count == 2, let period = Double(f[1]), period > 0 else { return nil }
        if f[0] == "max" { return (false, 0) }
        guard let quota = Double(f[0]), quota > 0 else { return nil }
        return (true, quota / period)
    }

    /// cgroup v1 `cpu.cfs_quota_us` and `cpu.cfs_period_us`: quota −1 → no limit.
    public static func parseCFS(quota: String, period: String) -> (limited: Bool, cpus: Double)? {
        guard let q = Int(quota.trimmingCharacters(in: .whitespacesAndNewlines)),
              let p = Int(period.trimmingCharacters(in: .whitespacesAndNewlines)), p > 0 else { return nil }
        if q < 0 { return (false, 0) }
        guard q > 0 else { return nil }
        return (true, Double(q) / Double(p))
    }

    /// The folder of a cgroup under its mount, and its ancestors up to the mount point (innermost first).
    static func folders(mount: Mount, path: String) -> [String] {
        var rel = path
        if mount.root != "/" {
            if rel == mount.root { rel = "/" } else if rel.hasPrefix(mount.root + "/") { rel = String(rel.dropFirst(mount.root.count)) }
        }
        // A path outside the mounted root (another namespace's view) cannot be reached: use the mount point.
        if rel.hasPrefix("/..") { rel = "/" }
        var parts = rel.split(separator: "/").map(String.init)
        let base = mount.mountPoint.hasSuffix("/") ? String(mount.mountPoint.dropLast()) : mount.mountPoint
        var out: [String] = []
        while true {
            out.append(parts.isEmpty ? base : base + "/" + parts.joined(separator: "/"))
            if parts.isEmpty { break }
            parts.removeLast()
        }
        return out
    }

    /// The smallest CPU quota over the process's cgroup and its ancestors (v2 first, then v1's `cpu`
    /// controller), with the file it came from; nil when no quota is set or nothing can be read.
    public static func quota(read: (String) -> String?) -> (cpus: Double, file: String)? {
        guard let memberships = read("/proc/self/cgroup").map(parseMemberships),
              let mounts = read("/proc/self/mountinfo").map(parseMounts) else { return nil }
        var best: (cpus: Double, file: String)?
        func consider(_ cpus: Double, _ file: String) {
            if best == nil || cpus < best!.cpus { best = (cpus, file) }
        }
        // v2: the unified hierarchy (hierarchy 0, no controllers listed).
        if let m = memberships.first(where: { $0.hierarchy == 0 && $0.controllers.isEmpty }) {
            for mount in mounts where mount.fsType == "cgroup2" {
                for dir in folders(mount: mount, path: m.path) {
                    if let t = read(dir + "/cpu.max"), let q = parseCPUMax(t), q.limited { consider(q.cpus, dir + "/cpu.max") }
                }
            }
        }
        // v1: the hierarchy that has the `cpu` controller.
        if let m = memberships.first(where: { $0.controllers.contains("cpu") }) {
            for mount in mounts where mount.fsType == "cgroup" && mount.superOptions.contains("cpu") {
                for dir in folders(mount: mount, path: m.path) {
                    if let q = read(dir + "/cpu.cfs_quota_us"), let p = read(dir + "/cpu.cfs_period_us"),
                       let v = parseCFS(quota: q, period: p), v.limited {
                        consider(v.cpus, dir + "/cpu.cfs_quota_us")
                    }
                }
            }
        }
        return best
    }
}
