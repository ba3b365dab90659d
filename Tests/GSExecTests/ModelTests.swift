import Foundation
import GSExec
import ONNX
import Testing

/// The executor on the four real models against onnxruntime: every output within
/// max|ours - ref| <= 1e-4 · max|ref| + 1e-6.
@Suite(.serialized) struct ModelTests {
    @Test(arguments: [
        ("ppocr_cls.onnx", "cls"), ("ssdlite_person.onnx", "ssd"), ("ppocrv4_rec.onnx", "rec"),
        ("ppocrv4_det.onnx", "det"),
    ])
    func matchesOnnxRuntime(model file: String, kind: String) throws {
        guard let path = ModelReference.modelPath(file) else {
            Issue.record("\(file) not found in ../shared/models or Specs/models: run `make models`")
            return
        }
        let reference = try ModelReference.compute(model: path, kind: kind)
        let model = try ModelFile.load(path)
        let executor = try ONNXImport.executor(for: model)
        let started = Date()
        let outputs = try executor.run(reference.inputs)
        let seconds = Date().timeIntervalSince(started)
        for (name, expected) in reference.outputs {
            let actual = try #require(outputs[name], "no output \(name)")
            #expect(actual.shape == expected.shape, "\(file) \(name): shape \(actual.shape) vs \(expected.shape)")
            let a = actual.floatValues
            let e = expected.floatValues
            guard a.count == e.count else { continue }
            let scale = e.map { abs($0) }.max() ?? 0
            var worst: Float = 0
            for i in 0..<a.count { worst = max(worst, abs(a[i] - e[i])) }
            #expect(worst <= 1e-4 * scale + 1e-6, "\(file) \(name): max difference \(worst), max |ref| \(scale)")
        }
        print("model \(file): \(String(format: "%.3f", seconds)) s per run in this build")
    }
}
