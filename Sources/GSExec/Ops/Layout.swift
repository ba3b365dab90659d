#if canImport(Glibc)
    import Glibc
#endif

/// Element-type-agnostic access to tensor storage: every storage case holds plain values of
/// 1, 2, 4 or 8 bytes, so the ops that only move elements (Transpose, Slice, Concat, Gather,
/// Pad, Tile...) work on bytes once instead of once per element type.
extension Tensor.Storage {
    /// Bytes per element.
    var elementSize: Int {
        switch self {
        case .float, .int32: 4
        case .float16: 2
        case .double, .int64: 8
        case .int8, .uint8, .bool: 1
        }
    }

    /// Number of elements held.
    var elementCount: Int {
        switch self {
        case .float(let v): v.count
        case .float16(let v): v.count
        case .double(let v): v.count
        case .int8(let v): v.count
        case .uint8(let v): v.count
        case .int32(let v): v.count
        case .int64(let v): v.count
        case .bool(let v): v.count
        }
    }

    /// Calls `body` with the elements' bytes.
    func withRawBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        switch self {
        case .float(let v): try v.withUnsafeBytes(body)
        case .float16(let v): try v.withUnsafeBytes(body)
        case .double(let v): try v.withUnsafeBytes(body)
        case .int8(let v): try v.withUnsafeBytes(body)
        case .uint8(let v): try v.withUnsafeBytes(body)
        case .int32(let v): try v.withUnsafeBytes(body)
        case .int64(let v): try v.withUnsafeBytes(body)
        case .bool(let v): try v.withUnsafeBytes(body)
        }
    }

    /// A storage of this element type with `count` elements whose bytes `fill` writes (all
    /// of them: the memory starts uninitialised).
    func makeLike(count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> Tensor.Storage {
        switch self {
        case .float: .float(try Self.build(count, fill))
        case .float16: .float16(try Self.build(count, fill))
        case .double: .double(try Self.build(count, fill))
        case .int8: .int8(try Self.build(count, fill))
        case .uint8: .uint8(try Self.build(count, fill))
        case .int32: .int32(try Self.build(count, fill))
        case .int64: .int64(try Self.build(count, fill))
        case .bool: .bool(try Self.build(count, fill))
        }
    }

    /// An array of `count` trivial elements written through raw bytes.
    private static func build<T>(_ count: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows -> [T] {
        try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            initialized = 0
            try fill(UnsafeMutableRawBufferPointer(buffer))
            initialized = count
        }
    }

    /// The storage case's name, for messages.
    var typeName: String {
        switch self {
        case .float: "float"
        case .float16: "float16"
        case .double: "double"
        case .int8: "int8"
        case .uint8: "uint8"
        case .int32: "int32"
        case .int64: "int64"
        case .bool: "bool"
        }
    }

    /// Whether two storages hold the same element type.
    func sameType(as other: Tensor.Storage) -> Bool { typeName == other.typeName }
}

