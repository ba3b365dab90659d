import GSCore

/// One task of a release's workflow as the supervisor runs it: the manifest's
/// `workflowGraph.tasks[i]` with defaults filled in and the model resolved to a file.
///
/// Its own type (rather than GSSpec's `WorkflowTask`) because the agent on a host reads only
/// the manifest, never the specs, and must run bundles built by older or newer gsctl.
public struct SupervisedTask: Sendable, Hashable {
    /// A service runs until stopped and is kept running; a job runs to completion.
    public enum Mode: String, Sendable, Hashable {
        case service, job
    }

    /// When a task that exited is started again.
    public enum Policy: String, Sendable, Hashable {
        case always
        case onFailure = "on-failure"
        case never
    }

    /// The restart policy with its exponential backoff.
    public struct Restart: Sendable, Hashable {
        public var policy: Policy
        public var backoffSeconds: Double
        public var maxBackoffSeconds: Double
        /// nil: no limit.
        public var maxRestarts: Int?

        public init(policy: Policy, backoffSeconds: Double = 1, maxBackoffSeconds: Double = 60, maxRestarts: Int? = nil)
        {
            self.policy = policy
            self.backoffSeconds = backoffSeconds
            self.maxBackoffSeconds = maxBackoffSeconds
            self.maxRestarts = maxRestarts
        }
    }

    /// A probe that says whether a running service works (and so whether it is ready).
    public struct Health: Sendable, Hashable {
        public enum Check: Sendable, Hashable {
            /// HTTP/1.0 GET of `path` on 127.0.0.1:`port`; any 2xx is healthy.
            case http(path: String, port: Int)
            /// `argv` run in the release directory; exit 0 is healthy.
            case exec([String])
        }

        public var check: Check
        public var initialDelaySeconds: Double
        public var periodSeconds: Double
        public var timeoutSeconds: Double
        /// Consecutive failures that make the task unhealthy (and restart it).
        public var failureThreshold: Int

        public init(
            check: Check, initialDelaySeconds: Double = 0, periodSeconds: Double = 10, timeoutSeconds: Double = 1,
            failureThreshold: Int = 3
        ) {
            self.check = check
            self.initialDelaySeconds = initialDelaySeconds
            self.periodSeconds = periodSeconds
            self.timeoutSeconds = timeoutSeconds
            self.failureThreshold = failureThreshold
        }
    }

    public var name: String
    public var uses: String
    public var mode: Mode
    public var command: [String]
    public var args: [String]
    public var env: [String: String]
    public var needs: [String]
    public var params: JSONValue
    public var output: String
    public var port: Int?
    /// The model's name in the manifest's `models`.
    public var model: String?
    /// The model variant's file, relative to the release directory.
    public var modelFile: String?
    public var environment: String?
    public var restart: Restart
    public var health: Health?
    /// A job still running after this long is killed and counts as failed.
    public var timeoutSeconds: Double?
    /// `resources.cpu`: the cores the task may use. Passed to it (`GS_CPUS` and the usual
    /// thread-count variables) so its thread pools fit; a task sized for every core of a small
    /// device takes the CPU its workflow's other stages need.
    public var cpu: Double?
    /// `resources.memoryMB`: the most resident memory its process group may hold; the
    /// supervisor restarts a task that goes over (its restart policy applies).
    public var memoryMB: Int?

    public init(
        name: String, mode: Mode, command: [String], args: [String] = [], env: [String: String] = [:],
        needs: [String] = [], params: JSONValue = .null, port: Int? = nil, restart: Restart? = nil,
        health: Health? = nil
    ) {
        self.name = name
        self.uses = "command"
        self.mode = mode
        self.command = command
        self.args = args
        self.env = env
        self.needs = needs
        self.params = params
        self.output = "none"
        self.port = port
        self.restart = restart ?? Restart(policy: mode == .service ? .always : .never)
        self.health = health
    }
}
