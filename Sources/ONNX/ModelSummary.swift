import GSCore

/// What `gsctl model inspect` reports about a model: versions, producer, opsets, typed
/// inputs and outputs, an op histogram, node counts (subgraphs apart), parameter count and
/// bytes, metadata keys. Computed here so the command stays a thin printer; rendered as text
/// for people and as deterministic JSON (room left for FLOPs once shapes are inferred).
public struct ModelSummary: Sendable, Hashable {
    /// A graph input or output with its type.
    public struct Value: Sendable, Hashable {
        /// The value's name.
        public var name: String
        /// `float`, `uint8`..., or the kind of a non-tensor type (`sequence`), or `unknown`.
        public var elementType: String
        /// One entry per axis; nil when the rank is unknown.
        public var shape: [TensorShapeProto.Dimension.Value]?
    }

    /// An imported opset.
    public struct Opset: Sendable, Hashable {
        /// The domain; the default one is spelled `ai.onnx`.
        public var domain: String
        /// The version.
        public var version: Int64

        /// An opset entry as reported.
        public init(domain: String, version: Int64) {
            self.domain = domain
            self.version = version
        }
    }

    /// How often one operator occurs.
    public struct OpCount: Sendable, Hashable {
        /// The op type (`Conv`).
        public var op: String
        /// Its domain ("" for the default ONNX domain).
        public var domain: String
        /// Nodes with this op, subgraphs included.
        public var count: Int
    }

    /// The model file's path, when read from one.
    public var file: String?
    /// The model file's size in bytes.
    public var fileSize: Int?
    /// IR version.
    public var irVersion: Int64
    /// Producer name and version.
    public var producerName: String
    /// Producer version.
    public var producerVersion: String
    /// Model domain.
    public var domain: String
    /// Model version.
    public var modelVersion: Int64
    /// Imported opsets, in file order.
    public var opsets: [Opset]
    /// Graph inputs that are not initializers.
    public var inputs: [Value]
    /// Graph outputs.
    public var outputs: [Value]
    /// Op histogram over all nodes (subgraphs included), most frequent first, then by name.
    public var ops: [OpCount]
    /// Nodes in the main graph.
    public var graphNodes: Int
    /// Nodes inside subgraphs (Loop/If/Scan bodies), at any depth.
    public var subgraphNodes: Int
    /// Subgraphs, at any depth.
    public var subgraphs: Int
    /// Elements in all stored tensors (initializers and tensor attributes such as Constant values).
    public var parameters: Int
    /// Bytes those elements take.
    public var parameterBytes: Int
    /// How many stored tensors there are.
    public var tensors: Int
    /// How many of them are initializers.
    public var initializers: Int
    /// How many of them keep their data in external files.
    public var externalTensors: Int
    /// metadata_props keys, sorted.
    public var metadataKeys: [String]
    /// Names of model-local functions (`domain.name`), sorted.
    public var functions: [String]

