import CArchive
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Reads a `.tar.zst` entry by entry through libarchive, with only the tar formats and the
/// zstd filter enabled (a bundle is nothing else, and fewer parsers means less to attack).
///
/// Headers are reported as they are, never interpreted: the callers decide what is allowed.
/// libarchive warnings count as errors: a bundle gsctl wrote never causes one.
final class ArchiveReader {
    private let handle: OpaquePointer
    let path: String
    private var descriptor: Int32

    /// An entry's header, copied out of libarchive (its entry object is reused per call).
    struct Header {
        /// The raw name bytes, decoded as UTF-8 (invalid bytes show as U+FFFD, which no
        /// bundle path allows).
        var path: String
        var kind: ArchiveEntryKind
        var permissions: UInt32
        /// nil when the header does not say (pax can leave it out).
        var size: Int?
        var modificationTime: Int
        var uid: Int
        var gid: Int
        var userName: String?
        var groupName: String?
        var linkTarget: String?
    }

    init(path: String) throws(GSError) {
        guard let handle = archive_read_new() else { throw GSError("cannot allocate an archive reader") }
        self.handle = handle
        self.path = path
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw GSError("cannot open `\(path)`: \(FileSystem.errnoText())") }
        archive_read_support_filter_zstd(handle)
        archive_read_support_format_tar(handle)
        guard archive_read_open_fd(handle, descriptor, 1 << 16) == ARCHIVE_OK else {
            throw GSError("`\(path)` is not a tar.zst archive: \(errorText())")
        }
    }

    deinit {
        archive_read_free(handle)
        if descriptor >= 0 { close(descriptor) }
    }

    /// The next entry's header, or nil at the end of the archive.
    func next() throws(GSError) -> Header? {
        var entry: OpaquePointer?
        let result = archive_read_next_header(handle, &entry)
        if result == ARCHIVE_EOF { return nil }
        guard result == ARCHIVE_OK, let entry else {
            throw GSError("`\(path)` is damaged: \(errorText())")
        }
        let hardlink = archive_entry_hardlink(entry).map { String(cString: $0) }
        let symlink = archive_entry_symlink(entry).map { String(cString: $0) }
        let name = archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        return Header(
            path: name,
            kind: ArchiveEntryKind(fileType: UInt32(archive_entry_filetype(entry)), isHardlink: hardlink != nil),
            permissions: UInt32(archive_entry_perm(entry)),
            size: archive_entry_size_is_set(entry) != 0 ? Int(archive_entry_size(entry)) : nil,
            modificationTime: Int(archive_entry_mtime(entry)),
            uid: Int(archive_entry_uid(entry)),
            gid: Int(archive_entry_gid(entry)),
            userName: archive_entry_uname(entry).map { String(cString: $0) },
            groupName: archive_entry_gname(entry).map { String(cString: $0) },
            linkTarget: hardlink ?? symlink)
    }

    /// Reads the current entry's next bytes into `buffer`; 0 at the entry's end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(GSError) -> Int {
        let count = archive_read_data(handle, buffer.baseAddress, buffer.count)
        guard count >= 0 else { throw GSError("`\(path)` is damaged: \(errorText())") }
        return count
    }

    /// The current entry's data, refusing more than `limit` bytes.
    func readAll(limit: Int, entry: String) throws(GSError) -> [UInt8] {
        var out: [UInt8] = []
        let chunk = ChunkBuffer(size: 65536)
        while true {
            let count = try read(into: chunk.raw)
            if count == 0 { return out }
            out.append(contentsOf: chunk.prefix(count))
            if out.count > limit { throw BundleError.entryTooLarge(entry, limit: limit) }
        }
    }

    private func errorText() -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "libarchive error"
    }
}
