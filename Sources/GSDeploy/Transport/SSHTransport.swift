import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// A host reached with the system's OpenSSH client.
///
/// Every ssh run is non-interactive (`BatchMode`), trusts only the repository's known hosts
/// (`StrictHostKeyChecking=yes`: an unknown or changed key is an error that says to run
/// `gsctl hosts trust`), gives up on a silent link after `deadLinkSeconds`, and shares one
/// connection per host (ControlMaster) so that many short commands cost one handshake.
/// Commands travel as one shell-quoted string; files travel as raw bytes on standard input.
public struct SSHTransport: Transport {
    public let hostName: String
    public let address: String
    public let port: Int
    public let user: String
    /// The private key to log in with; nil lets ssh use the user's keys and agent.
    public let identityFile: String?
    public let root: String
    public let options: SSHOptions

    /// Checks the connection settings and prepares the control directory.
    public init(
        hostName: String, address: String, port: Int = 22, user: String = "root", identityFile: String? = nil,
        root: String, options: SSHOptions
    ) throws(GSError) {
        func plain(_ text: String) -> Bool {
            !text.isEmpty && !text.hasPrefix("-") && !text.contains(where: { $0.isWhitespace || $0 == "@" })
        }
        guard plain(address) else {
            throw GSError("the address '\(address)' of '\(hostName)' is not a host name or IP address")
        }
        guard plain(user) else { throw GSError("the ssh user '\(user)' of '\(hostName)' is not a user name") }
        guard (1...65535).contains(port) else {
            throw GSError("the ssh port \(port) of '\(hostName)' is not between 1 and 65535")
        }
        guard root.hasPrefix("/") else {
            throw GSError("the root '\(root)' of '\(hostName)' is not an absolute path")
        }
        if let identityFile, FileSystem.kind(of: identityFile) != .file {
            throw GSError(
                "the ssh identity file '\(identityFile)' for '\(hostName)' does not exist",
                hint: "create a key with `ssh-keygen -t ed25519 -f \(identityFile)` or fix the path")
        }
        try options.prepareControlDirectory()
        self.hostName = hostName
        self.address = address
        self.port = port
        self.user = user
        self.identityFile = identityFile
        self.root = root
        self.options = options
    }

    /// `user@address:port`, for messages.
    public var endpoint: String { "\(user)@\(address):\(port)" }

    /// The ssh options shared by every invocation for this host (they also pick its control socket).
    private var baseArguments: [String] {
        var arguments = [
            "ssh",
            "-o", "BatchMode=yes",
            "-o", "StrictHostKeyChecking=yes",
            "-o", "UserKnownHostsFile=\(options.knownHostsFile)",
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-o", "ConnectTimeout=\(options.connectTimeout)",
            "-o", "ServerAliveInterval=\(options.serverAliveInterval)",
            "-o", "ServerAliveCountMax=\(options.serverAliveCountMax)",
            "-o", "ControlMaster=auto",
            "-o", "ControlPath=\(FileSystem.join(options.controlDirectory, "%C"))",
            "-o", "ControlPersist=\(options.controlPersist)",
            "-o", "LogLevel=ERROR",
        ]
        if let identityFile { arguments += ["-i", identityFile, "-o", "IdentitiesOnly=yes"] }
        arguments += ["-p", String(port)]
        return arguments
    }

    /// The argv that runs `script` (a shell command line, already quoted) on the host.
    private func sshArguments(script: String) -> [String] {
        baseArguments + ["\(user)@\(address)", "--", script]
    }

    /// The argv that runs `command` on the host, each argument quoted for the remote shell.
    public func commandLine(_ command: [String]) -> [String] {
        sshArguments(script: command.map(shellQuote).joined(separator: " "))
    }

    /// The agent's command line on the host. When this process has `GSCTL_CRASH_AT` (the
    /// crash-safety test hook, see `CrashHook`), it travels with the command: ssh passes no
    /// environment, while a local agent inherits this process's, so the hook fires at the
    /// same steps over both transports.
    public func agentCommand(_ arguments: [String]) -> [String] {
        agentCommand(arguments, crashAt: getenv("GSCTL_CRASH_AT").map { String(cString: $0) })
    }

    /// `agentCommand` with the crash hook's step given rather than read from the environment
    /// (so a test need not set it in its own process); nil leaves the hook unset.
    func agentCommand(_ arguments: [String], crashAt step: String?) -> [String] {
        let hook = step.map { ["env", "GSCTL_CRASH_AT=\($0)"] } ?? []
        return commandLine(hook + [agentBinary, "agent"] + arguments)
    }

