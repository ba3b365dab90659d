import GSCore
import ONNX

/// A model as text, the same text `OracleScripts.dump` prints from onnx's Python decoder:
/// comparing the two checks every field and tensor value our decoder reads.
enum ModelDump {
    /// The whole model.
    static func text(_ model: ModelProto) throws -> String {
        var out = [
            "model ir=\(model.irVersion) producer=\(model.producerName)/\(model.producerVersion) "
                + "domain=\(model.domain) version=\(model.modelVersion)"
        ]
        for opset in model.opsetImport { out.append("opset \(opset.domain):\(opset.version)") }
        for entry in model.metadataProps { out.append("meta \(entry.key)=\(entry.value)") }
        for function in model.functions {
            out.append(
                "function \(function.domain).\(function.name) in=\(list(function.input)) "
                    + "out=\(list(function.output)) attrs=\(list(function.attribute))")
            for attribute in function.attributeProto { try self.attribute(attribute, &out, "  ") }
            for node in function.node { try self.node(node, &out, "  ") }
        }
        try graph(model.graph, &out, "")
        return out.joined(separator: "\n") + "\n"
    }

    /// Python's repr of a list of strings (names here have no quotes or backslashes).
    static func list(_ values: [String]) -> String {
        "[" + values.map { "'\($0)'" }.joined(separator: ", ") + "]"
    }

    /// A graph: its values, initializers and nodes, subgraphs indented.
    static func graph(_ graph: GraphProto, _ out: inout [String], _ indent: String) throws {
        out.append("\(indent)graph \(graph.name)")
        let inner = indent + "  "
        for value in graph.input { out.append("\(inner)input \(valueInfo(value))") }
        for value in graph.output { out.append("\(inner)output \(valueInfo(value))") }
        for value in graph.valueInfo { out.append("\(inner)value_info \(valueInfo(value))") }
        for tensor in graph.initializer { out.append("\(inner)init \(try self.tensor(tensor))") }
        for node in graph.node { try self.node(node, &out, inner) }
    }

    /// A node and its attributes.
    static func node(_ node: NodeProto, _ out: inout [String], _ indent: String) throws {
        out.append(
            "\(indent)node \(node.opType) domain=\(node.domain) name=\(node.name) "
                + "in=\(list(node.input)) out=\(list(node.output))")
        for attribute in node.attribute { try self.attribute(attribute, &out, indent + "  ") }
    }

    /// An attribute: kind, reference, and each field present in the input.
    static func attribute(_ attribute: AttributeProto, _ out: inout [String], _ indent: String) throws {
        var head = "\(indent)attr \(attribute.name) type=\(attribute.type.rawValue)"
        if !attribute.refAttrName.isEmpty { head += " ref=\(attribute.refAttrName)" }
        out.append(head)
        let inner = indent + "  "
        if attribute.wire.has(2) { out.append("\(inner)f=\(attribute.f.bitPattern)") }
        if attribute.wire.has(3) { out.append("\(inner)i=\(attribute.i)") }
        if attribute.wire.has(4) { out.append("\(inner)s=\(Hex.encode(attribute.s))") }
        if let tensor = attribute.t { out.append("\(inner)t=\(try self.tensor(tensor))") }
        if let graph = attribute.g { try self.graph(graph, &out, inner) }
        if !attribute.floats.isEmpty {
            out.append("\(inner)floats=" + attribute.floats.map { String($0.bitPattern) }.joined(separator: ","))
        }
        if !attribute.ints.isEmpty {
            out.append("\(inner)ints=" + attribute.ints.map(String.init).joined(separator: ","))
        }
        if !attribute.strings.isEmpty {
            out.append("\(inner)strings=" + attribute.strings.map { Hex.encode($0) }.joined(separator: ","))
        }
        for tensor in attribute.tensors { out.append("\(inner)tensors[]=\(try self.tensor(tensor))") }
        for graph in attribute.graphs { try self.graph(graph, &out, inner) }
        if let type = attribute.tp { out.append("\(inner)tp=\(typeText(type))") }
        for type in attribute.typeProtos { out.append("\(inner)type_protos[]=\(typeText(type))") }
    }

    /// `name: type`.
    static func valueInfo(_ value: ValueInfoProto) -> String {
        "\(value.name): " + (value.type.map(typeText) ?? "untyped")
    }

    /// A tensor type with its shape (`$name` for symbolic axes, `?` for unknown ones).
    static func typeText(_ type: TypeProto) -> String {
        var text: String
        if let tensor = type.tensorType {
            text = "tensor elem=\(tensor.elemType)"
            if let shape = tensor.shape {
                let dims = shape.dim.map { dim -> String in
                    var text: String
                    switch dim.value {
                    case .value(let size): text = String(size)
                    case .param(let name): text = "$" + name
                    case .unknown: text = "?"
                    }
                    if !dim.denotation.isEmpty { text += "@" + dim.denotation }
                    return text
                }
                text += " shape=[" + dims.joined(separator: ",") + "]"
            }
        } else {
            text = "other"
        }
        if !type.denotation.isEmpty { text += " denotation=" + type.denotation }
        return text
    }

    /// A tensor: name, type, dims and values read through the typed accessors.
    static func tensor(_ tensor: TensorProto) throws -> String {
        let head =
            "tensor \(tensor.name) type=\(tensor.dataTypeRaw) dims=[\(tensor.dims.map(String.init).joined(separator: ", "))]"
        switch tensor.dataType {
        case .string:
            return head + " strings=[" + (try tensor.strings()).map { Hex.encode($0) }.joined(separator: ",") + "]"
        case .float: return head + " values=" + values(try tensor.floats()) { $0.bitPattern }
        case .float16: return head + " values=" + values(try tensor.float16s()) { $0.bitPattern }
        case .double: return head + " values=" + values(try tensor.doubles()) { $0.bitPattern }
        case .bool: return head + " values=" + values(try tensor.bools()) { $0 ? 1 : 0 }
        case .int64: return head + " values=" + values(try tensor.int64s()) { $0 }
        case .int32: return head + " values=" + values(try tensor.int32s()) { $0 }
        case .int8: return head + " values=" + values(try tensor.int8s()) { $0 }
        case .uint8: return head + " values=" + values(try tensor.uint8s()) { $0 }
        case .int16: return head + " values=" + values(try tensor.values(as: Int16.self)) { $0 }
        case .uint16, .bfloat16: return head + " values=" + values(try tensor.values(as: UInt16.self)) { $0 }
        case .uint32: return head + " values=" + values(try tensor.values(as: UInt32.self)) { $0 }
        case .uint64: return head + " values=" + values(try tensor.values(as: UInt64.self)) { $0 }
        default: throw TestFailure("dump: no case for \(tensor.dataType)")
        }
    }

    /// Up to 8 values as integers (bit patterns for floats), else the count and the SHA-256
    /// of the little-endian bytes.
    static func values<T, I: BinaryInteger>(_ values: [T], _ integer: (T) -> I) -> String {
        if values.count <= 8 { return "[" + values.map { String(integer($0)) }.joined(separator: ",") + "]" }
        let bytes = values.withUnsafeBytes { [UInt8]($0) }
        return "n=\(values.count) sha256=\(SHA256.hex(of: bytes))"
    }
}
