import Foundation
import GSData
import GSExec
import ONNX
import Testing

@testable import GSOptimize

/// Dynamic and weight-only INT8 (`quantization: dynamic | weight-only`): the MatMul and Gemm
/// weights of the real PP-OCRv4 recognizer become int8, onnxruntime runs the result as the
/// executor does, and int8-mixed keeps the most damaged nodes in float.
@Suite(.serialized) struct DynamicQuantizeTests {
    static let lines = QuantizeFixtures.repository.appendingPathComponent("Specs/data/text-lines").path

    static func recRequest(_ mode: QuantizationMode, precision: TargetPrecision = .int8) throws -> (
        ModelProto, CompileRequest
    ) {
        guard let path = QuantizeFixtures.modelPath("ppocrv4_rec.onnx") else {
            throw CompileError(message: "ppocrv4_rec.onnx missing")
        }
        var preprocessing = QuantizeFixtures.ppocr(width: 320, height: 48)
        preprocessing.keepAspect = true
        let evaluation = try QuantizeFixtures.samples(
            input: "x", preprocessing: preprocessing, count: 3, directory: Self.lines)
        var request = CompileRequest(
            precision: precision, inputShapes: ["x": [1, 3, 48, 320]], metric: .ctcAgreement, tolerance: 0.05,
            evaluation: evaluation)
        request.quantization = mode
        return (try ModelFile.load(path), request)
    }

    static func count(_ op: String, _ model: ModelProto) -> Int { model.graph.node.filter { $0.opType == op }.count }

    /// max |ours - onnxruntime| over the largest |onnxruntime| output.
    static func relativeDifference(_ model: ModelProto, _ feeds: [String: Tensor]) throws -> Double {
        let reference = try PassOracle.run([model], feeds: feeds)
        let verdict = try #require(reference.verdicts.first)
        #expect(verdict.checker == nil, "\(verdict.checker ?? "")")
        #expect(verdict.error == nil, "\(verdict.error ?? "")")
        let ours = try ONNXImport.executor(for: model).run(feeds)
        var worst = 0.0
        for (name, expected) in verdict.outputs {
            let got = try #require(ours[name]).floatValues
            let want = expected.floatValues
            let scale = Double(want.map { abs($0) }.max() ?? 1)
            for (a, b) in zip(got, want) { worst = max(worst, Double(abs(a - b)) / max(scale, 1e-6)) }
        }
        return worst
    }

    @Test func dynamicInt8RunsInOnnxRuntimeAsInTheExecutor() throws {
        let (model, request) = try Self.recRequest(.dynamic)
        let variant = try Compiler.compile(model, request)
        let graph = variant.model
        #expect(Self.count("MatMulInteger", graph) == 9 && Self.count("DynamicQuantizeLinear", graph) == 9)
        // No MatMul or Gemm reads a float weight any more, and no calibration ran.
        let floats = Set(graph.graph.initializer.filter { $0.dataType == .float && $0.dims.count == 2 }.map(\.name))
        #expect(!graph.graph.node.contains { ["MatMul", "Gemm"].contains($0.opType) && floats.contains($0.input[1]) })
        #expect(variant.report.notes.contains { $0.contains("dynamic int8: 9 of 9 MatMul/Gemm node(s) quantized") })
        #expect(variant.report.calibrationSamples == 0 && variant.report.met)
        #expect(variant.report.bytesAfter < variant.report.bytesBefore * 3 / 4)
        // DynamicQuantizeLinear and MatMulInteger are exact in both; what differs is float
        // rounding before them, which can move an activation across a rounding tie (one LSB).
        let difference = try Self.relativeDifference(graph, request.evaluation[0])
        #expect(difference < 1e-3, "\(difference)")
    }

    @Test func weightOnlyInt8KeepsFloatComputeOnInt8Weights() throws {
        let (model, request) = try Self.recRequest(.weightOnly)
        let variant = try Compiler.compile(model, request)
        let dequantizers = variant.model.graph.node.filter { $0.opType == "DequantizeLinear" }
        #expect(dequantizers.count == 9 && Self.count("MatMulInteger", variant.model) == 0)
        #expect(variant.report.met)
        let difference = try Self.relativeDifference(variant.model, request.evaluation[0])
        #expect(difference < 1e-4, "\(difference)")
    }

    /// A Gemm with transB and a bias (a classifier head), dynamic: close to float, and
    /// int8-mixed with no tolerance keeps nodes in float until the outputs are the float ones.
    @Test func int8MixedKeepsTheMostDamagedNodesInFloat() throws {
        var graph = GraphProto()
        graph.name = "head"
        graph.input = [ValueInfoProto(name: "x", elementType: .float, shape: [2, 64])]
        graph.output = [ValueInfoProto(name: "y", elementType: .float, shape: [2, 8])]
        let weights = (0..<(16 * 64)).map { Float(sin(Double($0) * 0.37)) }
        let second = (0..<(16 * 8)).map { Float(cos(Double($0) * 0.11)) }
        graph.initializer = [
            TensorProto(name: "w1", shape: [16, 64], values: weights),
            TensorProto(name: "b1", shape: [16], values: [Float](repeating: 0.1, count: 16)),
            TensorProto(name: "w2", shape: [16, 8], values: second),
        ]
        graph.node = [
            NodeProto(
                "Gemm", inputs: ["x", "w1", "b1"], outputs: ["h"], name: "head", attributes: [.int("transB", 1)]),
            NodeProto("MatMul", inputs: ["h", "w2"], outputs: ["y"], name: "project"),
        ]
        var model = ModelProto()
        model.graph = graph
        model.opsetImport = [OperatorSetIdProto(domain: "", version: 13)]
        model.irVersion = 8
        let feeds = ["x": Tensor(shape: [2, 64], floats: (0..<128).map { Float(cos(Double($0))) })]
        var request = CompileRequest(precision: .int8, metric: .outputError, tolerance: 0.05, evaluation: [feeds])
        request.quantization = .dynamic
        let quantized = try Compiler.compile(model, request)
        #expect(quantized.report.met && quantized.report.keptInFloat.isEmpty)
        #expect(try Self.relativeDifference(quantized.model, feeds) < 1e-5)

        request.tolerance = 0
        #expect(throws: CompileError.self) { _ = try Compiler.compile(model, request) }
        request.precision = .int8Mixed
        let mixed = try Compiler.compile(model, request)
        #expect(Set(mixed.report.keptInFloat) == ["h", "y"] && mixed.report.met, "\(mixed.report.notes)")

        var tensorRT = request
        tensorRT.format = .tensorRT
        #expect {
            try Compiler.compile(model, tensorRT)
        } throws: { error in
            (error as? CompileError)?.message.contains("TensorRT does not run") == true
        }
    }
}
