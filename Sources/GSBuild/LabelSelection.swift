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

    /// The agreement metric scoring the same outputs without labels.
    public var fallback: AccuracyMetric { self == .charAccuracy ? .ctcAgreement : .top1Agreement }

    /// Labels for the evaluation samples named `keys`, or nil when the column is missing.
    public func labels(_ labels: DatasetLabels, keys: [String], direction: Bool = true) -> EvaluationLabels? {
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
        }
    }

    /// `file` (an explicit labels file), else `labels.tsv` beside the images of `source`.
    public static func find(file: String?, source: DataSource) throws(GSError) -> DatasetLabels? {
        if let file { return try DatasetLabels.load(file: file) }
        if case .images(let folder) = source { return try DatasetLabels.load(folder: folder) }
        return nil
    }
}
