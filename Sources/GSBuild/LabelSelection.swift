import GSCore
import GSData
import GSOptimize

/// Which labels score a labelled metric, shared by `gsctl build` (a Model's metric) and
/// `gsctl model optimize` (its `--metric`), so both compile against the same ground truth.
public enum LabelledMetric: String, Sendable, CaseIterable {
    /// `text` column; rows with `rotated` = 1 are left out: the pipeline turns those upright
    /// before the recogniser, and the direction classifier is scored on them.
    case charAccuracy = "char-accuracy"
    /// `label` column (class index), else `rotated` for a direction classifier (class 1 is
    /// 180 degrees).
    case top1
    /// `box` column: a text detector's boxes, `x0,y0,x1,y1` in image pixels (right and
    /// bottom exclusive), several joined by `;`, empty for an image without text.
    case textBoxF1 = "text-box-f1"

    /// The agreement metric scoring the same outputs without labels.
    public var fallback: AccuracyMetric {
        switch self {
        case .charAccuracy: .ctcAgreement
        case .top1: .top1Agreement
        case .textBoxF1: .mapBoxF1
        }
    }

    /// The label column it reads (for messages).
    public var column: String {
        switch self {
        case .charAccuracy: "text"
        case .top1: "label"
        case .textBoxF1: "box"
        }
    }

    /// Labels for the evaluation samples named `keys`, or nil when the column is missing.
    /// `inputScale` says how each key's image is scaled into the model input (box labels are
    /// in image pixels, the model's map in input pixels).
    public func labels(
        _ labels: DatasetLabels, keys: [String], direction: Bool = true,
        inputScale: (String) throws(GSError) -> (x: Float, y: Float)? = { _ in nil }
    ) throws(GSError) -> EvaluationLabels? {
        switch self {
        case .charAccuracy:
            guard labels.columns.contains("text") else { return nil }
            let values = keys.map { key in
                labels.value("rotated", for: key) == "1" ? nil : labels.value("text", for: key)
            }
            return EvaluationLabels(kind: .text, values: values, metric: rawValue)
        case .top1:
            let column =
                labels.columns.contains("label")
                ? "label" : direction && labels.columns.contains("rotated") ? "rotated" : nil
            guard let column else { return nil }
            return EvaluationLabels(
                kind: .classIndex, values: keys.map { labels.value(column, for: $0) }, metric: "top1-accuracy")
        case .textBoxF1:
            guard labels.columns.contains("box") else { return nil }
            var values: [String?] = []
            for key in keys {
                guard let text = labels.value("box", for: key) else {
                    values.append(nil)
                    continue
                }
                let scale = try inputScale(key) ?? (1, 1)
                var boxes: [String] = []
                for entry in text.split(separator: ";") where !String(entry).trimmingSpaces.isEmpty {
                    let numbers = entry.split(separator: ",").compactMap { Float(String($0).trimmingSpaces) }
                    guard numbers.count == 4, numbers[2] > numbers[0], numbers[3] > numbers[1] else {
                        throw GSError(
                            "`\(key)`'s box `\(entry)` is not x0,y0,x1,y1 with x0 < x1 and y0 < y1",
                            hint: "the `box` column holds pixel boxes as x0,y0,x1,y1, several joined by `;`")
                    }
                    boxes.append(
                        [numbers[0] * scale.x, numbers[1] * scale.y, numbers[2] * scale.x, numbers[3] * scale.y]
                            .map { "\($0)" }.joined(separator: ","))
                }
                values.append(boxes.joined(separator: ";"))
            }
            return EvaluationLabels(kind: .textBoxes, values: values, metric: rawValue)
        }
    }

    /// `file` (an explicit labels file), else `labels.tsv` beside the images of `source`.
    public static func find(file: String?, source: DataSource) throws(GSError) -> DatasetLabels? {
        if let file { return try DatasetLabels.load(file: file) }
        if case .images(let folder) = source { return try DatasetLabels.load(folder: folder) }
        return nil
    }
}
