import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The active-release switch: a new symlink under a temporary name renamed over `current`
/// (rename is atomic, so a reader or a crash sees the old target or the new, never none).
public enum CurrentLink {
    public static func point(_ layout: HostLayout, to release: String?) throws(GSError) {
        guard let release else {
            unlink(layout.current)
            syncDirectory(layout.root)
            return
        }
        let temporary = layout.current + ".tmp-\(getpid())"
        unlink(temporary)
        guard symlink("releases/" + release, temporary) == 0 else {
            throw GSError("cannot create the link `\(temporary)`: \(FileSystem.errnoText())")
        }
        guard FileSystem.rename(temporary, to: layout.current) else {
            let reason = FileSystem.errnoText()
            unlink(temporary)
            throw GSError("cannot switch `\(layout.current)` to \(release): \(reason)")
        }
        syncDirectory(layout.root)
    }
}
