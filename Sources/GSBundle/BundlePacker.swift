import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// One file to put in a bundle: where it goes, where its bytes come from, its mode.
public struct BundleInput: Sendable {
    public enum Source: Sendable {
        case file(String)
        case bytes([UInt8])
    }

    public var path: String
    public var source: Source
    public var mode: FileMode

    public init(path: String, file: String, mode: FileMode = .regular) {
        self.init(path: path, source: .file(file), mode: mode)
    }

    public init(path: String, bytes: [UInt8], mode: FileMode = .regular) {
        self.init(path: path, source: .bytes(bytes), mode: mode)
    }

    public init(path: String, source: Source, mode: FileMode) {
        self.path = path
        self.source = source
        self.mode = mode
    }
}

/// How the archive is written; nothing here changes the manifest.
public struct PackOptions: Sendable {
    /// The mtime of every entry: `SOURCE_DATE_EPOCH` when set, else 0 (see docs/bundle.md).
    public var modificationTime: Int
    /// zstd level. Model weights and wheels barely compress; 3 is zstd's default and within
    /// 1% of level 19 on an ONNX model at a fraction of the time.
    public var compressionLevel: Int

    public init(modificationTime: Int = 0, compressionLevel: Int = 3) {
        self.modificationTime = modificationTime
        self.compressionLevel = compressionLevel
    }

    /// Options with the mtime from `SOURCE_DATE_EPOCH` (reproducible-builds.org), else 0.
    public static func fromEnvironment() throws(GSError) -> PackOptions {
        guard let raw = getenv("SOURCE_DATE_EPOCH") else { return PackOptions() }
        let text = String(cString: raw)
        if text.isEmpty { return PackOptions() }
        guard let seconds = Int(text), seconds >= 0, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else {
            throw GSError(
                "SOURCE_DATE_EPOCH `\(text)` is not a number of seconds",
                hint: "set it to a Unix time such as `$(git log -1 --format=%ct)`, or unset it")
        }
        return PackOptions(modificationTime: seconds)
    }
}

/// What `BundlePacker.pack` produced.
public struct PackedBundle: Sendable {
    public var manifest: Manifest
    /// The exact `manifest.json` bytes.
    public var manifestBytes: [UInt8]
    /// SHA-256 of `manifestBytes`: the bundle's identity (also a blob in the store).
    public var manifestDigest: String
    public var signature: BundleSignature?
    /// `<outputDirectory>/<id>-<manifest digest, 12 hex>.tar.zst`.
    public var archivePath: String
    public var archiveSize: Int
    public var archiveDigest: String
}

