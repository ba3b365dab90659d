/// The type of a value. Tensor types are modelled (element type and shape); sequence, map,
/// optional, opaque and sparse types stay unknown fields, kept byte for byte.
public struct TypeProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "TypeProto"

    /// Field 1: the tensor type, when the value is a tensor.
    public var tensorType: Tensor?
    /// Field 6: an optional denotation (`IMAGE`, `AUDIO`, ...).
    public var denotation: String = ""
    /// Presence and unknown fields (the other kinds of type).
    public var wire = WireDetails()

    /// An empty type.
    public init() {}

    /// A tensor type.
    public init(tensor elementType: DataType, shape: [TensorShapeProto.Dimension]?) {
        tensorType = Tensor(elementType: elementType, shape: shape.map { TensorShapeProto(dim: $0) })
    }

    /// Reads fields 1 and 6.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: tensorType = try reader.message(key, "tensor_type")
        case 6: denotation = try reader.string(key)
        default: return false
        }
        return true
    }

    /// Writes fields 1 and 6; the other kinds, being unknown fields, go back where they were.
    public func encode(to writer: inout ProtoWriter) {
        writer.message(1, tensorType)
        writer.string(6, denotation, present: wire.has(6))
    }

    /// `TypeProto.Tensor`: element type and optional shape.
    public struct Tensor: ProtoMessage {
        /// Name for error paths.
        public static let protoName = "TypeProto.Tensor"

        /// Field 1: the element type as stored (values newer than `DataType` survive).
        public var elemType: Int32 = 0
        /// Field 2: the shape; nil means the rank is unknown, an empty shape a scalar.
        public var shape: TensorShapeProto?
        /// Presence and unknown fields.
        public var wire = WireDetails()

        /// An empty tensor type.
        public init() {}

        /// A tensor type from an element type and shape.
        public init(elementType: DataType, shape: TensorShapeProto?) {
            elemType = elementType.rawValue
            self.shape = shape
        }

        /// The element type (`.undefined` for numbers this build does not know).
        public var elementType: DataType {
            get { DataType(rawValue: elemType) ?? .undefined }
            set { elemType = newValue.rawValue }
        }

        /// Reads fields 1 and 2.
        public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
            switch key.number {
            case 1: elemType = try reader.int32(key)
            case 2: shape = try reader.message(key, "shape")
            default: return false
            }
            return true
        }

        /// Writes fields 1 and 2.
        public func encode(to writer: inout ProtoWriter) {
            writer.int32(1, elemType, present: wire.has(1))
            writer.message(2, shape)
        }
    }
}

/// A tensor shape: one entry per axis, each a number, a symbolic name or unknown.
public struct TensorShapeProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "TensorShapeProto"

    /// Field 1: the axes.
    public var dim: [Dimension] = []
    /// Presence and unknown fields.
    public var wire = WireDetails()

    /// An empty shape (a scalar).
    public init() {}

    /// A shape from its axes.
    public init(dim: [Dimension]) { self.dim = dim }

    /// Reads field 1.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        guard key.number == 1 else { return false }
        dim.append(try reader.message(key, "dim", index: dim.count))
        return true
    }

    /// Writes field 1.
    public func encode(to writer: inout ProtoWriter) {
        writer.messages(1, dim)
    }

    /// One axis: `dim_value` (1), `dim_param` (2) or neither, plus a denotation (3).
    public struct Dimension: ProtoMessage, ExpressibleByIntegerLiteral, ExpressibleByStringLiteral {
        /// Name for error paths.
        public static let protoName = "TensorShapeProto.Dimension"

        /// What is known about the axis' size.
        public enum Value: Sendable, Hashable {
            /// A fixed size (field 1); exporters sometimes write -1 for "unknown".
            case value(Int64)
            /// A symbolic size shared by axes with the same name (field 2).
            case param(String)
            /// Nothing known.
            case unknown
        }

        /// The size, symbolic name or nothing.
        public var value: Value = .unknown
        /// Field 3: an optional denotation (`DATA_BATCH`, ...).
        public var denotation: String = ""
        /// Presence and unknown fields.
        public var wire = WireDetails()

        /// An unknown axis.
        public init() {}

        /// An axis from what is known about it.
        public init(_ value: Value) { self.value = value }

        /// A fixed-size axis written as a number literal.
        public init(integerLiteral value: Int64) { self.value = .value(value) }

        /// A symbolic axis written as a string literal.
        public init(stringLiteral value: String) { self.value = .param(value) }

        /// The fixed size, when there is one.
        public var fixed: Int64? {
            if case .value(let size) = value { return size }
            return nil
        }

        /// Reads fields 1 to 3.
        public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
            switch key.number {
            case 1: value = .value(try reader.int64(key))
            case 2: value = .param(try reader.string(key))
            case 3: denotation = try reader.string(key)
            default: return false
            }
            return true
        }

        /// Writes fields 1 to 3.
        public func encode(to writer: inout ProtoWriter) {
            switch value {
            case .value(let size): writer.int64(1, size, present: true)
            case .param(let name): writer.string(2, name, present: true)
            case .unknown: break
            }
            writer.string(3, denotation, present: wire.has(3))
        }
    }
}
