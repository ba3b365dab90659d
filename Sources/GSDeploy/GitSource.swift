import GSCore

/// The desired state's source: the specs at a git revision. `apply` deploys what the
/// repository says at a commit (default HEAD), refuses a dirty working tree unless told
/// otherwise, and asks git whether a host's revision is an ancestor of the target (a stale
/// CI job must not move hosts back).
public struct GitSource: Sendable {
    /// The repository's top level.
    public let top: String

    /// The repository holding `path`, or nil outside git.
    public static func find(_ path: String) -> GitSource? {
        let directory = FileSystem.kind(of: path) == .directory ? path : FileSystem.directory(of: path)
        guard let output = try? Subprocess.run(["git", "-C", directory, "rev-parse", "--show-toplevel"]),
            output.status == 0
        else { return nil }
        return GitSource(top: output.text.trimmingSpaces)
    }

    public func resolve(_ revision: String) throws(GSError) -> String {
        let output = try Subprocess.run(["git", "-C", top, "rev-parse", "--verify", "--quiet", revision + "^{commit}"])
        guard output.status == 0 else {
            throw GSError("`\(revision)` is not a commit in `\(top)`", hint: "pass a branch, tag or commit id to --ref")
        }
        return output.text.trimmingSpaces
    }

    /// Paths under `paths` with uncommitted changes (tracked or untracked).
    public func dirtyFiles(under paths: [String]) throws(GSError) -> [String] {
        let output = try Subprocess.run(["git", "-C", top, "status", "--porcelain", "--"] + paths.map { absolute($0) })
        return output.text.split(separator: "\n").map { String($0.dropFirst(3)) }
    }

    /// Whether `ancestor` is an ancestor of (or equal to) `descendant`; nil when git does not
    /// know one of them (a revision from another clone).
    public func isAncestor(_ ancestor: String, of descendant: String) -> Bool? {
        if ancestor == descendant { return true }
        guard let output = try? Subprocess.run(["git", "-C", top, "merge-base", "--is-ancestor", ancestor, descendant])
        else { return nil }
        switch output.status {
        case 0: return true
        case 1: return false
        default: return nil
        }
    }

    /// Writes the tree of `revision` into `directory` (fresh) and returns it: the specs as
    /// committed, whatever the working tree holds.
    public func export(_ revision: String, to directory: String) throws(GSError) {
        try FileSystem.makeDirectories(directory)
        let archive = try Subprocess.run(["git", "-C", top, "archive", "--format=tar", revision])
        guard archive.status == 0 else { throw GSError("git archive \(revision) failed: \(archive.errorText)") }
        let unpack = try Subprocess.run(["tar", "-x", "-C", directory], input: archive.stdout)
        guard unpack.status == 0 else { throw GSError("cannot unpack revision \(revision): \(unpack.errorText)") }
    }

    func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileSystem.join(FileSystem.currentDirectory(), path)
    }

    /// `path` relative to the repository top (for mapping spec paths into an exported tree).
    public func relative(_ path: String) -> String {
        let full = FileSystem.normalize(absolute(path))
        let prefix = top.hasSuffix("/") ? top : top + "/"
        return full.hasPrefix(prefix) ? String(full.dropFirst(prefix.count)) : full == top ? "." : full
    }
}
