import Foundation
import GSCore
import GSData
import GSExec
import GSOptimize
import ONNX
import Testing

/// The compiler end to end on real models: each precision compiles, checks its accuracy
/// against the original on held-out samples, and reports what it did.
@Suite(.serialized) struct CompilerTests {
    /// The direction classifier on the text lines its Model spec calibrates and evaluates on
    /// (a quarter upside down): 16 to calibrate, 24 others to score. On photos, which hold no
    /// text, its decisions sit near 0.5 and flip with any rounding.
    static func clsRequest(_ precision: TargetPrecision) throws -> (ModelProto, CompileRequest) {
        guard let path = QuantizeFixtures.modelPath("ppocr_cls.onnx") else {
            throw CompileError(message: "ppocr_cls.onnx missing")
        }
        let preprocessing = QuantizeFixtures.ppocr(width: 192, height: 48)
        let lines = QuantizeFixtures.repository.appendingPathComponent("Specs/data/text-lines").path
        let calibration = try QuantizeFixtures.samples(
            input: "x", preprocessing: preprocessing, count: 16, directory: lines)
        let evaluation = try QuantizeFixtures.samples(
            input: "x", preprocessing: preprocessing, count: 24, offset: 40, directory: lines)
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
            "cls \(precision.rawValue): nodes \(report.nodesBefore) -> \(report.nodesAfter), bytes \(report.bytesBefore) -> \(report.bytesAfter), score \(report.score ?? -1), int8 share \(report.integerShare ?? -1), \(String(format: "%.2f", report.seconds)) s, notes \(report.notes)"
        )
        #expect(report.shipped == precision)
        #expect(report.met)
        #expect(report.nodesAfter < report.nodesBefore)
        #expect(!variant.goldenOutputs.isEmpty)
        let interval = try #require(report.scoreInterval)
        let score = try #require(report.score)
        #expect(interval.low <= score && score <= interval.high)
        // The fixed input shape is what the report (and `gsctl diff`) records; the original
        // model's height and width were symbolic.
        #expect(report.inputs == ["x": "[1, 3, 48, 192]"])
        if precision == .fp16 { #expect(report.bytesAfter < report.bytesBefore * 6 / 10) }
        // Every Conv and the classifier's Gemm read int8: nearly all the work is integer.
        if precision == .int8 || precision == .int8Mixed {
            #expect((report.integerShare ?? 0) > 0.95, "\(String(describing: report.integerShare))")
        } else {
            #expect(report.integerShare == nil)
        }
        // A small model carries scales and zero points per tensor: int8 roughly halves it.
        if precision == .int8 || precision == .int8Mixed { #expect(report.bytesAfter < report.bytesBefore * 6 / 10) }
    }

    /// `fp16Interface`: the variant takes and returns float16, is scored on the float32
    /// samples narrowed to float16 (what its callers feed), and its golden input is float16,
    /// so a device's check feeds the type the model declares.
    @Test func fp16InterfaceVariantIsScoredAndGoldenInFloat16() throws {
        var (model, request) = try Self.clsRequest(.fp16)
        request.fp16Interface = true
        let variant = try Compiler.compile(model, request)
        #expect(variant.model.graph.input.map { $0.tensorType?.elementType } == [.float16])
        #expect(variant.model.graph.output.map { $0.tensorType?.elementType } == [.float16])
        #expect(variant.report.met)
        #expect((variant.report.score ?? 0) >= 0.95)
        #expect(variant.goldenInput["x"]?.dataType == .float16)
        #expect(variant.goldenOutputs.values.allSatisfy { $0.dataType == .float16 })
        // The default keeps the original's float32 interface.
        let plain = try Compiler.compile(model, try Self.clsRequest(.fp16).1)
        #expect(plain.model.graph.input.map { $0.tensorType?.elementType } == [.float])
        #expect(plain.goldenInput["x"]?.dataType == .float)
    }

    /// An int8-mixed variant that had to keep its work in float says so: the share of
    /// multiply-adds left in int8 is in the report, with what it means for speed.
    @Test func int8MixedKeepingMostWorkInFloatSaysSo() throws {
        var (model, request) = try Self.clsRequest(.int8Mixed)
        request.metric = .outputError
        request.tolerance = 0.02
        let variant = try Compiler.compile(model, request)
        let share = try #require(variant.report.integerShare)
        // Output error within 2% needs nearly every convolution in float on this classifier
        // (almost none of the multiply-adds stay int8 on these lines), and without a confidence
        // the batch ships as the search found it, saying what a confidence would add.
        #expect(share < 0.1)
        #expect(variant.report.search.allSatisfy { $0.giveBack == nil })
        #expect(
            variant.report.notes.contains { $0.contains("with evaluation.confidence (--confidence) it also gives") })
        #expect(variant.report.notes.contains { $0.hasPrefix("only ") && $0.contains("may be no faster than fp32") })
        // The report keeps the search's trials: everything quantized first (it missed), and
        // the shipped set among them, with the score the report gives.
        let search = variant.report.search
        let first = try #require(search.first)
        #expect(first.excludedNodes == 0 && first.score < 1 - request.tolerance)
        let shipped = search.filter { $0.score >= 1 - request.tolerance }.min { $0.excludedNodes < $1.excludedNodes }
        #expect(shipped?.score == variant.report.score)
        #expect(search.count >= 2 && search.allSatisfy { (0...1).contains($0.score) })
        guard case .array(let steps)? = variant.report.json.member("search") else {
            Issue.record("the JSON report has no search")
            return
        }
        #expect(steps.count == search.count)
        #expect(steps.first?.member("keptNodes") == .int(0))
        // Within 0.01% nothing can stay int8, and the note says the variant is fp32's math.
        request.tolerance = 0.0001
        let float = try Compiler.compile(model, request)
        #expect(float.report.integerShare == 0)
        #expect(float.report.notes.contains { $0.hasPrefix("no multiply-add runs in int8") })
    }

