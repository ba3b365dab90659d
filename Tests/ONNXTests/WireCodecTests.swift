import ONNX
import Testing

/// Runs `body` with a reader over `bytes`.
func read<T>(_ bytes: [UInt8], _ body: (inout ProtoReader) throws(ONNXError) -> T) throws(ONNXError) -> T {
    let result: Result<T, ONNXError> = bytes.withUnsafeBytes { raw in
        var reader = ProtoReader(raw)
        do throws(ONNXError) { return .success(try body(&reader)) } catch { return .failure(error) }
    }
    return try result.get()
}

/// `key` + length + `payload`: a length-delimited field, written by hand.
func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] {
    var writer = ProtoWriter()
    writer.key(number, .lengthDelimited)
    writer.varint(UInt64(payload.count))
    writer.append(payload)
    return writer.bytes
}

/// A varint field, written by hand.
func field(_ number: Int, varint value: UInt64) -> [UInt8] {
    var writer = ProtoWriter()
    writer.key(number, .varint)
    writer.varint(value)
    return writer.bytes
}

/// The error decoding `bytes` as `M` throws (nil when it decodes).
func decodeError<M: ProtoMessage>(_ bytes: [UInt8], as type: M.Type = ModelProto.self) -> ONNXError? {
    do {
        _ = try M(serialized: bytes)
        return nil
    } catch {
        return error
    }
}

