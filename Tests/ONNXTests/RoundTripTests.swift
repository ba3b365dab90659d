import ONNX
import Testing

/// The four real models decode and re-encode to the same bytes, and survive edits.
struct RoundTripTests {
    @Test(arguments: TestFiles.modelNames)
    func realModelRoundTripsByteForByte(name: String) throws {
        let bytes = try TestFiles.modelBytes(name)
        let clock = ContinuousClock()
        var model = ModelProto()
        let decode = try clock.measure { model = try ModelProto(serialized: bytes) }
        var encoded: [UInt8] = []
        let encode = clock.measure { encoded = model.serialized() }
        print("round trip \(name): \(bytes.count) bytes, decode \(decode), encode \(encode)")
        #expect(encoded.count == bytes.count)
        let difference = firstDifference(encoded, bytes)
        #expect(difference == nil, "\(name): first differing byte at offset \(difference ?? -1)")
    }

    @Test(arguments: TestFiles.modelNames)
    func editedModelEncodesToWhatWasEdited(name: String) throws {
        var model = try ModelProto(serialized: try TestFiles.modelBytes(name))
        model.producerName = "gsctl"
        model.graph.node[0].name = "renamed"
        model.graph.node.removeLast()
        model.metadataProps.append(StringStringEntryProto(key: "gsctl", value: "edited"))
        let encoded = model.serialized()
        let decoded = try ModelProto(serialized: encoded)
        #expect(firstDifference(decoded.serialized(), encoded) == nil)
        #expect(decoded.graph.node.count == model.graph.node.count)
        #expect(decoded.graph.node[0].name == "renamed")
        #expect(decoded.metadataProps["gsctl"] == "edited")
    }

    @Test func modelsKnowTheirOpsetsAndShapes() throws {
        let ssd = try ModelProto(serialized: try TestFiles.modelBytes("ssdlite_person"))
        #expect(ssd.opsetVersion(domain: "") == 13)
        #expect(ssd.opsetVersion(domain: "ai.onnx.ml") == 2)
        let input = try #require(ssd.graph.input.first?.tensorType)
        #expect(input.elementType == .uint8)
        #expect(
            input.shape?.dim.map(\.value) == [.param("unk__2120"), .param("unk__2121"), .param("unk__2122"), .value(3)])
        let rec = try ModelProto(serialized: try TestFiles.modelBytes("ppocrv4_rec"))
        #expect(rec.opsetVersion(domain: "") == 12)
        #expect(rec.metadataProps["character"]?.split(separator: "\n").count ?? 0 > 6000)
        let conv = try #require(rec.graph.node.first { $0.opType == "Conv" })
        #expect(conv.attribute("kernel_shape")?.ints.count == 2)
        #expect(conv.attribute("kernel_shape")?.type == .ints)
    }
}
