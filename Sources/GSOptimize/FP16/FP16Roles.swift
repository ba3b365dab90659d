import ONNX

/// Why a node that touches float32 values keeps computing in float32.
enum FP16KeepReason: String, Sendable, CaseIterable, Comparable {
    case subgraphs = "holds subgraphs, which stay float32"
    case customDomain = "op outside the default domain"
    case named = "named in keepNodeNames"
    case blocked = "op type on the block list"
    case shapeComputation = "computes only from shapes and constants"
    case overflow = "reads constants beyond float16's range"
    case noFloat16Form = "op has no float16 form at this opset"

    /// Declaration order, so report notes list reasons the same way every time.
    static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// What the pass does with one node of the main graph.
enum FP16Role: Equatable, Sendable {
    /// Reads and writes no float32 value.
    case untouched
    /// Computes in float16: its float inputs (but fixed-type ones) and outputs become float16.
    case converted
    /// Computes in float32: float16 values it reads are cast back first.
    case kept(FP16KeepReason)
    /// Reads float values without caring about their precision and writes none (`Shape`,
    /// `Size`, a Cast to an integer type): reads whichever version exists, so no Cast.
    case readsEither
    /// Makes a float value from no float computation (`Constant`, `ConstantOfShape`, a Cast
    /// to float): its output takes the precision its readers want, to spare a Cast.
    case source
}

/// Where a value's content comes from, to tell shape arithmetic apart from the model's
/// computation: shape computations stay float32 so that sizes and counts stay exact.
enum FP16Origin: Sendable, Hashable {
    case constant
    case shape
    case data
}

/// Assigns roles to the nodes of the main graph.
struct FP16Roles {
    let options: FP16Options
    /// The model's default-domain opset: some ops accept float16 only from a later one.
    let opset: Int64

    /// Ops whose schema takes float but not float16 before the given opset (`Int64.max`:
    /// never); converting them would give a model the checker and runtimes refuse.
    static let float16Since: [String: Int64] = [
        "QuantizeLinear": 19, "DequantizeLinear": 19, "IsInf": 20, "DynamicQuantizeLinear": .max,
        "QLinearConv": .max, "QLinearMatMul": .max, "Celu": .max,
    ]

    /// Inputs (by position) that keep their own float32 type whatever the node computes in:
    /// their type parameter is `tensor(float)` only (Resize and Upsample scales) or separate
    /// from the data's (Resize roi, Dropout ratio).
    static let float32Inputs: [String: Set<Int>] = ["Resize": [1, 2], "Upsample": [1], "Dropout": [1]]

    /// The role of every node of `graph`, whose value types are `types`; `overflowing`
    /// names the constants holding magnitudes float16 cannot.
    func roles(of graph: GraphProto, types: [String: DataType], overflowing: Set<String>) -> [FP16Role] {
        let origins = Self.origins(of: graph)
        return graph.node.map { role(of: $0, types: types, origins: origins, overflowing: overflowing) }
    }

    /// The role of one node. The order of the rules matters: subgraphs, other domains and
    /// named nodes are kept whatever they are; shape readers never need a Cast; then the
    /// block list, missing float16 schemas, shape arithmetic, sources and overflow.
    func role(
        of node: NodeProto, types: [String: DataType], origins: [String: FP16Origin], overflowing: Set<String>
    ) -> FP16Role {
        func isFloat(_ name: String) -> Bool { !name.isEmpty && types[name] == .float }
        let readsFloat = node.input.contains(where: isFloat) || node.implicitInputs.contains(where: isFloat)
        let writesFloat = node.output.contains(where: isFloat)
        guard readsFloat || writesFloat else { return .untouched }
        if !node.subgraphs.isEmpty { return .kept(options.blockedOps.contains(node.opType) ? .blocked : .subgraphs) }
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return .kept(.customDomain) }
        if options.keepNodeNames.contains(node.name) { return .kept(.named) }
        if FP16Options.shapeOnlyOps.contains(node.opType) && !writesFloat { return .readsEither }
        if options.blockedOps.contains(node.opType) { return .kept(.blocked) }
        if let since = Self.float16Since[node.opType], opset < since { return .kept(.noFloat16Form) }
        if node.opType == "Cast" && !writesFloat { return .readsEither }
        if options.keepShapeComputations && Self.isShapeComputation(node, origins: origins) {
            return .kept(.shapeComputation)
        }
        switch node.opType {
        case "Constant", "ConstantOfShape", "Cast": return .source
        default:
            if options.keepOverflowingNodes && node.input.contains(where: overflowing.contains) {
                return .kept(.overflow)
            }
            return .converted
        }
    }

    /// Whether every input is a constant or comes from shapes, and one does come from shapes.
    static func isShapeComputation(_ node: NodeProto, origins: [String: FP16Origin]) -> Bool {
        var fromShape = false
        for name in node.input.filter({ !$0.isEmpty }) + node.implicitInputs.sorted() {
            switch origins[name] ?? .data {
            case .data: return false
            case .shape: fromShape = true
            case .constant: continue
            }
        }
        return fromShape
    }

    /// The origin of every value of `graph`: initializers and Constants are constants, Shape
    /// and Size outputs shapes, graph inputs data; a node's outputs take the strongest origin
    /// among its inputs (data over shape over constant).
    static func origins(of graph: GraphProto) -> [String: FP16Origin] {
        var origins: [String: FP16Origin] = [:]
        for tensor in graph.initializer { origins[tensor.name] = .constant }
        for input in graph.input { origins[input.name] = .data }
        for node in graph.node {
            let origin: FP16Origin
            switch node.opType {
            case "Constant": origin = .constant
            case "Shape", "Size": origin = .shape
            default:
                let inputs = node.input.filter { !$0.isEmpty } + node.implicitInputs.sorted()
                let known = inputs.map { origins[$0] ?? .data }
                if inputs.isEmpty || known.contains(.data) {
                    origin = .data
                } else if known.contains(.shape) {
                    origin = .shape
                } else {
                    origin = .constant
                }
            }
            for output in node.output where !output.isEmpty { origins[output] = origin }
        }
        return origins
    }
}
