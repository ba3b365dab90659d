/// The one exit-code table every gsctl command uses (documented in docs/cli.md).
///
/// CI jobs gate on these numbers, so they never change meaning.
public enum ExitCode: Int32, Sendable, CaseIterable {
    /// Everything succeeded, nothing to report.
    case success = 0
    /// Errors, or findings that fail the run (lint errors; warnings with `--strict`).
    case failure = 1
    /// Changes are pending (`gsctl diff`).
    case changesPending = 2
    /// Partial: some hosts did not converge and were left on their previous release.
    case partial = 3
    /// The command line itself was wrong (unknown flag, missing argument).
    case usage = 64

    public var meaning: String {
        switch self {
        case .success: "success"
        case .failure: "errors or findings"
        case .changesPending: "changes pending (diff)"
        case .partial: "partial: some hosts not converged"
        case .usage: "usage error"
        }
    }
}
