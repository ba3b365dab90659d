import GSExec
import ONNX
import Testing

@testable import GSOptimize

/// static-shapes: input dims fixed from the context (and checked), value_info written, Shape
/// nodes made constant; data-dependent shapes left dynamic, in the main graph and through Loops.
@Suite struct StaticShapesTests {
    /// Conv -> Shape -> Gather -> Concat -> Reshape: the shape chain a dynamic-batch export has.
    static func shapeChainModel() -> ModelProto {
        Build.model(
            [
                NodeProto("Conv", inputs: ["x", "w"], outputs: ["c"], attributes: [.ints("pads", [1, 1, 1, 1])]),
                NodeProto("Shape", inputs: ["c"], outputs: ["s"]),
                NodeProto("Gather", inputs: ["s", "zero"], outputs: ["n"], attributes: [.int("axis", 0)]),
                NodeProto("Concat", inputs: ["n", "minus_one"], outputs: ["target"], attributes: [.int("axis", 0)]),
                NodeProto("Reshape", inputs: ["c", "target"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", ["N", 3, "H", "W"])], outputs: [Build.value("y", ["N", "D"])],
            initializers: [Build.weight("w", [4, 3, 3, 3]), Build.ints("zero", [0]), Build.ints("minus_one", [-1])])
    }

    @Test func symbolicDimsAreFixedShapesInferredAndShapeNodesFolded() throws {
        let model = Self.shapeChainModel()
        let context = PassContext(inputShapes: ["x": [1, 3, 8, 8]])
        let (shaped, report) = try StaticShapes().apply(model, context)
        #expect(shaped.graph.input[0].tensorType?.shape?.dim.map(\.fixed) == [1, 3, 8, 8])
        #expect(shaped.graph.output[0].tensorType?.shape?.dim.map(\.fixed) == [1, 256])
        let info = Dictionary(uniqueKeysWithValues: shaped.graph.valueInfo.map { ($0.name, $0) })
        #expect(info["c"]?.tensorType?.shape?.dim.map(\.fixed) == [1, 4, 8, 8])
        #expect(info["c"]?.tensorType?.elementType == .float)
        #expect(info["target"]?.tensorType?.elementType == .int64)
        #expect(report.counts["shape_nodes_replaced"] == 1)
        #expect(report.counts["input_dims_fixed"] == 3)
        let (folded, _) = try FoldConstants().apply(shaped, PassContext())
        let (cleaned, _) = try EliminateDead().apply(folded, PassContext())
        #expect(Build.ops(cleaned) == ["Conv", "Reshape"])
        #expect(try cleaned.graph.initializer(named: "target")?.int64s() == [1, -1])
        try PassCheck.verify(original: model, transformed: cleaned, feeds: ["x": Build.feed([1, 3, 8, 8])])
    }

    @Test(arguments: [
        (["x": [1, 4, 8, 8]], "size 3 on axis 1"),
        (["x": [1, 3, 8]], "rank 4"),
        (["image": [1, 3, 8, 8]], "no graph input"),
        (["x": [0, 3, 8, 8]], "below 1"),
    ])
    func contradictingShapesAreErrors(shapes: [String: [Int]], message: String) throws {
        let error = #expect(throws: PassError.self) {
            _ = try StaticShapes().apply(Self.shapeChainModel(), PassContext(inputShapes: shapes))
        }
        #expect(error?.description.contains(message) == true, "\(error?.description ?? "no error")")
    }

    @Test func withoutShapesForSymbolicInputsNothingIsInferred() throws {
        let (result, report) = try StaticShapes().apply(Self.shapeChainModel(), PassContext())
        #expect(result.graph.valueInfo.isEmpty)
        #expect(Build.ops(result) == Build.ops(Self.shapeChainModel()))
        #expect(report.notes.contains { $0.contains("symbolic") })
    }

    @Test func dataDependentShapesStayDynamic() throws {
        // NonZero's count depends on the values: the zero run sees 0 elements, a real input
        // more. Nothing after it may get a baked shape; Shape of the input itself may.
        let model = Build.model(
            [
                NodeProto("NonZero", inputs: ["x"], outputs: ["nz"]),
                NodeProto("Transpose", inputs: ["nz"], outputs: ["t"]),
                NodeProto("Shape", inputs: ["t"], outputs: ["st"]),
                NodeProto("ConstantOfShape", inputs: ["st"], outputs: ["zeros"]),
                NodeProto("Shape", inputs: ["x"], outputs: ["sx"]),
                NodeProto("Cast", inputs: ["sx"], outputs: ["sxf"], attributes: [.int("to", 1)]),
                NodeProto("ReduceSum", inputs: ["zeros"], outputs: ["total"], attributes: [.int("keepdims", 1)]),
                NodeProto("Add", inputs: ["total", "sxf"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", ["N"])], outputs: [Build.value("y", [1, 1])])
        let (shaped, report) = try StaticShapes().apply(model, PassContext(inputShapes: ["x": [5]]))
        let info = Dictionary(uniqueKeysWithValues: shaped.graph.valueInfo.map { ($0.name, $0) })
        #expect(info["nz"]?.tensorType?.elementType == .int64)
        #expect(info["nz"]?.tensorType?.shape == nil, "NonZero's shape depends on the data")
        #expect(info["zeros"]?.tensorType?.shape == nil)
        #expect(Build.ops(shaped) == ["NonZero", "Transpose", "Shape", "ConstantOfShape", "Cast", "ReduceSum", "Add"])
        #expect(report.counts["shape_nodes_replaced"] == 1)
        let feed = Tensor(shape: [5], floats: [0, 2, 0, 3, 4])
        try PassCheck.verify(original: model, transformed: shaped, feeds: ["x": feed])
    }

    @Test func loopsWithFixedTripCountsGiveFixedShapesAndEarlyExitsDoNot() throws {
        // Loop 1: trip count 3, scan output of v_out: shape [3, 3], fixed. Loop 2: its body's
        // condition reads the data, so the number of iterations (scan length) is not.
        func loop(_ output: String, condition: NodeProto) -> NodeProto {
            let body = GraphProto(
                name: "body",
                nodes: [NodeProto("Add", inputs: ["v_in", "x"], outputs: ["v_out"]), condition],
                inputs: [Build.value("i", [], .int64), Build.value("cond_in", [], .bool), Build.value("v_in", [3])],
                outputs: [Build.value("cond_out", [], .bool), Build.value("v_out", [3]), Build.value("v_out", [3])])
            return NodeProto(
                "Loop", inputs: ["trip", "cond", "x"], outputs: [output + "_final", output],
                attributes: [.graph("body", body)])
        }
        let graph = GraphProto(
            name: "loops",
            nodes: [
                loop("fixed", condition: NodeProto("Identity", inputs: ["cond_in"], outputs: ["cond_out"])),
                loop("early", condition: NodeProto("ReduceMax", inputs: ["v_in"], outputs: ["cond_out"])),
            ],
            inputs: [Build.value("x", [3])], outputs: [],
            initializers: [Build.ints("trip", [3], shape: []), TensorProto(name: "cond", shape: [], values: [true])])
        let dependence = ShapeDependence(graph, opset: 13, fixedInputs: ["x"])
        #expect(dependence.hasFixedShape("fixed"))
        #expect(dependence.hasFixedShape("fixed_final"))
        #expect(!dependence.hasFixedValue("fixed"))
        #expect(!dependence.hasFixedShape("early"))
    }

    @Test func dataIndependentLoopOutputsBecomeInitializers() throws {
        // The Loop carries the data (v) and a counter; the counter's final value (3) does not
        // depend on x, so its readers get an initializer; v's final value does.
        let body = GraphProto(
            name: "body",
            nodes: [
                NodeProto("Add", inputs: ["v_in", "v_in"], outputs: ["v_out"]),
                NodeProto("Add", inputs: ["count_in", "one"], outputs: ["count_out"]),
                NodeProto("Identity", inputs: ["cond_in"], outputs: ["cond_out"]),
            ],
            inputs: [
                Build.value("i", [], .int64), Build.value("cond_in", [], .bool), Build.value("v_in", ["N"]),
                Build.value("count_in", [], .int64),
            ],
            outputs: [
                Build.value("cond_out", [], .bool), Build.value("v_out", ["N"]), Build.value("count_out", [], .int64),
            ])
        let model = Build.model(
            [
                NodeProto(
                    "Loop", inputs: ["trip", "cond", "x", "zero"], outputs: ["v", "count"],
                    attributes: [
                        .graph("body", body)
                    ]),
                NodeProto("Cast", inputs: ["count"], outputs: ["count_float"], attributes: [.int("to", 1)]),
                NodeProto("Mul", inputs: ["v", "count_float"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", ["N"])], outputs: [Build.value("y", ["N"])],
            initializers: [
                Build.ints("trip", [3], shape: []), TensorProto(name: "cond", shape: [], values: [true]),
                Build.ints("zero", [0], shape: []), Build.ints("one", [1], shape: []),
            ])
        let (shaped, report) = try StaticShapes().apply(model, PassContext(inputShapes: ["x": [4]]))
        #expect(report.counts["control_outputs_replaced"] == 1)
        #expect(shaped.graph.node[1].input == ["count_static"])
        #expect(try shaped.graph.initializer(named: "count_static")?.int64s() == [3])
        let cleaned = try PassPipeline(["fold-constants", "eliminate-dead"]).run(shaped).model
        #expect(Build.ops(cleaned) == ["Loop", "Mul"])
        try PassCheck.verify(original: model, transformed: cleaned, feeds: ["x": Build.feed([4])])
    }
}
