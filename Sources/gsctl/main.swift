import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

// A write to a child or a peer that has gone (an ssh link cut mid-transfer) must be an
// error the caller reports, not a signal that kills gsctl.
signal(SIGPIPE, SIG_IGN)
exit(CLI.run(Array(CommandLine.arguments.dropFirst())).rawValue)
