import GSExec
import GSOptimize
import ONNX
import Testing

/// upgrade-opset: each rewritten op, checked numerically (the old model in onnxruntime at its
/// own opset against the upgraded one at 13), and the ops it refuses.
@Suite struct UpgradeOpsetTests {
    let context = PassContext()

    static func opset(_ model: ModelProto) -> Int64? { model.opsetVersion(domain: "") }

    @Test func opset11AttributesBecomeInputsAndSoftmaxKeepsItsMeaning() throws {
        let model = Build.model(
            [
                NodeProto("Unsqueeze", inputs: ["x"], outputs: ["u"], attributes: [.ints("axes", [0])]),
                NodeProto("Squeeze", inputs: ["u"], outputs: ["s"], attributes: [.ints("axes", [0])]),
                NodeProto(
                    "Split", inputs: ["s"], outputs: ["a", "b"], attributes: [.int("axis", 2), .ints("split", [1, 3])]),
                NodeProto(
                    "ReduceSum", inputs: ["a"], outputs: ["r"], attributes: [.ints("axes", [1]), .int("keepdims", 1)]),
                // Rank unknown to the pass and axis 1 of a rank-3 input: flattened to 2-D before 13.
                NodeProto("Softmax", inputs: ["b"], outputs: ["p"]),
                NodeProto("LogSoftmax", inputs: ["b"], outputs: ["q"], attributes: [.int("axis", 2)]),
                NodeProto("LogSoftmax", inputs: ["known"], outputs: ["h"], attributes: [.int("axis", 1)]),
                NodeProto("Add", inputs: ["p", "r"], outputs: ["y"]),
                NodeProto("Add", inputs: ["y", "q"], outputs: ["z"]),
            ],
            inputs: [Build.value("x", [2, 3, 4]), Build.value("known", [2, 3, 4])],
            outputs: [Build.value("z", [2, 3, 3]), Build.value("h", [2, 3, 4])],
            valueInfo: [Build.value("b", nil)], opset: 11)
        let (result, report) = try UpgradeOpset().apply(model, context)
        #expect(Self.opset(result) == 13)
        #expect(result.graph.node[0].input.count == 2)
        #expect(result.graph.node[2].input.count == 2, "Split's split is an input")
        #expect(result.graph.node[3].attribute("axes") == nil)
        // b's rank is unknown: Softmax (axis 1) and LogSoftmax (axis 2) are flattened and
        // reshaped back to Shape(b); LogSoftmax (axis 1 of a declared [2, 3, 4]) to a constant
        // shape. (Hardmax takes the same path; the executor has no Hardmax kernel to check it.)
        let ops = Build.ops(result)
        #expect(ops.filter { $0 == "Flatten" }.count == 3)
        #expect(ops.filter { $0 == "Shape" }.count == 2)
        #expect(report.counts["rewritten"] == 7)
        try PassCheck.verify(
            original: model, transformed: result,
            feeds: ["x": Build.feed([2, 3, 4]), "known": Build.feed([2, 3, 4], seed: "known")])
    }

