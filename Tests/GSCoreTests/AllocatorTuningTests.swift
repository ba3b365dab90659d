import GSCore
import Testing

/// The compile commands' allocator settings reach glibc: found through `dlsym` (Swift's
/// Glibc module does not import `mallopt`) and accepted, so neither value is out of range.
@Suite struct AllocatorTuningTests {
    @Test func glibcAcceptsBothThresholds() {
        #if canImport(Glibc)
            #expect(AllocatorTuning.keepFreedMemoryForReuse())
        #endif
    }
}
