import GSExec
import ONNX
import Testing

@testable import GSExec

/// Conv -> Clip and Conv -> Relu run as one kernel when nobody looks at the convolution's
/// own output, with exactly the values the two steps give; calibration, which observes every
/// value, and a fetch of the convolution's output still see it.
@Suite struct ActivationFusionTests {
    static func model(_ activation: NodeProto, extraOutput: Bool = false) -> ModelProto {
        var outputs = [ValueInfoProto(name: "y", elementType: .float, shape: [1, 6, 9, 13])]
        if extraOutput { outputs.append(ValueInfoProto(name: "c", elementType: .float, shape: [1, 6, 9, 13])) }
        var random = SplitMix(state: 11)
        let graph = GraphProto(
            name: "fusion",
            nodes: [
                NodeProto("Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: [.ints("pads", [1, 1, 1, 1])]),
                activation,
            ],
            inputs: [ValueInfoProto(name: "x", elementType: .float, shape: [1, 3, 9, 13])], outputs: outputs,
            initializers: [
                TensorProto(name: "w", shape: [6, 3, 3, 3], values: random.floats(162).map { $0 * 2 }),
                TensorProto(name: "b", shape: [6], values: random.floats(6)),
                TensorProto(name: "low", shape: [], values: [Float(-0.25)]),
                TensorProto(name: "high", shape: [], values: [Float(0.5)]),
            ])
        return ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: 13)], irVersion: 8)
    }

    static let activations: [(String, NodeProto)] = [
        ("Clip", NodeProto("Clip", inputs: ["c", "low", "high"], outputs: ["y"])),
        ("Clip without max", NodeProto("Clip", inputs: ["c", "low"], outputs: ["y"])),
        ("Relu", NodeProto("Relu", inputs: ["c"], outputs: ["y"])),
    ]

    @Test(arguments: activations.indices)
    func fusedAndSeparateStepsAgreeExactly(index: Int) throws {
        let (name, node) = Self.activations[index]
        let executor = try ONNXImport.executor(for: Self.model(node))
        #expect(executor.fusedSteps.count == executor.steps.count - 1, "\(name) was not fused")
        var random = SplitMix(state: 3)
        var input = random.floats(3 * 9 * 13).map { $0 * 3 }
        input[5] = .nan
        let feeds = ["x": Tensor(shape: [1, 3, 9, 13], floats: input)]
        let fused = try executor.run(feeds)["y"]!.floatValues
        var seen: [String] = []
        let separate = try executor.run(feeds) { name, _ in seen.append(name) }["y"]!.floatValues
        #expect(seen == ["c", "y"], "an observed run computes every value")
        #expect(fused.count == separate.count)
        for (a, b) in zip(fused, separate) { #expect(a == b || (a.isNaN && b.isNaN), "\(name)") }
        #expect(fused.contains { $0.isNaN } == separate.contains { $0.isNaN })
    }

    /// Exports like PP-OCR's give Clip its bounds through Constant nodes: those become
    /// values when the executor is prepared, and the Clip is still fused.
    @Test func clipBoundsFromConstantNodesAreFusedToo() throws {
        var model = Self.model(NodeProto("Clip", inputs: ["c", "lowNode", "highNode"], outputs: ["y"]))
        model.graph.node.insert(
            contentsOf: [
                NodeProto(
                    "Constant", inputs: [], outputs: ["lowNode"],
                    attributes: [.tensor("value", TensorProto(name: "", shape: [], values: [Float(0)]))]),
                NodeProto(
                    "Constant", inputs: [], outputs: ["highNode"],
                    attributes: [.tensor("value", TensorProto(name: "", shape: [], values: [Float(6)]))]),
            ], at: 0)
        let executor = try ONNXImport.executor(for: model)
        #expect(executor.steps.count == 4)
        #expect(executor.fusedSteps.count == 1, "the Constants are values and the Clip is in the Conv")
        var random = SplitMix(state: 5)
        let feeds = ["x": Tensor(shape: [1, 3, 9, 13], floats: random.floats(351).map { $0 * 4 })]
        let fused = try executor.run(feeds)["y"]!.floatValues
        let separate = try executor.run(feeds) { _, _ in }["y"]!.floatValues
        #expect(fused == separate)
        #expect(fused.allSatisfy { $0 >= 0 && $0 <= 6 } && fused.contains(0) && fused.contains(6))
    }

    @Test func aConvolutionWhoseOutputIsFetchedIsNotFusedAway() throws {
        let model = Self.model(Self.activations[0].1, extraOutput: true)
        let executor = try ONNXImport.executor(for: model)
        #expect(executor.fusedSteps.count == executor.steps.count)
        let feeds = ["x": Tensor(shape: [1, 3, 9, 13], floats: [Float](repeating: 1, count: 351))]
        let outputs = try executor.run(feeds)
        #expect(outputs["c"] != nil && outputs["y"] != nil)
        #expect(outputs["y"]!.floatValues.allSatisfy { $0 >= -0.25 && $0 <= 0.5 })
    }
}
