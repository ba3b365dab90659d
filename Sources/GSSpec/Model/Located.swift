import GSCore

/// A value with the place it was written, for findings about references and names.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// Name, labels and where an object was written.
public struct ObjectMeta: Sendable, Hashable {
    public var name: Located<String>
    public var labels: [String: String]
    public var annotations: [String: String]
    /// Where the document starts (its `apiVersion` line).
    public var document: SourceLocation
    /// Directory of the file the object came from; relative paths in the spec resolve here.
    public var directory: String

    public init(
        name: Located<String>, labels: [String: String] = [:], annotations: [String: String] = [:],
        document: SourceLocation, directory: String
    ) {
        self.name = name
        self.labels = labels
        self.annotations = annotations
        self.document = document
        self.directory = directory
    }
}
