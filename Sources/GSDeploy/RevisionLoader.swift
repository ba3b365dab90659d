import GSCore
import GSSpec

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The desired state at other revisions than the one being applied, each built once on
/// demand (catching a host up to an older release needs that release's bundle). Builds go
/// to a scratch output folder, so `Bundles/` keeps holding the applied revision's bundles,
/// and share the applied build's cache, so an unchanged model is not compiled again.
public final class RevisionLoader: @unchecked Sendable {
    let base: DesiredState.Options
    let scratch: String
    private var loaded: [String: Result<DesiredState, GSError>] = [:]
    private var lock = pthread_mutex_t()

    /// `base`: the options the applied revision was loaded with.
    public init(base: DesiredState.Options) {
        self.base = base
        scratch = "/tmp/gsctl-revisions-\(getpid())"
        pthread_mutex_init(&lock, nil)
    }

    public func load(_ revision: String) -> Result<DesiredState, GSError> {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        if let known = loaded[revision] { return known }
        var options = base
        options.ref = revision
        options.cacheDirectory = base.cacheDirectory ?? FileSystem.join(base.outputDirectory, "cache")
        options.outputDirectory = FileSystem.join(scratch, String(revision.prefix(12)))
        base.progress?("building revision \(revision.prefix(12)) to catch hosts up to it")
        let result: Result<DesiredState, GSError>
        do throws(GSError) {
            result = .success(
                try DesiredState.load(options) { report throws(GSError) in
                    if report.diagnostics.fails(strict: false) {
                        throw GSError(
                            "the specs at \(revision.prefix(12)) have errors",
                            hint: "`git checkout \(revision.prefix(12))` and `gsctl lint` show them")
                    }
                })
        } catch {
            result = .failure(error)
        }
        loaded[revision] = result
        return result
    }

    /// Removes the scratch builds (after the apply: their blobs were what it shipped).
    public func cleanUp() { FileSystem.removeTree(scratch) }
}
