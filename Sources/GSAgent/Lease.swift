import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The host's lock, as a lease: who holds it (the controller's owner string and the agent
/// process serving it) and until when. A holder that died (its agent process is gone) or
/// let it expire loses it, so a killed controller or a cut link never wedges a host.
///
/// Taken by `link(2)` of a fully written temporary file onto `lease.json` (atomic: fails
/// with EEXIST when held); a stale lease is replaced by `rename(2)` and re-read to confirm
/// that this taker won.
public struct Lease: Hashable, Sendable {
    public var owner: String
    public var pid: Int32
    public var expires: Double

    public init(owner: String, pid: Int32, expires: Double) {
        self.owner = owner
        self.pid = pid
        self.expires = expires
    }

    public var json: JSONValue {
        ["owner": .string(owner), "pid": .int(Int(pid)), "expires": .double(expires)]
    }

    /// Whether the holder can no longer use it: expired, or its agent process is gone.
    public var isStale: Bool {
        expires < unixNow() || (kill(pid, 0) != 0 && errno == ESRCH)
    }

    public static func read(_ layout: HostLayout) -> Lease? {
        guard let bytes = try? FileSystem.read(layout.lease, limit: 1 << 16),
            let value = try? JSONParser.parse(bytes, what: "lease.json"),
            let owner = value["owner"]?.stringValue, let pid = value["pid"]?.intValue,
            let expires = value["expires"]?.doubleValue
        else { return nil }
        return Lease(owner: owner, pid: Int32(truncatingIfNeeded: pid), expires: expires)
    }

    /// Takes the lease for `owner` for `ttl` seconds, waiting up to `wait` seconds for a live
    /// holder to let go. Throws naming the holder and its expiry when it stays held.
    public static func acquire(_ layout: HostLayout, owner: String, ttl: Double, wait: Double) throws(GSError) -> Lease
    {
        let deadline = unixNow() + wait
        let mine = Lease(owner: owner, pid: getpid(), expires: unixNow() + ttl)
        while true {
            let temporary = layout.lease + ".tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try FileSystem.writeAtomically(mine.json.canonical, to: temporary)
            defer { unlink(temporary) }
            if link(temporary, layout.lease) == 0 {
                syncDirectory(layout.root)
                return mine
            }
            guard errno == EEXIST else {
                throw GSError("cannot take the lease `\(layout.lease)`: \(FileSystem.errnoText())")
            }
            let holder = read(layout)
            if let holder, holder.pid == getpid(), holder.owner == owner {
                return try renew(layout, owner: owner, ttl: ttl)
            }
            if holder == nil || holder!.isStale {
                // Replace the stale lease; whoever renamed last owns it, so re-read.
                _ = FileSystem.rename(temporary, to: layout.lease)
                syncDirectory(layout.root)
                if let now = read(layout), now.owner == owner, now.pid == getpid() { return mine }
                continue
            }
            if unixNow() >= deadline, let holder {
                let left = Int((holder.expires - unixNow()).rounded(.up))
                throw GSError(
                    "the host is locked by `\(holder.owner)` (agent pid \(holder.pid), lease expires in \(left) s)",
                    hint: "another apply is running; wait for it, or pass --wait SECONDS to queue behind it")
            }
            usleep(200_000)
        }
    }

    /// Extends the lease this agent holds.
    @discardableResult
    public static func renew(_ layout: HostLayout, owner: String, ttl: Double) throws(GSError) -> Lease {
        guard let holder = read(layout), holder.owner == owner, holder.pid == getpid() else {
            throw GSError(
                "the lease on `\(layout.root)` is no longer held by `\(owner)` (it expired and was taken over)")
        }
        let renewed = Lease(owner: owner, pid: getpid(), expires: unixNow() + ttl)
        try FileSystem.writeAtomically(renewed.json.canonical, to: layout.lease)
        return renewed
    }

    /// Gives the lease back when this agent still holds it.
    public static func release(_ layout: HostLayout, owner: String) {
        guard let holder = read(layout), holder.owner == owner, holder.pid == getpid() else { return }
        unlink(layout.lease)
        syncDirectory(layout.root)
    }
}

/// fsync of a directory, so a rename or link in it survives a power cut.
public func syncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd >= 0 {
        fsync(fd)
        close(fd)
    }
}
