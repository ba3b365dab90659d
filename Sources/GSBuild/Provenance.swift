import GSBundle
import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The commit a build's specs were exported from (`apply --ref`, catching a host up to an
/// older release): the export is not a git checkout, so the commit is told, not asked.
public struct SourceRevision: Sendable {
    public var commit: String
    /// The export's top directory (it stands for the repository's top).
    public var top: String

    public init(commit: String, top: String) {
        self.commit = commit
        self.top = top
    }
}

/// Where a build came from: a digest of the spec files and, inside a git repository, the
/// commit and whether the tree was dirty (recorded in every manifest and on hosts).
///
/// Spec files are named relative to the repository's top in the digest, so one commit built
/// from any clone, any working directory or an export of that commit gives the same
/// manifest, byte for byte (a host caught up to an older release gets exactly the release
/// that passed on the others).
enum Provenance {
    static func source(specFiles: [String], exported: SourceRevision? = nil) throws(GSError) -> SourceInfo {
        let files = specFiles.filter { $0 != "<stdin>" }.map(realPath)
        var top = exported.map { realPath($0.top) }
        var commit = exported?.commit
        var dirty = false
        if exported == nil {
            let directory = FileSystem.directory(of: files.sorted().first ?? ".")
            if let head = try? Subprocess.run(["git", "-C", directory, "rev-parse", "HEAD"]), head.status == 0,
                let level = try? Subprocess.run(["git", "-C", directory, "rev-parse", "--show-toplevel"]),
                level.status == 0
            {
                let text = head.text.trimmingSpaces
                commit = text.isEmpty ? nil : text
                top = realPath(level.text.trimmingSpaces)
                let status = try? Subprocess.run(["git", "-C", directory, "status", "--porcelain", "--", "."])
                dirty = status.map { $0.status != 0 || !$0.stdout.isEmpty } ?? true
            }
        }
        var lines: [String] = []
        for file in files {
            lines.append("\(relative(file, to: top)) \(try SHA256.hex(ofFile: file))")
        }
        let digest = SHA256.hex(of: lines.sorted().joined(separator: "\n"))
        guard let commit else { return SourceInfo(specDigest: digest) }
        return SourceInfo(specDigest: digest, gitCommit: commit, gitDirty: dirty)
    }

    /// `path` below `top` without the prefix; other paths as they are.
    static func relative(_ path: String, to top: String?) -> String {
        guard let top else { return path }
        let prefix = top.hasSuffix("/") ? top : top + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }

    /// The canonical absolute path (links resolved), or `path` made absolute when it cannot
    /// be resolved.
    static func realPath(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else {
            return FileSystem.normalize(
                path.hasPrefix("/") ? path : FileSystem.join(FileSystem.currentDirectory(), path))
        }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
