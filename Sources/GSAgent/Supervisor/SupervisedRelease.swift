import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The release the supervisor runs: the directory `ROOT/current` resolves to, with its workflow.
///
/// Resolved once, to an absolute path, when it is loaded: tasks get that path (`GS_RELEASE`,
/// their working directory), so switching the link later never moves a running task's files,
/// and comparing two loads tells whether `current` now names another release.
public struct SupervisedRelease: Sendable, Hashable {
    /// Absolute, links resolved.
    public var directory: String
    /// The directory's name (what status shows).
    public var name: String { FileSystem.basename(directory) }
    public var workflow: SupervisedWorkflow

    public init(directory: String, workflow: SupervisedWorkflow) {
        self.directory = directory
        self.workflow = workflow
    }

    /// The directory `current` resolves to, or nil when there is no such link (or it dangles).
    public static func currentDirectory(_ paths: SupervisorPaths) -> String? {
        guard let resolved = realpath(paths.current, nil) else { return nil }
        defer { free(resolved) }
        let directory = String(cString: resolved)
        return FileSystem.kind(of: directory) == .directory ? directory : nil
    }

    /// The active release with its workflow; nil when none is active.
    public static func current(_ paths: SupervisorPaths) throws(GSError) -> SupervisedRelease? {
        guard let directory = currentDirectory(paths) else { return nil }
        let measured = VariantBench.load(layout: paths.layout, release: FileSystem.basename(directory))
        return SupervisedRelease(
            directory: directory,
            workflow: try SupervisedWorkflow.read(release: directory, choices: VariantBench.choices(measured)))
    }
}
