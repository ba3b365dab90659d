import GSExec
import GSOptimize
import ONNX
import Testing

/// The fp16 pass on small graphs built here: where Casts go, which versions of a value
/// exist, what is clamped, what stays float32. Each converted graph also goes through
/// onnx.checker and onnxruntime (`FP16Graphs.checkEndToEnd`).
@Suite(.serialized) struct FP16Tests {
    typealias G = FP16Graphs

    @Test func castsGoAtTheBordersOfFloat16Regions() throws {
        // X -> Relu -> Max (block list) -> Relu -> Y
        let model = G.model(
            [G.node("Relu", ["X"], ["a"]), G.node("Max", ["a", "M"], ["b"]), G.node("Relu", ["b"], ["Y"])],
            initializers: [G.weights("M", [0.1, 0.2, 0.3])])
        let (converted, report) = try G.convert(model)
        #expect(G.ops(converted) == ["Cast", "Relu", "Cast", "Max", "Cast", "Relu", "Cast"])
        #expect(report.counts["castsInserted"] == 4)
        #expect(report.counts["nodesConverted"] == 2)
        #expect(report.counts["nodesKeptFloat32"] == 1)
        #expect(report.counts["initializersConverted"] == 0)
        let max = try G.producer("b", in: converted)
        #expect(G.elementType(max.input[0], in: converted) == .float)
        #expect(max.input[1] == "M")
        #expect(G.elementType("a", in: converted) == .float16)
        #expect(G.elementType("Y", in: converted) == .float)
        #expect(converted.graph.input[0].tensorType?.elementType == .float)
        #expect(converted.graph.output[0].tensorType?.elementType == .float)
        try G.checkEndToEnd(model, converted)
    }

    @Test func oneCastPerValueSharedByAllReaders() throws {
        // a (float16) is read by two float32 nodes and one float16 node; X by two float16 nodes.
        let model = G.model(
            [
                G.node("Relu", ["X"], ["a"]), G.node("Neg", ["X"], ["n"]), G.node("Max", ["a", "M"], ["b1"]),
                G.node("Min", ["a", "M"], ["b2"]), G.node("Sigmoid", ["a"], ["s"]),
                G.node("Sum", ["b1", "b2", "s", "n"], ["Y"]),
            ],
            initializers: [G.weights("M", [0.1, 0.2, 0.3])])
        let (converted, report) = try G.convert(model)
        let casts = G.casts(converted)
        #expect(casts.filter { $0.input == "X" }.count == 1)
        #expect(casts.filter { $0.input == "a" }.count == 1)
        let relu = try G.producer("a", in: converted)
        let negation = try G.producer("n", in: converted)
        #expect(relu.input == negation.input)
        let max = try G.producer("b1", in: converted)
        let min = try G.producer("b2", in: converted)
        #expect(max.input[0] == min.input[0] && max.input[0] != "a")
        #expect(try G.producer("s", in: converted).input == ["a"])
        // X in, a out to the kept pair, b1 and b2 back, Y out.
        #expect(report.counts["castsInserted"] == 5)
        try G.checkEndToEnd(model, converted)
    }

    @Test func initializerUsedByBothRegionsGetsTwoVersions() throws {
        let model = G.model(
            [G.node("Add", ["X", "W"], ["a"]), G.node("Max", ["a", "W"], ["b"]), G.node("Mul", ["b", "V"], ["Y"])],
            initializers: [G.weights("W", [0.5, -0.25, 2]), G.weights("V", [1, 2, 3])])
        let (converted, report) = try G.convert(model)
        #expect(report.counts["initializersConverted"] == 2)
        let add = try G.producer("a", in: converted)
        let max = try G.producer("b", in: converted)
        #expect(max.input[1] == "W")
        #expect(add.input[1] != "W")
        #expect(converted.graph.initializer(named: "W")?.dataType == .float)
        #expect(converted.graph.initializer(named: add.input[1])?.dataType == .float16)
        #expect(try converted.graph.initializer(named: add.input[1])?.float16s() == [0.5, -0.25, 2])
        // V is read by float16 nodes only: converted in place, keeping its name.
        #expect(converted.graph.initializer(named: "V")?.dataType == .float16)
        #expect(converted.graph.initializer.count == 3)
        try G.checkEndToEnd(model, converted)
    }

