/// How bad a finding is. `--strict` turns warnings into errors for the exit code.
public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
    case error
    case warning
    case note

    private var rank: Int {
        switch self {
        case .error: 0
        case .warning: 1
        case .note: 2
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One finding: a stable code, where, how bad, what is wrong and how to fix it.
///
/// Diagnostics are data: they are collected where they are found and printed by a formatter
/// at the end, so one run reports every problem at once, in a stable order.
public struct Diagnostic: Hashable, Sendable {
    /// Stable identifier such as `GS201`, documented in docs/diagnostics.md.
    public var code: String
    public var severity: Severity
    public var location: SourceLocation
    /// Lowercase, names in backquotes, no trailing period.
    public var message: String
    /// The way out: a suggestion, the allowed values, the command to run.
    public var hint: String?

    public init(
        code: String, severity: Severity, location: SourceLocation, message: String,
        hint: String? = nil
    ) {
        self.code = code
        self.severity = severity
        self.location = location
        self.message = message
        self.hint = hint
    }

    /// Sort order for output: by place, then code and message, so runs are reproducible.
    public static func ordered(_ a: Diagnostic, _ b: Diagnostic) -> Bool {
        if a.location != b.location { return a.location < b.location }
        if a.code != b.code { return a.code < b.code }
        return a.message < b.message
    }
}

extension Array where Element == Diagnostic {
    /// Whether these findings fail the run: any error, or any warning under `--strict`.
    public func fails(strict: Bool) -> Bool {
        contains { $0.severity == .error || (strict && $0.severity == .warning) }
    }

    public func count(of severity: Severity) -> Int {
        reduce(0) { $0 + ($1.severity == severity ? 1 : 0) }
    }
}
