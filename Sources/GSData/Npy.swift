import GSCore
import GSExec

#if canImport(Glibc)
    @preconcurrency import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads and writes numpy's `.npy` files: golden inputs and outputs that bundles carry, and
/// calibration data users export from Python.
///
/// Elements are copied as they are (little-endian on every machine gsctl runs on), so a file
/// `np.save` wrote loads with one copy and a file gsctl wrote is what `np.load` expects.
public enum Npy {
    /// Refuses files whose data would take more than this (a corrupt header must not allocate
    /// terabytes); calibration sets beyond this belong in several files.
    public static let defaultLimit = 8 << 30

    /// Decodes the bytes of a whole `.npy` file held in memory; `name` is used in messages.
    public static func decode(_ bytes: [UInt8], name: String, limit: Int = defaultLimit) throws(GSError) -> Tensor {
        guard !bytes.isEmpty else { throw GSError("`\(name)` is empty, not an .npy file") }
        guard let header = try NpyHeader.parse(bytes, name: name).0 else {
            throw GSError("`\(name)` is truncated inside its .npy header (\(bytes.count) bytes)")
        }
        let expected = try checkedByteCount(header, name: name, limit: limit)
        let available = bytes.count - header.dataOffset
        guard available == expected else {
            throw sizeMismatch(header, expected: expected, found: available, name: name)
        }
        return bytes.withUnsafeBytes { raw in
            tensor(header, from: UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...]))
        }
    }

    /// Reads a `.npy` file.
    public static func read(path: String, limit: Int = defaultLimit) throws(GSError) -> Tensor {
        let file = try NpyFile(path: path, limit: limit)
        return try file.read()
    }

    /// The bytes `np.save` would write for this tensor.
    public static func encode(_ tensor: Tensor) throws(GSError) -> [UInt8] {
        let type = NpyType(tensor.storage)
        guard tensor.shape.allSatisfy({ $0 >= 0 }) else {
            throw GSError("cannot write a tensor of shape \(shapeText(tensor.shape)) as .npy: negative dimension")
        }
        let stored = elementCount(tensor.storage)
        guard stored == tensor.count else {
            throw GSError(
                "cannot write a tensor of shape \(shapeText(tensor.shape)) as .npy: it holds \(stored) elements, "
                    + "the shape needs \(tensor.count)")
        }
        var out = NpyHeader.encode(type: type, shape: tensor.shape)
        withBytes(of: tensor.storage) { out.append(contentsOf: $0) }
        return out
    }

    /// Writes a `.npy` file atomically (readers see the old file or the new one).
    public static func write(_ tensor: Tensor, to path: String) throws(GSError) {
        try FileSystem.writeAtomically(try encode(tensor), to: path)
    }

    // MARK: - Shared with NpyFile and Npz

    /// The data size a header declares, checked against `limit`.
    static func checkedByteCount(_ header: NpyHeader, name: String, limit: Int) throws(GSError) -> Int {
        guard let bytes = header.byteCount else {
            throw GSError("`\(name)`: shape \(shapeText(header.shape)) in the .npy header is too large to address")
        }
        guard bytes <= limit else {
            throw GSError(
                "`\(name)` declares \(shapeText(header.shape)) \(header.type.name) (\(bytes) bytes), "
                    + "over the \(limit)-byte limit",
                hint: "split the data into smaller files")
        }
        return bytes
    }

    static func sizeMismatch(_ header: NpyHeader, expected: Int, found: Int, name: String) -> GSError {
        let what = found < expected ? "is truncated" : "has \(found - expected) bytes after its data"
        return GSError(
            "`\(name)` \(what): its header declares shape \(shapeText(header.shape)) \(header.type.name) "
                + "(\(expected) bytes of data), the file holds \(found)")
    }

    /// Builds a tensor of the header's type and shape from exactly its data bytes.
    static func tensor(_ header: NpyHeader, shape: [Int]? = nil, from raw: UnsafeRawBufferPointer) -> Tensor {
        let shape = shape ?? header.shape
        let count = raw.count / header.type.size
        func copy<T>(_: T.Type) -> [T] {
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                if count > 0, let base = raw.baseAddress {
                    UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(
                        from: base, byteCount: count * header.type.size)
                }
                initialized = count
            }
        }
        let storage: Tensor.Storage
        switch header.type {
        case .float32: storage = .float(copy(Float.self))
        case .float16: storage = .float16(copy(Float16.self))
        case .float64: storage = .double(copy(Double.self))
        case .uint8: storage = .uint8(copy(UInt8.self))
        case .int8: storage = .int8(copy(Int8.self))
        case .int32: storage = .int32(copy(Int32.self))
        case .int64: storage = .int64(copy(Int64.self))
        // numpy writes 0 and 1; any other byte reads as true, as a C bool would.
        case .bool: storage = .bool(raw.map { $0 != 0 })
        }
        return Tensor(shape: shape, storage: storage)
    }

    static func elementCount(_ storage: Tensor.Storage) -> Int {
        switch storage {
        case .float(let values): values.count
        case .float16(let values): values.count
        case .double(let values): values.count
        case .int8(let values): values.count
        case .uint8(let values): values.count
        case .int32(let values): values.count
        case .int64(let values): values.count
        case .bool(let values): values.count
        }
    }

    /// The raw little-endian bytes of a storage (bools as 0 and 1, as numpy stores them).
    static func withBytes<R>(of storage: Tensor.Storage, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch storage {
        case .float(let values): values.withUnsafeBytes(body)
        case .float16(let values): values.withUnsafeBytes(body)
        case .double(let values): values.withUnsafeBytes(body)
        case .int8(let values): values.withUnsafeBytes(body)
        case .uint8(let values): values.withUnsafeBytes(body)
        case .int32(let values): values.withUnsafeBytes(body)
        case .int64(let values): values.withUnsafeBytes(body)
        case .bool(let values): values.map { $0 ? UInt8(1) : 0 }.withUnsafeBytes(body)
        }
    }
}

