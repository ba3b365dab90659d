import GSExec

/// How far one output is from another: the largest absolute difference, and that divided
/// by the reference's largest magnitude (what "relative difference" means in these tests:
/// elementwise ratios blow up on values near zero, which float16 cannot resolve anyway).
struct FP16Difference: CustomStringConvertible {
    var maxAbsolute: Float = 0
    var scale: Float = 0
    /// Where the largest difference is.
    var index = 0

    var relative: Float { maxAbsolute / max(scale, 1e-12) }

    init(_ actual: Tensor, _ reference: Tensor) {
        let a = actual.floatValues
        let e = reference.floatValues
        scale = e.lazy.filter(\.isFinite).map(\.magnitude).max() ?? 0
        guard a.count == e.count else {
            maxAbsolute = .infinity
            return
        }
        for i in 0..<a.count where a[i] != e[i] {
            let difference = (a[i] - e[i]).magnitude
            if !(difference <= maxAbsolute) {
                maxAbsolute = difference.isNaN ? .infinity : difference
                index = i
            }
        }
    }

    var description: String {
        "max |diff| \(maxAbsolute) (relative \(relative), max |ref| \(scale), at \(index))"
    }
}

/// One detection of the SSD model's output (after its own NMS).
struct FP16Detection {
    var score: Float
    var classID: Float
    /// ymin, xmin, ymax, xmax, normalised.
    var box: [Float]

    /// Intersection over union of two boxes.
    func iou(_ other: FP16Detection) -> Float {
        let height = max(0, min(box[2], other.box[2]) - max(box[0], other.box[0]))
        let width = max(0, min(box[3], other.box[3]) - max(box[1], other.box[1]))
        let intersection = height * width
        let union =
            (box[2] - box[0]) * (box[3] - box[1]) + (other.box[2] - other.box[0]) * (other.box[3] - other.box[1])
            - intersection
        return union > 0 ? intersection / union : 0
    }

    /// The detections of an SSD output set (`num_detections:0`, `detection_scores:0`, ...)
    /// scoring at least `threshold`.
    static func list(_ outputs: [String: Tensor], threshold: Float) -> [FP16Detection] {
        guard let count = outputs["num_detections:0"]?.floatValues.first,
            let scores = outputs["detection_scores:0"]?.floatValues,
            let classes = outputs["detection_classes:0"]?.floatValues,
            let boxes = outputs["detection_boxes:0"]?.floatValues
        else { return [] }
        return (0..<min(Int(count), scores.count)).filter { scores[$0] >= threshold }.map {
            FP16Detection(score: scores[$0], classID: classes[$0], box: Array(boxes[($0 * 4)..<($0 * 4 + 4)]))
        }
    }

    /// Reference detections (score >= `threshold`) with no candidate of the same class at
    /// IoU >= `minIoU` among `candidates` scoring >= `threshold - margin`: the margin lets a
    /// detection whose score moved a little across the threshold still count as found.
    static func unmatched(
        _ reference: [FP16Detection], in candidates: [FP16Detection], threshold: Float, margin: Float, minIoU: Float
    ) -> [FP16Detection] {
        reference.filter { wanted in
            wanted.score >= threshold
                && !candidates.contains {
                    $0.score >= threshold - margin && $0.classID == wanted.classID && $0.iou(wanted) >= minIoU
                }
        }
    }
}

/// Task-level agreement of two outputs of the OCR models.
enum FP16Agreement {
    /// The fraction of pixels on which two DB probability maps disagree about "text" at
    /// PP-OCR's binarisation threshold (0.3).
    static func maskDisagreement(_ a: Tensor, _ b: Tensor, threshold: Float = 0.3) -> Float {
        let x = a.floatValues
        let y = b.floatValues
        guard x.count == y.count, !x.isEmpty else { return 1 }
        let differing = zip(x, y).reduce(0) { $0 + (($1.0 > threshold) != ($1.1 > threshold) ? 1 : 0) }
        return Float(differing) / Float(x.count)
    }

    /// Mean absolute difference.
    static func meanDifference(_ a: Tensor, _ b: Tensor) -> Float {
        let x = a.floatValues
        let y = b.floatValues
        guard x.count == y.count, !x.isEmpty else { return .infinity }
        return zip(x, y).reduce(0) { $0 + ($1.0 - $1.1).magnitude } / Float(x.count)
    }

    /// Greedy CTC decoding of a [1, T, C] probability tensor: the argmax per step, repeats
    /// merged, blanks (class 0) dropped; what PP-OCR's recogniser outputs as text.
    static func ctcDecode(_ probabilities: Tensor) -> [Int] {
        guard probabilities.shape.count == 3 else { return [] }
        let steps = probabilities.shape[1]
        let classes = probabilities.shape[2]
        let values = probabilities.floatValues
        var decoded: [Int] = []
        var previous = -1
        for step in 0..<steps {
            let row = values[(step * classes)..<((step + 1) * classes)]
            let best = row.indices.max { row[$0] < row[$1] }.map { $0 - step * classes } ?? 0
            if best != previous && best != 0 { decoded.append(best) }
            previous = best
        }
        return decoded
    }

    /// The index of the largest value.
    static func argmax(_ tensor: Tensor) -> Int {
        let values = tensor.floatValues
        return values.indices.max { values[$0] < values[$1] } ?? -1
    }
}
