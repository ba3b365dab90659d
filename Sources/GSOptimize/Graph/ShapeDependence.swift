import ONNX

/// Which values of a graph stop depending on the input *data* once the input *shapes* are
/// fixed. Static-shape inference runs the model once on zeros; this analysis decides which of
/// the shapes (and Shape-derived values) seen in that run hold for every input, so a shape
/// that depends on the data (NonZero, NonMaxSuppression, TopK with a computed k, a Reshape to
/// a computed shape, a Loop that may stop early) is never baked in.
///
/// Rules, per node: outputs of a node whose inputs are all fixed values are fixed values
/// (constant arithmetic); `Shape`/`Size` of a value with a fixed shape is a fixed value; ops
/// whose output shapes follow from input shapes and attributes (`shapeRule`) give fixed
/// shapes when their inputs have fixed shapes and the inputs that steer the shape (Reshape's
/// `shape`, Slice's `starts`...) are fixed values; Loop and If are analysed through their
/// bodies; anything else (unknown ops, other domains) is data dependent.
struct ShapeDependence {
    /// What the analysis knows about one value.
    struct Status: Hashable {
        /// The shape is the same for every input of the given shapes.
        var shape: Bool
        /// The contents are too (constants and shape arithmetic).
        var value: Bool

        static let dynamic = Status(shape: false, value: false)
        static let constant = Status(shape: true, value: true)
    }

    /// Every value of the main graph (and outer values its subgraphs see) with its status.
    private(set) var statuses: [String: Status]

    /// Analyses `graph` (opset of the default domain `opset`); `fixedInputs` are the graph
    /// inputs whose shapes are fully static.
    init(_ graph: GraphProto, opset: Int, fixedInputs: Set<String>) {
        var seeds: [String: Status] = [:]
        for input in graph.input {
            seeds[input.name] = Status(shape: fixedInputs.contains(input.name), value: false)
        }
        statuses = Analyzer(opset: opset).analyze(graph, seeds: seeds, outer: [:])
    }

    /// Whether `name`'s shape holds for every input of the fixed shapes.
    func hasFixedShape(_ name: String) -> Bool { statuses[name]?.shape ?? false }

    /// Whether `name`'s value holds for every input of the fixed shapes.
    func hasFixedValue(_ name: String) -> Bool { statuses[name]?.value ?? false }
}

/// The per-graph walk, recursive through Loop and If bodies.
private struct Analyzer {
    let opset: Int

    /// Statuses of every value visible in `graph`: `outer` (enclosing scopes), `seeds`
    /// (graph inputs), initializers (constants) and node outputs in dependency order.
    func analyze(
        _ graph: GraphProto, seeds: [String: ShapeDependence.Status], outer: [String: ShapeDependence.Status]
    ) -> [String: ShapeDependence.Status] {
        var environment = outer
        for name in graph.locallyDefinedNames { environment[name] = nil }
        environment.merge(seeds) { _, seed in seed }
        let inputs = Set(graph.input.map(\.name))
        for tensor in graph.initializer where !inputs.contains(tensor.name) { environment[tensor.name] = .constant }
        var sorted = graph
        sorted.sortTopologically()
        for node in sorted.node {
            let results = statuses(of: node, in: environment)
            for (index, output) in node.output.enumerated() where !output.isEmpty {
                environment[output] = index < results.count ? results[index] : .dynamic
            }
        }
        return environment
    }

