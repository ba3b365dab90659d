import CArchive
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A pax (restricted) tar stream with the zstd filter, written by libarchive to an open file.
///
/// Every header field that could vary between machines is fixed by the caller (mtime) or
/// here: uid/gid 0, no user or group names, no atime/ctime, no extended attributes. Nothing
/// is read from the disk's metadata, so the same entries always give the same bytes.
/// The packer writes regular files only; tests use the other kinds to build hostile archives.
final class ArchiveWriter {
    private let handle: OpaquePointer
    private let path: String
    private var closed = false

    /// What an entry's data comes from.
    enum Content {
        case bytes([UInt8])
        case file(String)
        case none
    }

    /// One entry to write; `size` must equal the data's length for `.file` and `.bytes`.
    struct Entry {
        var path: String
        var kind: ArchiveEntryKind = .file
        var permissions: UInt32 = 0o644
        var size: Int = 0
        var modificationTime: Int = 0
        var linkTarget: String?
        var content: Content = .none
    }

    /// Starts writing to `descriptor` (not closed here); `path` names it in errors.
    init(descriptor: Int32, path: String, compressionLevel: Int) throws(GSError) {
        guard let handle = archive_write_new() else { throw GSError("cannot allocate an archive writer") }
        self.handle = handle
        self.path = path
        try check(archive_write_set_format_pax_restricted(handle), "set the tar format")
        try check(archive_write_add_filter_zstd(handle), "add the zstd filter")
        try check(
            archive_write_set_filter_option(handle, "zstd", "compression-level", String(compressionLevel)),
            "set the zstd level")
        try check(archive_write_open_fd(handle, descriptor), "open")
    }

    deinit {
        if !closed { archive_write_close(handle) }
        archive_write_free(handle)
    }

    func add(_ entry: Entry) throws(GSError) {
        guard let header = archive_entry_new() else { throw GSError("cannot allocate an archive entry") }
        defer { archive_entry_free(header) }
        archive_entry_set_pathname(header, entry.path)
        archive_entry_set_filetype(header, entry.kind.fileType)
        archive_entry_set_perm(header, entry.permissions)
        archive_entry_set_size(header, Int64(entry.size))
        archive_entry_set_mtime(header, time_t(entry.modificationTime), 0)
        archive_entry_set_uid(header, 0)
        archive_entry_set_gid(header, 0)
        switch entry.kind {
        case .symlink: archive_entry_set_symlink(header, entry.linkTarget)
        case .hardlink: archive_entry_set_hardlink(header, entry.linkTarget)
        default: break
        }
        try check(archive_write_header(handle, header), "write the header of `\(entry.path)`")
        switch entry.content {
        case .none: break
        case .bytes(let bytes): try writeData(bytes, entry: entry.path)
        case .file(let source): try copy(source, entry: entry)
        }
        try check(archive_write_finish_entry(handle), "finish `\(entry.path)`")
    }

    /// Flushes the compressor and the last tar block; the archive is complete after this.
    func close() throws(GSError) {
        closed = true
        try check(archive_write_close(handle), "finish")
    }

    private func copy(_ source: String, entry: Entry) throws(GSError) {
        let file = try ReadOnlyFile(path: source)
        let buffer = ChunkBuffer()
        var total = 0
        while true {
            let count = try file.read(into: buffer.raw)
            if count == 0 { break }
            total += count
            guard total <= entry.size else { break }
            try writeData(buffer.prefix(count), entry: entry.path)
        }
        guard total == entry.size else {
            throw GSError("`\(source)` changed while it was packed (\(total) bytes, expected \(entry.size))")
        }
    }

    private func writeData(_ bytes: [UInt8], entry: String) throws(GSError) {
        try bytes.withBytes { (raw) throws(GSError) in try writeData(raw, entry: entry) }
    }

    private func writeData(_ bytes: UnsafeRawBufferPointer, entry: String) throws(GSError) {
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let written = archive_write_data(handle, base + offset, bytes.count - offset)
            guard written > 0 else {
                throw GSError("cannot write `\(entry)` into `\(path)`: \(errorText())")
            }
            offset += written
        }
    }

    private func check(_ result: Int32, _ step: String) throws(GSError) {
        guard result == ARCHIVE_OK else {
            throw GSError("cannot \(step) for archive `\(path)`: \(errorText())")
        }
    }

    private func errorText() -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "libarchive error"
    }
}
