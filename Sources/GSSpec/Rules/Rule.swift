import GSCore

/// What every rule sees: all objects, their name indexes and the run's options.
public struct RuleContext: Sendable {
    public var specs: SpecSet
    public var index: SpecIndex
    /// Whether to open the files specs reference (model digests, data folders, keys).
    public var checkFiles: Bool

    public init(specs: SpecSet, checkFiles: Bool = true) {
        self.specs = specs
        self.index = specs.index()
        self.checkFiles = checkFiles
    }
}

/// One check over the whole repository. Rules are pure: findings out, nothing printed.
public protocol Rule: Sendable {
    /// The codes it reports (for docs/diagnostics.md and the registry test).
    var codes: [DiagnosticCode] { get }
    func check(_ context: RuleContext) -> [Diagnostic]
}

/// The registry: every rule gsctl lint runs, and nothing else lists them.
public enum Rules {
    public static let all: [any Rule] = [
        DuplicateNamesRule(),
        ReferencesRule(),
        SelectorRule(),
        ReferencedFilesRule(),
        CycleRule(),
        TaskRequirementsRule(),
        CompatibilityRule(),
        RolloutRule(),
        SharedHostRule(),
        TrustKeysRule(),
        UnusedObjectsRule(),
    ]
}
