import GSCore
import GSTestHosts
import Testing

@testable import GSDeploy

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The ssh transport against real sshd hosts in network namespaces: shared connections,
/// host-key trust, dead links, installs, quoting. Each test gets fresh hosts.
@Suite(.serialized, .enabled(if: NamespaceHosts.isAvailable, NamespaceHosts.skipComment))
final class SSHTransportTests {
    let hosts: NamespaceHosts
    let knownHosts: String
    let options: SSHOptions
    private var opened: [SSHTransport] = []

    init() throws {
        hosts = try NamespaceHosts(tag: "ssh", count: 2)
        knownHosts = FileSystem.join(hosts.directory, "known_hosts")
        try FileSystem.writeAtomically(hosts.knownHostsText(), to: knownHosts)
        options = SSHOptions(knownHostsFile: knownHosts, controlDirectory: FileSystem.join(hosts.directory, "ctl"))
    }

    deinit {
        for transport in opened { transport.closeMaster() }
        hosts.shutdown()
    }

    /// A transport to host `index`, closed (its shared connection) when the test ends.
    func edge(_ index: Int, options: SSHOptions? = nil, port: Int = 22, identity: String? = nil) throws
        -> SSHTransport
    {
        let host = hosts[index]
        let transport = try SSHTransport(
            hostName: host.name, address: host.address, port: port, identityFile: identity ?? hosts.clientKey,
            root: host.root, options: options ?? self.options)
        opened.append(transport)
        return transport
    }

    /// Runs `body`, returning its error (nil when it did not throw) and the seconds it took.
    func timed(_ body: () throws -> Void) -> (error: GSError?, seconds: Double) {
        let start = ChildProcess.now()
        do {
            try body()
            return (nil, ChildProcess.now() - start)
        } catch {
            return (error as? GSError ?? GSError("not a GSError: \(error)"), ChildProcess.now() - start)
        }
    }

    @Test func runsCommandsOverOneSharedConnection() throws {
        let edge = try edge(0)
        let local = try Subprocess.run(["uname", "-n"])
        let name = try edge.run(["uname", "-n"], input: [], timeout: 30)
        #expect(name.status == 0)
        #expect(name.text == local.text)
        #expect(try edge.run(["echo", "hello", "edge"], input: [], timeout: 30).text == "hello edge\n")
        // The command ran inside the host's namespace: its only interface has the host's address.
        let addresses = try edge.run(["ip", "-4", "-o", "addr", "show", "dev", "eth0"], input: [], timeout: 30)
        #expect(addresses.text.contains("inet \(hosts[0].address)/24"))

        #expect(edge.masterIsRunning())
        let sockets = try FileSystem.list(options.controlDirectory)
        #expect(sockets.count == 1)
        #expect(sockets.first?.kind == .other)
        edge.closeMaster()
        edge.closeMaster()
        #expect(!edge.masterIsRunning())

        let other = try self.edge(1)
        let echoed = try other.run(["cat"], input: Array("to the second host".utf8), timeout: 30)
        #expect(echoed.text == "to the second host")
    }

    @Test func remoteExitStatusAndStandardStreamsPassThrough() throws {
        let edge = try edge(0)
        let output = try edge.run(["sh", "-c", "cat; echo oops >&2; exit 3"], input: Array("in".utf8), timeout: 30)
        #expect(output.status == 3)
        #expect(output.text == "in")
        #expect(output.errorText == "oops\n")
        // A megabyte each way: input is fed while output is collected, never deadlocking.
        let big = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(try edge.run(["cat"], input: big, timeout: 60).stdout == big)
    }

    @Test func argumentsSurviveTheRemoteShell() throws {
        let edge = try edge(0)
        let arguments = [
            "two words", "it's", "$HOME", "\"double\"", "", "back\\slash", "*", "semi;colon", "$(id)", "`id`",
            "new\nline", "ünïcödé", "-n", "a=b", "'", "tab\there", "~",
        ]
        let output = try edge.run(["printf", "%s\\000"] + arguments, input: [], timeout: 30)
        let received = output.stdout.split(separator: 0, omittingEmptySubsequences: false).dropLast().map {
            String(decoding: $0, as: UTF8.self)
        }
        #expect(output.status == 0)
        #expect(received == arguments)
    }

