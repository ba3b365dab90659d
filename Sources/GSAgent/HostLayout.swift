import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Where everything lives under a host's root directory. One place names the paths so the
/// agent, the supervisor, `gsctl status` and the tests agree on them.
///
/// ```
/// ROOT/blobs/sha256/<hex>     content-addressed blobs (read-only), blobs/partial/ resumable uploads
/// ROOT/releases/<id>-<12hex>/ one directory per release: manifest.json, manifest.sig, files
/// ROOT/current -> releases/…  the active release; switched only by renaming a new link over it
/// ROOT/state.json             active, previous, pending activation, history, last apply
/// ROOT/lease.json             the lock: owner, agent pid, expiry (a dead holder never wedges a host)
/// ROOT/trust/*.pub            signing keys this host accepts (pinned by `gsctl agent install --trust`)
/// ROOT/bin/gsctl              the agent binary
/// ROOT/variants/<release>.json  what `precision: auto` measured on this host and chose
/// ROOT/run/ ROOT/logs/ ROOT/data/   supervisor state, task logs, task data
/// ```
public struct HostLayout: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var blobs: String { FileSystem.join(root, "blobs") }
    public var partial: String { FileSystem.join(blobs, "partial") }
    public var releases: String { FileSystem.join(root, "releases") }
    public var current: String { FileSystem.join(root, "current") }
    public var state: String { FileSystem.join(root, "state.json") }
    public var lease: String { FileSystem.join(root, "lease.json") }
    public var trust: String { FileSystem.join(root, "trust") }
    public var bin: String { FileSystem.join(root, "bin") }
    public var run: String { FileSystem.join(root, "run") }
    public var logs: String { FileSystem.join(root, "logs") }
    public var variants: String { FileSystem.join(root, "variants") }

    /// The variant table of one release (VariantBench).
    public func variantsFile(release name: String) -> String { FileSystem.join(variants, name + ".json") }

    public func release(_ name: String) -> String { FileSystem.join(releases, name) }

    /// A release directory's name: the bundle id and the first 12 hex of its manifest digest.
    public static func releaseName(id: String, manifestDigest: String) -> String {
        "\(id)-\(manifestDigest.prefix(12))"
    }

    /// Creates the directories the agent writes into.
    public func prepare() throws(GSError) {
        for directory in [root, blobs, partial, releases, trust, run, logs] {
            try FileSystem.makeDirectories(directory)
        }
    }

    /// The release `current` points to (its directory name), or nil when none is active.
    public func currentRelease() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(current, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return FileSystem.basename(target)
    }
}
