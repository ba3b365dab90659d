import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A host that is a directory on this machine: the agent runs as a child process, commands
/// run here, installs are atomic copies. For a gateway that deploys to itself, and for tests
/// of everything above the transport without ssh.
public struct LocalTransport: Transport {
    public let hostName: String
    public let root: String
    /// The gsctl binary that runs the agent (usually this one: `currentExecutable()`).
    public let executable: String

    public init(hostName: String, root: String, executable: String = LocalTransport.currentExecutable()) {
        self.hostName = hostName
        self.root = root
        self.executable = executable
    }

    /// This process's executable (from /proc/self/exe), or `gsctl` (found in PATH) if unreadable.
    public static func currentExecutable() -> String {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "gsctl" }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public func agentCommand(_ arguments: [String]) -> [String] {
        [executable, "agent"] + arguments
    }

    public func run(_ command: [String], input: [UInt8], timeout: Double) throws(GSError) -> Subprocess.Output {
        guard !command.isEmpty else { throw GSError("no command to run on '\(hostName)'") }
        let result = try BoundedRun.run(command, input: .bytes(input), timeout: timeout)
        if result.timedOut {
            throw GSError(
                "`\(SSHTransport.summary(command))` on '\(hostName)' did not finish within "
                    + SSHTransport.seconds(timeout), hint: "it was stopped; check what it waits for")
        }
        return result.output
    }

    public func install(file: String, to path: String, mode: Int) throws(GSError) {
        guard !path.hasSuffix("/") else {
            throw GSError("cannot install to '\(path)' on '\(hostName)': not a file path")
        }
        try FileSystem.makeDirectories(FileSystem.directory(of: path))
        // Written under a temporary name with `mode` (umask may narrow it), renamed, then
        // chmod to exactly `mode`.
        try FileSystem.writeAtomically(FileSystem.read(file), to: path, mode: mode_t(mode & 0o7777))
        guard chmod(path, mode_t(mode & 0o7777)) == 0 else {
            throw GSError("cannot set mode \(String(mode, radix: 8)) on '\(path)': \(FileSystem.errnoText())")
        }
    }
}
