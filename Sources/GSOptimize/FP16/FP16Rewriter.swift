import ONNX

/// What the conversion did, for the pass report.
struct FP16Counts: Sendable {
    /// Nodes now computing in float16 (Casts to float16 and ConstantOfShape included).
    var nodesConverted = 0
    /// Nodes touching float values that stay float32.
    var nodesKeptFloat32 = 0
    /// Casts added at region borders.
    var castsInserted = 0
    /// Initializers given a float16 version (in place or as a copy).
    var initializersConverted = 0
    /// Constant nodes given a float16 tensor (in place or as a copy).
    var constantsConverted = 0
    /// Constant elements moved into float16's range.
    var clamped = 0
    /// Kept nodes by reason and op type, for the report's notes.
    var kept: [FP16KeepReason: [String: Int]] = [:]
}

/// Builds the converted main graph from a plan: every node reads the version of each float
/// value its role needs, each extra version is made once (a Cast after the producer, or a
/// float16 copy of a constant), and declared types follow.
struct FP16Rewriter {
    let plan: FP16Plan
    let clamp: FP16Clamp
    private var names: UniqueNames
    /// The name of each version of each tracked value.
    private var versionNames: [String: [FP16Precision: String]] = [:]
    private let graphOutputs: Set<String>
    private(set) var counts = FP16Counts()

    /// A rewriter for `plan`, with every version already named.
    init(plan: FP16Plan) {
        self.plan = plan
        clamp = FP16Clamp(plan.options)
        names = UniqueNames(plan.graph)
        graphOutputs = Set(plan.graph.output.map(\.name))
        nameVersions()
    }

    /// The precision that keeps the value's own name: the declared one for graph outputs
    /// (callers fetch them by name), else the natural one.
    private func anchor(_ value: String) -> FP16Precision? {
        graphOutputs.contains(value) ? plan.interfacePrecision : plan.natural[value]
    }

    /// Names every version once, in sorted order so that names never depend on hashing.
    private mutating func nameVersions() {
        for (value, natural) in plan.natural.sorted(by: { $0.key < $1.key }) {
            guard let anchor = anchor(value) else { continue }
            for precision in [natural] + plan.extraVersions(of: value) {
                versionNames[value, default: [:]][precision] =
                    precision == anchor ? value : names.make(value + precision.suffix)
            }
        }
    }

    /// The name of `value` in `precision` (`value` itself for untracked values).
    func name(_ value: String, _ precision: FP16Precision) -> String {
        guard plan.isTracked(value) else { return value }
        if let name = versionNames[value]?[precision] { return name }
        if precision == .float16, let source = plan.forwarded[value] { return name(source, .float16) }
        return value
    }

    /// The name of the version `value` is produced in.
    func naturalName(_ value: String) -> String {
        plan.natural[value].map { name(value, $0) } ?? value
    }

    /// The converted main graph.
    mutating func rewrite() throws(PassError) -> GraphProto {
        let graph = plan.graph
        var nodes: [NodeProto] = []
        for input in graph.input where plan.isTracked(input.name) {
            nodes += try extraVersions(of: input.name, constant: nil)
        }
        for (index, node) in graph.node.enumerated() {
            let role = plan.roles[index]
            let rewritten = try rewrite(node, role: role)
            nodes.append(rewritten)
            for output in node.output where plan.isTracked(output) {
                nodes += try extraVersions(of: output, constant: node.opType == "Constant" ? node : nil)
            }
        }
        var result = graph
        result.node = nodes
        result.initializer = try convertInitializers(graph)
        retypeInterface(&result)
        return result
    }

    /// One node rewritten for its role.
    private mutating func rewrite(_ node: NodeProto, role: FP16Role) throws(PassError) -> NodeProto {
        var node = node
        switch role {
        case .untouched:
            return node
        case .converted:
            counts.nodesConverted += 1
            for (slot, input) in node.input.enumerated() where plan.isTracked(input) {
                let precision = FP16Plan.readPrecision(role, opType: node.opType, slot: slot) ?? .float16
                node.input[slot] = name(input, precision)
            }
            node.output = node.output.map(naturalName)
            markFloat16Dtype(&node)
        case .kept(let reason):
            counts.nodesKeptFloat32 += 1
            counts.kept[reason, default: [:]][node.opType, default: 0] += 1
            node.input = node.input.map { name($0, .float32) }
            node.output = node.output.map(naturalName)
            // Subgraphs stay float32: what they read from this scope becomes its float32 version.
            for value in node.implicitInputs.sorted() where plan.isTracked(value) {
                let float32 = name(value, .float32)
                node.mapSubgraphs { graph in
                    guard !graph.locallyDefinedNames.contains(value) else { return }
                    graph.replaceUses(of: value, with: float32, includingGraphOutputs: true)
                }
            }
        case .readsEither:
            node.input = node.input.map(naturalName)
        case .source:
            node.input = node.input.map(naturalName)
            if let output = node.output.first, plan.natural[output] == .float16 { try makeFloat16Source(&node) }
            node.output = node.output.map(naturalName)
        }
        return node
    }

