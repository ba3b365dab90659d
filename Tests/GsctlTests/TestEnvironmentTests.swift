import GSTestHosts
import Testing

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The SSH end-to-end suites skip themselves where namespace hosts cannot be made (no root,
/// no CAP_NET_ADMIN, no sshd). CI sets `GSCTL_REQUIRE_NAMESPACE_HOSTS=1` (`.ci/run`) so that
/// a machine where they would skip fails here, naming why, instead of passing untested.
@Suite struct TestEnvironmentTests {
    @Test func namespaceHostsAreAvailableWhereRequired() {
        guard let required = getenv("GSCTL_REQUIRE_NAMESPACE_HOSTS"), String(cString: required) == "1" else { return }
        #expect(NamespaceHosts.isAvailable, "the SSH suites would skip: \(NamespaceHosts.skipComment)")
    }
}
