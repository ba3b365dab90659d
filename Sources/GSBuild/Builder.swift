import GSBundle
import GSCore
import GSData
import GSExec
import GSOptimize
import GSPlan
import GSSpec
import ONNX

/// Options of `gsctl build`.
public struct BuildOptions: Sendable {
    public var outputDirectory = "Bundles"
    /// Optimize steps compiled at once (each compilation also uses every core for its kernels).
    public var jobs = 1
    /// Ed25519 private key (PEM) to sign manifests with.
    public var signingKey: String?
    /// Where compiled variants are cached by build key (default: `<output>/cache`).
    public var cacheDirectory: String?
    /// Called with one line per finished step (progress for the CLI).
    public var progress: (@Sendable (String) -> Void)?
    /// Asked for a step whose key the cache lacks, before compiling: it may fill
    /// `<cache>/<key>/` (model.onnx, report.json, golden-input.npz, golden-output.npz) from
    /// elsewhere and return where it came from (`apply` takes them from hosts that run them).
    public var seed: (@Sendable (_ step: BuildStep, _ key: String, _ cache: BuildCache) -> String?)?
    /// Set when the specs were exported from a commit rather than read from a checkout.
    public var exported: SourceRevision?

    public init() {}
}

/// One optimize step's outcome.
public struct StepOutcome: Sendable {
    public var step: BuildStep
    public var key: String
    public var entry: BuildCache.Entry
    /// The variant's report as stored (`VariantReport.json`).
    public var report: JSONValue
    public var cached: Bool
    public var seconds: Double
}

/// What `gsctl build` produced.
public struct BuildResult: Sendable {
    public var steps: [StepOutcome]
    public var bundles: [PackedBundle]
    public var reportJSON: String
    public var reportMarkdown: String
}

/// `gsctl build`: compile the plan's optimize steps (cached by build key, `jobs` at a
/// time), then pack one signed bundle per workflow x device x precision choice, and write
/// the build report. Nothing half-written lands in the output directory: cache entries and
/// archives are renamed into place when complete.
public enum Builder {
    public static func build(specs: SpecSet, plan: Plan, specFiles: [String], options: BuildOptions) throws(GSError)
        -> BuildResult
    {
        try FileSystem.makeDirectories(options.outputDirectory)
        let cache = try BuildCache(root: options.cacheDirectory ?? FileSystem.join(options.outputDirectory, "cache"))
        let outcomes = try compileSteps(plan.steps, specs: specs, cache: cache, options: options)
        let byID = Dictionary(uniqueKeysWithValues: outcomes.map { ($0.step.id, $0) })
        let key: Ed25519PrivateKey? = try options.signingKey.map { path throws(GSError) in
            try Ed25519PrivateKey.load(path: path)
        }
        let blobs = try BlobStore(root: FileSystem.join(options.outputDirectory, "blobs"))
        let source = try Provenance.source(specFiles: specFiles, exported: options.exported)
        var packed: [PackedBundle] = []
        let index = specs.index()
        for bundle in plan.bundles {
            guard let workflow = index.workflows[bundle.workflow] else { continue }
            var contents = try BundleContents.make(bundle, workflow: workflow, steps: byID)
            for note in contents.notes { options.progress?("note: \(note)") }
            let environments = try Self.wheelhouses(
                workflow, arch: index.devices[bundle.device]?.arch, cacheRoot: cache.root, into: &contents,
                progress: options.progress)
            let manifest = Manifest(
                id: bundle.id, workflow: bundle.workflow, device: bundle.device,
                precision: BundleContents.precisionLabel(bundle), precisions: contents.precisions,
                source: source, buildKeys: contents.buildKeys, models: contents.models,
                workflowGraph: WorkflowGraph.json(workflow), environments: environments)
            let result = try BundlePacker.pack(
                manifest, files: contents.files, into: options.outputDirectory, blobs: blobs, signingKey: key)
            Stale.removeOlderArchives(of: bundle.id, keeping: result.archivePath, in: options.outputDirectory)
            options.progress?(
                "bundle \(bundle.id): \(FileSystem.basename(result.archivePath)) (\(ByteFormat.megabytes(result.archiveSize)))"
            )
            packed.append(result)
        }
        let report = BuildReport(steps: outcomes, bundles: packed)
        let json = report.json.pretty
        let markdown = report.markdown
        try FileSystem.writeAtomically(json, to: FileSystem.join(options.outputDirectory, "build-report.json"))
        try FileSystem.writeAtomically(markdown, to: FileSystem.join(options.outputDirectory, "build-report.md"))
        return BuildResult(steps: outcomes, bundles: packed, reportJSON: json, reportMarkdown: markdown)
    }

    /// Compiles (or finds in the cache) every step, `jobs` at a time; every failing step is
    /// reported, not only the first.
    /// Each environment of the workflow with its wheels (`env/<name>/*.whl` in the bundle),
    /// for the manifest's `environments`: python, packages, wheelhouse folder, key.
    static func wheelhouses(
        _ workflow: Workflow, arch: Arch?, cacheRoot: String, into contents: inout BundleContents,
        progress: (@Sendable (String) -> Void)?
    ) throws(GSError) -> JSONValue {
        var environments: [String: JSONValue] = [:]
        for environment in workflow.environments {
            let name = environment.name.value
            let fetched = try Wheelhouse.fetch(
                environment, arch: arch, cacheRoot: cacheRoot, progress: progress.map { p in { p($0) } })
            for wheel in fetched.wheels {
                contents.files.append(
                    BundleInput(path: "env/\(name)/\(wheel)", file: FileSystem.join(fetched.directory, wheel)))
            }
            environments[name] = [
                "python": .string(environment.python), "packages": .strings(environment.packages),
                "wheelhouse": .string("env/\(name)"), "key": .string(fetched.key), "wheels": .strings(fetched.wheels),
            ]
        }
        return .object(environments)
    }

