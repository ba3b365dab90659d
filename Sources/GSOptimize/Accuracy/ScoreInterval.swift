import GSCore
import GSExec

/// How far a score measured on a few evaluation samples could be from the score on the data
/// the service will see: a bootstrap interval over the samples (the percentile method, 400
/// resamples from a fixed seed, so reports stay byte-identical; 95% unless the Model's
/// `evaluation.confidence` asks for another level). Sixty-seven frames decide a one-point
/// tolerance only roughly, and the report should say so rather than claim a margin it
/// cannot resolve.
public struct ScoreInterval: Sendable, Hashable {
    public var low: Double
    public var high: Double

    /// The interval of `metric` over these samples that holds the score with probability
    /// `level` (two-sided: the low end is exceeded with probability (1 + level) / 2); nil for
    /// fewer than two samples.
    public static func of(
        _ metric: AccuracyMetric, reference: [[String: Tensor]], candidate: [[String: Tensor]],
        scoreThreshold: Float = Detections.scoreThreshold, scoreMargin: Float = Detections.margin,
        level: Double = 0.95, resamples: Int = 400
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
        let tail = (1 - min(max(level, 0), 1)) / 2
        let lowIndex = Int((Double(resamples - 1) * tail).rounded())
        let highIndex = Int((Double(resamples - 1) * (1 - tail)).rounded())
        return ScoreInterval(low: scores[lowIndex], high: scores[highIndex])
    }
}
