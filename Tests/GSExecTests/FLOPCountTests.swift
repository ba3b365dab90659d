import GSExec
import ONNX
import Testing

/// `gsctl model inspect`'s FLOPs on a graph whose arithmetic is known by hand.
@Suite struct FLOPCountTests {
    static func model(input: ValueInfoProto) -> ModelProto {
        let graph = GraphProto(
            name: "flops",
            nodes: [
                // [1,3,8,8] -> [1,4,8,8]: 256 outputs x 27 multiply-adds.
                NodeProto("Conv", inputs: ["x", "w"], outputs: ["c"], attributes: [.ints("pads", [1, 1, 1, 1])]),
                NodeProto("Flatten", inputs: ["c"], outputs: ["f"]),
                // [1,256] x [256,10]: 10 outputs x 256.
                NodeProto("MatMul", inputs: ["f", "m"], outputs: ["y"]),
                // Not counted.
                NodeProto("Relu", inputs: ["y"], outputs: ["out"]),
            ],
            inputs: [input], outputs: [ValueInfoProto(name: "out", elementType: .float, shape: [1, 10])],
            initializers: [
                TensorProto(name: "w", shape: [4, 3, 3, 3], values: [Float](repeating: 0.1, count: 108)),
                TensorProto(name: "m", shape: [256, 10], values: [Float](repeating: 0.1, count: 2560)),
            ])
        return ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: 13)], irVersion: 8)
    }

    @Test func countsMultiplyAddsOfConvAndMatMulAtTheDeclaredShape() throws {
        let count = try FLOPCount.measure(
            Self.model(input: ValueInfoProto(name: "x", elementType: .float, shape: ["batch", 3, 8, 8])))
        #expect(count.byOp["Conv"] == Double(2 * 256 * 27))
        #expect(count.byOp["MatMul"] == Double(2 * 10 * 256))
        #expect(count.byOp["Relu"] == nil)
        #expect(count.total == Double(2 * 256 * 27 + 2 * 10 * 256))
        #expect(count.inputShapes["x"] == [1, 3, 8, 8])
    }

    /// A Conv reading data and weights through DequantizeLinear is integer work (runtimes
    /// fuse it into an int8 kernel); the MatMul after it, reading float, is not.
    @Test func countsTheShareOfWorkReadingDequantizedDataAndWeights() throws {
        let graph = GraphProto(
            name: "qdq",
            nodes: [
                NodeProto("QuantizeLinear", inputs: ["x", "s", "z"], outputs: ["xq"]),
                NodeProto("DequantizeLinear", inputs: ["xq", "s", "z"], outputs: ["xd"]),
                NodeProto("DequantizeLinear", inputs: ["wq", "ws"], outputs: ["wd"]),
                NodeProto("Conv", inputs: ["xd", "wd"], outputs: ["c"], attributes: [.ints("pads", [1, 1, 1, 1])]),
                NodeProto("Flatten", inputs: ["c"], outputs: ["f"]),
                NodeProto("MatMul", inputs: ["f", "m"], outputs: ["y"]),
            ],
            inputs: [ValueInfoProto(name: "x", elementType: .float, shape: [1, 3, 8, 8])],
            outputs: [ValueInfoProto(name: "y", elementType: .float, shape: [1, 10])],
            initializers: [
                TensorProto(name: "s", shape: [], values: [Float(0.02)]),
                TensorProto(name: "z", shape: [], values: [UInt8(128)]),
                TensorProto(name: "wq", shape: [4, 3, 3, 3], values: [Int8](repeating: 5, count: 108)),
                TensorProto(name: "ws", shape: [], values: [Float(0.01)]),
                TensorProto(name: "m", shape: [256, 10], values: [Float](repeating: 0.1, count: 2560)),
            ])
        let count = try FLOPCount.measure(
            ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: 13)], irVersion: 8))
        let conv = Double(2 * 256 * 27)
        #expect(count.integer == conv)
        #expect(abs(count.integerShare - conv / (conv + Double(2 * 10 * 256))) < 1e-12)
        // The float model does no integer work.
        let float = try FLOPCount.measure(
            Self.model(input: ValueInfoProto(name: "x", elementType: .float, shape: [1, 3, 8, 8])))
        #expect(float.integer == 0 && float.integerShare == 0)
    }

    @Test func aSymbolicSpatialDimensionNeedsAShape() throws {
        let model = Self.model(input: ValueInfoProto(name: "x", elementType: .float, shape: [1, 3, "h", "w"]))
        #expect {
            try FLOPCount.measure(model)
        } throws: { error in
            (error as? ExecError)?.message.contains("--shape x=1x3xNxN") == true
        }
        let count = try FLOPCount.measure(model, shapes: ["x": [1, 3, 8, 8]])
        #expect(count.byOp["Conv"] == Double(2 * 256 * 27))
    }
}