    @Test func constantsAreClampedIntoFloat16RangeAndCounted() throws {
        let values: [Float] = [1e5, -1e5, 1e-9, -1e-9, 0, 1.5, 65504, -.infinity]
        let model = G.model(
            [
                G.node("Constant", [], ["c"], [.tensor("value", G.weights("", values))]),
                G.node("Mul", ["X", "C"], ["m"]), G.node("Add", ["m", "c"], ["Y"]),
            ],
            initializers: [G.weights("C", [3e-8, 1e-12, 2, 1, 1, 1, 1, 1])], inputShape: [2, 8], outputShape: [2, 8])
        let (converted, report) = try G.convert(model, FP16Options(keepOverflowingNodes: false))
        // 1e5, -1e5, 1e-9, -1e-9 in the Constant; 3e-8 and 1e-12 in the initializer.
        #expect(report.counts["clamped"] == 6)
        #expect(report.counts["constantsConverted"] == 1)
        #expect(report.counts["initializersConverted"] == 1)
        let tensor = try #require(try G.producer("c", in: converted).attribute("value")?.t)
        let smallest = Float16.leastNonzeroMagnitude
        #expect(try tensor.float16s() == [65504, -65504, smallest, -smallest, 0, 1.5, 65504, -.infinity])
        #expect(try converted.graph.initializer(named: "C")?.float16s() == [smallest, smallest, 2, 1, 1, 1, 1, 1])

        // By default a node reading a constant float16 cannot hold stays float32 instead,
        // and that constant is not clamped.
        let (kept, keptReport) = try G.convert(model)
        #expect(keptReport.counts["clamped"] == 2)
        #expect(keptReport.counts["nodesKeptFloat32"] == 1)
        #expect(keptReport.notes.contains { $0.contains("beyond float16's range") && $0.contains("1 Add") })
        #expect(try G.producer("c", in: kept).attribute("value")?.t?.dataType == .float)
        try G.checkEndToEnd(model, kept)
    }

    @Test func interfaceTurnsFloat16WithoutKeepIOTypes() throws {
        let model = G.model(
            [G.node("Relu", ["X"], ["a"]), G.node("Max", ["a", "M"], ["b"]), G.node("Relu", ["b"], ["Y"])],
            initializers: [G.weights("M", [0.1, 0.2, 0.3])])
        let (converted, report) = try G.convert(model, FP16Options(keepIOTypes: false))
        #expect(converted.graph.input[0].tensorType?.elementType == .float16)
        #expect(converted.graph.output[0].tensorType?.elementType == .float16)
        #expect(G.ops(converted) == ["Relu", "Cast", "Max", "Cast", "Relu"])
        #expect(report.counts["castsInserted"] == 2)
        #expect(try G.producer("Y", in: converted).opType == "Relu")
        try G.checkEndToEnd(model, converted)
    }

    @Test func blockListAndNodeNamesKeepFloat32() throws {
        let model = G.model([
            G.node("Relu", ["X"], ["a"]), G.node("Sigmoid", ["a"], ["b"]), G.node("Neg", ["b"], ["c"]),
            G.node("Abs", ["c"], ["Y"]),
        ])
        let options = FP16Options(blockedOps: ["Sigmoid"], keepNodeNames: ["c"])
        let (converted, report) = try G.convert(model, options)
        #expect(report.counts["nodesConverted"] == 2)
        #expect(report.counts["nodesKeptFloat32"] == 2)
        #expect(G.elementType("a", in: converted) == .float16)
        #expect(G.elementType("b", in: converted) == .float)
        #expect(G.elementType("c", in: converted) == .float)
        #expect(G.ops(converted) == ["Cast", "Relu", "Cast", "Sigmoid", "Neg", "Cast", "Abs", "Cast"])
        #expect(report.notes.contains { $0.contains("block list") && $0.contains("1 Sigmoid") })
        #expect(report.notes.contains { $0.contains("keepNodeNames") && $0.contains("1 Neg") })
        // The default block list keeps Resize in float32, its scales included.
        let resize = G.model(
            [
                G.node("Relu", ["X"], ["a"]), G.node("Resize", ["a", "", "S"], ["r"], [.string("mode", "linear")]),
                G.node("Relu", ["r"], ["Y"]),
            ],
            initializers: [G.weights("S", [1, 1, 2, 2])], inputShape: [1, 1, 2, 3], outputShape: [1, 1, 4, 6])
        let (keptResize, _) = try G.convert(resize)
        let node = try G.producer("r", in: keptResize)
        #expect(G.elementType(node.input[0], in: keptResize) == .float)
        #expect(node.input[2] == "S" && keptResize.graph.initializer(named: "S")?.dataType == .float)
        try G.checkEndToEnd(resize, keptResize)
        // Off the block list, Resize computes in float16 but its scales stay float32.
        var unblocked = FP16Options()
        unblocked.blockedOps.remove("Resize")
        let (convertedResize, _) = try G.convert(resize, unblocked)
        let float16Resize = try G.producer("r", in: convertedResize)
        #expect(G.elementType(float16Resize.input[0], in: convertedResize) == .float16)
        #expect(float16Resize.input[2] == "S" && convertedResize.graph.initializer(named: "S")?.dataType == .float)
        try G.checkEndToEnd(resize, convertedResize)
    }

