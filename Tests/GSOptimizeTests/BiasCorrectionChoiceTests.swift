import GSExec
import GSOptimize
import ONNX
import Testing

/// Bias correction is kept where it makes the quantized model agree better with the float
/// one on the evaluation samples, and left out where it makes it worse (PP-OCRv4 det: it
/// cost 0.7 points of text-box F1).
@Suite struct BiasCorrectionChoiceTests {
    /// A depthwise convolution, whose nine weights per channel round the same way on every
    /// frame, calibrated on inputs in [-1, 3] (mean 1).
    static let model = QDQFormTests.convIntoReshape(
        weights: Build.weight("w", [16, 1, 3, 3], low: -0.6, high: 0.6),
        bias: TensorProto(name: "b", shape: [16], values: [Float](repeating: 0.1, count: 16)), group: 16,
        channels: 16)

    static func statistics(_ config: QuantizationConfig) throws -> [String: TensorStatistics] {
        try Calibrator(
            executor: try ONNXImport.executor(for: model),
            tensors: QDQQuantizer.tensorsToCalibrate(model, config: config), method: config.method
        ).run(QDQFormTests.feeds(16, channels: 16, low: -1, high: 3))
    }

    /// 1 - mean |quantized - float| / mean |float| on `samples`: 1 = the float model's outputs.
    static func agreement(_ samples: [[String: Tensor]]) -> (ModelProto) throws -> Double? {
        { candidate in
            let float = try ONNXImport.executor(for: model)
            let quantized = try ONNXImport.executor(for: candidate)
            var (error, magnitude) = (0.0, 0.0)
            for sample in samples {
                let a = try float.run(sample)["out"]!.floatValues
                let b = try quantized.run(sample)["out"]!.floatValues
                for (x, y) in zip(a, b) {
                    error += Double(abs(y - x))
                    magnitude += Double(abs(x))
                }
            }
            return 1 - error / magnitude
        }
    }

    static func evaluation(low: Float, high: Float) -> [[String: Tensor]] {
        (16..<32).map { ["x": Build.feed([1, 16, 6, 6], seed: "x\($0)", low: low, high: high)] }
    }

    @Test func keepsTheCorrectionWhereTheEvaluationDataLooksLikeTheCalibrationData() throws {
        let config = QuantizationConfig()
        let choice = try BiasCorrectionChoice.choose(
            model: Self.model, statistics: try Self.statistics(config), config: config,
            evaluate: Self.agreement(Self.evaluation(low: -1, high: 3)))
        #expect(choice.config.biasCorrection)
        #expect(choice.note?.hasPrefix("bias correction kept: ") == true, "\(choice.note ?? "no note")")
        let corrected = try QDQQuantizer(config: config, statistics: try Self.statistics(config)).quantize(Self.model)
        #expect(choice.result.model == corrected.model)
    }

    @Test func leavesTheCorrectionOutWhereItMovesOutputsAway() throws {
        // Inputs centred on 0, inside the calibrated range: the rounding shift calibration
        // measured at mean 1 is not there, so subtracting it moves outputs away from the
        // float model's.
        let config = QuantizationConfig()
        let evaluate = Self.agreement(Self.evaluation(low: -1, high: 1))
        let choice = try BiasCorrectionChoice.choose(
            model: Self.model, statistics: try Self.statistics(config), config: config, evaluate: evaluate)
        #expect(!choice.config.biasCorrection)
        #expect(choice.note?.hasPrefix("bias correction left out: ") == true, "\(choice.note ?? "no note")")
        var plain = config
        plain.biasCorrection = false
        let uncorrected = try QDQQuantizer(config: plain, statistics: try Self.statistics(plain)).quantize(Self.model)
        #expect(choice.result.model == uncorrected.model)
        let corrected = try QDQQuantizer(config: config, statistics: try Self.statistics(config)).quantize(Self.model)
        let kept = try #require(try evaluate(choice.result.model))
        #expect(choice.score == kept)
        #expect(kept > (try #require(try evaluate(corrected.model))))
    }

    /// Through the compiler `gsctl model optimize` and `gsctl build` use: the variant's notes
    /// say which form shipped, with both scores.
    /// (The compiler's `output-error` is the largest error, so the calibration mean is put
    /// further from the evaluation data's for the correction to lose.)
    @Test(arguments: [(Float(-1), Float(7), "bias correction kept: "), (-1, 1, "bias correction left out: ")])
    func theCompilersNotesSayWhichFormShipped(low: Float, high: Float, note: String) throws {
        let request = CompileRequest(
            precision: .int8, metric: .outputError, tolerance: 0.5,
            calibration: QDQFormTests.feeds(16, channels: 16, low: -1, high: 7),
            evaluation: Self.evaluation(low: low, high: high))
        let variant = try Compiler.compile(Self.model, request)
        #expect(variant.report.notes.contains { $0.hasPrefix(note) }, "\(variant.report.notes)")
    }

    @Test func aConfigurationWithoutCorrectionIsQuantizedAndScoredOnceAsGiven() throws {
        var config = QuantizationConfig()
        config.biasCorrection = false
        var evaluations = 0
        let choice = try BiasCorrectionChoice.choose(
            model: Self.model, statistics: try Self.statistics(config), config: config
        ) { _ in
            evaluations += 1
            return 0.5
        }
        #expect(evaluations == 1)
        #expect(!choice.config.biasCorrection)
        #expect(choice.note == nil)
        let uncorrected = try QDQQuantizer(config: config, statistics: try Self.statistics(config)).quantize(Self.model)
        #expect(choice.result.model == uncorrected.model)
    }

    @Test func withoutEvaluationDataTheCorrectedFormIsQuantizedOnce() throws {
        let config = QuantizationConfig()
        var evaluations = 0
        let choice = try BiasCorrectionChoice.choose(
            model: Self.model, statistics: try Self.statistics(config), config: config
        ) { _ in
            evaluations += 1
            return nil
        }
        #expect(evaluations == 1)
        #expect(choice.config.biasCorrection)
        #expect(choice.score == nil)
        #expect(choice.note == nil)
    }
}
