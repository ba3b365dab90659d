import GSCore

/// Builds typed objects from validated documents.
enum ObjectDecoder {
    static func meta(_ root: NodeReader, directory: String) -> ObjectMeta? {
        guard let metadata = root["metadata"], let name = metadata.located("name") else { return nil }
        return ObjectMeta(
            name: name, labels: metadata.stringMap("labels"), annotations: metadata.stringMap("annotations"),
            document: root.location, directory: directory)
    }

    static func device(_ spec: NodeReader, _ meta: ObjectMeta) -> Device {
        Device(
            meta: meta, arch: spec.word("arch"),
            cpuFeatures: spec["cpu"]?.words("features") ?? [],
            cores: spec["cpu"]?.int("cores"), memoryMB: spec.int("memoryMB"),
            accelerators: spec.words("accelerators"),
            runtimes: spec.list("runtimes").compactMap { item in
                guard let name: RuntimeName = item.word("name"), let format: ModelFormat = item.word("format")
                else { return nil }
                return Runtime(
                    name: name, version: item.string("version") ?? "", format: format,
                    providers: item.strings("providers"), precisions: item.words("precisions"),
                    fast: item.words("fast"))
            })
    }

    static func host(_ spec: NodeReader, _ meta: ObjectMeta) -> Host {
        let transport: Transport = spec.word("transport") ?? .ssh
        return Host(
            meta: meta, device: spec.located("device"), transport: transport,
            address: spec.string("address"), port: spec.int("port") ?? 22, user: spec.string("user") ?? "root",
            identityFile: spec.string("identityFile").map { FileSystem.resolve($0, relativeTo: meta.directory) },
            root: spec.string("root").map {
                transport == .local ? FileSystem.resolve($0, relativeTo: meta.directory) : $0
            } ?? "/var/lib/gsctl")
    }

    static func model(_ spec: NodeReader, _ meta: ObjectMeta) -> Model {
        let task: ModelTask = spec.word("task") ?? .other
        let evaluation = spec["evaluation"]
        return Model(
            meta: meta, source: spec.located("source"), sha256: spec.located("sha256"), task: task,
            inputs: spec.list("inputs").compactMap { input in
                guard let name = input.string("name") else { return nil }
                return ModelInput(
                    name: name, shape: input.ints("shape"), dtype: input.word("dtype") ?? .float32,
                    layout: input.word("layout") ?? .NCHW)
            },
            preprocess: spec["preprocess"].map { pre in
                Preprocess(
                    width: pre["resize"]?.int("width"), height: pre["resize"]?.int("height"),
                    keepAspect: pre["resize"]?.bool("keepAspect") ?? false,
                    upscale: pre["resize"]?.bool("upscale") ?? true, scale: pre.double("scale") ?? 1,
                    mean: pre.doubles("mean"), std: pre.doubles("std"),
                    channelOrder: pre.word("channelOrder") ?? .rgb, cropWidth: pre["crop"]?.int("width"),
                    cropHeight: pre["crop"]?.int("height"))
            },
            calibration: spec["calibration"].flatMap { calibration in
                calibration.located("data").map { data in
                    Calibration(
                        data: data, samples: calibration.int("samples") ?? 200,
                        method: calibration.word("method") ?? .minmax,
                        percentile: calibration.double("percentile") ?? 99.99)
                }
            },
            evaluation: Evaluation(
                data: evaluation?.located("data"), samples: evaluation?.int("samples") ?? 500,
                metric: evaluation?.word("metric") ?? defaultMetric(task),
                labels: evaluation?.located("labels"), tolerance: evaluation?.double("tolerance") ?? 0.01,
                scoreThreshold: evaluation?.double("scoreThreshold"),
                scoreMargin: evaluation?.double("scoreMargin"), confidence: evaluation?.double("confidence")),
            latencyBudgetMs: spec.double("latencyBudgetMs"),
            onAccuracyMiss: spec.word("onAccuracyMiss") ?? .fail, quantization: spec.word("quantization") ?? .static,
            fp16Interface: spec.bool("fp16Interface") ?? false)
    }

    /// Metrics that need no labels, chosen by what the model does.
    static func defaultMetric(_ task: ModelTask) -> Metric {
        switch task {
        case .classification, .ocrDirection: .top1Agreement
        case .detection, .ocrDetection: .boxF1
        case .ocrRecognition: .charAccuracy
        case .other: .outputError
        }
    }

