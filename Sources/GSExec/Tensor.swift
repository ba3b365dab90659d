import ONNX

/// A dense tensor in memory: the value type the executor computes with, calibration data is
/// loaded into and golden inputs and outputs are written from.
///
/// Elements live in one typed Swift array (copy-on-write, so passing tensors around is
/// cheap); kernels take unsafe buffer pointers to them once, outside their loops.
public struct Tensor: Sendable {
    public var shape: [Int]
    public var storage: Storage

    public enum Storage: Sendable {
        case float([Float])
        case float16([Float16])
        case double([Double])
        case int8([Int8])
        case uint8([UInt8])
        case int32([Int32])
        case int64([Int64])
        case bool([Bool])
    }

    public init(shape: [Int], storage: Storage) {
        self.shape = shape
        self.storage = storage
    }

    public init(shape: [Int], floats: [Float]) { self.init(shape: shape, storage: .float(floats)) }
    public init(shape: [Int], int64s: [Int64]) { self.init(shape: shape, storage: .int64(int64s)) }

    /// Elements a shape holds (1 for a scalar's empty shape).
    public static func count(of shape: [Int]) -> Int { shape.reduce(1, *) }

    public var count: Int { Tensor.count(of: shape) }
    public var rank: Int { shape.count }

    public var dataType: DataType {
        switch storage {
        case .float: .float
        case .float16: .float16
        case .double: .double
        case .int8: .int8
        case .uint8: .uint8
        case .int32: .int32
        case .int64: .int64
        case .bool: .bool
        }
    }

    /// The elements as Float, converting from any numeric type (metrics, comparisons).
    public var floatValues: [Float] {
        switch storage {
        case .float(let values): values
        case .float16(let values): values.map(Float.init)
        case .double(let values): values.map(Float.init)
        case .int8(let values): values.map(Float.init)
        case .uint8(let values): values.map(Float.init)
        case .int32(let values): values.map(Float.init)
        case .int64(let values): values.map(Float.init)
        case .bool(let values): values.map { $0 ? 1 : 0 }
        }
    }

    /// The elements as Int64 (shape arithmetic, indices); floats are truncated.
    public var int64Values: [Int64] {
        switch storage {
        case .float(let values): values.map { Int64($0) }
        case .float16(let values): values.map { Int64(Float($0)) }
        case .double(let values): values.map { Int64($0) }
        case .int8(let values): values.map(Int64.init)
        case .uint8(let values): values.map(Int64.init)
        case .int32(let values): values.map(Int64.init)
        case .int64(let values): values
        case .bool(let values): values.map { $0 ? 1 : 0 }
        }
    }
}