    @Test func loopReadsTheFloat32VersionOfAnOuterConvertedValue() throws {
        // X -> Relu -> a (float16); a Loop adds `a` (read from the outer scope) to its carried value 3 times.
        let scalar: [TensorShapeProto.Dimension] = []
        let body = GraphProto(
            name: "body",
            nodes: [G.node("Identity", ["cond"], ["cond_out"]), G.node("Add", ["acc", "a"], ["acc_out"])],
            inputs: [
                ValueInfoProto(name: "i", elementType: .int64, shape: scalar),
                ValueInfoProto(name: "cond", elementType: .bool, shape: scalar), G.float("acc"),
            ],
            outputs: [ValueInfoProto(name: "cond_out", elementType: .bool, shape: scalar), G.float("acc_out")])
        let model = G.model(
            [
                G.node("Relu", ["X"], ["a"]), G.node("Loop", ["trip", "go", "X"], ["l"], [.graph("body", body)]),
                G.node("Neg", ["l"], ["Y"]),
            ],
            initializers: [
                TensorProto(name: "trip", shape: [], values: [Int64(3)]),
                TensorProto(name: "go", shape: [], values: [true]),
            ])
        let (converted, report) = try G.convert(model)
        let casts = G.casts(converted)
        let outerCast = try #require(casts.first { $0.input == "a" })
        #expect(outerCast.to == .float)
        let loop = try G.producer("l", in: converted)
        let add = try #require(loop.attribute("body")?.g?.node.first { $0.opType == "Add" })
        #expect(add.input == ["acc", outerCast.output])
        #expect(loop.input == ["trip", "go", "X"])
        #expect(report.notes.contains { $0.contains("1 Loop") })
        #expect(G.elementType("a", in: converted) == .float16)
        try G.checkEndToEnd(model, converted)
    }

    @Test func backToBackCastsCancel() throws {
        // r = Relu(X) is float16; c = Cast(r, to: float) feeds a float32 Max and a float16 Neg:
        // Neg reads r itself rather than a Cast of c back to float16.
        let model = G.model(
            [
                G.node("Relu", ["X"], ["r"]), G.node("Cast", ["r"], ["c"], [.int("to", 1)]),
                G.node("Max", ["c", "M"], ["Y1"]), G.node("Neg", ["c"], ["Y2"]),
            ],
            outputs: ["Y1", "Y2"], initializers: [G.weights("M", [0, 0, 0])])
        let (converted, report) = try G.convert(model)
        #expect(try G.producer("Y2_fp16", in: converted).input == ["r"])
        #expect(!G.casts(converted).contains { $0.input == "c" })
        #expect(try G.producer("c", in: converted).input == ["r"])
        // X to float16 and Y2 back to float32; c is itself the Cast Max needs.
        #expect(report.counts["castsInserted"] == 2)
        try G.checkEndToEnd(model, converted)
    }

    @Test func constantNodesAndTensorAttributesConvert() throws {
        let model = G.model(
            [
                G.node("Constant", [], ["k"], [.tensor("value", G.weights("", [2, 3, 4]))]),
                G.node("Constant", [], ["h"], [.float("value_float", 0.5)]),
                G.node("ConstantOfShape", ["shape"], ["ones"], [.tensor("value", G.weights("", [1]))]),
                G.node("Mul", ["X", "k"], ["a"]), G.node("Add", ["a", "h"], ["b"]),
                G.node("Sub", ["b", "ones"], ["Y"]),
            ],
            initializers: [TensorProto(name: "shape", shape: [2], values: [Int64(2), 3])])
        let (converted, report) = try G.convert(model)
        #expect(report.counts["constantsConverted"] == 2)
        #expect(try G.producer("k", in: converted).attribute("value")?.t?.float16s() == [2, 3, 4])
        #expect(try G.producer("h", in: converted).attribute("value")?.t?.float16s() == [0.5])
        #expect(try G.producer("ones", in: converted).attribute("value")?.t?.float16s() == [1])
        #expect(report.counts["castsInserted"] == 2)
        try G.checkEndToEnd(model, converted)
    }

