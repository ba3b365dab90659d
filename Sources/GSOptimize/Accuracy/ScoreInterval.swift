import GSCore
import GSExec

/// How far a score measured on a few evaluation samples could be from the score on the data
/// the service will see: a 95% bootstrap interval over the samples (the percentile method,
/// 400 resamples from a fixed seed, so reports stay byte-identical). Sixty-seven frames
/// decide a one-point tolerance only roughly, and the report should say so rather than
/// claim a margin it cannot resolve.
public struct ScoreInterval: Sendable, Hashable {
    public var low: Double
    public var high: Double

    /// The interval of `metric` over these samples; nil for fewer than two.
    public static func of(
        _ metric: AccuracyMetric, reference: [[String: Tensor]], candidate: [[String: Tensor]],
        scoreThreshold: Float = Detections.scoreThreshold, scoreMargin: Float = Detections.margin,
        resamples: Int = 400
    ) -> ScoreInterval? {
        guard reference.count >= 2, reference.count == candidate.count else { return nil }
        let rows = metric.rowsPerSample(
            reference: reference, candidate: candidate, scoreThreshold: scoreThreshold, scoreMargin: scoreMargin)
        var generator = SplitMix64(seed: 0x6773_6374_6c5f_6369)
        var scores: [Double] = []
        scores.reserveCapacity(resamples)
        for _ in 0..<resamples {
            let resampled = rows.indices.map { _ in rows[Int(generator.next() % UInt64(rows.count))] }
            scores.append(metric.value(of: resampled))
        }
        scores.sort()
        let lowIndex = Int((Double(resamples - 1) * 0.025).rounded())
        let highIndex = Int((Double(resamples - 1) * 0.975).rounded())
        return ScoreInterval(low: scores[lowIndex], high: scores[highIndex])
    }
}
