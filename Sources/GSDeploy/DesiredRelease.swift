import GSBundle
import GSCore

/// What one host should run: a built bundle (its manifest, signature and the blob store
/// holding its files) and where it came from.
public struct DesiredRelease: Sendable {
    public var deployment: String
    public var manifest: Manifest
    public var manifestBytes: [UInt8]
    public var manifestDigest: String
    public var signatureBytes: [UInt8]?
    /// The store that holds every file of the bundle (the build's `Bundles/blobs`).
    public var store: BlobStore
    public var revision: String?

    public init(
        deployment: String, manifest: Manifest, manifestBytes: [UInt8], signatureBytes: [UInt8]?, store: BlobStore,
        revision: String?
    ) {
        self.deployment = deployment
        self.manifest = manifest
        self.manifestBytes = manifestBytes
        self.manifestDigest = SHA256.hex(of: manifestBytes)
        self.signatureBytes = signatureBytes
        self.store = store
        self.revision = revision
    }

    public var releaseName: String { "\(manifest.id)-\(manifestDigest.prefix(12))" }
}

/// How one host ended an apply.
public struct HostResult: Sendable {
    public enum Status: String, Sendable {
        /// Moved to the desired release, health gates passed.
        case converged
        /// Already there and intact.
        case unchanged
        /// Files had drifted and were restored.
        case repaired
        /// The new release failed its gates; the host is back on its previous release.
        case rolledBack = "rolled-back"
        /// Moved to the last release that passed on the rest of the fleet, not the desired
        /// one: that one failed (here or elsewhere) and the rollout halted before this host.
        case caughtUp = "caught-up"
        /// Refused before any change (signature, stale revision, disk space, lock held).
        case refused
        /// Could not be reached or the link died; nothing was activated.
        case unreachable
        /// The link to the agent died while it was activating (the agent was killed, or the
        /// call timed out): the host is on its previous release or the new one, its workflow
        /// possibly stopped, until the agent's recovery settles it at the next apply. A
        /// rollout counts it as a failure.
        case interrupted
        /// Not attempted (the rollout halted first, or dry run).
        case skipped
        /// Would change (dry run / diff).
        case pending
        /// No deployment targets it any more: workflow stopped, release deactivated (`--prune`).
        case removed
    }
    public var host: String
    public var deployment: String
    public var status: Status
    public var from: String?
    public var to: String
    public var bytesSent = 0
    public var seconds = 0.0
    public var message: String?
    public var checks: JSONValue = .array([])

    public var ok: Bool { [.converged, .unchanged, .repaired, .pending, .removed].contains(status) }

    public var json: JSONValue {
        [
            "host": .string(host), "deployment": .string(deployment), "status": .string(status.rawValue),
            "from": .optional(from), "to": .string(to), "bytesSent": .int(bytesSent),
            "seconds": .double((seconds * 100).rounded() / 100), "message": .optional(message), "checks": checks,
        ]
    }
}
