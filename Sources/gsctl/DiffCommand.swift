import GSAgent
import GSBundle
import GSCore
import GSDeploy

/// `gsctl diff`: what apply would do, per host, without changing anything.
enum DiffCommand {
    static let spec = CommandSpec(
        name: "diff",
        summary: "show what apply would change on each host (exit 0 none, 2 changes, 1 error)",
        discussion: """
            Per host: install, upgrade FROM -> TO, nothing, or repair (files changed by hand on the
            host); which models were added, removed or changed (precision, variant), and how many bytes
            the host would download (the blobs it lacks). Exit 0 when nothing would change, 2 when
            something would, 1 on errors or unreachable hosts: CI can gate on it. A release that failed
            its health gates on a host of its deployment is marked held: apply does not roll it out,
            and each held host says what apply does instead (keeps its release, or catches it up to
            the last release that passed, naming the revision; older revisions are built to know).
            """,
        arguments: [ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true)],
        options: DeployContext.buildOptions + [
            .value("format", short: "f", "FORMAT", "output format", allowed: ["text", "json"]),
            .flag("prune", "also list hosts no deployment targets any more (what apply --prune removes)"),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        let json = arguments.value("format") == "json"
        let options = DeployContext.desiredOptions(arguments, quiet: true)
        let desired = try DeployContext.desired(options: options)
        let inventory = DeployContext.inventory(desired.specs, paths: Output.specPaths(arguments))
        var targets: [(deployment: String, host: String, release: DesiredRelease)] = []
        for deployment in desired.plan.deployments.sorted(by: { $0.name < $1.name }) {
            for target in deployment.targets {
                if let release = desired.desired(for: deployment, host: target.host) {
                    targets.append((deployment.name, target.host, release))
                }
            }
        }
        let work = targets
        let diffs = parallelHosts(work.count) { i in
            hostDiff(work[i].host, work[i].release, inventory: inventory)
        }
        var entries = Self.markHeld(diffs.map(\.entry))
        entries = Self.previewCatchUp(entries, states: diffs, desired: desired, options: options)
        if arguments.flag("prune") {
            // Hosts no deployment targets: `apply --prune` would stop and deactivate them.
            let targeted = Set(desired.plan.deployments.flatMap { $0.targets.map(\.host) })
            let idle = desired.specs.hosts.map(\.name).filter { !targeted.contains($0) }.sorted()
            entries += parallelHosts(idle.count) { i in removal(idle[i], inventory: inventory) }
        }
        var changed = false
        var failed = false
        var text = ""
        for entry in entries {
            let action = entry["action"]?.stringValue ?? "error"
            if action == "error" { failed = true } else if action != "nothing" { changed = true }
            text += "\(entry["deployment"]?.stringValue ?? "")/\(entry["host"]?.stringValue ?? ""): \(action)"
            if let from = entry["from"]?.stringValue, action == "upgrade" {
                text += " \(from) -> \(entry["to"]?.stringValue ?? "")"
            }
            if action == "install" { text += " \(entry["to"]?.stringValue ?? "")" }
            if action == "remove" { text += " \(entry["from"]?.stringValue ?? "")" }
            if let bytes = entry["downloadBytes"]?.intValue, bytes > 0 {
                text += ", download \(ByteText.format(bytes))"
            }
            text += "\n"
            for line in entry["changes"]?.arrayValue ?? [] { text += "    \(line.stringValue ?? "")\n" }
            if let message = entry["error"]?.stringValue { text += "    \(message)\n" }
            if let held = entry["held"]?.stringValue { text += "    held: \(held)\n" }
            if let catchUp = entry["catchUp"]?.stringValue { text += "    \(catchUp)\n" }
        }
        Terminal.write(json ? JSONValue.array(entries).pretty + "\n" : text)
        return failed ? .failure : changed ? .changesPending : .success
    }

    /// Where a deployment's release failed its gates on one of its hosts, apply does not roll
    /// it out further (it halts, and catches lagging hosts up to the last release that passed):
    /// every install or upgrade of that deployment says so instead of promising the change.
    static func markHeld(_ entries: [JSONValue]) -> [JSONValue] {
        var failedOn: [String: (host: String, reason: String)] = [:]
        for entry in entries {
            guard let deployment = entry["deployment"]?.stringValue, let reason = entry["failedHere"]?.stringValue,
                failedOn[deployment] == nil
            else { continue }
            failedOn[deployment] = (entry["host"]?.stringValue ?? "?", reason)
        }
        return entries.map { entry in
            guard case .object(var members) = entry, let deployment = entry["deployment"]?.stringValue,
                let failed = failedOn[deployment],
                ["install", "upgrade"].contains(entry["action"]?.stringValue ?? "")
            else { return entry }
            members["held"] = .string(
                "this release failed its health gates on \(failed.host) (\(failed.reason)): apply will not roll it out (--retry-failed overrides) and catches hosts that lag up to the last release that passed"
            )
            return .object(members)
        }
    }

