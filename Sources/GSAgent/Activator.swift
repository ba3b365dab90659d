import GSBundle
import GSCore

/// Moves a host from its active release to another, in steps that each survive a crash:
/// verify (signature against the pinned keys before the manifest is parsed, then every
/// blob re-hashed) -> assemble the release directory -> record the pending switch -> stop
/// the old workflow -> switch `current` -> the golden inference gate (each model's golden
/// input through the runtime of the task that runs it) -> start the new workflow -> the
/// workflow's probes -> record. A failed gate switches back, restarts
/// the previous release and records why; a crash anywhere after `pending` is rolled back by
/// `recover` before the host's next operation.
public struct Activator: Sendable {
    public let layout: HostLayout
    public let store: BlobStore
    public let runner: any WorkflowRunner
    /// Seconds the workflow gets to become healthy.
    public var healthTimeout: Double = 60

    public init(layout: HostLayout, runner: any WorkflowRunner) throws(GSError) {
        self.layout = layout
        store = try BlobStore(root: layout.blobs)
        self.runner = runner
    }

    /// What an activation did.
    public struct Outcome: Sendable {
        public var activated: Bool
        public var unchanged: Bool
        public var release: String
        public var rolledBackTo: String?
        public var reason: String?
        public var checks: [GoldenGate.ModelCheck]
        public var repaired: [ReleaseFiles.Drift]

        public var json: JSONValue {
            [
                "activated": .bool(activated), "unchanged": .bool(unchanged), "release": .string(release),
                "rolledBackTo": .optional(rolledBackTo), "reason": .optional(reason),
                "checks": .array(checks.map(\.json)), "repaired": .array(repaired.map(\.json)),
            ]
        }
    }

    /// The signing keys this host accepts (`trust/*.pub`); empty means none pinned.
    public static func trustedKeys(_ layout: HostLayout) throws(GSError) -> [Ed25519PublicKey] {
        guard FileSystem.exists(layout.trust) else { return [] }
        var keys: [Ed25519PublicKey] = []
        for entry in try FileSystem.list(layout.trust) where entry.name.hasSuffix(".pub") {
            keys.append(try Ed25519PublicKey.load(path: FileSystem.join(layout.trust, entry.name)))
        }
        return keys
    }

    /// A release ready to switch to, read from blobs (a new bundle) or from its directory
    /// (a rollback to a release still on the host).
    public struct Candidate: Sendable {
        public var manifest: Manifest
        public var manifestBytes: [UInt8]
        public var manifestDigest: String
        public var signatureBytes: [UInt8]?
        public var name: String { HostLayout.releaseName(id: manifest.id, manifestDigest: manifestDigest) }
    }

    /// Verifies a bundle held as blobs: the signature over the manifest bytes against the
    /// pinned keys first, then the strict manifest, then every listed blob by re-hashing.
    public func candidate(manifestDigest: String, signatureDigest: String?) throws(GSError) -> Candidate {
        guard let manifestBlob = store.blob(manifestDigest) else {
            throw GSError("manifest \(manifestDigest) is not on this host", hint: "send it with `put` first")
        }
        let manifestBytes = try FileSystem.read(manifestBlob.path, limit: ExtractionLimits().maxManifestSize)
        guard SHA256.hex(of: manifestBytes) == manifestDigest else {
            try? store.verify(manifestDigest)
            throw GSError("blob \(manifestDigest) on this host was tampered with (its sha256 differs); it was removed")
        }
        var signatureBytes: [UInt8]?
        if let signatureDigest {
            guard let blob = store.blob(signatureDigest) else {
                throw GSError("signature blob \(signatureDigest) is not on this host")
            }
            signatureBytes = try FileSystem.read(blob.path, limit: 4096)
        }
        return try candidate(manifestBytes: manifestBytes, signatureBytes: signatureBytes, verifyBlobs: true)
    }

