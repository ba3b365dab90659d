/// The operator set a model imports for one domain: which version of each op's semantics
/// the executor and optimizer must follow.
public struct OperatorSetIdProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "OperatorSetIdProto"

    /// Field 1: the domain ("" and "ai.onnx" both mean the default ONNX domain).
    public var domain: String = ""
    /// Field 2: the opset version.
    public var version: Int64 = 0
    /// Presence and unknown fields.
    public var wire = WireDetails()

    /// An empty import.
    public init() {}

    /// An import of `domain` at `version`.
    public init(domain: String = "", version: Int64) {
        self.domain = domain
        self.version = version
    }

    /// Reads fields 1 and 2.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: domain = try reader.string(key)
        case 2: version = try reader.int64(key)
        default: return false
        }
        return true
    }

    /// Writes fields 1 and 2.
    public func encode(to writer: inout ProtoWriter) {
        writer.string(1, domain, present: wire.has(1))
        writer.int64(2, version, present: wire.has(2))
    }
}
