import GSCore

/// A fixed buffer at a stable address for streaming copies (archive <-> file <-> hasher).
///
/// Streaming loops call throwing functions on each chunk; `Array.withUnsafeBytes` closures
/// cannot throw a typed error, so the buffer is owned here and lent out as pointers.
final class ChunkBuffer {
    let raw: UnsafeMutableRawBufferPointer

    init(size: Int = 1 << 20) {
        raw = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)
    }

    deinit { raw.deallocate() }

    /// The first `count` bytes.
    func prefix(_ count: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: raw[0..<count])
    }
}

extension Array where Element == UInt8 {
    /// Runs a typed-throwing body over the bytes (`withUnsafeBytes` itself rethrows untyped).
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) throws(GSError) -> T) throws(GSError) -> T {
        try withUnsafeBytes { raw in Result { () throws(GSError) in try body(raw) } }.get()
    }
}
