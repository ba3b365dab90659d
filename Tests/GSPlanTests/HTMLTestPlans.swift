import Foundation
import GSSpec

@testable import GSPlan

/// Plans the HTML tests render: the example spec repository, a generated large workflow,
/// and hand-built plans with hostile text. Shared by the layout, renderer and screenshot
/// tests, so all of them look at the same pages.
enum HTMLTestPlans {
    /// The repository root, three levels above this file (`Tests/GSPlanTests/<file>`).
    static let repositoryRoot: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The plan of the example specs in `Specs/`, as `gsctl plan Specs` makes it.
    static func examples() -> Plan {
        let loaded = SpecLoader.load(paths: [repositoryRoot + "/Specs"])
        return Planner.plan(loaded.specs)
    }

    /// A deterministic pseudo-random generator (SplitMix64), so generated plans are the same
    /// on every run and every machine.
    struct SplitMix: RandomNumberGenerator {
        /// The generator's state.
        var state: UInt64

        /// The next 64 random bits.
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Tasks per level of the generated workflow: wide in the middle, like a fleet of
    /// cameras fanning into detectors, trackers and analytics, then narrowing to the API.
    static let generatedLevelSizes = [8, 12, 14, 16, 18, 18, 16, 16, 14, 14, 12, 12, 10, 8, 8, 4]

    /// A workflow of `generatedLevelSizes` tasks (200): every task needs one task of the
    /// level before (so the levels hold) and sometimes one or two of any earlier level.
    static func generatedWorkflow(seed: UInt64 = 7) -> WorkflowPlan {
        var random = SplitMix(state: seed)
        let middle = ["detect", "classify", "track", "analyze", "command"]
        let models = ["person-detector", "vehicle-detector", "plate-reader", "face-embedder", "ocr-rec"]
        var levels: [[PlannedTask]] = []
        var number = 0
        for (depth, size) in generatedLevelSizes.enumerated() {
            var level: [PlannedTask] = []
            for _ in 0..<size {
                let uses =
                    depth == 0
                    ? "source" : depth == generatedLevelSizes.count - 1 ? "serve" : middle[Int(random.next() % 5)]
                var needs: [String] = []
                if depth > 0 {
                    let previous = levels[depth - 1]
                    needs.append(previous[Int(random.next() % UInt64(previous.count))].name)
                    let extra = random.next() % 10
                    for _ in 0..<(extra < 5 ? 0 : extra < 8 ? 1 : 2) {
                        let earlier = levels[Int(random.next() % UInt64(depth))]
                        let name = earlier[Int(random.next() % UInt64(earlier.count))].name
                        if !needs.contains(name) { needs.append(name) }
                    }
                }
                let model = uses == "detect" || uses == "classify" ? models[Int(random.next() % 5)] : nil
                level.append(
                    PlannedTask(
                        name: "\(uses)-\(String(format: "%03d", number))", uses: uses, mode: "service", model: model,
                        needs: needs, output: uses == "serve" ? "none" : "stream", port: 9000 + number))
                number += 1
            }
            levels.append(level)
        }
        return WorkflowPlan(name: "city-fleet", description: "200 generated tasks across 16 levels", levels: levels)
    }

    /// A plan around the generated workflow: one deployment over two devices, int8-mixed on
    /// the gateways and fp16 on the Jetsons, so nodes show two precisions.
    static func generated() -> Plan {
        let workflow = generatedWorkflow()
        let models = Set(workflow.levels.flatMap { $0 }.compactMap(\.model)).sorted()
        var steps: [BuildStep] = []
        var bundles: [BundlePlan] = []
        let devices: [(device: String, precision: Precision, hosts: [String])] = [
            ("jetson-orin", .fp16, ["orin-1", "orin-2"]), ("x86-gateway", .int8Mixed, ["gw-1", "gw-2", "gw-3"]),
        ]
        var targets: [PlannedTarget] = []
        for (device, precision, hosts) in devices {
            let bundle = "city-fleet-\(device)-\(precision.rawValue)"
            var bundleModels: [BundleModel] = []
            for model in models {
                let id = "\(model)@\(device)/\(precision.rawValue)"
                steps.append(
                    BuildStep(
                        id: id, model: model, device: device, precision: precision, source: "\(model).onnx",
                        sha256: String(repeating: "ab", count: 32), bundles: [bundle], deployments: ["city-fleet"]))
                bundleModels.append(BundleModel(model: model, precision: precision, steps: [id]))
            }
            bundles.append(
                BundlePlan(
                    id: bundle, workflow: "city-fleet", device: device, models: bundleModels, hosts: hosts,
                    deployments: ["city-fleet"]))
            for host in hosts {
                targets.append(
                    PlannedTarget(
                        host: host, address: "gsctl@10.0.0.\(targets.count + 1):22", transport: .ssh, device: device,
                        bundle: bundle))
            }
        }
        var rollout = Rollout.defaults()
        rollout.canary = 1
        rollout.batchSize = 2
        let hosts = targets.map(\.host)
        let deployment = DeploymentPlan(
            name: "city-fleet", workflow: "city-fleet", targets: targets, rollout: rollout,
            batches: Planner.batches(hosts, rollout), trust: [])
        return Plan(
            deployments: [deployment], steps: steps.sorted { $0.id < $1.id }, bundles: bundles, workflows: [workflow])
    }

    /// A small plan whose free-text fields (and, though the spec language forbids it, names)
    /// carry markup, quotes and ampersands.
    static func hostile() -> Plan {
        let evil = "<script>alert('x')</script>&\"quoted\""
        let workflow = WorkflowPlan(
            name: "w<b>", description: "desc \(evil)",
            levels: [
                [
                    PlannedTask(
                        name: "src\(evil)", uses: "source", mode: "service", model: nil, needs: [], output: "stream",
                        port: 1)
                ],
                [
                    PlannedTask(
                        name: "det", uses: "<img src=x onerror=alert(1)>", mode: "job", model: "model\(evil)",
                        needs: ["src\(evil)"], output: "files", port: nil)
                ],
            ])
        let step = BuildStep(
            id: "model\(evil)@dev/fp16", model: "model\(evil)", device: "dev", precision: .fp16,
            source: "/models/\(evil).onnx", sha256: "00", bundles: ["b\(evil)"], deployments: ["d"])
        let bundle = BundlePlan(
            id: "b\(evil)", workflow: "w<b>", device: "dev",
            models: [BundleModel(model: "model\(evil)", precision: .fp16, steps: [step.id])], hosts: ["h"],
            deployments: ["d"])
        let deployment = DeploymentPlan(
            name: "d", workflow: "w<b>",
            targets: [
                PlannedTarget(host: "h", address: "/srv/\(evil)", transport: .local, device: "dev", bundle: bundle.id)
            ],
            rollout: Rollout.defaults(), batches: Planner.batches(["h"], Rollout.defaults()),
            trust: ["keys/\(evil).pub"])
        return Plan(deployments: [deployment], steps: [step], bundles: [bundle], workflows: [workflow])
    }
}
