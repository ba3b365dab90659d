import ONNX

/// `fuse-matmul-add`: `Add(MatMul(A, W), b)` with W a 2-D float constant and b a float constant
/// becomes `Gemm(A, W, b)`, one node and one kernel instead of two.
///
/// Exact only when A is 2-D (Gemm takes matrices; a batched MatMul is not a Gemm), so A's rank
/// must be declared 2 (`static-shapes` writes it), and b must broadcast to the [M, N] output
/// the way Gemm's C does: rank at most 2, last axis 1 or N, first axis (rank 2) 1 or M. The
/// MatMul's output must be read by the Add alone and be no graph output; the Gemm takes the
/// Add's output name. Rank-3 inputs (the attention blocks of ppocrv4_rec) are left alone:
/// rewriting them needs Reshapes around the Gemm, which adds nodes.
public struct FuseMatMulAdd: GraphPass {
    public let name = "fuse-matmul-add"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        var fused = 0
        fuse(&model.graph, outer: nil, fused: &fused)
        return (model, PassReport(pass: name, counts: ["fused": fused]))
    }

    private func fuse(_ graph: inout GraphProto, outer: ConstantScope?, fused: inout Int) {
        let scope = ConstantScope(graph, outer: outer)
        for index in graph.node.indices {
            graph.node[index].mapSubgraphs { fuse(&$0, outer: scope, fused: &fused) }
        }
        let types = graph.declaredTypes()
        var index = 0
        while index < graph.node.count {
            let add = graph.node[index]
            guard add.opType == "Add", add.domain.isEmpty || add.domain == "ai.onnx", add.input.count == 2,
                let output = add.output.first, !output.isEmpty,
                let match = matMul(feeding: add, at: index, in: graph, scope: scope, types: types)
            else {
                index += 1
                continue
            }
            let matMul = graph.node[match.layer]
            let gemm = NodeProto(
                "Gemm", inputs: [matMul.input[0], matMul.input[1], match.bias], outputs: [output], name: matMul.name,
                domain: matMul.domain)
            graph.node[match.layer] = gemm
            graph.node.remove(at: index)
            graph.valueInfo.removeAll { $0.name == matMul.output[0] }
            fused += 1
        }
    }

    /// The MatMul feeding `add` and the name of the bias it adds, when they fuse exactly.
    private func matMul(
        feeding add: NodeProto, at index: Int, in graph: GraphProto, scope: ConstantScope,
        types: [String: (elementType: DataType, shape: [Int?]?)]
    ) -> (layer: Int, bias: String)? {
        for side in 0..<2 {
            guard let bias = scope.proto(add.input[1 - side]), bias.dataType == .float, bias.shape.count <= 2,
                let layer = graph.soleProducer(feeding: add.input[side], into: index),
                graph.node[layer].opType == "MatMul", graph.node[layer].input.count == 2,
                let weight = scope.proto(graph.node[layer].input[1]), weight.dataType == .float,
                weight.shape.count == 2,
                let input = types[graph.node[layer].input[0]], input.elementType == .float,
                let shape = input.shape, shape.count == 2
            else { continue }
            let columns = weight.shape[1]
            let dims = bias.shape
            guard dims.last.map({ $0 == 1 || $0 == columns }) ?? true else { continue }
            if dims.count == 2, dims[0] != 1, dims[0] != shape[0] { continue }
            return (layer, add.input[1 - side])
        }
        return nil
    }
}
