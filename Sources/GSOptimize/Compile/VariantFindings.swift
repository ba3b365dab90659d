import GSCore
import GSExec
import ONNX

/// What the report says about a compiled variant beyond its score: how much of its work
/// runs in int8, and how much its evaluation samples can tell. Each comes with a note when
/// it changes what a reader should conclude from the rest of the report.
extension VariantReport {
    /// Records the share of the multiply-adds that run in int8 (`FLOPCount.integer`), with a
    /// note when int8-mixed kept most or all of them in float: float islands cost
    /// conversions at every border, so such a variant may be no faster than fp32.
    mutating func recordIntegerShare(of variant: ModelProto, shapes: [String: [Int]]) {
        guard let count = try? FLOPCount.measure(variant, shapes: shapes), count.total > 0 else { return }
        integerShare = count.integerShare
        if count.integer == 0 {
            notes.append(
                "no multiply-add runs in int8 (every quantized convolution and product was kept in float): this variant computes as the fp32 one does, at its speed"
            )
        } else if count.integerShare < 0.5 {
            notes.append(
                "only \(DecimalText.fixed(count.integerShare * 100, digits: 1))% of the multiply-adds run in int8 (the rest in float): runtimes convert at every int8/float border, so this variant may be no faster than fp32; measure it on the device (precision: auto, gsctl device bench)"
            )
        }
    }

    /// Records the score's bootstrap interval over the evaluation samples (95%, or the
    /// Model's `evaluation.confidence`), with a note when the tolerance is met but the
    /// interval reaches below it (without confidence asked, `met` looks at the score alone).
    mutating func recordScoreInterval(
        reference: [[String: Tensor]], candidate: [[String: Tensor]], request: CompileRequest
    ) {
        scoreInterval = ScoreInterval.of(
            request.metric, reference: reference, candidate: candidate, scoreThreshold: request.scoreThreshold,
            scoreMargin: request.scoreMargin, level: request.confidence ?? 0.95)
        guard let interval = scoreInterval, met, interval.low < 1 - request.tolerance - 1e-9 else { return }
        let percent = { (value: Double) in DecimalText.fixed(value * 100, digits: 2) + "%" }
        notes.append(
            "met on \(request.evaluation.count) samples, but the score's 95% interval (\(percent(interval.low))-\(percent(interval.high))) reaches below the tolerance's \(percent(1 - request.tolerance)): too few samples to be sure; evaluate on more (evaluation.samples, more data)"
        )
    }
}
