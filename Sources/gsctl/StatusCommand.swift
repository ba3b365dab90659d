import GSAgent
import GSCore
import GSDeploy
import GSSpec

/// `gsctl status`: what runs on each host, read from the hosts themselves.
enum StatusCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "per host: active release and revision, task health, CPU and memory, load, drift",
        discussion: """
            Asks every host's agent (or the hosts named with --host) for its state: the active release,
            the revision it came from, each task's state, restarts, CPU and memory, the host's load and
            free memory, the last apply, and drift: files that differ from the release's manifest, or a
            host on another revision than git's HEAD. Nothing is kept on the controller. Exit 0 when
            every host answered without drift, 3 otherwise.
            """,
        arguments: [ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true)],
        options: [
            .value("host", "HOST", "only this host (repeatable)", repeatable: true),
            .value("format", short: "f", "FORMAT", "output format", allowed: ["text", "json", "html"]),
            .flag(
                "models",
                "per host and model, the variants precision: auto measured (load s, ms/frame, FPS, memory, accuracy)"),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        let paths = Output.specPaths(arguments)
        let report = Linter.lint(paths: paths)
        guard try Output.refuseErrors(report, doing: "reading status") else { return .failure }
        let specs = report.specs
        let names = try DeployContext.hosts(arguments.all("host"), specs: specs)
        let inventory = DeployContext.inventory(specs, paths: paths)
        let head = GitSource.find(paths.first ?? ".").flatMap { try? $0.resolve("HEAD") }
        let hosts = parallelHosts(names.count) { i in query(names[i], inventory: inventory, head: head) }
        let format = arguments.value("format") ?? "text"
        switch format {
        case "json": Terminal.write(JSONValue.array(hosts).pretty + "\n")
        case "html": Terminal.write(FleetHTML.render(hosts, specs: specs))
        default:
            if arguments.flag("models") {
                for host in hosts {
                    let name = host["host"]?.stringValue ?? ""
                    if let error = host["error"]?.stringValue {
                        Terminal.write("\(name): unreachable: \(error)\n")
                    } else {
                        Terminal.write(ModelTable.render(host: name, tables: host["models"]?.arrayValue ?? []))
                    }
                }
            } else {
                Terminal.write(render(hosts))
            }
        }
        let healthy = hosts.allSatisfy { $0["error"] == nil && ($0["problems"]?.arrayValue ?? []).isEmpty }
        return healthy ? .success : .partial
    }

    static func query(_ name: String, inventory: Inventory, head: String?) -> JSONValue {
        var entry: [String: JSONValue] = ["host": .string(name)]
        do throws(GSError) {
            let client = try AgentClient.connect(transport: try inventory.transport(name))
            defer { client.close() }
            let status = try client.call("status")
            for key in ["current", "drift", "state", "facts", "workflow", "lease", "models"] {
                entry[key] = status[key] ?? .null
            }
            var problems: [String] = []
            let drift = status["drift"]?.arrayValue ?? []
            if !drift.isEmpty { problems.append("\(drift.count) file(s) differ from the manifest") }
            let revision = status["state"]?["active"]?["revision"]?.stringValue
            if let head, let revision, revision != head {
                problems.append("on revision \(revision.prefix(12)), git HEAD is \(head.prefix(12))")
            }
            for task in status["workflow"]?["tasks"]?.arrayValue ?? [] {
                let state = task["state"]?.stringValue ?? ""
                if ["failed", "backoff"].contains(state) {
                    problems.append("task \(task["name"]?.stringValue ?? "") is \(state)")
                }
            }
            entry["problems"] = .strings(problems)
        } catch {
            entry["error"] = .string(error.message)
        }
        return .object(entry)
    }

    static func render(_ hosts: [JSONValue]) -> String {
        var rows: [[String]] = [["HOST", "RELEASE", "REVISION", "TASKS", "LOAD", "MEM FREE", "LAST APPLY", "PROBLEMS"]]
        var details = ""
        for host in hosts {
            let name = host["host"]?.stringValue ?? ""
            if let error = host["error"]?.stringValue {
                rows.append([name, "-", "-", "-", "-", "-", "-", "unreachable"])
                details += "\(name): \(error)\n"
                continue
            }
            let active = host["state"]?["active"]
            let tasks = host["workflow"]?["tasks"]?.arrayValue ?? []
            let ready = tasks.filter { ["ready", "running", "succeeded"].contains($0["state"]?.stringValue ?? "") }
                .count
            let load = host["facts"]?["load"]?.arrayValue?.first?.doubleValue.map { ByteText.fixed($0) } ?? "-"
            let memory = host["facts"]?["memoryAvailableMB"]?.intValue.map { "\($0) MB" } ?? "-"
            let last = host["state"]?["history"]?.arrayValue?.last
            let lastText =
                last.map { "\($0["action"]?.stringValue ?? "") \(Age.text(since: $0["time"]?.doubleValue ?? 0))" }
                ?? "-"
            let problems = host["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
            rows.append([
                name, active?["name"]?.stringValue ?? "(none)",
                active?["revision"]?.stringValue.map { String($0.prefix(12)) } ?? "-",
                tasks.isEmpty ? "-" : "\(ready)/\(tasks.count)", load, memory, lastText,
                problems.isEmpty ? "ok" : "\(problems.count)",
            ])
            for problem in problems { details += "\(name): \(problem)\n" }
            for drift in host["drift"]?.arrayValue ?? [] {
                details +=
                    "\(name): drift \(drift["kind"]?.stringValue ?? "") \(drift["path"]?.stringValue ?? ""): \(drift["detail"]?.stringValue ?? "")\n"
            }
            for task in tasks {
                details +=
                    "\(name)/\(task["name"]?.stringValue ?? ""): \(task["state"]?.stringValue ?? "?")"
                    + " pid \(task["pid"]?.intValue.map(String.init) ?? "-") \(usage(task))"
                    + " restarts \(task["restarts"]?.intValue ?? 0)"
                    + (task["message"]?.stringValue.map { " (\($0))" } ?? "") + "\n"
            }
        }
        return Table.render(rows) + (details.isEmpty ? "" : "\n" + details)
    }
}

