import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Files named by their SHA-256 under `<root>/sha256/<hex>`: the unit a deployer sends (a host
/// receives only the blobs it lacks) and the build's output before it is archived.
///
/// A blob is written under `<root>/tmp/`, hashed while written, fsynced, made read-only and
/// only then renamed into `sha256/`; so every name in `sha256/` holds exactly the bytes its
/// name says, and a crash leaves at most a stray file in `tmp/` (`removeTemporaries` clears
/// those). Writers never coordinate: two writers of one digest write the same bytes, and
/// whichever rename lands last replaces an identical file.
public struct BlobStore: Sendable {
    public let root: String

    /// Opens (creating when needed) a store at `root`.
    public init(root: String) throws(GSError) {
        self.root = root
        try FileSystem.makeDirectories(FileSystem.join(root, "sha256"))
        try FileSystem.makeDirectories(FileSystem.join(root, "tmp"))
    }

    /// A stored blob.
    public struct Blob: Hashable, Sendable {
        public var digest: String
        public var size: Int
        public var path: String
    }

    /// Where the blob with `digest` lives (whether or not it is there yet).
    public func path(for digest: String) throws(GSError) -> String {
        guard Hex.isLowercaseHex(digest, count: 64) else {
            throw GSError("`\(BundleError.clip(digest))` is not a sha256 digest (64 lowercase hex digits)")
        }
        return FileSystem.join(FileSystem.join(root, "sha256"), digest)
    }

    /// Whether the blob is present (a regular file; links do not count).
    public func has(_ digest: String) -> Bool {
        guard let path = try? path(for: digest) else { return false }
        return DiskOps.isFile(path)
    }

    /// The digests, of those given, this store lacks: what a deployer must send.
    public func missing(_ digests: some Sequence<String>) -> [String] {
        Set(digests).filter { !has($0) }.sorted()
    }

    /// The stored blob, or nil.
    public func blob(_ digest: String) -> Blob? {
        guard let path = try? path(for: digest) else { return nil }
        guard let found = DiskOps.entry(path), found.kind == .file else { return nil }
        return Blob(digest: digest, size: found.size, path: path)
    }

    /// Stores a copy of `file`. With `expecting`, the content must have that digest (checked
    /// while copying) and an already present blob is reused without reading the file.
    @discardableResult
    public func put(file: String, expecting: String? = nil) throws(GSError) -> Blob {
        if let expecting, let existing = blob(expecting) { return existing }
        let source = try ReadOnlyFile(path: file)
        let writer = try HashingFileWriter(creating: temporaryPath())
        do throws(GSError) {
            let buffer = ChunkBuffer()
            while true {
                let count = try source.read(into: buffer.raw)
                if count == 0 { break }
                try writer.write(buffer.prefix(count))
            }
            return try commit(writer, expecting: expecting, what: "`\(file)`")
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Stores `bytes`; with `expecting`, they must have that digest.
    @discardableResult
    public func put(bytes: [UInt8], expecting: String? = nil) throws(GSError) -> Blob {
        if let expecting, let existing = blob(expecting) { return existing }
        let writer = try HashingFileWriter(creating: temporaryPath())
        do throws(GSError) {
            try writer.write(bytes)
            return try commit(writer, expecting: expecting, what: "the data")
        } catch {
            writer.abandon()
            throw error
        }
    }

    /// Re-reads a blob and checks its digest; a corrupted blob is removed (so the next
    /// transfer replaces it) and reported.
    public func verify(_ digest: String) throws(GSError) {
        let path = try path(for: digest)
        guard has(digest) else { throw GSError("blob \(digest) is not in `\(root)`") }
        let actual = try SHA256.hex(ofFile: path)
        if actual != digest {
            unlink(path)
            throw GSError("blob `\(path)` was corrupted (its content has sha256 \(actual)); it was removed")
        }
    }

    /// Removes leftovers of writers that died (their process is gone).
    public func removeTemporaries() {
        let directory = FileSystem.join(root, "tmp")
        guard let entries = try? FileSystem.list(directory) else { return }
        for entry in entries {
            let pid = entry.name.split(separator: "-").first.flatMap { Int32($0) }
            if let pid, pid == getpid() || kill(pid, 0) == 0 { continue }
            unlink(FileSystem.join(directory, entry.name))
        }
    }

    private func temporaryPath() -> String {
        FileSystem.join(FileSystem.join(root, "tmp"), DiskOps.uniqueSuffix())
    }

    private func commit(_ writer: HashingFileWriter, expecting: String?, what: String) throws(GSError) -> Blob {
        let digest = try writer.finish(mode: 0o444)
        if let expecting, digest != expecting {
            throw GSError("\(what) has sha256 \(digest), expected \(expecting)")
        }
        let destination = try path(for: digest)
        guard rename(writer.path, destination) == 0 else {
            throw GSError("cannot store blob \(digest) in `\(root)`: \(FileSystem.errnoText())")
        }
        DiskOps.syncDirectory(FileSystem.directory(of: destination))
        return Blob(digest: digest, size: writer.count, path: destination)
    }
}
