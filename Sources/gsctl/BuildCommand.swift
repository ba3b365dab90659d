import GSBuild
import GSCore
import GSPlan
import GSSpec

/// `gsctl build`: compile the plan's optimize steps and pack signed bundles.
enum BuildCommand {
    static let spec = CommandSpec(
        name: "build",
        summary: "optimize the models of the plan and pack one signed bundle per workflow x device x precision",
        discussion: """
            Lints and plans the specs, compiles every optimize step (graph passes, FP16, INT8 with
            calibration and the int8-mixed accuracy fallback), caches each result by a key over
            everything that shapes it, and packs reproducible .tar.zst bundles with a signed
            manifest into the output folder, with build-report.md and build-report.json.
            """,
        arguments: [ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true)],
        options: [
            .value("out", short: "o", "DIR", "where bundles go (default: Bundles)"),
            .value("jobs", short: "j", "N", "optimize steps compiled at once (default: 1)"),
            .value("sign", "KEY", "Ed25519 private key (PEM) to sign manifests with"),
            .value("cache", "DIR", "build cache (default: <out>/cache); keep it between CI jobs"),
            .value("only", "DEPLOYMENT", "build only these deployments", repeatable: true),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        AllocatorTuning.keepFreedMemoryForReuse()
        let report = Linter.lint(paths: Output.specPaths(arguments))
        guard try Output.refuseErrors(report, doing: "building") else { return .failure }
        let plan = Planner.plan(report.specs, only: try Output.onlyDeployments(arguments, in: report.specs))
        var options = BuildOptions()
        options.outputDirectory = arguments.value("out") ?? "Bundles"
        if let jobs = arguments.value("jobs") {
            guard let count = Int(jobs), count >= 1 else {
                throw UsageError(message: "`--jobs` must be a positive number, not `\(jobs)`")
            }
            options.jobs = count
        }
        options.signingKey = arguments.value("sign")
        options.cacheDirectory = arguments.value("cache")
        options.progress = { line in Terminal.write(line + "\n", to: .standardError) }
        let result = try Builder.build(
            specs: report.specs, plan: plan, specFiles: report.specs.files, options: options)
        Terminal.write(result.reportMarkdown)
        return .success
    }
}
