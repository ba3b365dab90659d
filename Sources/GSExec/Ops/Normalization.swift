#if canImport(Glibc)
    import Glibc
#endif

/// BatchNormalization in inference mode: per channel (axis 1)
/// y = (x - mean) / sqrt(var + epsilon) · scale + bias.
struct BatchNormKernel: Kernel {
    let epsilon: Float

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        epsilon = try attributes.float("epsilon", default: 1e-5)
        if try attributes.int("training_mode", default: 0) != 0 {
            throw attributes.error("BatchNormalization training_mode=1 is not supported (inference only)")
        }
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        let scale = try FloatIO.values(required(inputs, 1), "scale")
        let bias = try FloatIO.values(required(inputs, 2), "bias")
        let mean = try FloatIO.values(required(inputs, 3), "mean")
        let variance = try FloatIO.values(required(inputs, 4), "var")
        guard x.rank >= 2 else { throw ExecError("BatchNormalization needs N and C axes, got \(x.shape)") }
        let channels = x.shape[1]
        guard [scale, bias, mean, variance].allSatisfy({ $0.count == channels }) else {
            throw ExecError("BatchNormalization parameters do not have \(channels) values")
        }
        let inner = Tensor.count(of: Array(x.shape.dropFirst(2)))
        var out = try FloatIO.values(x, "input")
        out.withUnsafeMutableBufferPointer { values in
            for image in 0..<x.shape[0] {
                for channel in 0..<channels {
                    let factor = scale[channel] / sqrtf(variance[channel] + epsilon)
                    let shift = bias[channel] - mean[channel] * factor
                    let base = values.baseAddress! + (image * channels + channel) * inner
                    for i in 0..<inner { base[i] = base[i] * factor + shift }
                }
            }
        }
        return [Tensor.fromFloats(out, shape: x.shape, like: x.storage)]
    }
}

/// LayerNormalization (opset 17): normalise over the axes from `axis` on, then scale and
/// shift (broadcast).
struct LayerNormKernel: Kernel {
    let axis: Int
    let epsilon: Float

    init(_ node: ExecNode) throws {
        let attributes = Attributes(node)
        axis = try attributes.int("axis", default: -1)
        epsilon = try attributes.float("epsilon", default: 1e-5)
    }

    func run(_ inputs: [Tensor?], _ context: RunContext) throws -> [Tensor] {
        let x = try required(inputs, 0)
        let first = try Shapes.axis(axis, rank: x.rank)
        let inner = Tensor.count(of: Array(x.shape[first...]))
        let outer = Tensor.count(of: Array(x.shape[..<first]))
        var values = try FloatIO.values(x, "input")
        for row in 0..<outer {
            let base = row * inner
            var mean = 0.0
            for i in 0..<inner { mean += Double(values[base + i]) }
            mean /= Double(max(inner, 1))
            var variance = 0.0
            for i in 0..<inner {
                let d = Double(values[base + i]) - mean
                variance += d * d
            }
            variance /= Double(max(inner, 1))
            let inverse = Float(1 / (variance + Double(epsilon)).squareRoot())
            for i in 0..<inner { values[base + i] = (values[base + i] - Float(mean)) * inverse }
        }
        var result = Tensor.fromFloats(values, shape: x.shape, like: x.storage)
        if inputs.count > 1, let scale = inputs[1] { result = try Broadcast.arithmetic(MulOp.self, result, scale) }
        if inputs.count > 2, let bias = inputs[2] { result = try Broadcast.arithmetic(AddOp.self, result, bias) }
        return [result]
    }
}
