/// `kind: Deployment`: which Workflow runs where, and how it is rolled out.
enum DeploymentSchema {
    static let selector = ObjectSchema(
        "Selector", "hosts chosen by labels",
        [
            Property(
                "matchLabels", .map(keys: StringRule(format: .label), values: .text(.label)), required: true,
                "every label must match")
        ])

    static let target = ObjectSchema(
        "Target", "hosts and the precision they run",
        exclusive: [["hosts", "selector"]], requireOne: [["hosts", "selector"]],
        [
            Property("hosts", .list(.text(.name), minItems: 1), "Host names"),
            Property("selector", .object(selector), "or: hosts chosen by labels"),
            Property("device", .text(.name), "Device to build for (default: each host's own)"),
            Property("precision", .oneOf(Precision.words), "precision for this target (default: the deployment's)"),
            Property(
                "models", .map(keys: StringRule(format: .name), values: .oneOf(Precision.words)),
                "per-model precision overrides"),
        ])

    static let rollout = ObjectSchema(
        "Rollout", "how hosts are updated",
        exclusive: [["batchSize", "maxUnavailable"]],
        [
            Property("canary", .nonNegativeInteger, default: "0", "hosts updated first, alone"),
            Property("batchSize", .positiveInteger, "hosts per batch after the canaries"),
            Property(
                "maxUnavailable", .oneOf([.positiveInteger, .text(.percent)]),
                "or: hosts (or percentage) updating at once"),
            Property(
                "failureThreshold", .oneOf([.nonNegativeInteger, .text(.percent)]), default: "0",
                "failed hosts (or percentage) tolerated over the whole rollout before it halts"),
            Property("pauseSeconds", .number(minimum: 0, maximum: nil), default: "0", "pause between batches"),
            Property("onFailure", .oneOf(FailureAction.words), default: "rollback-batch", "what a halted rollout does"),
        ])

    static let spec = ObjectSchema(
        "DeploymentSpec", "a Workflow deployed to hosts",
        [
            Property("workflow", .text(.name), required: true, "the Workflow to run"),
            Property("precision", .oneOf(Precision.words), default: "fp32", "default precision for targets"),
            Property("targets", .array(.object(target), minItems: 1), required: true, "where it runs"),
            Property("rollout", .object(rollout), "rollout strategy"),
            Property("trust", .list(.text(.path)), "Ed25519 public keys (PEM) hosts must verify bundles with"),
        ])
}