    func candidate(manifestBytes: [UInt8], signatureBytes: [UInt8]?, verifyBlobs: Bool) throws(GSError) -> Candidate {
        _ = try SignatureCheck.check(
            manifestBytes: manifestBytes, signatureBytes: signatureBytes, trustedKeys: try Self.trustedKeys(layout))
        let manifest = try Manifest.decode(manifestBytes)
        if verifyBlobs {
            for file in manifest.files {
                guard let blob = store.blob(file.sha256) else {
                    throw GSError(
                        "blob \(file.sha256) (`\(file.path)`) is not on this host", hint: "send the missing blobs first"
                    )
                }
                guard blob.size == file.size else {
                    throw GSError(
                        "blob \(file.sha256) (`\(file.path)`) has \(blob.size) bytes, the manifest says \(file.size)")
                }
                try store.verify(file.sha256)
            }
        }
        return Candidate(
            manifest: manifest, manifestBytes: manifestBytes, manifestDigest: SHA256.hex(of: manifestBytes),
            signatureBytes: signatureBytes)
    }

    /// A release directory already on the host (for rollback).
    public func candidate(release name: String) throws(GSError) -> Candidate {
        let directory = layout.release(name)
        let manifestPath = FileSystem.join(directory, "manifest.json")
        guard FileSystem.exists(manifestPath) else { throw GSError("release \(name) is no longer on this host") }
        let signaturePath = FileSystem.join(directory, "manifest.sig")
        return try candidate(
            manifestBytes: try FileSystem.read(manifestPath, limit: ExtractionLimits().maxManifestSize),
            signatureBytes: FileSystem.exists(signaturePath) ? try FileSystem.read(signaturePath, limit: 4096) : nil,
            verifyBlobs: false)
    }

    /// Activates `candidate`. `revision`, `deployment` and `owner` are recorded.
    public func activate(
        _ candidate: Candidate, revision: String?, deployment: String?, owner: String,
        action: HistoryEntry.Action = .activated
    ) throws(GSError) -> Outcome {
        var state = try HostState.load(layout)
        let name = candidate.name
        let record = ReleaseRecord(
            name: name, bundleID: candidate.manifest.id, manifestDigest: candidate.manifestDigest, revision: revision,
            buildKeys: candidate.manifest.buildKeys, deployment: deployment, activatedAt: unixNow())
        CrashHook.point("verify")
        // Already active and intact: nothing to do (a re-apply is a no-op).
        let drift =
            FileSystem.exists(layout.release(name))
            ? ReleaseFiles.drift(release: layout.release(name), manifest: candidate.manifest) : nil
        if state.active?.name == name, layout.currentRelease() == name, drift?.isEmpty == true {
            return Outcome(
                activated: false, unchanged: true, release: name, rolledBackTo: nil, reason: nil, checks: [],
                repaired: [])
        }
        CrashHook.point("assemble")
        if drift == nil || drift?.isEmpty == false {
            // Rollbacks read from the release dir: rebuild it from blobs only when those are here.
            if candidate.manifest.files.allSatisfy({ store.has($0.sha256) }) {
                try ReleaseFiles.assemble(
                    name, manifest: candidate.manifest, manifestBytes: candidate.manifestBytes,
                    signatureBytes: candidate.signatureBytes, layout: layout, store: store)
            } else if drift != nil {
                throw GSError(
                    "release \(name) differs from its manifest (\(drift!.map(\.path).joined(separator: ", "))) and its blobs are gone",
                    hint: "apply the release again so the controller sends its files")
            }
        }
        CrashHook.point("environment")
        do throws(GSError) {
            try RuntimeEnvironments.install(candidate.manifest, release: layout.release(name), layout: layout)
        } catch {
            // Nothing switched yet: the host stays on its release; record why.
            state.failed[candidate.manifestDigest] = error.message
            state.record(
                HistoryEntry(
                    time: unixNow(), action: .failed, release: name, revision: revision, owner: owner,
                    reason: error.message))
            try state.save(layout)
            return Outcome(
                activated: false, unchanged: false, release: name, rolledBackTo: state.active?.name,
                reason: error.message,
                checks: [], repaired: [])
        }
        // precision: auto: the device measures its candidates with the task's own runtime
        // before anything stops (the old release keeps serving meanwhile).
        let autoModels = VariantBench.autoModels(candidate.manifest)
        var measured: [VariantBench.Table] = []
        if !autoModels.isEmpty {
            measured = VariantBench.measure(
                autoModels, release: name, entries: candidate.manifest.models, layout: layout)
            try VariantBench.save(measured, layout: layout, release: name)
        }
        let from = state.active
        CrashHook.point("pending")
        state.pending = PendingActivation(target: record, from: from, startedAt: unixNow())
        try state.save(layout)
        CrashHook.point("stop")
        try runner.stop(layout)
        CrashHook.point("switch")
        try CurrentLink.point(layout, to: name)
        // The inference gate runs on a quiet device: the old workflow stopped, the new one
        // not started, so a latency budget is not judged against the services' own load.
        CrashHook.point("golden")
        let checks = GoldenGate.check(
            release: name, manifest: candidate.manifest, layout: layout, measured: measured)
        var problems = checks.compactMap(\.problem)
        CrashHook.point("start")
        if problems.isEmpty {
            do throws(GSError) { try runner.start(layout) } catch {
                problems.append("the workflow did not start: \(error.message)")
            }
        }
        CrashHook.point("health")
        if problems.isEmpty { problems += runner.waitHealthy(layout, timeout: healthTimeout) }
        if !problems.isEmpty {
            let reason = problems.joined(separator: "; ")
            try rollBack(to: from, state: &state, failed: record, reason: reason, owner: owner)
            return Outcome(
                activated: false, unchanged: false, release: name, rolledBackTo: from?.name, reason: reason,
                checks: checks,
                repaired: [])
        }
        CrashHook.point("record")
        if let from, from.name != name { state.previous = from }
        state.active = record
        state.pending = nil
        state.failed[candidate.manifestDigest] = nil
        state.record(
            HistoryEntry(
                time: unixNow(), action: drift?.isEmpty == false && from?.name == name ? .repaired : action,
                release: name,
                revision: revision, owner: owner,
                reason: drift?.isEmpty == false ? "repaired: \(drift!.map(\.path).joined(separator: ", "))" : nil))
        try state.save(layout)
        ReleaseCollector.collect(layout, protecting: Set([name, from?.name, state.previous?.name].compactMap { $0 }))
        return Outcome(
            activated: true, unchanged: false, release: name, rolledBackTo: nil, reason: nil, checks: checks,
            repaired: drift ?? [])
    }

