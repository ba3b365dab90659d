import GSCore

/// Options of one lint run.
public struct LintOptions: Sendable {
    public var limits = LoadLimits()
    /// Open referenced files (model digests, data, keys). Off for quick editor checks.
    public var checkFiles = true

    public init() {}
}

/// Everything a lint run found, sorted by place.
public struct LintReport: Sendable {
    public var diagnostics: [Diagnostic]
    public var specs: SpecSet

    public var fileCount: Int { specs.files.count }
    public var documentCount: Int { specs.documentCount }
}

/// `gsctl lint`: load and validate every file, then run every rule over the whole set, and
/// return all findings at once.
public enum Linter {
    public static func lint(paths: [String], options: LintOptions = LintOptions()) -> LintReport {
        let loaded = SpecLoader.load(paths: paths, limits: options.limits)
        return lint(loaded, options: options)
    }

    public static func lint(_ loaded: LoadResult, options: LintOptions = LintOptions()) -> LintReport {
        let context = RuleContext(specs: loaded.specs, checkFiles: options.checkFiles)
        var diagnostics = loaded.diagnostics
        // Rules are pure and the findings are sorted below, so they run on every core.
        let rules = Rules.all
        for findings in parallelMap(rules.count, { rules[$0].check(context) }) { diagnostics += findings }
        diagnostics.sort(by: Diagnostic.ordered)
        return LintReport(diagnostics: diagnostics, specs: loaded.specs)
    }
}
