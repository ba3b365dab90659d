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

    /// A [1, 1, h, w] map with probability `p` inside each (x0, y0, x1, y1) core.
    static func map(width: Int, height: Int, cores: [(Int, Int, Int, Int, Float)]) -> [String: Tensor] {
        var values = [Float](repeating: 0.01, count: width * height)
        for (x0, y0, x1, y1, p) in cores {
            for y in y0..<y1 { for x in x0..<x1 { values[y * width + x] = p } }
        }
        return ["maps": Tensor(shape: [1, 1, height, width], floats: values)]
    }

    @Test func textBoxesAreTheMapsRegionsGrownAsPPOCRUnclipsThem() {
        // A 40x10 core: distance = 40 * 10 * 1.6 / (2 * 50) = 6.4 on every side.
        let output = Self.map(width: 100, height: 40, cores: [(20, 15, 60, 25, 0.9)])
        let boxes = TextRegions.boxes(output["maps"]!)
        #expect(boxes.count == 1)
        #expect(abs(boxes[0].x0 - 13.6) < 1e-4 && abs(boxes[0].y0 - 8.6) < 1e-4)
        #expect(abs(boxes[0].x1 - 66.4) < 1e-4 && abs(boxes[0].y1 - 31.4) < 1e-4)
        // Faint regions (mean below 0.5) and slivers (a side under 3 pixels) are not text.
        let noise = Self.map(width: 100, height: 40, cores: [(5, 5, 30, 15, 0.4), (50, 5, 90, 7, 0.9)])
        #expect(TextRegions.boxes(noise["maps"]!).isEmpty)
    }

    @Test func textBoxF1CountsDetectionsAgainstLabelledBoxes() {
        let labels = EvaluationLabels(
            kind: .textBoxes,
            values: ["14,9,66,31", "10,5,40,15;60,5,95,15", "", nil], metric: "text-box-f1")
        let outputs = [
            Self.map(width: 100, height: 40, cores: [(20, 15, 60, 25, 0.9)]),  // found
            Self.map(width: 100, height: 20, cores: [(14, 8, 36, 12, 0.9)]),  // one of two lines
            Self.map(width: 100, height: 20, cores: [(14, 8, 36, 12, 0.9)]),  // text where none is
            Self.map(width: 100, height: 20, cores: [(14, 8, 36, 12, 0.9)]),  // unlabelled: not scored
        ]
        // Matches 1 + 1 + 0 over 3 detected and 3 labelled boxes.
        #expect(labels.accuracy(outputs) == 2.0 * 2 / 6)
        #expect(labels.labelled == 3)
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
