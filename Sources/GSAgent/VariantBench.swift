import GSBundle
import GSCore
import GSData
import GSExec
import GSOptimize
import ONNX

#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

/// `precision: auto`, decided on the device: each candidate variant a bundle carries is
/// loaded and run by the task's own runtime (the task program answers `GS_MEASURE`, see
/// docs/tasks.md) on the model's golden input, and the fastest one whose accuracy holds is
/// the one the task runs. The measured table is kept per release (`HostLayout.variants`)
/// for `gsctl status --models`, in the shape of the talk's per-device table: variant,
/// runtime, load s, ms/frame, FPS, memory, accuracy.
///
/// A variant qualifies when it ran, the compiler's evaluation met the Model's tolerance
/// (`report.met`), the device's outputs on the golden input score within that tolerance of
/// the outputs the compiler built (the Model's own metric, so an int8 variant's integer
/// kernels may differ in the last bits but not in what the service reports), and its median
/// latency is within the Model's budget. None qualifying runs the float model and says why.
public enum VariantBench {
    public struct Row: Hashable, Sendable {
        public var variant: String
        public var runtime: String = "-"
        public var loadSeconds: Double?
        public var p50Ms: Double?
        public var p95Ms: Double?
        public var peakMemoryMB: Double?
        /// The compiler's score of this variant against the float model on its evaluation set.
        public var buildScore: Double?
        public var metric: String?
        /// The device's outputs on the golden input scored against the built outputs.
        public var deviceScore: Double?
        /// Largest |device - built| over the outputs, relative to each output's largest |built|.
        public var relativeError: Double?
        public var problem: String?

        public var fps: Double? { p50Ms.map { $0 > 0 ? 1000 / $0 : 0 } }
        public var qualifies: Bool { problem == nil }

        public var json: JSONValue {
            func number(_ value: Double?, _ scale: Double = 1000) -> JSONValue {
                value.map { .double(($0 * scale).rounded() / scale) } ?? .null
            }
            return [
                "variant": .string(variant), "runtime": .string(runtime), "loadSeconds": number(loadSeconds),
                "p50Ms": number(p50Ms), "p95Ms": number(p95Ms), "fps": number(fps, 10),
                "peakMemoryMB": number(peakMemoryMB, 10), "buildScore": number(buildScore, 10000),
                "metric": .optional(metric), "deviceScore": number(deviceScore, 10000),
                "relativeError": relativeError.map { .double($0) } ?? .null, "problem": .optional(problem),
            ]
        }

        public init(variant: String) { self.variant = variant }

        public init(json: JSONValue) {
            variant = json["variant"]?.stringValue ?? "?"
            runtime = json["runtime"]?.stringValue ?? "-"
            loadSeconds = json["loadSeconds"]?.doubleValue
            p50Ms = json["p50Ms"]?.doubleValue
            p95Ms = json["p95Ms"]?.doubleValue
            peakMemoryMB = json["peakMemoryMB"]?.doubleValue
            buildScore = json["buildScore"]?.doubleValue
            metric = json["metric"]?.stringValue
            deviceScore = json["deviceScore"]?.doubleValue
            relativeError = json["relativeError"]?.doubleValue
            problem = json["problem"]?.stringValue
        }
    }

    public struct Table: Hashable, Sendable {
        public var model: String
        public var task: String?
        public var chosen: String
        public var reason: String
        public var measuredAt: Double
        public var rows: [Row]
        /// Candidates the build left out of the bundle, and why (the manifest's `leftOut`).
        public var leftOut: [String: String] = [:]

        public var json: JSONValue {
            [
                "model": .string(model), "task": .optional(task), "chosen": .string(chosen), "reason": .string(reason),
                "measuredAt": .double(measuredAt), "rows": .array(rows.map(\.json)),
                "leftOut": .object(leftOut.mapValues { .string($0) }),
            ]
        }

        public init(model: String, task: String?, chosen: String, reason: String, measuredAt: Double, rows: [Row]) {
            self.model = model
            self.task = task
            self.chosen = chosen
            self.reason = reason
            self.measuredAt = measuredAt
            self.rows = rows
        }

