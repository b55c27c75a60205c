import Foundation
import Testing
@testable import Sweep

/// `--jobs` defaults to the CPUs the process may use: affinity mask and cgroup CPU quota. The cgroup files of
/// several kinds of machine are given as text (a fake file system), so every layout is tested on any host.
@Suite struct AvailableCPUsTests {
    /// A file system of a few files; anything else is unreadable.
    static func reader(_ files: [String: String]) -> (String) -> String? { { files[$0] } }

    // cgroup v2 only (a Kubernetes node with cgroupns, a modern Docker): the pod's container sees itself at `/`.
    static let v2Mountinfo = """
        22 1 0:21 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
        23 1 0:22 / /proc rw,nosuid - proc proc rw
        """

    @Test func cgroupV2QuotaOfOneAndAHalfCPUsGivesTwo() {
        let q = CGroupCPU.quota(read: Self.reader([
            "/proc/self/cgroup": "0::/\n",
            "/proc/self/mountinfo": Self.v2Mountinfo,
            "/sys/fs/cgroup/cpu.max": "150000 100000\n",
        ]))
        #expect(q?.cpus == 1.5)
        #expect(q?.file == "/sys/fs/cgroup/cpu.max")
        #expect(AvailableCPUs(online: 8, affinity: 8, quota: q?.cpus).count == 2)
    }

    @Test func cgroupV2MaxMeansNoQuota() {
        let q = CGroupCPU.quota(read: Self.reader([
            "/proc/self/cgroup": "0::/\n",
            "/proc/self/mountinfo": Self.v2Mountinfo,
            "/sys/fs/cgroup/cpu.max": "max 100000\n",
        ]))
        #expect(q == nil)
        #expect(AvailableCPUs(online: 8, affinity: 6, quota: nil).count == 6)
    }

    /// Without a cgroup namespace the process sees its full path; a parent's quota binds a child with none,
    /// and the smallest quota on the way up wins.
    @Test func cgroupV2AncestorQuotaBinds() {
        let files = [
            "/proc/self/cgroup": "0::/kubepods/burstable/pod1/c1\n",
            "/proc/self/mountinfo": Self.v2Mountinfo,
            "/sys/fs/cgroup/kubepods/burstable/pod1/c1/cpu.max": "max 100000",
            "/sys/fs/cgroup/kubepods/burstable/pod1/cpu.max": "300000 100000",
            "/sys/fs/cgroup/kubepods/burstable/cpu.max": "100000 50000",   // 2 CPUs: the smallest
            "/sys/fs/cgroup/kubepods/cpu.max": "max 100000",
        ]
        let q = CGroupCPU.quota(read: Self.reader(files))
        #expect(q?.cpus == 2)
        #expect(q?.file == "/sys/fs/cgroup/kubepods/burstable/cpu.max")
    }

    /// cgroup v1 as Docker without cgroupns shows it: the mount's root is the container's own cgroup.
    @Test func cgroupV1HalfACPURoundsUpToOne() {
        let files = [
            "/proc/self/cgroup": "12:pids:/docker/abc\n4:cpu,cpuacct:/docker/abc\n3:cpuset:/docker/abc\n",
            "/proc/self/mountinfo": """
                30 25 0:26 / /sys/fs/cgroup ro,nosuid - tmpfs tmpfs ro,mode=755
                35 30 0:31 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid,nodev,noexec,relatime master:12 - cgroup cgroup rw,cpu,cpuacct
                36 30 0:32 /docker/abc /sys/fs/cgroup/cpuset ro,nosuid - cgroup cgroup rw,cpuset
                """,
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us": "50000\n",
            "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
        ]
        let q = CGroupCPU.quota(read: Self.reader(files))
        #expect(q?.cpus == 0.5)
        #expect(q?.file == "/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us")
        #expect(AvailableCPUs(online: 16, affinity: 16, quota: q?.cpus).count == 1)
    }

