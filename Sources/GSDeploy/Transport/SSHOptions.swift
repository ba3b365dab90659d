import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// How gsctl drives the system's OpenSSH client: which host keys it trusts, where the shared
/// (multiplexed) connections live, and how soon a dead link is given up on.
public struct SSHOptions: Sendable, Equatable {
    /// The only host keys trusted (`<repo>/.gsctl/known_hosts`): a key not in it is refused,
    /// never added silently.
    public var knownHostsFile: String
    /// Where the control sockets of shared connections live: private (0700) and short, as a
    /// unix socket path is limited to 108 bytes (ssh adds 41 for the name and 17 while creating it).
    public var controlDirectory: String
    /// Seconds to wait for the TCP connection and the SSH handshake.
    public var connectTimeout: Int
    /// Seconds between keepalives on an open connection...
    public var serverAliveInterval: Int
    /// ...and how many may go unanswered before ssh declares the link dead.
    public var serverAliveCountMax: Int
    /// Seconds a shared connection stays open after its last use.
    public var controlPersist: Int
    /// The slowest link an install still allows: the install timeout grows by one second for
    /// every this many bytes.
    public var installBytesPerSecond: Int

    public init(
        knownHostsFile: String, controlDirectory: String = SSHOptions.defaultControlDirectory,
        connectTimeout: Int = 5, serverAliveInterval: Int = 2, serverAliveCountMax: Int = 3,
        controlPersist: Int = 60, installBytesPerSecond: Int = 256 << 10
    ) {
        self.knownHostsFile = knownHostsFile
        self.controlDirectory = controlDirectory
        self.connectTimeout = connectTimeout
        self.serverAliveInterval = serverAliveInterval
        self.serverAliveCountMax = serverAliveCountMax
        self.controlPersist = controlPersist
        self.installBytesPerSecond = installBytesPerSecond
    }

    /// The options for a repository: its known hosts in `<repository>/.gsctl/known_hosts`.
    public static func forRepository(_ repository: String) -> SSHOptions {
        SSHOptions(knownHostsFile: FileSystem.join(FileSystem.join(repository, ".gsctl"), "known_hosts"))
    }

    /// `/tmp/gsctl-ssh-<uid>`.
    public static var defaultControlDirectory: String { "/tmp/gsctl-ssh-\(geteuid())" }

    /// Seconds of silence after which ssh drops an open connection.
    public var deadLinkSeconds: Int { serverAliveInterval * serverAliveCountMax }

    /// The longest control directory path ssh can still place its sockets in.
    static let controlDirectoryLimit = 49

    /// Creates the control directory (0700) or checks that an existing one is a real directory
    /// of this user that nobody else can enter (another user could otherwise hijack the
    /// sockets, and with them the connections).
    func prepareControlDirectory() throws(GSError) {
        let path = controlDirectory
        guard path.utf8.count <= Self.controlDirectoryLimit else {
            throw GSError(
                "the ssh control directory '\(path)' is longer than \(Self.controlDirectoryLimit) bytes",
                hint: "unix socket paths are limited to 108 bytes; use a short directory such as "
                    + "'\(Self.defaultControlDirectory)'")
        }
        if mkdir(path, 0o700) != 0, errno != EEXIST {
            throw GSError("cannot create the ssh control directory '\(path)': \(FileSystem.errnoText())")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw GSError("cannot inspect the ssh control directory '\(path)': \(FileSystem.errnoText())")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == geteuid() else {
            throw GSError(
                "the ssh control directory '\(path)' is not a directory owned by this user",
                hint: "remove it, or choose another control directory")
        }
        if info.st_mode & 0o077 != 0, chmod(path, 0o700) != 0 {
            throw GSError("cannot make '\(path)' private: \(FileSystem.errnoText())")
        }
    }
}
