import GSBundle
import GSCore

/// Where a build came from: a digest of the spec files and, inside a git repository, the
/// commit and whether the tree was dirty (recorded in every manifest and on hosts).
enum Provenance {
    static func source(specFiles: [String]) throws(GSError) -> SourceInfo {
        var lines: [String] = []
        for file in specFiles.sorted() where file != "<stdin>" {
            lines.append("\(file) \(try SHA256.hex(ofFile: file))")
        }
        let digest = SHA256.hex(of: lines.joined(separator: "\n"))
        let directory = FileSystem.directory(of: specFiles.sorted().first ?? ".")
        guard let head = try? Subprocess.run(["git", "-C", directory, "rev-parse", "HEAD"]), head.status == 0 else {
            return SourceInfo(specDigest: digest)
        }
        let commit = head.text.trimmingSpaces
        let status = try? Subprocess.run(["git", "-C", directory, "status", "--porcelain", "--", "."])
        let dirty = status.map { $0.status != 0 || !$0.stdout.isEmpty } ?? true
        return SourceInfo(specDigest: digest, gitCommit: commit.isEmpty ? nil : commit, gitDirty: dirty)
    }
}
