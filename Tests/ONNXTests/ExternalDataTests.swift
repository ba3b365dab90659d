import Foundation
import ONNX
import Testing

/// External data: written and read back, and every way a location could escape the model's
/// folder or point past a file refused with a clear error.
struct ExternalDataTests {
    /// A model with one large and one small initializer and a Constant holding a large tensor.
    static func model() -> ModelProto {
        let big = TensorProto(name: "big", shape: [64, 4], values: (0..<256).map { Float($0) })
        let small = TensorProto(name: "small", shape: [2], values: [Int64(1), 2])
        let constant = NodeProto(
            "Constant", inputs: [], outputs: ["c"],
            attributes: [
                .tensor("value", TensorProto(name: "c", shape: [100], values: [UInt8](repeating: 9, count: 100)))
            ])
        return ModelProto(
            graph: GraphProto(
                name: "g", nodes: [constant], inputs: [],
                outputs: [ValueInfoProto(name: "c", elementType: .uint8, shape: [100])],
                initializers: [big, small]),
            opsets: [OperatorSetIdProto(version: 17)])
    }

    /// A model whose one initializer points at `location` with the given offset and length.
    static func pointing(at location: String, offset: String = "0", length: String? = "16") -> ModelProto {
        var tensor = TensorProto()
        tensor.name = "w"
        tensor.dataType = .float
        tensor.dims = [4]
        tensor.dataLocation = TensorProto.externalLocation
        tensor.externalData = [
            StringStringEntryProto(key: "location", value: location),
            StringStringEntryProto(key: "offset", value: offset),
        ]
        if let length { tensor.externalData.append(StringStringEntryProto(key: "length", value: length)) }
        var model = model()
        model.graph.initializer = [tensor]
        return model
    }

    /// The error loading `model` (saved into `directory`) throws.
    static func loadError(_ model: ModelProto, in directory: String) throws -> ONNXError {
        let path = directory + "/model.onnx"
        try ModelFile.save(model, to: path)
        return try #require(throws: ONNXError.self) { try ModelFile.load(path) }
    }

    @Test func largeTensorsMoveOutAndComeBack() throws {
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.onnx"
        let original = Self.model()
        try ModelFile.save(
            original, to: path, externalData: ExternalDataOptions(location: "model.data", alignment: 4096))
        let data = try FileManager.default.attributesOfItem(atPath: directory + "/model.data")[.size] as? Int
        #expect(data == 1024)  // only `big` (1024 bytes) reaches the 1024-byte threshold
        let stored = try ModelFile.load(path, loadExternalData: false)
        #expect(stored.graph.initializer[0].isExternal)
        #expect(!stored.graph.initializer[1].isExternal)
        #expect(
            try ExternalDataReference(stored.graph.initializer[0])
                == ExternalDataReference(location: "model.data", offset: 0, length: 1024))
        #expect(try ModelFile.load(path) == original)

