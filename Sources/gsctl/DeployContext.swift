import GSCore
import GSDeploy
import GSSpec

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// What apply, diff, status, history and rollback share: spec paths, the repository, the
/// inventory, and the desired state (specs at a revision, linted, planned, built).
enum DeployContext {
    static let buildOptions: [OptionSpec] = [
        .value("ref", "REV", "deploy the specs as committed at REV (default: the checkout at HEAD)"),
        .flag("allow-dirty", "deploy a working tree with uncommitted changes"),
        .value("only", "DEPLOYMENT", "only these deployments", repeatable: true),
        .value("cache", "DIR", "build cache (default: <out>/cache); keep it between CI jobs"),
        .value("out", short: "o", "DIR", "where bundles are built (default: Bundles)"),
        .value("sign", "KEY", "Ed25519 private key (PEM) to sign manifests with (default: $GSCTL_SIGNING_KEY)"),
    ]

    static func repository(_ paths: [String]) -> String {
        GitSource.find(paths.first ?? ".")?.top ?? FileSystem.currentDirectory()
    }

    static func desired(_ arguments: ParsedArguments, quiet: Bool) throws -> DesiredState {
        try desired(options: desiredOptions(arguments, quiet: quiet))
    }

    static func desiredOptions(_ arguments: ParsedArguments, quiet: Bool) -> DesiredState.Options {
        var options = DesiredState.Options()
        options.paths = Output.specPaths(arguments)
        options.ref = arguments.value("ref")
        options.allowDirty = arguments.flag("allow-dirty")
        let only = arguments.all("only")
        options.only = only.isEmpty ? nil : Set(only)
        options.outputDirectory = arguments.value("out") ?? "Bundles"
        options.cacheDirectory = arguments.value("cache")
        options.signingKey = arguments.value("sign") ?? Environment.value("GSCTL_SIGNING_KEY")
        options.seedFromHosts = true
        if !quiet { options.progress = { line in Terminal.write(line + "\n", to: .standardError) } }
        return options
    }

    static func desired(options: DesiredState.Options) throws -> DesiredState {
        try DesiredState.load(options) { report throws(GSError) in
            guard (try? Output.refuseErrors(report, doing: "deploying")) == true else {
                throw GSError("the specs have errors (above)")
            }
            if let only = options.only { try Output.checkDeployments(only.sorted(), in: report.specs) }
        }
    }

    static func inventory(_ specs: SpecSet, paths: [String]) -> Inventory {
        Inventory(specs: specs, repository: repository(paths))
    }

    /// The agent of one Host of the specs at `paths`, greeted; nil when the specs have errors
    /// (already reported, saying what could not be done: `doing`).
    static func connect(host: String, paths: [String], doing: String) throws -> AgentClient? {
        let report = Linter.lint(paths: paths)
        guard try Output.refuseErrors(report, doing: doing) else { return nil }
        _ = try hosts([host], specs: report.specs)
        return try AgentClient.connect(transport: try inventory(report.specs, paths: paths).transport(host))
    }

    /// The hosts named on the command line, or every host the specs' deployments target.
    static func hosts(_ names: [String], specs: SpecSet) throws -> [String] {
        for name in names where specs.host(name) == nil {
            throw UsageError(message: "no Host named `\(name)` in the specs", hint: "`gsctl plan` lists the hosts")
        }
        return names.isEmpty ? specs.hosts.map(\.name).sorted() : names
    }
}

/// Reads an environment variable.
enum Environment {
    static func value(_ name: String) -> String? {
        guard let raw = getenv(name) else { return nil }
        let text = String(cString: raw)
        return text.isEmpty ? nil : text
    }
}
