#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file opened for reading; closed when the value goes away.
public struct ReadOnlyFile: ~Copyable {
    public let path: String
    private let descriptor: Int32

    public init(path: String) throws(GSError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GSError("cannot open `\(path)`: \(FileSystem.errnoText())") }
        descriptor = fd
    }

    deinit { close(descriptor) }

    /// Reads up to `buffer.count` bytes; 0 means end of file.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(GSError) -> Int {
        while true {
            let count = Glibc.read(descriptor, buffer.baseAddress, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw GSError("cannot read `\(path)`: \(FileSystem.errnoText())")
        }
    }

    /// Reads into `buffer[offset...]`; 0 means end of file.
    public func read(into buffer: inout [UInt8], at offset: Int = 0) throws(GSError) -> Int {
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                Glibc.read(descriptor, raw.baseAddress! + offset, raw.count - offset)
            }
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw GSError("cannot read `\(path)`: \(FileSystem.errnoText())")
        }
    }

    /// Size in bytes from fstat.
    public func size() throws(GSError) -> Int {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw GSError("cannot stat `\(path)`: \(FileSystem.errnoText())")
        }
        return Int(info.st_size)
    }
}

/// The few file-system operations gsctl needs, on plain POSIX calls (fast and predictable
/// on Linux, where Foundation's FileManager goes through NSString).
public enum FileSystem {
    public enum Kind: Sendable { case file, directory, other, missing }

    public static func errnoText(_ code: Int32 = errno) -> String {
        String(cString: strerror(code))
    }

    public static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .file
        case S_IFDIR: return .directory
        default: return .other
        }
    }

    public static func exists(_ path: String) -> Bool { kind(of: path) != .missing }

    /// Whether two paths name the same file or folder (same device and inode), however they
    /// are spelled: `data`, `./data/` and a symlink to it are one. False when either is missing.
    public static func same(_ a: String, _ b: String) -> Bool {
        var first = stat()
        var second = stat()
        guard stat(a, &first) == 0, stat(b, &second) == 0 else { return false }
        return first.st_dev == second.st_dev && first.st_ino == second.st_ino
    }

    /// Whole file as bytes. Refuses files above `limit` bytes without reading them.
    public static func read(_ path: String, limit: Int = .max) throws(GSError) -> [UInt8] {
        let file = try ReadOnlyFile(path: path)
        let size = try file.size()
        if size > limit {
            throw GSError(
                "`\(path)` is \(size) bytes, over the \(limit)-byte limit",
                hint: "split it into smaller files")
        }
        var bytes = [UInt8](repeating: 0, count: size)
        var filled = 0
        while filled < size {
            let count = try file.read(into: &bytes, at: filled)
            if count == 0 { break }
            filled += count
        }
        if filled < size { bytes.removeLast(size - filled) }
        // A file that grew while we read it (or a pipe) keeps going until end of file.
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = try file.read(into: &chunk)
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit {
                throw GSError("`\(path)` is over the \(limit)-byte limit", hint: "split it into smaller files")
            }
        }
        return bytes
    }

    /// Everything on standard input (for `-` arguments).
    public static func readStandardInput(limit: Int = .max) throws(GSError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw GSError("cannot read standard input: \(errnoText())")
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > limit { throw GSError("standard input is over the \(limit)-byte limit") }
        }
    }

    /// Names in a directory (not `.`/`..`), sorted by bytes so walks are deterministic.
    public static func list(_ directory: String) throws(GSError) -> [(name: String, kind: Kind)] {
        guard let handle = opendir(directory) else {
            throw GSError("cannot read directory `\(directory)`: \(errnoText())")
        }
        defer { closedir(handle) }
        var entries: [(name: String, kind: Kind)] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let kind: Kind
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK), Int32(DT_UNKNOWN):
                // Links are followed to files but never into directories (no loops).
                let resolved = self.kind(of: join(directory, name))
                kind = resolved == .directory ? .other : resolved
            default: kind = .other
            }
            entries.append((name, kind))
        }
        entries.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return entries
    }

    public static func join(_ directory: String, _ name: String) -> String {
        if directory.isEmpty || directory == "." { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The directory part of a path ("." for a bare name).
    public static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == path.utf8.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `path` relative to `directory` when it is not absolute, normalised lexically.
    public static func resolve(_ path: String, relativeTo directory: String) -> String {
        normalize(path.hasPrefix("/") ? path : join(directory, path))
    }

    /// Removes `.` and `name/..` segments without touching the disk.
    public static func normalize(_ path: String) -> String {
        let absolute = path.hasPrefix("/")
        var parts: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == "..", let last = parts.last, last != ".." {
                parts.removeLast()
                continue
            }
            if part == "..", absolute { continue }
            parts.append(part)
        }
        let joined = parts.joined(separator: "/")
        if absolute { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    public static func currentDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return "." }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Creates a directory and its parents; existing ones are fine.
    public static func makeDirectories(_ path: String) throws(GSError) {
        if kind(of: path) == .directory { return }
        let parent = directory(of: path)
        if parent != path, parent != ".", parent != "/" { try makeDirectories(parent) }
        if mkdir(path, 0o755) != 0, errno != EEXIST {
            throw GSError("cannot create directory `\(path)`: \(errnoText())")
        }
    }

    /// Writes a file so that readers see either the old content or the new, never half:
    /// a temporary name in the same directory, fsync, rename, fsync of the directory.
    public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644)
        throws(GSError)
    {
        let directory = directory(of: path)
        let temporary = join(directory, ".\(basename(path)).tmp-\(getpid())")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw GSError("cannot write `\(path)`: \(errnoText())") }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { raw in
                write(fd, raw.baseAddress! + written, raw.count - written)
            }
            if count < 0 {
                if errno == EINTR { continue }
                let reason = errnoText()
                close(fd)
                unlink(temporary)
                throw GSError("cannot write `\(path)`: \(reason)")
            }
            written += count
        }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced, Glibc.rename(temporary, path) == 0 else {
            let reason = errnoText()
            unlink(temporary)
            throw GSError("cannot write `\(path)`: \(reason)")
        }
        let dirfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirfd >= 0 {
            fsync(dirfd)
            close(dirfd)
        }
    }

    public static func writeAtomically(_ text: String, to path: String) throws(GSError) {
        try writeAtomically(Array(text.utf8), to: path)
    }

    public static func basename(_ path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.utf8.index(after: slash)...])
    }

    /// Renames atomically within one file system.
    public static func rename(_ source: String, to target: String) -> Bool {
        Glibc.rename(source, target) == 0
    }

    /// Deletes a file or a directory tree (links are removed, never followed); missing is fine.
    public static func removeTree(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        if (info.st_mode & S_IFMT) == S_IFDIR {
            for entry in (try? list(path)) ?? [] { removeTree(join(path, entry.name)) }
            rmdir(path)
        } else {
            unlink(path)
        }
    }

    /// Copies a file's bytes (atomically at the target).
    public static func copy(_ source: String, to target: String) throws(GSError) {
        try writeAtomically(read(source), to: target)
    }
}

/// This process, for temporary names that must not collide with another gsctl's.
public enum ProcessIdentity {
    public static var current: Int32 { getpid() }
}
