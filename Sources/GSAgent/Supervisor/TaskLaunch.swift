import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// What a task's process is started with: its argv and its environment.
    ///
    /// The environment is how the supervisor tells a task where it stands (the contract task
    /// programs rely on): the agent's own variables, then the task's `env`, then the `GS_*`
    /// variables, which win so a spec cannot spoof them.
    enum TaskLaunch {
        /// `command + args`; a relative `command[0]` with a `/` names a file in the release.
        static func arguments(_ task: SupervisedTask, release: SupervisedRelease) throws(GSError) -> [String] {
            guard var program = task.command.first else {
                throw GSError(
                    "task '\(task.name)' (uses: \(task.uses)) has no command",
                    hint: "give the task a `command` in the workflow spec")
            }
            if program.contains("/"), !program.hasPrefix("/") {
                program = FileSystem.resolve(program, relativeTo: release.directory)
            }
            return [program] + task.command.dropFirst() + task.args
        }

        static func environment(
            _ task: SupervisedTask, release: SupervisedRelease, paths: SupervisorPaths, base: [String: String]
        ) -> [String: String] {
            var environment = base
            for (key, value) in task.env { environment[key] = value }
            environment["GS_TASK"] = task.name
            environment["GS_RELEASE"] = release.directory
            environment["GS_WORKFLOW"] = release.workflow.name
            environment["GS_PARAMS"] = task.params.canonical
            environment["GS_DATA"] = paths.data(task.name)
            environment["GS_PORT"] = task.port.map(String.init)
            environment["GS_MODEL"] = task.modelFile.map { FileSystem.resolve($0, relativeTo: release.directory) }
            environment["GS_CPUS"] = task.cpu.map { JSONValue.format($0) }
            environment["GS_MEMORY_MB"] = task.memoryMB.map(String.init)
            if let cpu = task.cpu {
                // OpenMP, OpenBLAS and MKL size their pools from these; the task's own `env` wins.
                let threads = String(threadCount(cpu: cpu))
                for name in threadVariables where task.env[name] == nil { environment[name] = threads }
            }
            var inputs: [String] = []
            for need in task.needs {
                if let port = release.workflow.tasks.first(where: { $0.name == need })?.port {
                    inputs.append("\(need)=127.0.0.1:\(port)")
                }
            }
            environment["GS_INPUTS"] = inputs.joined(separator: ",")
            // Who reads this task: a lossless producer waits for all of them before it publishes.
            let readers = release.workflow.tasks.filter { $0.needs.contains(task.name) && $0.port != nil }
            environment["GS_OUTPUTS"] = readers.map(\.name).joined(separator: ",")
            // The task's runtime environment (installed from the bundle's wheels) comes first on PATH.
            if let name = task.environment,
                let bin = RuntimeEnvironments.binDirectory(
                    root: paths.root, releaseDirectory: release.directory, name: name)
            {
                environment["PATH"] = bin + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
                environment["VIRTUAL_ENV"] = FileSystem.directory(of: bin)
            }
            return environment
        }

        /// The variables that size the common numeric libraries' thread pools.
        static let threadVariables = ["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"]

        /// Whole threads for `cpu` cores: rounded up (1.5 cores: 2 threads), at least 1.
        static func threadCount(cpu: Double) -> Int {
            max(1, Int(cpu.rounded(.up)))
        }

        /// The first executable `program` in the folders of `path`.
        static func search(_ program: String, path: String?) -> String? {
            for folder in (path ?? "").split(separator: ":") where !folder.isEmpty {
                let candidate = FileSystem.join(String(folder), program)
                if access(candidate, X_OK) == 0 { return candidate }
            }
            return nil
        }

        /// A job runs under a tiny shell that leaves its exit status in `exitFile`: when the
        /// supervisor restarts while the job runs, the job is no longer its child and the
        /// status would otherwise be lost (and a finished job run twice).
        static func wrapJob(_ arguments: [String], exitFile: String) -> [String] {
            let script = "f=$1; shift; \"$@\"; s=$?; echo $s > \"$f.tmp\" && mv -f \"$f.tmp\" \"$f\"; exit $s"
            return ["/bin/sh", "-c", script, "gsctl-job", exitFile] + arguments
        }
    }
}
