import ONNX

/// `fuse-hardswish`: the hard-swish that Paddle2ONNX and older exporters spell out as four
/// elementwise nodes, `Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)`, becomes
/// `Mul(x, HardSigmoid(x))` with alpha 1/6 and beta 0.5: two nodes, the form onnxruntime
/// itself runs HardSwish as, and available at every opset (HardSwish needs 14).
///
/// Why it pays: PP-OCRv4's det and rec and PP-OCR's cls use one per block. In a QDQ graph
/// each of the four nodes was a float pass over a feature map with a Q/DQ pair between some
/// of them; fused, the block's activation costs one HardSigmoid and one Mul. Measured on
/// PP-OCRv4 det at 160x640 in onnxruntime: fp32 20.9 -> 19.6 ms, int8 19.3 -> 16.9 ms.
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
        try fuse(&model.graph, outer: nil, fused: &fused)
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
            let clip = graph.node[match.clip]
            let product = graph.node[match.product]
            let last = graph.node[index]
            let sigmoid = NodeProto(
                "HardSigmoid", inputs: [match.x], outputs: [clip.output[0]], name: clip.name,
                attributes: [.float("alpha", 1.0 / 6.0), .float("beta", 0.5)], domain: clip.domain)
            let multiply = NodeProto(
                "Mul", inputs: [match.x, clip.output[0]], outputs: [last.output[0]], name: product.name,
                domain: product.domain)
            let gone: Set = [graph.node[match.add].output[0], product.output[0]]
            // The HardSigmoid takes the Clip's place (its output keeps the Clip's name and
            // declared type); the Mul takes the last node's place; the Add and old Mul go.
            graph.node[match.clip] = sigmoid
            graph.node[index] = multiply
            let removed = [match.add, match.product].sorted(by: >)
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

    /// A Clip to [0, 6]: bounds as constant inputs (opset 11+) or attributes (before 11).
    private func isReluSix(_ node: NodeProto, scope: ConstantScope) throws -> Bool {
        guard node.opType == "Clip", node.isStandard, node.output.count == 1 else { return false }
        if node.input.count == 3 {
            return try isScalar(node.input[1], 0, scope: scope) && isScalar(node.input[2], 6, scope: scope)
        }
        return node.input.count == 1 && node.attribute("min")?.f == 0 && node.attribute("max")?.f == 6
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
