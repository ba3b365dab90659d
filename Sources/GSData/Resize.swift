/// Bilinear resizing that gives the same bytes as OpenCV's
/// `cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)` on 8-bit images.
///
/// The deployed pipelines (PP-OCR and friends) preprocess with OpenCV, so calibration and
/// accuracy checks must see the very pixels they see. OpenCV's 8-bit path is fixed point:
/// pixel centres at `(d + 0.5) * scale - 0.5` computed in float, weights rounded to
/// 11 bits (x 2048), a horizontal pass into 32-bit sums, then a vertical pass that shifts
/// each term (`(b * (s >> 4)) >> 16`) and rounds with `(t + 2) >> 2`. Borders repeat the
/// edge pixel. There is no antialiasing when shrinking. An exact 2x shrink in both axes
/// takes OpenCV's area path instead (mean of each 2x2 block, rounded half up), as here.
public enum Resize {
    /// OpenCV's `INTER_RESIZE_COEF_BITS`: weights are integers out of 2048.
    static let coefficientScale: Float = 2048

    public static func linear(_ image: Image, width: Int, height: Int) -> Image {
        precondition(width > 0 && height > 0, "resize target must be at least 1x1")
        if width == image.width && height == image.height { return image }
        var out = [UInt8](repeating: 0, count: width * height * 3)
        image.pixels.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { target in
                linear(
                    source: source, width: image.width, height: image.height, channels: 3,
                    target: target, width: width, height: height)
            }
        }
        return Image(unchecked: width, height: height, pixels: out)
    }

    /// The kernel on interleaved 8-bit data with `channels` samples per pixel.
    static func linear(
        source: UnsafeBufferPointer<UInt8>, width sw: Int, height sh: Int, channels cn: Int,
        target: UnsafeMutableBufferPointer<UInt8>, width dw: Int, height dh: Int
    ) {
        let scaleX = 1.0 / (Double(dw) / Double(sw))
        let scaleY = 1.0 / (Double(dh) / Double(sh))
        if isExactlyTwo(scaleX), isExactlyTwo(scaleY) {
            halve(source: source, width: sw, channels: cn, target: target, width: dw, height: dh)
            return
        }

        // Horizontal taps: the first source sample of each output pixel and two weights.
        var offsets = [Int](repeating: 0, count: dw)
        var weights = [Int32](repeating: 0, count: dw * 2)
        var twoTapEnd = dw  // from here on the right neighbour is past the edge: one tap
        for dx in 0..<dw {
            var fx = Float((Double(dx) + 0.5) * scaleX - 0.5)
            var sx = Int(fx.rounded(.down))
            fx -= Float(sx)
            if sx < 0 {
                fx = 0
                sx = 0
            }
            if sx + 1 >= sw {
                twoTapEnd = min(twoTapEnd, dx)
                if sx >= sw - 1 {
                    fx = 0
                    sx = sw - 1
                }
            }
            offsets[dx] = sx * cn
            weights[dx * 2] = fixedPoint(1 - fx)
            weights[dx * 2 + 1] = fixedPoint(fx)
        }

        let rowLength = dw * cn
        var rowBuffer = [Int32](repeating: 0, count: rowLength * 2)
        offsets.withUnsafeBufferPointer { offsets in
            weights.withUnsafeBufferPointer { weights in
                rowBuffer.withUnsafeMutableBufferPointer { rows in
                    guard let base = rows.baseAddress else { return }
                    var rowSources = (UnsafeMutablePointer(base), UnsafeMutablePointer(base + rowLength))
                    var cached = (-1, -1)

                    func horizontal(_ sy: Int, into row: UnsafeMutablePointer<Int32>) {
                        let line = source.baseAddress! + sy * sw * cn
                        for dx in 0..<twoTapEnd {
                            let sx = offsets[dx]
                            let a0 = weights[dx &* 2]
                            let a1 = weights[dx &* 2 &+ 1]
                            for c in 0..<cn {
                                row[dx &* cn &+ c] = Int32(line[sx &+ c]) &* a0 &+ Int32(line[sx &+ c &+ cn]) &* a1
                            }
                        }
                        for dx in twoTapEnd..<dw {
                            let sx = offsets[dx]
                            for c in 0..<cn { row[dx &* cn &+ c] = Int32(line[sx &+ c]) &* 2048 }
                        }
                    }

                    for dy in 0..<dh {
                        var fy = Float((Double(dy) + 0.5) * scaleY - 0.5)
                        let sy = Int(fy.rounded(.down))
                        fy -= Float(sy)
                        let b0 = fixedPoint(1 - fy)
                        let b1 = fixedPoint(fy)
                        // Rows outside the image repeat the edge row; unlike the columns the weights
                        // are not reset there (OpenCV's `clip`), and the fixed-point sum still
                        // lands on the edge value.
                        let r0 = min(max(sy, 0), sh - 1)
                        let r1 = min(max(sy + 1, 0), sh - 1)
                        // Reuse rows computed for the previous output row.
                        if cached.0 != r0 {
                            if cached.1 == r0 {
                                swap(&rowSources.0, &rowSources.1)
                                cached = (r0, cached.0)
                            } else {
                                horizontal(r0, into: rowSources.0)
                                cached.0 = r0
                            }
                        }
                        if cached.1 != r1 {
                            horizontal(r1, into: rowSources.1)
                            cached.1 = r1
                        }
                        let s0 = rowSources.0
                        let s1 = rowSources.1
                        let out = target.baseAddress! + dy * rowLength
                        for x in 0..<rowLength {
                            let t = ((b0 &* (s0[x] >> 4)) >> 16) &+ ((b1 &* (s1[x] >> 4)) >> 16) &+ 2
                            out[x] = UInt8(truncatingIfNeeded: t >> 2)
                        }
                    }
                }
            }
        }
    }

    /// OpenCV's `saturate_cast<short>(w * INTER_RESIZE_COEF_SCALE)`: round half to even.
    private static func fixedPoint(_ weight: Float) -> Int32 {
        Int32((weight * coefficientScale).rounded(.toNearestOrEven))
    }

    /// Whether OpenCV treats a scale as an exact 2 (`|scale - 2| < DBL_EPSILON`).
    private static func isExactlyTwo(_ scale: Double) -> Bool {
        abs(scale - 2) < Double.ulpOfOne
    }

    /// OpenCV's fast area path for an exact 2x shrink: `(a + b + c + d + 2) >> 2`.
    private static func halve(
        source: UnsafeBufferPointer<UInt8>, width sw: Int, channels cn: Int,
        target: UnsafeMutableBufferPointer<UInt8>, width dw: Int, height dh: Int
    ) {
        let sourceRow = sw * cn
        for dy in 0..<dh {
            let top = source.baseAddress! + 2 * dy * sourceRow
            let bottom = top + sourceRow
            let out = target.baseAddress! + dy * dw * cn
            for dx in 0..<dw {
                for c in 0..<cn {
                    let i = 2 &* dx &* cn &+ c
                    let sum = Int(top[i]) &+ Int(top[i &+ cn]) &+ Int(bottom[i]) &+ Int(bottom[i &+ cn])
                    out[dx &* cn &+ c] = UInt8(truncatingIfNeeded: (sum &+ 2) >> 2)
                }
            }
        }
    }
}
