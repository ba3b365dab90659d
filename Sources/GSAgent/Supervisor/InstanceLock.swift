import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// `ROOT/run/supervisor.lock`: an flock held for the supervisor's whole life (the kernel
    /// drops it when the process dies, however it dies, so a crash never wedges the root) and
    /// the holder's pid written inside, for `reload` and `stop` to signal.
    final class InstanceLock {
        private let descriptor: Int32

        private init(descriptor: Int32) { self.descriptor = descriptor }

        deinit { close(descriptor) }

        /// The lock with our pid recorded, or nil when another process holds it. Retries for
        /// about a second: `holder` takes the lock for an instant to test it.
        static func acquire(_ paths: SupervisorPaths) throws(GSError) -> InstanceLock? {
            // O_CLOEXEC matters: a task that inherited this descriptor would hold the lock
            // after we die, and no supervisor could start again.
            let fd = open(paths.lock, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw GSError("cannot open `\(paths.lock)`: \(FileSystem.errnoText())") }
            var attempts = 0
            while flock(fd, LOCK_EX | LOCK_NB) != 0 {
                attempts += 1
                guard errno == EWOULDBLOCK || errno == EINTR, attempts < 20 else {
                    close(fd)
                    return nil
                }
                usleep(50_000)
            }
            let text = Array("\(getpid())\n".utf8)
            ftruncate(fd, 0)
            _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
            return InstanceLock(descriptor: fd)
        }

        /// The pid of the supervisor holding the lock; nil when none runs (0 when one runs but
        /// has not written its pid yet).
        static func holder(_ paths: SupervisorPaths) -> pid_t? {
            let fd = open(paths.lock, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            if flock(fd, LOCK_SH | LOCK_NB) == 0 {
                flock(fd, LOCK_UN)
                return nil
            }
            for _ in 0..<10 {
                var buffer = [UInt8](repeating: 0, count: 32)
                let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
                let digits = buffer.prefix(max(0, count)).filter { $0 >= 0x30 && $0 <= 0x39 }
                if let pid = pid_t(String(decoding: digits, as: UTF8.self)), pid > 0 { return pid }
                usleep(10_000)
            }
            return 0
        }
    }
}
