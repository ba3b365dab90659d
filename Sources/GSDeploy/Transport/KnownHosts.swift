import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The repository's trusted host keys (`.gsctl/known_hosts`, OpenSSH's format). ssh never adds
/// to it (StrictHostKeyChecking=yes); `gsctl hosts trust HOST` does, through `trust`, after
/// showing the fingerprints so that a person can compare them with the device's.
public enum KnownHosts {
    /// What `trust` recorded for a host.
    public struct Trusted: Sendable, Equatable {
        /// The lines added to the file (`ADDR ssh-ed25519 AAAA... NAME`).
        public var entries: [String]
        /// One per key, as `ssh-keygen -l` prints them: `ED25519 SHA256:...`.
        public var fingerprints: [String]
    }

    /// How a host appears in the file's first column: the address, or `[address]:port`.
    public static func pattern(address: String, port: Int) -> String {
        port == 22 ? address : "[\(address)]:\(port)"
    }

    /// Fetches the host keys of `address:port` (`ssh-keyscan`), replaces any keys the file
    /// had for it, and writes the file atomically. The keys are whatever answers at that
    /// address: trust on first use, so show the fingerprints to the user.
    @discardableResult
    public static func trust(host: String, address: String, port: Int = 22, file: String, timeout: Int = 5)
        throws(GSError) -> Trusted
    {
        guard !address.isEmpty, !address.hasPrefix("-"), !address.contains(where: { $0.isWhitespace }) else {
            throw GSError("the address '\(address)' of '\(host)' is not a host name or IP address")
        }
        let scan = try BoundedRun.run(
            ["ssh-keyscan", "-T", String(timeout), "-p", String(port), address], input: .bytes([]),
            timeout: Double(timeout + 10))
        let hostPattern = pattern(address: address, port: port)
        let keys = scan.output.text.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard !line.hasPrefix("#"), fields.count >= 3, fields[0] == hostPattern else { return nil }
            return "\(hostPattern) \(fields[1]) \(fields[2])"
        }.sorted()
        guard !keys.isEmpty else {
            let detail = scan.output.errorText.split(separator: "\n").first { !$0.hasPrefix("#") }
            throw GSError(
                "cannot read the host key of '\(host)' at \(address):\(port)"
                    + (detail.map { ": \($0)" } ?? ": no answer within \(timeout) s"),
                hint: "check that the device is on, on the network, and running sshd")
        }
        let entries = keys.map { "\($0) \(host)" }
        let fingerprints = try fingerprints(of: entries)
        try replace(pattern: hostPattern, with: entries, in: file)
        return Trusted(entries: entries, fingerprints: fingerprints)
    }

    /// The lines of `file` that are keys for `address:port` (empty when it has none or no file).
    public static func entries(address: String, port: Int = 22, in file: String) -> [String] {
        let hostPattern = pattern(address: address, port: port)
        guard let bytes = try? FileSystem.read(file) else { return [] }
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init).filter {
            matches($0, hostPattern)
        }
    }

    /// Whether a known_hosts line is a plain key line whose host list names `hostPattern`
    /// (hashed `|1|` and `@marker` lines are left alone).
    private static func matches(_ line: String, _ hostPattern: String) -> Bool {
        guard let hosts = line.split(separator: " ", maxSplits: 1).first, !line.hasPrefix("#"), !line.hasPrefix("@")
        else { return false }
        return hosts.split(separator: ",").contains { $0 == hostPattern }
    }

    /// Rewrites `file` without `hostPattern`'s old keys and with `entries` at the end.
    private static func replace(pattern hostPattern: String, with entries: [String], in file: String) throws(GSError) {
        try FileSystem.makeDirectories(FileSystem.directory(of: file))
        var lines: [String] = []
        if FileSystem.exists(file) {
            lines = String(decoding: try FileSystem.read(file), as: UTF8.self).split(separator: "\n").map(String.init)
        }
        // One host in the host list of a shared line: that line goes (rare; never written by gsctl).
        lines.removeAll { matches($0, hostPattern) }
        lines += entries
        try FileSystem.writeAtomically(Array((lines.joined(separator: "\n") + "\n").utf8), to: file, mode: 0o644)
    }

    /// `ssh-keygen -lf` over the entries: `ED25519 SHA256:...` per key.
    private static func fingerprints(of entries: [String]) throws(GSError) -> [String] {
        var template = Array("/tmp/gsctl-keys-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw GSError("cannot create a temporary file: \(FileSystem.errnoText())") }
        close(fd)
        let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        defer { unlink(path) }
        try FileSystem.writeAtomically(Array((entries.joined(separator: "\n") + "\n").utf8), to: path, mode: 0o600)
        let listed = try BoundedRun.run(["ssh-keygen", "-l", "-f", path], input: .bytes([]), timeout: 10)
        guard listed.output.status == 0 else {
            throw GSError("cannot fingerprint the host keys: \(listed.output.errorText)")
        }
        // `256 SHA256:abc... 10.77.0.11 (ED25519)`
        return listed.output.text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count >= 3, let type = fields.last else { return nil }
            return "\(type.trimmingParentheses) \(fields[1])"
        }
    }
}

extension Substring {
    fileprivate var trimmingParentheses: Substring {
        var text = self
        if text.first == "(" { text = text.dropFirst() }
        if text.last == ")" { text = text.dropLast() }
        return text
    }
}
