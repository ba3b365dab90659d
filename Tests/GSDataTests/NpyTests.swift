import Foundation
import GSCore
import GSExec
import Testing

@testable import GSData

/// `.npy` against numpy itself: what gsctl writes numpy reads (and numpy writes the very same
/// bytes), what numpy writes in any format version gsctl reads, for every supported type.
@Suite struct NpyTests {
    /// The test array of each type: element i of a [2, 3, 4] array, computed the same way in
    /// the Python script below (exact in every type).
    static func sample(_ type: NpyType, shape: [Int] = [2, 3, 4]) -> Tensor {
        let n = Tensor.count(of: shape)
        let storage: Tensor.Storage
        switch type {
        case .float32: storage = .float((0..<n).map { Float($0) * 0.5 - 3 })
        case .float16: storage = .float16((0..<n).map { Float16(Float($0) * 0.5 - 3) })
        case .float64: storage = .double((0..<n).map { Double($0) / 3 })
        case .uint8: storage = .uint8((0..<n).map { UInt8(($0 * 37) % 256) })
        case .int8: storage = .int8((0..<n).map { Int8(($0 * 37) % 256 - 128) })
        case .int32: storage = .int32((0..<n).map { Int32($0) * 100_000 - 7 })
        case .int64: storage = .int64((0..<n).map { Int64($0) * 1_000_000_000_000 - 5 })
        case .bool: storage = .bool((0..<n).map { $0 % 3 == 0 })
        }
        return Tensor(shape: shape, storage: storage)
    }

    static let pythonSamples = """
        import numpy as np, sys, os
        def sample(name, shape=(2, 3, 4)):
            n = int(np.prod(shape)); i = np.arange(n, dtype=np.int64)
            v = {'float32': (i * 0.5 - 3).astype(np.float32), 'float16': (i * 0.5 - 3).astype(np.float16),
                 'float64': i / 3, 'uint8': ((i * 37) % 256).astype(np.uint8),
                 'int8': ((i * 37) % 256 - 128).astype(np.int8), 'int32': (i * 100000 - 7).astype(np.int32),
                 'int64': i * 1000000000000 - 5, 'bool': i % 3 == 0}[name]
            return v.reshape(shape)

        """

