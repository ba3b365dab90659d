import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Unpacks a bundle archive on a host that trusts nothing in it.
///
/// Everything goes into a fresh private directory next to the target and is renamed onto the
/// target only when every check passed, so the target either does not exist or holds the
/// complete, verified bundle. The checks are `ArchiveScan`'s (signature before parsing,
/// regular files only, valid listed paths, sizes, modes, digests, limits); on any failure the
/// temporary directory is removed and nothing is left behind.
public enum SafeExtractor {
    /// Extracts `archive` to `target` (which must not exist; its parent is created).
    /// Returns what was verified; the directory then verifies with `BundleVerifier`.
    @discardableResult
    public static func extract(
        _ archive: String, to target: String, trustedKeys: [Ed25519PublicKey] = [],
        limits: ExtractionLimits = .default
    ) throws(GSError) -> VerifiedBundle {
        if DiskOps.exists(target) {
            throw GSError("cannot extract to `\(target)`: it already exists", hint: "extract to a new directory")
        }
        let parent = FileSystem.directory(of: target)
        try FileSystem.makeDirectories(parent)
        let temporary = FileSystem.join(parent, ".\(FileSystem.basename(target)).partial-\(DiskOps.uniqueSuffix())")
        guard mkdir(temporary, 0o700) == 0 else {
            throw GSError("cannot create `\(temporary)`: \(FileSystem.errnoText())")
        }
        let sink = DirectorySink(root: temporary)
        do throws(GSError) {
            let verified = try ArchiveScan.run(archive: archive, trustedKeys: trustedKeys, limits: limits, sink: sink)
            try sink.writeFormatFile(BundlePath.manifestName, verified.manifestBytes)
            if let signature = verified.signatureBytes { try sink.writeFormatFile(BundlePath.signatureName, signature) }
            try sink.seal()
            guard rename(temporary, target) == 0 else {
                throw GSError("cannot move the bundle into `\(target)`: \(FileSystem.errnoText())")
            }
            DiskOps.syncDirectory(parent)
            return verified
        } catch {
            sink.abandon()
            DiskOps.removeTree(temporary)
            throw BundleError.scoped(archive, error)
        }
    }
}

/// Writes checked files under a private root: parents created as needed (0755), files created
/// exclusively (never through an existing name), fsynced, directories fsynced on `seal`.
private final class DirectorySink: FileSink {
    let root: String
    private var current: HashingFileWriter?
    private var directories: [String] = []
    private var created = Set<String>()

    init(root: String) { self.root = root }

    func begin(_ file: ManifestFile) throws(GSError) {
        for parent in BundlePath.ancestors(file.path) where !created.contains(parent) {
            let path = FileSystem.join(root, parent)
            guard mkdir(path, 0o755) == 0 || (errno == EEXIST && DiskOps.entry(path)?.kind == .directory) else {
                throw GSError("cannot create `\(path)`: \(FileSystem.errnoText())")
            }
            created.insert(parent)
            directories.append(path)
        }
        current = try HashingFileWriter(creating: FileSystem.join(root, file.path), hashing: false)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(GSError) {
        try current?.write(bytes)
    }

    func end(_ file: ManifestFile) throws(GSError) {
        _ = try current?.finish(mode: mode_t(file.mode.rawValue))
        current = nil
    }

    func writeFormatFile(_ name: String, _ bytes: [UInt8]) throws(GSError) {
        let writer = try HashingFileWriter(creating: FileSystem.join(root, name), hashing: false)
        current = writer
        try writer.write(bytes)
        _ = try writer.finish(mode: 0o644)
        current = nil
    }

    /// Makes the tree durable and readable before it is renamed into place.
    func seal() throws(GSError) {
        for directory in directories.reversed() { DiskOps.syncDirectory(directory) }
        guard chmod(root, 0o755) == 0 else {
            throw GSError("cannot set the mode of `\(root)`: \(FileSystem.errnoText())")
        }
        DiskOps.syncDirectory(root)
    }

    func abandon() {
        current?.abandon()
        current = nil
    }
}
