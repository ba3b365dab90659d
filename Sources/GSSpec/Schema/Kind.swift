/// The five kinds of the spec language.
public enum Kind: String, SpecWord {
    case Device, Host, Model, Workflow, Deployment

    /// The `spec:` schema of this kind.
    public var specSchema: ObjectSchema {
        switch self {
        case .Device: DeviceSchema.spec
        case .Host: HostSchema.spec
        case .Model: ModelSchema.spec
        case .Workflow: WorkflowSchema.spec
        case .Deployment: DeploymentSchema.spec
        }
    }

    public var summary: String {
        switch self {
        case .Device: "a class of edge hardware: CPU, accelerators, runtimes and the precisions they run"
        case .Host: "one edge host of the inventory: how to reach it and which Device it is"
        case .Model: "an ONNX model, its inputs, preprocessing, calibration and accuracy budget"
        case .Workflow: "an AI service as a DAG of tasks (detect -> track -> analyze -> serve)"
        case .Deployment: "which Workflow runs where, at which precision, rolled out how"
        }
    }
}

/// The document envelope every spec shares, Kubernetes style.
public enum Envelope {
    public static let apiVersion = "gs.ai/v1"

    public static let metadata = ObjectSchema(
        "ObjectMeta", "name and labels of an object",
        [
            Property("name", .text(.name), required: true, "unique among objects of this kind"),
            Property(
                "labels", .map(keys: StringRule(format: .label), values: .text(.label)),
                "key/value labels that Deployment selectors match"),
            Property(
                "annotations", .map(keys: StringRule(format: .label), values: .anyText),
                "free-form notes for people and tools; gsctl ignores them"),
        ])

    /// The top-level keys, in the order people write them.
    public static func document(_ kind: Kind?) -> ObjectSchema {
        ObjectSchema(
            kind.map { "\($0.rawValue)Document" } ?? "Document", kind?.summary ?? "a gsctl spec",
            [
                Property("apiVersion", .oneOf([apiVersion]), required: true, "always `\(apiVersion)`"),
                Property("kind", .oneOf(Kind.words), required: true, "what this document describes"),
                Property("metadata", .object(metadata), required: true, "name and labels"),
                Property(
                    "spec", kind.map { .object($0.specSchema) } ?? .any, required: true,
                    "the kind's fields"),
            ])
    }
}
