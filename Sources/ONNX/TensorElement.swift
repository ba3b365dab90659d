/// A Swift type tensor data can be read into and built from: which ONNX element types it
/// reads, and where the typed (non-raw) storage keeps it.
///
/// Raw data is copied in bulk (little-endian host); `Bool` reads each byte as `!= 0`, since
/// a byte other than 0 or 1 is not a valid `Bool`.
public protocol TensorElement: BitwiseCopyable, Sendable {
    /// The element types this Swift type reads; the first is the one tensors are built with.
    static var dataTypes: [DataType] { get }
    /// The values from the typed field ONNX uses for this type (`float_data`, `int32_data`...).
    static func typedValues(_ tensor: TensorProto) -> [Self]
    /// Stores values in the typed field ONNX uses for this type.
    static func setTypedValues(_ values: [Self], in tensor: inout TensorProto)
    /// The values of a raw_data buffer holding exactly `count` elements.
    static func fromRaw(_ raw: UnsafeRawBufferPointer, count: Int) -> [Self]
}

/// The default raw read.
extension TensorElement {
    /// Bulk copy: every bit pattern is a valid value of the numeric types.
    public static func fromRaw(_ raw: UnsafeRawBufferPointer, count: Int) -> [Self] {
        [Self](unsafeUninitializedCapacity: count) { destination, initialized in
            if count > 0 { UnsafeMutableRawBufferPointer(destination).copyMemory(from: raw) }
            initialized = count
        }
    }
}

/// Float tensors.
extension Float: TensorElement {
    /// FLOAT.
    public static var dataTypes: [DataType] { [.float] }
    /// `float_data`.
    public static func typedValues(_ tensor: TensorProto) -> [Float] { tensor.floatData }
    /// `float_data`.
    public static func setTypedValues(_ values: [Float], in tensor: inout TensorProto) { tensor.floatData = values }
}

/// Double tensors.
extension Double: TensorElement {
    /// DOUBLE.
    public static var dataTypes: [DataType] { [.double] }
    /// `double_data`.
    public static func typedValues(_ tensor: TensorProto) -> [Double] { tensor.doubleData }
    /// `double_data`.
    public static func setTypedValues(_ values: [Double], in tensor: inout TensorProto) {
        tensor.doubleData = values
    }
}

/// Float16 tensors.
extension Float16: TensorElement {
    /// FLOAT16.
    public static var dataTypes: [DataType] { [.float16] }
    /// Bit patterns in `int32_data`.
    public static func typedValues(_ tensor: TensorProto) -> [Float16] {
        tensor.int32Data.map { Float16(bitPattern: UInt16(truncatingIfNeeded: $0)) }
    }
    /// Bit patterns in `int32_data`.
    public static func setTypedValues(_ values: [Float16], in tensor: inout TensorProto) {
        tensor.int32Data = values.map { Int32($0.bitPattern) }
    }
}

/// Int64 tensors.
extension Int64: TensorElement {
    /// INT64.
    public static var dataTypes: [DataType] { [.int64] }
    /// `int64_data`.
    public static func typedValues(_ tensor: TensorProto) -> [Int64] { tensor.int64Data }
    /// `int64_data`.
    public static func setTypedValues(_ values: [Int64], in tensor: inout TensorProto) { tensor.int64Data = values }
}

/// UInt64 tensors.
extension UInt64: TensorElement {
    /// UINT64.
    public static var dataTypes: [DataType] { [.uint64] }
    /// `uint64_data`.
    public static func typedValues(_ tensor: TensorProto) -> [UInt64] { tensor.uint64Data }
    /// `uint64_data`.
    public static func setTypedValues(_ values: [UInt64], in tensor: inout TensorProto) {
        tensor.uint64Data = values
    }
}

