import Foundation
import GSData
import GSExec
import GSOptimize
import ONNX
import Testing

/// The compiler end to end on real models: each precision compiles, checks its accuracy
/// against the original on held-out samples, and reports what it did.
@Suite(.serialized) struct CompilerTests {
    static func clsRequest(_ precision: TargetPrecision) throws -> (ModelProto, CompileRequest) {
        guard let path = QuantizeFixtures.modelPath("ppocr_cls.onnx") else {
            throw CompileError(message: "ppocr_cls.onnx missing")
        }
        let preprocessing = QuantizeFixtures.ppocr(width: 192, height: 48)
        let calibration = try QuantizeFixtures.samples(input: "x", preprocessing: preprocessing, count: 16)
        let evaluation = try QuantizeFixtures.samples(input: "x", preprocessing: preprocessing, count: 24, offset: 40)
        return (
            try ModelFile.load(path),
            CompileRequest(
                precision: precision, inputShapes: ["x": [1, 3, 48, 192]], metric: .top1Agreement, tolerance: 0.05,
                calibration: calibration, evaluation: evaluation)
        )
    }

    @Test(arguments: TargetPrecision.allCases)
    func directionClassifierCompilesAtEveryPrecision(precision: TargetPrecision) throws {
        let (model, request) = try Self.clsRequest(precision)
        let variant = try Compiler.compile(model, request)
        let report = variant.report
        print(
            "cls \(precision.rawValue): nodes \(report.nodesBefore) -> \(report.nodesAfter), bytes \(report.bytesBefore) -> \(report.bytesAfter), score \(report.score ?? -1), \(String(format: "%.2f", report.seconds)) s, notes \(report.notes)"
        )
        #expect(report.shipped == precision)
        #expect(report.met)
        #expect(report.nodesAfter < report.nodesBefore)
        #expect(!variant.goldenOutputs.isEmpty)
        if precision == .fp16 { #expect(report.bytesAfter < report.bytesBefore * 6 / 10) }
        // A small model carries scales and zero points per tensor: int8 roughly halves it.
        if precision == .int8 || precision == .int8Mixed { #expect(report.bytesAfter < report.bytesBefore * 6 / 10) }
    }

    @Test func missingCalibrationIsAClearError() throws {
        var (model, request) = try Self.clsRequest(.int8)
        request.calibration = []
        #expect(throws: CompileError.self) { _ = try Compiler.compile(model, request) }
    }

    @Test func aMissFailsWithTheDamagedTensorsOrShipsFloat() throws {
        var (model, request) = try Self.clsRequest(.int8)
        // A tolerance nothing quantized can meet: outputs must be identical.
        request.metric = .outputError
        request.tolerance = 0
        do {
            _ = try Compiler.compile(model, request)
            Issue.record("a zero-tolerance int8 compile should fail")
        } catch let error as CompileError {
            #expect(error.message.contains("most damaged"))
            #expect(error.report?.damaged.isEmpty == false)
        }
        request.onMiss = .shipFloat
        let variant = try Compiler.compile(model, request)
        #expect(variant.report.shipped == .fp32)
        #expect(variant.report.notes.contains { $0.contains("shipping the fp32 variant") })
    }
}
