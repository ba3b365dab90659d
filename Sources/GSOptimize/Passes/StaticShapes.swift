import GSExec
import ONNX

/// `static-shapes`: fixes the graph inputs' symbolic dimensions from `context.inputShapes`,
/// infers every value's shape by running the model once on zeros of those shapes, writes
/// value_info entries (element type and static shape) for the values whose shape holds for
/// every input, and replaces the Shape and Size nodes of such values (and data-independent
/// Loop/If outputs) by initializers, so that `fold-constants` can fold the shape arithmetic
/// behind them (run it afterwards).
///
/// Why: the quantizer and `gsctl model inspect` need every value's type and shape, and the
/// talk's point that static input shapes optimize better is this pass: tf2onnx graphs carry
/// long Shape -> Cast -> Slice -> Concat chains that become constants.
///
/// Data-dependent shapes are never baked in: `ShapeDependence` decides which observed shapes
/// hold for every input of the given shapes; the others (values after NonZero,
/// NonMaxSuppression, TopK with a computed k, Loops that may stop early) get a value_info
/// with the element type only. Values inside Loop and If bodies are left as they are.
/// Errors: a given shape that names no graph input, has the wrong rank, a non-positive size,
/// or contradicts a fixed dimension; a model the executor cannot run. When some input still
/// has a symbolic dimension and no shape was given for it, only the given shapes are applied.
public struct StaticShapes: GraphPass {
    public let name = "static-shapes"

    public init() {}

