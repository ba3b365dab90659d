/// `kind: Workflow`: an AI service as a DAG of tasks.
enum WorkflowSchema {
    static let command = Schema.oneOf([.text, .array(.text, minItems: 1)])

    static let environment = ObjectSchema(
        "Environment", "a runtime environment tasks run in, shipped with the bundle",
        [
            Property("name", .text(.name), required: true, "referenced by tasks' `environment`"),
            Property("python", .text(.version), required: true, "Python version, quoted: \"3.11\""),
            Property(
                "packages", .list(.text(.pinnedPackage)), "pinned requirements, shipped as a wheelhouse"),
        ])

    static let http = ObjectSchema(
        "HTTPProbe", "an HTTP GET that must answer 2xx",
        [
            Property("path", .text(.urlPath), default: "/healthz", "request path"),
            Property("port", .integer(minimum: 1, maximum: 65535), required: true, "port on the host"),
        ])

    static let health = ObjectSchema(
        "Health", "how the agent decides the task is healthy",
        exclusive: [["http", "exec"]],
        [
            Property("http", .object(http), "HTTP probe"),
            Property("exec", command, "command that must exit 0"),
            Property(
                "initialDelaySeconds", .number(minimum: 0, maximum: nil), default: "0", "wait before the first probe"),
            Property("periodSeconds", .number(minimum: 0.1, maximum: nil), default: "5", "between probes"),
            Property("timeoutSeconds", .number(minimum: 0.1, maximum: nil), default: "2", "per probe"),
            Property("failureThreshold", .positiveInteger, default: "3", "failed probes before unhealthy"),
        ])

    static let restart = ObjectSchema(
        "Restart", "what the supervisor does when the task exits",
        [
            Property(
                "policy", .oneOf(RestartPolicy.words), default: "always for services, on-failure for jobs",
                "when to restart"),
            Property(
                "backoffSeconds", .number(minimum: 0, maximum: nil), default: "1", "first delay, doubled each time"),
            Property("maxBackoffSeconds", .number(minimum: 0, maximum: nil), default: "60", "longest delay"),
            Property("maxRestarts", .nonNegativeInteger, "give up after this many (unset: never)"),
        ])

    static let resources = ObjectSchema(
        "Resources",
        "what the agent grants the task: the cores its thread pools are sized to, the memory it may hold",
        [
            Property(
                "cpu", .number(minimum: 0.01, maximum: nil),
                "cores: the task sizes its thread pools to it (GS_CPUS); a cgroup caps it where the agent may make one"),
            Property(
                "memoryMB", .positiveInteger,
                "MiB its processes may hold: a cgroup limit where the agent may make one, else sampled; over it, the task is restarted"
            ),
        ])

    static let task = ObjectSchema(
        "Task", "one step of the workflow",
        [
            Property("name", .text(.name), required: true, "unique within the workflow"),
            Property("uses", .oneOf(TaskKind.words), required: true, "what the task does"),
            Property("model", .text(.name), "the Model it runs (detect and classify need one)"),
            Property(
                "mode", .oneOf(TaskMode.words), default: "service", "service (kept running) or job (runs to completion)"
            ),
            Property("command", command, required: true, "program to run, relative to the bundle's files"),
            Property("args", .array(.text), "arguments after the command"),
            Property("env", .map(keys: StringRule(format: .label), values: .anyText), "environment variables"),
            Property(
                "needs", .list(.text(.name)), "tasks that must be ready first; their outputs are this task's inputs"),
            Property("params", .any, "task parameters, passed as JSON"),
            Property(
                "output", .oneOf(Handoff.words), default: "stream for services, files for jobs",
                "how results reach the tasks that need it"),
            Property("port", .integer(minimum: 1, maximum: 65535), "port the service listens on"),
            Property("files", .list(.text(.path)), "program files shipped in the bundle, relative to this file"),
            Property("environment", .text(.name), "runtime environment the task runs in"),
            Property("resources", .object(resources), "cores and memory granted to the task"),
            Property("restart", .object(restart), "restart policy with backoff"),
            Property("health", .object(health), "health probe"),
            Property("timeoutSeconds", .number(minimum: 0, maximum: nil), "jobs: longest run before it is killed"),
        ])

    static let spec = ObjectSchema(
        "WorkflowSpec", "a DAG of tasks",
        [
            Property("description", .text, "what the service does"),
            Property("environments", .array(.object(environment)), "runtime environments"),
            Property("tasks", .array(.object(task), minItems: 1), required: true, "the tasks"),
        ])
}
