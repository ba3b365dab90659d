import ONNX

/// One rewrite of a model: pure (the input model is not changed), named, and reporting what
/// it did, so a variant's manifest can record its pass list and each pass can be tested
/// alone on small graphs and on real models.
public protocol GraphPass: Sendable {
    /// Stable name, as recorded in manifests and reports (`fold-batchnorm`).
    var name: String { get }
    func apply(_ model: ModelProto, _ context: PassContext) throws -> (ModelProto, PassReport)
}

/// What passes may need besides the model.
public struct PassContext: Sendable {
    /// Static shapes for graph inputs (the Model spec's `inputs`), by input name.
    public var inputShapes: [String: [Int]]

    public init(inputShapes: [String: [Int]] = [:]) {
        self.inputShapes = inputShapes
    }
}

/// What a pass changed: counts by kind (`removed`, `folded`, ...) and free-text notes.
public struct PassReport: Sendable, Hashable {
    public var pass: String
    public var counts: [String: Int]
    public var notes: [String]

    public init(pass: String, counts: [String: Int] = [:], notes: [String] = []) {
        self.pass = pass
        self.counts = counts
        self.notes = notes
    }

    /// Whether the pass changed anything.
    public var changed: Bool { counts.values.contains { $0 > 0 } }
}

/// Failures of a pass, naming the pass and, when it is about one, the node.
public struct PassError: Error, Sendable, CustomStringConvertible {
    public var pass: String
    public var message: String

    public init(pass: String, _ message: String) {
        self.pass = pass
        self.message = message
    }

    public var description: String { "pass \(pass): \(message)" }
}