    /// This project's own machine (cgroup v1 hybrid, `cpu` mounted alone, quota −1) and a v1 quota of 3
    /// CPUs under a Slurm job's cgroup.
    @Test func cgroupV1NoQuotaAndSlurmQuota() {
        let mountinfo = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
            32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
            33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
            """
        let none = CGroupCPU.quota(read: Self.reader([
            "/proc/self/cgroup": "3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n",
            "/proc/self/mountinfo": mountinfo,
            "/sys/fs/cgroup/cpu/cpu.cfs_quota_us": "-1\n",
            "/sys/fs/cgroup/cpu/cpu.cfs_period_us": "100000\n",
            "/sys/fs/cgroup/unified/cpu.max": "max 100000\n",
        ]))
        #expect(none == nil)
        let slurm = CGroupCPU.quota(read: Self.reader([
            "/proc/self/cgroup": "1:cpu:/slurm/uid_1000/job_42/step_0\n",
            "/proc/self/mountinfo": mountinfo,
            "/sys/fs/cgroup/cpu/slurm/uid_1000/job_42/step_0/cpu.cfs_quota_us": "-1",
            "/sys/fs/cgroup/cpu/slurm/uid_1000/job_42/step_0/cpu.cfs_period_us": "100000",
            "/sys/fs/cgroup/cpu/slurm/uid_1000/job_42/cpu.cfs_quota_us": "300000",
            "/sys/fs/cgroup/cpu/slurm/uid_1000/job_42/cpu.cfs_period_us": "100000",
        ]))
        #expect(slurm?.cpus == 3)
        #expect(AvailableCPUs(online: 64, affinity: 4, quota: slurm?.cpus).count == 3)
        // The affinity mask binds when it is smaller than the quota.
        #expect(AvailableCPUs(online: 64, affinity: 2, quota: slurm?.cpus).count == 2)
    }

    @Test func malformedOrMissingFilesAreIgnored() {
        #expect(CGroupCPU.parseCPUMax("garbage") == nil)
        #expect(CGroupCPU.parseCPUMax("100000") == nil)
        #expect(CGroupCPU.parseCPUMax("0 100000") == nil)
        #expect(CGroupCPU.parseCPUMax("100000 0") == nil)
        #expect(CGroupCPU.parseCFS(quota: "x", period: "100000") == nil)
        #expect(CGroupCPU.parseCFS(quota: "100000", period: "0") == nil)
        #expect(CGroupCPU.quota(read: Self.reader([:])) == nil)
        let q = CGroupCPU.quota(read: Self.reader([
            "/proc/self/cgroup": "0::/\n",
            "/proc/self/mountinfo": Self.v2Mountinfo,
            "/sys/fs/cgroup/cpu.max": "lots of cpus\n",
        ]))
        #expect(q == nil)
        // No affinity, no quota: the machine's count; never below 1.
        #expect(AvailableCPUs(online: 12, affinity: nil, quota: nil).count == 12)
        #expect(AvailableCPUs(online: 4, affinity: nil, quota: 0.01).count == 1)
    }

    @Test func mountinfoOctalEscapes() {
        let m = CGroupCPU.parseMounts("40 31 0:38 /my\\040group /sys/fs/cgroup/with\\040space rw - cgroup2 none rw")
        #expect(m.count == 1)
        #expect(m.first?.root == "/my group")
        #expect(m.first?.mountPoint == "/sys/fs/cgroup/with space")
        // A line with optional fields before the separator.
        let n = CGroupCPU.parseMounts("35 30 0:31 / /sys/fs/cgroup/cpu rw shared:1 master:2 - cgroup cgroup rw,cpu,cpuacct")
        #expect(n.first?.superOptions == ["rw", "cpu", "cpuacct"])
    }

    /// This process: within 1 … the machine's count, and its affinity mask as the kernel reports it in
    /// /proc/self/status (`Cpus_allowed_list`, counted independently here).
    @Test func thisProcessMatchesProcStatus() throws {
        let cpus = AvailableCPUs.current()
        #expect(cpus.count >= 1 && cpus.count <= ProcessInfo.processInfo.activeProcessorCount)
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let list = line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)
        var n = 0
        for r in list.split(separator: ",") {
            let ends = r.split(separator: "-").compactMap { Int($0) }
            n += ends.count == 2 ? ends[1] - ends[0] + 1 : 1
        }
        #expect(cpus.affinity == n)
    }
}