/// Moves elements between strided views of raw buffers: the engine under every layout op.
enum Layout {
    /// Copies the `shape`-sized view of `source` (element offset and strides) into the view
    /// of `target`. Axes are merged where both sides are contiguous, so plain copies become
    /// a few `memcpy` runs and transposes become one tight strided loop.
    static func copy(
        shape: [Int], elementSize: Int,
        from source: UnsafeRawPointer, offset sourceOffset: Int, strides sourceStrides: [Int],
        to target: UnsafeMutableRawPointer, offset targetOffset: Int, strides targetStrides: [Int]
    ) {
        guard !shape.contains(0) else { return }
        // Drop unit axes, then merge neighbours that are contiguous on both sides.
        var dims: [(size: Int, source: Int, target: Int)] = []
        for axis in shape.indices where shape[axis] != 1 {
            let next = (shape[axis], sourceStrides[axis], targetStrides[axis])
            if let last = dims.last, last.source == next.1 * next.0, last.target == next.2 * next.0 {
                dims[dims.count - 1] = (last.size * next.0, next.1, next.2)
            } else {
                dims.append(next)
            }
        }
        let sourceBase = source + sourceOffset * elementSize
        let targetBase = target + targetOffset * elementSize
        guard let inner = dims.last else {
            targetBase.copyMemory(from: sourceBase, byteCount: elementSize)
            return
        }
        let outer = dims.dropLast()
        let outerCount = outer.reduce(1) { $0 * $1.size }
        let contiguous = inner.source == 1 && inner.target == 1
        var index = [Int](repeating: 0, count: outer.count)
        var sourceAt = 0
        var targetAt = 0
        for _ in 0..<outerCount {
            let s = sourceBase + sourceAt * elementSize
            let t = targetBase + targetAt * elementSize
            if contiguous {
                t.copyMemory(from: s, byteCount: inner.size * elementSize)
            } else {
                run(inner.size, elementSize, s, inner.source, t, inner.target)
            }
            // Advance the outer multi-index.
            var axis = outer.count - 1
            while axis >= 0 {
                let dim = dims[axis]
                index[axis] += 1
                sourceAt += dim.source
                targetAt += dim.target
                if index[axis] < dim.size { break }
                sourceAt -= dim.source * dim.size
                targetAt -= dim.target * dim.size
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// One strided run, specialised by element width.
    @inline(__always)
    static func run(
        _ count: Int, _ size: Int, _ source: UnsafeRawPointer, _ sourceStride: Int,
        _ target: UnsafeMutableRawPointer, _ targetStride: Int
    ) {
        switch size {
        case 1: typedRun(UInt8.self, count, source, sourceStride, target, targetStride)
        case 2: typedRun(UInt16.self, count, source, sourceStride, target, targetStride)
        case 4: typedRun(UInt32.self, count, source, sourceStride, target, targetStride)
        default: typedRun(UInt64.self, count, source, sourceStride, target, targetStride)
        }
    }

    /// The strided run for one element width (loads and stores of plain bits).
    @inline(__always)
    static func typedRun<T: FixedWidthInteger>(
        _ type: T.Type, _ count: Int, _ source: UnsafeRawPointer, _ sourceStride: Int,
        _ target: UnsafeMutableRawPointer, _ targetStride: Int
    ) {
        let width = MemoryLayout<T>.stride
        for i in 0..<count {
            let value = source.load(fromByteOffset: i * sourceStride * width, as: T.self)
            target.storeBytes(of: value, toByteOffset: i * targetStride * width, as: T.self)
        }
    }

    /// Gathers `target[i0, i1, ...] = source[maps[0][i0] + maps[1][i1] + ...]`: per-axis
    /// tables of source element offsets (already multiplied by the source strides). Pad's
    /// reflect and edge modes and nearest-neighbour Resize are this.
    static func gather(
        maps: [[Int]], elementSize: Int, from source: UnsafeRawPointer, to target: UnsafeMutableRawPointer
    ) {
        let shape = maps.map(\.count)
        guard !shape.contains(0) else { return }
        guard let innerMap = maps.last else {
            target.copyMemory(from: source, byteCount: elementSize)
            return
        }
        let outer = shape.dropLast().reduce(1, *)
        let innerCount = innerMap.count
        var index = [Int](repeating: 0, count: max(shape.count - 1, 0))
        var base = maps.dropLast().reduce(0) { $0 + $1[0] }
        innerMap.withUnsafeBufferPointer { inner in
            for block in 0..<outer {
                let t = target + block * innerCount * elementSize
                switch elementSize {
                case 1: gatherRun(UInt8.self, inner, base, source, t)
                case 2: gatherRun(UInt16.self, inner, base, source, t)
                case 4: gatherRun(UInt32.self, inner, base, source, t)
                default: gatherRun(UInt64.self, inner, base, source, t)
                }
                var axis = index.count - 1
                while axis >= 0 {
                    base -= maps[axis][index[axis]]
                    index[axis] += 1
                    if index[axis] < shape[axis] {
                        base += maps[axis][index[axis]]
                        break
                    }
                    index[axis] = 0
                    base += maps[axis][0]
                    axis -= 1
                }
            }
        }
    }

    /// One innermost run of `gather` for one element width.
    @inline(__always)
    static func gatherRun<T: FixedWidthInteger>(
        _ type: T.Type, _ map: UnsafeBufferPointer<Int>, _ base: Int, _ source: UnsafeRawPointer,
        _ target: UnsafeMutableRawPointer
    ) {
        let width = MemoryLayout<T>.stride
        for i in 0..<map.count {
            let value = source.load(fromByteOffset: (base + map[i]) * width, as: T.self)
            target.storeBytes(of: value, toByteOffset: i * width, as: T.self)
        }
    }

    /// A tensor of `input`'s type and `shape` built by copying a strided view of `input`.
    static func view(
        _ input: Tensor, shape: [Int], offset: Int, strides: [Int]
    ) -> Tensor {
        let count = Tensor.count(of: shape)
        let size = input.storage.elementSize
        let storage = input.storage.withRawBytes { source in
            input.storage.makeLike(count: count) { target in
                guard count > 0, let s = source.baseAddress, let t = target.baseAddress else { return }
                copy(
                    shape: shape, elementSize: size, from: s, offset: offset, strides: strides,
                    to: t, offset: 0, strides: Shapes.strides(shape))
            }
        }
        return Tensor(shape: shape, storage: storage)
    }

    /// Fills `count` elements at `target` with the bytes of one element.
    static func fill(_ target: UnsafeMutableRawPointer, count: Int, element: UnsafeRawBufferPointer) {
        let size = element.count
        guard count > 0, size > 0, let e = element.baseAddress else { return }
        switch size {
        case 1:
            memset(target, Int32(e.load(as: UInt8.self)), count)
        case 2:
            let v = e.loadUnaligned(as: UInt16.self)
            for i in 0..<count { target.storeBytes(of: v, toByteOffset: i * 2, as: UInt16.self) }
        case 4:
            let v = e.loadUnaligned(as: UInt32.self)
            for i in 0..<count { target.storeBytes(of: v, toByteOffset: i * 4, as: UInt32.self) }
        default:
            let v = e.loadUnaligned(as: UInt64.self)
            for i in 0..<count { target.storeBytes(of: v, toByteOffset: i * 8, as: UInt64.self) }
        }
    }

    /// A tensor of `like`'s element type and `shape` with every element equal to `value`'s
    /// first element (converted to the type when the types differ).
    static func filled(shape: [Int], like storage: Tensor.Storage, value: Tensor?) throws -> Tensor {
        let count = Tensor.count(of: shape)
        let element = try scalar(value, as: storage)
        let result = element.storage.withRawBytes { bytes in
            storage.makeLike(count: count) { target in
                guard let t = target.baseAddress else { return }
                fill(t, count: count, element: bytes)
            }
        }
        return Tensor(shape: shape, storage: result)
    }

    /// The first element of `value` as a one-element tensor of `storage`'s type (zero when
    /// `value` is nil).
    static func scalar(_ value: Tensor?, as storage: Tensor.Storage) throws -> Tensor {
        guard let value, value.count > 0 else {
            return Tensor(
                shape: [], storage: storage.makeLike(count: 1) { $0.initializeMemory(as: UInt8.self, repeating: 0) })
        }
        if value.storage.sameType(as: storage) {
            return Tensor(
                shape: [],
                storage: value.storage.withRawBytes { source in
                    storage.makeLike(count: 1) { target in
                        target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<storage.elementSize]))
                    }
                })
        }
        switch storage {
        case .float, .float16, .double:
            return Tensor.fromFloats([value.floatValues[0]], shape: [], like: storage)
        case .bool:
            return Tensor(shape: [], storage: .bool([value.floatValues[0] != 0]))
        default:
            let integer = value.isFloatingPoint ? Cast.saturating(value.floatValues[0]) : value.int64Values[0]
            return Tensor.fromInts([integer], shape: [], like: storage)
        }
    }
}
