/// The spec language as data: one description drives validation (with located findings),
/// the JSON Schema that `gsctl schema` prints for editors, and the field tables in
/// docs/spec.md. Keeping one source means the three can never disagree.
public indirect enum Schema: Sendable {
    case string(StringRule)
    case integer(minimum: Int?, maximum: Int?)
    case number(minimum: Double?, maximum: Double?)
    case boolean
    case array(Schema, minItems: Int = 0, uniqueItems: Bool = false)
    case object(ObjectSchema)
    /// A mapping with free keys (labels, env, model overrides): every value follows `values`.
    case map(keys: StringRule, values: Schema)
    /// Either form, chosen by the node's shape (a string or a list of strings, say).
    case oneOf([Schema])
    /// Anything (task params): only the YAML hazards are checked.
    case any

    /// Short description of the expected type for messages ("an integer", "one of: a, b").
    public var expectation: String {
        switch self {
        case .string(let rule):
            if let values = rule.allowed { return "one of \(values.joined(separator: ", "))" }
            return "text"
        case .integer: return "an integer"
        case .number: return "a number"
        case .boolean: return "true or false"
        case .array(let item, _, _): return "a list of \(item.plural)"
        case .object, .map: return "a mapping"
        case .oneOf(let options): return options.map(\.expectation).joined(separator: " or ")
        case .any: return "any value"
        }
    }

    var plural: String {
        switch self {
        case .string: "strings"
        case .integer: "integers"
        case .number: "numbers"
        case .boolean: "booleans"
        case .array: "lists"
        case .object, .map: "mappings"
        case .oneOf: "values"
        case .any: "values"
        }
    }

    public static let text = Schema.string(StringRule())
    /// Text that may be empty (environment values, annotations).
    public static let anyText = Schema.string(StringRule(allowEmpty: true))
    public static func text(_ format: StringFormat) -> Schema { .string(StringRule(format: format)) }
    public static func oneOf(_ values: [String]) -> Schema { .string(StringRule(allowed: values)) }
    public static let positiveInteger = Schema.integer(minimum: 1, maximum: nil)
    public static let nonNegativeInteger = Schema.integer(minimum: 0, maximum: nil)
    public static func list(_ item: Schema, minItems: Int = 0) -> Schema {
        .array(item, minItems: minItems, uniqueItems: true)
    }
}

/// What a string may hold: a closed set of values or a format.
public struct StringRule: Sendable {
    public var allowed: [String]?
    public var format: StringFormat?
    /// Whether `""` is a value (an environment variable set to nothing); otherwise an empty
    /// string is a finding, as it almost always is a value left out.
    public var allowEmpty: Bool

    public init(allowed: [String]? = nil, format: StringFormat? = nil, allowEmpty: Bool = false) {
        self.allowed = allowed
        self.format = format
        self.allowEmpty = allowEmpty
    }
}

/// One field of an object.
public struct Property: Sendable {
    public var name: String
    public var schema: Schema
    public var required: Bool
    public var summary: String
    /// The default applied when the field is omitted, as people should read it.
    public var defaultValue: String?

    public init(
        _ name: String, _ schema: Schema, required: Bool = false, default defaultValue: String? = nil,
        _ summary: String
    ) {
        self.name = name
        self.schema = schema
        self.required = required
        self.summary = summary
        self.defaultValue = defaultValue
    }
}

/// A mapping with known keys; any other key is a finding (with a did-you-mean).
public struct ObjectSchema: Sendable {
    /// Name used in messages and as the JSON Schema definition name (`DeviceSpec`).
    public var name: String
    public var summary: String
    public var properties: [Property]
    /// Groups of keys of which at most one may be given (`batchSize` or `maxUnavailable`).
    public var exclusive: [[String]]
    /// Groups of keys of which at least one must be given (`hosts` or `selector`).
    public var requireOne: [[String]]
    /// Fields required only when another field has certain values.
    public var conditions: [Condition]

    public init(
        _ name: String, _ summary: String, exclusive: [[String]] = [], requireOne: [[String]] = [],
        conditions: [Condition] = [], _ properties: [Property]
    ) {
        self.name = name
        self.summary = summary
        self.properties = properties
        self.exclusive = exclusive
        self.requireOne = requireOne
        self.conditions = conditions
    }

    public func property(_ name: String) -> Property? {
        properties.first { $0.name == name }
    }
}

/// "When `key` is one of `values` (an omitted key counts as its default), `requires` must be
/// given": an ssh Host needs an address, a local one does not.
public struct Condition: Sendable {
    public var key: String
    public var values: [String]
    public var requires: [String]

    public init(when key: String, is values: [String], requires: [String]) {
        self.key = key
        self.values = values
        self.requires = requires
    }
}