    private func statuses(
        of node: NodeProto, in environment: [String: ShapeDependence.Status]
    ) -> [ShapeDependence.Status] {
        let dynamic = [ShapeDependence.Status](repeating: .dynamic, count: node.output.count)
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return dynamic }
        let inputs: [ShapeDependence.Status?] = node.input.map { $0.isEmpty ? nil : environment[$0] ?? .dynamic }
        let present = inputs.compactMap { $0 }
        switch node.opType {
        case "Loop": return loop(node, inputs: inputs, environment: environment)
        case "If": return conditional(node, inputs: inputs, environment: environment)
        default: break
        }
        if Self.randomOps.contains(node.opType) {
            let shape = node.opType.hasSuffix("Like") ? present.allSatisfy(\.shape) : node.input.isEmpty
            return node.output.map { _ in ShapeDependence.Status(shape: shape, value: false) }
        }
        guard !node.hasSubgraphs else { return dynamic }
        if present.allSatisfy(\.value) { return node.output.map { _ in .constant } }
        if node.opType == "Shape" || node.opType == "Size" {
            let fixed = inputs.first??.shape ?? false
            return node.output.map { _ in ShapeDependence.Status(shape: true, value: fixed) }
        }
        guard let steering = Self.shapeRule(node.opType, opset: opset) else { return dynamic }
        let shape =
            present.allSatisfy(\.shape)
            && steering.allSatisfy { index in index >= inputs.count || inputs[index].map(\.value) ?? true }
        return node.output.map { _ in ShapeDependence.Status(shape: shape, value: false) }
    }

    /// Loop: the trip count must be a fixed value and the body's condition a fixed value
    /// (else the loop may stop after a data-dependent number of iterations); loop-carried
    /// values are found by iterating to a fixed point (a carried value is fixed when its
    /// initial value and the body's update of it are).
    private func loop(
        _ node: NodeProto, inputs: [ShapeDependence.Status?], environment: [String: ShapeDependence.Status]
    ) -> [ShapeDependence.Status] {
        let dynamic = [ShapeDependence.Status](repeating: .dynamic, count: node.output.count)
        guard let body = node.attribute("body")?.g, body.input.count >= 2, body.output.count >= 1 else {
            return dynamic
        }
        let tripCount = inputs.first.flatMap { $0 }
        let condition = inputs.count > 1 ? inputs[1] : nil
        let carriedCount = max(0, inputs.count - 2)
        guard body.input.count == carriedCount + 2, body.output.count >= carriedCount + 1 else { return dynamic }
        var carried = (0..<carriedCount).map { inputs[$0 + 2] ?? .dynamic }
        var conditionFixed = condition?.value ?? true
        var outputs: [ShapeDependence.Status] = []
        // Statuses only ever turn from fixed to not fixed, so this ends.
        while true {
            var seeds: [String: ShapeDependence.Status] = [:]
            seeds[body.input[0].name] = .constant
            seeds[body.input[1].name] = ShapeDependence.Status(shape: true, value: conditionFixed)
            for index in 0..<carriedCount { seeds[body.input[index + 2].name] = carried[index] }
            let result = analyze(body, seeds: seeds, outer: environment)
            outputs = body.output.map { result[$0.name] ?? .dynamic }
            let next = (0..<carriedCount).map { index in
                ShapeDependence.Status(
                    shape: carried[index].shape && outputs[index + 1].shape,
                    value: carried[index].value && outputs[index + 1].value)
            }
            let nextCondition = conditionFixed && outputs[0].value
            if next == carried && nextCondition == conditionFixed { break }
            carried = next
            conditionFixed = nextCondition
        }
        let tripsFixed = (tripCount?.value ?? true) && conditionFixed && outputs[0].value
        var results: [ShapeDependence.Status] = []
        for index in node.output.indices {
            let status: ShapeDependence.Status
            if index < carriedCount {
                status = carried[index]
            } else if index + 1 < outputs.count {
                status = outputs[index + 1]
            } else {
                status = .dynamic
            }
            results.append(ShapeDependence.Status(shape: status.shape && tripsFixed, value: status.value && tripsFixed))
        }
        return results
    }

    /// If: only a condition that is a fixed value picks the same branch for every input.
    private func conditional(
        _ node: NodeProto, inputs: [ShapeDependence.Status?], environment: [String: ShapeDependence.Status]
    ) -> [ShapeDependence.Status] {
        let dynamic = [ShapeDependence.Status](repeating: .dynamic, count: node.output.count)
        guard inputs.first??.value == true,
            let thenBranch = node.attribute("then_branch")?.g, let elseBranch = node.attribute("else_branch")?.g
        else { return dynamic }
        let thenResult = analyze(thenBranch, seeds: [:], outer: environment)
        let elseResult = analyze(elseBranch, seeds: [:], outer: environment)
        return node.output.indices.map { index in
            guard index < thenBranch.output.count, index < elseBranch.output.count else { return .dynamic }
            let a = thenResult[thenBranch.output[index].name] ?? .dynamic
            let b = elseResult[elseBranch.output[index].name] ?? .dynamic
            return ShapeDependence.Status(shape: a.shape && b.shape, value: a.value && b.value)
        }
    }

    /// Ops whose outputs are random: never fixed values.
    static let randomOps: Set<String> = [
        "RandomNormal", "RandomUniform", "RandomNormalLike", "RandomUniformLike", "Multinomial", "Bernoulli",
    ]

    /// For ops whose output shapes follow from their input shapes and attributes, the inputs
    /// whose *values* also steer the shape (empty for most); nil for ops this analysis does
    /// not know or whose output shape depends on the data (NonZero, NonMaxSuppression, Unique,
    /// Compress, Scan...).
    static func shapeRule(_ op: String, opset: Int) -> [Int]? {
        if shapeOnlyOps.contains(op) { return [] }
        switch op {
        case "Reshape", "Expand", "Tile", "OneHot", "CenterCropPad": return [1]
        case "ConstantOfShape": return [0]
        case "Range": return [0, 1, 2]
        case "MaxUnpool": return [2]
        case "Slice": return opset >= 10 ? [1, 2, 3, 4] : []
        case "Pad": return opset >= 11 ? [1, 3] : []
        case "Resize": return opset >= 11 ? [2, 3] : [1]
        case "Upsample": return opset >= 9 ? [1] : []
        case "TopK": return opset >= 10 ? [1] : []
        case "Squeeze", "Unsqueeze", "Split", "ReduceSum": return opset >= 13 ? [1] : []
        case "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
            "ReduceLogSumExp", "ReduceSumSquare":
            return opset >= 18 ? [1] : []
        default: return nil
        }
    }

    /// Ops whose output shapes follow from input shapes and attributes alone.
    static let shapeOnlyOps: Set<String> = [
        // Elementwise, unary.
        "Abs", "Acos", "Acosh", "Asin", "Asinh", "Atan", "Atanh", "Cos", "Cosh", "Sin", "Sinh", "Tan", "Tanh",
        "Ceil", "Floor", "Round", "Sign", "Neg", "Reciprocal", "Sqrt", "Exp", "Log", "Erf", "Not", "IsNaN", "IsInf",
        "Relu", "LeakyRelu", "PRelu", "Elu", "Selu", "Celu", "Gelu", "Mish", "Sigmoid", "HardSigmoid", "HardSwish",
        "Softplus", "Softsign", "ThresholdedRelu", "Shrink", "Clip", "Cast", "CastLike", "Identity", "Dropout",
        "Softmax", "LogSoftmax", "Hardmax", "BitwiseNot",
        // Elementwise, broadcasting.
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min", "Sum", "Mean", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "BitShift", "BitwiseAnd", "BitwiseOr", "BitwiseXor",
        "Where",
        // Networks.
        "Conv", "ConvTranspose", "ConvInteger", "QLinearConv", "MaxPool", "AveragePool", "LpPool",
        "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "MaxRoiPool", "RoiAlign", "BatchNormalization",
        "InstanceNormalization", "LayerNormalization", "GroupNormalization", "LRN", "MeanVarianceNormalization",
        "LpNormalization", "Gemm", "MatMul", "MatMulInteger", "QLinearMatMul", "QuantizeLinear", "DequantizeLinear",
        "DynamicQuantizeLinear", "Einsum", "GRU", "LSTM", "RNN", "GridSample",
        // Layout and indexing.
        "DepthToSpace", "SpaceToDepth", "Transpose", "Concat", "Flatten", "Gather", "GatherElements", "GatherND",
        "ScatterElements", "ScatterND", "Scatter", "ArgMax", "ArgMin", "CumSum", "Trilu", "ReverseSequence",
        "EyeLike", "Det",
    ]
}
