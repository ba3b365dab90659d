import GSCore
import GSData
import GSExec
import ONNX
import Testing

@testable import GSAgent

/// `precision: auto` on the device: every variant is measured by the task's own program in
/// measurement mode (GS_MEASURE, docs/tasks.md), the fastest that qualifies is chosen, and
/// the supervisor starts the task on it. The task here is a stdlib-Python stand-in for a
/// runtime: it takes longer per run for bigger variants, and its fp16 computes wrong outputs.
@Suite(.serialized)
struct VariantBenchTests {
    /// Answers GS_MEASURE: per-run milliseconds by variant, outputs copied from the built
    /// ones except for `fp16`, whose outputs are another variant's (a runtime that miscomputes).
    static let runtime = """
        import json, os, shutil, sys, time
        work = os.environ.get("GS_MEASURE")
        model = os.environ["GS_MODEL"]
        if not work:
            open(os.path.join(os.environ["GS_DATA"], "model"), "w").write(model)
            time.sleep(600)
        open(os.path.join(work, "accepted"), "w").close()
        request = json.load(open(os.path.join(work, "request.json")))
        variant = model.split("/")[-2]
        delay = {"fp32": 0.030, "fp16": 0.005, "int8": 0.012}[variant]
        times = []
        for _ in range(request["runs"]):
            began = time.perf_counter(); time.sleep(delay); times.append((time.perf_counter() - began) * 1000)
        golden = os.path.join(os.path.dirname(model), "golden-output.npz")
        if variant == "fp16":
            golden = golden.replace("/fp16/", "/fp32/").replace("golden-output", "other-output")
        shutil.copy(golden, os.path.join(work, "outputs.npz"))
        json.dump({"runtime": "fake 1.0", "loadSeconds": 0.25, "ms": times, "peakRssMB": 42.0},
                  open(os.path.join(work, "result.json"), "w"))
        """

    static func variant(_ name: String, budget: Bool = true) -> JSONValue {
        [
            "model": .string("models/det/\(name)/model.onnx"),
            "goldenInput": .string("models/det/\(name)/golden-input.npz"),
            "goldenOutput": .string("models/det/\(name)/golden-output.npz"),
            "report": ["score": .double(0.995), "met": true, "metric": "output-error", "tolerance": .double(0.02)],
        ]
    }

    /// Like `runtime`, except that fp32 holds 96 MiB of touched memory while it measures,
    /// and each variant reports its real peak (VmHWM, as gs_task.peak_rss_mb does).
    static let hungryRuntime = runtime.replacingOccurrences(
        of: "variant = model.split(\"/\")[-2]\n",
        with: "variant = model.split(\"/\")[-2]\nheld = b\"x\" * (96 << 20) if variant == \"fp32\" else b\"\"\n"
    )
    .replacingOccurrences(
        of: "\"peakRssMB\": 42.0",
        with:
            "\"peakRssMB\": [int(l.split()[1]) / 1024 for l in open(\"/proc/self/status\") if l.startswith(\"VmHWM\")][0]"
    )

    static func release(
        _ fixture: SupervisorFixture, models: JSONValue, runtime: String = runtime, memoryMB: Int? = nil
    ) throws -> String {
        let directory = try fixture.release(
            "r1",
            tasks: [
                SupervisorFixture.task(
                    "detect", command: ["python3", "bin/runtime.py"], model: "det", restart: ["policy": "never"],
                    memoryMB: memoryMB)
            ],
            models: models, files: ["bin/runtime.py": runtime])
        for name in ["fp32", "fp16", "int8"] {
            let folder = FileSystem.join(directory, "models/det/\(name)")
            try FileSystem.makeDirectories(folder)
            try FileSystem.writeAtomically(Array("onnx".utf8), to: FileSystem.join(folder, "model.onnx"))
            try Npz.write(["x": Tensor(shape: [2], floats: [1, 2])], to: FileSystem.join(folder, "golden-input.npz"))
            try Npz.write(
                ["y": Tensor(shape: [3], floats: [10, 20, 30])], to: FileSystem.join(folder, "golden-output.npz"))
            try Npz.write(
                ["y": Tensor(shape: [3], floats: [10, 25, 30])], to: FileSystem.join(folder, "other-output.npz"))
        }
        return directory
    }

