#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Test hook for crash safety: `GSCTL_CRASH_AT=<step>` makes this process die by SIGKILL
/// the moment it reaches `step` (no cleanup, no flush: what a power cut or an OOM kill does).
/// Every host step and controller step names its point, and the tests kill at each one.
public enum CrashHook {
    /// The steps of an activation, in order (the tests iterate over them).
    public static let agentSteps = [
        "lease", "receive", "verify", "assemble", "environment", "pending", "stop", "switch", "golden", "start",
        "health",
        "record",
    ]

    /// The agent steps before `activate` (taking the lease, receiving blobs): an agent killed
    /// there has changed nothing; one killed at any later step was activating.
    public static let beforeActivation: Set<String> = ["lease", "receive"]

    /// Steps only a failed activation reaches: its way back to the previous release.
    public static let rollbackSteps = ["rollback"]

    /// The controller's steps, per host (`gsctl apply` dies there; its agents carry on or
    /// see the connection end).
    public static let controllerSteps = [
        "controller.leased", "controller.prepared", "controller.sending", "controller.sent", "controller.activated",
    ]

    public static func point(_ step: String) {
        guard let wanted = getenv("GSCTL_CRASH_AT") else { return }
        if String(cString: wanted) == step { kill(getpid(), SIGKILL) }
    }
}