    @Test func softmaxOnTheLastAxisOnlyWritesTheAxis() throws {
        let model = Build.model(
            [NodeProto("Softmax", inputs: ["x"], outputs: ["y"], attributes: [.int("axis", 2)])],
            inputs: [Build.value("x", [2, 3, 4])], outputs: [Build.value("y", [2, 3, 4])], opset: 12)
        let (result, report) = try UpgradeOpset().apply(model, context)
        #expect(Build.ops(result) == ["Softmax"])
        #expect(report.counts["nodes_added"] == 0)
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([2, 3, 4])])
    }

    @Test func olderOpsetsMoveClipPadSliceTopKAndDropoutAttributes() throws {
        let model = Build.model(
            [
                NodeProto(
                    "Clip", inputs: ["x"], outputs: ["c"], attributes: [.float("min", -0.5), .float("max", 0.5)]),
                NodeProto(
                    "Pad", inputs: ["c"], outputs: ["p"],
                    attributes: [.ints("pads", [0, 1, 0, 2]), .float("value", 0.25)]),
                NodeProto(
                    "Slice", inputs: ["p"], outputs: ["s"],
                    attributes: [
                        .ints("starts", [1]), .ints("ends", [100]), .ints("axes", [1]),
                    ]),
                NodeProto("TopK", inputs: ["s"], outputs: ["values", "indices"], attributes: [.int("k", 2)]),
                NodeProto("Dropout", inputs: ["values"], outputs: ["d"], attributes: [.float("ratio", 0.3)]),
                NodeProto(
                    "BatchNormalization", inputs: ["x4", "g", "b", "m", "v"], outputs: ["n"],
                    attributes: [
                        .int("spatial", 1)
                    ]),
            ],
            inputs: [Build.value("x", [2, 5]), Build.value("x4", [1, 2, 3, 3])],
            outputs: [
                Build.value("d", [2, 2]), Build.value("indices", [2, 2], .int64), Build.value("n", [1, 2, 3, 3]),
            ],
            initializers: [
                Build.weight("g", [2]), Build.weight("b", [2]), Build.weight("m", [2]),
                Build.weight("v", [2], low: 0.5, high: 1),
            ],
            opset: 8)
        let (result, _) = try UpgradeOpset().apply(model, context)
        #expect(result.graph.node.allSatisfy { $0.attribute("axes") == nil && $0.attribute("pads") == nil })
        #expect(result.graph.node[0].input.count == 3)
        #expect(result.graph.node[3].input.count == 2, "TopK's k is an input")
        #expect(result.graph.node[5].attribute("spatial") == nil)
        try PassCheck.verify(
            original: model, transformed: result,
            feeds: ["x": Build.feed([2, 5]), "x4": Build.feed([1, 2, 3, 3], seed: "x4")])
    }

    @Test func loopBodiesAreUpgradedToo() throws {
        var model = CleanupPassTests.loopModel(bodyNodes: [
            NodeProto("Unsqueeze", inputs: ["v_in"], outputs: ["wide"], attributes: [.ints("axes", [0])]),
            NodeProto("Squeeze", inputs: ["wide"], outputs: ["v_out"], attributes: [.ints("axes", [0])]),
            NodeProto("Identity", inputs: ["cond_in"], outputs: ["cond_out"]),
        ])
        model.opsetImport = [OperatorSetIdProto(version: 11)]
        let (result, _) = try UpgradeOpset().apply(model, context)
        let body = try #require(result.graph.node[0].attribute("body")?.g)
        #expect(body.node[0].input.count == 2)
        #expect(body.initializer.count == 1, "one axes initializer, shared")
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([3])])
    }

    @Test(arguments: [
        (NodeProto("Upsample", inputs: ["x", "scales"], outputs: ["y"]), Int64(9), "Upsample"),
        (
            NodeProto(
                "Resize", inputs: ["x", "roi", "scales"], outputs: ["y"],
                attributes: [
                    .string("coordinate_transformation_mode", "tf_half_pixel_for_nn")
                ]), Int64(11), "tf_half_pixel_for_nn"
        ),
        (NodeProto("Relu", inputs: ["x"], outputs: ["y"]), Int64(6), "older than 7"),
    ])
    func opsWithoutAnExactForm(node: NodeProto, opset: Int64, message: String) throws {
        let model = Build.model(
            [node], inputs: [Build.value("x", [1, 1, 2, 2])], outputs: [Build.value("y", nil)],
            initializers: [TensorProto(name: "scales", shape: [4], values: [Float(1), 1, 2, 2])], opset: opset)
        let error = #expect(throws: PassError.self) { _ = try UpgradeOpset().apply(model, context) }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "no error")")
    }

    @Test func opset13IsLeftAlone() throws {
        let model = Build.model(
            [NodeProto("Relu", inputs: ["x"], outputs: ["y"])], inputs: [Build.value("x", [2])],
            outputs: [Build.value("y", [2])], opset: 13)
        let (result, report) = try UpgradeOpset().apply(model, context)
        #expect(result == model)
        #expect(!report.changed)
    }
}
