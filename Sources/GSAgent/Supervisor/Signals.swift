import Synchronization

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Supervisor {
    /// SIGTERM, SIGINT and SIGHUP become flags the loop reads between steps: a handler does
    /// nothing but set an atomic bit (async-signal-safe), and the loop's short sleep is cut
    /// short by the signal, so it reacts at once.
    enum Signals {
        static let pending = Atomic<UInt32>(0)
        static let stopBit: UInt32 = 1
        static let reloadBit: UInt32 = 2

        static func install() {
            // Initialise the global here, never for the first time inside a handler.
            _ = pending.load(ordering: .relaxed)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                let bit = signal == SIGHUP ? Supervisor.Signals.reloadBit : Supervisor.Signals.stopBit
                _ = Supervisor.Signals.pending.bitwiseOr(bit, ordering: .relaxed)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            for signal in [SIGTERM, SIGINT, SIGHUP] { sigaction(signal, &action, nil) }
            // A probe writing to a closed socket must not kill us (sends use MSG_NOSIGNAL too).
            signal(SIGPIPE, SIG_IGN)
        }

        /// The signals received since the last call.
        static func take() -> (stop: Bool, reload: Bool) {
            let bits = pending.exchange(0, ordering: .relaxed)
            return (bits & stopBit != 0, bits & reloadBit != 0)
        }
    }
}