    @Test func theFastestVariantWhoseOutputsHoldIsChosenAndTheTaskRunsIt() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        let models: JSONValue = [
            "det": [
                "precision": "auto",
                "variants": ["fp32": Self.variant("fp32"), "fp16": Self.variant("fp16"), "int8": Self.variant("int8")],
                "leftOut": ["int8-mixed": "it would run as fp32 does"],
            ]
        ]
        let directory = try Self.release(fixture, models: models)
        let layout = HostLayout(root: fixture.root)
        let tables = VariantBench.measure(["det"], release: "r1", entries: models, layout: layout)
        let table = try #require(tables.first)
        #expect(table.task == "detect")
        let rows = Dictionary(uniqueKeysWithValues: table.rows.map { ($0.variant, $0) })
        // fp16 is the fastest but computes other numbers on this device: not chosen.
        #expect(rows["fp16"]?.problem?.contains("outputs score") == true, "\(rows["fp16"]?.problem ?? "none")")
        #expect(table.chosen == "int8", "\(table.reason)")
        let int8 = try #require(rows["int8"])
        #expect(int8.runtime == "fake 1.0")
        #expect(int8.loadSeconds == 0.25 && int8.peakMemoryMB == 42)
        #expect((int8.p50Ms ?? 0) >= 12 && (int8.p50Ms ?? 0) < (rows["fp32"]?.p50Ms ?? 0))
        #expect(int8.deviceScore == 1 && int8.buildScore == 0.995)

        // Kept per release; the supervisor starts the task on the chosen variant.
        try VariantBench.save(tables, layout: layout, release: "r1")
        let loaded = try #require(VariantBench.load(layout: layout, release: "r1").first)
        #expect(loaded.chosen == "int8" && loaded.task == "detect")
        #expect(loaded.rows.map(\.variant) == table.rows.map(\.variant))
        #expect(loaded.rows.map(\.problem) == table.rows.map(\.problem))
        // What the build left out travels with the table, for `status --models` to say.
        #expect(loaded.leftOut == ["int8-mixed": "it would run as fp32 does"])
        fixture.activate("r1")
        let loop = try fixture.loop()
        loop.reload()
        #expect(fixture.drive(loop, timeout: 15) { !fixture.text("data/detect/model").isEmpty })
        #expect(fixture.text("data/detect/model") == directory + "/models/det/int8/model.onnx")
    }

    @Test func overTheLatencyBudgetOrMissingTheCompilersToleranceDisqualifies() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        var missed = Self.variant("int8")
        if case .object(var members) = missed, case .object(var report)? = members["report"] {
            report["met"] = false
            members["report"] = .object(report)
            missed = .object(members)
        }
        let models: JSONValue = [
            "det": [
                "precision": "auto", "latencyBudgetMs": .double(20),
                "variants": ["fp32": Self.variant("fp32"), "fp16": Self.variant("fp16"), "int8": missed],
            ]
        ]
        _ = try Self.release(fixture, models: models)
        let table = try #require(
            VariantBench.measure(["det"], release: "r1", entries: models, layout: HostLayout(root: fixture.root)).first)
        let problems = Dictionary(uniqueKeysWithValues: table.rows.map { ($0.variant, $0.problem ?? "") })
        #expect(problems["int8"]?.contains("missed the tolerance") == true)
        #expect(problems["fp32"]?.contains("over the latency budget of 20") == true)
        // Nothing qualifies: the float model runs, and the table says why.
        #expect(table.chosen == "fp32")
        #expect(table.reason.hasPrefix("no variant qualified"))
    }

    /// A variant that needs more memory than the task may hold would not stay up as a
    /// service: it does not qualify. Where the limit is a cgroup's, the kernel stops its
    /// measurement at the limit, as it would stop the service.
    @Test func aVariantOverTheTasksMemoryLimitDoesNotQualify() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        let models: JSONValue = [
            "det": ["precision": "auto", "variants": ["fp32": Self.variant("fp32"), "int8": Self.variant("int8")]]
        ]
        _ = try Self.release(fixture, models: models, runtime: Self.hungryRuntime, memoryMB: 48)
        let table = try #require(
            VariantBench.measure(["det"], release: "r1", entries: models, layout: HostLayout(root: fixture.root)).first)
        let rows = Dictionary(uniqueKeysWithValues: table.rows.map { ($0.variant, $0) })
        let problem = rows["fp32"]?.problem ?? ""
        if Supervisor.MemoryLimit.works() {
            #expect(
                problem.contains("killed by the kernel: out of memory at its limit (resources.memoryMB: 48)"),
                "\(problem)")
            let hierarchy = try #require(Supervisor.MemoryLimit.hierarchy())
            let group = Supervisor.TaskCgroups.directory(in: hierarchy, root: fixture.root, task: "measure.detect")
            #expect(FileSystem.kind(of: group) != .directory, "the measurement's cgroup is removed")
        } else {
            #expect(problem.contains("over the task's limit (resources.memoryMB: 48)"), "\(problem)")
        }
        #expect(rows["int8"]?.problem == nil, "\(rows["int8"]?.problem ?? "")")
        #expect(table.chosen == "int8", "\(table.reason)")
    }

    @Test func aTaskThatIgnoresTheMeasurementIsMeasuredWithGsctlsExecutor() throws {
        let fixture = SupervisorFixture()
        defer { fixture.cleanUp() }
        let models: JSONValue = ["det": ["precision": "auto", "variants": ["fp32": Self.variant("fp32")]]]
        let directory = try fixture.release(
            "r1", tasks: [SupervisorFixture.task("detect", command: ["true"], model: "det")], models: models)
        let folder = FileSystem.join(directory, "models/det/fp32")
        try FileSystem.makeDirectories(folder)
        // A one-node model: y = Relu(x).
        let model = try OracleFreeModels.relu()
        try FileSystem.writeAtomically(model, to: FileSystem.join(folder, "model.onnx"))
        try Npz.write(["x": Tensor(shape: [3], floats: [-1, 0, 2])], to: FileSystem.join(folder, "golden-input.npz"))
        try Npz.write(["y": Tensor(shape: [3], floats: [0, 0, 2])], to: FileSystem.join(folder, "golden-output.npz"))
        let table = try #require(
            VariantBench.measure(["det"], release: "r1", entries: models, layout: HostLayout(root: fixture.root)).first)
        let row = try #require(table.rows.first)
        #expect(row.runtime == "gsctl executor", "\(row.problem ?? "")")
        #expect(row.deviceScore == 1 && row.problem == nil && row.p50Ms != nil)
    }
}

