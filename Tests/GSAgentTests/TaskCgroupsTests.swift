import GSCore
import Testing

@testable import GSAgent

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// What the agent writes into a task's cgroups, checked against a directory laid out the way
/// each cgroup version's file system looks once the kernel made the groups: this machine
/// (v1 only) cannot run the v2 path for real, and most devices today run v2 only.
@Suite struct TaskCgroupsTests {
    let mount: String
    let root = "/srv/gsctl-host"

    init() throws {
        var template = Array("/tmp/gsctl-cgroupfs-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        mount = String(cString: try #require(made))
    }

    func touch(_ path: String, _ text: String = "") throws {
        try FileSystem.makeDirectories(FileSystem.directory(of: path))
        try FileSystem.writeAtomically(Array(text.utf8), to: path)
    }

    func read(_ path: String) -> String { Supervisor.TaskCgroups.read(path) ?? "(missing)" }

    /// The group and task directories with the files the kernel would have created in them.
    func layOut(_ hierarchy: Supervisor.TaskCgroups.Hierarchy, task: String, files: [String]) throws -> String {
        let directory = Supervisor.TaskCgroups.directory(in: hierarchy, root: root, task: task)
        for file in files { try touch(FileSystem.join(directory, file)) }
        if hierarchy.version == 2 {
            try touch(FileSystem.join(mount, "cgroup.subtree_control"))
            try touch(FileSystem.join(FileSystem.directory(of: directory), "cgroup.subtree_control"))
        }
        return directory
    }

    @Test func version2GetsCpuMaxMemoryMaxNoSwapAndDelegatesBothControllers() throws {
        defer { FileSystem.removeTree(mount) }
        let v2 = Supervisor.TaskCgroups.Hierarchy(mount: mount, version: 2)
        let directory = try layOut(
            v2, task: "detect", files: ["cpu.max", "memory.max", "memory.swap.max", "memory.events", "cgroup.procs"])
        let group = FileSystem.directory(of: directory)

        let cpu = try #require(Supervisor.CPUQuota.prepare(root: root, task: "detect", cpu: 0.25, in: v2))
        #expect(cpu.directory == directory && cpu.hierarchy.name == "cgroup v2")
        #expect(read(FileSystem.join(directory, "cpu.max")) == "25000 100000")
        // The root and the agent's group hand the controller down (the kernel would then list it).
        #expect(read(FileSystem.join(mount, "cgroup.subtree_control")) == "+cpu")
        #expect(read(FileSystem.join(group, "cgroup.subtree_control")) == "+cpu")

        let memory = try #require(Supervisor.MemoryLimit.prepare(root: root, task: "detect", megabytes: 64, in: v2))
        #expect(memory.directory == directory)
        #expect(read(FileSystem.join(directory, "memory.max")) == String(64 << 20))
        #expect(read(FileSystem.join(directory, "memory.swap.max")) == "0")
        #expect(read(FileSystem.join(group, "cgroup.subtree_control")) == "+memory")

        // A controller already delegated is not written again.
        try touch(FileSystem.join(group, "cgroup.subtree_control"), "cpu memory\n")
        _ = Supervisor.CPUQuota.prepare(root: root, task: "detect", cpu: 0.5, in: v2)
        #expect(read(FileSystem.join(group, "cgroup.subtree_control")) == "cpu memory\n")
        #expect(read(FileSystem.join(directory, "cpu.max")) == "50000 100000")

        // Kills at the limit, as v2's memory.events counts them.
        try touch(FileSystem.join(directory, "memory.events"), "low 0\nhigh 0\nmax 14\noom 2\noom_kill 2\n")
        #expect(Supervisor.MemoryLimit.kills(root: root, task: "detect", in: v2) == 2)
    }

    @Test func version1GetsACfsQuotaAndAMemoryLimitWithSwapCounted() throws {
        defer { FileSystem.removeTree(mount) }
        let v1 = Supervisor.TaskCgroups.Hierarchy(mount: mount, version: 1)
        let directory = try layOut(
            v1, task: "detect",
            files: [
                "cpu.cfs_period_us", "cpu.cfs_quota_us", "memory.limit_in_bytes", "memory.memsw.limit_in_bytes",
                "memory.oom_control",
            ])
        _ = try #require(Supervisor.CPUQuota.prepare(root: root, task: "detect", cpu: 1.5, in: v1))
        #expect(read(FileSystem.join(directory, "cpu.cfs_period_us")) == "100000")
        #expect(read(FileSystem.join(directory, "cpu.cfs_quota_us")) == "150000")
        _ = try #require(Supervisor.MemoryLimit.prepare(root: root, task: "detect", megabytes: 512, in: v1))
        #expect(read(FileSystem.join(directory, "memory.limit_in_bytes")) == String(512 << 20))
        #expect(read(FileSystem.join(directory, "memory.memsw.limit_in_bytes")) == String(512 << 20))
        try touch(FileSystem.join(directory, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
        #expect(Supervisor.MemoryLimit.kills(root: root, task: "detect", in: v1) == 3)
    }

    @Test func aHierarchyThatRefusesLeavesTheGrantAdvisoryAndSaysWhy() throws {
        defer { FileSystem.removeTree(mount) }
        // No cpu.max in the task's directory: the controller is not there (not delegated).
        let v2 = Supervisor.TaskCgroups.Hierarchy(mount: mount, version: 2)
        _ = try layOut(v2, task: "detect", files: ["cgroup.procs"])
        let said = Said()
        #expect(Supervisor.CPUQuota.prepare(root: root, task: "detect", cpu: 1, in: v2, events: said.add) == nil)
        #expect(said.lines.first?.hasPrefix("detect: no CPU quota (cannot set up ") == true, "\(said.lines)")
    }

    @Test func theWrappedProgramJoinsEveryCgroupBeforeItRuns() throws {
        defer { FileSystem.removeTree(mount) }
        let first = FileSystem.join(mount, "cpu/g/task")
        let second = FileSystem.join(mount, "memory/g/task")
        try touch(FileSystem.join(first, "cgroup.procs"))
        try touch(FileSystem.join(second, "cgroup.procs"))
        let wrapped = Supervisor.TaskCgroups.wrap(
            ["/bin/sh", "-c", "echo $$; cat \"$0\"", FileSystem.join(first, "cgroup.procs")],
            directories: [first, second])
        let run = try Subprocess.run(wrapped)
        let lines = run.text.split(separator: "\n")
        // The program runs as the very process that joined (exec keeps the pid).
        #expect(lines.count == 2 && lines[0] == lines[1], "\(run.text)")
        #expect(read(FileSystem.join(second, "cgroup.procs")) == "\(lines.first ?? "")\n")
        #expect(Supervisor.TaskCgroups.wrap(["true"], directories: []) == ["true"])
    }
}

/// Collects the lines a component reports.
final class Said: @unchecked Sendable {
    var lines: [String] = []
    func add(_ line: String) { lines.append(line) }
}
