import ONNX

/// `fold-conv-affine`: a Mul, Add, Sub or Div by a per-channel float constant right after a
/// Conv or ConvTranspose is folded into the convolution's weights and bias: `conv * c`,
/// `conv + c`, `conv - c`, `c - conv` and `conv / c`.
///
/// Exact in the algebra: the constant must broadcast along the channel axis only (after
/// right-aligning it to the convolution output's rank, every axis but axis 1 has size 1; a
/// scalar counts), so no output element sees another's factor; the convolution's output must
/// be read by that node alone and be no graph output. Mul and Div reassociate float math
/// (checked at 1e-3); Add and Sub only change where the sum is rounded.
public struct FoldConvAffine: GraphPass {
    public let name = "fold-conv-affine"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        var names = UniqueNames(model.graph)
        var folded = 0
        try fold(&model.graph, outer: nil, names: &names, folded: &folded)
        return (model, PassReport(pass: name, counts: ["folded": folded]))
    }

    private func fold(
        _ graph: inout GraphProto, outer: ConstantScope?, names: inout UniqueNames, folded: inout Int
    ) throws(PassError) {
        var scope = ConstantScope(graph, outer: outer)
        let visible = scope
        for index in graph.node.indices {
            try graph.node[index].mapSubgraphs { (body: inout GraphProto) throws(PassError) in
                try fold(&body, outer: visible, names: &names, folded: &folded)
            }
        }
        var index = 0
        while index < graph.node.count {
            let node = graph.node[index]
            guard ["Mul", "Add", "Sub", "Div"].contains(node.opType), node.domain.isEmpty || node.domain == "ai.onnx",
                node.input.count == 2, let output = node.output.first, !output.isEmpty,
                let match = try convolution(feeding: node, at: index, in: graph, scope: scope),
                let result = try match.affine.fold(
                    intoConvolution: graph.node[match.layer], scope: &scope, names: &names, pass: name)
            else {
                index += 1
                continue
            }
            let old = graph.node[match.layer].output[0]
            var layer = result.node
            layer.output[0] = output
            graph.node[match.layer] = layer
            graph.node.remove(at: index)
            graph.valueInfo.removeAll { $0.name == old }
            for tensor in result.initializers {
                graph.initializer.append(tensor)
                scope.add(tensor)
            }
            folded += 1
        }
    }

    /// The convolution feeding `node` and the affine map `node` applies to its output.
    private func convolution(
        feeding node: NodeProto, at index: Int, in graph: GraphProto, scope: ConstantScope
    ) throws(PassError) -> (layer: Int, affine: AffineFold)? {
        for side in 0..<2 {
            let value = node.input[side]
            let constantName = node.input[1 - side]
            guard let constant = scope.proto(constantName), constant.dataType == .float,
                let layer = graph.soleProducer(feeding: value, into: index),
                ["Conv", "ConvTranspose"].contains(graph.node[layer].opType),
                let weight = scope.proto(graph.node[layer].input.count > 1 ? graph.node[layer].input[1] : ""),
                let channels = AffineFold.outputChannels(of: graph.node[layer], weight: weight),
                let vector = try Self.channelVector(constant, channels: channels, rank: weight.shape.count, pass: name)
            else { continue }
            switch (node.opType, side) {
            case ("Mul", _): return (layer, AffineFold(scale: vector, shift: nil))
            case ("Add", _): return (layer, AffineFold(scale: nil, shift: vector))
            case ("Sub", 0): return (layer, AffineFold(scale: nil, shift: vector.map { -$0 }))
            case ("Sub", _): return (layer, AffineFold(scale: vector.map { _ in -1 }, shift: vector))
            case ("Div", 0):
                guard vector.allSatisfy({ $0 != 0 }) else { return nil }
                return (layer, AffineFold(scale: vector.map { 1 / $0 }, shift: nil))
            default: return nil
            }
        }
        return nil
    }

    /// The constant as one value per channel, when it broadcasts along the channel axis of a
    /// rank-`rank` tensor only.
    static func channelVector(
        _ constant: TensorProto, channels: Int, rank: Int, pass: String
    ) throws(PassError) -> [Double]? {
        let dims = constant.shape
        guard dims.count <= rank else { return nil }
        let aligned = [Int](repeating: 1, count: rank - dims.count) + dims
        for (axis, size) in aligned.enumerated() where axis != 1 && size != 1 { return nil }
        let values = try constant.floatValues(pass: pass).map(Double.init)
        switch aligned.count > 1 ? aligned[1] : 1 {
        case channels: return values
        case 1: return values.count == 1 ? [Double](repeating: values[0], count: channels) : nil
        default: return nil
        }
    }
}