    @Test func agentCommandRunsTheHostsGsctl() throws {
        let edge = try edge(0)
        let argv = edge.agentCommand(["--root", "/var/lib/gs ctl"])
        #expect(argv.first == "ssh")
        #expect(
            argv.suffix(3) == [
                "root@\(hosts[0].address)", "--", "\(hosts[0].root)/bin/gsctl agent --root '/var/lib/gs ctl'",
            ])
        #expect(argv.contains("StrictHostKeyChecking=yes"))
        #expect(argv.contains("BatchMode=yes"))
        #expect(argv.contains("UserKnownHostsFile=\(knownHosts)"))
        // It is a real ssh command line: with a stand-in agent script, it answers.
        let script = Array("#!/bin/sh\necho \"$*\"\necho \"${GSCTL_CRASH_AT-unset}\"\n".utf8)
        let stand = FileSystem.join(hosts.directory, "fake-gsctl")
        try FileSystem.writeAtomically(script, to: stand)
        try edge.install(file: stand, to: edge.agentBinary, mode: 0o755)
        let started = try Subprocess.run(argv)
        #expect(started.text == "agent --root /var/lib/gs ctl\nunset\n")
        // The crash-safety test hook crosses ssh when the controller has it, as a local agent
        // inherits it.
        let crashing = edge.agentCommand(["--root", "/var/lib/gs ctl"], crashAt: "it's here")
        #expect(
            crashing.last
                == "env 'GSCTL_CRASH_AT=it'\\''s here' \(hosts[0].root)/bin/gsctl agent --root '/var/lib/gs ctl'")
        #expect(try Subprocess.run(crashing).text == "agent --root /var/lib/gs ctl\nit's here\n")
    }

    @Test func unknownHostKeyIsRefusedUntilTrusted() throws {
        let untrusted = FileSystem.join(hosts.directory, "empty_known_hosts")
        var fresh = options
        fresh.knownHostsFile = untrusted
        let host = hosts[0]
        let edge = try edge(0, options: fresh)
        let refused = timed { _ = try edge.run(["true"], input: [], timeout: 30) }
        #expect(refused.error?.message.contains("is not known") == true)
        #expect(refused.error?.hint?.contains("gsctl hosts trust \(host.name)") == true)
        #expect(!FileSystem.exists(untrusted), "ssh must never add a key by itself")

        let trusted = try KnownHosts.trust(host: host.name, address: host.address, file: untrusted)
        #expect(trusted.fingerprints == ["ED25519 \(try hosts.fingerprint(host))"])
        #expect(trusted.entries.count == 1)
        #expect(trusted.entries.first?.hasPrefix("\(host.address) ssh-ed25519 ") == true)
        #expect(try edge.run(["echo", "trusted"], input: [], timeout: 30).text == "trusted\n")
        // Trusting again replaces the host's lines rather than piling them up.
        try KnownHosts.trust(host: host.name, address: host.address, file: untrusted)
        #expect(KnownHosts.entries(address: host.address, in: untrusted) == trusted.entries)
    }

    @Test func changedHostKeyIsRefused() throws {
        let host = hosts[1]
        let edge = try edge(1)
        #expect(try edge.run(["true"], input: [], timeout: 30).status == 0)
        edge.closeMaster()
        try hosts.rekey(host)
        let refused = timed { _ = try edge.run(["true"], input: [], timeout: 30) }
        #expect(refused.error?.message.contains("has CHANGED") == true)
        #expect(refused.error?.hint?.contains("gsctl hosts trust \(host.name)") == true)
        try KnownHosts.trust(host: host.name, address: host.address, file: knownHosts)
        #expect(try edge.run(["true"], input: [], timeout: 30).status == 0)
        // The other host's key was left alone.
        #expect(KnownHosts.entries(address: hosts[0].address, in: knownHosts).count == 1)
    }

    @Test func deadLinkFailsInsteadOfHanging() throws {
        let host = hosts[0]
        let edge = try edge(0)
        #expect(try edge.run(["true"], input: [], timeout: 30).status == 0)
        try hosts.setLink(host, up: false)
        defer { try? hosts.setLink(host, up: true) }
        // Over the open shared connection: keepalives go unanswered.
        let shared = timed { _ = try edge.run(["echo", "x"], input: [], timeout: 60) }
        #expect(shared.error != nil)
        #expect(shared.error?.description.contains(host.name) == true)
        #expect(shared.seconds < 30, "a dead link must fail within ConnectTimeout + keepalive bounds")
        // A new connection: the connect timeout.
        var separate = options
        separate.controlDirectory = FileSystem.join(hosts.directory, "ctl2")
        let fresh = try self.edge(0, options: separate)
        let connecting = timed { _ = try fresh.run(["echo", "x"], input: [], timeout: 60) }
        #expect(connecting.error?.message.contains("cannot reach '\(host.name)'") == true)
        #expect(connecting.seconds < 30)
        // The command's own deadline also holds when it is the shorter one.
        let short = timed { _ = try fresh.run(["echo", "x"], input: [], timeout: 1) }
        #expect(short.error != nil)
        #expect(short.seconds < 10)
    }

    @Test func installArrivesByteIdenticalWithItsMode() throws {
        let edge = try edge(0)
        var state: UInt64 = 0x9e37_79b9_7f4a_7c15
        let bytes = (0..<(5 << 20)).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        let local = FileSystem.join(hosts.directory, "blob.bin")
        try FileSystem.writeAtomically(bytes, to: local)
        let target = FileSystem.join(hosts[0].root, "bin/nested/blob.bin")
        try edge.install(file: local, to: target, mode: 0o750)
        #expect(try FileSystem.read(target) == bytes)
        var info = stat()
        #expect(stat(target, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o750)
        #expect(try FileSystem.list(FileSystem.directory(of: target)).map(\.name) == ["blob.bin"])
        // Again over an existing file, with another mode.
        try edge.install(file: local, to: target, mode: 0o600)
        #expect(stat(target, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o600)
    }

    @Test func failedInstallNamesTheHostAndLeavesNothing() throws {
        let edge = try edge(0)
        let blocker = FileSystem.join(hosts[0].root, "file")
        try FileSystem.writeAtomically("a file, not a directory", to: blocker)
        let local = FileSystem.join(hosts.directory, "two-megabytes")
        try FileSystem.writeAtomically([UInt8](repeating: 7, count: 2 << 20), to: local)
        let failed = timed { try edge.install(file: local, to: blocker + "/sub/x", mode: 0o644) }
        #expect(failed.error?.message.contains("cannot install") == true)
        #expect(failed.error?.message.contains(hosts[0].name) == true)
        #expect(try FileSystem.list(hosts[0].root).map(\.name) == ["file"])
    }

    @Test func wrongKeyAndClosedPortGiveClearErrors() throws {
        let other = FileSystem.join(hosts.directory, "stranger")
        let made = try Subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other])
        #expect(made.status == 0)
        let stranger = try edge(0, identity: other)
        let denied = timed { _ = try stranger.run(["true"], input: [], timeout: 30) }
        #expect(denied.error?.message.contains("refused the login") == true)
        #expect(denied.error?.hint?.contains(other) == true)

        let closed = try edge(1, port: 2222)
        let refused = timed { _ = try closed.run(["true"], input: [], timeout: 30) }
        #expect(
            refused.error?.message == "cannot reach '\(hosts[1].name)' at \(hosts[1].address):2222: connection refused")
    }
}
