import GSCore

/// Why the OpenSSH client gave up (it exits 255 and says so on standard error), turned into an
/// error that names the host and says what to do. A remote command may exit 255 itself: only
/// standard error that reads like ssh's own makes it a transport failure.
enum SSHFailure: Equatable {
    case hostKeyUnknown
    case hostKeyChanged
    case permissionDenied
    case unreachable(String)
    case connectionLost(String)
    case other(String)

    /// Classifies ssh's standard error; nil when it does not look like ssh's own failure.
    static func classify(_ stderr: String) -> SSHFailure? {
        let lines = stderr.split(whereSeparator: \.isNewline).map(String.init)
        func has(_ phrase: String) -> Bool { lines.contains { $0.contains(phrase) } }
        func line(_ phrase: String) -> String { lines.first { $0.contains(phrase) } ?? phrase }
        if has("REMOTE HOST IDENTIFICATION HAS CHANGED") || has("has changed and you have requested strict") {
            return .hostKeyChanged
        }
        if has("host key is known for") || has("Host key verification failed") { return .hostKeyUnknown }
        if has("Permission denied (") || has("Too many authentication failures") { return .permissionDenied }
        for phrase in [
            "Connection refused", "No route to host", "Connection timed out", "Network is unreachable",
            "Could not resolve hostname", "Name or service not known", "Host is down",
            "Operation timed out", "Temporary failure in name resolution",
        ] where has(phrase) {
            return .unreachable(reason(line(phrase)))
        }
        for phrase in [
            "Timeout, server", "Broken pipe", "Connection reset", "closed by remote host", "Connection closed by",
            "kex_exchange_identification", "Connection to", "client_loop:", "mux_client",
        ] where has(phrase) {
            return .connectionLost(reason(line(phrase)))
        }
        if let first = lines.first(where: { $0.hasPrefix("ssh:") }) { return .other(reason(first)) }
        return nil
    }

    /// The part of an ssh message after its last `: ` (`connection refused`), lowercased first
    /// letter, no trailing period.
    private static func reason(_ line: String) -> String {
        var text = Substring(line)
        let bytes = Array(line.utf8)
        if let colon = bytes.indices.dropLast().last(where: { bytes[$0] == UInt8(ascii: ":") && bytes[$0 + 1] == 32 }) {
            text = Substring(String(decoding: bytes[(colon + 2)...], as: UTF8.self))
        }
        while text.last == "." || text.last == " " { text = text.dropLast() }
        guard let first = text.first else { return line }
        return first.lowercased() + text.dropFirst()
    }

    /// The error for host `name` reached at `endpoint` (`user@address:port`).
    func error(host name: String, endpoint: String, identity: String?, knownHosts: String, doing: String)
        -> GSError
    {
        let trust = "`gsctl hosts trust \(name)`"
        switch self {
        case .hostKeyUnknown:
            return GSError(
                "the host key of '\(name)' (\(endpoint)) is not known, so \(doing) was refused",
                hint: "check that \(endpoint) is really '\(name)', then run \(trust) to record its key in \(knownHosts)"
            )
        case .hostKeyChanged:
            return GSError(
                "the host key of '\(name)' (\(endpoint)) has CHANGED since it was trusted; \(doing) was refused "
                    + "(the device was reinstalled, or someone is intercepting the connection)",
                hint: "if '\(name)' was reinstalled, run \(trust) to replace its key in \(knownHosts); "
                    + "otherwise find out why before deploying to it")
        case .permissionDenied:
            let key = identity.map { "the key '\($0)'" } ?? "your ssh keys"
            return GSError(
                "'\(name)' (\(endpoint)) refused the login, so \(doing) failed",
                hint: "check that \(key) is in the host's authorized_keys and that the user is right")
        case .unreachable(let reason):
            return GSError(
                "cannot reach '\(name)' at \(endpoint): \(reason)",
                hint: "check that the device is on, on the network, and running sshd")
        case .connectionLost(let reason):
            return GSError(
                "lost the connection to '\(name)' (\(endpoint)) during \(doing): \(reason)",
                hint: "check the device's network link and retry")
        case .other(let reason):
            return GSError("ssh to '\(name)' (\(endpoint)) failed during \(doing): \(reason)")
        }
    }
}
