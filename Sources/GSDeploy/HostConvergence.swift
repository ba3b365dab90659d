import GSAgent
import GSBundle
import GSCore

/// Converges one host to its desired release through the agent: lease -> nothing to do if
/// active and intact -> stale-revision guard -> manifest and signature (checked by the host
/// before any file moves) -> only the missing blobs, resuming partial ones -> activate
/// (verify, assemble, switch, health gates, automatic rollback on the host).
public struct HostConvergence: Sendable {
    public var transport: any Transport
    public var owner: String
    /// Seconds to wait for another apply's lease before giving up (0: fail fast).
    public var leaseWait: Double = 0
    /// Whether moving to `desired.revision` from the host's revision is forward (nil: unknown).
    public var isForward: @Sendable (_ from: String, _ to: String) -> Bool? = { _, _ in nil }
    public var dryRun = false
    /// Allows older revisions (rollback).
    public var allowOlder = false
    public var environment: [String: String] = [:]
    /// Told what the convergence is doing (for a live line per host on a terminal).
    public var onStep: @Sendable (String) -> Void = { _ in }

    public init(transport: any Transport, owner: String) {
        self.transport = transport
        self.owner = owner
    }

    public func converge(_ desired: DesiredRelease) -> HostResult {
        let started = ChildProcess.now()
        var result = steps(desired)
        result.seconds = ChildProcess.now() - started
        return result
    }

