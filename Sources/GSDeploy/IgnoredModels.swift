import GSCore
import GSSpec

/// Model files are usually too large for git: they are git-ignored and fetched (`make
/// models`), and each Model spec pins its file's sha256. A tree exported at another revision
/// (`--ref`, a host caught up to an older release, a rollback) therefore lacks them. The
/// checkout's file is that revision's model exactly when its digest is the one pinned at
/// that revision: then it is copied into the exported tree; otherwise the error says which
/// file, with which digest, the revision needs.
struct IgnoredModels {
    let git: GitSource
    /// The exported tree (a fresh folder holding the revision's committed files).
    let exported: String
    let revision: String

    /// Copies into the exported tree each model file it lacks whose checkout copy has the
    /// digest pinned at the revision. Returns the repository-relative paths copied; throws
    /// when a missing model cannot be restored that way.
    func restore(_ specs: SpecSet) throws(GSError) -> [String] {
        var restored: [String] = []
        for model in specs.models {
            guard let path = model.sourcePath, path.hasPrefix(exported + "/"), !FileSystem.exists(path),
                let pinned = model.sha256?.value
            else { continue }
            let relative = String(path.dropFirst(exported.count + 1))
            if restored.contains(relative) { continue }
            let checkout = FileSystem.join(git.top, relative)
            let revisionText = String(revision.prefix(12))
            let fetch = "put the file with sha256 \(pinned) there (at that revision `make models` fetches it)"
            guard FileSystem.kind(of: checkout) == .file else {
                throw GSError(
                    "model `\(model.name)`: `\(relative)` is not committed at \(revisionText) (git-ignored) and the checkout has no copy",
                    hint: fetch)
            }
            // Copied, then hashed: the copy is what the build reads, whatever the checkout
            // does meanwhile.
            try FileSystem.makeDirectories(FileSystem.directory(of: path))
            try FileSystem.copy(checkout, to: path)
            let digest = try SHA256.hex(ofFile: path)
            guard digest == pinned else {
                FileSystem.removeTree(path)
                throw GSError(
                    "model `\(model.name)`: `\(relative)` is not committed at \(revisionText) (git-ignored), and the checkout's copy has sha256 \(digest), not the \(pinned) pinned at \(revisionText)",
                    hint: fetch + ", or keep the build cache (--cache) of the apply that built \(revisionText)")
            }
            restored.append(relative)
        }
        return restored
    }
}
