import ONNX

/// The two precisions a float value can have in the converted graph.
enum FP16Precision: Hashable, Sendable {
    case float32
    case float16

    /// The ONNX element type.
    var dataType: DataType { self == .float16 ? .float16 : .float }

    /// What a second version of a value is named after (`conv_out_fp16`).
    var suffix: String { self == .float16 ? "_fp16" : "_fp32" }
}

/// Decides, for every float32 value of the main graph, the precision it is produced in
/// (`natural`) and the precisions its readers need (`demands`): each other precision in
/// demand becomes one more version of the value (one Cast, or a converted copy of a
/// constant), shared by all readers that need it.
struct FP16Plan {
    let graph: GraphProto
    let options: FP16Options
    /// Element types of the main graph's values (float32 values are the ones tracked).
    let types: [String: DataType]
    /// One role per node of the main graph.
    let roles: [FP16Role]
    /// The precision each tracked value is produced (or stored) in.
    private(set) var natural: [String: FP16Precision] = [:]
    /// The precisions each tracked value's readers need.
    private(set) var demands: [String: Set<FP16Precision>] = [:]
    /// Outputs of a Cast to float whose float16 readers read the Cast's input instead: a
    /// Cast back to float16 right after it would cancel it.
    private(set) var forwarded: [String: String] = [:]

    /// Plans `graph`, the main graph of a model importing default-domain `opset`.
    init(graph: GraphProto, opset: Int64, options: FP16Options) throws(PassError) {
        self.graph = graph
        self.options = options
        types = FP16ElementTypes.infer(graph)
        let overflowing = try Self.overflowingConstants(graph, limit: options.maxFinite)
        roles = FP16Roles(options: options, opset: opset).roles(of: graph, types: types, overflowing: overflowing)
        try collectDemands()
        resolveSources()
    }

    /// Initializers and Constant outputs holding a finite float magnitude above `limit`.
    static func overflowingConstants(_ graph: GraphProto, limit: Float) throws(PassError) -> Set<String> {
        func overflows(_ tensor: TensorProto) throws(PassError) -> Bool {
            guard tensor.dataType == .float else { return false }
            do {
                return try tensor.floats().contains { $0.isFinite && $0.magnitude > limit }
            } catch {
                throw PassError(pass: FP16Pass.passName, "cannot read tensor '\(tensor.name)': \(error)")
            }
        }
        var names = Set<String>()
        for tensor in graph.initializer where try overflows(tensor) { names.insert(tensor.name) }
        for node in graph.node where node.opType == "Constant" {
            guard let output = node.output.first else { continue }
            let values = node.attribute("value_floats")?.floats ?? node.attribute("value_float").map { [$0.f] } ?? []
            if let tensor = node.attribute("value")?.t, try overflows(tensor) { names.insert(output) }
            if values.contains(where: { $0.isFinite && $0.magnitude > limit }) { names.insert(output) }
        }
        return names
    }

    /// Whether `name` is a float32 value of the main graph, which the pass converts.
    func isTracked(_ name: String) -> Bool { !name.isEmpty && types[name] == .float }

    /// The precision graph inputs and outputs have in the converted model.
    var interfacePrecision: FP16Precision { options.keepIOTypes ? .float32 : .float16 }

    /// The precision a node in `role` reads the input at `slot` in; nil when either will do.
    static func readPrecision(_ role: FP16Role, opType: String, slot: Int) -> FP16Precision? {
        switch role {
        case .converted: FP16Roles.float32Inputs[opType]?.contains(slot) == true ? .float32 : .float16
        case .kept: .float32
        case .untouched, .readsEither, .source: nil
        }
    }

    /// Records that a reader needs `name` in `precision`.
    private mutating func demand(_ name: String, _ precision: FP16Precision) {
        demands[name, default: []].insert(precision)
    }

    /// Records what every reader needs and the precision of values produced by converted and
    /// kept nodes and of graph inputs.
    private mutating func collectDemands() throws(PassError) {
        for input in graph.input where isTracked(input.name) { natural[input.name] = interfacePrecision }
        for (index, node) in graph.node.enumerated() {
            let role = roles[index]
            for (slot, name) in node.input.enumerated() where isTracked(name) {
                if let precision = Self.readPrecision(role, opType: node.opType, slot: slot) { demand(name, precision) }
            }
            // Subgraphs stay float32, so what they read from this scope must be float32.
            for name in node.implicitInputs.sorted() where isTracked(name) { demand(name, .float32) }
            switch role {
            case .converted:
                try checkTypesKnown(node)
                for output in node.output where isTracked(output) { natural[output] = .float16 }
            case .kept:
                for output in node.output where isTracked(output) { natural[output] = .float32 }
            case .untouched, .readsEither, .source:
                break
            }
        }
        for output in graph.output where isTracked(output.name) { demand(output.name, interfacePrecision) }
    }

    /// A converted node whose input types are partly unknown might mix float16 with float32
    /// inputs of one type parameter, which runtimes refuse; better to say so now.
    private func checkTypesKnown(_ node: NodeProto) throws(PassError) {
        for name in node.input where !name.isEmpty && types[name] == nil {
            throw PassError(
                pass: FP16Pass.passName,
                "cannot tell the element type of '\(name)', input of \(node.opType) '\(node.name)': "
                    + "declare it in value_info or keep the node in float32 (keepNodeNames)")
        }
    }

    /// Sources (Constants, Casts to float) and initializers take the precision their readers
    /// want when they all want the same; otherwise float32, plus a float16 version. Walks the
    /// nodes backwards so that a Cast forwarding its float16 readers to its input does so
    /// before that input's own precision is settled.
    private mutating func resolveSources() {
        func settle(_ name: String) -> FP16Precision {
            let precision: FP16Precision = demands[name] == [.float16] ? .float16 : .float32
            natural[name] = precision
            return precision
        }
        for (index, node) in graph.node.enumerated().reversed() where roles[index] == .source {
            guard let output = node.output.first, isTracked(output) else { continue }
            let precision = settle(output)
            // A graph output keeps its name on the declared version, so it cannot borrow one.
            guard node.opType == "Cast", precision == .float32, demands[output]?.contains(.float16) == true,
                let input = node.input.first, !graph.output.contains(where: { $0.name == output })
            else { continue }
            if isTracked(input) {
                forwarded[output] = input
                demand(input, .float16)
            } else if types[input] == .float16 {
                forwarded[output] = input
            }
        }
        let inputs = Set(graph.input.map(\.name))
        for tensor in graph.initializer where isTracked(tensor.name) && !inputs.contains(tensor.name) {
            _ = settle(tensor.name)
        }
    }

    /// The precisions of `name` that must exist besides its natural one and that the pass
    /// creates itself (forwarded float16 versions are another value's).
    func extraVersions(of name: String) -> [FP16Precision] {
        guard let natural = natural[name] else { return [] }
        return [FP16Precision.float32, .float16].filter { precision in
            precision != natural && demands[name]?.contains(precision) == true
                && !(precision == .float16 && forwarded[name] != nil)
        }
    }
}