    /// Converged means running: an intact active release whose workflow is stopped (the host
    /// rebooted, `gsctl agent stop`) gets it started, and the probes waited for.
    func startIfStopped(_ check: JSONValue, client: AgentClient, result: inout HostResult) throws(GSError) {
        guard check["workflowRunning"]?.boolValue == false else { return }
        result.status = dryRun ? .pending : .repaired
        result.message = "its workflow was not running"
        if dryRun { return }
        onStep("starting the stopped workflow")
        let started = try client.call("start", timeout: 180)
        let problems = started["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
        if problems.isEmpty {
            result.message = "its workflow was not running: started it"
        } else {
            result.status = .refused
            result.message =
                "its workflow was not running; started, it is not healthy: " + problems.joined(separator: "; ")
        }
    }

    func steps(_ desired: DesiredRelease) -> HostResult {
        var result = HostResult(
            host: transport.hostName, deployment: desired.deployment, status: .unreachable, to: desired.releaseName)
        let client: AgentClient
        do throws(GSError) {
            client = try AgentClient(transport: transport, environment: environment)
        } catch {
            result.message = error.message + (error.hint.map { "\n    hint: \($0)" } ?? "")
            return result
        }
        defer { client.close() }
        // Whether the agent may be changing the host: a link lost then leaves it uncertain.
        var activating = false
        do throws(GSError) {
            onStep("connecting")
            let hello = try client.call("hello", ["protocol": .int(AgentWire.version), "owner": .string(owner)])
            guard hello["protocol"]?.intValue == AgentWire.version else {
                result.status = .refused
                result.message =
                    "\(transport.hostName): the agent speaks protocol \(hello["protocol"]?.intValue ?? 0), this gsctl \(AgentWire.version)"
                return result
            }
            if !dryRun {
                do throws(GSError) {
                    try client.call(
                        "lease", ["owner": .string(owner), "ttl": 60, "wait": .double(leaseWait)],
                        timeout: leaseWait + 30)
                } catch {
                    result.status = error.message.contains("is locked by") ? .refused : .unreachable
                    result.message = error.message + (error.hint.map { "\n    hint: \($0)" } ?? "")
                    return result
                }
            }
            CrashHook.point("controller.leased")
            onStep("checking what runs")
            let check = try client.call("check", ["manifest": .string(desired.manifestDigest)])
            let state = check["state"] ?? .null
            result.from = state["active"]?["name"]?.stringValue
            let drift = check["drift"]?.arrayValue ?? []
            if check["active"]?.boolValue == true, drift.isEmpty {
                result.status = .unchanged
                try startIfStopped(check, client: client, result: &result)
                return result
            }
            defer { result.bytesSent = client.bytesSent }
            // A new commit that changed nothing this host runs (only provenance: the commit,
            // the gsctl version, the spec digest) is not a new release: record the revision,
            // leave the workflow running.
            var running: Manifest?
            if drift.isEmpty, state["active"] != nil, let text = try client.call("manifest")["manifest"]?.stringValue {
                running = try? Manifest.decode(Array(text.utf8))
            }
            if let running, !dryRun, Self.sameContent(running, desired.manifest) {
                if let hostRevision = state["active"]?["revision"]?.stringValue, let target = desired.revision,
                    hostRevision != target, !allowOlder, isForward(hostRevision, target) == false
                {
                    result.status = .refused
                    result.message =
                        "\(transport.hostName) runs revision \(hostRevision.prefix(12)), which is not an ancestor of \(target.prefix(12)): refusing to move it back (a stale CI job?)"
                    return result
                }
                try client.call("revision", ["revision": .optional(desired.revision)])
                result.status = .unchanged
                result.to = result.from ?? result.to
                result.message = "same content as the running release; revision recorded"
                try startIfStopped(check, client: client, result: &result)
                return result
            }
            if let hostRevision = state["active"]?["revision"]?.stringValue, let target = desired.revision,
                hostRevision != target, !allowOlder, isForward(hostRevision, target) == false
            {
                result.status = .refused
                result.message =
                    "\(transport.hostName) runs revision \(hostRevision.prefix(12)), which is not an ancestor of \(target.prefix(12)): refusing to move it back (a stale CI job?)"
                return result
            }
            if let failed = state["failed"]?[desired.manifestDigest]?.stringValue, !allowOlder {
                result.message = "note: this release failed here before (\(failed)); trying again"
            }
            if dryRun {
                result.status = .pending
                return result
            }
            // The manifest and signature go first: the host refuses a bad signature before any file moves.
            let signatureDigest = desired.signatureBytes.map { SHA256.hex(of: $0) }
            try client.call(
                "put",
                ["sha256": .string(desired.manifestDigest), "offset": 0, "total": .int(desired.manifestBytes.count)],
                payload: desired.manifestBytes)
            if let signature = desired.signatureBytes, let signatureDigest {
                try client.call(
                    "put", ["sha256": .string(signatureDigest), "offset": 0, "total": .int(signature.count)],
                    payload: signature)
            }
            var prepareFields: [String: JSONValue] = ["manifest": .string(desired.manifestDigest)]
            if let signatureDigest { prepareFields["signature"] = .string(signatureDigest) }
            let prepared: JSONValue
            do throws(GSError) {
                prepared = try client.call("prepare", prepareFields)
            } catch {
                result.status = .refused
                result.message = error.message + (error.hint.map { "\n    hint: \($0)" } ?? "")
                return result
            }
            let missingBytes = (prepared["missing"]?.arrayValue ?? []).reduce(0) {
                $0 + ($1["size"]?.intValue ?? 0) - ($1["have"]?.intValue ?? 0)
            }
            CrashHook.point("controller.prepared")
            onStep("sending \((prepared["missing"]?.arrayValue ?? []).count) blob(s), \(missingBytes / 1_000_000) MB")
            for (index, entry) in (prepared["missing"]?.arrayValue ?? []).enumerated() {
                if index == 1 { CrashHook.point("controller.sending") }
                guard let digest = entry["sha256"]?.stringValue, let size = entry["size"]?.intValue else { continue }
                guard let blob = desired.store.blob(digest) else {
                    throw GSError(
                        "blob \(digest) of \(desired.manifest.id) is not in the build's store `\(desired.store.root)`")
                }
                try client.sendBlob(digest, path: blob.path, size: size, have: entry["have"]?.intValue ?? 0)
            }
            var activateFields = prepareFields
            activateFields["revision"] = .optional(desired.revision)
            activateFields["deployment"] = .string(desired.deployment)
            CrashHook.point("controller.sent")
            onStep("activating: verify, switch, health gates")
            activating = true
            let reply = try client.call("activate", activateFields, timeout: 300)
            activating = false
            CrashHook.point("controller.activated")
            let outcome = reply["outcome"] ?? .null
            result.checks = outcome["checks"] ?? .array([])
            if outcome["activated"]?.boolValue == true {
                result.status = drift.isEmpty || result.from != desired.releaseName ? .converged : .repaired
                if result.status == .repaired {
                    result.message = "restored " + drift.compactMap { $0["path"]?.stringValue }.joined(separator: ", ")
                }
                if result.status == .converged, let running {
                    let changed = Self.contentDifferences(running, desired.manifest)
                    if !changed.isEmpty { result.message = "changed: " + changed.joined(separator: ", ") }
                }
            } else if outcome["unchanged"]?.boolValue == true {
                result.status = .unchanged
            } else {
                result.status = .rolledBack
                result.message = outcome["reason"]?.stringValue
            }
        } catch {
            result.message = error.message + (error.hint.map { "\n    hint: \($0)" } ?? "")
            let linkLost = error.message.contains("timed out") || error.message.contains("closed")
            if result.status == .unreachable, !linkLost {
                result.status = .refused
            } else if result.status == .unreachable, activating {
                result.status = .interrupted
                result.message =
                    (result.message ?? "")
                    + "\n    the link died during activation: the host is on its previous release or on \(desired.releaseName), its workflow possibly stopped, until the next apply recovers it"
            }
        }
        return result
    }

    /// Whether two manifests run the same thing: same files, workflow, environments and
    /// precisions; provenance (source, gsctl version, build keys, model reports) aside.
    public static func sameContent(_ a: Manifest, _ b: Manifest) -> Bool { contentDifferences(a, b).isEmpty }

    /// The fields in which two manifests differ in what they run (JSON sections compared in
    /// canonical form: a decoded `1` and a built `1.0` are one value).
    static func contentDifferences(_ a: Manifest, _ b: Manifest) -> [String] {
        var fields: [String] = []
        if a.id != b.id { fields.append("id") }
        if a.workflow != b.workflow || a.device != b.device || a.precision != b.precision { fields.append("target") }
        if a.precisions != b.precisions { fields.append("precisions") }
        if a.files != b.files { fields.append("files") }
        if a.workflowGraph.canonical != b.workflowGraph.canonical { fields.append("workflowGraph") }
        if a.environments.canonical != b.environments.canonical { fields.append("environments") }
        return fields
    }
}
