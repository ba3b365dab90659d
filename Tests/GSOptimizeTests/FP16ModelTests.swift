import Foundation
import GSExec
import GSOptimize
import ONNX
import Testing

/// The fp16 pass on the four real models: each is converted, saved, checked by onnx.checker
/// (full check: strict shape and type inference) and run on a realistic input in
/// onnxruntime and in our executor, then compared three ways: onnxruntime FP32 (the
/// reference), onnxruntime FP16 and our executor FP16.
///
/// Tolerances are float16's, not float32's, and the two FP16 runs differ about as much from
/// each other as from FP32: onnxruntime's CPU provider has no float16 kernels for most ops,
/// so it casts the float16 weights up and computes the whole chain in float32 (only the
/// weights are rounded), while our executor, like a GPU or NPU runtime, rounds every op's
/// output to float16. Probability outputs get absolute bounds (float16 keeps ~3 decimal
/// digits, and errors grow through ~100 layers), and each model is also judged on what
/// its user sees: the class, the decoded text, the text mask, the detections.
@Suite(.serialized) struct FP16ModelTests {
    /// Outputs of the three runs of one model.
    struct Runs {
        var reference: [String: Tensor]
        var runtime: [String: Tensor]
        var ours: [String: Tensor]
    }

    @Test(arguments: [
        ("ppocr_cls.onnx", "cls"), ("ppocrv4_rec.onnx", "rec"), ("ppocrv4_det.onnx", "det"),
        ("ssdlite_person.onnx", "ssd"),
    ])
    func convertsRealModel(file: String, kind: String) throws {
        guard let path = FP16Oracle.modelPath(file) else {
            Issue.record("\(file) not found in ../shared/models or Specs/models: run `make models`")
            return
        }
        let model = try ModelFile.load(path)
        let clock = ContinuousClock()
        let started = clock.now
        let (converted, report) = try FP16Pass().apply(model, PassContext())
        let conversion = clock.now - started
        let directory = try FP16Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let convertedPath = directory + "/" + file.replacingOccurrences(of: ".onnx", with: "_fp16.onnx")
        try ModelFile.save(converted, to: convertedPath)
        let sizeBefore = try fileSize(path)
        let sizeAfter = try fileSize(convertedPath)

        let reference = try FP16Oracle.run(model: path, kind: kind)
        let runtime = try FP16Oracle.run(model: convertedPath, kind: kind)
        #expect(runtime.checker == "ok", "\(file): onnx.checker: \(runtime.checker)")
        #expect(Double(sizeAfter) <= 0.56 * Double(sizeBefore), "\(file): \(sizeBefore) -> \(sizeAfter) bytes")
        let executor = try ONNXImport.executor(for: try ModelFile.load(convertedPath))
        let executorStarted = clock.now
        let ours = try executor.run(runtime.inputs)
        let executorTime = clock.now - executorStarted

        let counts = report.counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        print("fp16 \(file): \(counts.joined(separator: " "))")
        print("fp16 \(file): size \(sizeBefore) -> \(sizeAfter) bytes, conversion \(conversion)")
        print(
            "fp16 \(file): one run: onnxruntime fp32 \(reference.seconds) s, fp16 \(runtime.seconds) s; ours \(executorTime)"
        )
        for note in report.notes { print("fp16 \(file): \(note)") }
        let runs = Runs(
            reference: Dictionary(uniqueKeysWithValues: reference.outputs.map { ($0.name, $0.tensor) }),
            runtime: Dictionary(uniqueKeysWithValues: runtime.outputs.map { ($0.name, $0.tensor) }), ours: ours)
        for (name, expected) in runs.reference {
            guard let fromRuntime = runs.runtime[name], let fromOurs = runs.ours[name] else {
                Issue.record("\(file): output \(name) missing")
                continue
            }
            #expect(fromRuntime.dataType == expected.dataType && fromOurs.dataType == expected.dataType)
            #expect(fromRuntime.shape == expected.shape && fromOurs.shape == expected.shape)
            print("fp16 \(file) \(name): onnxruntime fp16 vs fp32: \(FP16Difference(fromRuntime, expected))")
            print("fp16 \(file) \(name): ours fp16 vs fp32: \(FP16Difference(fromOurs, expected))")
            print("fp16 \(file) \(name): ours vs onnxruntime, both fp16: \(FP16Difference(fromOurs, fromRuntime))")
        }
        switch kind {
        case "cls": checkClassifier(runs, file: file)
        case "rec": checkRecognizer(runs, file: file)
        case "det": checkDetector(runs, file: file)
        default: checkSSD(runs, file: file)
        }
    }

