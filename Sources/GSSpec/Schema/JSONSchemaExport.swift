import GSCore

/// The spec language as a JSON Schema (draft-07, the version the YAML language server and
/// check-jsonschema both read), generated from the same `Schema` values the linter uses.
///
/// It covers what a schema can say (types, allowed values, ranges, required and unknown
/// keys); references between objects, cycles and device compatibility need `gsctl lint`.
public enum JSONSchemaExport {
    public static let id = "https://gs.ai/schemas/v1/gsctl.schema.json"

    public static func document() -> JSONValue {
        var definitions: [String: JSONValue] = [:]
        var collector = Collector()
        collector.add(Envelope.metadata)
        for kind in Kind.allCases { collector.add(kind.specSchema) }
        for (name, object) in collector.objects { definitions[name] = objectSchema(object) }
        let branches: [JSONValue] = Kind.allCases.map { kind in
            [
                "if": ["properties": ["kind": ["const": .string(kind.rawValue)]], "required": ["kind"]],
                "then": ["properties": ["spec": ["$ref": .string("#/definitions/\(kind.specSchema.name)")]]],
            ]
        }
        return [
            "$schema": "http://json-schema.org/draft-07/schema#",
            "$id": .string(id),
            "title": .string("gsctl spec (apiVersion \(Envelope.apiVersion))"),
            "description": "One document of a gsctl spec repository: a Device, Host, Model, Workflow or Deployment.",
            "type": "object",
            "required": ["apiVersion", "kind", "metadata", "spec"],
            "additionalProperties": false,
            "properties": [
                "apiVersion": [
                    "const": .string(Envelope.apiVersion), "description": .string("always \(Envelope.apiVersion)"),
                ],
                "kind": ["enum": .strings(Kind.words), "description": "what this document describes"],
                "metadata": ["$ref": "#/definitions/ObjectMeta"],
                "spec": ["type": "object", "description": "the kind's fields"],
            ],
            "allOf": .array(branches),
            "definitions": .object(definitions),
        ]
    }

    /// Object schemas by name, found by walking every property.
    struct Collector {
        var objects: [String: ObjectSchema] = [:]

        mutating func add(_ object: ObjectSchema) {
            guard objects[object.name] == nil else { return }
            objects[object.name] = object
            for property in object.properties { visit(property.schema) }
        }

        mutating func visit(_ schema: Schema) {
            switch schema {
            case .object(let object): add(object)
            case .array(let item, _, _): visit(item)
            case .map(_, let values): visit(values)
            case .oneOf(let options): for option in options { visit(option) }
            default: break
            }
        }
    }

    static func objectSchema(_ object: ObjectSchema) -> JSONValue {
        var properties: [String: JSONValue] = [:]
        for property in object.properties {
            var description = property.summary
            if let value = property.defaultValue { description += " (default: \(value))" }
            properties[property.name] = with(schema(property.schema), description: description)
        }
        var result: [String: JSONValue] = [
            "type": "object",
            "description": .string(object.summary),
            "properties": .object(properties),
            "additionalProperties": false,
        ]
        let required = object.properties.filter(\.required).map(\.name)
        if !required.isEmpty { result["required"] = .strings(required) }
        var all: [JSONValue] = []
        for group in object.exclusive where group.count >= 2 {
            for i in 0..<group.count {
                for j in (i + 1)..<group.count { all.append(["not": ["required": .strings([group[i], group[j]])]]) }
            }
        }
        for group in object.requireOne {
            all.append(["anyOf": .array(group.map { ["required": .strings([$0])] })])
        }
        for condition in object.conditions {
            all.append([
                "if": ["properties": [condition.key: ["enum": .strings(condition.values)]]],
                "then": ["required": .strings(condition.requires)],
            ])
        }
        if !all.isEmpty { result["allOf"] = .array(all) }
        return .object(result)
    }

    static func schema(_ schema: Schema) -> JSONValue {
        switch schema {
        case .string(let rule):
            var result: [String: JSONValue] = ["type": "string"]
            if let allowed = rule.allowed {
                result["enum"] = .strings(allowed)
            } else if !rule.allowEmpty {
                result["minLength"] = 1
            }
            if let format = rule.format { result["pattern"] = .string(format.pattern) }
            return .object(result)
        case .integer(let minimum, let maximum):
            var result: [String: JSONValue] = ["type": "integer"]
            if let minimum { result["minimum"] = .int(minimum) }
            if let maximum { result["maximum"] = .int(maximum) }
            return .object(result)
        case .number(let minimum, let maximum):
            var result: [String: JSONValue] = ["type": "number"]
            if let minimum { result["minimum"] = .double(minimum) }
            if let maximum { result["maximum"] = .double(maximum) }
            return .object(result)
        case .boolean:
            return ["type": "boolean"]
        case .array(let item, let minItems, _):
            // Duplicate items are only a warning in gsctl, so the schema does not refuse them.
            var result: [String: JSONValue] = ["type": "array", "items": self.schema(item)]
            if minItems > 0 { result["minItems"] = .int(minItems) }
            return .object(result)
        case .object(let object):
            return ["$ref": .string("#/definitions/\(object.name)")]
        case .map(let keys, let values):
            var result: [String: JSONValue] = ["type": "object", "additionalProperties": self.schema(values)]
            if let format = keys.format { result["propertyNames"] = ["pattern": .string(format.pattern)] }
            return .object(result)
        case .oneOf(let options):
            return ["anyOf": .array(options.map(self.schema))]
        case .any:
            return [:]
        }
    }

    static func with(_ value: JSONValue, description: String) -> JSONValue {
        guard case .object(var members) = value else { return value }
        // A `$ref` with siblings is ignored by draft-07 readers; wrap it instead.
        if members["$ref"] != nil { return ["allOf": [value], "description": .string(description)] }
        members["description"] = .string(description)
        return .object(members)
    }
}
