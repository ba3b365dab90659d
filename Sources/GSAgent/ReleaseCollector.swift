import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Keeps a host's disk bounded: after a successful activation, release directories beyond
/// the newest `keep` (never the active, previous or pending one) are removed, and then
/// every blob no remaining release lists. Partial uploads stay (a transfer may resume).
/// `gsctl rollback --to` reaches the releases that remain.
public enum ReleaseCollector {
    public static let defaultKeep = 3

    /// Returns the removed release names and the bytes of blobs freed.
    @discardableResult
    public static func collect(_ layout: HostLayout, protecting protected: Set<String>, keep: Int = defaultKeep) -> (
        releases: [String], blobBytes: Int
    ) {
        guard let entries = try? FileSystem.list(layout.releases) else { return ([], 0) }
        var releases: [(name: String, time: Int)] = []
        for entry in entries where entry.kind == .directory && !entry.name.hasPrefix(".") {
            var info = stat()
            guard stat(layout.release(entry.name), &info) == 0 else { continue }
            releases.append((entry.name, Int(info.st_mtim.tv_sec)))
        }
        releases.sort { $0.time != $1.time ? $0.time > $1.time : $0.name > $1.name }
        var kept: [String] = []
        var removed: [String] = []
        for (index, release) in releases.enumerated() {
            if protected.contains(release.name) || index < keep {
                kept.append(release.name)
            } else {
                FileSystem.removeTree(layout.release(release.name))
                unlink(layout.variantsFile(release: release.name))
                removed.append(release.name)
            }
        }
        guard !removed.isEmpty else { return ([], 0) }
        syncDirectory(layout.releases)
        // Blobs the remaining releases still list (and their manifests and signatures).
        var referenced: Set<String> = []
        for name in kept {
            let directory = layout.release(name)
            guard let bytes = try? FileSystem.read(FileSystem.join(directory, "manifest.json")),
                let manifest = try? Manifest.decode(bytes)
            else { continue }
            referenced.insert(SHA256.hex(of: bytes))
            if let signature = try? FileSystem.read(FileSystem.join(directory, "manifest.sig")) {
                referenced.insert(SHA256.hex(of: signature))
            }
            for file in manifest.files { referenced.insert(file.sha256) }
        }
        let store = FileSystem.join(layout.blobs, "sha256")
        var freed = 0
        for entry in (try? FileSystem.list(store)) ?? [] where !referenced.contains(entry.name) {
            let path = FileSystem.join(store, entry.name)
            var info = stat()
            if stat(path, &info) == 0 { freed += Int(info.st_size) }
            unlink(path)
        }
        syncDirectory(store)
        return (removed, freed)
    }
}
