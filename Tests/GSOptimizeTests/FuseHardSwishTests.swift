import GSExec
import GSOptimize
import ONNX
import Testing

/// fuse-hardswish on small graphs: the spelled-out forms exporters write become one
/// HardSwish (opset 14) with the same outputs in onnxruntime, and anything that is not
/// exactly a hard-swish, whose parts someone else reads, or below opset 13 stays as it was.
@Suite struct FuseHardSwishTests {
    let context = PassContext()
    static let shape: [TensorShapeProto.Dimension] = [2, 8, 4, 4]

    /// Paddle2ONNX's form: `Div(Mul(x, Clip(Add(x, 3), 0, 6)), 6)`, then a reader.
    static func paddleForm(three: Float = 3, clipRead: Bool = false, opset: Int64 = 13) -> ModelProto {
        var outputs = [Build.value("z", shape)]
        if clipRead { outputs.append(Build.value("clipped", shape)) }
        return Build.model(
            [
                NodeProto("Add", inputs: ["x", "three"], outputs: ["shifted"]),
                NodeProto("Clip", inputs: ["shifted", "zero", "six"], outputs: ["clipped"]),
                NodeProto("Mul", inputs: ["x", "clipped"], outputs: ["product"]),
                NodeProto("Div", inputs: ["product", "six"], outputs: ["swished"]),
                NodeProto("Add", inputs: ["swished", "bias"], outputs: ["z"]),
            ],
            inputs: [Build.value("x", shape)], outputs: outputs,
            initializers: [
                TensorProto(name: "three", shape: [1], values: [three]),
                TensorProto(name: "zero", shape: [1], values: [Float(0)]),
                TensorProto(name: "six", shape: [1], values: [Float(6)]),
                Build.weight("bias", [8, 1, 1]),
            ],
            valueInfo: ["shifted", "clipped", "product", "swished"].map { Build.value($0, shape) }, opset: opset)
    }

    static var feed: [String: Tensor] { ["x": Build.feed([2, 8, 4, 4], low: -8, high: 8)] }

    @Test func paddlesSpelledOutHardSwishBecomesOneNode() throws {
        let model = Self.paddleForm()
        let (result, report) = try FuseHardSwish().apply(model, context)
        #expect(report.counts["fused"] == 1)
        #expect(Build.ops(result) == ["HardSwish", "Add"])
        #expect(result.graph.node[0].input == ["x"])
        #expect(result.graph.node[0].output == ["swished"])
        #expect(result.opsetVersion(domain: "") == 14)
        // The removed values are no longer declared.
        #expect(Set(result.graph.valueInfo.map(\.name)).isDisjoint(with: ["shifted", "clipped", "product"]))
        // Inputs from -8 to 8 cover both flat parts and the slope.
        try PassCheck.verify(original: model, transformed: result, feeds: Self.feed, tolerance: 1e-5)
    }

    /// The 3 on the left of the Add, x on the right of the Mul, and a Mul by the float
    /// nearest 1/6 in place of the Div.
    @Test func otherOperandOrdersAndMultiplyBySixthFuseToo() throws {
        let model = Build.model(
            [
                NodeProto("Add", inputs: ["three", "x"], outputs: ["shifted"]),
                NodeProto("Clip", inputs: ["shifted", "zero", "six"], outputs: ["clipped"]),
                NodeProto("Mul", inputs: ["clipped", "x"], outputs: ["product"]),
                NodeProto("Mul", inputs: ["sixth", "product"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", Self.shape)], outputs: [Build.value("y", Self.shape)],
            initializers: [
                TensorProto(name: "three", shape: [], values: [Float(3)]),
                TensorProto(name: "zero", shape: [], values: [Float(0)]),
                TensorProto(name: "six", shape: [], values: [Float(6)]),
                TensorProto(name: "sixth", shape: [], values: [Float(1) / 6]),
            ])
        let (result, report) = try FuseHardSwish().apply(model, context)
        #expect(report.counts["fused"] == 1)
        #expect(Build.ops(result) == ["HardSwish"])
        #expect(result.graph.node[0].output == ["y"])
        try PassCheck.verify(original: model, transformed: result, feeds: Self.feed, tolerance: 1e-5)
    }

    /// HardSwish needs opset 14, and raising an opset-12 model would need upgrade-opset's
    /// rewrites: such a model is left for the INT8 path, which upgrades it first.
    @Test func aModelBelowOpset13IsLeftAlone() throws {
        let (result, report) = try FuseHardSwish().apply(Self.paddleForm(opset: 12), context)
        #expect(report.counts["fused"] == 0)
        #expect(Build.ops(result) == ["Add", "Clip", "Mul", "Div", "Add"])
        #expect(result.opsetVersion(domain: "") == 12)
    }

    @Test func aDifferentConstantIsNotAHardSwish() throws {
        let (result, report) = try FuseHardSwish().apply(Self.paddleForm(three: 2.5), context)
        #expect(report.counts["fused"] == 0)
        #expect(Build.ops(result) == ["Add", "Clip", "Mul", "Div", "Add"])
    }

    /// The clipped value is also a graph output: removing its producer's chain would lose it.
    @Test func aPartReadElsewhereStays() throws {
        let (result, report) = try FuseHardSwish().apply(Self.paddleForm(clipRead: true), context)
        #expect(report.counts["fused"] == 0)
        #expect(Build.ops(result) == ["Add", "Clip", "Mul", "Div", "Add"])
    }

    /// A constant of higher rank than x broadcasts x up: the fused form would change the shape.
    @Test func aConstantThatBroadcastsXUpStays() throws {
        let model = Build.model(
            [
                NodeProto("Add", inputs: ["x", "three"], outputs: ["shifted"]),
                NodeProto("Clip", inputs: ["shifted", "zero", "six"], outputs: ["clipped"]),
                NodeProto("Mul", inputs: ["x", "clipped"], outputs: ["product"]),
                NodeProto("Div", inputs: ["product", "six"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", [4])], outputs: [Build.value("y", [1, 4])],
            initializers: [
                TensorProto(name: "three", shape: [1, 1], values: [Float(3)]),
                TensorProto(name: "zero", shape: [], values: [Float(0)]),
                TensorProto(name: "six", shape: [], values: [Float(6)]),
            ])
        let (_, report) = try FuseHardSwish().apply(model, context)
        #expect(report.counts["fused"] == 0)
    }
}