extension StatusCommand {
    /// A task's CPU and memory against its `resources`, and what enforces each:
    /// `cpu 9.7% of 1 core(s) (capped by cgroup v1) rss 122 of 512 MB (capped by cgroup v1)`.
    static func usage(_ task: JSONValue) -> String {
        var cpu = task["cpuPercent"]?.doubleValue.map { ByteText.fixed($0) + "%" } ?? "-"
        if let cores = task["cpuCores"]?.doubleValue {
            let cap = task["cpuCap"]?.stringValue.map { "capped by \($0)" } ?? "advisory"
            cpu += " of \(JSONValue.format(cores)) core(s) (\(cap))"
        }
        let limit = task["memoryLimitMB"]?.intValue.map {
            " of \($0) MB (" + (task["memoryCap"]?.stringValue.map { "capped by \($0)" } ?? "sampled") + ")"
        }
        let rss = task["rssKB"]?.intValue.map { "\($0 / 1024)" + (limit ?? " MB") } ?? "-"
        return "cpu \(cpu) rss \(rss)"
    }
}

enum Age {
    static func text(since time: Double) -> String {
        let seconds = max(0, Int(unixNow() - time))
        if seconds < 120 { return "\(seconds)s ago" }
        if seconds < 7200 { return "\(seconds / 60)m ago" }
        if seconds < 172_800 { return "\(seconds / 3600)h ago" }
        return "\(seconds / 86400)d ago"
    }
}

/// The fleet's Tree view (deployments -> hosts -> tasks), one self-contained HTML page.
enum FleetHTML {
    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    static func render(_ hosts: [JSONValue], specs: SpecSet) -> String {
        let byName = Dictionary(hosts.map { ($0["host"]?.stringValue ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        var groups: [(String, [String])] = []
        var placed: Set<String> = []
        for host in hosts {
            let name = host["host"]?.stringValue ?? ""
            let deployment = host["state"]?["active"]?["deployment"]?.stringValue ?? "(no release)"
            if let index = groups.firstIndex(where: { $0.0 == deployment }) {
                groups[index].1.append(name)
            } else {
                groups.append((deployment, [name]))
            }
            placed.insert(name)
        }
        var body = ""
        for (deployment, names) in groups.sorted(by: { $0.0 < $1.0 }) {
            body +=
                "<li><details open><summary class=dep>\(escape(deployment)) <small>\(names.count) host(s)</small></summary><ul>"
            for name in names.sorted() {
                let host = byName[name] ?? .null
                let problems = host["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let error = host["error"]?.stringValue
                let cls = error != nil ? "bad" : problems.isEmpty ? "ok" : "warn"
                let release = host["state"]?["active"]?["name"]?.stringValue ?? "-"
                body +=
                    "<li><details open><summary class=\(cls)>\(escape(name)) <small>\(escape(release))</small></summary><ul>"
                if let error { body += "<li class=bad>\(escape(error))</li>" }
                for problem in problems { body += "<li class=warn>\(escape(problem))</li>" }
                for task in host["workflow"]?["tasks"]?.arrayValue ?? [] {
                    let state = task["state"]?.stringValue ?? "?"
                    let taskClass =
                        ["ready", "running", "succeeded"].contains(state)
                        ? "ok" : ["failed", "backoff"].contains(state) ? "bad" : "warn"
                    let name = escape(task["name"]?.stringValue ?? "")
                    let usage = escape(StatusCommand.usage(task))
                    let message = task["message"]?.stringValue.map { " (" + escape($0) + ")" } ?? ""
                    body +=
                        "<li class=\(taskClass)>\(name): \(escape(state)) <small>\(usage),"
                        + " restarts \(task["restarts"]?.intValue ?? 0)\(message)</small></li>"
                }
                body += ModelTable.html(host["models"]?.arrayValue ?? [])
                body += "</ul></details></li>"
            }
            body += "</ul></details></li>"
        }
        return """
            <!doctype html><html><head><meta charset=utf-8><title>gsctl fleet status</title><style>
            body{font:14px system-ui,sans-serif;margin:2em;color:#222}ul{list-style:none;padding-left:1.2em}
            summary{cursor:pointer;padding:2px 0}.dep{font-weight:600}small{color:#777}
            table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:right}
            tr.chosen{background:#e8f6e8;font-weight:600}
            .ok::before{content:"● ";color:#2a2}.warn::before{content:"● ";color:#d90}.bad::before{content:"● ";color:#d22}
            </style></head><body><h1>Fleet</h1><ul>\(body)</ul></body></html>

            """
    }
}
