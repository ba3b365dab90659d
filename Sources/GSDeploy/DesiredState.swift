import GSBuild
import GSBundle
import GSCore
import GSPlan
import GSSpec

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// The fleet as git says it should be: the specs at a revision, linted, planned and built
/// (through the build cache), with each target host's desired release.
public struct DesiredState: Sendable {
    public var specs: SpecSet
    public var plan: Plan
    /// Bundle id -> what was built for it.
    public var bundles: [String: PackedBundle]
    public var store: BlobStore
    public var revision: String?
    public var git: GitSource?

    public struct Options: Sendable {
        public var paths: [String] = []
        public var ref: String?
        public var allowDirty = false
        public var only: Set<String>?
        public var outputDirectory = "Bundles"
        public var cacheDirectory: String?
        public var signingKey: String?
        public var jobs = 1
        public var progress: (@Sendable (String) -> Void)?
        /// Before compiling a step the cache lacks, take it from a target host that runs it
        /// (signed releases only): a fresh CI runner does not re-quantize unchanged models.
        public var seedFromHosts = false
        public init() {}
    }

    /// Reads, lints, plans and builds. Throws on spec errors (with the findings rendered by
    /// the caller from `lint`), a dirty tree, or a bad revision.
    public static func load(_ options: Options, lint: (LintReport) throws(GSError) -> Void) throws(GSError)
        -> DesiredState
    {
        var paths = options.paths
        let git = GitSource.find(paths.first ?? ".")
        var revision: String?
        var exported: String?
        if let git {
            if let ref = options.ref {
                revision = try git.resolve(ref)
                let head = try? git.resolve("HEAD")
                if revision != head {
                    // Another revision than the checkout: read the specs as committed there.
                    let directory = "/tmp/gsctl-rev-\(getpid())-\(revision!.prefix(12))"
                    FileSystem.removeTree(directory)
                    try git.export(revision!, to: directory)
                    paths = paths.map { FileSystem.join(directory, git.relative($0)) }
                    exported = directory
                }
            } else {
                revision = try? git.resolve("HEAD")
            }
            if options.ref == nil, !options.allowDirty {
                let dirty = try git.dirtyFiles(under: paths)
                if !dirty.isEmpty {
                    throw GSError(
                        "the working tree has uncommitted changes under the specs (\(dirty.prefix(5).joined(separator: ", "))\(dirty.count > 5 ? ", ..." : ""))",
                        hint: "commit them (hosts record the revision they run), or pass --allow-dirty")
                }
            }
        } else if options.ref != nil {
            throw GSError(
                "--ref needs the specs in a git repository", hint: "drop --ref to deploy the files as they are")
        }
        // The exported copy goes whatever happens next (built from, or refused).
        defer { if let exported { FileSystem.removeTree(exported) } }
        var report = Linter.lint(paths: paths)
        if let exported, let git, let revision {
            let restored = try IgnoredModels(git: git, exported: exported, revision: revision).restore(report.specs)
            if !restored.isEmpty {
                options.progress?(
                    "revision \(revision.prefix(12)): \(restored.joined(separator: ", ")) from the checkout (git-ignored, sha256 as pinned)"
                )
                report = Linter.lint(paths: paths)
            }
        }
        try lint(report)
        if let exported, let git {
            // Local hosts' roots and SSH identity files are relative to their spec file: they
            // name files of the checkout, not of the exported copy (removed after the build).
            for index in report.specs.hosts.indices {
                let root = report.specs.hosts[index].root
                if report.specs.hosts[index].transport == .local, root.hasPrefix(exported + "/") {
                    report.specs.hosts[index].root = git.top + root.dropFirst(exported.count)
                }
                if let key = report.specs.hosts[index].identityFile, key.hasPrefix(exported + "/") {
                    report.specs.hosts[index].identityFile = git.top + key.dropFirst(exported.count)
                }
            }
        }
        let plan = Planner.plan(report.specs, only: options.only)
        var build = BuildOptions()
        build.outputDirectory = options.outputDirectory
        build.cacheDirectory = options.cacheDirectory
        build.signingKey = options.signingKey
        build.jobs = options.jobs
        build.progress = options.progress
        if let exported, let revision { build.exported = SourceRevision(commit: revision, top: exported) }
        if options.seedFromHosts {
            let seed = FleetSeed(
                plan: plan,
                inventory: Inventory(specs: report.specs, repository: git?.top ?? FileSystem.currentDirectory()))
            build.seed = { step, key, cache in seed.seed(step, key: key, cache: cache) }
        }
        let result = try Builder.build(specs: report.specs, plan: plan, specFiles: report.specs.files, options: build)
        var bundles: [String: PackedBundle] = [:]
        for bundle in result.bundles { bundles[bundle.manifest.id] = bundle }
        return DesiredState(
            specs: report.specs, plan: plan, bundles: bundles,
            store: try BlobStore(root: FileSystem.join(options.outputDirectory, "blobs")), revision: revision, git: git)
    }

    /// Every (deployment, host) target with its desired release.
    public func desired(for deployment: DeploymentPlan, host: String) -> DesiredRelease? {
        guard let target = deployment.targets.first(where: { $0.host == host }), let bundle = bundles[target.bundle]
        else {
            return nil
        }
        return DesiredRelease(
            deployment: deployment.name, manifest: bundle.manifest, manifestBytes: bundle.manifestBytes,
            signatureBytes: bundle.signature?.canonicalBytes, store: store, revision: revision)
    }
}
