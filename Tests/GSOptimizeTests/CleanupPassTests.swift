import GSExec
import GSOptimize
import ONNX
import Testing

/// The cleanup passes on small graphs: what each removes, what it must keep, and that the
/// result computes the same outputs (onnxruntime and our executor) and passes onnx.checker.
@Suite struct CleanupPassTests {
    let context = PassContext()

    // MARK: eliminate-identity

    @Test func identityAndDropoutAreRemovedAndGraphOutputKeepsItsName() throws {
        let model = Build.model(
            [
                NodeProto("Relu", inputs: ["x"], outputs: ["r"]),
                NodeProto("Identity", inputs: ["r"], outputs: ["i"]),
                NodeProto("Dropout", inputs: ["i"], outputs: ["d", "unused_mask"]),
                NodeProto("Add", inputs: ["d", "r"], outputs: ["a"]),
                NodeProto("Identity", inputs: ["a"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", [2, 3])], outputs: [Build.value("y", [2, 3])])
        let (result, report) = try EliminateIdentity().apply(model, context)
        #expect(Build.ops(result) == ["Relu", "Add"])
        #expect(result.graph.node[1].input == ["r", "r"])
        #expect(result.graph.node[1].output == ["y"], "the graph output keeps its name")
        #expect(report.counts["removed"] == 3)
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([2, 3])])
    }

    @Test func identitiesThatPassAnInputThroughOrFeedAnOutputStay() throws {
        let model = Build.model(
            [
                NodeProto("Identity", inputs: ["x"], outputs: ["y"]),
                NodeProto("Relu", inputs: ["x"], outputs: ["z"]),
                NodeProto("Identity", inputs: ["z"], outputs: ["w"]),
                NodeProto("Dropout", inputs: ["z"], outputs: ["v", "mask"]),
            ],
            inputs: [Build.value("x", [4])],
            outputs: [
                Build.value("y", [4]), Build.value("z", [4]), Build.value("w", [4]), Build.value("mask", [4], .bool),
            ],
            opset: 13)
        let (result, report) = try EliminateIdentity().apply(model, context)
        // x -> y passes an input through; z -> w: z is itself a graph output; the Dropout's mask is read.
        #expect(Build.ops(result) == ["Identity", "Relu", "Identity", "Dropout"])
        #expect(report.counts["removed"] == 0)
    }

    @Test func identityEndingALoopBodyIsRemoved() throws {
        let model = Self.loopModel(bodyNodes: [
            NodeProto("Add", inputs: ["v_in", "step"], outputs: ["sum"]),
            NodeProto("Identity", inputs: ["sum"], outputs: ["v_out"]),
            NodeProto("Identity", inputs: ["cond_in"], outputs: ["cond_out"]),
        ])
        let (result, report) = try EliminateIdentity().apply(model, context)
        let body = try #require(result.graph.node[0].attribute("body")?.g)
        #expect(body.node.map(\.opType) == ["Add", "Identity"], "the body input passed through stays")
        #expect(body.node[0].input == ["v_in", "x"], "the outer Identity is gone, the body reads x")
        #expect(body.node[0].output == ["v_out"])
        #expect(Build.ops(result) == ["Loop"])
        #expect(report.counts["removed"] == 2)
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([3])])
    }

    // MARK: eliminate-dead

