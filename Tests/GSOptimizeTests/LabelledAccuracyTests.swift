import GSExec
import ONNX
import Testing

@testable import GSOptimize

/// Accuracy on labelled data: CTC text read with the model's dictionary against the label
/// (spaces ignored), top-1 class against the label; unlabelled samples do not count.
@Suite struct LabelledAccuracyTests {
    /// A CTC output [1, steps, classes] whose greedy decoding is `classes` per step.
    static func ctc(_ best: [Int], classes: Int = 6) -> [String: Tensor] {
        var values = [Float](repeating: 0, count: best.count * classes)
        for (step, index) in best.enumerated() { values[step * classes + index] = 1 }
        return ["probs": Tensor(shape: [1, best.count, classes], floats: values)]
    }

    static let characters = ["blank", "a", "b", "c", "d", " "]

    @Test func textAccuracyIsOneMinusEditDistanceOverLabelLength() {
        let labels = EvaluationLabels(kind: .text, values: ["ab cd", "abc", nil], metric: "char-accuracy")
        let outputs = [
            Self.ctc([1, 0, 2, 5, 3, 3, 0, 4]),  // "ab cd": repeats merged, blanks dropped
            Self.ctc([1, 0, 1, 2]),  // "aab": the blank between the two a splits them
            Self.ctc([4, 4, 4]),  // unlabelled: not scored
        ]
        // Labels without spaces: "abcd" (4 of 4 right) and "abc" read as "aab" (edit distance 2).
        let accuracy = labels.accuracy(outputs, characters: Self.characters)
        #expect(accuracy == Double(4 + 1) / Double(4 + 3))
        #expect(labels.labelled == 2)
    }

    @Test func top1AccuracyCountsTheLabelledClass() {
        let labels = EvaluationLabels(kind: .classIndex, values: ["1", "0", "1", nil], metric: "top1-accuracy")
        let outputs: [[String: Tensor]] = [[0.2, 0.8], [0.9, 0.1], [0.6, 0.4], [0.1, 0.9]].map {
            ["probs": Tensor(shape: [1, 2], floats: $0)]
        }
        #expect(labels.accuracy(outputs) == 2.0 / 3.0)
        #expect(EvaluationLabels(kind: .classIndex, values: [nil], metric: "top1-accuracy").accuracy(outputs) == nil)
    }

    @Test func theDictionaryComesFromThePPOCRMetadata() {
        var model = ModelProto()
        #expect(EvaluationLabels.characters(of: model) == nil)
        var entry = StringStringEntryProto()
        entry.key = "character"
        entry.value = "a\nb"
        model.metadataProps.append(entry)
        #expect(EvaluationLabels.characters(of: model) == ["blank", "a", "b", " "])
    }
}