struct WireCodecTests {
    @Test(
        arguments: [
            (UInt64(0), [0x00]), (1, [0x01]), (127, [0x7F]), (128, [0x80, 0x01]), (300, [0xAC, 0x02]),
            (16_384, [0x80, 0x80, 0x01]), (UInt64(UInt32.max), [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
            (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
        ] as [(UInt64, [UInt8])])
    func varintsEncodeAndDecode(value: UInt64, bytes: [UInt8]) throws {
        var writer = ProtoWriter()
        writer.varint(value)
        #expect(writer.bytes == bytes)
        #expect(ProtoWriter.varintSize(value) == bytes.count)
        let (decoded, position) = try read(bytes) { (reader) throws(ONNXError) in (try reader.varint(), reader.position)
        }
        #expect(decoded == value)
        #expect(position == bytes.count)
    }

    @Test func negativeIntegersAreTenByteVarints() throws {
        var writer = ProtoWriter()
        writer.int64(3, -1, present: false)
        writer.int32(2, -2, present: false)
        let ones: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]
        #expect(writer.bytes == [0x18] + ones + [0x10, 0xFE] + ones.dropFirst())
        let (int64, int32) = try read(writer.bytes) { (reader) throws(ONNXError) in
            let first = try reader.int64(try reader.key())
            return (first, try reader.int32(try reader.key()))
        }
        #expect(int64 == -1)
        #expect(int32 == -2)
        // An attribute's negative int round-trips through the message types too.
        let attribute = AttributeProto.int("axis", -1)
        #expect(try AttributeProto(serialized: attribute.serialized()).i == -1)
        #expect(attribute.serialized().count == 6 + 11 + 3)  // name, i (10-byte varint), type (2-byte key)
    }

    @Test func repeatedScalarsAcceptPackedAndUnpackedAndKeepTheirForm() throws {
        let unpacked: [UInt8] = [0x08, 0x02, 0x08, 0x03]  // dims: 2, 3 (one key each)
        let packed: [UInt8] = [0x0A, 0x02, 0x02, 0x03]  // dims: [2, 3] in one run
        for bytes in [unpacked, packed] {
            let tensor = try TensorProto(serialized: bytes)
            #expect(tensor.dims == [2, 3])
            #expect(tensor.serialized() == bytes)
        }
        // A tensor built in code: dims unpacked, float_data packed (as protobuf writes ONNX).
        let built = TensorProto(name: "", shape: [2], typedValues: [Float(1), 2])
        #expect(built.serialized() == [0x08, 0x02, 0x10, 0x01, 0x22, 0x08, 0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])
        // float_data unpacked, then a packed run of the same field: both read, in order.
        var writer = ProtoWriter()
        writer.key(4, .fixed32)
        writer.fixed32(Float(1.5).bitPattern)
        writer.floats(4, [2.5, 3.5], packed: true, present: true)
        #expect(try TensorProto(serialized: writer.bytes).floatData == [1.5, 2.5, 3.5])
        // Attribute ints: unpacked by default, packed when the input was.
        let ints = AttributeProto.ints("pads", [1, -1])
        #expect(ints.serialized().filter { $0 == 0x40 }.count == 2)
        var packedInts = ProtoWriter()
        packedInts.int64s(8, [1, 300], packed: true, present: true)
        let decoded = try AttributeProto(serialized: packedInts.bytes)
        #expect(decoded.ints == [1, 300])
        #expect(decoded.serialized() == packedInts.bytes)
        // Packed doubles, int32s and uint64s.
        var many = ProtoWriter()
        many.int32s(5, [-1, 7], packed: true, present: true)
        many.doubles(10, [0.5], packed: false, present: true)
        many.uint64s(11, [UInt64.max], packed: true, present: true)
        let tensor = try TensorProto(serialized: many.bytes)
        #expect(tensor.int32Data == [-1, 7] && tensor.doubleData == [0.5] && tensor.uint64Data == [UInt64.max])
        #expect(tensor.serialized() == many.bytes)
    }

    @Test func unknownFieldsComeBackWhereTheyWere() throws {
        var fixed = ProtoWriter()
        fixed.key(1000, .fixed32)
        fixed.fixed32(0xDEAD_BEEF)
        fixed.key(50, .fixed64)
        fixed.fixed64(42)
        let bytes =
            field(99, varint: 5) + field(1, varint: 8) + field(15, Array("between".utf8)) + field(2, Array("me".utf8))
            + field(7, field(1, field(4, Array("Relu".utf8)) + field(77, varint: 1))) + field(20, [0x0A, 0x00])
            + fixed.bytes
        let model = try ModelProto(serialized: bytes)
        #expect(model.irVersion == 8)
        #expect(model.producerName == "me")
        #expect(model.graph.node.first?.opType == "Relu")
        #expect(model.wire.unknownFields.map(\.number) == [99, 15, 20, 1000, 50])
        #expect(model.graph.node.first?.wire.unknownFields.map(\.number) == [77])
        #expect(model.serialized() == bytes)
        // Changing known fields keeps the unknown ones in place around them.
        var changed = model
        changed.producerName = "gsctl"
        changed.graph.node[0].opType = "Sigmoid"
        let again = try ModelProto(serialized: changed.serialized())
        #expect(again.producerName == "gsctl")
        #expect(again.graph.node.first?.opType == "Sigmoid")
        #expect(again.wire.unknownFields == model.wire.unknownFields)
        #expect(again.graph.node.first?.wire.unknownFields == model.graph.node.first?.wire.unknownFields)
    }

    @Test func presenceOfDefaultValuesSurvives() throws {
        let emptyName: [UInt8] = [0x1A, 0x00]  // NodeProto name = "" written explicitly
        #expect(try NodeProto(serialized: emptyName).serialized() == emptyName)
        #expect(NodeProto().serialized() == [])
        #expect(try ModelProto(serialized: field(1, varint: 0)).serialized() == field(1, varint: 0))
        // An INT attribute of 0 writes its 0 (proto2 keeps it apart from no value).
        let zero = AttributeProto.int("keepdims", 0)
        let decoded = try AttributeProto(serialized: zero.serialized())
        #expect(decoded.wire.has(3) && decoded.i == 0 && decoded.type == .int)
        #expect(decoded == zero)
        // A reference to a function's attribute has a kind but no value.
        let reference = AttributeProto.reference("alpha", to: "alpha", type: .float)
        #expect(try AttributeProto(serialized: reference.serialized()).wire.has(2) == false)
    }

    @Test func longMessagesGetWideLengthPrefixes() throws {
        for size in [0, 1, 120, 127, 128, 300, 20_000, 3_000_000] {
            var tensor = TensorProto(name: "t", shape: [size], values: [UInt8](repeating: 7, count: size))
            tensor.docString = String(repeating: "d", count: size % 200)
            let model = ModelProto(
                graph: GraphProto(name: "g", nodes: [], inputs: [], outputs: [], initializers: [tensor, tensor]),
                opsets: [OperatorSetIdProto(version: 17)])
            let bytes = model.serialized()
            let decoded = try ModelProto(serialized: bytes)
            #expect(decoded == model)
            #expect(decoded.serialized() == bytes)
        }
    }

    @Test func malformedInputsThrowWithTheirOffset() {
        let cases: [([UInt8], ONNXError.Kind, Int)] = [
            ([0x08], .truncated, 1),  // a key, then nothing
            ([0x08, 0x80], .truncated, 1),  // a varint cut short
            ([0x08] + [UInt8](repeating: 0xFF, count: 10) + [0x01], .varintTooLong, 1),
            ([0x12, 0x05, 0x41], .lengthPastEnd, 1),  // producer_name of 5 bytes, 1 there
            ([0x12, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], .lengthPastEnd, 1),  // 2^64 - 1
            ([0x08, 0x01, 0x0B], .invalidWireType, 2),  // a group start
            ([0x0F], .invalidWireType, 0),  // wire type 7
            ([0x00], .invalidFieldNumber, 0),  // field 0
            ([0x0A, 0x00], .wrongWireType, 0),  // ir_version length-delimited
            ([0x15, 0x00, 0x00], .wrongWireType, 0),  // producer_name as fixed32
            ([0x28, 0x01, 0xF1, 0x01, 0x00], .truncated, 4),  // unknown field 30, fixed64 cut short
        ]
        for (bytes, kind, offset) in cases {
            let error = decodeError(bytes)
            #expect(error?.kind == kind, "\(bytes)")
            #expect(error?.offset == offset, "\(bytes): \(String(describing: error))")
        }
        #expect(decodeError([0x08, 0x01]) == nil)
    }

    @Test func nestedErrorsNameTheMessagePath() throws {
        // model.graph.node[0].attribute[1]: an f (fixed32) with two of its four bytes.
        let attribute = field(1, Array("a".utf8))
        let bytes = field(7, field(1, field(5, attribute) + field(5, [0x15, 0x00, 0x00])))
        let error = try #require(decodeError(bytes))
        #expect(error.kind == .truncated)
        #expect(error.offset == 12)
        #expect(error.path.joined() == "ModelProto.graph.node[0].attribute[1]")
        #expect(
            error.description
                == "input ends inside a 4-byte value at byte 12 (in ModelProto.graph.node[0].attribute[1])")
        // A length that fits the file but not the enclosing message.
        let overrun = try #require(decodeError([0x3A, 0x03, 0x12, 0x03, 0x61, 0x62, 0x63]))
        #expect(overrun.kind == .lengthPastEnd)
        #expect(overrun.path.joined() == "ModelProto.graph")
    }

    /// A model whose graph nests `depth` graphs in all (Loop bodies inside Loop bodies).
    static func nested(depth: Int) -> ModelProto {
        var graph = GraphProto(name: "leaf", nodes: [], inputs: [], outputs: [])
        for level in 1..<depth {
            graph = GraphProto(
                name: "level\(level)",
                nodes: [NodeProto("Loop", inputs: [], outputs: [], attributes: [.graph("body", graph)])], inputs: [],
                outputs: [])
        }
        return ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: 17)])
    }

    @Test func subgraphNestingIsCapped() throws {
        let deepest = Self.nested(depth: ProtoReader.maxGraphDepth)
        let decoded = try ModelProto(serialized: deepest.serialized())
        #expect(decoded.graph.nodeCountIncludingSubgraphs == ProtoReader.maxGraphDepth - 1)
        let error = try #require(decodeError(Self.nested(depth: ProtoReader.maxGraphDepth + 1).serialized()))
        #expect(error.kind == .tooDeep)
        #expect(error.path.count > ProtoReader.maxGraphDepth * 3)
    }

    @Test func aFileThatIsNotAModelSaysSoInOneLine() throws {
        let text = Array("name: not a model\n".utf8)
        #expect(throws: ONNXError.self) { try ModelFile.decode(text, file: "notes.txt") }
        do {
            _ = try ModelFile.decode(text, file: "notes.txt")
        } catch {
            let message = error.gsError.message
            #expect(message.hasPrefix("`notes.txt` is not a valid ONNX model: "))
            #expect(message.contains("at byte "))
            #expect(!message.contains("\n"))
        }
        // Valid protobuf, but no ONNX model in it.
        let noGraph = field(1, varint: 8)
        #expect(decodeModelError(noGraph)?.kind == .notAModel)
        #expect(decodeModelError([])?.kind == .notAModel)
    }

    /// The error `ModelFile.decode` throws, if any.
    func decodeModelError(_ bytes: [UInt8]) -> ONNXError? {
        do {
            _ = try ModelFile.decode(bytes)
            return nil
        } catch {
            return error
        }
    }
}
