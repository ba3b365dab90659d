import GSBundle
import GSCore

/// A release's workflow in start order, read from its `manifest.json`.
///
/// Read leniently (members the supervisor does not use are ignored, missing optional ones get
/// the spec's defaults) but checked where running it would go wrong: unknown `needs`, cycles,
/// task names that cannot be file names, numbers that are not numbers.
public struct SupervisedWorkflow: Sendable, Hashable {
    public var name: String
    /// Dependencies before dependents; otherwise in manifest order.
    public var tasks: [SupervisedTask]

    public init(name: String, tasks: [SupervisedTask]) throws(GSError) {
        self.name = name
        self.tasks = try Self.ordered(tasks, what: "workflow '\(name)'")
    }

    /// Reads `workflowGraph` and `models` from a manifest document; `what` names it in errors.
    /// `choices` (model -> variant) are what `precision: auto` measured on this host.
    public init(manifest: JSONValue, what: String, choices: [String: String] = [:]) throws(GSError) {
        guard case .object(let members) = manifest else { throw GSError("\(what) is not a JSON object") }
        guard let graph = members["workflowGraph"], case .object(let graphMembers) = graph else {
            throw GSError(
                "\(what) has no workflowGraph object",
                hint: "the release carries no workflow to supervise; build the bundle from a workflow spec")
        }
        let reader = FieldReader(what: "\(what): workflowGraph")
        let name = try reader.string(graphMembers, "name") ?? "workflow"
        let models: [String: JSONValue]
        if case .object(let value)? = members["models"] { models = value } else { models = [:] }
        var tasks: [SupervisedTask] = []
        guard case .array(let items)? = graphMembers["tasks"] else {
            throw GSError("\(what): workflowGraph has no `tasks` array")
        }
        for (index, item) in items.enumerated() {
            tasks.append(try Self.task(item, index: index, models: models, choices: choices, what: what))
        }
        try self.init(name: name, tasks: tasks)
    }

    /// Reads `manifest.json` from a release directory.
    public static func read(release directory: String, choices: [String: String] = [:]) throws(GSError)
        -> SupervisedWorkflow
    {
        let path = FileSystem.join(directory, "manifest.json")
        let bytes = try FileSystem.read(path, limit: 64 << 20)
        return try SupervisedWorkflow(
            manifest: JSONParser.parse(bytes, what: "`\(path)`"), what: "`\(path)`", choices: choices)
    }

    static func task(
        _ value: JSONValue, index: Int, models: [String: JSONValue], choices: [String: String] = [:], what: String
    ) throws(GSError)
        -> SupervisedTask
    {
        guard case .object(let members) = value else {
            throw GSError("\(what): workflowGraph.tasks[\(index)] is not an object")
        }
        var reader = FieldReader(what: "\(what): workflowGraph.tasks[\(index)]")
        guard let name = try reader.string(members, "name"), Self.isSafeName(name) else {
            throw GSError(
                "\(reader.what) has no usable `name`",
                hint: "task names become file names: letters, digits, '-', '_' and '.', not starting with '.'")
        }
        reader.what = "\(what): task '\(name)'"
        let modeText = try reader.string(members, "mode") ?? "service"
        guard let mode = SupervisedTask.Mode(rawValue: modeText) else {
            throw GSError("\(reader.what) has mode '\(modeText)'", hint: "use 'service' or 'job'")
        }
        var task = SupervisedTask(name: name, mode: mode, command: try reader.strings(members, "command"))
        task.uses = try reader.string(members, "uses") ?? "command"
        task.args = try reader.strings(members, "args")
        task.needs = try reader.strings(members, "needs")
        task.params = members["params"] ?? .null
        task.output = try reader.string(members, "output") ?? "none"
        task.port = try reader.int(members, "port")
        task.environment = try reader.string(members, "environment")
        task.timeoutSeconds = try reader.number(members, "timeoutSeconds")
        if case .object(let resources)? = members["resources"] {
            task.cpu = try reader.number(resources, "cpu").flatMap { $0 > 0 ? $0 : nil }
            task.memoryMB = try reader.int(resources, "memoryMB").flatMap { $0 > 0 ? $0 : nil }
        }
        if case .object(let env)? = members["env"] {
            for (key, value) in env {
                guard case .string(let text) = value else {
                    throw GSError("\(reader.what): env '\(key)' is not a string")
                }
                task.env[key] = text
            }
        }
        if let model = try reader.string(members, "model") {
            task.model = model
            task.modelFile = try modelFile(model, models: models, chosen: choices[model], reader: reader)
        }
        if case .object(let restart)? = members["restart"] {
            let policyText = try reader.string(restart, "policy") ?? task.restart.policy.rawValue
            guard let policy = SupervisedTask.Policy(rawValue: policyText) else {
                throw GSError(
                    "\(reader.what) has restart policy '\(policyText)'", hint: "use 'always', 'on-failure' or 'never'")
            }
            task.restart = SupervisedTask.Restart(
                policy: policy, backoffSeconds: max(0, try reader.number(restart, "backoffSeconds") ?? 1),
                maxBackoffSeconds: max(0, try reader.number(restart, "maxBackoffSeconds") ?? 60),
                maxRestarts: try reader.int(restart, "maxRestarts"))
        }
        if case .object(let health)? = members["health"] {
            let check: SupervisedTask.Health.Check
            if case .object(let http)? = health["http"] {
                guard let port = try reader.int(http, "port") else {
                    throw GSError("\(reader.what): health.http has no port")
                }
                check = .http(path: try reader.string(http, "path") ?? "/", port: port)
            } else if health["exec"] != nil {
                let argv = try reader.strings(health, "exec")
                guard !argv.isEmpty else { throw GSError("\(reader.what): health.exec is empty") }
                check = .exec(argv)
            } else {
                throw GSError("\(reader.what): health has neither `http` nor `exec`")
            }
            task.health = SupervisedTask.Health(
                check: check, initialDelaySeconds: max(0, try reader.number(health, "initialDelaySeconds") ?? 0),
                periodSeconds: max(0.05, try reader.number(health, "periodSeconds") ?? 10),
                timeoutSeconds: max(0.05, try reader.number(health, "timeoutSeconds") ?? 1),
                failureThreshold: max(1, try reader.int(health, "failureThreshold") ?? 3))
        }
        return task
    }

