import GSCore
import ONNX

/// Whether a model's int8 Convs get bias correction is measured, not assumed.
///
/// `BiasCorrection` removes the mean shift that rounding weights to int8 causes. On the
/// SSDLite person detector that is worth about a point of box F1 (98.2% with it, 97.4%
/// without, 500 frames of vtest.avi), but on PP-OCRv4's text detector it costs as much
/// (text-box F1 99.1% with it, 99.8% without, 500 pages; undoing one Conv's correction at
/// a time raised F1 for 31 of its 54 corrected Convs and lowered it for 6), probably
/// because a mean over every pixel says little about the few text pixels where that
/// map's decisions are made. So the quantizer runs both ways and
/// the compiler keeps the form that scores better on the evaluation samples; a tie, or no
/// evaluation data, keeps the corrected form.
public enum BiasCorrectionChoice {
    public struct Choice: Sendable {
        /// The configuration later steps (the int8-mixed search) quantize with.
        public var config: QuantizationConfig
        public var result: QDQQuantizer.Result
        /// The kept form's score; nil without evaluation samples.
        public var score: Double?
        /// What was compared, for the variant's notes; nil when there was nothing to compare.
        public var note: String?
    }

    /// `evaluate` scores a candidate (1 = the float model's behaviour; nil = no evaluation
    /// data). Models without a corrected bias, and a `config` that turns the correction off,
    /// are quantized and scored once.
    public static func choose(
        model: ModelProto, statistics: [String: TensorStatistics], config: QuantizationConfig,
        evaluate: (ModelProto) throws -> Double?
    ) throws -> Choice {
        let asGiven = try QDQQuantizer(config: config, statistics: statistics).quantize(model)
        let givenScore = try evaluate(asGiven.model)
        guard config.biasCorrection, let givenScore else {
            return Choice(config: config, result: asGiven, score: givenScore, note: nil)
        }
        var plain = config
        plain.biasCorrection = false
        let withoutCorrection = try QDQQuantizer(config: plain, statistics: statistics).quantize(model)
        if withoutCorrection.model == asGiven.model {
            return Choice(config: config, result: asGiven, score: givenScore, note: nil)
        }
        guard let plainScore = try evaluate(withoutCorrection.model) else {
            return Choice(config: config, result: asGiven, score: givenScore, note: nil)
        }
        func percent(_ score: Double) -> String { DecimalText.fixed(score * 100, digits: 2) + "%" }
        let scores = "\(percent(givenScore)) with it, \(percent(plainScore)) without"
        if plainScore > givenScore {
            return Choice(
                config: plain, result: withoutCorrection, score: plainScore,
                note: "bias correction left out: \(scores)")
        }
        return Choice(
            config: config, result: asGiven, score: givenScore,
            note: "bias correction kept: \(scores)")
    }
}
