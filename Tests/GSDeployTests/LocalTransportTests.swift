import GSCore
import GSDeploy
import Testing

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The local transport: a host that is a directory on this machine.
@Suite struct LocalTransportTests {
    /// A fresh directory for one test, removed by `cleanup`.
    static func scratch() throws -> String {
        var template = Array("/tmp/gsctl-local-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else { throw GSError("mkdtemp failed") }
        return String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    @Test func runsCommandsWithInputAndStatus() throws {
        let host = LocalTransport(hostName: "gateway", root: "/nonexistent", executable: "/usr/bin/gsctl")
        let echoed = try host.run(["echo", "a b", "$HOME"], input: [], timeout: 10)
        #expect(echoed.status == 0)
        #expect(echoed.text == "a b $HOME\n")
        let output = try host.run(["sh", "-c", "cat; printf tail >&2; exit 4"], input: Array("in".utf8), timeout: 10)
        #expect(output.status == 4)
        #expect(output.text == "in")
        #expect(output.errorText == "tail")
        // No trailing newline, binary bytes and a large input all come back whole.
        let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        #expect(try host.run(["cat"], input: big, timeout: 30).stdout == big)
    }

    @Test func aCommandPastItsTimeoutIsStopped() throws {
        let host = LocalTransport(hostName: "gateway", root: "/nonexistent", executable: "/usr/bin/gsctl")
        let start = ChildProcess.now()
        #expect(throws: GSError.self) { try host.run(["sleep", "30"], input: [], timeout: 0.5) }
        #expect(ChildProcess.now() - start < 10)
        // A child that ignores its input, fed more than a pipe holds: an error or an exit, never a hang.
        let ignored = try host.run(["true"], input: [UInt8](repeating: 1, count: 4 << 20), timeout: 10)
        #expect(ignored.status == 0)
    }

    @Test func installCopiesAtomicallyWithTheMode() throws {
        let directory = try Self.scratch()
        defer { FileSystem.removeTree(directory) }
        let root = FileSystem.join(directory, "root")
        let host = LocalTransport(hostName: "gateway", root: root, executable: "/usr/bin/gsctl")
        let source = FileSystem.join(directory, "model.onnx")
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try FileSystem.writeAtomically(bytes, to: source)
        let target = FileSystem.join(root, "releases/r1/model.onnx")
        try host.install(file: source, to: target, mode: 0o751)
        #expect(try FileSystem.read(target) == bytes)
        var info = stat()
        #expect(stat(target, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o751)
        #expect(try FileSystem.list(FileSystem.directory(of: target)).map(\.name) == ["model.onnx"])
        try host.install(file: source, to: target, mode: 0o600)
        #expect(stat(target, &info) == 0)
        #expect(info.st_mode & 0o7777 == 0o600)
        #expect(throws: GSError.self) { try host.install(file: source + ".missing", to: target, mode: 0o644) }
    }

    @Test func agentCommandStartsThisGsctl() {
        let host = LocalTransport(hostName: "gateway", root: "/srv/gs", executable: "/opt/gsctl/bin/gsctl")
        #expect(host.agentCommand(["--root", "/srv/gs"]) == ["/opt/gsctl/bin/gsctl", "agent", "--root", "/srv/gs"])
        #expect(host.agentBinary == "/srv/gs/bin/gsctl")
        let current = LocalTransport.currentExecutable()
        #expect(current.hasPrefix("/"))
        #expect(FileSystem.kind(of: current) == .file)
        #expect(LocalTransport(hostName: "g", root: "/r").executable == current)
    }
}
