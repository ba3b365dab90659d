import GSBundle
import GSCore
import GSData
import GSExec
import Testing

@testable import GSAgent

/// The golden gate of a fixed-precision release runs each model's golden input through the
/// runtime of the task that runs it (the stand-in runtime of `VariantBenchTests`: fp16
/// computes wrong outputs there, fp32 takes 30 ms a run), not only through gsctl's executor.
@Suite(.serialized)
struct GoldenGateTests {
    /// A release whose `detect` task runs model `det` at `precision`, in a runtime
    /// environment (or, with `environment: nil`, in none).
    static func release(
        _ fixture: SupervisorFixture, precision: String, budget: Double? = nil, environment: String? = "vision"
    ) throws -> JSONValue {
        var models: JSONValue = [
            "det": [
                "precision": .string(precision), "latencyBudgetMs": budget.map { .double($0) } ?? .null,
                "variants": [
                    "fp32": VariantBenchTests.variant("fp32"), "fp16": VariantBenchTests.variant("fp16"),
                    "int8": VariantBenchTests.variant("int8"),
                ],
            ]
        ]
        if precision != "auto", case .object(var all) = models, case .object(var det)? = all["det"],
            case .object(var variants)? = det["variants"]
        {
            variants = variants.filter { $0.key == precision }
            det["variants"] = .object(variants)
            all["det"] = .object(det)
            models = .object(all)
        }
        _ = try VariantBenchTests.release(fixture, models: models)
        // The task in its runtime environment (none is installed here: PATH's python3 runs it).
        let path = fixture.path("releases/r1/manifest.json")
        var manifest = try JSONParser.parse(try FileSystem.read(path), what: "manifest")
        if case .object(var members) = manifest, case .object(var graph)? = members["workflowGraph"],
            case .array(var tasks)? = graph["tasks"], case .object(var task) = tasks[0]
        {
            task["environment"] = .optional(environment)
            tasks[0] = .object(task)
            graph["tasks"] = .array(tasks)
            members["workflowGraph"] = .object(graph)
            manifest = .object(members)
        }
        try FileSystem.writeAtomically(manifest.canonical, to: path)
        return manifest
    }

    static func gate(_ fixture: SupervisorFixture, _ manifest: JSONValue, measured: [VariantBench.Table] = [])
        throws -> GoldenGate.ModelCheck
    {
        let parsed = Manifest(
            id: "r1", workflow: "demo", device: "box", precision: "fp32",
            source: SourceInfo(specDigest: String(repeating: "0", count: 64)), models: manifest["models"]!,
            workflowGraph: manifest["workflowGraph"]!)
        let checks = GoldenGate.check(
            release: "r1", manifest: parsed, layout: HostLayout(root: fixture.root), measured: measured)
        return try #require(checks.first)
    }

    @Test func aFixedPrecisionModelIsCheckedThroughItsTasksRuntime() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        let check = try Self.gate(fixture, try Self.release(fixture, precision: "int8"))
        #expect(check.passed, "\(check.problem ?? "")")
        #expect(check.runtime == "fake 1.0", "the task's runtime ran it, not gsctl's executor")
        #expect(check.variant == "int8" && check.score == 1 && check.relativeError == 0)
        #expect(check.milliseconds >= 12, "the runtime's own per-run time: \(check.milliseconds)")
    }

    @Test func aRuntimeThatComputesWrongFailsTheGateNamingIt() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        let check = try Self.gate(fixture, try Self.release(fixture, precision: "fp16"))
        #expect(!check.passed)
        #expect(check.runtime == "fake 1.0")
        #expect(check.problem?.contains("det/fp16 in fake 1.0") == true, "\(check.problem ?? "")")
        #expect(check.problem?.contains("computes wrong results") == true, "\(check.problem ?? "")")
        // 25 against 20 in the largest output of 30: a sixth of it.
        #expect(abs(check.relativeError - 5.0 / 30) < 1e-6)
    }

    @Test func theLatencyBudgetIsJudgedOnTheTasksRuntime() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        let check = try Self.gate(fixture, try Self.release(fixture, precision: "fp32", budget: 20))
        #expect(
            check.problem?.contains("in fake 1.0, over its latency budget of 20 ms") == true, "\(check.problem ?? "")")
    }

    @Test func anAutoModelReusesTheMeasurementThatChoseItsVariant() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        let manifest = try Self.release(fixture, precision: "auto")
        let layout = HostLayout(root: fixture.root)
        let tables = VariantBench.measure(["det"], release: "r1", entries: manifest["models"]!, layout: layout)
        // Were it measured again, the new result would land here.
        FileSystem.removeTree(FileSystem.join(layout.run, "measure"))
        let check = try Self.gate(fixture, manifest, measured: tables)
        #expect(check.variant == "int8" && check.passed, "\(check.problem ?? "")")
        #expect(check.runtime == "fake 1.0")
        #expect(FileSystem.kind(of: FileSystem.join(layout.run, "measure")) == .missing, "nothing was run again")
    }

    @Test func aTaskOutsideAnyRuntimeEnvironmentIsCheckedByGsctlsExecutor() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        let check = try Self.gate(fixture, try Self.release(fixture, precision: "int8", environment: nil))
        #expect(check.runtime == VariantBench.executorRuntime)
        // The stand-in model file is not ONNX: the executor cannot run it, and says so.
        #expect(check.problem?.contains("det/int8 does not run") == true, "\(check.problem ?? "")")
    }
}