    @Test func gsctlWritesWhatNumpySavesByteForByte() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for type in NpyType.allCases {
            try Npy.write(Self.sample(type), to: "\(directory)/\(type.name).npy")
        }
        try Npy.write(Tensor(shape: [], floats: [2.5]), to: "\(directory)/scalar.npy")
        try Npy.write(Tensor(shape: [0, 3], floats: []), to: "\(directory)/empty.npy")
        try Npy.write(
            Tensor(shape: [1, 3, 48, 320], floats: [Float](repeating: 1, count: 46080)), to: "\(directory)/big.npy")
        let report = try Oracle.run(
            Self.pythonSamples + """
                import io
                d = sys.argv[1]
                def check(path, expected):
                    got = np.load(path)
                    assert got.dtype == expected.dtype and got.shape == expected.shape, (path, got.dtype, got.shape)
                    assert np.array_equal(got, expected), path
                    buf = io.BytesIO(); np.save(buf, expected)
                    assert open(path, 'rb').read() == buf.getvalue(), path + ': bytes differ from np.save'
                names = ['float32', 'float16', 'float64', 'uint8', 'int8', 'int32', 'int64', 'bool']
                for name in names:
                    check(f'{d}/{name}.npy', sample(name))
                check(f'{d}/scalar.npy', np.array(2.5, dtype=np.float32))
                check(f'{d}/empty.npy', np.zeros((0, 3), dtype=np.float32))
                check(f'{d}/big.npy', np.ones((1, 3, 48, 320), dtype=np.float32))
                print('checked', len(names) + 3)
                """, [directory])
        #expect(report.contains("checked 11"))
    }

    @Test func gsctlReadsWhatNumpyWritesInEveryVersion() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Oracle.run(
            Self.pythonSamples + """
                d = sys.argv[1]
                names = ['float32', 'float16', 'float64', 'uint8', 'int8', 'int32', 'int64', 'bool']
                for version in [(1, 0), (2, 0), (3, 0)]:
                    for name in names:
                        with open(f'{d}/{name}-{version[0]}.npy', 'wb') as f:
                            np.lib.format.write_array(f, sample(name), version=version)
                np.save(f'{d}/scalar.npy', np.float64(-1.25))
                np.save(f'{d}/empty.npy', np.zeros((3, 0, 2), dtype=np.int32))
                np.save(f'{d}/sliced.npy', sample('float32', (5, 2, 2)))
                """, [directory])
        for version in 1...3 {
            for type in NpyType.allCases {
                let path = "\(directory)/\(type.name)-\(version).npy"
                let tensor = try Npy.read(path: path)
                let expected = Self.sample(type)
                #expect(tensor.shape == expected.shape, "\(path)")
                #expect(NpyType(tensor.storage) == type, "\(path)")
                #expect(try Npy.encode(tensor) == (try Npy.encode(expected)), "\(path): values differ")
            }
        }
        let scalar = try Npy.read(path: "\(directory)/scalar.npy")
        #expect(scalar.shape == [])
        #expect(scalar.floatValues == [-1.25])
        let empty = try Npy.read(path: "\(directory)/empty.npy")
        #expect(empty.shape == [3, 0, 2])
        #expect(empty.count == 0)
        // A run of the first axis, read without the rest.
        let file = try NpyFile(path: "\(directory)/sliced.npy")
        let middle = try file.read(first: 2..<4)
        #expect(middle.shape == [2, 2, 2])
        #expect(middle.floatValues == (8..<16).map { Float($0) * 0.5 - 3 })
    }

    @Test func fortranOrderAndBigEndianAreRefusedByName() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Oracle.run(
            """
            import numpy as np, sys
            d = sys.argv[1]
            np.save(f'{d}/fortran.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
            np.save(f'{d}/big.npy', np.arange(6, dtype='>f4'))
            np.save(f'{d}/u2.npy', np.arange(6, dtype=np.uint16))
            np.save(f'{d}/rec.npy', np.zeros(2, dtype=[('a', '<f4'), ('b', '<i4')]))
            np.save(f'{d}/big-u1.npy', np.arange(6, dtype='>u1'))
            """, [directory])
        let fortran = try #require(throws: GSError.self) { try Npy.read(path: "\(directory)/fortran.npy") }
        #expect(fortran.message.contains("Fortran order") && fortran.message.contains("fortran.npy"))
        let big = try #require(throws: GSError.self) { try Npy.read(path: "\(directory)/big.npy") }
        #expect(big.message.contains("big-endian") && big.message.contains(">f4"))
        let u2 = try #require(throws: GSError.self) { try Npy.read(path: "\(directory)/u2.npy") }
        #expect(u2.message.contains("<u2"))
        let record = try #require(throws: GSError.self) { try Npy.read(path: "\(directory)/rec.npy") }
        #expect(record.message.contains("structured"))
        // Byte order means nothing for one-byte types.
        #expect(try Npy.read(path: "\(directory)/big-u1.npy").floatValues == [0, 1, 2, 3, 4, 5])
    }

    @Test func aHeaderThatPromisesMoreThanTheFileHoldsIsRefused() throws {
        var bytes = NpyHeader.encode(type: .float32, shape: [1000, 1000])
        bytes += [UInt8](repeating: 0, count: 40)
        let lying = try #require(throws: GSError.self) { try Npy.decode(bytes, name: "lying.npy") }
        #expect(lying.message.contains("lying.npy") && lying.message.contains("truncated"))
        #expect(lying.message.contains("(1000, 1000)") && lying.message.contains("4000000 bytes"))

        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileSystem.writeAtomically(bytes, to: directory + "/lying.npy")
        #expect(throws: GSError.self) { try NpyFile(path: directory + "/lying.npy") }

        // A shape whose size overflows, and one over the limit, never allocate.
        let huge = NpyHeader.encode(type: .float64, shape: [1 << 40, 1 << 30])
        let overflow = try #require(throws: GSError.self) { try Npy.decode(huge, name: "huge.npy") }
        #expect(overflow.message.contains("too large"))
        let large = NpyHeader.encode(type: .float32, shape: [1 << 20, 1 << 20])
        let limited = try #require(throws: GSError.self) { try Npy.decode(large, name: "large.npy") }
        #expect(limited.message.contains("limit"))
        // More data than declared.
        let trailing = NpyHeader.encode(type: .uint8, shape: [2]) + [1, 2, 3]
        let extra = try #require(throws: GSError.self) { try Npy.decode(trailing, name: "extra.npy") }
        #expect(extra.message.contains("1 bytes after its data"))
    }

    @Test(arguments: [
        ("", "is empty, not an .npy file"),
        ("\u{93}NUMPY", "truncated inside its .npy header"),
        ("PK\u{3}\u{4}whatever", "not an .npy file"),
    ])
    func damagedPrefixesAreNamed(text: String, expected: String) throws {
        let bytes = Array(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        let error = try #require(throws: GSError.self) { try Npy.decode(bytes, name: "bad.npy") }
        #expect(error.message.contains(expected), "\(error.message)")
    }

    @Test(arguments: [
        "{'descr': '<f4', 'fortran_order': False}",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }",
        "{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }",
        "{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } trailing",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }",
    ])
    func malformedHeadersAreRefused(header: String) throws {
        let text = Array(header.utf8) + [0x0A]
        let bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text
        let error = try #require(throws: GSError.self) { try Npy.decode(bytes, name: "bad.npy") }
        #expect(error.message.contains("bad.npy"))
    }

    @Test func python2LongIntegersAndDoubleQuotesParse() throws {
        let text = Array("{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (2L, 1L), }\n".utf8)
        var bytes: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count), 0] + text
        bytes += [1, 0, 0, 0, 2, 0, 0, 0]
        let tensor = try Npy.decode(bytes, name: "old.npy")
        #expect(tensor.shape == [2, 1])
        #expect(tensor.int64Values == [1, 2])
    }
}
