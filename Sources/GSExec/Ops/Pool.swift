/// MaxPool and AveragePool over 2-D windows (1-D as height 1), and the global pools.
struct PoolKernel: Kernel {
    enum Mode: Sendable { case max, average }

    let mode: Mode
    let attributes: Attributes
    let countIncludePad: Bool

    init(_ node: ExecNode, mode: Mode) throws {
        self.mode = mode
        attributes = Attributes(node)
        countIncludePad = try attributes.int("count_include_pad", default: 0) != 0
        if try attributes.int("storage_order", default: 0) != 0 {
            throw attributes.error("MaxPool storage_order=1 is not supported")
        }
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        guard x.rank == 3 || x.rank == 4 else { throw ExecError("pooling supports 1-D and 2-D inputs, got \(x.shape)") }
        let oneD = x.rank == 3
        var geometry = try SpatialGeometry(attributes, spatialRank: x.rank - 2)
        if oneD { geometry = SpatialGeometry2D.lift(geometry) }
        let shape = oneD ? [x.shape[0], x.shape[1], 1, x.shape[2]] : x.shape
        let (n, c, h, w) = (shape[0], shape[1], shape[2], shape[3])
        let (sizes, padBegin, padEnd) = try geometry.output(for: [h, w])
        let (oh, ow) = (sizes[0], sizes[1])
        let input = try FloatIO.values(x, "input")
        var out = [Float](repeating: 0, count: n * c * oh * ow)
        let (kh, kw) = (geometry.kernel[0], geometry.kernel[1])
        let (sh, sw) = (geometry.strides[0], geometry.strides[1])
        let (dh, dw) = (geometry.dilations[0], geometry.dilations[1])
        input.withUnsafeBufferPointer { pin in
            out.withUnsafeMutableBufferPointer { pout in
                for plane in 0..<(n * c) {
                    let src = pin.baseAddress! + plane * h * w
                    let dst = pout.baseAddress! + plane * oh * ow
                    for oy in 0..<oh {
                        for ox in 0..<ow {
                            let y0 = oy * sh - padBegin[0]
                            let x0 = ox * sw - padBegin[1]
                            var best = -Float.infinity
                            var sum: Float = 0
                            var count = 0
                            for ky in 0..<kh {
                                let iy = y0 + ky * dh
                                guard iy >= 0, iy < h else { continue }
                                for kx in 0..<kw {
                                    let ix = x0 + kx * dw
                                    guard ix >= 0, ix < w else { continue }
                                    let value = src[iy * w + ix]
                                    if value > best || value.isNaN { best = value }
                                    sum += value
                                    count += 1
                                }
                            }
                            switch mode {
                            case .max:
                                dst[oy * ow + ox] = best
                            case .average:
                                // count_include_pad counts pads but never windows past them.
                                var divisor = count
                                if countIncludePad {
                                    let yEnd = min(y0 + (kh - 1) * dh + 1, h + padEnd[0])
                                    let xEnd = min(x0 + (kw - 1) * dw + 1, w + padEnd[1])
                                    divisor = ((yEnd - y0 + dh - 1) / dh) * ((xEnd - x0 + dw - 1) / dw)
                                }
                                dst[oy * ow + ox] = divisor > 0 ? sum / Float(divisor) : 0
                            }
                        }
                    }
                }
            }
        }
        return [Tensor.fromFloats(out, shape: oneD ? [n, c, ow] : [n, c, oh, ow], like: x.storage)]
    }
}

/// GlobalAveragePool / GlobalMaxPool: one value per channel, spatial axes kept as 1.
struct GlobalPoolKernel: Kernel {
    let average: Bool

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        guard x.rank >= 3 else { throw ExecError("global pooling needs N, C and spatial axes, got \(x.shape)") }
        let planes = x.shape[0] * x.shape[1]
        let size = Tensor.count(of: Array(x.shape.dropFirst(2)))
        let input = try FloatIO.values(x, "input")
        var out = [Float](repeating: 0, count: planes)
        for plane in 0..<planes {
            let slice = input[(plane * size)..<((plane + 1) * size)]
            if average {
                // Pairwise-ish: accumulate in Double so large maps keep float precision.
                var sum = 0.0
                for value in slice { sum += Double(value) }
                out[plane] = Float(sum / Double(max(size, 1)))
            } else {
                out[plane] = slice.max() ?? 0
            }
        }
        return [
            Tensor.fromFloats(
                out, shape: [x.shape[0], x.shape[1]] + Array(repeating: 1, count: x.rank - 2), like: x.storage)
        ]
    }
}
