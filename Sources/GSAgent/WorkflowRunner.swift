import GSCore

/// What activation needs from whatever runs the workflow's tasks: stop the running
/// release's tasks, start the current release's, and say when they are up (the workflow's
/// own probes). The supervisor implements it on hosts; tests substitute scripted runners.
public protocol WorkflowRunner: Sendable {
    func stop(_ layout: HostLayout) throws(GSError)
    func start(_ layout: HostLayout) throws(GSError)
    /// Waits up to `timeout` seconds for every service to be ready and every job to have
    /// succeeded; returns the problems (empty: healthy).
    func waitHealthy(_ layout: HostLayout, timeout: Double) -> [String]
    /// Whether the workflow of the active release is being run (a host that rebooted, or
    /// whose supervisor was stopped, is active but not running).
    func isRunning(_ layout: HostLayout) -> Bool
}

extension WorkflowRunner {
    public func isRunning(_ layout: HostLayout) -> Bool { true }
}

/// For releases without a workflow to run (model-only bundles) and for tests of the
/// file-level steps.
public struct NoWorkflow: WorkflowRunner {
    public init() {}
    public func stop(_ layout: HostLayout) throws(GSError) {}
    public func start(_ layout: HostLayout) throws(GSError) {}
    public func waitHealthy(_ layout: HostLayout, timeout: Double) -> [String] { [] }
}