    /// Summarises `model`; `file` and `fileSize` describe where it came from.
    public init(_ model: ModelProto, file: String? = nil, fileSize: Int? = nil) {
        self.file = file
        self.fileSize = fileSize
        irVersion = model.irVersion
        producerName = model.producerName
        producerVersion = model.producerVersion
        domain = model.domain
        modelVersion = model.modelVersion
        opsets = model.opsetImport.map { Opset(domain: $0.domain.isEmpty ? "ai.onnx" : $0.domain, version: $0.version) }
        let initializerNames = Set(model.graph.initializer.map(\.name))
        inputs = model.graph.input.filter { !initializerNames.contains($0.name) }.map(Self.value)
        outputs = model.graph.output.map(Self.value)

        var counts: [OpKey: Int] = [:]
        var graphNodes = 0
        var subgraphNodes = 0
        var subgraphs = 0
        model.graph.forEachNode { node, depth in
            counts[OpKey(op: node.opType, domain: node.domain == "ai.onnx" ? "" : node.domain), default: 0] += 1
            if depth == 0 { graphNodes += 1 } else { subgraphNodes += 1 }
            subgraphs += node.subgraphs.count
        }
        ops = counts.map { OpCount(op: $0.key.op, domain: $0.key.domain, count: $0.value) }.sorted {
            if $0.count != $1.count { return $0.count > $1.count }
            if $0.op != $1.op { return $0.op.utf8.lexicographicallyPrecedes($1.op.utf8) }
            return $0.domain.utf8.lexicographicallyPrecedes($1.domain.utf8)
        }
        self.graphNodes = graphNodes
        self.subgraphNodes = subgraphNodes
        self.subgraphs = subgraphs

        var parameters = 0
        var bytes = 0
        var tensors = 0
        var external = 0
        // Counts a hostile file declares can sum past Int.max: they stop there (printed as
        // the largest number) rather than wrap to a negative parameter count.
        func saturating(_ total: Int, _ more: Int) -> Int {
            let (sum, overflow) = total.addingReportingOverflow(max(0, more))
            return overflow ? Int.max : sum
        }
        var copy = model
        copy.forEachTensor { tensor in
            tensors += 1
            parameters = saturating(parameters, tensor.elementCount ?? 0)
            if tensor.isExternal {
                external += 1
                let reference = try? ExternalDataReference(tensor)
                bytes = saturating(bytes, reference?.length ?? tensor.dataByteCount ?? 0)
            } else if let raw = tensor.rawData {
                bytes = saturating(bytes, raw.count)
            } else {
                bytes = saturating(bytes, tensor.dataByteCount ?? 0)
            }
        }
        var initializerCount = 0
        copy.graph.forEachNode { node, _ in
            for graph in node.subgraphs { initializerCount += graph.initializer.count }
        }
        self.parameters = parameters
        self.parameterBytes = bytes
        self.tensors = tensors
        self.initializers = initializerCount + model.graph.initializer.count
        self.externalTensors = external
        metadataKeys = model.metadataProps.map(\.key).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        functions = model.functions.map { $0.domain.isEmpty ? $0.name : "\($0.domain).\($0.name)" }
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// Histogram key.
    private struct OpKey: Hashable {
        var op: String
        var domain: String
    }

    /// A graph input or output as reported.
    private static func value(_ info: ValueInfoProto) -> Value {
        guard let type = info.type else { return Value(name: info.name, elementType: "unknown", shape: nil) }
        guard let tensor = type.tensorType else {
            let kinds = [4: "sequence", 5: "map", 7: "opaque", 8: "sparse_tensor", 9: "optional"]
            let kind = type.wire.unknownFields.lazy.compactMap { kinds[$0.number] }.first ?? "unknown"
            return Value(name: info.name, elementType: kind, shape: nil)
        }
        let element = DataType(rawValue: tensor.elemType).map(\.description) ?? "type \(tensor.elemType)"
        return Value(name: info.name, elementType: element, shape: tensor.shape.map { $0.dim.map(\.value) })
    }

    // MARK: JSON

    /// The summary as deterministic JSON; new facts (FLOPs, memory) become new keys.
    public var json: JSONValue {
        /// Inputs or outputs as JSON (unknown axes are null, an unknown rank a null shape).
        func values(_ values: [Value]) -> JSONValue {
            .array(
                values.map { value in
                    let shape: JSONValue =
                        value.shape.map { dims in
                            .array(
                                dims.map { dim in
                                    switch dim {
                                    case .value(let size): .int(Int(truncatingIfNeeded: size))
                                    case .param(let name): .string(name)
                                    case .unknown: .null
                                    }
                                })
                        } ?? .null
                    return ["name": .string(value.name), "type": .string(value.elementType), "shape": shape]
                })
        }
        var object: [String: JSONValue] = [
            "ir_version": .int(Int(truncatingIfNeeded: irVersion)),
            "producer": ["name": .string(producerName), "version": .string(producerVersion)],
            "domain": .string(domain),
            "model_version": .int(Int(truncatingIfNeeded: modelVersion)),
            "opsets": .array(
                opsets.map { ["domain": .string($0.domain), "version": .int(Int(truncatingIfNeeded: $0.version))] }),
            "inputs": values(inputs),
            "outputs": values(outputs),
            "ops": .array(
                ops.map { count in
                    var entry: [String: JSONValue] = ["op": .string(count.op), "count": .int(count.count)]
                    if !count.domain.isEmpty { entry["domain"] = .string(count.domain) }
                    return .object(entry)
                }),
            "nodes": [
                "graph": .int(graphNodes), "subgraphs": .int(subgraphNodes), "subgraph_count": .int(subgraphs),
                "total": .int(graphNodes + subgraphNodes),
            ],
            "parameters": [
                "count": .int(parameters), "bytes": .int(parameterBytes), "tensors": .int(tensors),
                "initializers": .int(initializers), "external_tensors": .int(externalTensors),
            ],
            "metadata_keys": .strings(metadataKeys),
            "functions": .strings(functions),
        ]
        if file != nil || fileSize != nil {
            object["file"] = ["path": .optional(file), "bytes": fileSize.map { .int($0) } ?? .null]
        }
        return .object(object)
    }

    // MARK: Text

    /// The summary for people: one fact per line, then the op histogram as a table.
    public var text: String {
        var lines: [(String, String)] = []
        if let file {
            lines.append(("file", file + (fileSize.map { " (\(Self.size($0)), \(Self.grouped($0)) bytes)" } ?? "")))
        }
        lines.append(("ir_version", String(irVersion)))
        let producer = [producerName, producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        lines.append(("producer", producer.isEmpty ? "-" : producer))
        if !domain.isEmpty { lines.append(("domain", domain)) }
        if modelVersion != 0 { lines.append(("model_version", String(modelVersion))) }
        lines.append(("opsets", opsets.map { "\($0.domain) \($0.version)" }.joined(separator: ", ")))
        for (label, values) in [("inputs", inputs), ("outputs", outputs)] {
            if values.isEmpty { lines.append((label, "-")) }
            for (index, value) in values.enumerated() {
                lines.append((index == 0 ? label : "", "\(value.name)  \(value.elementType)\(Self.shape(value.shape))"))
            }
        }
        var nodes = "\(Self.grouped(graphNodes)) in the graph"
        if subgraphs > 0 {
            nodes += ", \(Self.grouped(subgraphNodes)) in \(subgraphs) subgraph\(subgraphs == 1 ? "" : "s")"
        }
        lines.append(("nodes", nodes))
        var weights = "\(Self.grouped(parameters)) in \(tensors) tensors (\(Self.size(parameterBytes)))"
        if externalTensors > 0 { weights += ", \(externalTensors) external" }
        lines.append(("parameters", weights))
        lines.append(("metadata", metadataKeys.isEmpty ? "-" : metadataKeys.joined(separator: ", ")))
        if !functions.isEmpty { lines.append(("functions", functions.joined(separator: ", "))) }

        let width = (lines.map(\.0.count).max() ?? 0) + 2
        var text = ""
        for (label, value) in lines {
            text += label + String(repeating: " ", count: width - label.count) + value + "\n"
        }
        text += "ops (\(ops.count) kinds)\n"
        let names = ops.map { $0.domain.isEmpty ? $0.op : "\($0.op) (\($0.domain))" }
        let nameWidth = names.map(\.count).max() ?? 0
        let countWidth = ops.map { String($0.count).count }.max() ?? 0
        for (name, op) in zip(names, ops) {
            let count = String(op.count)
            text += "  " + name + String(repeating: " ", count: nameWidth - name.count + 2)
            text += String(repeating: " ", count: countWidth - count.count) + count + "\n"
        }
        return text
    }

    /// `[N, 3, 224, 224]`, `?` for unknown axes; `(rank unknown)` without a shape.
    private static func shape(_ shape: [TensorShapeProto.Dimension.Value]?) -> String {
        shapeText(shape) ?? " (rank unknown)"
    }

    /// `[N, 3, 224, 224]`, `?` for unknown axes; nil without a shape. Build reports and
    /// `gsctl diff` show input shapes this way.
    public static func shapeText(_ shape: [TensorShapeProto.Dimension.Value]?) -> String? {
        guard let shape else { return nil }
        let dims = shape.map { dim -> String in
            switch dim {
            case .value(let size): String(size)
            case .param(let name): name
            case .unknown: "?"
            }
        }
        return "[" + dims.joined(separator: ", ") + "]"
    }

    /// 12301397 -> `12,301,397`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(digit)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// 12301397 -> `12.3 MB` (decimal units, one decimal, rounded half up).
    ///
    /// Any `Int` is valid: the parameter bytes come from dims and external-data lengths the
    /// file declares, so a hostile model sums to `Int.max` (one uint8 tensor with dims
    /// [2^63-1] does). Rounding by quotient and remainder keeps that from overflowing, where
    /// adding half a unit first trapped.
    public static func size(_ bytes: Int) -> String {
        let units: [(Int, String)] = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB")]
        for (unit, name) in units where bytes >= unit {
            let tenth = unit / 10
            let tenths = bytes / tenth + (bytes % tenth >= tenth / 2 ? 1 : 0)
            return "\(tenths / 10).\(tenths % 10) \(name)"
        }
        return "\(bytes) B"
    }
}