        public init?(json: JSONValue) {
            guard let model = json["model"]?.stringValue, let chosen = json["chosen"]?.stringValue else { return nil }
            self.init(
                model: model, task: json["task"]?.stringValue, chosen: chosen,
                reason: json["reason"]?.stringValue ?? "", measuredAt: json["measuredAt"]?.doubleValue ?? 0,
                rows: (json["rows"]?.arrayValue ?? []).map(Row.init(json:)))
            leftOut = (json["leftOut"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
        }
    }

    /// How many runs a measurement asks of the task (`request.json`, docs/tasks.md).
    public struct Runs: Hashable, Sendable {
        public var runs: Int
        public var warmup: Int
        public var seconds: Double

        /// Choosing among `precision: auto` candidates: enough runs for a stable p50.
        public static let selection = Runs(runs: 30, warmup: 2, seconds: 5)
        /// The golden gate of a fixed-precision release: the outputs and a latency check.
        public static let gate = Runs(runs: 10, warmup: 1, seconds: 2)
    }

    /// How long one variant's measurement may take (load, warm-up and the timed runs).
    public static let deadlineSeconds = 180.0
    /// How soon a task must show it measures (GS_MEASURE/accepted) before it is taken for a
    /// program that ignores GS_MEASURE and gsctl's executor measures instead.
    public static let acceptSeconds = 30.0

    /// Models whose precision is `auto` and that ship more than one variant.
    public static func autoModels(_ manifest: Manifest) -> [String] {
        guard let models = manifest.models.objectValue else { return [] }
        return models.keys.sorted().filter { name in
            models[name]?["precision"]?.stringValue == "auto"
                && (models[name]?["variants"]?.objectValue?.count ?? 0) > 1
        }
    }

    /// Every model that ships more than one variant (what `gsctl device bench` re-measures).
    public static func multiVariantModels(_ manifest: Manifest) -> [String] {
        guard let models = manifest.models.objectValue else { return [] }
        return models.keys.sorted().filter { (models[$0]?["variants"]?.objectValue?.count ?? 0) > 1 }
    }

    /// Measures every variant of each of `models` in the release `name` (its manifest's
    /// `models` object is `entries`) and picks one per model.
    public static func measure(
        _ models: [String], release name: String, entries: JSONValue, layout: HostLayout
    ) -> [Table] {
        let directory = layout.release(name)
        let workflow = try? SupervisedWorkflow.read(release: directory)
        return models.map { model in
            let entry = entries[model] ?? .null
            let variants = entry["variants"]?.objectValue ?? [:]
            let task = workflow?.tasks.first { $0.model == model }
            let budget = entry["latencyBudgetMs"]?.doubleValue
            // Two rounds, the second in reverse order, keeping each variant's faster round:
            // on a busy device one pass per variant let whatever ran at the same moment
            // decide between near-equal variants (the demo once chose int8-mixed at 8.97 ms
            // over fp32's 11.09; interleaved over 795 frames the two were level).
            let order = variants.keys.sorted()
            var measured: [String: Row] = [:]
            for round in [order, order.reversed()] {
                for variant in round {
                    // A task that ignored GS_MEASURE the first time (30 s to find out) goes
                    // straight to the executor the second time.
                    let viaExecutor = measured[variant]?.runtime == Self.executorRuntime
                    let row = measureVariant(
                        model: model, variant: variant, entry: variants[variant]!, task: viaExecutor ? nil : task,
                        workflow: workflow, release: directory, layout: layout)
                    measured[variant] = measured[variant].map { Self.faster($0, row) } ?? row
                }
            }
            var rows: [Row] = []
            for variant in order {
                var row = measured[variant]!
                judge(&row, entry: variants[variant]!, budget: budget)
                rows.append(row)
            }
            let qualifying = rows.filter(\.qualifies).sorted { ($0.p50Ms ?? .infinity) < ($1.p50Ms ?? .infinity) }
            let chosen: String
            let reason: String
            if let best = qualifying.first {
                chosen = best.variant
                reason =
                    "fastest of \(qualifying.count) qualifying variant(s): \(DecimalText.fixed(best.p50Ms ?? 0, digits: 2)) ms"
            } else {
                chosen = variants["fp32"] != nil ? "fp32" : variants.keys.sorted().first ?? "fp32"
                reason =
                    "no variant qualified; running \(chosen): " + rows.compactMap(\.problem).joined(separator: "; ")
            }
            var table = Table(
                model: model, task: task?.name, chosen: chosen, reason: reason, measuredAt: unixNow(), rows: rows)
            table.leftOut = (entry["leftOut"]?.objectValue ?? [:]).compactMapValues(\.stringValue)
            return table
        }
    }

    /// The runtime column of a variant measured by the fallback.
    static let executorRuntime = "gsctl executor"

    /// Of two measurements of one variant, the one with the lower p50; one that went wrong
    /// only when both did.
    static func faster(_ first: Row, _ second: Row) -> Row {
        if (first.problem == nil) != (second.problem == nil) { return first.problem == nil ? first : second }
        switch (first.p50Ms, second.p50Ms) {
        case (nil, nil), (.some, nil): return first
        case (nil, .some): return second
        case (.some(let a), .some(let b)): return b < a ? second : first
        }
    }

    /// Marks why a measured variant does not qualify (first reason only).
    static func judge(_ row: inout Row, entry: JSONValue, budget: Double?) {
        guard row.problem == nil else { return }
        let report = entry["report"] ?? .null
        let tolerance = report["tolerance"]?.doubleValue ?? 0.01
        if report["met"]?.boolValue == false {
            row.problem = "the compiler's evaluation missed the tolerance (\(row.buildScore ?? 0))"
        } else if let score = row.deviceScore, score < 1 - tolerance - 1e-9 {
            row.problem = "on this device its outputs score \(score) against the built ones (tolerance \(tolerance))"
        } else if let budget, let p50 = row.p50Ms, p50 > budget {
            row.problem = "\(DecimalText.fixed(p50, digits: 1)) ms is over the latency budget of \(budget) ms"
        }
    }

    static func measureVariant(
        model: String, variant: String, entry: JSONValue, task: SupervisedTask?, workflow: SupervisedWorkflow?,
        release directory: String, layout: HostLayout, runs: Runs = .selection
    ) -> Row {
        var row = Row(variant: variant)
        let report = entry["report"] ?? .null
        row.buildScore = report["score"]?.doubleValue
        row.metric = report["metric"]?.stringValue
        guard let modelPath = entry["model"]?.stringValue, let inputPath = entry["goldenInput"]?.stringValue,
            let outputPath = entry["goldenOutput"]?.stringValue
        else {
            row.problem = "the manifest names no model or golden files for \(model)/\(variant)"
            return row
        }
        let work = FileSystem.join(FileSystem.join(layout.run, "measure"), "\(model)-\(variant)")
        FileSystem.removeTree(work)
        do throws(GSError) {
            try FileSystem.makeDirectories(work)
            let request: JSONValue = [
                "input": .string(FileSystem.join(directory, inputPath)), "runs": .int(runs.runs),
                "warmup": .int(runs.warmup), "seconds": .double(runs.seconds),
            ]
            try FileSystem.writeAtomically(request.canonical, to: FileSystem.join(work, "request.json"))
            var measured = false
            if let task, let workflow {
                measured = try runTask(
                    task, workflow: workflow, release: directory, layout: layout,
                    model: FileSystem.join(directory, modelPath), work: work, into: &row)
            }
            if !measured {
                do {
                    try runExecutor(
                        FileSystem.join(directory, modelPath), input: FileSystem.join(directory, inputPath), work: work,
                        into: &row)
                } catch {
                    throw GSError("gsctl's executor cannot run it: \(error)")
                }
            }
            let expected = GoldenGate.decodeNames(try Npz.read(path: FileSystem.join(directory, outputPath)))
            let got = GoldenGate.decodeNames(try Npz.read(path: FileSystem.join(work, "outputs.npz")))
            // Outputs of the same variant on another runtime are compared by the agreement
            // metric (`deviceMetric`), also where the build scored accuracy on labels.
            let metric =
                (report["deviceMetric"]?.stringValue ?? row.metric).flatMap(AccuracyMetric.init(rawValue:))
                ?? .outputError
            row.deviceScore = metric.score(reference: [expected], candidate: [got])
            row.relativeError = GoldenGate.compare(expected: expected, got: got).relativeError
        } catch {
            row.problem = row.problem ?? "\(model)/\(variant) could not be measured: \(error.message)"
        }
        return row
    }

    /// Runs the task's own program in measurement mode; false when it does not implement it.
    static func runTask(
        _ task: SupervisedTask, workflow: SupervisedWorkflow, release directory: String, layout: HostLayout,
        model: String, work: String, into row: inout Row
    ) throws(GSError) -> Bool {
        let release = SupervisedRelease(directory: directory, workflow: workflow)
        let paths = SupervisorPaths(root: layout.root)
        var environment = Supervisor.TaskLaunch.environment(
            task, release: release, paths: paths, base: SpawnAttributes.currentEnvironment())
        environment["GS_MODEL"] = model
        environment["GS_MEASURE"] = work
        // Measured under the limits the service will run under (its CPU quota, its memory
        // limit), in a cgroup of its own: the service of the running release keeps its own.
        // `measure.<task>`: a task name (a DNS label) has no dot, so no service's cgroup.
        let group = "measure." + task.name
        let limits = Supervisor.TaskCgroups.limits(for: task, root: paths.root, group: group)
        defer { Supervisor.TaskCgroups.remove(root: paths.root, task: group) }
        let killsBefore = Supervisor.MemoryLimit.kills(root: paths.root, task: group)
        let request = Supervisor.SpawnRequest(
            arguments: Supervisor.TaskCgroups.wrap(
                try Supervisor.TaskLaunch.arguments(task, release: release), directories: limits.directories),
            environment: environment, directory: directory, output: FileSystem.join(work, "task.log"))
        let pid = try Supervisor.Spawner.spawn(request)
        let started = ChildProcess.now()
        var status: Int32 = 0
        var ignored = false
        while true {
            let done = waitpid(pid, &status, WNOHANG)
            if done == pid || (done < 0 && errno != EINTR) { break }
            let accepted = FileSystem.kind(of: FileSystem.join(work, "accepted")) == .file
            let elapsed = ChildProcess.now() - started
            if !accepted && elapsed >= acceptSeconds || elapsed >= deadlineSeconds {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0, errno == EINTR {}
                if accepted {
                    row.problem = "the task's measurement did not finish in \(Int(deadlineSeconds)) s"
                    return true
                }
                ignored = true  // a service that never looked at GS_MEASURE
                break
            }
            usleep(20_000)
        }
        if ignored { return false }
        if limits.memoryCap != nil, let limit = task.memoryMB,
            Supervisor.MemoryLimit.kills(root: paths.root, task: group) > killsBefore
        {
            row.problem = "the task's measurement was \(Supervisor.MemoryLimit.killReason(megabytes: limit))"
            return true
        }
        let resultPath = FileSystem.join(work, "result.json")
        guard FileSystem.kind(of: resultPath) == .file else {
            if Supervisor.Spawner.exitCode(status) != 0 {
                let log = String(
                    decoding: ((try? FileSystem.read(FileSystem.join(work, "task.log"))) ?? []).suffix(400),
                    as: UTF8.self)
                row.problem = "the task's measurement failed (exit \(Supervisor.Spawner.exitCode(status))): \(log)"
                return true
            }
            return false  // the program ran as a service would and ignored GS_MEASURE: measure here
        }
        let result = try JSONParser.parse(try FileSystem.read(resultPath, limit: 1 << 20), what: "`\(resultPath)`")
        let times = (result["ms"]?.arrayValue ?? []).compactMap(\.doubleValue).sorted()
        guard !times.isEmpty else { throw GSError("the task's measurement reported no runs") }
        row.runtime = result["runtime"]?.stringValue ?? "task runtime"
        row.loadSeconds = result["loadSeconds"]?.doubleValue
        row.peakMemoryMB = result["peakRssMB"]?.doubleValue
        row.p50Ms = percentile(times, 0.5)
        row.p95Ms = percentile(times, 0.95)
        if let limit = task.memoryMB, let peak = row.peakMemoryMB, peak > Double(limit) {
            // Where the limit is not a cgroup's, the service would be restarted over and over.
            row.problem =
                "its peak memory \(DecimalText.fixed(peak, digits: 0)) MB is over the task's limit (resources.memoryMB: \(limit))"
        }
        return true
    }

    /// The fallback for tasks that do not answer GS_MEASURE: gsctl's own executor.
    static func runExecutor(_ modelPath: String, input: String, work: String, into row: inout Row) throws {
        let started = ChildProcess.now()
        let executor = try ONNXImport.executor(for: try ModelFile.load(modelPath))
        row.loadSeconds = ChildProcess.now() - started
        let inputs = GoldenGate.decodeNames(try Npz.read(path: input))
        var outputs = try executor.run(inputs)
        var times: [Double] = []
        for _ in 0..<5 {
            let began = ChildProcess.now()
            outputs = try executor.run(inputs)
            times.append((ChildProcess.now() - began) * 1000)
        }
        times.sort()
        row.runtime = executorRuntime
        row.p50Ms = percentile(times, 0.5)
        row.p95Ms = percentile(times, 0.95)
        try Npz.write(outputs, to: FileSystem.join(work, "outputs.npz"))
    }

    static func percentile(_ sorted: [Double], _ q: Double) -> Double {
        sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count - 1) * q).rounded())))]
    }

    // MARK: - Kept per release

    /// The variant each measured model runs (model -> variant).
    public static func choices(_ tables: [Table]) -> [String: String] {
        Dictionary(tables.map { ($0.model, $0.chosen) }, uniquingKeysWith: { a, _ in a })
    }

    public static func save(_ tables: [Table], layout: HostLayout, release name: String) throws(GSError) {
        try FileSystem.makeDirectories(layout.variants)
        let document: JSONValue = ["release": .string(name), "models": .array(tables.map(\.json))]
        try FileSystem.writeAtomically(document.pretty, to: layout.variantsFile(release: name))
    }

    public static func load(layout: HostLayout, release name: String) -> [Table] {
        guard let bytes = try? FileSystem.read(layout.variantsFile(release: name), limit: 4 << 20),
            let document = try? JSONParser.parse(bytes, what: "variants")
        else { return [] }
        return (document["models"]?.arrayValue ?? []).compactMap(Table.init(json:))
    }
}
