import GSAgent
import GSBundle
import GSCore
import GSDeploy
import GSSpec

/// `gsctl agent serve|supervise|install`: the host side, and putting it on hosts.
enum AgentCommand {
    static let spec = CommandSpec(
        name: "agent",
        summary: "the edge agent: serve the controller, supervise the workflow, or install it on hosts",
        discussion: """
            serve --root DIR        speak the agent protocol on stdin/stdout (the controller starts
                                    this over ssh, or as a child for local hosts)
            supervise --root DIR    run the active release's workflow: tasks in `needs` order,
                                    restarts with backoff, probes, logs; the agent starts it
            stop --root DIR         stop the supervisor and the workflow's tasks
            install HOST... --trust KEY
                                    copy this gsctl to HOST's <root>/bin/gsctl and pin the signing
                                    keys the host accepts (unsigned or other-key bundles are then
                                    refused)
            """,
        arguments: [
            ArgumentSpec(name: "ACTION", help: "serve, supervise, stop or install", optional: false),
            ArgumentSpec(name: "HOST", help: "hosts (install)", variadic: true),
        ],
        options: [
            .value("root", "DIR", "the host's root directory (serve, supervise)"),
            .flag("no-supervise", "serve without starting the workflow (model-only hosts, tests)"),
            .value("trust", "KEY", "public key (PEM) the host accepts (install; repeatable)", repeatable: true),
            .value("specs", "PATHS", "spec folder (install; default: Specs)"),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        let action = arguments.positionals[0]
        switch action {
        case "serve":
            guard let root = arguments.value("root") else {
                throw UsageError(message: "`agent serve` needs --root DIR")
            }
            let runner: any WorkflowRunner =
                arguments.flag("no-supervise")
                ? NoWorkflow() : SupervisorRunner(executable: LocalTransport.currentExecutable())
            let code = AgentServer(root: root, runner: runner).serve()
            return code == 0 ? .success : .failure
        case "supervise":
            guard let root = arguments.value("root") else {
                throw UsageError(message: "`agent supervise` needs --root DIR")
            }
            try Supervisor.run(root: root)
            return .success
        case "stop":
            guard let root = arguments.value("root") else { throw UsageError(message: "`agent stop` needs --root DIR") }
            try Supervisor.stop(root: root)
            return .success
        case "install":
            return try install(
                Array(arguments.positionals.dropFirst()), keys: arguments.all("trust"), specs: arguments.value("specs"))
        default:
            throw UsageError(
                message: "unknown agent action `\(action)`", hint: "one of: serve, supervise, stop, install")
        }
    }

    static func install(_ hosts: [String], keys: [String], specs path: String?) throws -> ExitCode {
        guard !hosts.isEmpty else { throw UsageError(message: "`agent install` needs at least one HOST") }
        let paths = [path ?? "Specs"]
        let report = Linter.lint(paths: paths)
        guard try Output.refuseErrors(report, doing: "installing the agent") else { return .failure }
        _ = try DeployContext.hosts(hosts, specs: report.specs)
        let parsed = try keys.map { path throws(GSError) in (path, try Ed25519PublicKey.load(path: path)) }
        let inventory = DeployContext.inventory(report.specs, paths: paths)
        var failed = false
        for host in hosts {
            do throws(GSError) {
                let transport = try inventory.transport(host)
                try transport.install(file: LocalTransport.currentExecutable(), to: transport.agentBinary, mode: 0o755)
                for (path, key) in parsed {
                    try transport.install(
                        file: path,
                        to: FileSystem.join(FileSystem.join(transport.root, "trust"), key.fingerprint + ".pub"),
                        mode: 0o644)
                }
                let client = try AgentClient.connect(transport: transport)
                defer { client.close() }
                let hello = client.hello
                let trusted = hello["trust"]?.arrayValue?.compactMap(\.stringValue) ?? []
                Terminal.write(
                    "\(host): agent \(hello["version"]?.stringValue ?? "?") at \(transport.agentBinary); "
                        + (trusted.isEmpty
                            ? "no signing keys pinned (unsigned bundles accepted)"
                            : "trusts \(trusted.map { String($0.prefix(16)) }.joined(separator: ", "))")
                        + "\n")
            } catch {
                failed = true
                Terminal.write(Output.error(error), to: .standardError)
            }
        }
        return failed ? .partial : .success
    }
}

/// `gsctl hosts trust HOST...` and `gsctl device probe HOST`.
enum HostsCommand {
    static let spec = CommandSpec(
        name: "hosts",
        summary: "trust SSH host keys: record HOST's key in .gsctl/known_hosts after showing its fingerprint",
        discussion: """
            trust HOST...   scan each host's SSH key (ssh-keyscan), print its fingerprint and add it to
                            the repository's .gsctl/known_hosts; commit that file. ssh refuses hosts
                            whose key is not there, and a changed key is an error, never a prompt.
            """,
        arguments: [
            ArgumentSpec(name: "ACTION", help: "trust", optional: false),
            ArgumentSpec(name: "HOST", help: "hosts", variadic: true),
        ],
        options: [.value("specs", "PATHS", "spec folder (default: Specs)")],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        guard arguments.positionals[0] == "trust" else {
            throw UsageError(
                message: "unknown hosts action `\(arguments.positionals[0])`", hint: "gsctl hosts trust HOST...")
        }
        let paths = [arguments.value("specs") ?? "Specs"]
        let report = Linter.lint(paths: paths)
        guard try Output.refuseErrors(report, doing: "trusting hosts") else { return .failure }
        let names = Array(arguments.positionals.dropFirst())
        guard !names.isEmpty else { throw UsageError(message: "`hosts trust` needs at least one HOST") }
        let inventory = DeployContext.inventory(report.specs, paths: paths)
        for name in try DeployContext.hosts(names, specs: report.specs) {
            guard let host = report.specs.host(name), host.transport == .ssh, let address = host.address else {
                Terminal.write("\(name): local host, nothing to trust\n")
                continue
            }
            let trusted = try KnownHosts.trust(
                host: name, address: address, port: host.port, file: inventory.ssh.knownHostsFile)
            for fingerprint in trusted.fingerprints { Terminal.write("\(name): \(fingerprint)\n") }
        }
        Terminal.write("recorded in \(inventory.ssh.knownHostsFile); commit it\n")
        return .success
    }
}

enum DeviceCommand {
    static let spec = CommandSpec(
        name: "device",
        summary:
            "probe HOST: print a Device spec from its CPU, memory and runtimes; bench HOST: measure model variants again",
        discussion: """
            `probe` reads the host's real CPU features, memory, accelerators and installed runtimes
            and prints a Device spec for it. `bench` measures every model variant the active release
            carries again, on the host's runtime with the golden inputs (load time, ms/frame, FPS,
            memory, accuracy), for when the device's load changed; when another variant now wins,
            the workflow restarts on it, and goes back to the variants it ran (exit 3) if it is
            not healthy on the new one. It prints the table `gsctl status --models` shows.
            """,
        arguments: [
            ArgumentSpec(name: "ACTION", help: "probe | bench", optional: false),
            ArgumentSpec(name: "HOST", help: "a Host of the specs", optional: false),
        ],
        options: [.value("specs", "PATHS", "spec folder (default: Specs)")],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        let action = arguments.positionals[0]
        guard ["probe", "bench"].contains(action), arguments.positionals.count == 2 else {
            throw UsageError(message: "usage: gsctl device probe|bench HOST")
        }
        let name = arguments.positionals[1]
        guard
            let client = try DeployContext.connect(
                host: name, paths: [arguments.value("specs") ?? "Specs"],
                doing: action == "probe" ? "probing" : "measuring")
        else { return .failure }
        defer { client.close() }
        if action == "bench" { return try bench(name, client: client) }
        let reply = try client.call("probe", timeout: 60)
        let facts = reply["facts"] ?? .null
        let runtimes = reply["runtimes"]?.objectValue ?? [:]
        var yaml = """
            # Probed from \(name) (\(facts["hostname"]?.stringValue ?? "?")) by gsctl device probe.
            apiVersion: gs.ai/v1
            kind: Device
            metadata:
              name: \(name)-probed
            spec:
              arch: \(facts["arch"]?.stringValue ?? "x86_64")
              cpuFeatures: [\((facts["cpuFeatures"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))]
              cores: \(facts["cores"]?.intValue ?? 1)
              memoryMB: \(facts["memoryMB"]?.intValue ?? 0)
              accelerators: [\((facts["accelerators"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", "))]

            """
        yaml += "  runtimes:\n"
        if let version = runtimes["onnxruntime"]?.stringValue {
            yaml +=
                "    - {name: onnxruntime, version: \"\(version)\", format: onnx, precisions: [fp32, fp16, int8], fast: [fp32, int8]}\n"
        }
        if let version = runtimes["openvino"]?.stringValue {
            yaml +=
                "    - {name: openvino, version: \"\(version)\", format: onnx, precisions: [fp32, fp16, int8], fast: [int8]}\n"
        }
        if runtimes["tensorrt"] != nil {
            yaml +=
                "    - {name: tensorrt, version: \"unknown\", format: tensorrt-engine, precisions: [fp32, fp16, int8], fast: [fp16, int8]}\n"
        }
        if runtimes["onnxruntime"] == nil, runtimes["openvino"] == nil, runtimes["tensorrt"] == nil {
            yaml = yaml.replacingSuffix(
                "  runtimes:\n", with: "  runtimes: []  # none found: install onnxruntime in the host's Python\n")
        }
        Terminal.write(yaml)
        return .success
    }
}

extension DeviceCommand {
    /// Takes the host's lease (an apply in progress is waited for, up to a minute), measures,
    /// prints the table.
    static func bench(_ name: String, client: AgentClient) throws -> ExitCode {
        let owner = "device bench " + Deployer.defaultOwner()
        try client.call("lease", ["owner": .string(owner), "ttl": 120, "wait": 60], timeout: 90)
        defer { _ = try? client.call("unlease") }
        let reply = try client.call("bench", timeout: 1800)
        Terminal.write(ModelTable.render(host: name, tables: reply["models"]?.arrayValue ?? []))
        if let reverted = reply["reverted"]?.stringValue {
            Terminal.write(
                "\(name): another variant won, but the workflow was not healthy on it (\(reverted)); it runs the variants it ran before\n"
            )
            return .partial
        }
        if reply["restarted"]?.boolValue == true {
            Terminal.write("\(name): another variant won; the workflow restarted on it\n")
        }
        return .success
    }
}

extension String {
    func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