    public func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport) {
        var model = model
        let opset = Int(model.opsetVersion(domain: "") ?? 0)
        guard opset > 0 else { throw PassError(pass: name, "the model imports no default-domain opset") }
        let initializers = Set(model.graph.initializer.map(\.name))
        let inputs = model.graph.input.filter { !initializers.contains($0.name) }
        let fixedDims = try fixInputs(&model.graph, shapes: context.inputShapes, inputs: Set(inputs.map(\.name)))
        let symbolic = model.graph.input.filter { !initializers.contains($0.name) && Self.staticShape($0) == nil }
        guard symbolic.isEmpty else {
            let names = symbolic.map { "'\($0.name)'" }.joined(separator: ", ")
            return (
                model,
                PassReport(
                    pass: name, counts: ["input_dims_fixed": fixedDims],
                    notes: ["input \(names) still has symbolic dimensions: give its shape to infer the others"])
            )
        }
        let dependence = ShapeDependence(model.graph, opset: opset, fixedInputs: Set(inputs.map(\.name)))
        let observed = try run(model, keeping: Self.constantOutputs(of: model.graph, dependence: dependence))
        var counts = ["input_dims_fixed": fixedDims]
        var notes: [String] = []
        writeValueInfo(&model.graph, observed: observed, dependence: dependence, counts: &counts, notes: &notes)
        counts["shape_nodes_replaced"] = replaceShapeNodes(&model.graph, observed: observed, dependence: dependence)
        counts["control_outputs_replaced"] = replaceControlOutputs(
            &model.graph, observed: observed, dependence: dependence)
        return (model, PassReport(pass: name, counts: counts, notes: notes))
    }

    /// Applies the given shapes to the graph inputs, checking them against what is declared;
    /// returns how many dimensions became fixed.
    private func fixInputs(
        _ graph: inout GraphProto, shapes: [String: [Int]], inputs: Set<String>
    ) throws(PassError) -> Int {
        for given in shapes.keys.sorted() where !inputs.contains(given) {
            let known = inputs.sorted().map { "'\($0)'" }.joined(separator: ", ")
            throw PassError(pass: name, "a shape is given for '\(given)', which is no graph input (inputs: \(known))")
        }
        var fixed = 0
        for index in graph.input.indices {
            let input = graph.input[index]
            guard let shape = shapes[input.name] else { continue }
            let described = "input '\(input.name)'"
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw PassError(pass: name, "\(described): the given shape \(shape) has a size below 1")
            }
            guard var tensor = input.tensorType else {
                throw PassError(pass: name, "\(described) is not a tensor, so it takes no shape")
            }
            var dims = tensor.shape?.dim ?? shape.map { _ in TensorShapeProto.Dimension() }
            guard dims.count == shape.count else {
                throw PassError(
                    pass: name, "\(described) has rank \(dims.count), the given shape \(shape) has rank \(shape.count)")
            }
            for axis in dims.indices {
                if let size = dims[axis].fixed, size > 0 {
                    guard size == Int64(shape[axis]) else {
                        throw PassError(
                            pass: name,
                            "\(described) has size \(size) on axis \(axis), the given shape \(shape) says \(shape[axis])"
                        )
                    }
                } else {
                    dims[axis].value = .value(Int64(shape[axis]))
                    fixed += 1
                }
            }
            tensor.shape = TensorShapeProto(dim: dims)
            graph.input[index].type?.tensorType = tensor
        }
        return fixed
    }

    /// The declared shape when every dimension is a fixed positive size.
    static func staticShape(_ info: ValueInfoProto) -> [Int]? {
        guard let dims = info.tensorType?.shape?.dim else { return nil }
        var shape: [Int] = []
        for dim in dims {
            guard let size = dim.fixed, size > 0 else { return nil }
            shape.append(Int(size))
        }
        return shape
    }

    /// Outputs whose values this pass turns into initializers: those of Shape and Size nodes,
    /// and those of Loop and If nodes that the analysis finds data independent (a Loop that
    /// computes shapes, as SSDLite's preprocessing loop does for the true image shape).
    static func constantOutputs(of graph: GraphProto, dependence: ShapeDependence) -> Set<String> {
        var names = Set<String>()
        for node in graph.node {
            switch node.opType {
            case "Shape", "Size": names.formUnion(node.output.prefix(1))
            case "Loop", "If": names.formUnion(node.output.filter { !$0.isEmpty && dependence.hasFixedValue($0) })
            default: break
            }
        }
        return names
    }

    /// Element type, shape and (for `keeping`) value of every value the main graph computes,
    /// from one run on zero inputs.
    private func run(_ model: ModelProto, keeping: Set<String>) throws(PassError) -> [String: Tensor] {
        var feeds: [String: Tensor] = [:]
        let initializers = Set(model.graph.initializer.map(\.name))
        for input in model.graph.input where !initializers.contains(input.name) {
            guard let shape = Self.staticShape(input), let type = input.tensorType?.elementType,
                let zeros = Self.zeros(type, shape: shape)
            else {
                throw PassError(pass: name, "input '\(input.name)' has an element type the executor cannot feed")
            }
            feeds[input.name] = zeros
        }
        var observed: [String: Tensor] = [:]
        do {
            let executor = try ONNXImport.executor(for: model)
            _ = try executor.run(feeds) { name, value in
                // Only shapes are needed, and the values that become initializers.
                observed[name] =
                    keeping.contains(name) ? value : Tensor(shape: value.shape, storage: Self.empty(value.dataType))
            }
        } catch {
            throw PassError(pass: name, "running the model on zero inputs failed: \(error)")
        }
        return observed
    }

    /// Writes value_info for every value the run produced (static shape or type only) and
    /// static shapes on the graph outputs.
    private func writeValueInfo(
        _ graph: inout GraphProto, observed: [String: Tensor], dependence: ShapeDependence,
        counts: inout [String: Int], notes: inout [String]
    ) {
        let interface = Set(graph.input.map(\.name)).union(graph.output.map(\.name))
        let previous = Dictionary(graph.valueInfo.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var written = Set<String>()
        var infos: [ValueInfoProto] = []
        var fixed = 0
        var dynamic = 0
        for node in graph.node {
            for name in node.output where !name.isEmpty && !interface.contains(name) && !written.contains(name) {
                guard let value = observed[name] else { continue }
                written.insert(name)
                var info = previous[name] ?? ValueInfoProto()
                info.name = name
                if dependence.hasFixedShape(name) {
                    info.type = TypeProto(tensor: value.dataType, shape: value.shape.map { .init(.value(Int64($0))) })
                    fixed += 1
                } else {
                    info.type = TypeProto(tensor: value.dataType, shape: nil)
                    dynamic += 1
                }
                infos.append(info)
            }
        }
        graph.valueInfo = graph.valueInfo.filter { !written.contains($0.name) } + infos
        var outputsFixed = 0
        for index in graph.output.indices {
            let name = graph.output[index].name
            guard let value = observed[name], dependence.hasFixedShape(name) else { continue }
            let declared = graph.output[index].tensorType?.shape?.dim
            let contradicts = zip(declared ?? [], value.shape).contains { dim, size in
                (dim.fixed ?? 0) > 0 && dim.fixed != Int64(size)
            }
            if let declared, declared.count != value.rank || contradicts {
                notes.append("output '\(name)' was declared with another shape; now \(value.shape)")
            }
            var tensor = graph.output[index].tensorType ?? TypeProto.Tensor()
            if tensor.elementType == .undefined { tensor.elementType = value.dataType }
            let dims = value.shape.enumerated().map { axis, size in
                var dim = declared.flatMap { axis < $0.count ? $0[axis] : nil } ?? TensorShapeProto.Dimension()
                dim.value = .value(Int64(size))
                return dim
            }
            tensor.shape = TensorShapeProto(dim: dims)
            if graph.output[index].type == nil { graph.output[index].type = TypeProto() }
            graph.output[index].type?.tensorType = tensor
            outputsFixed += 1
        }
        counts["values_static"] = fixed
        counts["values_dynamic"] = dynamic
        counts["outputs_static"] = outputsFixed
        if dynamic > 0 {
            notes.append("\(dynamic) values keep a dynamic shape (data dependent); their value_info has the type only")
        }
    }

    /// Replaces Shape and Size nodes of values with fixed shapes by initializers.
    private func replaceShapeNodes(
        _ graph: inout GraphProto, observed: [String: Tensor], dependence: ShapeDependence
    ) -> Int {
        let outputs = Set(graph.output.map(\.name))
        var replaced = 0
        graph.node = graph.node.filter { node in
            guard node.opType == "Shape" || node.opType == "Size", node.domain.isEmpty || node.domain == "ai.onnx",
                let input = node.input.first, dependence.hasFixedShape(input),
                let output = node.output.first, !outputs.contains(output), let value = observed[output]
            else { return true }
            graph.initializer.append(ONNXImport.proto(value, name: output))
            replaced += 1
            return false
        }
        return replaced
    }

    /// Points the readers of data-independent Loop and If outputs at initializers holding their
    /// values (at most `FoldConstants.maxGrowthBytes` each); the node stays for its other
    /// outputs, or dies in `eliminate-dead`.
    private func replaceControlOutputs(
        _ graph: inout GraphProto, observed: [String: Tensor], dependence: ShapeDependence
    ) -> Int {
        var names = UniqueNames(graph)
        var replaced = 0
        for node in graph.node where node.opType == "Loop" || node.opType == "If" {
            for output in node.output where !output.isEmpty && dependence.hasFixedValue(output) {
                guard let value = observed[output],
                    value.count * value.dataType.byteSize <= FoldConstants.maxGrowthBytes,
                    graph.node.contains(where: { $0.input.contains(output) || $0.implicitInputs.contains(output) })
                else { continue }
                let constant = names.make(output + "_static")
                graph.initializer.append(ONNXImport.proto(value, name: constant))
                graph.replaceUses(of: output, with: constant)
                replaced += 1
            }
        }
        return replaced
    }

    /// A zero tensor of an element type the executor runs.
    static func zeros(_ type: DataType, shape: [Int]) -> Tensor? {
        let count = Tensor.count(of: shape)
        let storage: Tensor.Storage
        switch type {
        case .float: storage = .float(Array(repeating: 0, count: count))
        case .float16: storage = .float16(Array(repeating: 0, count: count))
        case .double: storage = .double(Array(repeating: 0, count: count))
        case .int8: storage = .int8(Array(repeating: 0, count: count))
        case .uint8: storage = .uint8(Array(repeating: 0, count: count))
        case .int32: storage = .int32(Array(repeating: 0, count: count))
        case .int64: storage = .int64(Array(repeating: 0, count: count))
        case .bool: storage = .bool(Array(repeating: false, count: count))
        default: return nil
        }
        return Tensor(shape: shape, storage: storage)
    }

    /// Empty storage of a type: how observed values are kept without their elements.
    static func empty(_ type: DataType) -> Tensor.Storage {
        switch type {
        case .float16: .float16([])
        case .double: .double([])
        case .int8: .int8([])
        case .uint8: .uint8([])
        case .int32: .int32([])
        case .int64: .int64([])
        case .bool: .bool([])
        default: .float([])
        }
    }
}
