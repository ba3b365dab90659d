import Foundation
import GSData
import GSExec
import GSOptimize
import ONNX
import Testing

/// The compiler's accuracy claims checked in onnxruntime, the runtime the devices run: each
/// variant the compiler writes is run there, next to the original, on the same held-out
/// samples, and scored by the same metric; the score must be the report's within half a
/// point. gsctl's executor measures the report, so this is where a difference between how
/// gsctl and onnxruntime read a QDQ or float16 graph would show.
@Suite(.serialized) struct OracleAccuracyTests {
    struct Case: Sendable, CustomStringConvertible {
        var file: String
        var precision: TargetPrecision
        var description: String { "\(file) \(precision.rawValue)" }
    }

    static let cases = [
        Case(file: "ssdlite_person.onnx", precision: .int8),
        Case(file: "ssdlite_person.onnx", precision: .fp16),
        Case(file: "ppocr_cls.onnx", precision: .int8),
        Case(file: "ppocr_cls.onnx", precision: .fp16),
    ]

    /// Calibration and evaluation samples (disjoint), the input's shape and the metric.
    static func request(_ file: String, _ precision: TargetPrecision) throws -> CompileRequest {
        let data = QuantizeFixtures.repository.appendingPathComponent("Specs/data").path
        if file.hasPrefix("ssdlite") {
            // Detections at many scores in every frame: box-F1 moves in steps of well under
            // half a point.
            let preprocessing = Preprocessing(width: 300, height: 300, layout: .nhwc, elementType: .uint8)
            let frames = data + "/vtest-frames"
            var request = CompileRequest(
                precision: precision, inputShapes: ["image_tensor:0": [1, 300, 300, 3]], metric: .boxF1,
                tolerance: 0.5,
                calibration: try QuantizeFixtures.samples(
                    input: "image_tensor:0", preprocessing: preprocessing, count: 16, directory: frames),
                evaluation: try QuantizeFixtures.samples(
                    input: "image_tensor:0", preprocessing: preprocessing, count: 48, offset: 19, directory: frames))
            // Boxes down to 0.1: more of them near the threshold, so that int8's changes show
            // in the score rather than all of it passing at 1.
            request.scoreThreshold = 0.1
            return request
        }
        let preprocessing = QuantizeFixtures.ppocr(width: 192, height: 48)
        let lines = data + "/text-lines"
        return CompileRequest(
            precision: precision, inputShapes: ["x": [1, 3, 48, 192]], metric: .top1Agreement, tolerance: 0.5,
            calibration: try QuantizeFixtures.samples(
                input: "x", preprocessing: preprocessing, count: 16, directory: lines),
            evaluation: try QuantizeFixtures.samples(
                input: "x", preprocessing: preprocessing, count: 80, offset: 16, directory: lines))
    }

    @Test(arguments: cases)
    func theReportedAccuracyHoldsInOnnxruntime(_ test: Case) throws {
        let path = try #require(QuantizeFixtures.modelPath(test.file), "\(test.file): run `make models`")
        let request = try Self.request(test.file, test.precision)
        let variant = try Compiler.compile(try ModelFile.load(path), request)
        #expect(variant.report.shipped == test.precision)
        let claimed = try #require(variant.report.score)

        let directory = try FP16Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ModelFile.save(variant.model, to: directory + "/variant.onnx")
        try FileManager.default.createDirectory(atPath: directory + "/inputs", withIntermediateDirectories: true)
        for (index, sample) in request.evaluation.enumerated() {
            try Npz.write(sample, to: directory + "/inputs/\(1000 + index).npz")
        }
        let reference = try Self.runInOnnxruntime(path, inputs: directory + "/inputs", out: directory + "/reference")
        let candidate = try Self.runInOnnxruntime(
            directory + "/variant.onnx", inputs: directory + "/inputs", out: directory + "/candidate")
        #expect(reference.count == request.evaluation.count)
        let measured = request.metric.score(
            reference: reference, candidate: candidate, scoreThreshold: request.scoreThreshold)
        print(
            "\(test): report \(String(format: "%.4f", claimed)), onnxruntime \(String(format: "%.4f", measured)) on \(reference.count) samples"
        )
        #expect(abs(measured - claimed) <= 0.005, "\(test): the report says \(claimed), onnxruntime gives \(measured)")
    }

    /// Runs `model` in onnxruntime (CPU, 2 threads) on every `.npz` in `inputs`, in name
    /// order, and reads the outputs back.
    static func runInOnnxruntime(_ model: String, inputs: String, out: String) throws -> [[String: Tensor]] {
        try OraclePython.run(["-c", script, model, inputs, out], what: "onnxruntime failed on \(model)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out).filter { $0.hasSuffix(".npz") }.sorted()
        return try files.map { try Npz.read(path: out + "/" + $0) }
    }

    static let script = """
        import glob, os, sys
        import numpy as np
        import onnxruntime as ort
        model, inputs, out = sys.argv[1:4]
        options = ort.SessionOptions()
        options.intra_op_num_threads = 2
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        names = [o.name for o in session.get_outputs()]
        os.makedirs(out, exist_ok=True)
        for path in sorted(glob.glob(os.path.join(inputs, "*.npz"))):
            feed = dict(np.load(path))
            results = session.run(None, feed)
            np.savez(os.path.join(out, os.path.basename(path)), **dict(zip(names, results)))
        """
}
