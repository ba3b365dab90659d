import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// Keeps task logs bounded: `<task>.log` over the limit becomes `.1`, `.1` becomes `.2`,
    /// and so on up to `keep` files; older output is dropped.
    ///
    /// A running task holds its log open (O_APPEND) and keeps doing so across a supervisor
    /// restart, so its file cannot be renamed away from under it: while it runs, the log is
    /// copied to `.1` and truncated in place (the task's next write lands at the new end). A
    /// few lines written between the copy and the truncation may be lost; that is the price of
    /// never sitting between a task and its output (a pipe through us would break the task
    /// when we restart).
    enum LogRotation {
        /// Rotates `path` when it is larger than `limit` bytes. Returns whether it did.
        @discardableResult
        static func rotateIfNeeded(_ path: String, limit: Int, keep: Int, inUse: Bool) -> Bool {
            var info = stat()
            guard stat(path, &info) == 0, Int(info.st_size) > limit else { return false }
            let keep = max(1, keep)
            unlink("\(path).\(keep)")
            if keep > 1 {
                for index in stride(from: keep - 1, through: 1, by: -1) {
                    _ = FileSystem.rename("\(path).\(index)", to: "\(path).\(index + 1)")
                }
            }
            if inUse {
                guard let bytes = try? FileSystem.read(path) else { return false }
                try? FileSystem.writeAtomically(bytes, to: "\(path).1")
                truncate(path, 0)
            } else {
                _ = FileSystem.rename(path, to: "\(path).1")
            }
            return true
        }
    }
}