    /// With a confidence, int8-mixed gives the Convs its batch kept in float but the
    /// tolerance does not need back to int8, most multiply-adds first: more of the work runs
    /// in int8 than the batch alone leaves, the low end still meets the tolerance, and the
    /// report lists each give-back trial.
    @Test func int8MixedWithAConfidenceGivesConvsBackToInt8() throws {
        var (model, request) = try Self.clsRequest(.int8Mixed)
        request.metric = .outputError
        request.tolerance = 0.02
        let batchOnly = try Compiler.compile(model, request)
        request.confidence = 0.95
        let variant = try Compiler.compile(model, request)
        #expect(variant.report.met)
        let low = try #require(variant.report.scoreInterval?.low)
        #expect(low >= 1 - request.tolerance)
        let trials = variant.report.search.compactMap(\.giveBack)
        #expect(trials.contains { $0.stayed })
        let share = try #require(variant.report.integerShare)
        #expect(share > (batchOnly.report.integerShare ?? 1))
        #expect(variant.report.notes.contains { $0.contains("back to int8, most multiply-adds first") })
        guard case .array(let steps)? = variant.report.json.member("search") else {
            Issue.record("the JSON report has no search")
            return
        }
        #expect(steps.contains { $0.member("requantized") != nil && $0.member("keptInInt8") == .bool(true) })
        print(
            "int8-mixed on cls: int8 share \(batchOnly.report.integerShare ?? 0) -> \(share), \(trials.count) give-back trials"
        )
    }

    /// `evaluation.confidence`: a variant whose score is within the tolerance on the
    /// evaluation samples, but whose interval at that confidence reaches below it, misses:
    /// the build fails saying how low the drop could go, or ships fp32 where the Model allows.
    @Test func confidenceMissesAVariantWhoseIntervalReachesBelowTheTolerance() throws {
        var (model, request) = try Self.clsRequest(.int8)
        // Ranges from two lines leave a few of the 24 evaluation lines turned the other way.
        request.calibration = Array(request.calibration.prefix(2))
        request.tolerance = 0.5
        let loose = try Compiler.compile(model, request)
        let score = try #require(loose.report.score)
        let low = try #require(loose.report.scoreInterval?.low)
        try #require(low < score, "int8 agrees with fp32 on every line: nothing for an interval to doubt")
        // A tolerance the score meets and the interval's low end does not.
        request.tolerance = 1 - (score + low) / 2
        let plain = try Compiler.compile(model, request)
        #expect(plain.report.met && plain.report.shipped == .int8)
        #expect(plain.report.notes.contains { $0.contains("too few samples to be sure") })
        request.confidence = 0.95
        do {
            _ = try Compiler.compile(model, request)
            Issue.record("int8 passed although its interval reaches below the tolerance")
        } catch let error as CompileError {
            #expect(error.message.contains("at confidence 0.95"), "\(error.message)")
            #expect(error.report?.confidence == 0.95)
            #expect(error.report?.json.member("confidence") == .double(0.95))
        }
        request.onMiss = .shipFloat
        let float = try Compiler.compile(model, request)
        #expect(float.report.shipped == .fp32 && float.report.met)
        #expect(float.report.notes.contains { $0.contains("at confidence 0.95") && $0.contains("shipping the fp32") })
    }