    @Test func deadNodesInitializersAndValueInfoGoButOuterScopeReadsStay() throws {
        var model = Self.loopModel(
            bodyNodes: [
                NodeProto("Add", inputs: ["v_in", "step"], outputs: ["v_out"]),
                NodeProto("Mul", inputs: ["v_in", "outer_only"], outputs: ["body_dead"]),
                NodeProto("Identity", inputs: ["cond_in"], outputs: ["cond_out"]),
            ], step: NodeProto("Abs", inputs: ["x"], outputs: ["step"]))
        model.graph.node.insert(NodeProto("Neg", inputs: ["x"], outputs: ["dead"]), at: 0)
        model.graph.initializer += [Build.weight("unused", [3]), Build.weight("outer_only", [3])]
        model.graph.valueInfo = [Build.value("dead", [3]), Build.value("step", [3])]
        let (result, report) = try EliminateDead().apply(model, context)
        #expect(Build.ops(result) == ["Abs", "Loop"], "Abs feeds the body from outside: live")
        let body = try #require(result.graph.node[1].attribute("body")?.g)
        #expect(body.node.map(\.opType) == ["Add", "Identity"])
        #expect(result.graph.initializer.map(\.name) == ["trip", "cond"], "outer_only died with the body's Mul")
        #expect(result.graph.valueInfo.map(\.name) == ["step"])
        #expect(report.counts["nodes"] == 2)
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([3])])
    }

    // MARK: dedupe-initializers

    @Test func identicalInitializersMergeBitwise() throws {
        let raw = Build.weight("a", [4])
        var typed = TensorProto(name: "b", shape: [4], typedValues: try raw.floats())
        typed.docString = "same values, typed storage"
        let zero = TensorProto(name: "zero", shape: [1], values: [Float(0)])
        let negativeZero = TensorProto(name: "negative_zero", shape: [1], values: [Float(-0.0)])
        let model = Build.model(
            [
                NodeProto("Add", inputs: ["x", "a"], outputs: ["p"]),
                NodeProto("Mul", inputs: ["p", "b"], outputs: ["q"]),
                NodeProto("Add", inputs: ["q", "zero"], outputs: ["r"]),
                NodeProto("Add", inputs: ["r", "negative_zero"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", [4])], outputs: [Build.value("y", [4])],
            initializers: [raw, typed, zero, negativeZero])
        let (result, report) = try DedupeInitializers().apply(model, context)
        #expect(result.graph.initializer.map(\.name) == ["a", "zero", "negative_zero"])
        #expect(result.graph.node[1].input == ["p", "a"])
        #expect(report.counts["merged"] == 1)
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([4])])
    }

    // MARK: constant-to-initializer

    @Test func constantsBecomeInitializersExceptGraphOutputs() throws {
        let shape = AttributeProto.ints("value_ints", [3, 2])
        let model = Build.model(
            [
                NodeProto(
                    "Constant", inputs: [], outputs: ["c"], attributes: [.tensor("value", Build.weight("ignored", [6]))]
                ),
                NodeProto("Constant", inputs: [], outputs: ["s"], attributes: [shape]),
                NodeProto("Constant", inputs: [], outputs: ["k"], attributes: [.float("value_float", 0.5)]),
                NodeProto("Constant", inputs: [], outputs: ["out_const"], attributes: [.float("value_float", 2)]),
                NodeProto("Add", inputs: ["x", "c"], outputs: ["p"]),
                NodeProto("Reshape", inputs: ["p", "s"], outputs: ["q"]),
                NodeProto("Mul", inputs: ["q", "k"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", [6])], outputs: [Build.value("y", [3, 2]), Build.value("out_const", [])])
        let (result, report) = try ConstantToInitializer().apply(model, context)
        #expect(Build.ops(result) == ["Constant", "Add", "Reshape", "Mul"])
        #expect(result.graph.initializer.map(\.name) == ["c", "s", "k"])
        #expect(result.graph.initializer[1].dataType == .int64)
        #expect(report.counts["converted"] == 3)
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([6])])
    }

    @Test func constantsInsideLoopBodiesBecomeBodyInitializers() throws {
        let model = Self.loopModel(bodyNodes: [
            NodeProto("Constant", inputs: [], outputs: ["two"], attributes: [.float("value_float", 2)]),
            NodeProto("Mul", inputs: ["v_in", "two"], outputs: ["twice"]),
            NodeProto("Add", inputs: ["twice", "step"], outputs: ["v_out"]),
            NodeProto("Identity", inputs: ["cond_in"], outputs: ["cond_out"]),
        ])
        let (result, _) = try ConstantToInitializer().apply(model, context)
        let body = try #require(result.graph.node.last?.attribute("body")?.g)
        #expect(body.initializer.map(\.name) == ["two"])
        #expect(!body.node.contains { $0.opType == "Constant" })
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([3])])
    }

    /// `y, scan = Loop(trip=3, cond=true, v=x)` whose body reads `step` (= x, from outside)
    /// and has inputs (i, cond_in, v_in) and outputs (cond_out, v_out, v_out scanned).
    static func loopModel(
        bodyNodes: [NodeProto], step: NodeProto = NodeProto("Identity", inputs: ["x"], outputs: ["step"])
    ) -> ModelProto {
        let body = GraphProto(
            name: "body", nodes: bodyNodes,
            inputs: [Build.value("i", [], .int64), Build.value("cond_in", [], .bool), Build.value("v_in", [3])],
            outputs: [Build.value("cond_out", [], .bool), Build.value("v_out", [3])])
        let loop = NodeProto(
            "Loop", inputs: ["trip", "cond", "x"], outputs: ["y"], attributes: [.graph("body", body)])
        let hasStep = bodyNodes.contains { $0.input.contains("step") }
        return Build.model(
            hasStep ? [step, loop] : [loop],
            inputs: [Build.value("x", [3])], outputs: [Build.value("y", [3])],
            initializers: [
                Build.ints("trip", [3], shape: []),
                TensorProto(name: "cond", shape: [], values: [true]),
            ])
    }
}