    static func compileSteps(_ steps: [BuildStep], specs: SpecSet, cache: BuildCache, options: BuildOptions)
        throws(GSError) -> [StepOutcome]
    {
        let index = specs.index()
        let jobs = max(1, min(options.jobs, steps.count))
        let perWorker = parallelMap(jobs) { worker -> [Result<StepOutcome, GSError>] in
            stride(from: worker, to: steps.count, by: jobs).map { position in
                let step = steps[position]
                guard let model = index.models[step.model], let device = index.devices[step.device] else {
                    return .failure(GSError("step \(step.id): its Model or Device is missing from the specs"))
                }
                return Result { () throws(GSError) -> StepOutcome in
                    try compile(
                        step, model: model, device: device, cache: cache, progress: options.progress, seed: options.seed
                    )
                }
            }
        }
        var outcomes: [StepOutcome] = []
        var failures: [String] = []
        for (worker, results) in perWorker.enumerated() {
            for (offset, result) in results.enumerated() {
                switch result {
                case .success(let outcome): outcomes.append(outcome)
                case .failure(let error):
                    failures.append("\(steps[worker + offset * jobs].id): \(error.message)")
                }
            }
        }
        guard failures.isEmpty else {
            throw GSError(
                "\(failures.count) of \(steps.count) optimize step(s) failed:\n  "
                    + failures.sorted().joined(separator: "\n  "),
                hint: "fix the Model specs or data named above; finished steps are cached and will not run again")
        }
        return outcomes.sorted { $0.step.id < $1.step.id }
    }

    static func compile(
        _ step: BuildStep, model: Model, device: Device, cache: BuildCache, progress: (@Sendable (String) -> Void)?,
        seed: (@Sendable (BuildStep, String, BuildCache) -> String?)? = nil
    ) throws(GSError) -> StepOutcome {
        let started = ChildProcess.now()
        let request = try StepRequest.make(step: step, model: model, device: device)
        var dataPaths: [String] = []
        if let calibration = model.calibration {
            dataPaths.append(FileSystem.resolve(calibration.data.value, relativeTo: model.meta.directory))
        }
        if let evaluation = model.evaluation.data {
            dataPaths.append(FileSystem.resolve(evaluation.value, relativeTo: model.meta.directory))
        }
        if let labels = model.evaluation.labels {
            dataPaths.append(FileSystem.resolve(labels.value, relativeTo: model.meta.directory))
        }
        var digests = try dataPaths.map { path throws(GSError) in try BuildKey.dataDigest(path) }
        if let source = model.sourcePath { digests += try BuildKey.externalDataDigests(model: source) }
        let key = BuildKey.compute(step: step, model: model, request: request, dataDigests: digests)
        if let entry = cache.entry(key) {
            let report = try JSONParser.parse(try FileSystem.read(entry.report), what: "cached report")
            progress?("step \(step.id): cached")
            return StepOutcome(step: step, key: key, entry: entry, report: report, cached: true, seconds: 0)
        }
        if let seed, let origin = seed(step, key, cache), let entry = cache.entry(key) {
            let report = try JSONParser.parse(try FileSystem.read(entry.report), what: "report from \(origin)")
            progress?("step \(step.id): taken from \(origin) (same build key), not compiled again")
            return StepOutcome(step: step, key: key, entry: entry, report: report, cached: true, seconds: 0)
        }
        guard let path = model.sourcePath else { throw GSError("step \(step.id): Model `\(model.name)` has no source") }
        let onnx: ModelProto
        do throws(ONNXError) {
            onnx = try ModelFile.load(path)
        } catch {
            throw error.gsError
        }
        let variant: CompiledVariant
        do {
            variant = try Compiler.compile(onnx, request)
        } catch let error as CompileError {
            throw GSError(error.message)
        } catch {
            throw GSError("\(error)")
        }
        let entry = try cache.store(key, variant: variant)
        let seconds = (ChildProcess.now() - started)
        progress?(
            "step \(step.id): compiled in \(DecimalText.fixed(seconds, digits: 1)) s (\(variant.report.shipped.rawValue), score \(variant.report.score.map { DecimalText.fixed($0, digits: 4) } ?? "n/a"))"
        )
        return StepOutcome(
            step: step, key: key, entry: entry, report: variant.report.json, cached: false, seconds: seconds)
    }
}

/// Sizes for people.
enum ByteFormat {
    static func megabytes(_ bytes: Int) -> String { (DecimalText.fixed(Double(bytes) / 1_000_000, digits: 1) + " MB") }
}

/// Archives of earlier builds of a bundle, replaced by the one just written.
enum Stale {
    static func removeOlderArchives(of id: String, keeping current: String, in directory: String) {
        let keep = FileSystem.basename(current)
        for entry in (try? FileSystem.list(directory)) ?? [] where entry.kind == .file {
            guard entry.name != keep, entry.name.hasPrefix(id + "-"), entry.name.hasSuffix(".tar.zst") else { continue }
            // `<id>-<12 hex>.tar.zst` exactly, so another bundle whose id extends this one is kept.
            let middle = entry.name.dropFirst(id.count + 1).dropLast(".tar.zst".count)
            if middle.count == 12, Hex.isLowercaseHex(String(middle), count: 12) {
                FileSystem.removeTree(FileSystem.join(directory, entry.name))
            }
        }
    }
}