        // Threshold 0 with alignment: the Constant's tensor moves too, at an aligned offset.
        try ModelFile.save(
            original, to: path, externalData: ExternalDataOptions(location: "all.bin", threshold: 0, alignment: 4096))
        var offsets: [Int] = []
        var all = try ModelFile.load(path, loadExternalData: false)
        all.forEachTensor { tensor in offsets.append((try? ExternalDataReference(tensor).offset) ?? -1) }
        #expect(offsets == [0, 4096, 8192])
        #expect(try ModelFile.load(path) == original)
    }

    /// A model over the limit (2 GiB in use; 512 bytes here) is written with its large
    /// tensors beside it instead of refused, and one that fits again is written whole, the
    /// stale weights file removed.
    @Test func aModelOverTheLimitIsSplitAndOneUnderItIsWrittenWhole() throws {
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/variant.onnx"
        let original = Self.model()
        #expect(try ModelFile.saveSplittingIfLarge(original, to: path, limit: 512) == "variant.onnx.data")
        #expect(FileManager.default.fileExists(atPath: directory + "/variant.onnx.data"))
        #expect(try ModelFile.load(path, loadExternalData: false).graph.initializer[0].isExternal)
        #expect(try ModelFile.load(path) == original)

        #expect(try ModelFile.saveSplittingIfLarge(original, to: path) == nil)
        #expect(!FileManager.default.fileExists(atPath: directory + "/variant.onnx.data"))
        #expect(try ModelFile.load(path, loadExternalData: false) == original)
    }

    /// Weights in a typed field (float_data, as Constant nodes and `onnx.helper` write them)
    /// move too, as raw bytes, and read back as the same values.
    @Test func typedWeightsMoveAsRawBytes() throws {
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var model = Self.model()
        let values = (0..<512).map { Float($0) * 0.5 }
        model.graph.initializer.append(TensorProto(name: "typed", shape: [512], typedValues: values))
        let path = directory + "/model.onnx"
        try ModelFile.save(model, to: path, externalData: ExternalDataOptions(location: "w.bin"))
        let stored = try ModelFile.load(path, loadExternalData: false)
        let typed = try #require(stored.graph.initializer.first { $0.name == "typed" })
        #expect(typed.isExternal && typed.floatData.isEmpty)
        #expect(
            try ExternalDataReference(typed) == ExternalDataReference(location: "w.bin", offset: 1024, length: 2048))
        let loaded = try ModelFile.load(path)
        #expect(try loaded.graph.initializer.first { $0.name == "typed" }?.floats() == values)
    }

    @Test func locationsMustStayInsideTheModelsFolder() throws {
        let root = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/model"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let secret = Data(repeating: 1, count: 16)
        try secret.write(to: URL(fileURLWithPath: root + "/secret.bin"))
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/link.bin", withDestinationPath: root + "/secret.bin")
        try secret.write(to: URL(fileURLWithPath: directory + "/ok.bin"))

        let refused: [(String, String)] = [
            (root + "/secret.bin", "absolute path"),
            ("../secret.bin", "leaves the model's folder"),
            ("sub/../../secret.bin", "leaves the model's folder"),
            ("link.bin", "resolves outside"),
            ("missing.bin", "does not exist"),
            ("", "empty"),
            ("a\\b.bin", "backslash"),
        ]
        for (location, reason) in refused {
            let error = try Self.loadError(Self.pointing(at: location), in: directory)
            #expect(error.kind == .externalData, "\(location)")
            #expect(error.description.contains(reason), "\(location): \(error)")
            #expect(error.file == directory + "/model.onnx")
        }
        try ModelFile.save(Self.pointing(at: "ok.bin"), to: directory + "/model.onnx")
        #expect(try ModelFile.load(directory + "/model.onnx").graph.initializer[0].rawData?.count == 16)
    }

    @Test func rangesAndNumbersAreChecked() throws {
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data(repeating: 1, count: 16).write(to: URL(fileURLWithPath: directory + "/w.bin"))
        let cases: [(String, String?, String)] = [
            ("20", "16", "starts at byte 20"),
            ("8", "16", "needs bytes 8..<8+16"),
            ("0", "12", "dims [4] of float need 16"),
            ("-1", "16", "offset '-1'"),
            ("0", "lots", "length 'lots'"),
            ("99999999999999999999", "16", "offset '99999999999999999999'"),
        ]
        for (offset, length, reason) in cases {
            let error = try Self.loadError(Self.pointing(at: "w.bin", offset: offset, length: length), in: directory)
            #expect(error.description.contains(reason), "\(error)")
        }
        // No length: to the end of the file.
        try ModelFile.save(Self.pointing(at: "w.bin", offset: "0", length: nil), to: directory + "/model.onnx")
        #expect(try ModelFile.load(directory + "/model.onnx").graph.initializer[0].rawData?.count == 16)
    }

    @Test func savingRefusesUnsafeLocations() throws {
        let directory = TestFiles.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let error = try #require(throws: ONNXError.self) {
            try ModelFile.save(
                Self.model(), to: directory + "/m.onnx", externalData: ExternalDataOptions(location: "../out.bin"))
        }
        #expect(error.kind == .externalData)
        #expect(!FileManager.default.fileExists(atPath: directory + "/m.onnx"))
    }
}
