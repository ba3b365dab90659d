import Dispatch

/// Conv (1-D and 2-D, grouped, dilated, padded): depthwise convolutions run a direct loop
/// per channel; everything else runs as GEMM over image columns (im2col), tiled by output
/// rows so the column buffer stays a few megabytes whatever the image size.
struct ConvKernel: Kernel {
    let attributes: Attributes
    let group: Int
    /// A Clip or Relu the executor folded into this convolution (see `Executor`): applied
    /// in the pass that adds the bias, instead of another pass over the output.
    var activation: (low: Float, high: Float)?

    init(_ node: ExecNode) throws {
        attributes = Attributes(node)
        group = try attributes.int("group", default: 1)
        guard group >= 1 else { throw attributes.error("group must be at least 1") }
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        let w = try required(inputs, 1)
        let bias = inputs.count > 2 ? inputs[2] : nil
        guard x.rank == 3 || x.rank == 4, w.rank == x.rank else {
            throw ExecError("Conv supports 1-D and 2-D inputs (got input \(x.shape), weight \(w.shape))")
        }
        // 1-D convolutions run as 2-D ones with a height of 1.
        let oneD = x.rank == 3
        let xs = oneD ? [x.shape[0], x.shape[1], 1, x.shape[2]] : x.shape
        let ws = oneD ? [w.shape[0], w.shape[1], 1, w.shape[2]] : w.shape
        let (n, c, h, wIn) = (xs[0], xs[1], xs[2], xs[3])
        let (m, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3])
        guard c == cg * group, m % group == 0 else {
            throw ExecError("weight \(w.shape) does not match \(c) input channels in \(group) groups")
        }
        var geometry = try SpatialGeometry(attributes, spatialRank: x.rank - 2, kernel: Array(w.shape.dropFirst(2)))
        if oneD {
            geometry = SpatialGeometry2D.lift(geometry)
        }
        let (sizes, padBegin, _) = try geometry.output(for: [h, wIn])
        let (oh, ow) = (sizes[0], sizes[1])
        let input = try FloatIO.values(x, "input")
        let weight = try FloatIO.values(w, "weight")
        let biasValues = try bias.map { try FloatIO.values($0, "bias") }
        if let biasValues, biasValues.count != m {
            throw ExecError("bias has \(biasValues.count) values for \(m) channels")
        }
        // Not zero-filled: the depthwise loop and the GEMM (which writes C on its first
        // k block) store every output.
        var out = [Float](unsafeUninitializedCapacity: n * m * oh * ow) { _, initialized in
            initialized = n * m * oh * ow
        }
        let window = Window(
            c: c, h: h, w: wIn, m: m, kh: kh, kw: kw, oh: oh, ow: ow,
            strideH: geometry.strides[0], strideW: geometry.strides[1],
            dilationH: geometry.dilations[0], dilationW: geometry.dilations[1],
            padTop: padBegin[0], padLeft: padBegin[1])
        input.withUnsafeBufferPointer { pin in
            weight.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { pout in
                    for image in 0..<n {
                        let src = pin.baseAddress! + image * c * h * wIn
                        let dst = pout.baseAddress! + image * m * oh * ow
                        if group == c, cg == 1, m == c {
                            Self.depthwise(window, src, pw.baseAddress!, dst)
                        } else {
                            Self.grouped(window, group: group, src, pw.baseAddress!, dst)
                        }
                    }
                }
            }
        }
        // Float outputs take the folded activation with the bias; other types are clamped
        // after conversion, exactly as a separate Clip would.
        let clampHere = activation != nil && Self.isFloat(x)
        if biasValues != nil || clampHere {
            let plane = oh * ow
            let (low, high) = clampHere ? activation! : (-Float.infinity, Float.infinity)
            out.withUnsafeMutableBufferPointer { pout in
                for image in 0..<n {
                    for channel in 0..<m {
                        let row = pout.baseAddress! + (image * m + channel) * plane
                        Self.finish(row, plane, bias: biasValues?[channel] ?? 0, low: low, high: high, clamp: clampHere)
                    }
                }
            }
        }
        let shape = oneD ? [n, m, ow] : [n, m, oh, ow]
        let result = Tensor.fromFloats(out, shape: shape, like: x.storage)
        if let activation, !clampHere {
            return [
                Tensor.fromFloats(
                    ClipKernel.clamp(result.floatValues, activation.low, activation.high), shape: shape,
                    like: result.storage)
            ]
        }
        return [result]
    }

    static func isFloat(_ tensor: Tensor) -> Bool {
        if case .float = tensor.storage { return true }
        return false
    }

    /// `row[i] = clamp(row[i] + bias)` (or only the bias), eight lanes at a time; a NaN
    /// stays NaN, as Clip and Relu leave it.
    static func finish(
        _ row: UnsafeMutablePointer<Float>, _ count: Int, bias: Float, low: Float, high: Float, clamp: Bool
    ) {
        let biases = SIMD8<Float>(repeating: bias)
        let lows = SIMD8<Float>(repeating: low)
        let highs = SIMD8<Float>(repeating: high)
        var i = 0
        while i + 8 <= count {
            var v = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self) + biases
            if clamp {
                v = v.replacing(with: lows, where: v .< lows)
                v = v.replacing(with: highs, where: v .> highs)
            }
            UnsafeMutableRawPointer(row + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            let v = row[i] + bias
            row[i] = clamp ? min(max(v, low), high) : v
            i += 1
        }
    }

    /// Sizes of one convolution, in 2-D.
    struct Window: Sendable {
        let c, h, w, m, kh, kw, oh, ow: Int
        let strideH, strideW, dilationH, dilationW, padTop, padLeft: Int
    }

    /// One channel in, one channel out, every output computed in one pass over its window
    /// (all taps summed in registers, stored once). Columns whose whole window lies inside
    /// the image run eight outputs at a time when the stride is 1; the border columns, and
    /// strided rows, sum their taps one output at a time with bounds checks.
    static func depthwise(
        _ g: Window, _ src: UnsafePointer<Float>, _ weight: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>
    ) {
        let pointers = ConvPointers(src: src, weight: weight, dst: dst)
        // Interior columns: ox·strideW - padLeft >= 0 and ox·strideW + (kw-1)·dilationW - padLeft < w.
        let interiorStart = min(g.ow, (g.padLeft + g.strideW - 1) / g.strideW)
        let reach = g.w - 1 - (g.kw - 1) * g.dilationW + g.padLeft
        let interiorEnd = reach < 0 ? interiorStart : max(interiorStart, min(g.ow, reach / g.strideW + 1))
        let chunks = min(g.c, Parallel.cores * 4)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var channel = chunk
            while channel < g.c {
                let input = pointers.src + channel * g.h * g.w
                let filter = pointers.weight + channel * g.kh * g.kw
                let output = pointers.dst + channel * g.oh * g.ow
                for oy in 0..<g.oh {
                    depthwiseRow(
                        g, input: input, filter: filter, row: output + oy * g.ow, oy: oy,
                        interior: interiorStart..<interiorEnd)
                }
                channel += chunks
            }
        }
    }

    /// One output row of one channel.
    @inline(__always)
    static func depthwiseRow(
        _ g: Window, input: UnsafePointer<Float>, filter: UnsafePointer<Float>, row: UnsafeMutablePointer<Float>,
        oy: Int, interior: Range<Int>
    ) {
        // Kernel rows whose input row is inside the image.
        let firstKy = max(0, (g.padTop - oy * g.strideH + g.dilationH - 1) / g.dilationH)
        let rowBase = oy * g.strideH - g.padTop
        let span = g.h - 1 - rowBase
        let lastKy = span < 0 ? 0 : min(g.kh, span / g.dilationH + 1)
        func tapsChecked(_ ox: Int) -> Float {
            var sum: Float = 0
            guard firstKy < lastKy else { return 0 }
            for ky in firstKy..<lastKy {
                let inputRow = input + (rowBase + ky * g.dilationH) * g.w
                let taps = filter + ky * g.kw
                for kx in 0..<g.kw {
                    let ix = ox * g.strideW - g.padLeft + kx * g.dilationW
                    if ix >= 0, ix < g.w { sum += taps[kx] * inputRow[ix] }
                }
            }
            return sum
        }
        for ox in 0..<interior.lowerBound { row[ox] = tapsChecked(ox) }
        for ox in interior.upperBound..<g.ow { row[ox] = tapsChecked(ox) }
        guard !interior.isEmpty else { return }
        guard firstKy < lastKy else {
            for ox in interior { row[ox] = 0 }
            return
        }
        var ox = interior.lowerBound
        if g.strideW == 1 {
            while ox + 8 <= interior.upperBound {
                var sum = SIMD8<Float>()
                for ky in firstKy..<lastKy {
                    let start = input + (rowBase + ky * g.dilationH) * g.w + ox - g.padLeft
                    let taps = filter + ky * g.kw
                    for kx in 0..<g.kw {
                        let values = UnsafeRawPointer(start + kx * g.dilationW).loadUnaligned(as: SIMD8<Float>.self)
                        sum.addProduct(SIMD8(repeating: taps[kx]), values)
                    }
                }
                UnsafeMutableRawPointer(row + ox).storeBytes(of: sum, as: SIMD8<Float>.self)
                ox += 8
            }
        } else if g.strideW == 2 {
            // Sixteen inputs per tap, the even lanes kept; the odd last lane read must still
            // lie in the row.
            let lastTap = (g.kw - 1) * g.dilationW - g.padLeft
            while ox + 8 <= interior.upperBound, 2 * ox + lastTap + 15 < g.w {
                var sum = SIMD8<Float>()
                for ky in firstKy..<lastKy {
                    let start = input + (rowBase + ky * g.dilationH) * g.w + 2 * ox - g.padLeft
                    let taps = filter + ky * g.kw
                    for kx in 0..<g.kw {
                        let values = UnsafeRawPointer(start + kx * g.dilationW).loadUnaligned(as: SIMD16<Float>.self)
                        sum.addProduct(SIMD8(repeating: taps[kx]), values.evenHalf)
                    }
                }
                UnsafeMutableRawPointer(row + ox).storeBytes(of: sum, as: SIMD8<Float>.self)
                ox += 8
            }
        }
        while ox < interior.upperBound {
            var sum: Float = 0
            let first = ox * g.strideW - g.padLeft
            for ky in firstKy..<lastKy {
                let start = input + (rowBase + ky * g.dilationH) * g.w + first
                let taps = filter + ky * g.kw
                for kx in 0..<g.kw { sum += taps[kx] * start[kx * g.dilationW] }
            }
            row[ox] = sum
            ox += 1
        }
    }

    /// Per group: weights [mg × cg·kh·kw] times image columns [cg·kh·kw × rows·ow], in tiles
    /// of output rows; 1×1 stride-1 unpadded convolutions use the input itself as columns.
    static func grouped(
        _ g: Window, group: Int, _ src: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
        _ dst: UnsafeMutablePointer<Float>
    ) {
        let cg = g.c / group
        let mg = g.m / group
        let k = cg * g.kh * g.kw
        let pointwise =
            g.kh == 1 && g.kw == 1 && g.strideH == 1 && g.strideW == 1 && g.padTop == 0
            && g.padLeft == 0 && g.oh == g.h && g.ow == g.w
        // Rows per tile: keep the column buffer near 4 MiB.
        let rowsPerTile = max(1, min(g.oh, (1 << 20) / max(1, k * g.ow)))
        let columns = pointwise ? nil : UnsafeMutablePointer<Float>.allocate(capacity: k * rowsPerTile * g.ow)
        defer { columns?.deallocate() }
        for groupIndex in 0..<group {
            let groupSrc = src + groupIndex * cg * g.h * g.w
            let groupWeight = weight + groupIndex * mg * k
            let groupDst = dst + groupIndex * mg * g.oh * g.ow
            if pointwise {
                Gemm.multiply(
                    m: mg, n: g.oh * g.ow, k: k, a: groupWeight, lda: k, b: groupSrc, ldb: g.h * g.w, c: groupDst,
                    ldc: g.oh * g.ow)
                continue
            }
            guard let columns else { continue }
            var row0 = 0
            while row0 < g.oh {
                let rows = min(rowsPerTile, g.oh - row0)
                im2col(g, groupSrc, channels: cg, firstRow: row0, rows: rows, into: columns)
                Gemm.multiply(
                    m: mg, n: rows * g.ow, k: k, a: groupWeight, lda: k, b: columns, ldb: rows * g.ow,
                    c: groupDst + row0 * g.ow, ldc: g.oh * g.ow)
                row0 += rows
            }
        }
    }

    /// Columns for output rows [firstRow, firstRow + rows): one row of the column matrix per
    /// (channel, ky, kx), zeros where the window reads padding.
    static func im2col(
        _ g: Window, _ src: UnsafePointer<Float>, channels: Int, firstRow: Int, rows: Int,
        into columns: UnsafeMutablePointer<Float>
    ) {
        let width = rows * g.ow
        var row = columns
        for channel in 0..<channels {
            let plane = src + channel * g.h * g.w
            for ky in 0..<g.kh {
                for kx in 0..<g.kw {
                    let offset = kx * g.dilationW - g.padLeft
                    let (first, lastExclusive) = validColumns(g, offset: offset)
                    for r in 0..<rows {
                        let oy = firstRow + r
                        let iy = oy * g.strideH - g.padTop + ky * g.dilationH
                        let out = row + r * g.ow
                        guard iy >= 0, iy < g.h else {
                            out.update(repeating: 0, count: g.ow)
                            continue
                        }
                        let inputRow = plane + iy * g.w + offset
                        for ox in 0..<first { out[ox] = 0 }
                        if g.strideW == 1 {
                            for ox in first..<lastExclusive { out[ox] = inputRow[ox] }
                        } else {
                            for ox in first..<lastExclusive { out[ox] = inputRow[ox * g.strideW] }
                        }
                        for ox in lastExclusive..<g.ow { out[ox] = 0 }
                    }
                    row += width
                }
            }
        }
    }
}

/// Output columns [first, lastExclusive) whose input column `ox·stride + offset` lies in the
/// image (floor division: offsets past the right edge give an empty range).
func validColumns(_ g: ConvKernel.Window, offset: Int) -> (Int, Int) {
    let first = offset >= 0 ? 0 : min(g.ow, (-offset + g.strideW - 1) / g.strideW)
    let span = g.w - 1 - offset
    let last = span < 0 ? 0 : min(g.ow, span / g.strideW + 1)
    return (first, max(first, last))
}

/// Pointers shared by the per-channel worker threads; each writes its own channels.
struct ConvPointers: @unchecked Sendable {
    let src: UnsafePointer<Float>
    let weight: UnsafePointer<Float>
    let dst: UnsafeMutablePointer<Float>
}

/// A 1-D window expressed as a 2-D one of height 1.
enum SpatialGeometry2D {
    static func lift(_ g: SpatialGeometry) -> SpatialGeometry {
        var lifted = g
        lifted.kernel = [1] + g.kernel
        lifted.strides = [1] + g.strides
        lifted.dilations = [1] + g.dilations
        lifted.pads = [0, g.pads[0], 0, g.pads[1]]
        return lifted
    }
}
