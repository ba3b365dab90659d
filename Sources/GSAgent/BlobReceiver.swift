import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Receives blobs into the host's store, resumably: bytes append to
/// `blobs/partial/<digest>`, which survives a cut link, so the next transfer continues at
/// its size instead of starting over. A complete blob is hashed and only then renamed into
/// `blobs/sha256/`, read-only; a mismatch deletes it and says so.
public struct BlobReceiver: Sendable {
    public let layout: HostLayout
    public let store: BlobStore

    public init(layout: HostLayout) throws(GSError) {
        self.layout = layout
        store = try BlobStore(root: layout.blobs)
        try FileSystem.makeDirectories(layout.partial)
    }

    func partialPath(_ digest: String) throws(GSError) -> String {
        _ = try store.path(for: digest)
        return FileSystem.join(layout.partial, digest)
    }

    /// How many bytes of `digest` are already here (0 when none, nil when complete).
    public func received(_ digest: String) throws(GSError) -> Int? {
        if store.has(digest) { return nil }
        var info = stat()
        return lstat(try partialPath(digest), &info) == 0 ? Int(info.st_size) : 0
    }

    /// Appends `count` bytes at `offset` of blob `digest` of `total` bytes, reading them
    /// from `source`. Returns the bytes now held and whether the blob is complete.
    public func put(
        _ digest: String, offset: Int, total: Int, count: Int,
        source: ((ArraySlice<UInt8>) throws(GSError) -> Void) throws(GSError) -> Void
    ) throws(GSError) -> (have: Int, complete: Bool) {
        let path = try partialPath(digest)
        guard total >= 0, count >= 0, offset >= 0, offset + count <= total else {
            throw GSError("put of blob \(digest): offset \(offset) + \(count) bytes exceeds its size \(total)")
        }
        if store.has(digest) {
            try source { _ throws(GSError) in }  // drain: already complete
            return (total, true)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw GSError("cannot write `\(path)`: \(FileSystem.errnoText())") }
        defer { close(fd) }
        var info = stat()
        fstat(fd, &info)
        let have = Int(info.st_size)
        guard have == offset else {
            try source { _ throws(GSError) in }
            throw GSError(
                "put of blob \(digest) at offset \(offset), but this host holds \(have) bytes of it",
                hint: "the controller resumes at the offset `missing` reports")
        }
        lseek(fd, off_t(offset), SEEK_SET)
        try source { chunk throws(GSError) in
            var done = 0
            while done < chunk.count {
                let written = chunk.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
                if written < 0 {
                    if errno == EINTR { continue }
                    throw GSError("cannot write blob \(digest) on this host: \(FileSystem.errnoText())")
                }
                done += written
            }
        }
        guard fsync(fd) == 0 else { throw GSError("cannot sync blob \(digest): \(FileSystem.errnoText())") }
        let now = offset + count
        guard now == total else { return (now, false) }
        let actual = try SHA256.hex(ofFile: path)
        guard actual == digest else {
            unlink(path)
            throw GSError(
                "blob \(digest) arrived with sha256 \(actual): corrupted in transit or tampered; it was discarded")
        }
        chmod(path, 0o444)
        guard FileSystem.rename(path, to: try store.path(for: digest)) else {
            throw GSError("cannot store blob \(digest): \(FileSystem.errnoText())")
        }
        syncDirectory(FileSystem.join(layout.blobs, "sha256"))
        syncDirectory(layout.partial)
        return (total, true)
    }

    /// Free bytes on the file system holding the root.
    public func freeBytes() -> Int {
        var info = statvfs()
        guard statvfs(layout.root, &info) == 0 else { return .max }
        return Int(info.f_bavail) * Int(info.f_frsize)
    }
}