    /// A source whose readers all want float16 produces float16 itself.
    private mutating func makeFloat16Source(_ node: inout NodeProto) throws(PassError) {
        switch node.opType {
        case "Constant":
            counts.constantsConverted += 1
            node.attribute = [.tensor("value", try float16Constant(node))]
        case "ConstantOfShape":
            counts.nodesConverted += 1
            var value = node.attribute("value")?.t ?? TensorProto(name: "", shape: [1], values: [Float(0)])
            let (converted, clamped) = try clamp.convert(value)
            counts.clamped += clamped
            value = converted
            node.attribute.removeAll { $0.name == "value" }
            node.attribute.append(.tensor("value", value))
        default:  // Cast to float
            counts.nodesConverted += 1
            node.attribute.removeAll { $0.name == "to" }
            node.attribute.append(.int("to", Int64(DataType.float16.rawValue)))
        }
    }

    /// The float16 tensor a float Constant holds (`value`, `value_float` or `value_floats`).
    private mutating func float16Constant(_ node: NodeProto) throws(PassError) -> TensorProto {
        let tensor: TensorProto
        if let value = node.attribute("value")?.t {
            tensor = value
        } else if let value = node.attribute("value_float") {
            tensor = TensorProto(name: "", shape: [], values: [value.f])
        } else if let value = node.attribute("value_floats") {
            tensor = TensorProto(name: "", shape: [value.floats.count], values: value.floats)
        } else {
            throw PassError(pass: FP16Pass.passName, "Constant '\(node.name)' holds no float value it can convert")
        }
        let (converted, clamped) = try clamp.convert(tensor)
        counts.clamped += clamped
        return converted
    }

    /// Ops that make floats of an attribute's type (`dtype`) make float16 once converted.
    private func markFloat16Dtype(_ node: inout NodeProto) {
        let float16 = Int64(DataType.float16.rawValue)
        if let index = node.attribute.firstIndex(where: { $0.name == "dtype" }) {
            if node.attribute[index].i == Int64(DataType.float.rawValue) { node.attribute[index].i = float16 }
        } else if ["RandomNormal", "RandomUniform"].contains(node.opType) {
            node.attribute.append(.int("dtype", float16))
        }
    }

    /// The nodes making the other versions of `value`: a float16 copy of a Constant, else a
    /// Cast from the natural version, placed right after the producer.
    private mutating func extraVersions(of value: String, constant: NodeProto?) throws(PassError) -> [NodeProto] {
        guard let natural = plan.natural[value] else { return [] }
        var nodes: [NodeProto] = []
        for precision in plan.extraVersions(of: value) {
            let target = name(value, precision)
            if let constant, precision == .float16 {
                counts.constantsConverted += 1
                let tensor = try float16Constant(constant)
                nodes.append(
                    NodeProto(
                        "Constant", inputs: [], outputs: [target], name: names.make(target),
                        attributes: [.tensor("value", tensor)]))
            } else {
                counts.castsInserted += 1
                nodes.append(
                    NodeProto(
                        "Cast", inputs: [name(value, natural)], outputs: [target], name: names.make(target + "_cast"),
                        attributes: [.int("to", Int64(precision.dataType.rawValue))]))
            }
        }
        return nodes
    }

    /// Initializers float16 readers use, converted: in place when only float16 readers use
    /// them, else as a float16 copy beside the float32 original.
    private mutating func convertInitializers(_ graph: GraphProto) throws(PassError) -> [TensorProto] {
        var result: [TensorProto] = []
        result.reserveCapacity(graph.initializer.count)
        for tensor in graph.initializer {
            guard plan.isTracked(tensor.name), plan.natural[tensor.name] != nil,
                !graph.input.contains(where: { $0.name == tensor.name })
            else {
                result.append(tensor)
                continue
            }
            let needsFloat16 =
                plan.natural[tensor.name] == .float16 || plan.extraVersions(of: tensor.name).contains(.float16)
            guard needsFloat16 else {
                result.append(tensor)
                continue
            }
            counts.initializersConverted += 1
            var (converted, clamped) = try clamp.convert(tensor)
            counts.clamped += clamped
            converted.name = name(tensor.name, .float16)
            if plan.natural[tensor.name] == .float32 { result.append(tensor) }
            result.append(converted)
        }
        return result
    }

    /// Graph inputs, outputs and value_info get the element types of the versions their
    /// names now hold; value_info gains entries for the new versions.
    private func retypeInterface(_ graph: inout GraphProto) {
        func retyped(_ info: ValueInfoProto, _ precision: FP16Precision) -> ValueInfoProto {
            var info = info
            info.type?.tensorType?.elementType = precision.dataType
            return info
        }
        for index in graph.input.indices where plan.isTracked(graph.input[index].name) {
            graph.input[index] = retyped(graph.input[index], plan.interfacePrecision)
        }
        for index in graph.output.indices where plan.isTracked(graph.output[index].name) {
            graph.output[index] = retyped(graph.output[index], plan.interfacePrecision)
        }
        var infos: [ValueInfoProto] = []
        for info in graph.valueInfo {
            guard plan.isTracked(info.name), let anchor = anchor(info.name) else {
                infos.append(info)
                continue
            }
            infos.append(retyped(info, anchor))
            for (precision, name) in (versionNames[info.name] ?? [:]).sorted(by: { $0.value < $1.value })
            where name != info.name {
                var extra = retyped(info, precision)
                extra.name = name
                infos.append(extra)
            }
        }
        graph.valueInfo = infos
    }
}
