extension Supervisor {
    /// What happens after a task's process exits: the restart policy and its backoff, as a
    /// pure function so the rules are read (and tested) in one place.
    enum RestartDecision: Equatable {
        /// Start it again after this many seconds.
        case restart(after: Double)
        /// Finished for good: a job that succeeded, a service that exited 0 under on-failure.
        case succeeded
        /// Finished for good, failed: policy `never`, or `maxRestarts` used up.
        case failed(gaveUp: Bool)

        /// - Parameters:
        ///   - exitCode: nil when unknown (a process adopted after a supervisor restart).
        ///   - forcedFailure: the supervisor killed it (unhealthy, timed out): a failure
        ///     whatever the exit code.
        ///   - restarts: restarts so far.
        ///   - streak: quick exits in a row before this one (the backoff exponent).
        static func after(
            _ task: SupervisedTask, exitCode: Int32?, forcedFailure: Bool, restarts: Int, streak: Int
        ) -> RestartDecision {
            let failed = forcedFailure || exitCode != 0
            let rule = task.restart
            // A job completes: `always` restarts it only until it succeeds.
            if !failed, task.mode == .job || rule.policy != .always { return .succeeded }
            if rule.policy == .never { return .failed(gaveUp: false) }
            if let limit = rule.maxRestarts, restarts >= limit { return .failed(gaveUp: true) }
            return .restart(after: delay(rule, streak: streak))
        }

        /// `backoffSeconds` doubling with each quick exit in a row, capped at `maxBackoffSeconds`.
        static func delay(_ rule: SupervisedTask.Restart, streak: Int) -> Double {
            var delay = rule.backoffSeconds
            for _ in 0..<min(max(0, streak), 62) {
                delay *= 2
                if delay >= rule.maxBackoffSeconds { break }
            }
            return min(delay, max(rule.maxBackoffSeconds, rule.backoffSeconds))
        }
    }
}
