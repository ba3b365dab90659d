/// Typed access to a tensor's values and building tensors from Swift arrays: what the
/// executor loads weights with and the optimizer writes folded constants with.
extension TensorProto {
    /// The element type (`.undefined` for numbers this build does not know).
    public var dataType: DataType {
        get { DataType(rawValue: dataTypeRaw) ?? .undefined }
        set { dataTypeRaw = newValue.rawValue }
    }

    /// `dims` as Ints, for shape arithmetic.
    public var shape: [Int] { dims.map { Int(truncatingIfNeeded: $0) } }

    /// Elements the dims describe; nil for a negative dim or a product past `Int.max`.
    public var elementCount: Int? {
        var count = 1
        for dim in dims {
            guard dim >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(truncatingIfNeeded: dim))
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// Bytes the values take in raw form (4-bit types two per element byte, strings their
    /// lengths); nil when the element count is not valid.
    public var dataByteCount: Int? {
        guard let count = elementCount else { return nil }
        switch dataType {
        case .string: return stringData.reduce(0) { $0 + $1.count }
        case .int4, .uint4, .float4e2m1: return count / 2 + count % 2
        default:
            let (bytes, overflow) = count.multipliedReportingOverflow(by: dataType.byteSize)
            return overflow ? nil : bytes
        }
    }

    /// The values as `T`, from raw_data (bulk copy) or the typed field; throws when the type
    /// does not match, the data is external and not loaded, or the count disagrees with dims.
    public func values<T: TensorElement>(as type: T.Type = T.self) throws(ONNXError) -> [T] {
        guard T.dataTypes.contains(dataType) else {
            throw ONNXError(
                .invalidTensorData, "tensor '\(name)' holds \(dataType), not \(T.dataTypes[0]) (\(T.self))")
        }
        guard let count = elementCount else {
            throw ONNXError(.invalidTensorData, "tensor '\(name)' has invalid dims \(dims)")
        }
        if let rawData {
            let (expected, overflow) = count.multipliedReportingOverflow(by: MemoryLayout<T>.size)
            guard !overflow, rawData.count == expected else {
                throw ONNXError(
                    .invalidTensorData,
                    "tensor '\(name)' has \(rawData.count) bytes of raw data, dims \(dims) of \(dataType) need \(expected)"
                )
            }
            return rawData.withUnsafeBytes { T.fromRaw($0, count: count) }
        }
        if isExternal {
            throw ONNXError(
                .externalData,
                "tensor '\(name)' keeps its data in an external file that was not loaded (load the model with ModelFile.load)"
            )
        }
        let typed = T.typedValues(self)
        guard typed.count == count else {
            throw ONNXError(
                .invalidTensorData, "tensor '\(name)' has \(typed.count) values, dims \(dims) need \(count)")
        }
        return typed
    }

    /// FLOAT values.
    public func floats() throws(ONNXError) -> [Float] { try values() }
    /// DOUBLE values.
    public func doubles() throws(ONNXError) -> [Double] { try values() }
    /// FLOAT16 values.
    public func float16s() throws(ONNXError) -> [Float16] { try values() }
    /// INT64 values.
    public func int64s() throws(ONNXError) -> [Int64] { try values() }
    /// INT32 values.
    public func int32s() throws(ONNXError) -> [Int32] { try values() }
    /// INT8 values.
    public func int8s() throws(ONNXError) -> [Int8] { try values() }
    /// UINT8 values.
    public func uint8s() throws(ONNXError) -> [UInt8] { try values() }
    /// BOOL values.
    public func bools() throws(ONNXError) -> [Bool] { try values() }

    /// STRING values, as bytes.
    public func strings() throws(ONNXError) -> [[UInt8]] {
        guard dataType == .string else {
            throw ONNXError(.invalidTensorData, "tensor '\(name)' holds \(dataType), not string")
        }
        guard let count = elementCount, stringData.count == count else {
            throw ONNXError(
                .invalidTensorData, "tensor '\(name)' has \(stringData.count) strings, dims \(dims) disagree")
        }
        return stringData
    }

    /// A tensor stored as raw_data (what exporters write), from values in row-major order.
    /// The values must fill the shape (`shape` [] is a scalar).
    public init<T: TensorElement>(name: String, shape: [Int], values: [T]) {
        self.init()
        self.name = name
        dims = shape.map { Int64($0) }
        dataType = T.dataTypes[0]
        rawData = values.withUnsafeBytes { [UInt8]($0) }
    }

    /// A tensor stored in its typed field (`float_data`, `int64_data`...), the form
    /// `onnx.helper.make_tensor` writes by default.
    public init<T: TensorElement>(name: String, shape: [Int], typedValues values: [T]) {
        self.init()
        self.name = name
        dims = shape.map { Int64($0) }
        dataType = T.dataTypes[0]
        T.setTypedValues(values, in: &self)
    }

    /// A STRING tensor.
    public init(name: String, shape: [Int], strings: [String]) {
        self.init()
        self.name = name
        dims = shape.map { Int64($0) }
        dataType = .string
        stringData = strings.map { Array($0.utf8) }
    }
}