/// Tiny ONNX models written in the test (no oracle needed to know what they compute).
enum OracleFreeModels {
    /// y = Relu(x), x and y float [3], opset 13.
    static func relu() throws -> [UInt8] {
        var node = NodeProto()
        node.opType = "Relu"
        node.name = "relu"
        node.input = ["x"]
        node.output = ["y"]
        let graph = GraphProto(
            name: "relu", nodes: [node], inputs: [ValueInfoProto(name: "x", elementType: .float, shape: [3])],
            outputs: [ValueInfoProto(name: "y", elementType: .float, shape: [3])], initializers: [], valueInfo: [])
        return ModelProto(graph: graph, opsets: [OperatorSetIdProto(version: 13)], irVersion: 8).serialized()
    }
}

/// Each variant is measured twice (the second round in reverse order) and keeps its faster
/// round, unless that round went wrong.
@Suite struct VariantBenchRoundsTests {
    static func row(_ p50: Double?, problem: String? = nil) -> VariantBench.Row {
        var row = VariantBench.Row(variant: "int8")
        row.p50Ms = p50
        row.problem = problem
        return row
    }

    @Test func theFasterRoundIsKeptAndAFailedRoundNeverWins() {
        #expect(VariantBench.faster(Self.row(11), Self.row(9)).p50Ms == 9)
        #expect(VariantBench.faster(Self.row(9), Self.row(11)).p50Ms == 9)
        let failed = Self.row(5, problem: "the task's measurement failed")
        #expect(VariantBench.faster(failed, Self.row(12)).p50Ms == 12)
        #expect(VariantBench.faster(Self.row(12), failed).p50Ms == 12)
        #expect(VariantBench.faster(Self.row(nil, problem: "a"), Self.row(nil, problem: "b")).problem == "a")
    }
}
