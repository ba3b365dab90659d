/// GSExec's GEMM micro-kernel compiled for x86-64-v4 (AVX-512): the same 6x16 tile over the
/// same packed panels, its sixteen-lane accumulators one zmm register each instead of two
/// ymm halves. Only called after GSExec has checked the CPU has AVX-512F (one binary runs
/// on AVX2-only hosts too); everything else stays compiled for Haswell.
public func microKernel512(
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
