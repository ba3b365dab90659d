import Foundation
import GSExec
import Testing

@Test func gemmPerfScratch() {
    guard ProcessInfo.processInfo.environment["GSCTL_PERF"] == "1" else { return }
    for (m, n, k) in [(256, 256, 256), (512, 512, 512), (64, 5625, 288), (1024, 100, 1024)] {
        var random = SplitMix(state: 1)
        let a = random.floats(m * k)
        let b = random.floats(k * n)
        var c = [Float](repeating: 0, count: m * n)
        let start = Date()
        let reps = 20
        for _ in 0..<reps {
            a.withUnsafeBufferPointer { pa in
                b.withUnsafeBufferPointer { pb in
                    c.withUnsafeMutableBufferPointer { pc in
                        Gemm.multiply(
                            m: m, n: n, k: k, a: pa.baseAddress!, lda: k, b: pb.baseAddress!, ldb: n,
                            c: pc.baseAddress!, ldc: n)
                    }
                }
            }
        }
        let seconds = Date().timeIntervalSince(start) / Double(reps)
        print("gemm \(m)x\(n)x\(k): \(String(format: "%.2f", 2.0 * Double(m * n * k) / seconds / 1e9)) GFLOP/s")
    }
}
