import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A release directory built from verified blobs, and the check that it still matches its
/// manifest (drift: a file edited, removed or added by hand on the host).
public enum ReleaseFiles {
    /// Writes `releases/<name>` from the store: every listed file copied from its blob (which
    /// was hashed on arrival) with the manifest's mode, plus manifest.json and manifest.sig,
    /// into a private `.partial-…` directory renamed into place once complete. An existing
    /// release of that name is replaced only after the new copy is complete.
    public static func assemble(
        _ name: String, manifest: Manifest, manifestBytes: [UInt8], signatureBytes: [UInt8]?,
        layout: HostLayout, store: BlobStore
    ) throws(GSError) {
        let target = layout.release(name)
        let staging = FileSystem.join(layout.releases, ".partial-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        do throws(GSError) {
            try FileSystem.makeDirectories(staging)
            try FileSystem.writeAtomically(manifestBytes, to: FileSystem.join(staging, "manifest.json"))
            if let signatureBytes {
                try FileSystem.writeAtomically(signatureBytes, to: FileSystem.join(staging, "manifest.sig"))
            }
            for file in manifest.files {
                // Paths were validated by the strict manifest decoder (no `..`, no absolute).
                let destination = FileSystem.join(staging, file.path)
                try FileSystem.makeDirectories(FileSystem.directory(of: destination))
                guard let blob = store.blob(file.sha256), blob.size == file.size else {
                    throw GSError("blob \(file.sha256) for `\(file.path)` is not on this host")
                }
                try FileSystem.writeAtomically(
                    try FileSystem.read(blob.path), to: destination, mode: mode_t(file.mode.rawValue))
                chmod(destination, mode_t(file.mode.rawValue))
            }
            syncDirectory(staging)
            if FileSystem.exists(target) {
                let old = FileSystem.join(layout.releases, ".old-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
                guard FileSystem.rename(target, to: old) else {
                    throw GSError("cannot replace release `\(target)`: \(FileSystem.errnoText())")
                }
                guard FileSystem.rename(staging, to: target) else {
                    _ = FileSystem.rename(old, to: target)
                    throw GSError("cannot replace release `\(target)`: \(FileSystem.errnoText())")
                }
                FileSystem.removeTree(old)
            } else {
                guard FileSystem.rename(staging, to: target) else {
                    throw GSError("cannot create release `\(target)`: \(FileSystem.errnoText())")
                }
            }
            syncDirectory(layout.releases)
        } catch {
            FileSystem.removeTree(staging)
            throw error
        }
    }

    /// One difference between a release directory and its manifest.
    public struct Drift: Hashable, Sendable {
        public enum Kind: String, Sendable { case modified, missing, added, mode }
        public var kind: Kind
        public var path: String
        public var detail: String

        public var json: JSONValue {
            ["kind": .string(kind.rawValue), "path": .string(path), "detail": .string(detail)]
        }
    }

    /// Re-hashes every file of `release` against `manifest` and lists what differs,
    /// including files the manifest does not account for.
    public static func drift(release: String, manifest: Manifest) -> [Drift] {
        var found: [Drift] = []
        var listed: Set<String> = ["manifest.json", "manifest.sig"]
        for file in manifest.files {
            listed.insert(file.path)
            let path = FileSystem.join(release, file.path)
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                found.append(
                    Drift(kind: .missing, path: file.path, detail: "listed in the manifest, absent on the host"))
                continue
            }
            if Int(info.st_size) != file.size {
                found.append(
                    Drift(kind: .modified, path: file.path, detail: "\(info.st_size) bytes, manifest says \(file.size)")
                )
                continue
            }
            guard let actual = try? SHA256.hex(ofFile: path) else {
                found.append(Drift(kind: .missing, path: file.path, detail: "unreadable"))
                continue
            }
            if actual != file.sha256 {
                found.append(
                    Drift(
                        kind: .modified, path: file.path,
                        detail: "sha256 \(actual.prefix(12)), manifest says \(file.sha256.prefix(12))"))
            } else if UInt32(info.st_mode & 0o7777) != file.mode.rawValue {
                found.append(
                    Drift(
                        kind: .mode, path: file.path,
                        detail: "mode \(String(info.st_mode & 0o7777, radix: 8)), manifest says \(file.mode.text)"))
            }
        }
        for extra in listFiles(release, prefix: "") where !listed.contains(extra) {
            found.append(Drift(kind: .added, path: extra, detail: "not in the manifest"))
        }
        return found.sorted { $0.path < $1.path }
    }

    static func listFiles(_ directory: String, prefix: String) -> [String] {
        guard let entries = try? FileSystem.list(directory) else { return [] }
        var out: [String] = []
        for entry in entries {
            let relative = prefix.isEmpty ? entry.name : prefix + "/" + entry.name
            if entry.kind == .directory {
                out += listFiles(FileSystem.join(directory, entry.name), prefix: relative)
            } else {
                out.append(relative)
            }
        }
        return out
    }
}
