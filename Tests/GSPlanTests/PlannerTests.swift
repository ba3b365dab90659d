import Foundation
import GSCore
import GSPlan
import GSSpec
import Testing

/// Loads a fixture repository and plans it; the fixture must lint clean.
func planFixture(_ name: String) throws -> (plan: Plan, directory: String) {
    let directory = try #require(Bundle.module.resourceURL?.appendingPathComponent("Fixtures/\(name)").path)
    let report = Linter.lint(paths: [directory])
    let problems = report.diagnostics.filter { $0.severity != .note }
    #expect(problems.isEmpty, "fixture \(name) is not clean: \(problems.map { "\($0.location) \($0.message)" })")
    return (Planner.plan(report.specs), directory)
}

@Suite struct PlannerTests {
    @Test func levelsShowWhatRunsInParallel() throws {
        let plan = try planFixture("plan-repo").plan
        let crowd = try #require(plan.workflows.first)
        #expect(
            crowd.levels.map { $0.map(\.name) } == [
                ["frames"], ["detect"], ["classify", "track"], ["analyze"], ["serve"],
            ])
    }

    @Test func oneOptimizeStepPerModelDevicePrecisionSharedByBundles() throws {
        let plan = try planFixture("plan-repo").plan
        #expect(
            plan.steps.map(\.id) == [
                "classifier@gateway/fp16", "classifier@gateway/fp32", "classifier@nano/fp16",
                "detector@gateway/fp16", "detector@gateway/fp32", "detector@gateway/int8-mixed",
                "detector@nano/fp16",
            ])
        // The depot's int8-mixed detector and the lab box's `auto` candidate are one step.
        let shared = try #require(plan.steps.first { $0.id == "detector@gateway/int8-mixed" })
        #expect(shared.deployments == ["depot", "station"])
        #expect(shared.bundles.count == 2)
    }

    @Test func autoShipsWhatTheDeviceCanRunAndQuantizesOnlyWithCalibration() throws {
        let plan = try planFixture("plan-repo").plan
        let bundle = try #require(plan.bundles.first { $0.id == "crowd-gateway-auto" })
        let steps = Dictionary(uniqueKeysWithValues: bundle.models.map { ($0.model, $0.steps) })
        #expect(steps["detector"] == ["detector@gateway/fp16", "detector@gateway/fp32", "detector@gateway/int8-mixed"])
        // The classifier has no calibration data: float candidates only.
        #expect(steps["classifier"] == ["classifier@gateway/fp16", "classifier@gateway/fp32"])
    }

    @Test func perModelOverridesMakeTheirOwnBundle() throws {
        let plan = try planFixture("plan-repo").plan
        let depot = try #require(plan.bundles.first { $0.deployments == ["depot"] })
        #expect(depot.id.hasPrefix("crowd-gateway-mixed-"))
        #expect(
            depot.models.map { "\($0.model)=\($0.precision.rawValue)" } == ["classifier=fp16", "detector=int8-mixed"])
        #expect(depot.hosts == ["gw-1", "gw-2", "gw-3", "gw-4"])
    }

    @Test func canaryThenBatchesOfMaxUnavailable() throws {
        let plan = try planFixture("plan-repo").plan
        let depot = try #require(plan.deployments.first { $0.name == "depot" })
        #expect(depot.batches.map(\.hosts) == [["gw-1"], ["gw-2", "gw-3"], ["gw-4"]])
        #expect(depot.batches.map(\.kind) == [.canary, .batch, .batch])
    }

    @Test(arguments: [
        (5, 0, nil as Int?, nil as HostCount?, [[0, 1, 2, 3, 4]]),
        (5, 2, nil, nil, [[0], [1], [2, 3, 4]]),
        (5, 1, 2, nil, [[0], [1, 2], [3, 4]]),
        (4, 0, nil, HostCount.percent(25), [[0], [1], [2], [3]]),
        (3, 5, nil, nil, [[0], [1], [2]]),
    ])
    func batching(hosts: Int, canary: Int, batchSize: Int?, maxUnavailable: HostCount?, expected: [[Int]]) {
        var rollout = Rollout.defaults()
        rollout.canary = canary
        rollout.batchSize = batchSize
        rollout.maxUnavailable = maxUnavailable
        let names = (0..<hosts).map { "h\($0)" }
        #expect(Planner.batches(names, rollout).map(\.hosts) == expected.map { $0.map { "h\($0)" } })
    }

    @Test func planDoesNotDependOnFileOrder() throws {
        let (plan, directory) = try planFixture("plan-repo")
        // The same documents, one per file, under names that sort the other way round.
        let shuffled = NSTemporaryDirectory() + "gsctl-shuffled-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: shuffled, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: shuffled) }
        var documents: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
            let path = directory + "/" + file
            if file.hasSuffix(".yaml") {
                let text = try String(contentsOfFile: path, encoding: .utf8)
                documents += text.components(separatedBy: "---\n")
            } else {
                try FileManager.default.copyItem(atPath: path, toPath: shuffled + "/" + file)
            }
        }
        for (index, document) in documents.enumerated() {
            try Data(document.utf8).write(to: URL(fileURLWithPath: shuffled + "/\(1000 - index).yaml"))
        }
        let again = Planner.plan(Linter.lint(paths: [shuffled]).specs)
        func text(_ plan: Plan, _ root: String) -> String {
            PlanFormat.json.render(plan).replacingOccurrences(of: root, with: "<repo>")
        }
        #expect(text(again, shuffled) == text(plan, directory))
    }

    @Test func tenThousandTaskWorkflowPlansIntoItsLevels() throws {
        // 100 layers of 100 tasks, each task needing two tasks of the layer before.
        var text = "apiVersion: gs.ai/v1\nkind: Workflow\nmetadata: {name: big}\nspec:\n  tasks:\n"
        for layer in 0..<100 {
            for index in 0..<100 {
                let needs = layer == 0 ? "" : ", needs: [t\(layer - 1)-\(index), t\(layer - 1)-\((index + 1) % 100)]"
                text += "    - {name: t\(layer)-\(index), uses: command, command: run\(needs)}\n"
            }
        }
        let loaded = SpecLoader.load(bytes: Array(text.utf8), path: "big.yaml")
        #expect(loaded.diagnostics.isEmpty)
        let workflow = try #require(loaded.specs.workflows.first)
        let plan = Planner.levels(workflow)
        #expect(plan.levels.count == 100)
        #expect(plan.levels.allSatisfy { $0.count == 100 })
        #expect(plan.taskCount == 10_000)
        #expect(plan.levels[99].first?.needs == ["t98-0", "t98-1"])
    }
}
