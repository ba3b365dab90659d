/// ConvTranspose (2-D, grouped): per group, columns = Wᵀ · X by GEMM, then each column is
/// scatter-added into the output window it came from (col2im), plus bias.
struct ConvTransposeKernel: Kernel {
    let attributes: Attributes
    let group: Int
    let outputPadding: [Int]?
    let outputShape: [Int]?

    init(_ node: ExecNode) throws {
        attributes = Attributes(node)
        group = try attributes.int("group", default: 1)
        outputPadding = try attributes.ints("output_padding")
        outputShape = try attributes.ints("output_shape")
        guard group >= 1 else { throw attributes.error("group must be at least 1") }
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        let w = try required(inputs, 1)
        let bias = inputs.count > 2 ? inputs[2] : nil
        guard x.rank == 4, w.rank == 4 else {
            throw ExecError("ConvTranspose supports 2-D inputs (got input \(x.shape), weight \(w.shape))")
        }
        let (n, c, h, wIn) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cw, mg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        guard cw == c, c % group == 0 else { throw ExecError("weight \(w.shape) does not match \(c) input channels") }
        let m = mg * group
        let cg = c / group
        let geometry = try SpatialGeometry(attributes, spatialRank: 2, kernel: [kh, kw])
        let padding = outputPadding ?? [0, 0]
        // Output size and begin pads: from output_shape (pads derived) or from pads.
        var padTop = geometry.pads[0]
        var padLeft = geometry.pads[1]
        var oh =
            (h - 1) * geometry.strides[0] + (kh - 1) * geometry.dilations[0] + 1 + padding[0]
            - geometry.pads[0] - geometry.pads[2]
        var ow =
            (wIn - 1) * geometry.strides[1] + (kw - 1) * geometry.dilations[1] + 1 + padding[1]
            - geometry.pads[1] - geometry.pads[3]
        if let outputShape, outputShape.count >= 2 {
            let target = Array(outputShape.suffix(2))
            let totalH = max(
                0, (h - 1) * geometry.strides[0] + (kh - 1) * geometry.dilations[0] + 1 + padding[0] - target[0])
            let totalW = max(
                0, (wIn - 1) * geometry.strides[1] + (kw - 1) * geometry.dilations[1] + 1 + padding[1] - target[1])
            let upper = geometry.autoPad == "SAME_UPPER"
            padTop = upper ? totalH / 2 : totalH - totalH / 2
            padLeft = upper ? totalW / 2 : totalW - totalW / 2
            oh = target[0]
            ow = target[1]
        } else if geometry.autoPad == "SAME_UPPER" || geometry.autoPad == "SAME_LOWER" {
            oh = h * geometry.strides[0]
            ow = wIn * geometry.strides[1]
            let totalH = max(0, (h - 1) * geometry.strides[0] + (kh - 1) * geometry.dilations[0] + 1 + padding[0] - oh)
            let totalW = max(
                0, (wIn - 1) * geometry.strides[1] + (kw - 1) * geometry.dilations[1] + 1 + padding[1] - ow)
            let upper = geometry.autoPad == "SAME_UPPER"
            padTop = upper ? totalH / 2 : totalH - totalH / 2
            padLeft = upper ? totalW / 2 : totalW - totalW / 2
        }
        guard oh > 0, ow > 0 else { throw ExecError("ConvTranspose output would be empty") }
        let input = try FloatIO.values(x, "input")
        let weight = try FloatIO.values(w, "weight")
        // Wᵀ per group: [mg·kh·kw × cg], so the GEMM is (mg·kh·kw × cg) · (cg × h·w).
        let k = mg * kh * kw
        var transposed = [Float](repeating: 0, count: group * k * cg)
        for g in 0..<group {
            for ci in 0..<cg {
                for j in 0..<k { transposed[(g * k + j) * cg + ci] = weight[(g * cg + ci) * k + j] }
            }
        }
        var out = [Float](repeating: 0, count: n * m * oh * ow)
        var columns = [Float](repeating: 0, count: k * h * wIn)
        let plane = h * wIn
        for image in 0..<n {
            for g in 0..<group {
                input.withUnsafeBufferPointer { pin in
                    transposed.withUnsafeBufferPointer { pw in
                        columns.withUnsafeMutableBufferPointer { pc in
                            Gemm.multiply(
                                m: k, n: plane, k: cg, a: pw.baseAddress! + g * k * cg, lda: cg,
                                b: pin.baseAddress! + (image * c + g * cg) * plane, ldb: plane, c: pc.baseAddress!,
                                ldc: plane)
                        }
                    }
                }
                // col2im: column (oc, ky, kx) at input (iy, ix) lands on output
                // (iy·s - pad + ky·d, ix·s - pad + kx·d).
                out.withUnsafeMutableBufferPointer { pout in
                    columns.withUnsafeBufferPointer { pc in
                        for oc in 0..<mg {
                            let target = pout.baseAddress! + ((image * m) + g * mg + oc) * oh * ow
                            for ky in 0..<kh {
                                for kx in 0..<kw {
                                    let column = pc.baseAddress! + ((oc * kh + ky) * kw + kx) * plane
                                    for iy in 0..<h {
                                        let oy = iy * geometry.strides[0] - padTop + ky * geometry.dilations[0]
                                        guard oy >= 0, oy < oh else { continue }
                                        let outRow = target + oy * ow
                                        let colRow = column + iy * wIn
                                        for ix in 0..<wIn {
                                            let ox = ix * geometry.strides[1] - padLeft + kx * geometry.dilations[1]
                                            if ox >= 0, ox < ow { outRow[ox] += colRow[ix] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias {
            let values = try FloatIO.values(bias, "bias")
            guard values.count == m else { throw ExecError("bias has \(values.count) values for \(m) channels") }
            for image in 0..<n {
                for channel in 0..<m {
                    let base = (image * m + channel) * oh * ow
                    for i in 0..<(oh * ow) { out[base + i] += values[channel] }
                }
            }
        }
        return [Tensor.fromFloats(out, shape: [n, m, oh, ow], like: x.storage)]
    }
}
