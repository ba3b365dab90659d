import GSCore
import Testing

@testable import GSAgent

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

private typealias Fixture = SupervisorFixture

/// The workflow supervisor, driven step by step on a temporary root with tiny shell tasks (and
/// `python3 -m http.server` where a real HTTP endpoint is needed). Every wait is "up to N
/// seconds for a condition", never a timing assertion. Serialized: the tests spawn processes
/// and count them.
@Suite(.serialized)
struct SupervisorTests {
    // MARK: order

    @Test func dependentStartsOnlyOnceItsDependencyIsReady() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let flag = fixture.path("data/db-may-answer")
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task("api", command: Fixture.shell("exec sleep 300"), needs: ["db"]),
                Fixture.task(
                    "db", command: Fixture.shell("exec sleep 300"),
                    health: [
                        "exec": .strings(["/bin/sh", "-c", "test -f \(flag)"]), "initialDelaySeconds": 0,
                        "periodSeconds": .double(0.1), "timeoutSeconds": 2, "failureThreshold": 10_000,
                    ]),
            ])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(loop.status.tasks.map(\.name) == ["db", "api"])

        #expect(fixture.drive(loop) { fixture.state(loop, "db") == .starting })
        fixture.drive(loop, timeout: 0.8) { false }  // db's probe keeps failing meanwhile
        #expect(fixture.state(loop, "db") == .starting)
        #expect(fixture.state(loop, "api") == .waiting)
        #expect(loop.status.task("api")?.pid == nil)
        #expect(loop.status.task("api")?.message == "waiting for db")

        try FileSystem.writeAtomically("", to: flag)
        #expect(fixture.drive(loop) { fixture.state(loop, "api") == .ready })
        #expect(loop.status.task("db")?.healthy == true)
        #expect(loop.status.task("db")?.restarts == 0)
    }

    @Test func jobRunsToCompletionBeforeItsDependentsStart() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task(
                    "prepare", mode: "job", command: Fixture.shell("sleep 0.3; echo done > \"$GS_DATA/out\""),
                    restart: ["policy": "never"]),
                Fixture.task(
                    "serve", command: Fixture.shell("test -f \"$GS_DATA/../prepare/out\" || exit 3; exec sleep 300"),
                    needs: ["prepare"]),
            ])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        loop.step()
        #expect(fixture.state(loop, "prepare") == .running)
        #expect(fixture.state(loop, "serve") == .waiting)

        #expect(fixture.drive(loop) { fixture.state(loop, "serve") == .ready })
        let prepare = loop.status.task("prepare")
        #expect(prepare?.state == .succeeded)
        #expect(prepare?.lastExit == 0)
        #expect(loop.status.task("serve")?.restarts == 0)
    }

    // MARK: restarts

    @Test func crashingServiceRestartsWithBackoffAndNeverPolicyStaysFailed() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task(
                    "flaky", command: Fixture.shell("echo $$ >> \"$GS_DATA/pids\"; exit 1"),
                    restart: [
                        "policy": "always", "backoffSeconds": .double(0.1), "maxBackoffSeconds": .double(0.3),
                        "maxRestarts": 3,
                    ]),
                Fixture.task("once", command: Fixture.shell("exit 2"), restart: ["policy": "never"]),
            ])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        var seen: Set<SupervisorStatus.TaskState> = []
        #expect(
            fixture.drive(loop) {
                if let state = fixture.state(loop, "flaky") { seen.insert(state) }
                return fixture.state(loop, "flaky") == .failed && fixture.state(loop, "once") == .failed
            })
        let flaky = loop.status.task("flaky")
        #expect(seen.contains(.backoff))
        #expect(flaky?.restarts == 3)
        #expect(flaky?.lastExit == 1)
        #expect(flaky?.message?.contains("gave up after 3 restarts") == true)
        #expect(fixture.startedPIDs("flaky").count == 4)
        let once = loop.status.task("once")
        #expect(once?.restarts == 0)
        #expect(once?.lastExit == 2)
        #expect(once?.message == "exited with 2")
    }

    @Test func jobPastItsTimeoutIsKilledAndFails() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task(
                    "slow", mode: "job", command: Fixture.shell("sleep 300"), restart: ["policy": "never"],
                    timeoutSeconds: 0.3)
            ])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(fixture.drive(loop) { fixture.state(loop, "slow") == .failed })
        #expect(loop.status.task("slow")?.message == "timed out after 0.3 s")
        #expect(fixture.processes(task: "slow").isEmpty)
    }

    @Test func backoffDoublesUpToItsMaximum() {
        let rule = SupervisedTask.Restart(policy: .always, backoffSeconds: 0.5, maxBackoffSeconds: 3)
        let delays = (0..<6).map { Supervisor.RestartDecision.delay(rule, streak: $0) }
        #expect(delays == [0.5, 1, 2, 3, 3, 3])
        let job = SupervisedTask(name: "j", mode: .job, command: ["true"], restart: rule)
        #expect(
            Supervisor.RestartDecision.after(job, exitCode: 0, forcedFailure: false, restarts: 0, streak: 0)
                == .succeeded)
        let service = SupervisedTask(
            name: "s", mode: .service, command: ["true"],
            restart: SupervisedTask.Restart(policy: .onFailure, maxRestarts: 2))
        #expect(
            Supervisor.RestartDecision.after(service, exitCode: 0, forcedFailure: false, restarts: 0, streak: 0)
                == .succeeded)
        #expect(
            Supervisor.RestartDecision.after(service, exitCode: 0, forcedFailure: true, restarts: 0, streak: 0)
                == .restart(after: 1))
        #expect(
            Supervisor.RestartDecision.after(service, exitCode: 1, forcedFailure: false, restarts: 2, streak: 2)
                == .failed(gaveUp: true))
    }

    // MARK: health

    @Test func failingHTTPProbeRestartsTheService() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let port = Fixture.freePort()
        let directory = try fixture.release(
            "r1",
            tasks: [
                Fixture.task(
                    "web", command: ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"],
                    port: port,
                    health: [
                        "http": ["path": "/healthz", "port": .int(port)], "initialDelaySeconds": 1,
                        "periodSeconds": .double(0.2), "timeoutSeconds": 1, "failureThreshold": 3,
                    ])
            ],
            files: ["healthz": "ok\n"])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(fixture.drive(loop, timeout: 15) { fixture.state(loop, "web") == .ready })
        #expect(loop.status.task("web")?.healthy == true)
        #expect(loop.status.task("web")?.restarts == 0)

        unlink(FileSystem.join(directory, "healthz"))  // now 404
        #expect(fixture.drive(loop, timeout: 15) { loop.status.task("web")?.restarts == 1 })
        #expect(loop.status.task("web")?.message?.contains("unhealthy") == true)

        try FileSystem.writeAtomically("ok\n", to: FileSystem.join(directory, "healthz"))
        #expect(
            fixture.drive(loop, timeout: 15) {
                fixture.state(loop, "web") == .ready && loop.status.task("web")?.healthy == true
            })
        #expect(fixture.processes(task: "web").count == 1)
    }

    // MARK: environment

    @Test func taskSeesItsParamsInputsModelDataAndReleaseDirectory() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let port = Fixture.freePort()
        let script = """
            #!/bin/sh
            {
              echo "params=$GS_PARAMS"; echo "inputs=$GS_INPUTS"; echo "model=$GS_MODEL"; echo "task=$GS_TASK"
              echo "workflow=$GS_WORKFLOW"; echo "release=$GS_RELEASE"; echo "data=$GS_DATA"; echo "pwd=$(pwd)"
              echo "args=$*"; echo "env=$DEMO_ENV"; echo "port=${GS_PORT:-none}"
            } > "$GS_DATA/env"
            """
        var count = Fixture.task(
            "count", mode: "job", command: ["bin/dump-env.sh", "--zone"], needs: ["camera"],
            params: ["threshold": .double(0.5), "zones": ["a", "b"]], model: "det", restart: ["policy": "never"])
        if case .object(var members) = count {
            members["args"] = ["north"]
            count = .object(members)
        }
        let directory = try fixture.release(
            "r1",
            tasks: [
                Fixture.task(
                    "camera", command: ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1"],
                    port: port),
                count,
            ],
            models: [
                "det": [
                    "precision": "int8",
                    "variants": [
                        "fp32": ["model": "models/det/fp32/model.onnx"],
                        "int8": ["model": "models/det/int8/model.onnx"],
                    ],
                ]
            ],
            files: ["bin/dump-env.sh": script])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(fixture.drive(loop, timeout: 15) { fixture.state(loop, "count") == .succeeded })
        let lines = fixture.text("data/count/env").split(separator: "\n").map(String.init)
        #expect(
            lines == [
                #"params={"threshold":0.5,"zones":["a","b"]}"#, "inputs=camera=127.0.0.1:\(port)",
                "model=\(directory)/models/det/int8/model.onnx", "task=count", "workflow=demo",
                "release=\(directory)", "data=\(fixture.root)/data/count", "pwd=\(directory)", "args=--zone north",
                "env=yes", "port=none",
            ])
    }

    @Test func aProducerLearnsWhichTasksReadItsStream() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let dump = Fixture.shell(
            "echo \"outputs=$GS_OUTPUTS\" > \"$GS_DATA/env\"; exec python3 -m http.server $GS_PORT --bind 127.0.0.1")
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task("camera", command: dump, port: Fixture.freePort()),
                Fixture.task("detect", command: dump, needs: ["camera"], port: Fixture.freePort()),
                Fixture.task("recorder", command: dump, needs: ["camera"], port: Fixture.freePort()),
                // A job reads files, not the stream: the producer must not wait for it.
                Fixture.task("report", mode: "job", command: Fixture.shell("true"), needs: ["camera"]),
            ])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(
            fixture.drive(loop, timeout: 15) {
                fixture.text("data/camera/env").hasPrefix("outputs=")
                    && fixture.text("data/detect/env").hasPrefix("outputs=")
            })
        #expect(fixture.text("data/camera/env") == "outputs=detect,recorder\n")
        #expect(fixture.text("data/detect/env") == "outputs=\n")
    }

    // MARK: resources

    @Test func taskLearnsItsCPUShareAndThreadPoolsAreSizedToIt() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let dump = Fixture.shell(
            "echo \"cpus=${GS_CPUS:-none} memory=${GS_MEMORY_MB:-none} omp=${OMP_NUM_THREADS:-none}"
                + " blas=${OPENBLAS_NUM_THREADS:-none}\" > \"$GS_DATA/env\"")
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task("half", mode: "job", command: dump, restart: ["policy": "never"], cpu: 1.5, memoryMB: 300),
                // The task's own `env` wins over the thread count the supervisor derives.
                Fixture.task(
                    "pinned", mode: "job", command: dump, restart: ["policy": "never"], cpu: 0.5,
                    env: ["OMP_NUM_THREADS": "4"]),
                Fixture.task("free", mode: "job", command: dump, restart: ["policy": "never"]),
            ])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(
            fixture.drive(loop, timeout: 15) {
                ["half", "pinned", "free"].allSatisfy { fixture.state(loop, $0) == .succeeded }
            })
        #expect(fixture.text("data/half/env") == "cpus=1.5 memory=300 omp=2 blas=2\n")
        #expect(fixture.text("data/pinned/env") == "cpus=0.5 memory=none omp=4 blas=1\n")
        #expect(fixture.text("data/free/env").hasPrefix("cpus=none memory=none"))
    }

    /// A task that holds 96 MiB of touched memory (resident, not just reserved) against a
    /// 32 MiB limit, restarted only after a long backoff so the test sees the first exit.
    fileprivate static func memoryHog(_ fixture: Fixture) throws {
        let hog = ["python3", "-c", "import time; b = b\"x\" * (96 << 20); time.sleep(300)"]
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task(
                    "hog", command: hog,
                    restart: ["policy": "on-failure", "backoffSeconds": .double(30), "maxBackoffSeconds": .double(30)],
                    memoryMB: 32)
            ])
        fixture.activate("r1")
    }

    @Test func serviceOverItsMemoryLimitIsRestartedAndSaysWhy() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        try Self.memoryHog(fixture)
        // Without cgroups (an unprivileged agent) the supervisor's sample catches it.
        var options = Fixture.fastOptions
        options.cgroups = false
        let loop = try fixture.loop(options)
        loop.reload()
        #expect(fixture.drive(loop, timeout: 20) { fixture.state(loop, "hog") == .backoff })
        let message = loop.status.task("hog")?.message ?? ""
        #expect(message.contains("is over its limit (resources.memoryMB: 32)"), "\(message)")
        #expect(message.contains("restart 1 in"), "\(message)")
        #expect(fixture.processes(task: "hog").isEmpty)
    }

    @Test(.enabled(if: Supervisor.MemoryLimit.works(), "needs a cgroup memory hierarchy the agent may write (root)"))
    func memoryLimitIsEnforcedByTheKernelWhereCgroupsAllowIt() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        // First a task that stays under its limit: it runs in its cgroup, capped.
        try fixture.release(
            "r0", tasks: [Fixture.task("small", command: Fixture.shell("sleep 300"), memoryMB: 32)])
        fixture.activate("r0")
        let hierarchy = try #require(Supervisor.MemoryLimit.hierarchy())
        let directory = Supervisor.TaskCgroups.directory(in: hierarchy, root: fixture.root, task: "small")
        let first = try fixture.loop()
        first.reload()
        #expect(fixture.drive(first) { fixture.state(first, "small") == .ready })
        let pid = try #require(first.status.task("small")?.pid)
        #expect(Supervisor.TaskCgroups.contains(pid, directory: directory))
        let limitFile = hierarchy.version == 2 ? "memory.max" : "memory.limit_in_bytes"
        #expect(Supervisor.TaskCgroups.read(FileSystem.join(directory, limitFile)) == "\(32 << 20)\n")
        #expect(first.status.task("small")?.memoryCap == hierarchy.name)
        first.stopAll()
        #expect(FileSystem.kind(of: directory) != .directory, "the task's cgroup is removed once it stops")

        // Then one that goes over it: the kernel stops it at the allocation, and status says so.
        try Self.memoryHog(fixture)
        let loop = try fixture.loop()
        loop.reload()
        #expect(fixture.drive(loop, timeout: 20) { fixture.state(loop, "hog") == .backoff })
        let message = loop.status.task("hog")?.message ?? ""
        #expect(
            message.contains("killed by the kernel: out of memory at its limit (resources.memoryMB: 32)"), "\(message)")
        #expect(message.contains("restart 1 in"), "\(message)")
        #expect((loop.status.task("hog")?.lastExit ?? 0) == 128 + Int(SIGKILL))
        #expect(fixture.processes(task: "hog").isEmpty)
        loop.stopAll()

        // A helper killed at the limit while the main process lives on: restarted all the same.
        let helper = "python3 -c 'b = b\"x\" * (96 << 20)'; sleep 300"
        try fixture.release(
            "r2",
            tasks: [
                Fixture.task(
                    "parent", command: Fixture.shell(helper),
                    restart: ["policy": "on-failure", "backoffSeconds": .double(30), "maxBackoffSeconds": .double(30)],
                    memoryMB: 32)
            ])
        fixture.activate("r2")
        let third = try fixture.loop()
        third.reload()
        #expect(fixture.drive(third, timeout: 20) { fixture.state(third, "parent") == .backoff })
        let said = third.status.task("parent")?.message ?? ""
        #expect(said.contains("out of memory at its limit (resources.memoryMB: 32) (one of its processes)"), "\(said)")
        #expect(fixture.processes(task: "parent").isEmpty)
    }

    @Test(.enabled(if: Supervisor.CPUQuota.works(), "needs a cgroup cpu hierarchy the agent may write (root)"))
    func cpuGrantIsAHardCapWhereCgroupsAllowIt() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        // A busy loop takes a whole core when nothing stops it; its grant is a fifth of one.
        try fixture.release(
            "r1", tasks: [Fixture.task("burn", command: Fixture.shell("while :; do :; done"), cpu: 0.2)])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        let hierarchy = try #require(Supervisor.CPUQuota.hierarchy())
        let directory = Supervisor.TaskCgroups.directory(in: hierarchy, root: fixture.root, task: "burn")
        #expect(fixture.drive(loop) { fixture.state(loop, "burn") == .ready })
        let pid = try #require(loop.status.task("burn")?.pid)
        func read(_ name: String) -> String {
            (try? FileSystem.read(FileSystem.join(directory, name), limit: 1 << 16)).map {
                String(decoding: $0, as: UTF8.self)
            } ?? ""
        }
        #expect(read("cgroup.procs").split(separator: "\n").contains(Substring(String(pid))))
        if hierarchy.version == 2 {
            #expect(read("cpu.max") == "20000 100000\n")
        } else {
            #expect(read("cpu.cfs_quota_us") == "20000\n")
        }
        // Its CPU use over the supervisor's last one-second sample, after three seconds.
        let settled = ChildProcess.now() + 3
        fixture.drive(loop, timeout: 4) { ChildProcess.now() > settled }
        let used = try #require(loop.status.task("burn")?.cpuPercent)
        #expect(used < 50, "a busy loop capped at 0.2 cores used \(used)% of one")
        #expect(loop.status.task("burn")?.cpuCores == 0.2)
        #expect(loop.status.task("burn")?.cpuCap == "cgroup v\(hierarchy.version)")
        // A supervisor that restarts adopts the task and still knows it is capped.
        loop.abandon()
        let next = try fixture.loop()
        next.reload()
        #expect(next.status.task("burn")?.pid == pid)
        #expect(next.status.task("burn")?.cpuCap == "cgroup v\(hierarchy.version)")
        next.stopAll()
        #expect(FileSystem.kind(of: directory) != .directory, "the task's cgroup is removed once it stops")
    }

    // MARK: logs

    @Test func logsRotateKeepingThreeOldFiles() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task(
                    "chatty",
                    command: Fixture.shell("while true; do head -c 3000 /dev/zero | tr '\\0' x; echo; sleep 0.02; done")
                )
            ])
        fixture.activate("r1")
        var options = Fixture.fastOptions
        options.logLimitBytes = 4096
        let loop = try fixture.loop(options)
        loop.reload()
        let log = fixture.path("logs/chatty.log")
        #expect(fixture.drive(loop, timeout: 15) { FileSystem.exists(log + ".3") })
        #expect(FileSystem.exists(log + ".1") && FileSystem.exists(log + ".2"))
        // Writing goes on into the live log after its rotation; a fourth old file never appears.
        #expect(
            fixture.drive(loop, timeout: 5) {
                ((try? FileSystem.read(log))?.count ?? 0) > 0 && fixture.processes(task: "chatty").count >= 1
            })
        #expect(!FileSystem.exists(log + ".4"))
    }

    // MARK: adoption

    @Test func restartedSupervisorAdoptsItsTasksInsteadOfStartingThemAgain() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let record = "echo $$ >> \"$GS_DATA/pids\";"
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task("setup", mode: "job", command: Fixture.shell("\(record) sleep 0.1")),
                Fixture.task("web", command: Fixture.shell("\(record) exec sleep 300"), needs: ["setup"]),
                Fixture.task("worker", command: Fixture.shell("\(record) exec sleep 300"), needs: ["web"]),
            ])
        fixture.activate("r1")
        let first = try fixture.loop()
        first.reload()
        #expect(fixture.drive(first) { fixture.state(first, "worker") == .ready })
        let before = first.status.tasks.map(\.pid)
        first.abandon()  // as if killed: the tasks keep running

        let second = try fixture.loop()
        second.reload()
        #expect(
            fixture.drive(second) {
                fixture.state(second, "web") == .ready && fixture.state(second, "worker") == .ready
            })
        #expect(second.status.tasks.map(\.pid) == before)
        #expect(fixture.state(second, "setup") == .succeeded)
        for task in ["web", "worker"] {
            #expect(fixture.processes(task: task).count == 1, "\(task) runs once")
            #expect(fixture.startedPIDs(task).count == 1, "\(task) was started once")
        }
        #expect(fixture.startedPIDs("setup").count == 1, "a finished job is not run again")

        second.stopAll()
        #expect(fixture.processes().isEmpty)
    }

    // MARK: reload and stop

    @Test func reloadOntoANewReleaseStopsOldTasksInReverseOrderAndStartsTheNew() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let order = fixture.path("stop-order")
        let polite = "trap 'echo $GS_TASK >> \(order); exit 0' TERM; while true; do sleep 0.05; done"
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task("old-b", command: Fixture.shell(polite), needs: ["old-a"]),
                Fixture.task("old-a", command: Fixture.shell(polite)),
            ])
        try fixture.release("r2", tasks: [Fixture.task("new", command: Fixture.shell("exec sleep 300"))])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(fixture.drive(loop) { fixture.state(loop, "old-b") == .ready })
        let old = loop.status.tasks.compactMap(\.pid)
        #expect(old.count == 2)

        fixture.activate("r2")
        loop.reload()
        #expect(loop.status.release == "r2")
        #expect(fixture.text("stop-order") == "old-b\nold-a\n")
        #expect(old.allSatisfy { !Fixture.isLiving($0) })
        #expect(!FileSystem.exists(fixture.path("run/tasks/old-a.json")))
        #expect(fixture.drive(loop) { fixture.state(loop, "new") == .ready })
        loop.reload()  // the same release again: nothing changes
        #expect(fixture.state(loop, "new") == .ready)
    }

    @Test func stoppingKillsTheWholeProcessGroupEvenWhenTERMIsIgnored() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task(
                    "stubborn",
                    command: Fixture.shell(
                        "trap '' TERM; sleep 300 & echo $! > \"$GS_DATA/child\"; while true; do sleep 0.05; done")),
                Fixture.task("polite", command: Fixture.shell("sleep 300 & echo $! > \"$GS_DATA/child\"; wait")),
            ])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(
            fixture.drive(loop) {
                loop.status.tasks.allSatisfy { $0.state == .ready }
                    && !fixture.text("data/stubborn/child").isEmpty && !fixture.text("data/polite/child").isEmpty
            })
        var pids = loop.status.tasks.compactMap(\.pid)
        for task in ["stubborn", "polite"] {
            pids += fixture.text("data/\(task)/child").split(separator: "\n").compactMap { pid_t($0) }
        }
        #expect(pids.count == 4)
        #expect(pids.allSatisfy(Fixture.isLiving))
        let usage = loop.status.task("polite")
        #expect(usage?.state == .ready)

        loop.stopAll()
        #expect(pids.allSatisfy { !Fixture.isLiving($0) })
        #expect(loop.status.tasks.allSatisfy { $0.state == .stopped && $0.pid == nil })
        #expect(fixture.processes().isEmpty)
    }

    // MARK: status and manifests

    @Test func statusFileRoundTripsAndReportsResources() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        try fixture.release(
            "r1", tasks: [Fixture.task("svc", command: Fixture.shell("exec sleep 300"), memoryMB: 256)])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(
            fixture.drive(loop) {
                let status = Supervisor.readStatus(root: fixture.root)
                return status?.task("svc")?.state == .ready && status?.task("svc")?.cpuPercent != nil
            })
        let status = try #require(Supervisor.readStatus(root: fixture.root))
        #expect(status.pid == getpid())
        #expect(status.release == "r1")
        #expect(status.workflow == "demo")
        #expect(status.updated > 0)
        let task = try #require(status.task("svc"))
        #expect(task.mode == "service")
        #expect(task.pid == loop.status.task("svc")?.pid)
        #expect((task.rssKB ?? 0) > 0)
        #expect(task.memoryLimitMB == 256)
        // The kernel enforces it where the agent may make a cgroup; the round trip keeps which.
        #expect(task.memoryCap == (Supervisor.MemoryLimit.works() ? Supervisor.MemoryLimit.hierarchy()?.name : nil))
        #expect(task.startedAt != nil)
        #expect(try SupervisorStatus(json: status.json, what: "status") == status)
    }

    @Test func manifestProblemsAreReportedWithTheTaskNamed() throws {
        let cycle: JSONValue = [
            "workflowGraph": [
                "name": "w",
                "tasks": [
                    Fixture.task("a", command: ["true"], needs: ["b"]),
                    Fixture.task("b", command: ["true"], needs: ["a"]),
                ],
            ]
        ]
        #expect(throws: GSError.self) { try SupervisedWorkflow(manifest: cycle, what: "m") }
        do {
            _ = try SupervisedWorkflow(
                manifest: [
                    "workflowGraph": ["name": "w", "tasks": [Fixture.task("a", command: ["true"], needs: ["x"])]]
                ],
                what: "manifest.json")
            Issue.record("an unknown need must be refused")
        } catch {
            #expect(error.message.contains("task 'a' needs 'x'"))
        }
        let workflow = try SupervisedWorkflow(
            manifest: [
                "workflowGraph": [
                    "name": "w",
                    "tasks": [
                        Fixture.task("late", command: ["true"], needs: ["early"]),
                        Fixture.task("early", command: ["true"]),
                    ],
                ]
            ], what: "m")
        #expect(workflow.tasks.map(\.name) == ["early", "late"])
    }

    @Test func releaseThatCannotBeReadKeepsTheRunningOne() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        try fixture.release("r1", tasks: [Fixture.task("svc", command: Fixture.shell("exec sleep 300"))])
        let broken = fixture.path("releases/r2")
        try FileSystem.makeDirectories(broken)
        try FileSystem.writeAtomically("{\"workflowGraph\": 3}", to: FileSystem.join(broken, "manifest.json"))
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(fixture.drive(loop) { fixture.state(loop, "svc") == .ready })
        fixture.activate("r2")
        loop.reload()
        #expect(loop.status.release == "r1")
        #expect(loop.status.message?.contains("workflowGraph") == true)
        #expect(fixture.state(loop, "svc") == .ready)
    }

    // MARK: the real process

    /// `Supervisor.start` runs this very test binary as the supervisor (see
    /// `SupervisorChildProcess`), so signals, the lock and a real SIGKILL are exercised.
    @Test func supervisorProcessSurvivesSIGKILLReloadsOnSIGHUPAndStops() throws {
        let fixture = Fixture()
        defer { fixture.cleanUp() }
        let record = "echo $$ >> \"$GS_DATA/pids\";"
        try fixture.release(
            "r1",
            tasks: [
                Fixture.task("web", command: Fixture.shell("\(record) exec sleep 300")),
                Fixture.task("worker", command: Fixture.shell("\(record) exec sleep 300"), needs: ["web"]),
            ])
        fixture.activate("r1")
        let command = [
            SupervisorChildProcess.testBinary, "--testing-library", "swift-testing", "--filter",
            "SupervisorChildProcess",
        ]
        let environment = [SupervisorChildProcess.variable: fixture.root]
        func allReady(pid: Int32?) -> Bool {
            guard let status = Supervisor.readStatus(root: fixture.root), pid == nil || status.pid == pid else {
                return false
            }
            return !status.tasks.isEmpty && status.tasks.allSatisfy { $0.state == .ready }
        }

        try Supervisor.start(root: fixture.root, command: command, environment: environment)
        let first = try #require(Supervisor.runningPID(root: fixture.root))
        #expect(Fixture.wait(timeout: 30) { allReady(pid: first) })
        let pids = Supervisor.readStatus(root: fixture.root)?.tasks.map(\.pid)

        // One supervisor per root.
        #expect(try Supervisor.run(root: fixture.root) == .alreadyRunning(pid: first))

        kill(first, SIGKILL)
        var status: Int32 = 0
        waitpid(first, &status, 0)
        #expect(!Supervisor.isRunning(root: fixture.root))
        #expect(fixture.processes(task: "web").count == 1)

        try Supervisor.start(root: fixture.root, command: command, environment: environment)
        let second = try #require(Supervisor.runningPID(root: fixture.root))
        #expect(second != first)
        #expect(Fixture.wait(timeout: 30) { allReady(pid: second) })
        #expect(Supervisor.readStatus(root: fixture.root)?.tasks.map(\.pid) == pids)
        #expect(fixture.text("logs/supervisor.log").contains("adopted web (pid"))
        for task in ["web", "worker"] {
            #expect(fixture.processes(task: task).count == 1, "\(task) runs once")
            #expect(fixture.startedPIDs(task).count == 1, "\(task) was started once")
        }

        try fixture.release("r2", tasks: [Fixture.task("next", command: Fixture.shell("exec sleep 300"))])
        fixture.activate("r2")
        try Supervisor.reload(root: fixture.root, command: command, environment: environment)
        #expect(
            Fixture.wait(timeout: 30) {
                Supervisor.readStatus(root: fixture.root)?.release == "r2" && allReady(pid: second)
            })
        #expect(fixture.processes(task: "web").isEmpty)
        #expect(Supervisor.runningPID(root: fixture.root) == second)

        try Supervisor.stop(root: fixture.root, timeoutSeconds: 30)
        #expect(!Supervisor.isRunning(root: fixture.root))
        #expect(fixture.processes().isEmpty)
        #expect(Supervisor.readStatus(root: fixture.root)?.tasks.allSatisfy { $0.state == .stopped } == true)
    }
}

/// Runs `Supervisor.run` when this test binary is started as a supervisor by the test above
/// (the variable names the root); skipped in ordinary test runs.
@Suite struct SupervisorChildProcess {
    static let variable = "GS_SUPERVISOR_TEST_ROOT"
    static let root: String? = getenv(variable).map { String(cString: $0) }

    static var testBinary: String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        return String(decoding: buffer[0..<max(0, count)].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test(.enabled(if: SupervisorChildProcess.root != nil, "only as the supervisor process of another test"))
    func supervise() throws {
        let outcome = try Supervisor.run(root: try #require(Self.root), options: SupervisorFixture.fastOptions)
        #expect(outcome == .stopped)
    }
}
