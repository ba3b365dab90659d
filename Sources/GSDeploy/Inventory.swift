import GSCore
import GSSpec

/// Host specs to transports. SSH hosts use the repository's `.gsctl/known_hosts` (a new
/// host key is never trusted silently: `gsctl hosts trust HOST` adds it); local hosts run
/// the agent as a child of this gsctl.
public struct Inventory: Sendable {
    public var specs: SpecSet
    public var ssh: SSHOptions
    /// The gsctl that local hosts run as their agent.
    public var executable: String

    public init(specs: SpecSet, repository: String, executable: String = LocalTransport.currentExecutable()) {
        self.specs = specs
        ssh = SSHOptions.forRepository(repository)
        self.executable = executable
    }

    public func transport(_ name: String) throws(GSError) -> any Transport {
        guard let host = specs.host(name) else {
            throw GSError("no Host named `\(name)` in the specs", hint: "`gsctl plan` lists the hosts")
        }
        switch host.transport {
        case .local:
            let root = host.root.hasPrefix("/") ? host.root : FileSystem.join(FileSystem.currentDirectory(), host.root)
            return LocalTransport(hostName: name, root: FileSystem.normalize(root), executable: executable)
        case .ssh:
            guard let address = host.address else {
                throw GSError("host `\(name)` has no address", hint: "add `address:` to its Host spec")
            }
            return try SSHTransport(
                hostName: name, address: address, port: host.port, user: host.user, identityFile: host.identityFile,
                root: host.root, options: ssh)
        }
    }
}
