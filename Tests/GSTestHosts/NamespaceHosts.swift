import GSCore
import Testing

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Real SSH edge hosts for tests (shared by GSDeployTests and GsctlTests): network namespaces on a bridge, each running Debian's sshd,
/// made by `scripts/netns-hosts.sh` in `init` and removed by `shutdown()` (or deinit).
/// Namespaces share the file system, so a host's root directory can be read directly.
/// Suites that use it guard themselves with `.enabled(if: NamespaceHosts.isAvailable,
/// NamespaceHosts.skipComment)`: it needs root (CAP_NET_ADMIN), iproute2 and openssh.
public final class NamespaceHosts: @unchecked Sendable {
    public struct Host: Sendable {
        public let name: String
        public let address: String
        /// The host's gsctl root (DIR/NAME/root).
        public let root: String
        /// The script's files for this host (sshd_config, host keys, sshd.log).
        public let directory: String
    }

    /// The script's working directory (keys, per-host files); removed by `shutdown()`.
    public let directory: String
    public let hosts: [Host]
    /// The controller's private key, authorized on every host.
    public var clientKey: String { FileSystem.join(directory, "id_ed25519") }
    private var isUp = false

    static let script: String = {
        // Tests/GSTestHosts/NamespaceHosts.swift -> the package root.
        var root = "\(#filePath)"
        for _ in 0..<3 { root = FileSystem.directory(of: root) }
        return FileSystem.join(FileSystem.join(root, "scripts"), "netns-hosts.sh")
    }()

    /// Why hosts cannot be made on this machine; nil when they can.
    public static let unavailableReason: String? = {
        if geteuid() != 0 { return "namespace hosts need root (network namespaces and veth pairs)" }
        if !hasNetAdmin() { return "namespace hosts need CAP_NET_ADMIN, which this process lacks" }
        for tool in ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen", "/usr/bin/ssh-keyscan"]
        where access(tool, X_OK) != 0 {
            return "namespace hosts need \(tool) (apt-get install openssh-server openssh-client)"
        }
        guard let probe = try? Subprocess.run(["ip", "netns", "list"]), probe.status == 0 else {
            return "namespace hosts need `ip netns` (apt-get install iproute2)"
        }
        if FileSystem.kind(of: script) != .file { return "\(script) is missing" }
        return nil
    }()

    public static var isAvailable: Bool { unavailableReason == nil }
    public static var skipComment: Comment { Comment(rawValue: unavailableReason ?? "namespace hosts are available") }

    /// Whether the effective capabilities include CAP_NET_ADMIN (bit 12).
    private static func hasNetAdmin() -> Bool {
        guard let status = try? FileSystem.read("/proc/self/status") else { return false }
        for line in String(decoding: status, as: UTF8.self).split(separator: "\n") where line.hasPrefix("CapEff:") {
            let hex = line.dropFirst("CapEff:".count).trimmingSpaces
            guard let bits = UInt64(hex, radix: 16) else { return false }
            return bits & (1 << 12) != 0
        }
        return false
    }

    /// Starts `count` hosts named `<tag><pid>-<random>a`, `...b`, ... on 10.77.0.200-253 (a range no
    /// other suite uses), at addresses chosen from the pid so that two concurrent runs rarely
    /// meet; when they do, the script's address claims refuse the second and the next
    /// addresses are tried.
    public init(tag: String, count: Int) throws {
        precondition((1...4).contains(count), "1 to 4 hosts")
        let pid = Int(getpid())
        let unique = "\(pid)-\(String(UInt16.random(in: 0x1000...0xffff), radix: 16))"
        let directory = "/tmp/gsctl-nh-\(unique)"
        self.directory = directory
        var lastError: GSError?
        for attempt in 0..<8 {
            let base = 200 + ((pid + attempt * 7) % 12) * 4
            let made = (0..<count).map { index in
                let name = "\(tag)\(unique)\(["a", "b", "c", "d"][index])"
                return Host(
                    name: name, address: "10.77.0.\(base + 1 + index)", root: "\(directory)/\(name)/root",
                    directory: "\(directory)/\(name)")
            }
            let result = try Self.script(["up", directory] + made.map { "\($0.name)=\($0.address)" })
            if result.status == 0 {
                hosts = made
                isUp = true
                return
            }
            _ = try? Self.script(["down", directory])
            lastError = GSError("netns-hosts.sh up failed: \(result.errorText)\(result.text)")
            if !result.errorText.contains("is in use by") { break }
        }
        FileSystem.removeTree(directory)
        throw lastError ?? GSError("netns-hosts.sh up failed")
    }

    deinit { shutdown() }

    public subscript(_ index: Int) -> Host { hosts[index] }

    /// known_hosts lines for every host, read from the generated public host keys.
    public func knownHostsText() throws -> String {
        var lines: [String] = []
        for host in hosts {
            let key = String(decoding: try FileSystem.read(host.directory + "/ssh_host_ed25519_key.pub"), as: UTF8.self)
            let fields = key.split(separator: " ")
            guard fields.count >= 2 else { throw GSError("unreadable host key of \(host.name)") }
            lines.append("\(host.address) \(fields[0]) \(fields[1])")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The host's public key fingerprint as `ssh-keygen -l` shows it (`SHA256:...`).
    public func fingerprint(_ host: Host) throws -> String {
        let listed = try Subprocess.run(["ssh-keygen", "-l", "-f", host.directory + "/ssh_host_ed25519_key.pub"])
        let fields = listed.text.split(separator: " ")
        guard listed.status == 0, fields.count >= 2 else { throw GSError("ssh-keygen -l failed: \(listed.errorText)") }
        return String(fields[1])
    }

    /// Gives the host a new host key and restarts its sshd (a reinstalled device, or an impostor).
    public func rekey(_ host: Host) throws {
        let result = try Self.script(["rekey", directory, host.name])
        guard result.status == 0 else { throw GSError("netns-hosts.sh rekey failed: \(result.errorText)") }
    }

    /// Sets the root end of the host's cable up or down.
    public func setLink(_ host: Host, up: Bool) throws {
        let result = try Self.script(["link", directory, host.name, up ? "up" : "down"])
        guard result.status == 0 else { throw GSError("netns-hosts.sh link failed: \(result.errorText)") }
    }

    /// Stops the hosts and removes their namespaces, interfaces and files. Idempotent.
    public func shutdown() {
        guard isUp else { return }
        isUp = false
        _ = try? Self.script(["down", directory])
        FileSystem.removeTree(directory)
    }

    private static func script(_ arguments: [String]) throws -> Subprocess.Output {
        try Subprocess.run(["bash", script] + arguments)
    }
}

extension Substring {
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text = text.dropFirst() }
        while text.last == " " || text.last == "\t" { text = text.dropLast() }
        return text
    }
}