    /// The variant file of `model`: the one measured best on this host (`chosen`), else the
    /// recorded `active` variant, else `precision`'s, else the first.
    static func modelFile(
        _ model: String, models: [String: JSONValue], chosen measured: String? = nil, reader: FieldReader
    )
        throws(GSError) -> String
    {
        guard case .object(let entry)? = models[model] else {
            throw GSError("\(reader.what) uses model '\(model)', which the manifest's `models` does not list")
        }
        guard case .object(let variants)? = entry["variants"], !variants.isEmpty else {
            throw GSError("\(reader.what): model '\(model)' has no variants")
        }
        var chosen: String? = measured.flatMap { variants[$0] != nil ? $0 : nil }
        for key in ["active", "precision"] where chosen == nil {
            if case .string(let name)? = entry[key], variants[name] != nil {
                chosen = name
                break
            }
        }
        let variant = chosen ?? variants.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }[0]
        guard case .object(let fields)? = variants[variant], case .string(let file)? = fields["model"] else {
            throw GSError("\(reader.what): variant '\(variant)' of model '\(model)' names no `model` file")
        }
        return file
    }

    /// Names that are safe as a single path component.
    static func isSafeName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 128, name.utf8.first != UInt8(ascii: ".") else { return false }
        return name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }

    /// Dependencies first (topological levels), manifest order within a level.
    static func ordered(_ tasks: [SupervisedTask], what: String) throws(GSError) -> [SupervisedTask] {
        var index: [String: Int] = [:]
        for (position, task) in tasks.enumerated() {
            guard index[task.name] == nil else { throw GSError("\(what) has two tasks named '\(task.name)'") }
            index[task.name] = position
        }
        var dag = DAG(count: tasks.count)
        for (position, task) in tasks.enumerated() {
            for need in task.needs {
                guard let dependency = index[need] else {
                    throw GSError(
                        "\(what): task '\(task.name)' needs '\(need)', which is not a task of the workflow",
                        hint: "rebuild the bundle; gsctl lint reports such references in the spec")
                }
                dag.addEdge(from: position, needs: dependency)
            }
        }
        if let cycle = dag.cycles().first {
            throw GSError(
                "\(what) has a dependency cycle: \(cycle.map { "'\(tasks[$0].name)'" }.joined(separator: " -> "))")
        }
        return dag.levels().flatMap { $0.map { tasks[$0] } }
    }
}

extension SupervisedWorkflow {
    /// Typed access to a JSON object's members with errors that name the member.
    struct FieldReader {
        var what: String

        func string(_ members: [String: JSONValue], _ key: String) throws(GSError) -> String? {
            switch members[key] {
            case nil, .null?: return nil
            case .string(let value)?: return value
            default: throw GSError("\(what): `\(key)` is not a string")
            }
        }

        func strings(_ members: [String: JSONValue], _ key: String) throws(GSError) -> [String] {
            switch members[key] {
            case nil, .null?: return []
            case .array(let items)?:
                var result: [String] = []
                for item in items {
                    guard case .string(let value) = item else { throw GSError("\(what): `\(key)` holds a non-string") }
                    result.append(value)
                }
                return result
            default: throw GSError("\(what): `\(key)` is not an array of strings")
            }
        }

        func number(_ members: [String: JSONValue], _ key: String) throws(GSError) -> Double? {
            switch members[key] {
            case nil, .null?: return nil
            case .int(let value)?: return Double(value)
            case .double(let value)? where value.isFinite: return value
            default: throw GSError("\(what): `\(key)` is not a number")
            }
        }

        func int(_ members: [String: JSONValue], _ key: String) throws(GSError) -> Int? {
            switch members[key] {
            case nil, .null?: return nil
            case .int(let value)?: return value
            case .double(let value)? where value == value.rounded() && abs(value) < 1e15: return Int(value)
            default: throw GSError("\(what): `\(key)` is not an integer")
            }
        }
    }
}