    /// Accuracy on labels has no interval: a confidence asked for there is not claimed in the
    /// report (nor in the build report's tolerance column), and a note says why.
    @Test func confidenceIsNotClaimedForAccuracyOnLabels() throws {
        var (model, request) = try Self.clsRequest(.fp16)
        request.labels = EvaluationLabels(
            kind: .classIndex, values: Array(repeating: "0", count: request.evaluation.count), metric: "top1-accuracy")
        request.confidence = 0.95
        let variant = try Compiler.compile(model, request)
        #expect(variant.report.labelled != nil)
        #expect(variant.report.confidence == nil)
        #expect(variant.report.json.member("confidence") == nil)
        #expect(
            variant.report.notes.contains { $0.hasPrefix("evaluation.confidence is not applied to accuracy on labels") }
        )
    }

    @Test func missingCalibrationIsAClearError() throws {
        var (model, request) = try Self.clsRequest(.int8)
        request.calibration = []
        #expect(throws: CompileError.self) { _ = try Compiler.compile(model, request) }
    }

    static func count(_ op: String, in model: ModelProto) -> Int { model.graph.node.filter { $0.opType == op }.count }

    /// A model that arrives quantized (as quantization-aware training exports it) is verified
    /// and kept: no calibration, no second set of Q/DQ, weights still int8.
    @Test func anAlreadyQuantizedModelIsVerifiedAndNotQuantizedAgain() throws {
        let (model, request) = try Self.clsRequest(.int8)
        let quantized = try Compiler.compile(model, request).model
        for precision in [TargetPrecision.int8, .int8Mixed] {
            var again = request
            again.precision = precision
            again.calibration = []  // none needed: nothing is calibrated
            let variant = try Compiler.compile(quantized, again)
            #expect(variant.report.notes.contains { $0.contains("already quantized") }, "\(variant.report.notes)")
            #expect(Self.count("QuantizeLinear", in: variant.model) == Self.count("QuantizeLinear", in: quantized))
            #expect(Self.count("DequantizeLinear", in: variant.model) == Self.count("DequantizeLinear", in: quantized))
            // Every Conv still reads its weights through DequantizeLinear (none were folded
            // into float weights by the passes).
            let dequantized = Set(
                variant.model.graph.node.filter { $0.opType == "DequantizeLinear" }.flatMap(\.output))
            let convs = variant.model.graph.node.filter { $0.opType == "Conv" }
            #expect(!convs.isEmpty && convs.allSatisfy { dequantized.contains($0.input[1]) })
            #expect(variant.report.score == 1)
            #expect(variant.report.shipped == precision)
        }
    }

    @Test func anAlreadyQuantizedModelWithUnusableParametersIsRefused() throws {
        let (model, request) = try Self.clsRequest(.int8)
        let quantized = try Compiler.compile(model, request).model
        // onnxruntime's form (uint8 activations) is not TensorRT's.
        var tensorRT = request
        tensorRT.format = .tensorRT
        do {
            _ = try Compiler.compile(quantized, tensorRT)
            Issue.record("uint8 activations should be refused for TensorRT")
        } catch let error as CompileError {
            #expect(error.message.contains("TensorRT runs only symmetric int8"), "\(error.message)")
            #expect(error.message.contains("the model is already quantized"), "\(error.message)")
        }
        // A zero scale cannot dequantize anything.
        var broken = quantized
        let quantize = try #require(broken.graph.node.first { $0.opType == "QuantizeLinear" })
        let index = try #require(broken.graph.initializer.firstIndex { $0.name == quantize.input[1] })
        broken.graph.initializer[index] = TensorProto(
            name: quantize.input[1], shape: [], values: [Float(0)])
        do {
            _ = try Compiler.compile(broken, request)
            Issue.record("a zero scale should be refused")
        } catch let error as CompileError {
            #expect(
                error.message.contains("QuantizeLinear `\(quantize.name)`: its scale"), "\(error.message)")
            #expect(error.message.contains("holds 0.0; scales must be finite and positive"), "\(error.message)")
        }
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