    public func run(_ command: [String], input: [UInt8], timeout: Double) throws(GSError) -> Subprocess.Output {
        guard !command.isEmpty else { throw GSError("no command to run on '\(hostName)'") }
        let doing = "`\(Self.summary(command))`"
        let result = try BoundedRun.run(commandLine(command), input: .bytes(input), timeout: timeout)
        try check(result, doing: doing, timeout: timeout)
        return result.output
    }

    public func install(file: String, to remotePath: String, mode: Int) throws(GSError) {
        guard remotePath.hasPrefix("/"), !remotePath.hasSuffix("/") else {
            throw GSError("cannot install to '\(remotePath)' on '\(hostName)': not an absolute file path")
        }
        let size = try ReadOnlyFile(path: file).size()
        let directory = FileSystem.directory(of: remotePath)
        let temporary = FileSystem.join(
            directory,
            ".\(FileSystem.basename(remotePath)).gsctl-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        let (d, t, p) = (shellQuote(directory), shellQuote(temporary), shellQuote(remotePath))
        // The size check catches a stream cut short: `cat` sees end of file either way.
        let script =
            "mkdir -p -- \(d) && (umask 077 && cat > \(t)) && n=$(wc -c < \(t)) && [ \"$n\" -eq \(size) ] "
            + "&& chmod \(String(mode, radix: 8)) \(t) && mv -f -- \(t) \(p) "
            + "|| { rm -f -- \(t); echo \"gsctl: install of \(p) failed (received ${n:-no} of \(size) bytes)\" >&2; exit 1; }"
        let timeout = Double(options.connectTimeout + 30 + size / max(options.installBytesPerSecond, 1))
        let doing = "the install of '\(FileSystem.basename(file))' at '\(remotePath)'"
        let result = try BoundedRun.run(sshArguments(script: script), input: .file(file), timeout: timeout)
        try check(result, doing: doing, timeout: timeout)
        guard result.output.status == 0 else {
            let reason = Self.lastLine(result.output.errorText) ?? "exit status \(result.output.status)"
            throw GSError(
                "cannot install '\(file)' at '\(remotePath)' on '\(hostName)': \(reason)",
                hint: "check that \(user) may write to '\(directory)' and that the disk has room")
        }
    }

    /// ssh's own complaint (unknown host key, refused login, dead link) as the same error a
    /// one-shot command gets, so `apply` over ssh says what to do rather than echoing ssh.
    public func failure(agentError: String, doing: String) -> GSError? {
        SSHFailure.classify(agentError).map {
            $0.error(
                host: hostName, endpoint: "\(address):\(port)", identity: identityFile,
                knownHosts: options.knownHostsFile, doing: doing)
        }
    }

    /// Ends this host's shared connection, if one is open (so a test or a finished rollout
    /// leaves no ssh behind). Idempotent.
    public func closeMaster() {
        _ = try? BoundedRun.run(baseArguments + ["-O", "exit", "\(user)@\(address)"], input: .bytes([]), timeout: 10)
    }

    /// Whether a shared connection to this host is open.
    public func masterIsRunning() -> Bool {
        let result = try? BoundedRun.run(
            baseArguments + ["-O", "check", "\(user)@\(address)"], input: .bytes([]), timeout: 10)
        return result?.output.status == 0
    }

    /// Turns ssh's own failures (and the deadline) into errors naming the host; a remote
    /// command's exit status passes through.
    private func check(_ result: BoundedRun.Result, doing: String, timeout: Double) throws(GSError) {
        let output = result.output
        if output.status == 255 || result.timedOut,
            let failure = SSHFailure.classify(output.errorText)
        {
            throw failure.error(
                host: hostName, endpoint: "\(address):\(port)", identity: identityFile,
                knownHosts: options.knownHostsFile, doing: doing)
        }
        if result.timedOut {
            throw GSError(
                "'\(hostName)' (\(address):\(port)) did not finish \(doing) within \(Self.seconds(timeout))",
                hint: "the link may be down or the host overloaded; ssh itself gives up on a silent link after "
                    + "\(options.deadLinkSeconds) s")
        }
    }

    static func summary(_ command: [String]) -> String {
        let text = command.joined(separator: " ")
        return text.count <= 80 ? text : String(text.prefix(77)) + "..."
    }

    static func lastLine(_ text: String) -> String? {
        text.split(whereSeparator: \.isNewline).last.map { String($0) }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