/// Int32 tensors.
extension Int32: TensorElement {
    /// INT32.
    public static var dataTypes: [DataType] { [.int32] }
    /// `int32_data`.
    public static func typedValues(_ tensor: TensorProto) -> [Int32] { tensor.int32Data }
    /// `int32_data`.
    public static func setTypedValues(_ values: [Int32], in tensor: inout TensorProto) { tensor.int32Data = values }
}

/// UInt32 tensors.
extension UInt32: TensorElement {
    /// UINT32.
    public static var dataTypes: [DataType] { [.uint32] }
    /// `uint64_data`.
    public static func typedValues(_ tensor: TensorProto) -> [UInt32] {
        tensor.uint64Data.map { UInt32(truncatingIfNeeded: $0) }
    }
    /// `uint64_data`.
    public static func setTypedValues(_ values: [UInt32], in tensor: inout TensorProto) {
        tensor.uint64Data = values.map { UInt64($0) }
    }
}

/// Int16 tensors.
extension Int16: TensorElement {
    /// INT16.
    public static var dataTypes: [DataType] { [.int16] }
    /// `int32_data`.
    public static func typedValues(_ tensor: TensorProto) -> [Int16] {
        tensor.int32Data.map { Int16(truncatingIfNeeded: $0) }
    }
    /// `int32_data`.
    public static func setTypedValues(_ values: [Int16], in tensor: inout TensorProto) {
        tensor.int32Data = values.map { Int32($0) }
    }
}

/// UInt16 tensors.
extension UInt16: TensorElement {
    /// UINT16, and the bit patterns of BFLOAT16 (no Swift type for it).
    public static var dataTypes: [DataType] { [.uint16, .bfloat16] }
    /// `int32_data`.
    public static func typedValues(_ tensor: TensorProto) -> [UInt16] {
        tensor.int32Data.map { UInt16(truncatingIfNeeded: $0) }
    }
    /// `int32_data`.
    public static func setTypedValues(_ values: [UInt16], in tensor: inout TensorProto) {
        tensor.int32Data = values.map { Int32($0) }
    }
}

/// Int8 tensors.
extension Int8: TensorElement {
    /// INT8.
    public static var dataTypes: [DataType] { [.int8] }
    /// `int32_data`.
    public static func typedValues(_ tensor: TensorProto) -> [Int8] {
        tensor.int32Data.map { Int8(truncatingIfNeeded: $0) }
    }
    /// `int32_data`.
    public static func setTypedValues(_ values: [Int8], in tensor: inout TensorProto) {
        tensor.int32Data = values.map { Int32($0) }
    }
}

/// UInt8 tensors.
extension UInt8: TensorElement {
    /// UINT8, and the bit patterns of the 8-bit float types.
    public static var dataTypes: [DataType] {
        [.uint8, .float8e4m3fn, .float8e4m3fnuz, .float8e5m2, .float8e5m2fnuz]
    }
    /// `int32_data`.
    public static func typedValues(_ tensor: TensorProto) -> [UInt8] {
        tensor.int32Data.map { UInt8(truncatingIfNeeded: $0) }
    }
    /// `int32_data`.
    public static func setTypedValues(_ values: [UInt8], in tensor: inout TensorProto) {
        tensor.int32Data = values.map { Int32($0) }
    }
}

/// Bool tensors.
extension Bool: TensorElement {
    /// BOOL.
    public static var dataTypes: [DataType] { [.bool] }
    /// `int32_data`, nonzero is true.
    public static func typedValues(_ tensor: TensorProto) -> [Bool] { tensor.int32Data.map { $0 != 0 } }
    /// `int32_data` as 0 and 1.
    public static func setTypedValues(_ values: [Bool], in tensor: inout TensorProto) {
        tensor.int32Data = values.map { $0 ? 1 : 0 }
    }
    /// One byte per element, nonzero is true (never a bit copy: 2 is not a valid `Bool`).
    public static func fromRaw(_ raw: UnsafeRawBufferPointer, count: Int) -> [Bool] {
        raw.prefix(count).map { $0 != 0 }
    }
}
