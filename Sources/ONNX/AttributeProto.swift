/// A named attribute of a node (`kernel_shape`, `axis`, a Loop's `body`...), of any kind:
/// scalars, lists, tensors, subgraphs, type protos, or a reference to an attribute of the
/// enclosing function (`ref_attr_name`). Sparse tensors (22, 23) are kept as unknown fields.
public struct AttributeProto: ProtoMessage {
    /// Name for error paths.
    public static let protoName = "AttributeProto"

    /// The attribute's kind (field 20) as stored; values newer than this build survive.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The number the wire format uses.
        public var rawValue: Int32
        /// A kind from its wire number.
        public init(rawValue: Int32) { self.rawValue = rawValue }

        /// Not set (very old exporters): the filled field tells.
        public static let undefined = Kind(rawValue: 0)
        /// `f`.
        public static let float = Kind(rawValue: 1)
        /// `i`.
        public static let int = Kind(rawValue: 2)
        /// `s`.
        public static let string = Kind(rawValue: 3)
        /// `t`.
        public static let tensor = Kind(rawValue: 4)
        /// `g`.
        public static let graph = Kind(rawValue: 5)
        /// `floats`.
        public static let floats = Kind(rawValue: 6)
        /// `ints`.
        public static let ints = Kind(rawValue: 7)
        /// `strings`.
        public static let strings = Kind(rawValue: 8)
        /// `tensors`.
        public static let tensors = Kind(rawValue: 9)
        /// `graphs`.
        public static let graphs = Kind(rawValue: 10)
        /// `sparse_tensor` (kept as an unknown field).
        public static let sparseTensor = Kind(rawValue: 11)
        /// `sparse_tensors` (kept as unknown fields).
        public static let sparseTensors = Kind(rawValue: 12)
        /// `tp`.
        public static let typeProto = Kind(rawValue: 13)
        /// `type_protos`.
        public static let typeProtos = Kind(rawValue: 14)

        /// The ONNX spelling (`INTS`).
        public var description: String {
            let names = [
                "UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS", "TENSORS",
                "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS",
            ]
            return rawValue >= 0 && Int(rawValue) < names.count ? names[Int(rawValue)] : "TYPE_\(rawValue)"
        }
    }

    /// Field 1: the attribute's name.
    public var name: String = ""
    /// Field 2: a float value.
    public var f: Float = 0
    /// Field 3: an int value.
    public var i: Int64 = 0
    /// Field 4: a string value, as bytes (ONNX declares it `bytes`).
    public var s: [UInt8] = []
    /// Field 5: a tensor value.
    public var t: TensorProto?
    /// Field 6: a graph value (Loop and Scan `body`, If branches).
    public var g: GraphProto?
    /// Field 7: a float list.
    public var floats: [Float] = []
    /// Field 8: an int list.
    public var ints: [Int64] = []
    /// Field 9: a string list, as bytes.
    public var strings: [[UInt8]] = []
    /// Field 10: a tensor list.
    public var tensors: [TensorProto] = []
    /// Field 11: a graph list.
    public var graphs: [GraphProto] = []
    /// Field 13: free text.
    public var docString: String = ""
    /// Field 14: a type value.
    public var tp: TypeProto?
    /// Field 15: a type list.
    public var typeProtos: [TypeProto] = []
    /// Field 20: which of the value fields holds the value.
    public var type: Kind = .undefined
    /// Field 21: inside a function, the name of the caller's attribute this one refers to.
    public var refAttrName: String = ""
    /// Presence, packing and unknown fields.
    public var wire = WireDetails()

    /// An empty attribute.
    public init() {}

    /// Reads the fields ONNX defines for attributes; lists accept packed and unpacked runs.
    public mutating func decodeField(_ key: FieldKey, from reader: inout ProtoReader) throws(ONNXError) -> Bool {
        switch key.number {
        case 1: name = try reader.string(key)
        case 2: f = try reader.float(key)
        case 3: i = try reader.int64(key)
        case 4: s = try reader.bytes(key)
        case 5: t = try reader.message(key, "t")
        case 6: g = try reader.message(key, "g")
        case 7: try reader.appendFloats(key, to: &floats)
        case 8: try reader.appendInt64s(key, to: &ints)
        case 9: strings.append(try reader.bytes(key))
        case 10: tensors.append(try reader.message(key, "tensors", index: tensors.count))
        case 11: graphs.append(try reader.message(key, "graphs", index: graphs.count))
        case 13: docString = try reader.string(key)
        case 14: tp = try reader.message(key, "tp")
        case 15: typeProtos.append(try reader.message(key, "type_protos", index: typeProtos.count))
        case 20: type = Kind(rawValue: try reader.int32(key))
        case 21: refAttrName = try reader.string(key)
        default: return false
        }
        return true
    }

    /// Writes the fields in field-number order; the field `type` names is always written
    /// (proto2 keeps `i: 0` apart from no `i`) unless the attribute is a reference, which has
    /// no value. Lists are unpacked unless the input packed them.
    public func encode(to writer: inout ProtoWriter) {
        let valued = refAttrName.isEmpty
        writer.string(1, name, present: wire.has(1))
        writer.float(2, f, present: wire.has(2) || (valued && type == .float))
        writer.int64(3, i, present: wire.has(3) || (valued && type == .int))
        writer.bytes(4, s, present: wire.has(4) || (valued && type == .string))
        writer.message(5, t)
        writer.message(6, g)
        writer.floats(7, floats, packed: wire.packed(7, byDefault: false), present: wire.has(7))
        writer.int64s(8, ints, packed: wire.packed(8, byDefault: false), present: wire.has(8))
        writer.byteStrings(9, strings)
        writer.messages(10, tensors)
        writer.messages(11, graphs)
        writer.string(13, docString, present: wire.has(13))
        writer.message(14, tp)
        writer.messages(15, typeProtos)
        writer.int32(20, type.rawValue, present: wire.has(20))
        writer.string(21, refAttrName, present: wire.has(21))
    }
}

