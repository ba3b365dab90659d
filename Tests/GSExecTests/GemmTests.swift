import GSExec
import Testing

/// A deterministic pseudo-random sequence (tests must not depend on the system generator).
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func floats(_ count: Int) -> [Float] {
        (0..<count).map { _ in Float.random(in: -1...1, using: &self) }
    }
}

@Suite struct GemmTests {
    /// The textbook triple loop in Double, as the reference.
    func reference(_ m: Int, _ n: Int, _ k: Int, _ a: [Float], _ b: [Float]) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    @Test(arguments: [
        (1, 1, 1), (6, 16, 8), (7, 17, 300), (13, 33, 5), (64, 100, 257), (130, 70, 600), (5, 2000, 3),
        (9, 2500, 20), (22, 1, 88), (7, 1, 5),
    ])
    func matchesTheTripleLoop(shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        var random = SplitMix(state: UInt64(m * 1000 + n * 10 + k))
        let a = random.floats(m * k)
        let b = random.floats(k * n)
        var c = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    Gemm.multiply(
                        m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                        c: pc.baseAddress!, ldc: n)
                }
            }
        }
        let expected = reference(m, n, k, a, b)
        let worst = zip(c, expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= 1e-4 * Float(k).squareRoot(), "max error \(worst)")
    }

    /// On an AVX-512 CPU the tiles run GSKernelsAVX512's copy of the micro-kernel; it must
    /// give the same bits as the AVX2 one (same fused multiply-adds, same order), writing and
    /// accumulating, whole and partial tiles.
    @Test(.enabled(if: CPUFeatures.has("avx512f"), "needs an AVX-512 CPU"))
    func theAVX512KernelGivesTheSameBits() {
        let saved = Gemm.useAVX512
        defer { Gemm.useAVX512 = saved }
        for (m, n, k) in [(7, 2100, 37), (12, 16, 300), (6, 40, 3)] {
            var random = SplitMix(state: UInt64(m + n + k))
            let a = random.floats(m * k)
            let b = random.floats(k * n)
            let start = random.floats(m * n)
            var results: [[Float]] = []
            for avx512 in [false, true] {
                for accumulate in [false, true] {
                    Gemm.useAVX512 = avx512
                    var c = start
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                Gemm.multiply(
                                    m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                                    c: pc.baseAddress!, ldc: n, accumulate: accumulate)
                            }
                        }
                    }
                    results.append(c)
                }
            }
            #expect(results[0] == results[2], "\(m)x\(n)x\(k) writing")
            #expect(results[1] == results[3], "\(m)x\(n)x\(k) accumulating")
        }
    }

    @Test func accumulateAddsToC() {
        let a: [Float] = [1, 2, 3, 4]  // 2x2
        let b: [Float] = [1, 0, 0, 1]
        var c: [Float] = [10, 10, 10, 10]
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    Gemm.multiply(
                        m: 2, n: 2, k: 2, a: pa.baseAddress!, lda: 2, b: pb.baseAddress!, ldb: 2, c: pc.baseAddress!,
                        ldc: 2, accumulate: true)
                }
            }
        }
        #expect(c == [11, 12, 13, 14])
        // Matrix times vector (n = 1) takes its own path, accumulating too.
        let x: [Float] = [1, 1]
        var y: [Float] = [10, 10]
        a.withUnsafeBufferPointer { pa in
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    Gemm.multiply(
                        m: 2, n: 1, k: 2, a: pa.baseAddress!, lda: 2, b: px.baseAddress!, ldb: 1, c: py.baseAddress!,
                        ldc: 1, accumulate: true)
                }
            }
        }
        #expect(y == [13, 17])
    }
}