    /// Puts `from` back: link, workflow, state. Records the failure of `failed`.
    func rollBack(to from: ReleaseRecord?, state: inout HostState, failed: ReleaseRecord, reason: String, owner: String)
        throws(GSError)
    {
        try? runner.stop(layout)
        try CurrentLink.point(layout, to: from?.name)
        // Killed here, the pending record still names `from`: the next call's `recover`
        // finishes the way back.
        CrashHook.point("rollback")
        if from != nil { try? runner.start(layout) }
        state.pending = nil
        state.active = from
        state.failed[failed.manifestDigest] = reason
        state.record(
            HistoryEntry(
                time: unixNow(), action: .failed, release: failed.name, revision: failed.revision, owner: owner,
                reason: reason))
        if let from {
            state.record(
                HistoryEntry(
                    time: unixNow(), action: .rolledBack, release: from.name, revision: from.revision, owner: owner,
                    reason: "health gates of \(failed.name) failed"))
        }
        try state.save(layout)
    }

    /// Finishes what a crash interrupted: with a pending activation recorded, the host goes
    /// back to the release it came from. Returns what it did, or nil when nothing was pending.
    public func recover(owner: String) throws(GSError) -> String? {
        var state = try HostState.load(layout)
        guard let pending = state.pending else { return nil }
        try? runner.stop(layout)
        try CurrentLink.point(layout, to: pending.from?.name)
        if pending.from != nil { try? runner.start(layout) }
        state.active = pending.from
        state.pending = nil
        state.record(
            HistoryEntry(
                time: unixNow(), action: .interrupted, release: pending.target.name, revision: pending.target.revision,
                owner: owner, reason: "the activation was interrupted; back on \(pending.from?.name ?? "no release")"))
        try state.save(layout)
        return
            "an interrupted activation of \(pending.target.name) was rolled back to \(pending.from?.name ?? "no release")"
    }
}