    /// The same model converts to the same bytes (names and order never depend on hashing),
    /// and converting a converted model changes nothing.
    @Test func conversionIsDeterministicAndIdempotent() throws {
        guard let path = FP16Oracle.modelPath("ssdlite_person.onnx") else {
            Issue.record("ssdlite_person.onnx not found in ../shared/models or Specs/models: run `make models`")
            return
        }
        let model = try ModelFile.load(path)
        let (first, _) = try FP16Pass().apply(model, PassContext())
        let (second, _) = try FP16Pass().apply(model, PassContext())
        #expect(first.serialized() == second.serialized())
        let (again, report) = try FP16Pass().apply(first, PassContext())
        #expect(again.serialized() == first.serialized())
        #expect(report.counts["nodesConverted"] == 0 && report.counts["castsInserted"] == 0)
    }

    /// Without `keepIOTypes` the model takes and returns float16 and has no border Casts.
    @Test func float16InterfaceOnTheClassifier() throws {
        guard let path = FP16Oracle.modelPath("ppocr_cls.onnx") else {
            Issue.record("ppocr_cls.onnx not found in ../shared/models or Specs/models: run `make models`")
            return
        }
        let model = try ModelFile.load(path)
        let (converted, report) = try FP16Pass(options: FP16Options(keepIOTypes: false)).apply(model, PassContext())
        #expect(report.counts["castsInserted"] == 0)
        #expect(converted.graph.input.map { $0.tensorType?.elementType } == [.float16])
        #expect(converted.graph.output.map { $0.tensorType?.elementType } == [.float16])
        let directory = try FP16Oracle.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try ModelFile.save(converted, to: directory + "/cls_fp16_io.onnx")
        let reference = try FP16Oracle.run(model: path, kind: "cls")
        let runtime = try FP16Oracle.run(model: directory + "/cls_fp16_io.onnx", kind: "cls")
        #expect(runtime.checker == "ok", "onnx.checker: \(runtime.checker)")
        #expect(runtime.inputs["x"]?.dataType == .float16)
        let ours = try ONNXImport.executor(for: converted).run(runtime.inputs)
        let name = "save_infer_model/scale_0.tmp_1"
        let expected = try #require(reference.output(name))
        for actual in [try #require(runtime.output(name)), try #require(ours[name])] {
            #expect(actual.dataType == .float16)
            #expect(FP16Agreement.argmax(actual) == FP16Agreement.argmax(expected))
            #expect(FP16Difference(actual, expected).maxAbsolute <= 0.01)
        }
    }

    /// Pairs of runs to compare: each FP16 run against FP32, and the two FP16 runs.
    private func pairs(_ runs: Runs, _ name: String) -> [(label: String, actual: Tensor, expected: Tensor)] {
        guard let reference = runs.reference[name], let runtime = runs.runtime[name], let ours = runs.ours[name] else {
            Issue.record("output \(name) missing")
            return []
        }
        return [
            ("onnxruntime fp16 vs fp32", runtime, reference), ("ours fp16 vs fp32", ours, reference),
            ("ours vs onnxruntime fp16", ours, runtime),
        ]
    }

