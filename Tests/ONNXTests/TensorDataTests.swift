import ONNX
import Testing

/// Typed access to tensor values, from raw_data and from the typed fields.
struct TensorDataTests {
    /// Builds a tensor both ways (raw and typed), checks both read back and re-decode.
    func check<T: TensorElement & Equatable>(_ values: [T], shape: [Int]) throws {
        for tensor in [
            TensorProto(name: "raw", shape: shape, values: values),
            TensorProto(name: "typed", shape: shape, typedValues: values),
        ] {
            #expect(tensor.dataType == T.dataTypes[0])
            #expect(try tensor.values(as: T.self) == values)
            let decoded = try TensorProto(serialized: tensor.serialized())
            #expect(decoded == tensor)
            #expect(try decoded.values(as: T.self) == values)
        }
        #expect(
            TensorProto(name: "raw", shape: shape, values: values).rawData?.count == values.count * MemoryLayout<T>.size
        )
    }

    @Test func everyElementTypeReadsBackFromBothStorages() throws {
        try check([Float(1.5), -0.0, .infinity, .leastNonzeroMagnitude], shape: [2, 2])
        try check([Double(1e300), -2.5], shape: [2])
        try check([Float16(1), -0.5, 65504], shape: [3])
        try check([Int64.min, -1, 0, Int64.max], shape: [4])
        try check([UInt64.max, 0], shape: [2])
        try check([Int32.min, 7], shape: [2])
        try check([UInt32.max, 1], shape: [2])
        try check([Int16.min, Int16.max], shape: [2])
        try check([UInt16.max, 0], shape: [1, 2])
        try check([Int8.min, 0, Int8.max], shape: [3])
        try check([UInt8(0), 255], shape: [2])
        try check([true, false, true], shape: [3])
        try check([Float(7)], shape: [])
        try check([Float](), shape: [0, 3])
    }

    @Test func typedStorageUsesTheFieldOnnxUses() {
        #expect(TensorProto(name: "h", shape: [1], typedValues: [Float16(1)]).int32Data == [0x3C00])
        #expect(TensorProto(name: "u", shape: [1], typedValues: [UInt32.max]).uint64Data == [4_294_967_295])
        #expect(TensorProto(name: "b", shape: [2], typedValues: [true, false]).int32Data == [1, 0])
        #expect(TensorProto(name: "d", shape: [1], typedValues: [Double(2)]).doubleData == [2])
    }

    @Test func mismatchesThrowAndNameTheTensor() throws {
        let tensor = TensorProto(name: "weights", shape: [2], values: [Float(1), 2])
        let wrongType = try #require(throws: ONNXError.self) { try tensor.int64s() }
        #expect(wrongType.kind == .invalidTensorData)
        #expect(wrongType.detail.contains("'weights'"))
        var short = tensor
        short.rawData?.removeLast()
        #expect(throws: ONNXError.self) { try short.floats() }
        var typedShort = TensorProto(name: "typed", shape: [3], typedValues: [Float(1), 2])
        #expect(throws: ONNXError.self) { try typedShort.floats() }
        typedShort.dims = [2]
        #expect(try typedShort.floats() == [1, 2])
        var external = tensor
        external.rawData = nil
        external.dataLocation = TensorProto.externalLocation
        external.externalData = [StringStringEntryProto(key: "location", value: "w.bin")]
        #expect(try #require(throws: ONNXError.self) { try external.floats() }.kind == .externalData)
    }

    @Test func stringsAndSizes() throws {
        let words = TensorProto(name: "words", shape: [2], strings: ["hello", "w\u{f6}rld"])
        #expect(try words.strings().map { String(decoding: $0, as: UTF8.self) } == ["hello", "w\u{f6}rld"])
        #expect(words.dataByteCount == 11)
        var int4 = TensorProto()
        int4.dataType = .int4
        int4.dims = [3]
        #expect(int4.dataByteCount == 2)
        #expect(TensorProto(name: "f", shape: [2, 3], values: [Float](repeating: 0, count: 6)).dataByteCount == 24)
        #expect(TensorProto(name: "f", shape: [2, 3], values: [Float](repeating: 0, count: 6)).shape == [2, 3])
    }
}
