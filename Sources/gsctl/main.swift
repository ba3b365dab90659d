import GSCore

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

exit(CLI.run(Array(CommandLine.arguments.dropFirst())).rawValue)
