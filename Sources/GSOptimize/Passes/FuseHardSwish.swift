import ONNX

/// `fuse-hardswish`: the hard-swish that Paddle2ONNX and older exporters spell out as four
/// elementwise nodes, `Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)`, becomes one `HardSwish(x)`
/// (opset 14), on models at opset 13 or later; the model's opset becomes 14.
///
/// Why: PP-OCRv4's det and rec and PP-OCR's cls use one per block. In a QDQ graph the four
/// nodes are float passes over a feature map with Q/DQ pairs between them; HardSwish is one
/// float pass, which onnxruntime runs as HardSigmoid and Mul and OpenVINO as its own HSwish.
/// Measured on PP-OCRv4 det int8 at 160x640 (scratch timing, medians): onnxruntime 21.2 ms
/// and OpenVINO 8.9 ms against the original fp32's 27.5 and 16.6. The spelling matters:
/// `Mul(x, HardSigmoid(x))`, the form that needs no opset 14, made the same int8 model 1.6x
/// slower in OpenVINO (11.3 -> 18.7 ms), which runs ONNX HardSigmoid without its HSwish kernel.
///
/// Opset: 13 -> 14 changes no op's meaning for inference (Add, Sub, Mul, Div and Relu gain
/// bfloat16; Reshape's `allowzero`, BatchNormalization's `training_mode` and the RNNs'
/// `layout` default to the old behaviour), so the bump is safe on any valid opset-13 graph.
/// Older models are left alone: the INT8 path runs this pass again after `upgrade-opset`,
/// and an FP32 variant of an opset-11 model keeps its spelled-out form, which OpenVINO fuses
/// itself.
///
/// The same function in real arithmetic; in float the rounding differs by an ulp or two
/// (x/6 + 0.5 against (x + 3)/6), which is why tests compare it at the reassociating
/// passes' tolerance. The constants must be exactly 3, 0, 6 and 6 (or a Mul by the float
/// nearest 1/6), and every intermediate value read by the next node alone.
public struct FuseHardSwish: GraphPass {
    public let name = "fuse-hardswish"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        var fused = 0
        guard let position = model.opsetImport.firstIndex(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" }),
            model.opsetImport[position].version >= 13
        else { return (model, PassReport(pass: name, counts: ["fused": 0])) }
        try fuse(&model.graph, outer: nil, fused: &fused)
        if fused > 0, model.opsetImport[position].version < 14 { model.opsetImport[position].version = 14 }
        return (model, PassReport(pass: name, counts: ["fused": fused]))
    }

    private func fuse(_ graph: inout GraphProto, outer: ConstantScope?, fused: inout Int) throws {
        let scope = ConstantScope(graph, outer: outer)
        let types = graph.declaredTypes()
        for index in graph.node.indices {
            try graph.node[index].mapSubgraphs { (subgraph: inout GraphProto) throws in
                try fuse(&subgraph, outer: scope, fused: &fused)
            }
        }
        var index = 0
        while index < graph.node.count {
            guard let match = try hardSwish(endingAt: index, in: graph, scope: scope, types: types) else {
                index += 1
                continue
            }
            let last = graph.node[index]
            let swish = NodeProto(
                "HardSwish", inputs: [match.x], outputs: [last.output[0]], name: last.name, domain: last.domain)
            let gone = [match.add, match.clip, match.product].map { graph.node[$0].output[0] }
            // HardSwish takes the last node's place (and its output name); the rest go.
            graph.node[index] = swish
            let removed = [match.add, match.clip, match.product].sorted(by: >)
            for position in removed { graph.node.remove(at: position) }
            graph.valueInfo.removeAll { gone.contains($0.name) }
            fused += 1
            index += 1 - removed.filter { $0 < index }.count
        }
    }

    /// The nodes of a spelled-out hard-swish whose last node (Div by 6, or Mul by 1/6) is
    /// at `index`, and the value it is applied to.
    private func hardSwish(
        endingAt index: Int, in graph: GraphProto, scope: ConstantScope,
        types: [String: (elementType: DataType, shape: [Int?]?)]
    ) throws -> (add: Int, clip: Int, product: Int, x: String)? {
        let last = graph.node[index]
        guard last.isStandard, last.input.count == 2, last.output.count == 1, !last.output[0].isEmpty else {
            return nil
        }
        let scaled: String
        switch last.opType {
        case "Div":
            guard try isScalar(last.input[1], 6, scope: scope) else { return nil }
            scaled = last.input[0]
        case "Mul":
            if try isScalar(last.input[1], 1.0 / 6.0, scope: scope) {
                scaled = last.input[0]
            } else if try isScalar(last.input[0], 1.0 / 6.0, scope: scope) {
                scaled = last.input[1]
            } else {
                return nil
            }
        default: return nil
        }
        guard let product = graph.soleProducer(feeding: scaled, into: index) else { return nil }
        let mul = graph.node[product]
        guard mul.opType == "Mul", mul.isStandard, mul.input.count == 2 else { return nil }
        for side in 0..<2 {
            let x = mul.input[side]
            guard let clip = graph.soleProducer(feeding: mul.input[1 - side], into: product),
                try isReluSix(graph.node[clip], scope: scope),
                let add = graph.soleProducer(feeding: graph.node[clip].input[0], into: clip)
            else { continue }
            let plus = graph.node[add]
            guard plus.opType == "Add", plus.isStandard, plus.input.count == 2 else { continue }
            let three = plus.input[0] == x ? plus.input[1] : plus.input[1] == x ? plus.input[0] : nil
            // The fused nodes' outputs have x's shape; the spelled-out ones broadcast x with
            // the constants, so a constant of higher rank than x would change the shape.
            let constants = [plus.input, graph.node[clip].input, last.input].joined().compactMap(scope.proto)
            let rank = types[x]?.shape?.count
            guard let three, try isScalar(three, 3, scope: scope), types[x].map({ $0.elementType == .float }) ?? true,
                constants.allSatisfy({ $0.shape.isEmpty || $0.shape.count <= (rank ?? 1) })
            else { continue }
            return (add, clip, product, x)
        }
        return nil
    }

    /// A Clip to [0, 6] (bounds as constant inputs: the only form at opset 13).
    private func isReluSix(_ node: NodeProto, scope: ConstantScope) throws -> Bool {
        guard node.opType == "Clip", node.isStandard, node.output.count == 1, node.input.count == 3 else {
            return false
        }
        return try isScalar(node.input[1], 0, scope: scope) && isScalar(node.input[2], 6, scope: scope)
    }

    /// Whether `name` is a one-element float constant equal to `value`.
    private func isScalar(_ name: String, _ value: Float, scope: ConstantScope) throws -> Bool {
        guard let proto = scope.proto(name), proto.dataType == .float, proto.shape.reduce(1, *) == 1 else {
            return false
        }
        return try proto.floatValues(pass: self.name) == [value]
    }
}

extension NodeProto {
    /// In the default ONNX domain (the only one whose ops these rewrites know).
    fileprivate var isStandard: Bool { domain.isEmpty || domain == "ai.onnx" }
}