    static func workflow(_ spec: NodeReader, _ meta: ObjectMeta) -> Workflow {
        Workflow(
            meta: meta, description: spec.string("description"),
            environments: spec.list("environments").compactMap { env in
                env.located("name").map {
                    Environment(name: $0, python: env.string("python") ?? "", packages: env.strings("packages"))
                }
            },
            tasks: spec.list("tasks").compactMap { task($0, directory: meta.directory) })
    }

    static func task(_ item: NodeReader, directory: String) -> WorkflowTask? {
        guard let name = item.located("name") else { return nil }
        let mode: TaskMode = item.word("mode") ?? .service
        let restart = item["restart"]
        return WorkflowTask(
            name: name, uses: item.word("uses"), model: item.located("model"), mode: mode,
            command: item.command("command"), args: item.strings("args"), env: item.stringMap("env"),
            needs: item.locatedStrings("needs"),
            params: item.node["params"].map(NodeReader.json) ?? .object([:]),
            output: item.word("output") ?? (mode == .service ? .stream : .files),
            port: item["port"].flatMap { port in NodeReader.int(port.node).map { Located($0, at: port.location) } },
            files: item.locatedStrings("files").map {
                Located(FileSystem.resolve($0.value, relativeTo: directory), at: $0.location)
            },
            environment: item.located("environment"),
            cpu: item["resources"]?.double("cpu"), memoryMB: item["resources"]?.int("memoryMB"),
            restart: Restart(
                policy: restart?.word("policy") ?? (mode == .service ? .always : .onFailure),
                backoffSeconds: restart?.double("backoffSeconds") ?? 1,
                maxBackoffSeconds: restart?.double("maxBackoffSeconds") ?? 60,
                maxRestarts: restart?.int("maxRestarts")),
            health: item["health"].map(health),
            timeoutSeconds: item.double("timeoutSeconds"),
            outputLocation: item["output"]?.location)
    }

    static func health(_ health: NodeReader) -> Health {
        var probe = Health.Probe.none
        if let http = health["http"], let port = http["port"], let value = NodeReader.int(port.node) {
            probe = .http(path: http.string("path") ?? "/healthz", port: Located(value, at: port.location))
        } else if health.node["exec"] != nil {
            probe = .exec(health.command("exec"))
        }
        return Health(
            probe: probe, initialDelaySeconds: health.double("initialDelaySeconds") ?? 0,
            periodSeconds: health.double("periodSeconds") ?? 5, timeoutSeconds: health.double("timeoutSeconds") ?? 2,
            failureThreshold: health.int("failureThreshold") ?? 3)
    }

    static func deployment(_ spec: NodeReader, _ meta: ObjectMeta) -> Deployment {
        let rollout = spec["rollout"]
        return Deployment(
            meta: meta, workflow: spec.located("workflow"), precision: spec.word("precision") ?? .fp32,
            precisionLocation: spec["precision"]?.location,
            targets: spec.list("targets").map { target in
                Target(
                    location: target.location, hosts: target.locatedStrings("hosts"),
                    selector: target["selector"].map { $0.stringMap("matchLabels") },
                    device: target.located("device"),
                    precision: target.located("precision").flatMap { located in
                        Precision(rawValue: located.value).map { Located($0, at: located.location) }
                    },
                    models: modelPrecisions(target["models"]))
            },
            rollout: rollout.map { rollout in
                Rollout(
                    location: rollout.location, canary: rollout.int("canary") ?? 0,
                    batchSize: rollout.int("batchSize"), maxUnavailable: hostCount(rollout, "maxUnavailable"),
                    failureThreshold: hostCount(rollout, "failureThreshold") ?? .count(0),
                    pauseSeconds: rollout.double("pauseSeconds") ?? 0,
                    onFailure: rollout.word("onFailure") ?? .rollbackBatch)
            } ?? .defaults(),
            trust: spec.locatedStrings("trust").map {
                Located(FileSystem.resolve($0.value, relativeTo: meta.directory), at: $0.location)
            })
    }

    static func modelPrecisions(_ node: NodeReader?) -> [ModelOverride] {
        guard let node else { return [] }
        return (node.node.pairs ?? []).compactMap { pair in
            guard let name = pair.key.scalar, let text = pair.value.scalar, let precision = Precision(rawValue: text)
            else { return nil }
            return ModelOverride(
                model: Located(name, at: node.location(of: pair.key)),
                precision: Located(precision, at: node.location(of: pair.value)))
        }
    }

    static func hostCount(_ node: NodeReader, _ key: String) -> HostCount? {
        if let count = node.int(key) { return .count(count) }
        guard let text = node.string(key), text.hasSuffix("%"), let value = Int(text.dropLast()) else { return nil }
        return .percent(value)
    }
}
