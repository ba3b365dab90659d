import GSCore

/// Ground truth for a folder of images: `labels.tsv` beside them, a header row naming the
/// columns (one of them `file`), then one row per image, tab-separated. Which column a metric
/// reads is its business (`text` for a text recogniser, `rotated` for PP-OCR's direction
/// classifier, `label` for a classifier's class index).
///
/// Labels let the compiler report accuracy on labelled data, not only agreement with the
/// float model: a variant can agree with fp32 on a line fp32 misreads.
public struct DatasetLabels: Sendable, Hashable {
    public static let fileName = "labels.tsv"
    public let columns: [String]
    private let rows: [String: [String: String]]

    public var count: Int { rows.count }

    /// The labels of the image folder `directory`, or nil when it has no `labels.tsv`.
    public static func load(folder directory: String) throws(GSError) -> DatasetLabels? {
        let path = FileSystem.join(directory, fileName)
        guard FileSystem.kind(of: path) == .file else { return nil }
        return try load(file: path)
    }

    /// The labels in `path` (a Model's `evaluation.labels`), in the same format.
    public static func load(file path: String) throws(GSError) -> DatasetLabels {
        guard FileSystem.kind(of: path) == .file else {
            throw GSError(
                "labels file `\(path)` does not exist", hint: "a tab-separated file whose header names a `file` column")
        }
        let text = String(decoding: try FileSystem.read(path, limit: 16 << 20), as: UTF8.self)
        return try DatasetLabels(text: text, path: path)
    }

    /// Parses `labels.tsv` text; `path` names it in errors.
    public init(text: String, path: String) throws(GSError) {
        // `\r\n` is one Character in Swift: split on newlines, not on "\n".
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let header = lines.first else {
            throw GSError("`\(path)` is empty", hint: "its first line names the columns, tab-separated: file<TAB>text")
        }
        let columns = header.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard let fileColumn = columns.firstIndex(of: "file") else {
            throw GSError(
                "`\(path)`:1: the header has no `file` column (it has \(columns.map { "`\($0)`" }.joined(separator: ", ")))",
                hint: "name the column of image file names `file`")
        }
        var rows: [String: [String: String]] = [:]
        for (offset, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == columns.count else {
                throw GSError(
                    "`\(path)`:\(offset + 1): \(fields.count) field(s), the header has \(columns.count)",
                    hint: "separate fields with one tab each")
            }
            let file = fields[fileColumn]
            guard rows[file] == nil else { throw GSError("`\(path)`:\(offset + 1): `\(file)` is labelled twice") }
            rows[file] = Dictionary(uniqueKeysWithValues: zip(columns, fields))
        }
        self.columns = columns
        self.rows = rows
    }

    /// The `column` value of the image named `file`, or nil when it has none.
    public func value(_ column: String, for file: String) -> String? { rows[file]?[column] }
}
