import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A new file written in chunks and hashed as it goes, made durable by `finish` (fchmod,
/// fsync) or removed by `abandon`.
///
/// The blob store and the extractor write through it, so a digest is always taken over the
/// bytes that reached the disk, never over a second read. Created with `O_EXCL | O_NOFOLLOW`:
/// it never truncates or follows anything that was already there.
final class HashingFileWriter {
    let path: String
    private var descriptor: Int32
    /// nil when not hashing, and after `finish` consumed it.
    private var hasher: SHA256?
    private(set) var count = 0

    /// With `hashing` false the caller hashes the stream itself (the archive scanner does)
    /// and `finish` returns an empty digest.
    init(creating path: String, hashing: Bool = true) throws(GSError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw GSError("cannot create `\(path)`: \(FileSystem.errnoText())") }
        do throws(GSError) {
            hasher = hashing ? try SHA256() : nil
        } catch {
            close(fd)
            unlink(path)
            throw error
        }
        self.path = path
        descriptor = fd
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(GSError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        hasher?.update(bytes)
        var written = 0
        while written < bytes.count {
            let result = Glibc.write(descriptor, base + written, bytes.count - written)
            if result < 0 {
                if errno == EINTR { continue }
                throw GSError("cannot write `\(path)`: \(FileSystem.errnoText())")
            }
            written += result
        }
        count += bytes.count
    }

    func write(_ bytes: [UInt8]) throws(GSError) {
        try bytes.withBytes { (raw) throws(GSError) in try write(raw) }
    }

    /// Sets the mode, flushes to disk, closes; returns the SHA-256 of everything written.
    func finish(mode: mode_t) throws(GSError) -> String {
        guard fchmod(descriptor, mode) == 0, fsync(descriptor) == 0 else {
            throw GSError("cannot write `\(path)`: \(FileSystem.errnoText())")
        }
        close(descriptor)
        descriptor = -1
        return hasher.take()?.finalize() ?? ""
    }

    /// Closes and deletes the file: used on every error path.
    func abandon() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(path)
    }
}

/// File-system steps shared by the blob store, the packer and the extractor.
enum DiskOps {
    /// fsync of a directory, so a rename in it survives a crash.
    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// A name no other writer (thread or process) will pick: pid plus 64 random bits.
    static func uniqueSuffix() -> String {
        "\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }

    /// Removes a tree this process created (never follows links: `lstat` and `unlink`).
    static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if info.st_mode & S_IFMT == S_IFDIR {
            if let entries = try? FileSystem.list(path) {
                for entry in entries { removeTree(FileSystem.join(path, entry.name)) }
            }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// What `lstat` says: unlike `FileSystem.kind`, a link is reported as a link, never
    /// followed. nil when nothing is there.
    static func entry(_ path: String) -> (kind: ArchiveEntryKind, size: Int, permissions: UInt32)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (
            ArchiveEntryKind(fileType: UInt32(info.st_mode), isHardlink: false), Int(info.st_size),
            UInt32(info.st_mode & 0o7777)
        )
    }

    static func exists(_ path: String) -> Bool { entry(path) != nil }

    static func isFile(_ path: String) -> Bool { entry(path)?.kind == .file }
}
