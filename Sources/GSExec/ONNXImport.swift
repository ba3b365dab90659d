import ONNX

/// Turns an ONNX model into the executor's graph: tensors decoded once (raw or typed
/// storage), attributes typed, subgraphs (Loop/If bodies) converted recursively.
public enum ONNXImport {
    /// The default-domain opset (in `SupportedOpsets.range`) and the main graph of a model.
    public static func graph(of model: ModelProto) throws -> (graph: ExecGraph, opset: Int) {
        let opset = try SupportedOpsets.check(model)
        return (try graph(model.graph), opset)
    }

    /// An executor ready to run the model.
    public static func executor(for model: ModelProto) throws -> Executor {
        let (graph, opset) = try graph(of: model)
        return try Executor(graph: graph, opset: opset)
    }

    public static func graph(_ proto: GraphProto) throws -> ExecGraph {
        var initializers: [String: Tensor] = [:]
        for tensor in proto.initializer { initializers[tensor.name] = try Self.tensor(tensor) }
        return ExecGraph(
            name: proto.name,
            nodes: try proto.node.map(node),
            inputs: proto.input.map(valueInfo),
            outputs: proto.output.map(valueInfo),
            initializers: initializers)
    }

    static func valueInfo(_ proto: ValueInfoProto) -> ValueInfo {
        // Plain loops: the closure form of this crashed Swift 6.3.1's optimizer in release.
        guard let tensorType = proto.tensorType else { return ValueInfo(name: proto.name) }
        var shape: [Int?]?
        if let dims = tensorType.shape?.dim {
            var values: [Int?] = []
            for dim in dims {
                if let fixed = dim.fixed { values.append(Int(fixed)) } else { values.append(nil) }
            }
            shape = values
        }
        return ValueInfo(name: proto.name, elementType: tensorType.elemType, shape: shape)
    }

    static func node(_ proto: NodeProto) throws -> ExecNode {
        var attributes: [String: Attribute] = [:]
        for attribute in proto.attribute {
            attributes[attribute.name] = try Self.attribute(attribute, node: proto)
        }
        return ExecNode(
            name: proto.name, opType: proto.opType, domain: proto.domain, inputs: proto.input, outputs: proto.output,
            attributes: attributes)
    }

    static func attribute(_ proto: AttributeProto, node: NodeProto) throws -> Attribute {
        switch proto.type {
        case .float: return .float(proto.f)
        case .int: return .int(Int(truncatingIfNeeded: proto.i))
        case .string: return .string(proto.stringValue)
        case .floats: return .floats(proto.floats)
        case .ints: return .ints(proto.ints.map { Int(truncatingIfNeeded: $0) })
        case .strings: return .strings(proto.stringValues)
        case .tensor:
            guard let tensor = proto.t else { break }
            return .tensor(try Self.tensor(tensor))
        case .graph:
            guard let graph = proto.g else { break }
            return .graph(try Self.graph(graph))
        case .graphs: return .graphs(try proto.graphs.map(Self.graph))
        default: break
        }
        throw ExecError(
            "attribute `\(proto.name)` of type \(proto.type) is not supported",
            node: "\(proto.name.isEmpty ? node.opType : node.opType) '\(node.name)'")
    }

    /// A tensor's values in the executor's storage for its element type.
    public static func tensor(_ proto: TensorProto) throws -> Tensor {
        let shape = proto.shape
        do {
            switch proto.dataType {
            case .float: return Tensor(shape: shape, storage: .float(try proto.floats()))
            case .float16: return Tensor(shape: shape, storage: .float16(try proto.float16s()))
            case .double: return Tensor(shape: shape, storage: .double(try proto.doubles()))
            case .int64: return Tensor(shape: shape, storage: .int64(try proto.int64s()))
            case .int32: return Tensor(shape: shape, storage: .int32(try proto.int32s()))
            case .int8: return Tensor(shape: shape, storage: .int8(try proto.int8s()))
            case .uint8: return Tensor(shape: shape, storage: .uint8(try proto.uint8s()))
            case .bool: return Tensor(shape: shape, storage: .bool(try proto.bools()))
            default:
                throw ExecError(
                    "tensor `\(proto.name)` has element type \(proto.dataType), which the executor does not run")
            }
        } catch let error as ONNXError {
            throw ExecError("tensor `\(proto.name)`: \(error)")
        }
    }

    /// A TensorProto (raw data) holding `tensor`, for graphs the optimizer writes.
    public static func proto(_ tensor: Tensor, name: String) -> TensorProto {
        switch tensor.storage {
        case .float(let values): TensorProto(name: name, shape: tensor.shape, values: values)
        case .float16(let values): TensorProto(name: name, shape: tensor.shape, values: values)
        case .double(let values): TensorProto(name: name, shape: tensor.shape, values: values)
        case .int64(let values): TensorProto(name: name, shape: tensor.shape, values: values)
        case .int32(let values): TensorProto(name: name, shape: tensor.shape, values: values)
        case .int8(let values): TensorProto(name: name, shape: tensor.shape, values: values)
        case .uint8(let values): TensorProto(name: name, shape: tensor.shape, values: values)
        case .bool(let values): TensorProto(name: name, shape: tensor.shape, values: values)
        }
    }
}
