import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `gsctl agent serve --root ROOT`: answers the controller's requests on standard input and
/// output until end of input (the controller closed, the link died). Every operation that
/// writes takes the lease first; the lease is renewed on each request and given back at the
/// end, and a crash leaves a lease that the next controller takes over (its holder is gone).
public final class AgentServer {
    public let layout: HostLayout
    let runner: any WorkflowRunner
    let streams = StandardStreams()
    var owner: String?
    var leaseSeconds = 60.0
    /// Bytes to send after the current reply's line (`fetch`).
    var pendingPayload: [UInt8]?

    public init(root: String, runner: any WorkflowRunner) {
        layout = HostLayout(root: root)
        self.runner = runner
    }

    /// Serves until end of input; returns the exit code.
    public func serve() -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        defer { if let owner { Lease.release(layout, owner: owner) } }
        while true {
            let line: [UInt8]
            do throws(GSError) {
                guard let next = try streams.readLine() else { return 0 }
                line = next
            } catch {
                streams.write(AgentWire.failure(error, step: "read"))
                return 1
            }
            if line.isEmpty { continue }
            var step: String? = nil
            do throws(GSError) {
                let request = try JSONParser.parse(line, what: "request")
                guard let op = request["op"]?.stringValue else { throw GSError("a request without `op`") }
                step = op
                if op == "bye" {
                    streams.write(AgentWire.success())
                    return 0
                }
                var reply = try handle(op, request)
                if let payload = pendingPayload {
                    // A reply that carries data says so; the bytes follow its line.
                    reply["payload"] = .int(payload.count)
                    streams.write(AgentWire.success(reply))
                    streams.write(payload)
                    pendingPayload = nil
                } else {
                    streams.write(AgentWire.success(reply))
                }
            } catch {
                // A payload the handler did not consume would be read as the next request.
                if let count = (try? JSONParser.parse(line, what: "request"))?["payload"]?.intValue, count > 0,
                    step != "put"
                {
                    try? streams.readPayload(count) { _ throws(GSError) in }
                }
                streams.write(AgentWire.failure(error, step: step))
            }
        }
    }

    func requireLease(for seconds: Double? = nil) throws(GSError) {
        guard let owner else { throw GSError("this operation needs the lease; send `lease` first") }
        try Lease.renew(layout, owner: owner, ttl: max(leaseSeconds, seconds ?? 0))
    }

    /// Activation and rollback run for minutes without a request (environments, gates):
    /// the lease covers that. Should this agent die meanwhile, its lease is taken over at
    /// once (its pid is gone) and the pending activation rolled back.
    static let activationLeaseSeconds = 900.0

    func handle(_ op: String, _ request: JSONValue) throws(GSError) -> [String: JSONValue] {
        if let owner, op != "lease" { try? Lease.renew(layout, owner: owner, ttl: leaseSeconds) }
        switch op {
        case "hello":
            try layout.prepare()
            let keys = try Activator.trustedKeys(layout).map(\.fingerprint)
            return [
                "protocol": .int(AgentWire.version), "version": .string(GSVersion.current),
                "hostname": .string(HostFacts.hostname()), "root": .string(layout.root), "trust": .strings(keys),
            ]
        case "lease":
            try layout.prepare()
            guard let who = request["owner"]?.stringValue, !who.isEmpty else { throw GSError("`lease` needs an owner") }
            leaseSeconds = request["ttl"]?.doubleValue ?? 60
            CrashHook.point("lease")
            _ = try Lease.acquire(layout, owner: who, ttl: leaseSeconds, wait: request["wait"]?.doubleValue ?? 0)
            owner = who
            let recovered = try Activator(layout: layout, runner: runner).recover(owner: who)
            try? BlobStore(root: layout.blobs).removeTemporaries()
            return ["recovered": .optional(recovered)]
        case "unlease":
            if let owner { Lease.release(layout, owner: owner) }
            owner = nil
            return [:]
        case "state":
            let state = try HostState.load(layout)
            return ["state": state.json, "current": .optional(layout.currentRelease())]
        case "check":
            return try check(request)
        case "missing":
            // Read-only: which of these blobs the host lacks and how much of each it holds.
            let receiver = try BlobReceiver(layout: layout)
            var missing: [JSONValue] = []
            for value in request["blobs"]?.arrayValue ?? [] {
                guard let digest = value.stringValue, let have = try receiver.received(digest) else { continue }
                missing.append(["sha256": .string(digest), "have": .int(have)])
            }
            return ["missing": .array(missing)]
        case "fetch":
            // A file of the active release that its manifest lists, as raw bytes: a build
            // machine with an empty cache takes compiled models back from the fleet instead
            // of compiling them again (it checks them against the signed manifest).
            guard let path = request["path"]?.stringValue, let current = layout.currentRelease() else {
                throw GSError("`fetch` needs a path and an active release")
            }
            let directory = layout.release(current)
            let manifest = try Manifest.decode(
                try FileSystem.read(FileSystem.join(directory, "manifest.json"), limit: 16 << 20))
            guard let file = manifest.file(at: path) else {
                throw GSError("`\(path)` is not a file of release \(current)")
            }
            let bytes = try FileSystem.read(FileSystem.join(directory, file.path), limit: AgentWire.payloadLimit)
            guard bytes.count == file.size, SHA256.hex(of: bytes) == file.sha256 else {
                throw GSError("`\(path)` of release \(current) differs from its manifest (drift); apply repairs it")
            }
            pendingPayload = bytes
            return ["size": .int(bytes.count)]
        case "manifest":
            // The active release's manifest bytes (for `gsctl diff`).
            guard let current = layout.currentRelease(),
                let bytes = try? FileSystem.read(
                    FileSystem.join(layout.release(current), "manifest.json"), limit: 16 << 20)
            else { return ["manifest": .null] }
            let signature = try? FileSystem.read(FileSystem.join(layout.release(current), "manifest.sig"), limit: 4096)
            return [
                "manifest": .string(String(decoding: bytes, as: UTF8.self)),
                "signature": .optional(signature.map { String(decoding: $0, as: UTF8.self) }),
            ]
        case "prepare":
            try requireLease()
            return try prepare(request)
        case "put":
            try requireLease()
            return try put(request)
        case "activate":
            try requireLease(for: Self.activationLeaseSeconds)
            guard let manifest = request["manifest"]?.stringValue else { throw GSError("`activate` needs `manifest`") }
            let activator = try Activator(layout: layout, runner: runner)
            let candidate = try activator.candidate(
                manifestDigest: manifest, signatureDigest: request["signature"]?.stringValue)
            let outcome = try activator.activate(
                candidate, revision: request["revision"]?.stringValue, deployment: request["deployment"]?.stringValue,
                owner: owner ?? "")
            return ["outcome": outcome.json]
        case "rollback":
            try requireLease(for: Self.activationLeaseSeconds)
            return try rollback(request)
        case "revision":
            // The controller found the running release identical in content to the new
            // revision's: record the revision (the stale-revision guard reads it), nothing else.
            try requireLease()
            var state = try HostState.load(layout)
            guard state.active != nil else { throw GSError("no active release to record a revision for") }
            state.active?.revision = request["revision"]?.stringValue
            try state.save(layout)
            return [:]
        case "retire":
            // No deployment targets this host any more (`apply --prune`): stop the workflow
            // and deactivate; the release stays on disk for `rollback`.
            try requireLease()
            var state = try HostState.load(layout)
            guard let active = state.active else { return ["retired": .null] }
            try runner.stop(layout)
            try CurrentLink.point(layout, to: nil)
            state.previous = active
            state.active = nil
            state.record(
                HistoryEntry(
                    time: unixNow(), action: .removed, release: active.name, revision: request["revision"]?.stringValue,
                    owner: owner, reason: "no deployment targets this host (apply --prune)"))
            try state.save(layout)
            return ["retired": .string(active.name)]
        case "status":
            return try status()
        case "start":
            // The active release is intact but its workflow is not running (the host rebooted,
            // or `gsctl agent stop`): start it and wait for its probes, as an activation would.
            try requireLease(for: Self.activationLeaseSeconds)
            guard layout.currentRelease() != nil else { throw GSError("no active release to start") }
            let wasRunning = runner.isRunning(layout)
            if !wasRunning { try runner.start(layout) }
            let problems = runner.waitHealthy(layout, timeout: request["timeout"]?.doubleValue ?? 60)
            return ["started": .bool(!wasRunning), "problems": .strings(problems)]
        case "bench":
            try requireLease(for: Self.activationLeaseSeconds)
            return try bench(request)
        case "logs":
            // Read-only: the last lines of a task's log (or the supervisor's), or what was
            // appended since the cursor a follower holds (`gsctl logs -f`).
            guard let name = request["name"]?.stringValue else {
                return ["names": .strings(LogTail.names(layout))]
            }
            let limit = min(max(request["limit"]?.intValue ?? 1 << 20, 1), 8 << 20)
            let chunk: LogTail.Chunk
            if let cursor = LogTail.Cursor(json: request["cursor"]) {
                chunk = try LogTail.since(layout, name: name, cursor: cursor, limit: limit)
            } else {
                chunk = try LogTail.last(
                    layout, name: name, lines: max(0, request["lines"]?.intValue ?? 50), limit: limit)
            }
            pendingPayload = chunk.bytes
            return ["cursor": chunk.cursor.json, "skipped": .int(chunk.skipped)]
        case "probe":
            return [
                "facts": HostFacts.json(root: layout.root),
                "runtimes": .object(HostFacts.runtimes().mapValues { .string($0) }),
            ]
        default:
            throw GSError(
                "unknown operation `\(op)`",
                hint: "the controller speaks a newer protocol; update the agent with `gsctl agent install`")
        }
    }

    /// Whether `manifest` is the active release and its files verify.
    func check(_ request: JSONValue) throws(GSError) -> [String: JSONValue] {
        let state = try HostState.load(layout)
        let current = layout.currentRelease()
        var drift: [JSONValue] = []
        var active = false
        if let record = state.active, let current, record.name == current {
            let manifestPath = FileSystem.join(layout.release(current), "manifest.json")
            if let bytes = try? FileSystem.read(manifestPath), let manifest = try? Manifest.decode(bytes) {
                drift = ReleaseFiles.drift(release: layout.release(current), manifest: manifest).map(\.json)
                if SHA256.hex(of: bytes) != record.manifestDigest {
                    drift.append([
                        "kind": "modified", "path": "manifest.json", "detail": "differs from the recorded release",
                    ])
                }
            } else {
                drift.append([
                    "kind": "missing", "path": "manifest.json", "detail": "the active release has no readable manifest",
                ])
            }
            active = record.manifestDigest == request["manifest"]?.stringValue
        }
        return [
            "active": .bool(active), "current": .optional(current), "drift": .array(drift), "state": state.json,
            "workflowRunning": .bool(runner.isRunning(layout)),
        ]
    }

    /// Checks the signature and manifest before any file is sent, then lists what to send.
    func prepare(_ request: JSONValue) throws(GSError) -> [String: JSONValue] {
        guard let digest = request["manifest"]?.stringValue else { throw GSError("`prepare` needs `manifest`") }
        CrashHook.point("receive")
        let receiver = try BlobReceiver(layout: layout)
        let activator = try Activator(layout: layout, runner: runner)
        guard let manifestBlob = receiver.store.blob(digest) else {
            throw GSError("manifest \(digest) is not on this host", hint: "send it with `put` first")
        }
        var signature: [UInt8]?
        if let signatureDigest = request["signature"]?.stringValue {
            guard let blob = receiver.store.blob(signatureDigest) else {
                throw GSError("signature \(signatureDigest) is not on this host")
            }
            signature = try FileSystem.read(blob.path, limit: 4096)
        }
        let candidate = try activator.candidate(
            manifestBytes: try FileSystem.read(manifestBlob.path), signatureBytes: signature, verifyBlobs: false)
        var missing: [JSONValue] = []
        var bytes = 0
        var seen: Set<String> = []
        for file in candidate.manifest.files where seen.insert(file.sha256).inserted {
            guard let have = try receiver.received(file.sha256) else { continue }
            missing.append(["sha256": .string(file.sha256), "size": .int(file.size), "have": .int(have)])
            bytes += file.size - have
        }
        // Room for the missing blobs plus one copy of the release, with 5% to spare.
        let needed = bytes + candidate.manifest.totalSize + candidate.manifest.totalSize / 20
        let free = receiver.freeBytes()
        if needed > free {
            throw GSError(
                "not enough disk space on the host: the release needs \(needed / 1_000_000) MB, \(free / 1_000_000) MB are free under `\(layout.root)`",
                hint: "free space on the device (old releases under releases/ can go), then apply again")
        }
        let state = try HostState.load(layout)
        return [
            "missing": .array(missing), "bytes": .int(bytes), "free": .int(free),
            "failedBefore": .optional(state.failed[digest]),
        ]
    }

    func put(_ request: JSONValue) throws(GSError) -> [String: JSONValue] {
        guard let digest = request["sha256"]?.stringValue, let offset = request["offset"]?.intValue,
            let total = request["total"]?.intValue, let count = request["payload"]?.intValue
        else { throw GSError("`put` needs sha256, offset, total and payload") }
        guard count <= AgentWire.payloadLimit else {
            throw GSError("a put carries at most \(AgentWire.payloadLimit) bytes")
        }
        let receiver = try BlobReceiver(layout: layout)
        let streams = self.streams
        let result = try receiver.put(digest, offset: offset, total: total, count: count) { sink throws(GSError) in
            try streams.readPayload(count, into: sink)
        }
        if result.complete { CrashHook.point("receive") }
        return ["have": .int(result.have), "complete": .bool(result.complete)]
    }

    func rollback(_ request: JSONValue) throws(GSError) -> [String: JSONValue] {
        let state = try HostState.load(layout)
        let wanted = request["to"]?.stringValue
        var target: String?
        if let wanted {
            // A release name, a manifest digest or a revision, newest first in history.
            if FileSystem.exists(layout.release(wanted)) { target = wanted }
            for entry in state.history.reversed() where target == nil && entry.action != .failed {
                if entry.revision == wanted || entry.release.hasSuffix(String(wanted.prefix(12))) {
                    target = entry.release
                }
            }
        } else {
            target = state.previous?.name
        }
        guard let target else {
            throw GSError(
                wanted.map { "no release matching `\($0)` on this host" }
                    ?? "this host has no previous release to roll back to",
                hint: "`gsctl history HOST` lists what the host ran")
        }
        let activator = try Activator(layout: layout, runner: runner)
        let candidate = try activator.candidate(release: target)
        let revision = state.history.reversed().first { $0.release == target && $0.revision != nil }?.revision
        let outcome = try activator.activate(
            candidate, revision: request["revision"]?.stringValue ?? revision,
            deployment: request["deployment"]?.stringValue ?? state.active?.deployment, owner: owner ?? "",
            action: .rolledBack)
        return ["outcome": outcome.json]
    }

    /// `gsctl device bench`: measures the active release's model variants again (the device's
    /// load changed) and, when another variant now wins, restarts the workflow on it. The
    /// switch is gated like an activation: a workflow that does not come up healthy on the
    /// new variants goes back to the ones it ran (`reverted` says why).
    func bench(_ request: JSONValue) throws(GSError) -> [String: JSONValue] {
        guard let current = layout.currentRelease() else { throw GSError("no active release to measure") }
        let directory = layout.release(current)
        let manifest = try Manifest.decode(
            try FileSystem.read(FileSystem.join(directory, "manifest.json"), limit: 16 << 20))
        var models = VariantBench.multiVariantModels(manifest)
        if let wanted = request["models"]?.arrayValue?.compactMap(\.stringValue), !wanted.isEmpty {
            models = models.filter(wanted.contains)
        }
        guard !models.isEmpty else {
            throw GSError(
                "release \(current) ships one variant per model: nothing to choose from",
                hint: "deploy with `precision: auto` so the bundle carries fp32, fp16 and int8 candidates")
        }
        let before = VariantBench.load(layout: layout, release: current)
        let measured = VariantBench.measure(models, release: current, entries: manifest.models, layout: layout)
        var tables = before.filter { table in !models.contains(table.model) }
        tables += measured
        try VariantBench.save(tables, layout: layout, release: current)
        let changed = VariantBench.choices(before) != VariantBench.choices(tables)
        var reverted: String?
        if changed {
            try runner.stop(layout)
            var problems: [String] = []
            do throws(GSError) { try runner.start(layout) } catch {
                problems.append("the workflow did not start: \(error.message)")
            }
            if problems.isEmpty { problems = runner.waitHealthy(layout, timeout: 60) }
            if !problems.isEmpty {
                reverted = problems.joined(separator: "; ")
                tables = before
                try VariantBench.save(before, layout: layout, release: current)
                try runner.stop(layout)
                try runner.start(layout)
            }
        }
        var state = try HostState.load(layout)
        var reason = measured.map { "\($0.model): \($0.chosen)" }.joined(separator: ", ")
        if let reverted { reason += "; not healthy on it, back on the variants it ran: \(reverted)" }
        state.record(
            HistoryEntry(
                time: unixNow(), action: .measured, release: current, revision: state.active?.revision, owner: owner,
                reason: reason))
        try state.save(layout)
        return [
            "release": .string(current), "models": .array(tables.map(\.json)),
            "restarted": .bool(changed && reverted == nil), "reverted": .optional(reverted),
        ]
    }

    func status() throws(GSError) -> [String: JSONValue] {
        var reply = try check(["manifest": .null])
        reply["facts"] = HostFacts.json(root: layout.root)
        reply["workflow"] = WorkflowStatus.json(layout)
        reply["lease"] = Lease.read(layout).map(\.json) ?? .null
        reply["models"] = .array(
            layout.currentRelease().map { VariantBench.load(layout: layout, release: $0).map(\.json) } ?? [])
        return reply
    }
}
