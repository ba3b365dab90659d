import Foundation
import GSCore
import GSExec
import Testing

@testable import GSData

/// `.npz` against numpy: `np.savez` (stored) and `np.savez_compressed` (deflated) archives
/// read back, gsctl's archives loaded by `np.load`, and archives built to exhaust memory.
@Suite struct NpzTests {
    @Test(arguments: ["savez", "savez_compressed"])
    func readsWhatNumpySaves(function: String) throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/data.npz"
        try Oracle.run(
            NpyTests.pythonSamples + """
                np.\(function)(sys.argv[1], images=sample('float32', (3, 1, 2, 4)), ids=sample('int64', (3,)),
                               mask=sample('bool', (3, 5)), raw=sample('uint8', (2, 2)), half=sample('float16', (4,)))
                """, [path])
        #expect(try Npz.names(path: path) == ["half", "ids", "images", "mask", "raw"])
        let arrays = try Npz.read(path: path)
        let expected: [String: Tensor] = [
            "images": NpyTests.sample(.float32, shape: [3, 1, 2, 4]), "ids": NpyTests.sample(.int64, shape: [3]),
            "mask": NpyTests.sample(.bool, shape: [3, 5]), "raw": NpyTests.sample(.uint8, shape: [2, 2]),
            "half": NpyTests.sample(.float16, shape: [4]),
        ]
        #expect(arrays.keys.sorted() == expected.keys.sorted())
        for (name, tensor) in expected {
            let got = try #require(arrays[name])
            #expect(got.shape == tensor.shape, "\(name)")
            #expect(try Npy.encode(got) == (try Npy.encode(tensor)), "\(name)")
        }
        // Only the arrays asked for.
        #expect(try Npz.read(path: path, names: ["ids"]).keys.sorted() == ["ids"])
    }

    @Test func numpyLoadsWhatGsctlWrites() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/golden.npz"
        var arrays: [String: Tensor] = [:]
        for type in NpyType.allCases { arrays[type.name] = NpyTests.sample(type) }
        arrays["scalar"] = Tensor(shape: [], floats: [7])
        arrays["empty"] = Tensor(shape: [0], storage: .int32([]))
        try Npz.write(arrays, to: path)
        // Same arrays, same bytes: the writer is deterministic (no clock, no time zone).
        #expect(try FileSystem.read(path) == (try Npz.encode(arrays)))
        let report = try Oracle.run(
            NpyTests.pythonSamples + """
                import zipfile
                path = sys.argv[1]
                with zipfile.ZipFile(path) as z:
                    assert z.testzip() is None
                    assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
                data = np.load(path)
                names = ['float32', 'float16', 'float64', 'uint8', 'int8', 'int32', 'int64', 'bool']
                assert sorted(data.files) == sorted(names + ['scalar', 'empty']), data.files
                for name in names:
                    assert data[name].dtype == sample(name).dtype and np.array_equal(data[name], sample(name)), name
                assert data['scalar'].shape == () and data['scalar'] == 7
                assert data['empty'].shape == (0,) and data['empty'].dtype == np.int32
                print('loaded', len(data.files))
                """, [path])
        #expect(report.contains("loaded 10"))
    }

    @Test func aMemberThatInflatesPastTheLimitIsStopped() throws {
        let directory = Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Oracle.run(
            """
            import numpy as np, sys, zipfile
            d = sys.argv[1]
            # 64 MiB of zeros deflate to about 64 KiB.
            np.savez_compressed(f'{d}/bomb.npz', x=np.zeros(64 << 20, dtype=np.uint8))
            def member(path, header_shape, data):
                import io
                buf = io.BytesIO()
                np.lib.format.write_array_header_1_0(buf, {'descr': '<f4', 'fortran_order': False, 'shape': header_shape})
                with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
                    z.writestr('x.npy', buf.getvalue() + data)
            member(f'{d}/short.npz', (1000000,), b'\\0' * 40)          # header promises more than there is
            member(f'{d}/long.npz', (10,), b'\\0' * (40 << 20))        # far more data than the header says
            member(f'{d}/huge.npz', (1 << 40,), b'')                   # 4 TiB promised
            with open(f'{d}/notzip.npz', 'wb') as f: f.write(b'not a zip at all' * 10)
            """, [directory])
        let bomb = try #require(throws: GSError.self) {
            try Npz.read(path: directory + "/bomb.npz", limit: 16 << 20)
        }
        #expect(bomb.message.contains("bomb.npz") && bomb.message.contains("16777216-byte limit"))
        // Within the limit the same archive reads.
        #expect(try Npz.read(path: directory + "/bomb.npz", limit: 64 << 20)["x"]?.count == 64 << 20)

        let short = try #require(throws: GSError.self) { try Npz.read(path: directory + "/short.npz") }
        #expect(short.message.contains("short.npz[x.npy]") && short.message.contains("truncated"))
        let long = try #require(throws: GSError.self) { try Npz.read(path: directory + "/long.npz") }
        #expect(long.message.contains("more data than its header declares"))
        let huge = try #require(throws: GSError.self) { try Npz.read(path: directory + "/huge.npz") }
        #expect(huge.message.contains("limit"))
        let notZip = try #require(throws: GSError.self) { try Npz.read(path: directory + "/notzip.npz") }
        #expect(notZip.message.contains("notzip.npz") && notZip.message.contains("zip"))
        let missing = try #require(throws: GSError.self) { try Npz.read(path: directory + "/missing.npz") }
        #expect(missing.message.contains("missing.npz"))
    }

    @Test func crc32MatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }
}
