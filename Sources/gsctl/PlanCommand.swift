import GSCore
import GSPlan
import GSSpec

/// `gsctl plan`: the DAG, build matrix, bundles and rollout batches of the specs.
enum PlanCommand {
    static let spec = CommandSpec(
        name: "plan",
        summary: "show what build and apply would do: task DAG, optimize steps, bundles, rollout",
        discussion: """
            Lints the specs first and refuses to plan when they have errors. `html` is one
            self-contained page with the Graph view and the Tree view; `json` is what scripts read.
            The same specs always give the same bytes.
            """,
        arguments: [ArgumentSpec(name: "PATHS", help: "spec files or folders (default: Specs)", variadic: true)],
        options: [
            .value("format", short: "f", "FORMAT", "output format", allowed: PlanFormat.allCases.map(\.rawValue)),
            .value("out", short: "o", "FILE", "write to FILE (atomically) instead of standard output"),
            .value("only", "DEPLOYMENT", "plan only these deployments", repeatable: true),
        ],
        run: run)

    static func run(_ arguments: ParsedArguments) throws -> ExitCode {
        let format = arguments.value("format").flatMap(PlanFormat.init(rawValue:)) ?? .text
        let report = Linter.lint(paths: Output.specPaths(arguments))
        guard try Output.refuseErrors(report, doing: "planning") else { return .failure }
        let plan = Planner.plan(report.specs, only: try Output.onlyDeployments(arguments, in: report.specs))
        let out = arguments.value("out")
        let color = out == nil && format == .text && Terminal.wantsColor(.standardOutput)
        try Output.emit(format.render(plan, color: color), to: out)
        return .success
    }
}
