import ONNX

/// `fold-batchnorm`: a BatchNormalization (inference form: only Y read) right after a Conv,
/// ConvTranspose, Gemm, or a MatMul with a constant 2-D weight and a 2-D input, is folded into
/// that layer's weights and bias: with s = scale / sqrt(var + epsilon),
/// W' = W * s (per output channel) and b' = (b - mean) * s + B. The MatMul becomes a Gemm.
///
/// Only when the layer's output is read by the BatchNormalization alone (and is no graph
/// output), its weights and the statistics are float constants, and training_mode is off.
/// The folded layer takes the BatchNormalization's output name. Reassociates float math:
/// outputs agree to about 1e-5 relative, checked at 1e-3.
public struct FoldBatchNorm: GraphPass {
    public let name = "fold-batchnorm"

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
        let ranks = graph.declaredTypes().mapValues { $0.shape?.count }
        var index = 0
        while index < graph.node.count {
            let norm = graph.node[index]
            guard norm.opType == "BatchNormalization", norm.domain.isEmpty || norm.domain == "ai.onnx",
                norm.input.count == 5, let output = norm.output.first, !output.isEmpty,
                graph.readsOnlyFirstOutput(of: norm), (norm.attribute("training_mode")?.i ?? 0) == 0,
                (norm.attribute("spatial")?.i ?? 1) == 1,
                let layerIndex = graph.soleProducer(feeding: norm.input[0], into: index),
                let affine = try statistics(of: norm, scope: scope)
            else {
                index += 1
                continue
            }
            let layer = graph.node[layerIndex]
            let result: (node: NodeProto, initializers: [TensorProto])?
            switch layer.opType {
            case "Conv", "ConvTranspose":
                result = try affine.fold(intoConvolution: layer, scope: &scope, names: &names, pass: name)
            case "Gemm":
                result = try affine.fold(intoGemm: layer, scope: &scope, names: &names, pass: name)
            case "MatMul" where ranks[layer.input[0]] == .some(2):
                result = try affine.fold(intoGemm: layer, scope: &scope, names: &names, pass: name)
            default:
                result = nil
            }
            guard let result else {
                index += 1
                continue
            }
            var replacement = result.node
            replacement.output[0] = output
            graph.node[layerIndex] = replacement
            graph.node.remove(at: index)
            graph.valueInfo.removeAll { $0.name == layer.output[0] }
            for tensor in result.initializers {
                graph.initializer.append(tensor)
                scope.add(tensor)
            }
            folded += 1
        }
    }

    /// s = scale / sqrt(var + epsilon) and t = B - mean * s, when all four are float
    /// constants of one length.
    private func statistics(of norm: NodeProto, scope: ConstantScope) throws(PassError) -> AffineFold? {
        var vectors: [[Double]] = []
        for name in norm.input.dropFirst() {
            guard let tensor = scope.proto(name), tensor.dataType == .float, tensor.shape.count == 1 else { return nil }
            vectors.append(try tensor.floatValues(pass: self.name).map(Double.init))
        }
        let count = vectors[0].count
        guard vectors.allSatisfy({ $0.count == count }) else { return nil }
        let epsilon = Double(norm.attribute("epsilon")?.f ?? 1e-5)
        let scale = (0..<count).map { vectors[0][$0] / (vectors[3][$0] + epsilon).squareRoot() }
        let shift = (0..<count).map { vectors[1][$0] - vectors[2][$0] * scale[$0] }
        return AffineFold(scale: scale, shift: shift)
    }
}
