import Dispatch
import GSKernelsAVX512

#if canImport(Glibc)
    import Glibc
#endif

/// Single-precision matrix multiply, the kernel under Conv, Gemm and MatMul.
///
/// `C[m×n] (+)= A[m×k] · B[k×n]`, all row-major with leading dimensions. Blocked the way
/// BLAS libraries do it: B is packed into 16-column panels and A into 6-row panels so the
/// 6×16 micro-kernel streams both from cache with twelve SIMD accumulators (six 16-lane
/// registers on AVX-512, twelve 8-lane ones on AVX2); the column range is split across
/// cores, each thread packing its own panels, so no locks are needed.
public enum Gemm {
    static let mr = 6
    static let nr = 16
    static let kc = 256
    static let mc = 96
    /// Columns per packed block of B: 256 x 1024 floats (1 MiB) stay in cache while every
    /// row block of A passes over them (a convolution's n is its whole image, 22,500 columns
    /// for SSDLite's first layers).
    static let nc = 1024

    /// Whether tiles run GSKernelsAVX512's copy of the micro-kernel: on CPUs with AVX-512F
    /// (results are bit-identical: the same fused multiply-adds in the same order), unless
    /// `GSCTL_NO_AVX512` is set.
    nonisolated(unsafe) public static var useAVX512 = CPUFeatures.has("avx512f") && getenv("GSCTL_NO_AVX512") == nil

