import GSCore

/// How the controller reaches one host: the program to start so that its standard input and
/// output are that host's agent, one-shot commands, and file installs. Two kinds: `local` (a
/// directory on this machine, the agent runs as a child process) and `ssh` (the system's
/// OpenSSH client). Both run the same agent code, so tests of one cover the other.
public protocol Transport: Sendable {
    /// The host's name in the specs (for messages: every deploy error names its host).
    var hostName: String { get }
    /// The host's root directory (as the host sees it).
    var root: String { get }
    /// The argv that starts `gsctl agent <arguments>` on the host, speaking the agent
    /// protocol on its standard input and output.
    func agentCommand(_ arguments: [String]) -> [String]
    /// Runs `command` (argv, quoted for the remote shell by the transport) on the host with
    /// `input` on its standard input; the whole run is bounded by `timeout` seconds.
    func run(_ command: [String], input: [UInt8], timeout: Double) throws(GSError) -> Subprocess.Output
    /// Installs a local file at `remotePath` on the host (atomically: a temporary name, then
    /// rename), with `mode`.
    func install(file: String, to remotePath: String, mode: Int) throws(GSError)
    /// The transport's own failure behind an agent conversation that ended early, read from
    /// what the agent command wrote to standard error (an unknown host key, a dead link); nil
    /// when that text is not the transport's.
    func failure(agentError: String, doing: String) -> GSError?
}

extension Transport {
    public func failure(agentError: String, doing: String) -> GSError? { nil }

    /// The agent binary's path on the host: `<root>/bin/gsctl`.
    public var agentBinary: String { FileSystem.join(FileSystem.join(root, "bin"), "gsctl") }
}

/// Quotes one argument for a POSIX shell (the remote side of ssh runs a shell command line).
public func shellQuote(_ argument: String) -> String {
    let safe = argument.utf8.allSatisfy { byte in
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a)
            || "/._-+=:,@%".utf8.contains(byte)
    }
    if safe && !argument.isEmpty { return argument }
    var quoted = "'"
    for character in argument {
        if character == "'" { quoted += "'\\''" } else { quoted.append(character) }
    }
    return quoted + "'"
}
