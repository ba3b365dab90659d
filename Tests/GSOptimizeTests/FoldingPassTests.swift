import GSExec
import GSOptimize
import ONNX
import Testing

/// fold-constants, fold-batchnorm, fuse-matmul-add and fold-conv-affine on small graphs: what
/// each folds, what it must leave, and the outputs against onnxruntime (1e-4 for constant
/// folding; 1e-3 for the folds that reassociate float math).
@Suite struct FoldingPassTests {
    let context = PassContext()

    // MARK: fold-constants

    @Test func constantSubgraphsFoldIntoInitializers() throws {
        let model = Build.model(
            [
                NodeProto("Add", inputs: ["a", "b"], outputs: ["ab"]),
                NodeProto("Sqrt", inputs: ["ab"], outputs: ["root"]),
                NodeProto("Concat", inputs: ["two", "three"], outputs: ["shape"], attributes: [.int("axis", 0)]),
                NodeProto("Mul", inputs: ["x", "root"], outputs: ["m"]),
                NodeProto("Reshape", inputs: ["m", "shape"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", [6])], outputs: [Build.value("y", [2, 3])],
            initializers: [
                Build.weight("a", [6], low: 0, high: 1), Build.weight("b", [6], low: 0, high: 1),
                Build.ints("two", [2]), Build.ints("three", [3]),
            ])
        let (result, report) = try FoldConstants().apply(model, context)
        #expect(Build.ops(result) == ["Mul", "Reshape"])
        #expect(report.counts["folded"] == 3)
        let names = Set(result.graph.initializer.map(\.name))
        #expect(names.isSuperset(of: ["ab", "root", "shape"]))
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([6])])
    }

    @Test func randomOpsAreNeverFolded() throws {
        let model = Build.model(
            [NodeProto("RandomUniformLike", inputs: ["a"], outputs: ["y"])], inputs: [],
            outputs: [Build.value("y", [6])], initializers: [Build.weight("a", [6])])
        var withReader = model
        withReader.graph.node.append(NodeProto("Add", inputs: ["y", "a"], outputs: ["z"]))
        withReader.graph.output = [Build.value("z", [6])]
        let (result, report) = try FoldConstants().apply(withReader, context)
        #expect(Build.ops(result) == ["RandomUniformLike", "Add"])
        #expect(report.counts["folded"] == 0)
    }

    /// A quantized weight stays quantized: DequantizeLinear of int8 constants is the form a
    /// runtime fuses into integer kernels, so folding it to float would undo the quantization.
    @Test func aQuantizedWeightsDequantizeIsNotFolded() throws {
        let model = Build.model(
            [
                NodeProto("DequantizeLinear", inputs: ["w_q", "w_scale", "w_zero"], outputs: ["w"]),
                NodeProto("Mul", inputs: ["x", "w"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", [4])], outputs: [Build.value("y", [4])],
            initializers: [
                TensorProto(name: "w_q", shape: [4], values: [Int8(-100), -3, 7, 127]),
                TensorProto(name: "w_scale", shape: [], values: [Float(0.01)]),
                TensorProto(name: "w_zero", shape: [], values: [Int8(0)]),
            ])
        let (result, report) = try FoldConstants().apply(model, context)
        #expect(Build.ops(result) == ["DequantizeLinear", "Mul"])
        #expect(report.counts["folded"] == 0)
        #expect(result.graph.initializer.first { $0.name == "w_q" }?.dataType == .int8)
    }

    @Test func largeFoldsAreNotStoredButStillFoldWhatReadsThem() throws {
        // ConstantOfShape [512, 512] is 1 MiB of floats: over the 64 KiB limit and far larger
        // than its 16-byte input, so it stays a node; the ReduceSum of it is small and folds.
        let model = Build.model(
            [
                NodeProto(
                    "ConstantOfShape", inputs: ["dims"], outputs: ["big"],
                    attributes: [
                        .tensor("value", TensorProto(name: "v", shape: [1], values: [Float(0.5)]))
                    ]),
                NodeProto("ReduceSum", inputs: ["big"], outputs: ["total"], attributes: [.int("keepdims", 0)]),
                NodeProto("Mul", inputs: ["x", "total"], outputs: ["y"]),
                NodeProto("Shape", inputs: ["big"], outputs: ["big_shape"]),
            ],
            inputs: [Build.value("x", [2])],
            outputs: [Build.value("y", [2]), Build.value("big_shape", [2], .int64)],
            initializers: [Build.ints("dims", [512, 512])])
        let (result, report) = try FoldConstants().apply(model, context)
        #expect(Build.ops(result) == ["ConstantOfShape", "Mul", "Shape"], "Shape feeds a graph output: kept")
        #expect(result.graph.initializer.contains { $0.name == "total" })
        #expect(!result.graph.initializer.contains { $0.name == "big" })
        #expect(report.counts["folded"] == 1)
        #expect(report.notes.contains { $0.contains("kept") })
        try PassCheck.verify(original: model, transformed: result, feeds: ["x": Build.feed([2])])
    }

    @Test func constantsFoldInsideLoopBodiesWithOuterConstants() throws {
        let model = CleanupPassTests.loopModel(bodyNodes: [
            NodeProto("Mul", inputs: ["outer", "outer"], outputs: ["squared"]),
            NodeProto("Add", inputs: ["v_in", "squared"], outputs: ["v_out"]),
            NodeProto("Identity", inputs: ["cond_in"], outputs: ["cond_out"]),
        ])
        var withOuter = model
        withOuter.graph.initializer.append(Build.weight("outer", [3]))
        let (result, report) = try FoldConstants().apply(withOuter, context)
        let body = try #require(result.graph.node.last?.attribute("body")?.g)
        #expect(body.node.map(\.opType) == ["Add", "Identity"])
        #expect(body.initializer.map(\.name) == ["squared"])
        #expect(report.counts["folded"] == 1)
        try PassCheck.verify(original: withOuter, transformed: result, feeds: ["x": Build.feed([3])])
    }

    // MARK: fold-batchnorm

    static func batchNorm(_ input: String, _ output: String, channels: Int, prefix: String) -> (
        NodeProto, [TensorProto]
    ) {
        let names = ["scale", "bias", "mean", "var"].map { "\(prefix)_\($0)" }
        return (
            NodeProto(
                "BatchNormalization", inputs: [input] + names, outputs: [output], attributes: [.float("epsilon", 1e-3)]),
            [
                Build.weight(names[0], [channels], low: 0.5, high: 1.5), Build.weight(names[1], [channels]),
                Build.weight(names[2], [channels]), Build.weight(names[3], [channels], low: 0.1, high: 2),
            ]
        )
    }

    @Test func batchNormFoldsIntoConvConvTransposeGemmAndMatMul() throws {
        let (bn1, stats1) = Self.batchNorm("c1", "n1", channels: 4, prefix: "bn1")
        let (bn2, stats2) = Self.batchNorm("t2", "n2", channels: 4, prefix: "bn2")
        let (bn3, stats3) = Self.batchNorm("g3", "n3", channels: 5, prefix: "bn3")
        let (bn4, stats4) = Self.batchNorm("m4", "n4", channels: 3, prefix: "bn4")
        let model = Build.model(
            [
                NodeProto(
                    "Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"], attributes: [.ints("pads", [1, 1, 1, 1])]),
                bn1,
                NodeProto(
                    "ConvTranspose", inputs: ["n1", "w2"], outputs: ["t2"],
                    attributes: [
                        .int("group", 2), .ints("strides", [2, 2]),
                    ]),
                bn2,
                NodeProto("GlobalAveragePool", inputs: ["n2"], outputs: ["pooled"]),
                NodeProto("Flatten", inputs: ["pooled"], outputs: ["flat"]),
                NodeProto(
                    "Gemm", inputs: ["flat", "w3", "b3"], outputs: ["g3"],
                    attributes: [
                        .int("transB", 1), .float("beta", 0.5),
                    ]),
                bn3,
                NodeProto("MatMul", inputs: ["n3", "w4"], outputs: ["m4"]),
                bn4,
            ],
            inputs: [Build.value("x", [2, 3, 5, 5])], outputs: [Build.value("n4", [2, 3])],
            initializers: [
                Build.weight("w1", [4, 3, 3, 3]), Build.weight("b1", [4]), Build.weight("w2", [4, 2, 3, 3]),
                Build.weight("w3", [5, 4]), Build.weight("b3", [5]), Build.weight("w4", [5, 3]),
            ] + stats1 + stats2 + stats3 + stats4,
            valueInfo: [Build.value("n3", [2, 5])])
        let (result, report) = try FoldBatchNorm().apply(model, context)
        #expect(Build.ops(result) == ["Conv", "ConvTranspose", "GlobalAveragePool", "Flatten", "Gemm", "Gemm"])
        #expect(result.graph.node[0].output == ["n1"])
        #expect(result.graph.node[5].output == ["n4"], "the MatMul became a Gemm named like the BatchNormalization")
        #expect(report.counts["folded"] == 4)
        try PassCheck.verify(
            original: model, transformed: result, feeds: ["x": Build.feed([2, 3, 5, 5])], tolerance: 1e-3)
    }

    @Test func batchNormStaysWhenTheLayerOutputHasAnotherReader() throws {
        let (bn, stats) = Self.batchNorm("c", "n", channels: 2, prefix: "bn")
        let model = Build.model(
            [
                NodeProto("Conv", inputs: ["x", "w"], outputs: ["c"]), bn,
                NodeProto("Add", inputs: ["n", "c"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", [1, 1, 3, 3])], outputs: [Build.value("y", [1, 2, 3, 3])],
            initializers: [Build.weight("w", [2, 1, 1, 1])] + stats)
        let (result, report) = try FoldBatchNorm().apply(model, context)
        #expect(Build.ops(result) == ["Conv", "BatchNormalization", "Add"])
        #expect(report.counts["folded"] == 0)
    }

    // MARK: fuse-matmul-add

    @Test func matMulAddBecomesGemmOnlyFor2DInputs() throws {
        let model = Build.model(
            [
                NodeProto("MatMul", inputs: ["x", "w"], outputs: ["m"]),
                NodeProto("Add", inputs: ["bias", "m"], outputs: ["y"]),
                NodeProto("MatMul", inputs: ["z", "w"], outputs: ["m3"]),
                NodeProto("Add", inputs: ["m3", "bias"], outputs: ["y3"]),
            ],
            inputs: [Build.value("x", [2, 4]), Build.value("z", [2, 2, 4])],
            outputs: [Build.value("y", [2, 3]), Build.value("y3", [2, 2, 3])],
            initializers: [Build.weight("w", [4, 3]), Build.weight("bias", [1, 3])])
        let (result, report) = try FuseMatMulAdd().apply(model, context)
        #expect(Build.ops(result) == ["Gemm", "MatMul", "Add"])
        #expect(result.graph.node[0].input == ["x", "w", "bias"])
        #expect(result.graph.node[0].output == ["y"])
        #expect(report.counts["fused"] == 1)
        try PassCheck.verify(
            original: model, transformed: result,
            feeds: ["x": Build.feed([2, 4]), "z": Build.feed([2, 2, 4], seed: "z")], tolerance: 1e-3)
    }

    @Test func matMulAddStaysWhenTheInputRankIsUnknown() throws {
        let model = Build.model(
            [
                NodeProto("MatMul", inputs: ["x", "w"], outputs: ["m"]),
                NodeProto("Add", inputs: ["m", "bias"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", nil)], outputs: [Build.value("y", nil)],
            initializers: [Build.weight("w", [4, 3]), Build.weight("bias", [3])])
        let (result, _) = try FuseMatMulAdd().apply(model, context)
        #expect(Build.ops(result) == ["MatMul", "Add"])
    }

    // MARK: fold-conv-affine

    @Test func perChannelArithmeticAfterConvFolds() throws {
        let model = Build.model(
            [
                NodeProto("Conv", inputs: ["x", "w1", "b1"], outputs: ["c1"]),
                NodeProto("Mul", inputs: ["c1", "scale"], outputs: ["s1"]),
                NodeProto("Conv", inputs: ["s1", "w2"], outputs: ["c2"]),
                NodeProto("Add", inputs: ["shift", "c2"], outputs: ["s2"]),
                NodeProto("Conv", inputs: ["s2", "w3"], outputs: ["c3"]),
                NodeProto("Sub", inputs: ["shift", "c3"], outputs: ["s3"]),
                NodeProto("ConvTranspose", inputs: ["s3", "w4"], outputs: ["c4"]),
                NodeProto("Div", inputs: ["c4", "divisor"], outputs: ["s4"]),
                NodeProto("Conv", inputs: ["s4", "w5"], outputs: ["c5"]),
                NodeProto("Mul", inputs: ["c5", "spatial"], outputs: ["y"]),
            ],
            inputs: [Build.value("x", [1, 4, 6, 6])], outputs: [Build.value("y", [1, 4, 6, 6])],
            initializers: [
                Build.weight("w1", [4, 4, 1, 1]), Build.weight("b1", [4]), Build.weight("w2", [4, 4, 1, 1]),
                Build.weight("w3", [4, 4, 3, 3]), Build.weight("w4", [4, 4, 3, 3]), Build.weight("w5", [4, 4, 1, 1]),
                Build.weight("scale", [1, 4, 1, 1]), Build.weight("shift", [4, 1, 1]),
                Build.weight("divisor", [], low: 1, high: 2), Build.weight("spatial", [1, 1, 1, 6]),
            ])
        let (result, report) = try FoldConvAffine().apply(model, context)
        #expect(
            Build.ops(result) == ["Conv", "Conv", "Conv", "ConvTranspose", "Conv", "Mul"], "a per-column Mul stays")
        #expect(report.counts["folded"] == 4)
        try PassCheck.verify(
            original: model, transformed: result, feeds: ["x": Build.feed([1, 4, 6, 6])], tolerance: 1e-3)
    }
}