    /// Multiplies on every core when the product is large enough to pay for threads.
    public static func multiply(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool = false
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if !accumulate { for i in 0..<m { (c + i * ldc).update(repeating: 0, count: n) } }
            return
        }
        if n == 1, ldb == 1 {
            // A matrix times a vector (a squeeze-and-excitation block's 1x1 convolutions on
            // a pooled 1x1 map): dot products, no packing.
            vector(m: m, k: k, a: a, lda: lda, x: b, y: c, ldc: ldc, accumulate: accumulate)
            return
        }
        let work = m * n * k
        let threads = work < 1 << 18 ? 1 : min(Parallel.cores * 2, max(1, n / nr))
        if threads == 1 {
            serial(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, c: c, ldc: ldc, accumulate: accumulate)
            return
        }
        // Column chunks rounded to whole panels, one per task.
        let panels = (n + nr - 1) / nr
        let perTask = (panels + threads - 1) / threads
        let pointers = GemmPointers(a: a, b: b, c: c)
        DispatchQueue.concurrentPerform(iterations: threads) { task in
            let first = task * perTask * nr
            let last = min(n, first + perTask * nr)
            guard first < last else { return }
            serial(
                m: m, n: last - first, k: k, a: pointers.a, lda: lda, b: pointers.b + first, ldb: ldb,
                c: pointers.c + first, ldc: ldc, accumulate: accumulate)
        }
    }

    /// `y[i·ldc] (+)= A[i, :] · x` for every row, eight lanes at a time along k.
    static func vector(
        m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, x: UnsafePointer<Float>,
        y: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        for i in 0..<m {
            let row = a + i * lda
            var lanes = SIMD8<Float>()
            var p = 0
            while p + 8 <= k {
                let w = UnsafeRawPointer(row + p).loadUnaligned(as: SIMD8<Float>.self)
                let v = UnsafeRawPointer(x + p).loadUnaligned(as: SIMD8<Float>.self)
                lanes.addProduct(w, v)
                p += 8
            }
            var sum = lanes.sum()
            while p < k {
                sum += row[p] * x[p]
                p += 1
            }
            y[i * ldc] = accumulate ? y[i * ldc] + sum : sum
        }
    }

    /// One thread's share: loops over k blocks, column blocks and row blocks.
    static func serial(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool
    ) {
        let packedB = UnsafeMutablePointer<Float>.allocate(capacity: min(n, nc) / nr * nr * kc + nr * kc)
        let packedA = UnsafeMutablePointer<Float>.allocate(capacity: ((mc + mr - 1) / mr) * mr * kc)
        defer {
            packedB.deallocate()
            packedA.deallocate()
        }
        var j0 = 0
        while j0 < n {
            let nb = min(nc, n - j0)
            block(
                m: m, n: nb, k: k, a: a, lda: lda, b: b + j0, ldb: ldb, c: c + j0, ldc: ldc, accumulate: accumulate,
                packedA: packedA, packedB: packedB)
            j0 += nb
        }
    }

    /// One block of columns: loops over k blocks and row blocks.
    static func block(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        accumulate: Bool, packedA: UnsafeMutablePointer<Float>, packedB: UnsafeMutablePointer<Float>
    ) {
        let panelsN = (n + nr - 1) / nr
        var k0 = 0
        while k0 < k {
            let kb = min(kc, k - k0)
            packB(b + k0 * ldb, ldb: ldb, n: n, k: kb, into: packedB)
            // The first k block writes C (or adds to it when accumulating); later ones add.
            let add = accumulate || k0 > 0
            var i0 = 0
            while i0 < m {
                let mb = min(mc, m - i0)
                packA(a + i0 * lda + k0, lda: lda, m: mb, k: kb, into: packedA)
                var panelRow = 0
                while panelRow * mr < mb {
                    let rows = min(mr, mb - panelRow * mr)
                    let aPanel = packedA + panelRow * mr * kb
                    for panel in 0..<panelsN {
                        let cols = min(nr, n - panel * nr)
                        if useAVX512 {
                            GSKernelsAVX512.microKernel(
                                k: kb, a: aPanel, b: packedB + panel * nr * kb,
                                c: c + (i0 + panelRow * mr) * ldc + panel * nr, ldc: ldc,
                                rows: rows, cols: cols, add: add)
                        } else {
                            GSExec.microKernel(
                                k: kb, a: aPanel, b: packedB + panel * nr * kb,
                                c: c + (i0 + panelRow * mr) * ldc + panel * nr, ldc: ldc,
                                rows: rows, cols: cols, add: add)
                        }
                    }
                    panelRow += 1
                }
                i0 += mb
            }
            k0 += kb
        }
    }

    /// B[k×n] into panels of 16 columns, each k-major and zero-padded at the right edge.
    static func packB(_ b: UnsafePointer<Float>, ldb: Int, n: Int, k: Int, into out: UnsafeMutablePointer<Float>) {
        let panels = (n + nr - 1) / nr
        for panel in 0..<panels {
            let j0 = panel * nr
            let cols = min(nr, n - j0)
            let dst = out + panel * nr * k
            if cols == nr {
                for p in 0..<k {
                    let panelRow = UnsafeRawPointer(b + p * ldb + j0).loadUnaligned(as: SIMD16<Float>.self)
                    UnsafeMutableRawPointer(dst + p * nr).storeBytes(of: panelRow, as: SIMD16<Float>.self)
                }
            } else {
                for p in 0..<k {
                    let row = b + p * ldb + j0
                    let target = dst + p * nr
                    for j in 0..<cols { target[j] = row[j] }
                    for j in cols..<nr { target[j] = 0 }
                }
            }
        }
    }

    /// A[m×k] into panels of 6 rows, k-major (the 6 values of one k together), zero-padded.
    static func packA(_ a: UnsafePointer<Float>, lda: Int, m: Int, k: Int, into out: UnsafeMutablePointer<Float>) {
        var panel = 0
        while panel * mr < m {
            let i0 = panel * mr
            let rows = min(mr, m - i0)
            let dst = out + panel * mr * k
            if rows == mr {
                let r0 = a + i0 * lda
                let r1 = r0 + lda
                let r2 = r1 + lda
                let r3 = r2 + lda
                let r4 = r3 + lda
                let r5 = r4 + lda
                for p in 0..<k {
                    let t = dst + p * mr
                    t[0] = r0[p]
                    t[1] = r1[p]
                    t[2] = r2[p]
                    t[3] = r3[p]
                    t[4] = r4[p]
                    t[5] = r5[p]
                }
            } else {
                for p in 0..<k {
                    let t = dst + p * mr
                    for r in 0..<rows { t[r] = a[(i0 + r) * lda + p] }
                    for r in rows..<mr { t[r] = 0 }
                }
            }
            panel += 1
        }
    }
}

/// Raw pointers handed to worker threads; each thread writes a disjoint column range of C.
struct GemmPointers: @unchecked Sendable {
    let a: UnsafePointer<Float>
    let b: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>
}

/// How many threads kernels split work over.
public enum Parallel {
    public static let cores: Int = {
        #if canImport(Glibc)
            return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
            return 1
        #endif
    }()
}
