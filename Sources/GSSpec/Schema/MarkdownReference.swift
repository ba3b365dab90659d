/// The field reference of docs/spec.md, generated from the same `Schema` values the linter
/// enforces (`gsctl schema --format markdown`), so the documentation cannot drift.
public enum MarkdownReference {
    public static func document() -> String {
        var out = ""
        var done: Set<String> = []
        for kind in Kind.allCases {
            out += "### \(kind.rawValue) fields\n\n"
            out += objectTables(kind.specSchema, prefix: "spec", done: &done)
        }
        out += "### metadata (every kind)\n\n" + table(Envelope.metadata, prefix: "metadata")
        return out
    }

    /// The object's table, then a table for each nested object (depth first).
    static func objectTables(_ object: ObjectSchema, prefix: String, done: inout Set<String>) -> String {
        var out = table(object, prefix: prefix)
        for property in object.properties {
            for nested in objects(in: property.schema) where done.insert(nested.name).inserted {
                let path = "\(prefix).\(property.name)\(isList(property.schema) ? "[]" : "")"
                out += objectTables(nested, prefix: path, done: &done)
            }
        }
        return out
    }

    static func table(_ object: ObjectSchema, prefix: String) -> String {
        var out =
            "`\(prefix)`: \(object.summary).\n\n| field | type | required | default | meaning |\n|---|---|---|---|---|\n"
        for property in object.properties {
            let required = property.required ? "yes" : ""
            out +=
                "| `\(property.name)` | \(typeName(property.schema)) | \(required) | \(property.defaultValue.map { "`\($0)`" } ?? "") | \(property.summary) |\n"
        }
        var rules: [String] = []
        for group in object.exclusive {
            rules.append("at most one of " + group.map { "`\($0)`" }.joined(separator: ", "))
        }
        for group in object.requireOne {
            rules.append("at least one of " + group.map { "`\($0)`" }.joined(separator: ", "))
        }
        for condition in object.conditions {
            rules.append(
                "when `\(condition.key)` is \(condition.values.map { "`\($0)`" }.joined(separator: " or ")): "
                    + condition.requires.map { "`\($0)`" }.joined(separator: ", ") + " required")
        }
        if !rules.isEmpty { out += "\nAlso: " + rules.joined(separator: "; ") + ".\n" }
        return out + "\n"
    }

    static func typeName(_ schema: Schema) -> String {
        switch schema {
        case .string(let rule):
            if let allowed = rule.allowed { return allowed.map { "`\($0)`" }.joined(separator: " \\| ") }
            return rule.format.map { "\($0.rawValue)" } ?? "text"
        case .integer(let minimum, let maximum):
            return "integer" + range(minimum.map(Double.init), maximum.map(Double.init))
        case .number(let minimum, let maximum): return "number" + range(minimum, maximum)
        case .boolean: return "boolean"
        case .array(let item, let minItems, _):
            return "list of \(typeName(item))" + (minItems > 0 ? " (at least \(minItems))" : "")
        case .object(let object): return object.name
        case .map(_, let values): return "map of \(typeName(values))"
        case .oneOf(let options): return options.map(typeName).joined(separator: " or ")
        case .any: return "any"
        }
    }

    static func range(_ minimum: Double?, _ maximum: Double?) -> String {
        switch (minimum, maximum) {
        case (let lo?, let hi?): " \(format(lo))..\(format(hi))"
        case (let lo?, nil): " ≥ \(format(lo))"
        case (nil, let hi?): " ≤ \(format(hi))"
        case (nil, nil): ""
        }
    }

    static func format(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    static func objects(in schema: Schema) -> [ObjectSchema] {
        switch schema {
        case .object(let object): [object]
        case .array(let item, _, _): objects(in: item)
        case .map(_, let values): objects(in: values)
        case .oneOf(let options): options.flatMap(objects)
        default: []
        }
    }

    static func isList(_ schema: Schema) -> Bool {
        if case .array = schema { return true }
        return false
    }
}