    @Test func shapeArithmeticStaysFloat32() throws {
        // Shape(X) as float, halved and compared: sizes stay exact, so this stays float32.
        let model = G.model(
            [
                G.node("Shape", ["X"], ["s"]), G.node("Cast", ["s"], ["sf"], [.int("to", 1)]),
                G.node("Mul", ["sf", "half"], ["h"]), G.node("Relu", ["X"], ["r"]),
                G.node("ReduceSum", ["h"], ["t"], [.int("keepdims", 0)]), G.node("Mul", ["r", "t"], ["Y"]),
            ],
            initializers: [G.weights("half", [0.5])])
        let (converted, report) = try G.convert(model)
        #expect(G.elementType("sf", in: converted) == .float)
        #expect(G.elementType("h", in: converted) == .float)
        #expect(try G.producer("s", in: converted).input == ["X"])  // Shape reads either precision: no Cast
        #expect(report.notes.contains { $0.contains("shapes and constants") && $0.contains("1 Mul") })
        try G.checkEndToEnd(model, converted)
    }

    @Test func graphOutputAlsoReadInsideKeepsItsNameAndType() throws {
        let model = G.model(
            [G.node("Relu", ["X"], ["A"]), G.node("Neg", ["A"], ["Y"])], outputs: ["A", "Y"])
        let (converted, _) = try G.convert(model)
        let cast = try G.producer("A", in: converted)
        #expect(cast.opType == "Cast")
        #expect(try G.producer("Y_fp16", in: converted).input == [cast.input[0]])
        #expect(try G.producer(cast.input[0], in: converted).opType == "Relu")
        try G.checkEndToEnd(model, converted)
    }

    @Test func opsWithoutAFloat16FormAtTheModelsOpsetStayFloat32() throws {
        // DequantizeLinear takes float16 scales from opset 19 on.
        func model(opset: Int64) -> ModelProto {
            var model = G.model(
                [G.node("DequantizeLinear", ["q", "scale", "zero"], ["d"]), G.node("Add", ["X", "d"], ["Y"])],
                initializers: [
                    TensorProto(name: "q", shape: [3], values: [Int8(-4), 0, 100]),
                    G.weights("scale", [0.5], shape: []),
                    TensorProto(name: "zero", shape: [], values: [Int8(0)]),
                ], opset: opset)
            model.irVersion = opset >= 19 ? 9 : 8
            return model
        }
        let (old, oldReport) = try G.convert(model(opset: 13))
        #expect(oldReport.notes.contains { $0.contains("no float16 form") && $0.contains("1 DequantizeLinear") })
        #expect(G.elementType("d", in: old) == .float)
        try G.checkEndToEnd(model(opset: 13), old)
        let (new, newReport) = try G.convert(model(opset: 19))
        #expect(newReport.counts["nodesKeptFloat32"] == 0)
        #expect(new.graph.initializer(named: "scale")?.dataType == .float16)
        try G.checkEndToEnd(model(opset: 19), new)
    }

    @Test func valueInfoFollowsTheVersions() throws {
        var model = G.model(
            [G.node("Relu", ["X"], ["a"]), G.node("Max", ["a", "M"], ["b"]), G.node("Relu", ["b"], ["Y"])],
            initializers: [G.weights("M", [0.1, 0.2, 0.3])])
        model.graph.valueInfo = [G.float("a"), G.float("b")]
        let (converted, _) = try G.convert(model)
        let types = Dictionary(
            uniqueKeysWithValues: converted.graph.valueInfo.map { ($0.name, $0.tensorType?.elementType) })
        #expect(types == ["a": .float16, "a_fp32": .float, "b": .float, "b_fp16": .float16])
        try G.checkEndToEnd(model, converted)
    }

    @Test func unknownInputTypesOfAConvertedNodeAreAnError() throws {
        let model = G.model([G.node("Add", ["X", "mystery"], ["Y"])])
        #expect {
            _ = try G.convert(model)
        } throws: { error in
            "\(error)".contains("'mystery'") && "\(error)".contains("Add 'Y'")
        }
    }
}