// MARK: Building and reading values

/// Building attributes in one expression and reading string values.
extension AttributeProto {
    /// A FLOAT attribute.
    public static func float(_ name: String, _ value: Float) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .float)
        attribute.f = value
        return attribute
    }

    /// An INT attribute.
    public static func int(_ name: String, _ value: Int64) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .int)
        attribute.i = value
        return attribute
    }

    /// A STRING attribute from text (stored as UTF-8).
    public static func string(_ name: String, _ value: String) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .string)
        attribute.s = Array(value.utf8)
        return attribute
    }

    /// A FLOATS attribute.
    public static func floats(_ name: String, _ values: [Float]) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .floats)
        attribute.floats = values
        return attribute
    }

    /// An INTS attribute.
    public static func ints(_ name: String, _ values: [Int64]) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .ints)
        attribute.ints = values
        return attribute
    }

    /// A STRINGS attribute from text.
    public static func strings(_ name: String, _ values: [String]) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .strings)
        attribute.strings = values.map { Array($0.utf8) }
        return attribute
    }

    /// A TENSOR attribute (Constant's `value`).
    public static func tensor(_ name: String, _ value: TensorProto) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .tensor)
        attribute.t = value
        return attribute
    }

    /// A TENSORS attribute.
    public static func tensors(_ name: String, _ values: [TensorProto]) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .tensors)
        attribute.tensors = values
        return attribute
    }

    /// A GRAPH attribute (Loop `body`, If `then_branch`).
    public static func graph(_ name: String, _ value: GraphProto) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .graph)
        attribute.g = value
        return attribute
    }

    /// A GRAPHS attribute.
    public static func graphs(_ name: String, _ values: [GraphProto]) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: .graphs)
        attribute.graphs = values
        return attribute
    }

    /// An attribute that refers to the enclosing function's attribute `reference`.
    public static func reference(_ name: String, to reference: String, type: Kind) -> AttributeProto {
        var attribute = AttributeProto(name: name, type: type)
        attribute.refAttrName = reference
        return attribute
    }

    /// An attribute with a name and kind and no value yet.
    public init(name: String, type: Kind) {
        self.name = name
        self.type = type
    }

    /// `s` as text (invalid UTF-8 repaired).
    public var stringValue: String { String(decoding: s, as: UTF8.self) }

    /// `strings` as text.
    public var stringValues: [String] { strings.map { String(decoding: $0, as: UTF8.self) } }

    /// Subgraphs held by this attribute (`g` and `graphs`).
    public var subgraphs: [GraphProto] { (g.map { [$0] } ?? []) + graphs }
}
