import GSExec
import ONNX
import Testing

/// A model outside the opsets the kernels follow is refused with what to do, never run
/// under the nearest meaning the executor knows.
@Suite struct SupportedOpsetsTests {
    static func model(opset: Int64) -> ModelProto {
        let graph = GraphProto(
            name: "relu", nodes: [NodeProto("Relu", inputs: ["x"], outputs: ["y"])],
            inputs: [ValueInfoProto(name: "x", elementType: .float, shape: [1, 4])],
            outputs: [ValueInfoProto(name: "y", elementType: .float, shape: [1, 4])], initializers: [])
        return ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: opset)], irVersion: 8)
    }

    @Test(arguments: [7, 13, 21] as [Int64])
    func opsetsInTheRangeRun(opset: Int64) throws {
        let executor = try ONNXImport.executor(for: Self.model(opset: opset))
        let y = try executor.run(["x": Tensor(shape: [1, 4], floats: [-1, 0, 2, -3])])["y"]
        #expect(y?.floatValues == [0, 0, 2, 0])
    }

    @Test func aNewerOpsetIsRefusedWithTheRangeAndTheFix() {
        #expect {
            _ = try ONNXImport.executor(for: Self.model(opset: 30))
        } throws: { error in
            let text = "\(error)"
            return text.contains("opset 30") && text.contains("opsets 7 to 21")
                && text.contains("export it at opset 21")
        }
    }

    @Test func anOlderOpsetIsRefusedWithTheConverter() {
        #expect {
            _ = try ONNXImport.executor(for: Self.model(opset: 6))
        } throws: { error in
            "\(error)".contains("opset 6") && "\(error)".contains("version_converter")
        }
    }
}
