import GSCore
import ONNX
import Testing

/// What `gsctl model inspect` prints, computed from the real models.
struct ModelSummaryTests {
    @Test func ssdliteCountsItsLoopBodiesApart() throws {
        let path = try TestFiles.model("ssdlite_person")
        let summary = ModelSummary(try ModelFile.load(path), file: "ssdlite_person.onnx", fileSize: 12_301_397)
        #expect(summary.irVersion == 7)
        #expect(summary.producerName == "tf2onnx")
        #expect(summary.opsets == [.init(domain: "ai.onnx", version: 13), .init(domain: "ai.onnx.ml", version: 2)])
        #expect(summary.inputs.map(\.name) == ["image_tensor:0"])
        #expect(summary.inputs[0].elementType == "uint8")
        #expect(summary.inputs[0].shape == [.param("unk__2120"), .param("unk__2121"), .param("unk__2122"), .value(3)])
        #expect(summary.outputs.count == 4)
        #expect(summary.graphNodes == 341)
        #expect(summary.subgraphNodes == 241)
        #expect(summary.subgraphs == 2)
        #expect(summary.initializers >= 223)
        #expect(summary.ops.reduce(0) { $0 + $1.count } == 341 + 241)
        #expect(zip(summary.ops, summary.ops.dropFirst()).allSatisfy { $0.count >= $1.count })
        #expect(summary.ops.contains { $0.op == "Loop" && $0.count == 2 })
        #expect(summary.parameterBytes > 10_000_000)
        let text = summary.text
        #expect(text.contains("nodes       341 in the graph, 241 in 2 subgraphs\n"))
        #expect(text.contains("file        ssdlite_person.onnx (12.3 MB, 12,301,397 bytes)\n"))
        #expect(text.contains("image_tensor:0  uint8[unk__2120, unk__2121, unk__2122, 3]"))
        let json = summary.json
        guard case .object(let object) = json, case .object(let nodes)? = object["nodes"] else {
            Issue.record("json is not an object with nodes")
            return
        }
        #expect(nodes["subgraphs"] == 241)
        #expect(
            json.pretty
                == ModelSummary(try ModelFile.load(path), file: "ssdlite_person.onnx", fileSize: 12_301_397).json.pretty
        )
    }

    @Test func ppocrWeightsLiveInConstantNodes() throws {
        let summary = ModelSummary(try ModelFile.load(try TestFiles.model("ppocrv4_rec")))
        #expect(summary.initializers == 0)
        #expect(summary.tensors > 100)
        #expect(summary.parameters > 2_000_000)
        #expect(summary.metadataKeys == ["character"])
        #expect(
            summary.inputs.first?.shape == [
                .param("p2o.DynamicDimension.0"), .value(3), .param("?"), .param("p2o.DynamicDimension.1"),
            ])
        #expect(summary.graphNodes == 860 && summary.subgraphs == 0)
    }

    @Test func numbersPrintReadably() {
        #expect(ModelSummary.grouped(0) == "0")
        #expect(ModelSummary.grouped(999) == "999")
        #expect(ModelSummary.grouped(1000) == "1,000")
        #expect(ModelSummary.grouped(12_301_397) == "12,301,397")
        #expect(ModelSummary.size(999) == "999 B")
        #expect(ModelSummary.size(585_532) == "585.5 kB")
        #expect(ModelSummary.size(12_301_397) == "12.3 MB")
    }
}