    /// PP-OCR's direction classifier: two softmax probabilities; same class, within 0.01.
    private func checkClassifier(_ runs: Runs, file: String) {
        for (label, actual, expected) in pairs(runs, "save_infer_model/scale_0.tmp_1") {
            #expect(FP16Agreement.argmax(actual) == FP16Agreement.argmax(expected), "\(file) \(label): class")
            let difference = FP16Difference(actual, expected)
            #expect(difference.maxAbsolute <= 0.01, "\(file) \(label): \(difference)")
        }
    }

    /// PP-OCRv4's recogniser: per-step character probabilities; same decoded text, within 0.02.
    private func checkRecognizer(_ runs: Runs, file: String) {
        for (label, actual, expected) in pairs(runs, "softmax_11.tmp_0") {
            let text = FP16Agreement.ctcDecode(expected)
            #expect(!text.isEmpty, "\(file): the reference decodes to no text")
            #expect(FP16Agreement.ctcDecode(actual) == text, "\(file) \(label): decoded text differs")
            let difference = FP16Difference(actual, expected)
            #expect(difference.maxAbsolute <= 0.02, "\(file) \(label): \(difference)")
        }
    }

    /// PP-OCRv4's text detector: a probability map; the text mask (> 0.3) may differ only
    /// on boundary pixels, where the map is steep (0.5% of pixels), and on average by 0.002.
    private func checkDetector(_ runs: Runs, file: String) {
        for (label, actual, expected) in pairs(runs, "sigmoid_0.tmp_0") {
            let disagreement = FP16Agreement.maskDisagreement(actual, expected)
            let mean = FP16Agreement.meanDifference(actual, expected)
            print("fp16 \(file) \(label): text mask disagrees on \(disagreement * 100)% of pixels, mean |diff| \(mean)")
            #expect(disagreement <= 0.005, "\(file) \(label): text mask differs on \(disagreement * 100)% of pixels")
            #expect(mean <= 0.002, "\(file) \(label): mean |diff| \(mean)")
        }
    }

    /// SSDLite: detections after the model's own NMS, compared as sets: every detection
    /// scoring >= 0.5 in one run must have a match (same class, IoU >= 0.8) scoring >= 0.4
    /// in the other (a score moving a little across 0.5 is not a miss; NMS may order near
    /// ties differently, so outputs are not compared slot by slot).
    private func checkSSD(_ runs: Runs, file: String) {
        let sets = [runs.reference, runs.runtime, runs.ours].map { FP16Detection.list($0, threshold: 0.4) }
        let labels = ["onnxruntime fp32", "onnxruntime fp16", "ours fp16"]
        #expect(sets[0].contains { $0.score >= 0.5 }, "\(file): the reference frame has no detection")
        for (first, second) in [(0, 1), (0, 2), (1, 2)] {
            for (a, b) in [(first, second), (second, first)] {
                let missing = FP16Detection.unmatched(sets[a], in: sets[b], threshold: 0.5, margin: 0.1, minIoU: 0.8)
                #expect(missing.isEmpty, "\(file): \(labels[a]) detections missing from \(labels[b]): \(missing)")
            }
            var worstScore: Float = 0
            var worstIoU: Float = 1
            for wanted in sets[first] where wanted.score >= 0.5 {
                guard let match = sets[second].max(by: { $0.iou(wanted) < $1.iou(wanted) }) else { continue }
                worstScore = max(worstScore, (match.score - wanted.score).magnitude)
                worstIoU = min(worstIoU, match.iou(wanted))
            }
            print(
                "fp16 \(file) \(labels[second]) vs \(labels[first]): \(sets[first].filter { $0.score >= 0.5 }.count) detections >= 0.5, worst score diff \(worstScore), worst IoU \(worstIoU)"
            )
            #expect(worstScore <= 0.02, "\(file) \(labels[second]) vs \(labels[first]): score differs by \(worstScore)")
        }
    }

    private func fileSize(_ path: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    }
}