/// Turns files and build metadata into a bundle: blobs in the store, a signed manifest, and
/// the reproducible `.tar.zst`.
public enum BundlePacker {
    /// Packs `files` under the metadata in `manifest` (whose `files` must be empty: the packer
    /// lists them from the inputs, so a manifest can never disagree with its content).
    ///
    /// Each input is copied into `blobs` (hashed while copied); the archive is written from
    /// the blobs, so its bytes are exactly the ones hashed even if a source changes meanwhile.
    /// The archive goes to a temporary name in `outputDirectory` and is renamed when complete.
    /// `options` nil means `PackOptions.fromEnvironment()` (mtime from `SOURCE_DATE_EPOCH`).
    public static func pack(
        _ manifest: Manifest, files: [BundleInput], into outputDirectory: String, blobs: BlobStore,
        signingKey: Ed25519PrivateKey? = nil, options: PackOptions? = nil
    ) throws(GSError) -> PackedBundle {
        guard manifest.files.isEmpty else {
            throw GSError("the manifest passed to pack already lists files; pass them as inputs")
        }
        var seen = Set<String>()
        for input in files {
            if let problem = BundlePath.problem(input.path) {
                throw GSError("cannot pack `\(input.path)`: \(problem)")
            }
            if BundlePath.isReserved(input.path) {
                throw GSError("cannot pack `\(input.path)`: the name is reserved for the bundle format")
            }
            guard seen.insert(input.path).inserted else { throw GSError("cannot pack `\(input.path)` twice") }
        }
        var listed = manifest
        for input in files.sorted(by: { $0.path.utf8.lexicographicallyPrecedes($1.path.utf8) }) {
            let blob: BlobStore.Blob
            switch input.source {
            case .file(let source): blob = try blobs.put(file: source)
            case .bytes(let bytes): blob = try blobs.put(bytes: bytes)
            }
            listed.files.append(ManifestFile(path: input.path, sha256: blob.digest, size: blob.size, mode: input.mode))
        }
        let manifestBytes = listed.canonicalBytes
        // What verify would refuse is never written: bad names, digests, path clashes.
        _ = try Manifest.decode(manifestBytes)
        let manifestDigest = try blobs.put(bytes: manifestBytes).digest
        let signature = try signingKey.map { (key) throws(GSError) in try BundleSignature.sign(manifestBytes, with: key)
        }
        if let signature { try blobs.put(bytes: signature.canonicalBytes) }

        let settings: PackOptions
        if let options { settings = options } else { settings = try PackOptions.fromEnvironment() }
        try FileSystem.makeDirectories(outputDirectory)
        let archivePath = FileSystem.join(outputDirectory, archiveName(id: listed.id, manifestDigest: manifestDigest))
        try writeArchive(
            to: archivePath, manifestBytes: manifestBytes, signatureBytes: signature?.canonicalBytes,
            files: listed.files, blobs: blobs, options: settings)
        let archive = try ReadOnlyFile(path: archivePath)
        return PackedBundle(
            manifest: listed, manifestBytes: manifestBytes, manifestDigest: manifestDigest, signature: signature,
            archivePath: archivePath, archiveSize: try archive.size(),
            archiveDigest: try SHA256.hex(ofFile: archivePath))
    }

    /// `<id>-<first 12 hex of the manifest digest>.tar.zst`: readable, and distinct for
    /// every distinct content of one bundle id.
    public static func archiveName(id: String, manifestDigest: String) -> String {
        "\(id)-\(manifestDigest.prefix(12)).tar.zst"
    }

    /// manifest.json, manifest.sig, then the files in path order, all through a temporary
    /// file that is fsynced and renamed.
    static func writeArchive(
        to path: String, manifestBytes: [UInt8], signatureBytes: [UInt8]?, files: [ManifestFile],
        blobs: BlobStore, options: PackOptions
    ) throws(GSError) {
        let directory = FileSystem.directory(of: path)
        let temporary = FileSystem.join(directory, ".\(FileSystem.basename(path)).tmp-\(DiskOps.uniqueSuffix())")
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw GSError("cannot create `\(temporary)`: \(FileSystem.errnoText())") }
        do throws(GSError) {
            let writer = try ArchiveWriter(
                descriptor: descriptor, path: path, compressionLevel: options.compressionLevel)
            let time = options.modificationTime
            try writer.add(
                .init(
                    path: BundlePath.manifestName, size: manifestBytes.count, modificationTime: time,
                    content: .bytes(manifestBytes)))
            if let signatureBytes {
                try writer.add(
                    .init(
                        path: BundlePath.signatureName, size: signatureBytes.count, modificationTime: time,
                        content: .bytes(signatureBytes)))
            }
            for file in files {
                try writer.add(
                    .init(
                        path: file.path, permissions: file.mode.rawValue, size: file.size, modificationTime: time,
                        content: .file(try blobs.path(for: file.sha256))))
            }
            try writer.close()
            guard fsync(descriptor) == 0 else { throw GSError("cannot write `\(path)`: \(FileSystem.errnoText())") }
            close(descriptor)
            guard rename(temporary, path) == 0 else {
                throw GSError("cannot write `\(path)`: \(FileSystem.errnoText())")
            }
            DiskOps.syncDirectory(directory)
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
    }
}
