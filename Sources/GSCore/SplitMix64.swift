/// Steele, Lea and Flood's SplitMix64: a small pseudo-random sequence fixed by its seed. The
/// standard library's generator is seeded randomly, and what gsctl draws (generated inputs,
/// bootstrap resamples) must be the same on every run so builds and reports reproduce.
public struct SplitMix64: Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
