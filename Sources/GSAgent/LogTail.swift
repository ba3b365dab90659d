import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Reads a host's logs for `gsctl logs`: the last lines of a task's log (or the supervisor's),
/// and, for `--follow`, what was appended since a cursor, across the supervisor's rotation.
///
/// Rotation (`Supervisor.LogRotation`) either renames `<task>.log` to `.1` or, while the task
/// holds it open, copies it to `.1` and truncates it in place. Either way the bytes after a
/// cursor continue in `.1` at the same offset, so following picks them up there and then
/// reads the new file from its start: nothing is shown twice, and nothing is lost unless the
/// log rotated twice between two reads.
public enum LogTail {
    /// Where a follower stopped: the log file (its inode), the bytes read from it, and which
    /// `.1` was there then (its inode, 0 for none). A rotation always makes a new `.1`, so a
    /// changed one says the log rotated even when the file kept its inode and has grown
    /// past the cursor again since (copy-and-truncate under a chatty task).
    public struct Cursor: Equatable, Sendable {
        public var inode: UInt64
        public var offset: Int
        public var rotated: UInt64

        public init(inode: UInt64, offset: Int, rotated: UInt64 = 0) {
            self.inode = inode
            self.offset = offset
            self.rotated = rotated
        }

        public var json: JSONValue {
            ["inode": .string(String(inode)), "offset": .int(offset), "rotated": .string(String(rotated))]
        }

        public init?(json: JSONValue?) {
            guard let json, let inode = json["inode"]?.stringValue.flatMap({ UInt64($0) }),
                let offset = json["offset"]?.intValue, offset >= 0
            else { return nil }
            self.init(
                inode: inode, offset: offset, rotated: json["rotated"]?.stringValue.flatMap { UInt64($0) } ?? 0)
        }
    }

    public struct Chunk: Sendable {
        public var bytes: [UInt8]
        public var cursor: Cursor
        /// Bytes that went by unread: more was appended than one read returns, or the log
        /// rotated more than once since the cursor.
        public var skipped: Int
    }

    /// The supervisor's own log goes by this name.
    public static let supervisor = "supervisor"

    /// The logs this host has: its tasks' (current release or earlier ones) and the
    /// supervisor's, sorted.
    public static func names(_ layout: HostLayout) -> [String] {
        let entries = (try? FileSystem.list(layout.logs)) ?? []
        return entries.filter { $0.kind == .file && $0.name.hasSuffix(".log") && !$0.name.hasPrefix(".") }
            .map { String($0.name.dropLast(4)) }.sorted()
    }

    /// The path of log `name`; an error that lists the logs there when it has none (a name
    /// is only ever looked up among the files, never joined into a path unchecked).
    public static func path(_ layout: HostLayout, name: String) throws(GSError) -> String {
        let known = names(layout)
        guard known.contains(name) else {
            throw GSError(
                "no log named `\(name)` on this host",
                hint: known.isEmpty
                    ? "nothing has run here yet: `gsctl apply` deploys a workflow"
                    : "logs here: \(known.joined(separator: ", "))")
        }
        return FileSystem.join(layout.logs, name + ".log")
    }

    /// The last `lines` lines of log `name` (from `.1` too when the current file has fewer),
    /// at most `limit` bytes, and the cursor at its end.
    public static func last(_ layout: HostLayout, name: String, lines: Int, limit: Int = 1 << 20) throws(GSError)
        -> Chunk
    {
        let path = try path(layout, name: name)
        guard let info = identity(path) else { throw GSError("cannot read `\(path)`: \(FileSystem.errnoText())") }
        var bytes = tail(path, from: 0, size: info.size, lines: lines, limit: limit)
        // Lines found; a last line still being written counts as one.
        let found =
            bytes.count(where: { $0 == UInt8(ascii: "\n") })
            + (bytes.last.map { $0 == UInt8(ascii: "\n") ? 0 : 1 } ?? 0)
        if found < lines, bytes.count < limit, let older = identity(path + ".1") {
            let earlier = tail(
                path + ".1", from: 0, size: older.size, lines: lines - found, limit: limit - bytes.count)
            bytes = earlier + bytes
        }
        return Chunk(
            bytes: bytes, cursor: Cursor(inode: info.inode, offset: info.size, rotated: rotatedInode(path)),
            skipped: 0)
    }

    /// What was appended to log `name` after `cursor`, at most `limit` bytes.
    public static func since(_ layout: HostLayout, name: String, cursor: Cursor, limit: Int = 1 << 20)
        throws(GSError) -> Chunk
    {
        let path = try path(layout, name: name)
        guard let info = identity(path) else { throw GSError("cannot read `\(path)`: \(FileSystem.errnoText())") }
        let older = identity(path + ".1")
        if info.inode == cursor.inode, info.size >= cursor.offset, (older?.inode ?? 0) == cursor.rotated {
            let end = min(info.size, cursor.offset + limit)
            let bytes = read(path, from: cursor.offset, to: end)
            return Chunk(
                bytes: bytes,
                cursor: Cursor(inode: info.inode, offset: cursor.offset + bytes.count, rotated: cursor.rotated),
                skipped: info.size - end)
        }
        // Rotated since: the rest of what the cursor was reading is in `.1` at the same offset.
        var bytes: [UInt8] = []
        var skipped = 0
        if let older, older.size >= cursor.offset {
            let end = min(older.size, cursor.offset + limit)
            bytes = read(path + ".1", from: cursor.offset, to: end)
            skipped += older.size - end
        } else {
            skipped += 1  // rotated twice or removed: how much is unknown, only that some went
        }
        let end = min(info.size, max(0, limit - bytes.count))
        let fresh = read(path, from: 0, to: end)
        skipped += info.size - end
        return Chunk(
            bytes: bytes + fresh, cursor: Cursor(inode: info.inode, offset: fresh.count, rotated: older?.inode ?? 0),
            skipped: skipped)
    }

    // MARK: files

    /// The inode of `path.1`, 0 when there is none.
    static func rotatedInode(_ path: String) -> UInt64 { identity(path + ".1")?.inode ?? 0 }

    static func identity(_ path: String) -> (inode: UInt64, size: Int)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (UInt64(info.st_ino), Int(info.st_size))
    }

    /// The last `lines` lines of the bytes before `size`, reading back at most `limit` bytes.
    static func tail(_ path: String, from start: Int, size: Int, lines: Int, limit: Int) -> [UInt8] {
        guard lines > 0, limit > 0 else { return [] }
        let bytes = read(path, from: max(start, size - limit), to: size)
        // A final line without its newline counts as a line too.
        var wanted = bytes.last == UInt8(ascii: "\n") ? lines + 1 : lines
        var index = bytes.endIndex
        while index > bytes.startIndex {
            if bytes[index - 1] == UInt8(ascii: "\n") {
                wanted -= 1
                if wanted == 0 { break }
            }
            index -= 1
        }
        return Array(bytes[index...])
    }

    /// Bytes `[from, to)` of a file; fewer when it is shorter.
    static func read(_ path: String, from: Int, to: Int) -> [UInt8] {
        guard to > from else { return [] }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: to - from)
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { raw in
                pread(fd, raw.baseAddress! + filled, raw.count - filled, off_t(from + filled))
            }
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            filled += count
        }
        return Array(bytes[0..<filled])
    }
}
