import ONNX

/// A per-output-channel affine map `y * scale[c] + shift[c]` folded into the weights and bias
/// of the node that produced `y` (Conv, ConvTranspose, Gemm): what BatchNormalization and
/// per-channel Mul/Add after a layer are. Arithmetic is done in Double and rounded once.
/// The folded weights get new names, so a weight shared with another node is not changed
/// under it; the old ones die in `eliminate-dead` when nothing else reads them.
struct AffineFold {
    /// Per-channel factors (nil: all 1) and offsets (nil: all 0).
    var scale: [Double]?
    var shift: [Double]?

    /// Output channels of a Conv or ConvTranspose with this weight, or nil when the weight
    /// does not fit the op.
    static func outputChannels(of node: NodeProto, weight: TensorProto) -> Int? {
        let dims = weight.shape
        guard dims.count >= 3 else { return nil }
        switch node.opType {
        case "Conv": return dims[0]
        case "ConvTranspose":
            let group = Int(node.attribute("group")?.i ?? 1)
            guard group >= 1, dims[0] % group == 0 else { return nil }
            return dims[1] * group
        default: return nil
        }
    }

    /// Folds into a Conv or ConvTranspose whose weight (and bias, when present) are float
    /// constants: returns the node reading new initializers, and those initializers. Nil when
    /// the node does not qualify.
    func fold(
        intoConvolution node: NodeProto, scope: inout ConstantScope, names: inout UniqueNames, pass: String
    ) throws(PassError) -> (node: NodeProto, initializers: [TensorProto])? {
        guard node.input.count >= 2, let weight = scope.proto(node.input[1]), weight.dataType == .float,
            let channels = Self.outputChannels(of: node, weight: weight)
        else { return nil }
        var bias = [Double](repeating: 0, count: channels)
        if node.input.count >= 3, !node.input[2].isEmpty {
            guard let stored = scope.proto(node.input[2]), stored.dataType == .float, stored.shape == [channels] else {
                return nil
            }
            bias = try stored.floatValues(pass: pass).map(Double.init)
        }
        guard scale?.count ?? channels == channels, shift?.count ?? channels == channels else { return nil }
        var weights = try weight.floatValues(pass: pass)
        if let scale {
            let dims = weight.shape
            let kernel = dims.dropFirst(2).reduce(1, *)
            if node.opType == "Conv" {
                let inner = weights.count / max(channels, 1)
                for index in weights.indices { weights[index] = Float(Double(weights[index]) * scale[index / inner]) }
            } else {
                let group = Int(node.attribute("group")?.i ?? 1)
                let perGroup = dims[0] / group
                for index in weights.indices {
                    let inputChannel = index / (dims[1] * kernel)
                    let column = (index / kernel) % dims[1]
                    let channel = (inputChannel / perGroup) * dims[1] + column
                    weights[index] = Float(Double(weights[index]) * scale[channel])
                }
            }
        }
        var newBias = [Float](repeating: 0, count: channels)
        for channel in 0..<channels {
            let factor: Double = scale?[channel] ?? 1
            let offset: Double = shift?[channel] ?? 0
            newBias[channel] = Float(bias[channel] * factor + offset)
        }
        let weightName = names.make(weight.name + "_folded")
        let biasName = names.make(
            (node.input.count >= 3 && !node.input[2].isEmpty ? node.input[2] : weight.name) + "_bias_folded")
        var folded = node
        folded.input = [node.input[0], weightName, biasName]
        return (
            folded,
            [
                TensorProto(name: weightName, shape: weight.shape, values: weights),
                TensorProto(name: biasName, shape: [channels], values: newBias),
            ]
        )
    }

    /// Folds into a 2-D product `alpha * A * B + beta * C` (a Gemm, or a MatMul given as a
    /// Gemm with no C) whose B is a float constant; the map acts on B's output columns.
    /// Returns a Gemm reading new initializers, with beta 1.
    func fold(
        intoGemm node: NodeProto, scope: inout ConstantScope, names: inout UniqueNames, pass: String
    ) throws(PassError) -> (node: NodeProto, initializers: [TensorProto])? {
        guard node.input.count >= 2, let weight = scope.proto(node.input[1]), weight.dataType == .float,
            weight.shape.count == 2
        else { return nil }
        let transB = node.attribute("transB")?.i ?? 0
        let columns = transB != 0 ? weight.shape[0] : weight.shape[1]
        guard scale?.count ?? columns == columns, shift?.count ?? columns == columns else { return nil }
        var weights = try weight.floatValues(pass: pass)
        if let scale {
            for index in weights.indices {
                let column = transB != 0 ? index / weight.shape[1] : index % weight.shape[1]
                weights[index] = Float(Double(weights[index]) * scale[column])
            }
        }
        // C, broadcast to [rows, columns] where rows is 1 unless C is 2-D with real rows.
        let beta = Double(node.attribute("beta")?.f ?? 1)
        var rows = 1
        var bias = [Double](repeating: 0, count: columns)
        if node.input.count >= 3, !node.input[2].isEmpty {
            guard let stored = scope.proto(node.input[2]), stored.dataType == .float, stored.shape.count <= 2 else {
                return nil
            }
            let dims = stored.shape
            let last = dims.last ?? 1
            guard last == 1 || last == columns else { return nil }
            rows = dims.count == 2 ? dims[0] : 1
            let values = try stored.floatValues(pass: pass)
            bias = (0..<(rows * columns)).map { index in
                let row = index / columns
                let column = index % columns
                return beta * Double(values[row * last + (last == 1 ? 0 : column)])
            }
        }
        var newBias = [Float](repeating: 0, count: bias.count)
        for index in bias.indices {
            let column = index % columns
            let factor: Double = scale?[column] ?? 1
            let offset: Double = shift?[column] ?? 0
            newBias[index] = Float(bias[index] * factor + offset)
        }
        let weightName = names.make(weight.name + "_folded")
        let biasName = names.make(weight.name + "_bias_folded")
        var gemm = NodeProto(
            "Gemm", inputs: [node.input[0], weightName, biasName], outputs: node.output, name: node.name,
            domain: node.domain)
        gemm.attribute = node.attribute.filter { $0.name != "beta" }
        return (
            gemm,
            [
                TensorProto(name: weightName, shape: weight.shape, values: weights),
                TensorProto(name: biasName, shape: rows > 1 ? [rows, columns] : [columns], values: newBias),
            ]
        )
    }
}
