import GSExec
import ONNX

/// The constant tensors a graph can read: its own initializers plus those of enclosing graphs
/// that nothing in it shadows. An initializer that is also a graph input is a default the
/// caller may override, so it is not a constant. Folding passes ask this, never the raw list.
struct ConstantScope {
    private var protos: [String: TensorProto]
    private var decoded: [String: Tensor] = [:]

    /// The constants of `graph`; `outer` is the scope of the graph that holds it (nil for the
    /// main graph).
    init(_ graph: GraphProto, outer: ConstantScope? = nil) {
        var protos = outer?.protos ?? [:]
        for name in graph.locallyDefinedNames { protos[name] = nil }
        let overridable = Set(graph.input.map(\.name))
        for tensor in graph.initializer where !overridable.contains(tensor.name) {
            protos[tensor.name] = tensor
        }
        self.protos = protos
        if let outer {
            decoded = outer.decoded.filter { protos[$0.key] != nil }
        }
    }

    /// Whether `name` is a constant here.
    func contains(_ name: String) -> Bool { protos[name] != nil }

    /// The stored tensor called `name`, if it is a constant here.
    func proto(_ name: String) -> TensorProto? { protos[name] }

    /// Adds a constant computed by a rewrite (a folded value), already decoded.
    mutating func add(_ proto: TensorProto, value: Tensor) {
        protos[proto.name] = proto
        decoded[proto.name] = value
    }

    /// Adds a constant computed by a rewrite (folded weights), decoded when first asked for.
    mutating func add(_ proto: TensorProto) {
        protos[proto.name] = proto
        decoded[proto.name] = nil
    }

    /// Records a value known during a pass without storing it (a fold too large to keep).
    mutating func remember(_ name: String, value: Tensor) {
        decoded[name] = value
    }

    /// Whether a value is known, stored or only remembered.
    func knows(_ name: String) -> Bool { protos[name] != nil || decoded[name] != nil }

    /// The value of `name` in the executor's form, decoded once.
    mutating func tensor(_ name: String) throws -> Tensor? {
        if let value = decoded[name] { return value }
        guard let proto = protos[name] else { return nil }
        let value = try ONNXImport.tensor(proto)
        decoded[name] = value
        return value
    }
}
