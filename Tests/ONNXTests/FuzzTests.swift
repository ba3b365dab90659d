import ONNX
import Testing

/// Damaged models must throw or decode, never crash: truncations and byte flips of the real
/// models (seeded, so a failure repeats), and every position of a small model.
struct FuzzTests {
    /// Decodes `bytes`; when that works, encodes and decodes again (the writer must cope with
    /// whatever the reader accepted).
    static func survive(_ bytes: [UInt8], reencode: Bool = true) {
        guard let model = try? ModelProto(serialized: bytes) else { return }
        if reencode { _ = try? ModelProto(serialized: model.serialized()) }
        var copy = model
        _ = ModelSummary(model)
        copy.forEachTensor { tensor in _ = try? tensor.floats() }
    }

    @Test(arguments: TestFiles.modelNames)
    func truncatedAndFlippedRealModelsNeverCrash(name: String) throws {
        let bytes = try TestFiles.modelBytes(name)
        var random = SeededRandom(state: UInt64(bytes.count))
        var failures = 0
        for round in 0..<200 {
            // Half the cuts anywhere, half in the first 64 KB, where most node structure is.
            let limit = round % 2 == 0 ? bytes.count : min(bytes.count, 65_536)
            let cut = Int.random(in: 0..<limit, using: &random)
            do {
                _ = try ModelProto(serialized: Array(bytes[..<cut]))
            } catch {
                failures += 1
                #expect(error.offset.map { $0 <= cut } ?? true)
            }
        }
        #expect(failures > 150, "most truncations cut a message short")
        var damaged = bytes
        for round in 0..<200 {
            let limit = round % 2 == 0 ? bytes.count : min(bytes.count, 65_536)
            var positions: [Int] = []
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let position = Int.random(in: 0..<limit, using: &random)
                positions.append(position)
                damaged[position] = UInt8.random(in: 0...255, using: &random)
            }
            Self.survive(damaged, reencode: round % 8 == 0)
            for position in positions { damaged[position] = bytes[position] }
        }
    }

    @Test func everyPositionOfASmallModelIsSafeToDamage() {
        let bytes = OracleTests.builtModel().serialized()
        for position in bytes.indices {
            Self.survive(Array(bytes[..<position]))
            for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF, bytes[position] ^ 0x08] {
                var damaged = bytes
                damaged[position] = value
                Self.survive(damaged)
            }
        }
        var random = SeededRandom(state: 42)
        for _ in 0..<2_000 {
            var damaged = bytes
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                damaged[Int.random(in: 0..<damaged.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) {
                damaged.insert(
                    UInt8.random(in: 0...255, using: &random), at: Int.random(in: 0..<damaged.count, using: &random))
            }
            Self.survive(damaged)
        }
    }

    @Test func hostileTensorDataThrowsInsteadOfTrapping() throws {
        var tensor = TensorProto(name: "t", shape: [2], values: [Float(1), 2])
        tensor.dims = [Int64.max, Int64.max]
        #expect(tensor.elementCount == nil)
        #expect(throws: ONNXError.self) { try tensor.floats() }
        tensor.dims = [Int64.max]
        tensor.dataType = .int4
        #expect(tensor.dataByteCount == Int.max / 2 + 1)
        tensor.dataType = .float
        #expect(tensor.dataByteCount == nil)
        tensor.dims = [-1]
        #expect(throws: ONNXError.self) { try tensor.floats() }
        tensor.dims = [Int64(Int.max / 2)]
        #expect(throws: ONNXError.self) { try tensor.floats() }
        #expect(throws: ONNXError.self) { try tensor.values(as: Int64.self) }
        tensor.dims = [3]
        #expect(throws: ONNXError.self) { try tensor.floats() }
        // Bytes other than 0 and 1 in a bool tensor read as true, never as an invalid Bool.
        var flags = TensorProto(name: "b", shape: [3], values: [true, false, true])
        flags.rawData = [0, 2, 255]
        #expect(try flags.bools() == [false, true, true])
    }

    /// A model `gsctl model inspect` trapped on (the ONNX fuzz target's seed
    /// `Fuzz/Corpus/onnx/repro-summary-size-overflow.onnx` holds the same bytes): a uint8
    /// initializer with dims [2^63-1] and no data sums to `Int.max` parameter bytes, and
    /// rounding that to GB overflowed.
    @Test func summaryOfAModelDeclaringInt64MaxBytesPrints() throws {
        let bytes: [UInt8] = [
            0x08, 0x08,  // ir_version 8
            0x3A, 0x0E,  // graph
            0x2A, 0x0C,  // initializer
            0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,  // dims [2^63-1]
            0x10, 0x02,  // data_type UINT8
        ]
        let summary = ModelSummary(try ModelFile.decode(bytes))
        #expect(summary.parameterBytes == Int.max)
        #expect(summary.text.contains("(9223372036.9 GB)"))
        #expect(ModelSummary.size(Int.max) == "9223372036.9 GB")
        #expect(ModelSummary.size(1_049) == "1.0 kB")
        #expect(ModelSummary.size(1_050) == "1.1 kB")
        #expect(ModelSummary.size(999_950) == "1000.0 kB")
    }

    /// Two such tensors: the totals stop at Int.max instead of wrapping to negative counts.
    @Test func totalsPastInt64MaxStopThere() throws {
        let tensor: [UInt8] = [
            0x2A, 0x0C,  // initializer
            0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F,  // dims [2^63-1]
            0x10, 0x02,  // data_type UINT8
        ]
        let bytes: [UInt8] = [0x08, 0x08, 0x3A, 0x1C] + tensor + tensor
        let summary = ModelSummary(try ModelFile.decode(bytes))
        #expect(summary.parameters == Int.max && summary.parameterBytes == Int.max)
        #expect(summary.text.contains("parameters  9,223,372,036,854,775,807 in 2 tensors"), "\(summary.text)")
    }
}
