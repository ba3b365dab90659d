/// An error a user can cause and fix, located where it happened.
///
/// Commands catch these at the top and print `location: error: message` then `hint: ...`,
/// exiting 1; anything else reaching the top is a bug.
public struct GSError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var location: SourceLocation?
    public var hint: String?

    public init(_ message: String, at location: SourceLocation? = nil, hint: String? = nil) {
        self.message = message
        self.location = location
        self.hint = hint
    }

    public var description: String {
        var text = location.map { "\($0): error: \(message)" } ?? "error: \(message)"
        if let hint { text += "\nhint: \(hint)" }
        return text
    }
}
