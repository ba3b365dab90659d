import Foundation

/// Paths in the source checkout, for tests that read the example specs and the docs.
enum Repository {
    /// The package root, found from this file's path (Tests/GSSpecTests/Support/...).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func path(_ relative: String) -> String { root + "/" + relative }

    /// Compares `actual` with a committed file; `GSCTL_UPDATE_GOLDEN=1` rewrites the file.
    static func matchesGolden(_ actual: String, _ relative: String) throws -> Bool {
        let path = path(relative)
        if ProcessInfo.processInfo.environment["GSCTL_UPDATE_GOLDEN"] == "1" {
            try Data(actual.utf8).write(to: URL(fileURLWithPath: path))
            return true
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        return expected == actual
    }
}