    /// Names, for each held host, what apply would do instead of the held release: keep it,
    /// or catch it up to which earlier release (built at its revision, like apply builds it).
    static func previewCatchUp(
        _ entries: [JSONValue], states diffs: [(entry: JSONValue, state: HostState?)], desired: DesiredState,
        options: DesiredState.Options
    ) -> [JSONValue] {
        let held = Set(entries.filter { $0["held"] != nil }.compactMap { $0["deployment"]?.stringValue })
        guard !held.isEmpty else { return entries }
        let revisions = RevisionLoader(base: options)
        defer { revisions.cleanUp() }
        var lines: [String: [String: String]] = [:]
        for deployment in desired.plan.deployments where held.contains(deployment.name) {
            var states: [String: HostState] = [:]
            for diff in diffs where diff.entry["deployment"]?.stringValue == deployment.name {
                if let host = diff.entry["host"]?.stringValue, let state = diff.state { states[host] = state }
            }
            let hosts = entries.filter { $0["deployment"]?.stringValue == deployment.name && $0["held"] != nil }
                .compactMap { $0["host"]?.stringValue }
            lines[deployment.name] = CatchUp.preview(
                deployment: deployment, desired: desired, states: states, hosts: hosts,
                load: { revision in revisions.load(revision) })
        }
        return entries.map { entry in
            guard case .object(var members) = entry, let deployment = entry["deployment"]?.stringValue,
                let host = entry["host"]?.stringValue, let line = lines[deployment]?[host]
            else { return entry }
            members["catchUp"] = .string(line)
            return .object(members)
        }
    }

    static func removal(_ host: String, inventory: Inventory) -> JSONValue {
        var entry: [String: JSONValue] = ["host": .string(host), "deployment": "(prune)"]
        do throws(GSError) {
            let client = try AgentClient.connect(transport: try inventory.transport(host))
            defer { client.close() }
            let active = try client.call("state")["state"]?["active"]?["name"]?.stringValue
            entry["action"] = active == nil ? "nothing" : "remove"
            entry["from"] = .optional(active)
            entry["changes"] = .strings(active.map { ["stop the workflow and deactivate \($0)"] } ?? [])
        } catch {
            entry["action"] = "error"
            entry["error"] = .string(error.message)
        }
        return .object(entry)
    }

    /// One host's entry, and the state its agent reported (for the catch-up preview).
    static func hostDiff(
        _ host: String, _ release: DesiredRelease, inventory: Inventory
    ) -> (entry: JSONValue, state: HostState?) {
        var state: HostState?
        var entry: [String: JSONValue] = [
            "host": .string(host), "deployment": .string(release.deployment), "to": .string(release.releaseName),
        ]
        do throws(GSError) {
            let client = try AgentClient.connect(transport: try inventory.transport(host))
            defer { client.close() }
            let check = try client.call("check", ["manifest": .string(release.manifestDigest)])
            if let reported = check["state"] { state = try? HostState(json: reported, path: host) }
            let drift = check["drift"]?.arrayValue ?? []
            let digests = Array(Set(release.manifest.files.map(\.sha256)))
            let missing = try client.call("missing", ["blobs": .strings(digests)])["missing"]?.arrayValue ?? []
            let sizes = Dictionary(release.manifest.files.map { ($0.sha256, $0.size) }, uniquingKeysWith: { a, _ in a })
            let bytes = missing.reduce(0) { total, item in
                total + (sizes[item["sha256"]?.stringValue ?? ""] ?? 0) - (item["have"]?.intValue ?? 0)
            }
            entry["downloadBytes"] = .int(bytes)
            entry["from"] = .optional(check["state"]?["active"]?["name"]?.stringValue)
            if let reason = check["state"]?["failed"]?[release.manifestDigest]?.stringValue {
                entry["failedHere"] = .string(reason)
            }
            var changes: [String] = drift.map {
                "drift: \($0["kind"]?.stringValue ?? "") \($0["path"]?.stringValue ?? ""): \($0["detail"]?.stringValue ?? "")"
            }
            if check["active"]?.boolValue == true {
                entry["action"] = drift.isEmpty ? "nothing" : "repair"
            } else if let text = try client.call("manifest")["manifest"]?.stringValue,
                let current = try? Manifest.decode(Array(text.utf8)), drift.isEmpty,
                HostConvergence.sameContent(current, release.manifest)
            {
                // Only provenance differs (a commit that changed nothing this host runs).
                entry["action"] = "nothing"
                entry["downloadBytes"] = 0
                changes.append("same content; apply records the new revision without a restart")
            } else if let text = try client.call("manifest")["manifest"]?.stringValue,
                let current = try? Manifest.decode(Array(text.utf8))
            {
                entry["action"] = "upgrade"
                let diff = BundleDiff(from: current, to: release.manifest)
                for model in diff.models {
                    let details = model.details
                    changes.append(
                        "model \(model.name): \(model.kind.rawValue)"
                            + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))"))
                }
                for file in diff.added { changes.append("+ \(file.path) (\(ByteText.format(file.size)))") }
                for file in diff.removed { changes.append("- \(file.path)") }
                for change in diff.changed {
                    changes.append(
                        "~ \(change.after.path) (\(ByteText.format(change.before.size)) -> \(ByteText.format(change.after.size)))"
                    )
                }
            } else {
                entry["action"] = "install"
                for (model, precision) in release.manifest.precisions.sorted(by: { $0.key < $1.key }) {
                    changes.append("model \(model): \(precision)")
                }
            }
            entry["changes"] = .strings(changes)
        } catch {
            entry["action"] = "error"
            entry["error"] = .string(error.message)
        }
        return (.object(entry), state)
    }
}

/// Runs `body` for each host on its own thread (hosts wait on the network, not the CPU).
func parallelHosts<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> T) -> [T] {
    DeployParallel.map(count, width: 16, body)
}
