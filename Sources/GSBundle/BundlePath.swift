/// The rules for a path inside a bundle, checked when a manifest is built or read and on
/// every archive entry before anything reaches the disk.
///
/// Paths are relative, `/`-separated, with no empty, `.` or `..` components, and use a small
/// portable character set, so a path means the same file on every host and can never escape
/// the release directory.
public enum BundlePath {
    /// Longest path, in bytes (tar's pax headers carry longer; no host needs them).
    public static let maxLength = 1024
    /// Longest component, in bytes (NAME_MAX on Linux file systems).
    public static let maxComponentLength = 255
    /// Names at the bundle root that belong to the format itself.
    public static let manifestName = "manifest.json"
    public static let signatureName = "manifest.sig"

    /// Characters besides ASCII letters and digits that a path may use (POSIX portable
    /// file names, plus those wheel and model names use).
    public static let punctuation = "._-+@=,~%"

    /// Why `path` is not a valid bundle path, or nil when it is.
    public static func problem(_ path: String) -> String? {
        let bytes = Array(path.utf8)
        if bytes.isEmpty { return "the path is empty" }
        if bytes.first == UInt8(ascii: "/") { return "the path is absolute" }
        if bytes.count > maxLength { return "the path is over \(maxLength) bytes" }
        let components = bytes.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if components.contains(where: { $0.elementsEqual("..".utf8) }) { return "the path has a `..` component" }
        if components.contains(where: { $0.isEmpty || $0.elementsEqual(".".utf8) }) {
            return "the path has an empty or `.` component"
        }
        if components.contains(where: { $0.count > maxComponentLength }) {
            return "a component is over \(maxComponentLength) bytes"
        }
        let allowed = Set(punctuation.utf8)
        for byte in bytes where !(isAlphanumeric(byte) || byte == UInt8(ascii: "/") || allowed.contains(byte)) {
            let shown =
                byte < 0x20 || byte >= 0x7F
                ? "byte 0x\(String(byte, radix: 16))" : "`\(Character(Unicode.Scalar(byte)))`"
            return "the path has \(shown); allowed are letters, digits, `/` and `\(punctuation)`"
        }
        return nil
    }

    /// Whether `path` is one of the format's own files at the root.
    public static func isReserved(_ path: String) -> Bool {
        path == manifestName || path == signatureName
    }

    /// The parent directories of `path`, outermost first (`a/b/c` gives `a`, `a/b`).
    static func ancestors(_ path: String) -> [String] {
        var out: [String] = []
        var index = path.utf8.startIndex
        while let slash = path.utf8[index...].firstIndex(of: UInt8(ascii: "/")) {
            out.append(String(path[..<slash]))
            index = path.utf8.index(after: slash)
        }
        return out
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }
}
