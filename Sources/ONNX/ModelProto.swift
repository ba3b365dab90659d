/// An ONNX model file's top-level message: versions, producer, the graph, the opsets it
/// imports, metadata and functions. Training info (20) and configuration (26) are kept as
/// unknown fields, byte for byte.
public struct ModelProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "ModelProto"

    /// Field 1: the IR version (3 to 11 in the wild; 8 adds functions, 10 overloads and INT4).
    public var irVersion: Int64 = 0
    /// Field 2: the tool that wrote the model.
    public var producerName: String = ""
    /// Field 3: that tool's version.
    public var producerVersion: String = ""
    /// Field 4: reverse-DNS name of the model's namespace.
    public var domain: String = ""
    /// Field 5: the model's own version number.
    public var modelVersion: Int64 = 0
    /// Field 6: free text.
    public var docString: String = ""
    /// Field 7: the main graph (empty when the input had none; `wire.has(7)` tells).
    public var graph = GraphProto()
    /// Field 8: opsets the graph's ops are defined by.
    public var opsetImport: [OperatorSetIdProto] = []
    /// Field 14: key/value metadata (PP-OCR keeps its character list here).
    public var metadataProps: [StringStringEntryProto] = []
    /// Field 25: model-local functions.
    public var functions: [FunctionProto] = []
    /// Presence and unknown fields.
    public var wire = WireDetails()

    /// An empty model.
    public init() {}

    /// A model around `graph`, importing `opsets`.
    public init(
        graph: GraphProto, opsets: [OperatorSetIdProto], irVersion: Int64 = 8, producerName: String = "gsctl",
        producerVersion: String = ""
    ) {
        self.graph = graph
        self.opsetImport = opsets
        self.irVersion = irVersion
        self.producerName = producerName
        self.producerVersion = producerVersion
    }

    /// Reads the fields ONNX defines for models.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: irVersion = try reader.int64(key)
        case 2: producerName = try reader.string(key)
        case 3: producerVersion = try reader.string(key)
        case 4: domain = try reader.string(key)
        case 5: modelVersion = try reader.int64(key)
        case 6: docString = try reader.string(key)
        case 7: graph = try reader.message(key, "graph")
        case 8: opsetImport.append(try reader.message(key, "opset_import", index: opsetImport.count))
        case 14: metadataProps.append(try reader.message(key, "metadata_props", index: metadataProps.count))
        case 25: functions.append(try reader.message(key, "functions", index: functions.count))
        default: return false
        }
        return true
    }

    /// Writes the fields in field-number order.
    public func encode(to writer: inout ProtoWriter) {
        writer.int64(1, irVersion, present: wire.has(1))
        writer.string(2, producerName, present: wire.has(2))
        writer.string(3, producerVersion, present: wire.has(3))
        writer.string(4, domain, present: wire.has(4))
        writer.int64(5, modelVersion, present: wire.has(5))
        writer.string(6, docString, present: wire.has(6))
        if wire.has(7) || graph != GraphProto() { writer.message(7, graph) }
        writer.messages(8, opsetImport)
        writer.messages(14, metadataProps)
        writer.messages(25, functions)
    }
}
