/// The GEMM micro-kernel: a 6x16 block of C from packed panels (6-row panels of A, 16-column
/// panels of B, both k-major), six sixteen-lane accumulators kept in registers for
/// the whole k loop.
///
/// One source, compiled twice: this file lives in GSKernelsAVX512 (built for skylake-avx512,
/// each accumulator one zmm register) and is linked into GSExec/Kernels (built for Haswell,
/// each accumulator two ymm halves). GSExec calls `GSKernelsAVX512.microKernel` only on CPUs
/// with AVX-512F, so one binary runs on AVX2-only hosts too, and both give the same bits
/// (the same fused multiply-adds in the same order).
public func microKernel(
    k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, cols: Int, add: Bool
) {
    var c0 = SIMD16<Float>()
    var c1 = SIMD16<Float>()
    var c2 = SIMD16<Float>()
    var c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>()
    var c5 = SIMD16<Float>()
    let bv = UnsafeRawPointer(b)
    var ap = a
    for p in 0..<k {
        let bp = bv.loadUnaligned(fromByteOffset: p * 64, as: SIMD16<Float>.self)
        c0.addProduct(SIMD16(repeating: ap[0]), bp)
        c1.addProduct(SIMD16(repeating: ap[1]), bp)
        c2.addProduct(SIMD16(repeating: ap[2]), bp)
        c3.addProduct(SIMD16(repeating: ap[3]), bp)
        c4.addProduct(SIMD16(repeating: ap[4]), bp)
        c5.addProduct(SIMD16(repeating: ap[5]), bp)
        ap += 6
    }
    let tile = (c0, c1, c2, c3, c4, c5)
    if cols == 16 {
        // Whole rows of the tile: one sixteen-lane store (or load, add, store) each.
        withUnsafeBytes(of: tile) { raw in
            for r in 0..<rows {
                let row = UnsafeMutableRawPointer(c + r * ldc)
                var value = raw.loadUnaligned(fromByteOffset: r * 64, as: SIMD16<Float>.self)
                if add { value += row.loadUnaligned(as: SIMD16<Float>.self) }
                row.storeBytes(of: value, as: SIMD16<Float>.self)
            }
        }
        return
    }
    withUnsafeBytes(of: tile) { raw in
        let values = raw.bindMemory(to: Float.self)
        for r in 0..<rows {
            let row = c + r * ldc
            let base = r * 16
            if add {
                for j in 0..<cols { row[j] += values[base + j] }
            } else {
                for j in 0..<cols { row[j] = values[base + j] }
            }
        }
    }
}