/// An open `.npy` file whose header has been read, for reading all of it or a run of samples
/// along the first axis without loading the rest (calibration files can be gigabytes).
public final class NpyFile {
    public let path: String
    public let header: NpyHeader
    /// Bytes of data the header declares (checked against the file's size on open).
    public let dataBytes: Int
    private let descriptor: Int32

    public init(path: String, limit: Int = Npy.defaultLimit) throws(GSError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw GSError("cannot open `\(path)`: \(FileSystem.errnoText())") }
        descriptor = fd
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw GSError("cannot stat `\(path)`: \(FileSystem.errnoText())")
        }
        let fileSize = Int(info.st_size)
        do throws(GSError) {
            var prefix: [UInt8] = []
            var parsed: NpyHeader?
            while parsed == nil {
                let (header, needed) = try NpyHeader.parse(prefix, name: path)
                if let header {
                    parsed = header
                    break
                }
                guard fileSize > 0 else { throw GSError("`\(path)` is empty, not an .npy file") }
                guard needed <= fileSize else {
                    throw GSError("`\(path)` is truncated inside its .npy header (\(fileSize) bytes)")
                }
                prefix = try Self.pread(fd, path: path, count: needed, at: 0)
            }
            guard let header = parsed else { throw GSError("`\(path)`: cannot read the .npy header") }
            let expected = try Npy.checkedByteCount(header, name: path, limit: limit)
            let found = fileSize - header.dataOffset
            guard found == expected else {
                throw Npy.sizeMismatch(header, expected: expected, found: found, name: path)
            }
            self.header = header
            dataBytes = expected
        } catch {
            close(fd)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// The whole array.
    public func read() throws(GSError) -> Tensor {
        let bytes = try Self.pread(descriptor, path: path, count: dataBytes, at: header.dataOffset)
        return bytes.withUnsafeBytes { Npy.tensor(header, from: $0) }
    }

    /// Entries `range` of the first axis, as a tensor of shape `[range.count] + shape[1...]`.
    public func read(first range: Range<Int>) throws(GSError) -> Tensor {
        guard let outer = header.shape.first else {
            throw GSError("`\(path)` holds a 0-d array; it has no first axis to take samples from")
        }
        guard range.lowerBound >= 0, range.upperBound <= outer else {
            throw GSError("`\(path)`: samples \(range.lowerBound)..<\(range.upperBound) are out of range 0..<\(outer)")
        }
        let inner = header.shape.dropFirst().reduce(1, *) * header.type.size
        let bytes = try Self.pread(
            descriptor, path: path, count: range.count * inner, at: header.dataOffset + range.lowerBound * inner)
        return bytes.withUnsafeBytes {
            Npy.tensor(header, shape: [range.count] + header.shape.dropFirst(), from: $0)
        }
    }

    private static func pread(_ fd: Int32, path: String, count: Int, at offset: Int) throws(GSError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var filled = 0
        while filled < count {
            let result = bytes.withUnsafeMutableBytes { raw in
                Glibc.pread(fd, raw.baseAddress! + filled, count - filled, off_t(offset + filled))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw GSError("cannot read `\(path)`: \(FileSystem.errnoText())")
            }
            if result == 0 { throw GSError("`\(path)` was truncated while being read") }
            filled += result
        }
        return bytes
    }
}

/// `Array.withUnsafeBytes` for bodies with typed throws (the standard one only rethrows
/// `any Error`, which would erase `GSError`).
func withRawBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(GSError) -> R) throws(GSError) -> R {
    let result: Result<R, GSError> = bytes.withUnsafeBytes { raw in Result { () throws(GSError) in try body(raw) } }
    return try result.get()
}
