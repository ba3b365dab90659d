import GSExec
import Testing

@testable import GSOptimize

/// The detection metrics on hand-made SSD outputs: what a score moving across the threshold
/// costs under box-f1's margin, under a strict margin of 0, and under count-agreement.
@Suite struct AccuracyMetricTests {
    /// One frame of SSD-style outputs: boxes [1, N, 4] as (y0, x0, y1, x1), scores, classes
    /// and the count, as the TensorFlow detection API exports them.
    static func frame(_ detections: [(box: [Float], score: Float)]) -> [String: Tensor] {
        let n = detections.count
        return [
            "detection_boxes": Tensor(shape: [1, n, 4], floats: detections.flatMap(\.box)),
            "detection_scores": Tensor(shape: [1, n], floats: detections.map(\.score)),
            "detection_classes": Tensor(shape: [1, n], floats: [Float](repeating: 1, count: n)),
            "num_detections": Tensor(shape: [1], floats: [Float(n)]),
        ]
    }

    static let person: [Float] = [0.1, 0.1, 0.5, 0.3]
    static let other: [Float] = [0.5, 0.6, 0.9, 0.8]

    /// A person at 0.31 in the float model and 0.29 in the variant, next to one that both
    /// see clearly: the default margin forgives the move, a strict F1 loses the box.
    @Test func marginDecidesWhetherAScoreCrossingTheThresholdIsALostBox() {
        let reference = [Self.frame([(Self.person, 0.31), (Self.other, 0.9)])]
        let candidate = [Self.frame([(Self.person, 0.29), (Self.other, 0.88)])]
        let forgiving = AccuracyMetric.boxF1.score(reference: reference, candidate: candidate)
        #expect(forgiving == 1)
        let strict = AccuracyMetric.boxF1.score(reference: reference, candidate: candidate, scoreMargin: 0)
        // Recall 1/2 (the 0.31 box has no candidate at 0.3 or more), precision 1/1: F1 = 2/3.
        #expect(abs(strict - 2.0 / 3.0) < 1e-9)
        // A move larger than the margin is a lost box either way.
        let far = [Self.frame([(Self.person, 0.2), (Self.other, 0.88)])]
        #expect(abs(AccuracyMetric.boxF1.score(reference: reference, candidate: far) - 2.0 / 3.0) < 1e-9)
        // Counting has no margin: one person fewer on the frame.
        #expect(AccuracyMetric.countAgreement.score(reference: reference, candidate: candidate) == 0)
    }

    /// The threshold moves both the boxes counted and the band around it.
    @Test func thresholdAppliesToBothModels() {
        let reference = [Self.frame([(Self.person, 0.5), (Self.other, 0.9)])]
        let candidate = [Self.frame([(Self.person, 0.42), (Self.other, 0.9)])]
        #expect(AccuracyMetric.boxF1.score(reference: reference, candidate: candidate, scoreThreshold: 0.3) == 1)
        let strict = AccuracyMetric.boxF1.score(
            reference: reference, candidate: candidate, scoreThreshold: 0.45, scoreMargin: 0)
        #expect(abs(strict - 2.0 / 3.0) < 1e-9)
        #expect(
            AccuracyMetric.boxF1.score(
                reference: reference, candidate: candidate, scoreThreshold: 0.45, scoreMargin: 0.05) == 1)
    }

    /// A box that moves too far is no match whatever the scores (IoU under 0.5).
    @Test func boxesMustOverlap() {
        let reference = [Self.frame([(Self.person, 0.9)])]
        let moved = [Self.frame([([0.1, 0.25, 0.5, 0.45], 0.9)])]
        #expect(AccuracyMetric.boxF1.score(reference: reference, candidate: moved) == 0)
        #expect(AccuracyMetric.countAgreement.score(reference: reference, candidate: moved) == 1)
    }

    /// The bootstrap interval brackets the score, is the same on every run (reports are
    /// reproducible), narrows with more samples, and is a point when every sample agrees.
    @Test func scoreIntervalBracketsTheScoreAndNarrowsWithMoreSamples() throws {
        func frames(_ n: Int, disagreeing: Int) -> ([[String: Tensor]], [[String: Tensor]]) {
            let reference = (0..<n).map { _ in Self.frame([(Self.person, 0.9)]) }
            let candidate = (0..<n).map { i in Self.frame(i < disagreeing ? [] : [(Self.person, Float(0.9))]) }
            return (reference, candidate)
        }
        let (r20, c20) = frames(20, disagreeing: 2)
        let score = AccuracyMetric.countAgreement.score(reference: r20, candidate: c20)
        #expect(score == 0.9)
        let small = try #require(ScoreInterval.of(.countAgreement, reference: r20, candidate: c20))
        #expect(small.low < score && score < small.high && small.high <= 1)
        #expect(ScoreInterval.of(.countAgreement, reference: r20, candidate: c20) == small)
        let (r200, c200) = frames(200, disagreeing: 20)
        let large = try #require(ScoreInterval.of(.countAgreement, reference: r200, candidate: c200))
        #expect(large.low < 0.9 && 0.9 < large.high)
        #expect(large.high - large.low < (small.high - small.low) / 2)
        let (same, _) = frames(20, disagreeing: 0)
        #expect(ScoreInterval.of(.boxF1, reference: same, candidate: same) == ScoreInterval(low: 1, high: 1))
        #expect(ScoreInterval.of(.boxF1, reference: [same[0]], candidate: [same[0]]) == nil)
    }
}
