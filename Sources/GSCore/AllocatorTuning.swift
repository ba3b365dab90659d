#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// Keeps freed memory in the process for reuse during batch work (compiling, calibrating).
///
/// The executor allocates and frees tensors of hundreds of KB to tens of MB at every node,
/// thousands of times per calibration. glibc serves such sizes from fresh mmaps and returns
/// freed heap tops to the system, so every run of a node page-faults and has the kernel
/// zero its output again (in a profile of `gsctl model optimize` on PP-OCRv4 det, ~15% of
/// the time in `clear_page_erms`, page faults and memset). Raising both thresholds lets
/// those blocks be reused: the same compile ran 12-20% faster with the same peak memory.
/// Only short-lived commands call this; the agent, which runs for months next to a
/// service, keeps glibc's defaults and gives memory back.
public enum AllocatorTuning {
    /// glibc's `mallopt` parameters (malloc.h); not every Glibc module map exports them.
    private static let trimThreshold: Int32 = -1
    private static let mmapThreshold: Int32 = -3

    /// True when glibc took both settings (false elsewhere: nothing to tune).
    @discardableResult
    public static func keepFreedMemoryForReuse() -> Bool {
        #if canImport(Glibc)
            // Swift's Glibc module does not import malloc.h's `mallopt`; the C library has it.
            typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
            guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return false }
            let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
            // 32 MiB is the largest mmap threshold glibc accepts on 64-bit (it returns 0 above).
            return mallopt(mmapThreshold, 32 << 20) == 1 && mallopt(trimThreshold, 512 << 20) == 1
        #else
            return false
        #endif
    }
}
