import GSCore

/// Checks a document's node tree against the language schema and reports every mismatch
/// where it was written: unknown keys (with a suggestion), wrong types, values outside
/// their set or range, missing fields and the YAML typing hazards.
public struct SchemaValidator {
    public let file: String
    public private(set) var diagnostics: [Diagnostic] = []

    public init(file: String) { self.file = file }

    /// Validates one document; returns its kind when the envelope names a known one.
    @discardableResult
    public mutating func validateDocument(_ root: YAMLNode) -> Kind? {
        guard case .mapping = root.value else {
            report(
                .wrongType, root.mark, "a spec document must be a mapping, found \(root.kindName)",
                hint: "start with `apiVersion: \(Envelope.apiVersion)` and `kind:`")
            return nil
        }
        var kind: Kind?
        if let kindNode = root["kind"], let text = kindNode.scalar {
            kind = Kind(rawValue: text)
            if kind == nil {
                report(
                    .unknownKind, kindNode.mark, "unknown kind `\(clip(text))`",
                    hint: hintFor(text, among: Kind.words))
            }
        } else if let kindNode = root["kind"] {
            report(
                .unknownKind, kindNode.mark, "`kind` must be text, found \(kindNode.kindName)",
                hint: "one of \(Kind.words.joined(separator: ", "))")
        } else {
            report(
                .unknownKind, root.mark, "document has no `kind`",
                hint: "add `kind:` with one of \(Kind.words.joined(separator: ", "))")
        }
        if let versionNode = root["apiVersion"] {
            if versionNode.scalar != Envelope.apiVersion {
                let shown = versionNode.scalar.map { "`\($0)`" } ?? versionNode.kindName
                report(
                    .apiVersion, versionNode.mark, "unknown apiVersion \(shown)",
                    hint: "gsctl reads `apiVersion: \(Envelope.apiVersion)`")
            }
        } else {
            report(
                .apiVersion, root.mark, "document has no `apiVersion`",
                hint: "add `apiVersion: \(Envelope.apiVersion)`")
        }
        // Envelope keys already reported above are skipped; the rest is checked as usual.
        let document = Envelope.document(kind)
        checkObject(root, document, path: "", skip: ["apiVersion", "kind"], skipSpec: kind == nil)
        return kind
    }

    // MARK: - Walking the schema

    mutating func check(_ node: YAMLNode, _ schema: Schema, path: String) {
        switch schema {
        case .string(let rule): checkString(node, rule, path: path)
        case .integer(let minimum, let maximum): checkInteger(node, minimum, maximum, path: path)
        case .number(let minimum, let maximum): checkNumber(node, minimum, maximum, path: path)
        case .boolean: checkBoolean(node, path: path)
        case .array(let item, let minItems, let unique): checkArray(node, item, minItems, unique, path: path)
        case .object(let object): checkObject(node, object, path: path)
        case .map(let keys, let values): checkMap(node, keys, values, path: path)
        case .oneOf(let options): checkOneOf(node, options, path: path)
        case .any: break
        }
    }

    mutating func checkString(_ node: YAMLNode, _ rule: StringRule, path: String) {
        guard case .scalar(let text, let style) = node.value else {
            return wrongType(node, expected: Schema.string(rule).expectation, path: path)
        }
        if style == .plain, node.tag == nil, ScalarResolution.core(text) == .null {
            return wrongType(node, expected: Schema.string(rule).expectation, path: path)
        }
        if let allowed = rule.allowed {
            guard allowed.contains(text) else {
                report(
                    .notAllowed, node.mark, "\(name(path)) cannot be `\(clip(text))`",
                    hint: hintFor(text, among: allowed))
                return
            }
            return
        }
        if text.isEmpty, !rule.allowEmpty {
            report(.invalidValue, node.mark, "\(name(path)) is empty", hint: "give a value or remove the key")
            return
        }
        if style == .plain, node.tag == nil, ScalarResolution.yaml11NonString(text) {
            report(
                .implicitType, node.mark,
                "\(name(path)) `\(clip(text))` is unquoted: YAML tools read it as \(reading(text)), not text",
                hint: "quote it: \"\(clip(text))\"")
        }
        if let format = rule.format, !format.accepts(text) {
            report(
                .invalidValue, node.mark, "\(name(path)) `\(clip(text))` is not valid: \(format.explanation)",
                hint: formatHint(format, text))
        }
    }

    mutating func checkInteger(_ node: YAMLNode, _ minimum: Int?, _ maximum: Int?, path: String) {
        guard let value = integerValue(node) else {
            return wrongType(node, expected: "an integer", path: path)
        }
        checkRange(node, Double(value), minimum.map(Double.init), maximum.map(Double.init), path: path)
    }

    mutating func checkNumber(_ node: YAMLNode, _ minimum: Double?, _ maximum: Double?, path: String) {
        guard let value = numberValue(node) else {
            return wrongType(node, expected: "a number", path: path)
        }
        guard value.isFinite else {
            report(
                .invalidValue, node.mark, "\(name(path)) must be a finite number", hint: "write a number such as 0.5")
            return
        }
        checkRange(node, value, minimum, maximum, path: path)
    }

    mutating func checkRange(_ node: YAMLNode, _ value: Double, _ minimum: Double?, _ maximum: Double?, path: String) {
        let shown = node.scalar ?? ""
        if let minimum, value < minimum {
            report(
                .invalidValue, node.mark, "\(name(path)) is \(shown), below the minimum \(JSONValue.format(minimum))",
                hint: rangeHint(minimum, maximum))
        } else if let maximum, value > maximum {
            report(
                .invalidValue, node.mark, "\(name(path)) is \(shown), above the maximum \(JSONValue.format(maximum))",
                hint: rangeHint(minimum, maximum))
        }
    }

    mutating func checkBoolean(_ node: YAMLNode, path: String) {
        guard case .scalar(let text, .plain) = node.value else {
            return wrongType(node, expected: "true or false", path: path)
        }
        if case .bool = ScalarResolution.core(text) { return }
        if let value = ScalarResolution.yaml11Bool(text) {
            report(
                .yaml11Bool, node.mark,
                "`\(clip(text))` is a boolean only in YAML 1.1; YAML 1.2 tools read it as text",
                hint: "write `\(value)`")
            return
        }
        wrongType(node, expected: "true or false", path: path)
    }

    mutating func checkArray(_ node: YAMLNode, _ item: Schema, _ minItems: Int, _ unique: Bool, path: String) {
        guard case .sequence(let items) = node.value else {
            return wrongType(node, expected: Schema.array(item).expectation, path: path)
        }
        if items.count < minItems {
            report(
                .invalidValue, node.mark,
                "\(name(path)) needs at least \(minItems) item\(minItems == 1 ? "" : "s")",
                hint: items.isEmpty ? "add an item or remove the key" : "add items")
        }
        var seen: [String: Mark] = [:]
        for (index, element) in items.enumerated() {
            check(element, item, path: "\(path)[\(index)]")
            if unique, let text = element.scalar {
                if let first = seen[text] {
                    report(
                        .duplicateItem, element.mark,
                        "`\(clip(text))` appears twice in \(name(path)) (first at line \(first.line))",
                        hint: "remove the second one")
                } else {
                    seen[text] = element.mark
                }
            }
        }
    }

    mutating func checkObject(
        _ node: YAMLNode, _ object: ObjectSchema, path: String, skip: Set<String> = [], skipSpec: Bool = false
    ) {
        guard case .mapping(let pairs) = node.value else {
            return wrongType(node, expected: "a mapping (\(object.summary))", path: path)
        }
        var present: Set<String> = []
        for pair in pairs {
            guard let key = pair.key.scalar else { continue }
            present.insert(key)
            if skip.contains(key) { continue }
            guard let property = object.property(key) else {
                let suggestion = Suggest.nearest(to: key, in: object.properties.map(\.name))
                report(
                    .unknownKey, pair.key.mark, "unknown key `\(clip(key))` in \(where_(path, object))",
                    hint: suggestion.map { "did you mean `\($0)`?" }
                        ?? "allowed: \(object.properties.map(\.name).joined(separator: ", "))")
                continue
            }
            if skipSpec, key == "spec" { continue }
            check(pair.value, property.schema, path: join(path, key))
        }
        for property in object.properties
        where property.required && !present.contains(property.name) && !skip.contains(property.name) {
            if skipSpec, property.name == "spec" { continue }
            report(
                .missingField, node.mark, "\(where_(path, object)) is missing `\(property.name)`",
                hint: "add `\(property.name):` (\(property.summary))")
        }
        for group in object.exclusive {
            let given = group.filter(present.contains)
            if given.count > 1, let second = pairs.first(where: { $0.key.scalar == given[1] }) {
                report(
                    .invalidValue, second.key.mark,
                    "give either \(group.map { "`\($0)`" }.joined(separator: " or ")) in \(where_(path, object)), not both",
                    hint: "remove `\(given[1])` or `\(given[0])`")
            }
        }
        for group in object.requireOne where !group.contains(where: present.contains) {
            report(
                .missingField, node.mark,
                "\(where_(path, object)) needs \(group.map { "`\($0)`" }.joined(separator: " or "))",
                hint: "add one of them")
        }
        for condition in object.conditions {
            let value = node[condition.key]?.scalar ?? object.property(condition.key)?.defaultValue
            guard let value, condition.values.contains(value) else { continue }
            for field in condition.requires where !present.contains(field) {
                report(
                    .missingField, node.mark,
                    "\(where_(path, object)) with \(condition.key) `\(value)` is missing `\(field)`",
                    hint: "add `\(field):` (\(object.property(field)?.summary ?? field))")
            }
        }
    }

    mutating func checkMap(_ node: YAMLNode, _ keys: StringRule, _ values: Schema, path: String) {
        guard case .mapping(let pairs) = node.value else {
            return wrongType(node, expected: "a mapping", path: path)
        }
        for pair in pairs {
            guard let key = pair.key.scalar else { continue }
            if let format = keys.format, !format.accepts(key) {
                report(
                    .invalidValue, pair.key.mark,
                    "key `\(clip(key))` in \(name(path)) is not valid: \(format.explanation)",
                    hint: "rename the key")
            }
            check(pair.value, values, path: join(path, key))
        }
    }

    mutating func checkOneOf(_ node: YAMLNode, _ options: [Schema], path: String) {
        var fallback: [Diagnostic]?
        for option in options where Self.shapeMatches(node, option) {
            var trial = SchemaValidator(file: file)
            trial.check(node, option, path: path)
            if !trial.diagnostics.contains(where: { $0.severity == .error }) {
                diagnostics += trial.diagnostics
                return
            }
            if fallback == nil { fallback = trial.diagnostics }
        }
        if let fallback {
            diagnostics += fallback
        } else {
            wrongType(node, expected: Schema.oneOf(options).expectation, path: path)
        }
    }

    /// Whether a node has the shape an option expects (scalar, list or mapping).
    static func shapeMatches(_ node: YAMLNode, _ schema: Schema) -> Bool {
        switch (node.value, schema) {
        case (.scalar(let text, let style), .integer):
            return style == .plain && ScalarResolution.integer(text) != nil
        case (.scalar, .string), (.scalar, .number), (.scalar, .boolean), (_, .any): return true
        case (.sequence, .array): return true
        case (.mapping, .object), (.mapping, .map): return true
        case (_, .oneOf(let options)): return options.contains { shapeMatches(node, $0) }
        default: return false
        }
    }

    // MARK: - Values

    func integerValue(_ node: YAMLNode) -> Int? {
        guard case .scalar(let text, .plain) = node.value else { return nil }
        if case .int(let value) = ScalarResolution.core(text) { return value }
        return nil
    }

    func numberValue(_ node: YAMLNode) -> Double? {
        guard case .scalar(let text, .plain) = node.value else { return nil }
        switch ScalarResolution.core(text) {
        case .int(let value): return Double(value)
        case .float(let value): return value
        default: return nil
        }
    }

    // MARK: - Reporting

    mutating func report(_ code: DiagnosticCode, _ mark: Mark, _ message: String, hint: String?) {
        diagnostics.append(
            Diagnostic(
                code, SourceLocation(file: file, line: Int(mark.line), column: Int(mark.column)),
                message, hint: hint))
    }

    mutating func wrongType(_ node: YAMLNode, expected: String, path: String) {
        let found: String
        var hint: String? = nil
        switch node.value {
        case .scalar(let text, let style):
            if style == .plain, node.tag == nil {
                switch ScalarResolution.core(text) {
                case .null: found = "nothing (null)"
                case .bool: found = "the boolean `\(clip(text))`"
                case .int, .float: found = "the number `\(clip(text))`"
                case .string: found = "the text `\(clip(text))`"
                }
            } else {
                found = "the quoted text `\(clip(text))`"
                let reading = ScalarResolution.core(text)
                if expected.hasPrefix("an integer") || expected.hasPrefix("a number") || expected.hasPrefix("true") {
                    if reading != .string && reading != .null { hint = "remove the quotes: \(clip(text))" }
                }
            }
        case .sequence: found = "a list"
        case .mapping: found = "a mapping"
        }
        if hint == nil {
            switch node.value {
            case .sequence: hint = "write a single value, not a list"
            case .mapping:
                hint =
                    expected.hasPrefix("a list")
                    ? "write a list: `[a, b]` or one `- item` per line" : "write a single value, not a mapping"
            case .scalar(let text, _):
                if expected.hasPrefix("a list") {
                    hint = "write a list: `[\(clip(text))]`"
                } else if expected.hasPrefix("a mapping") {
                    hint = "write `key: value` pairs under it"
                } else if found.hasPrefix("nothing") {
                    hint = "give a value or remove the key"
                } else {
                    hint = "write \(expected)"
                }
            }
        }
        report(.wrongType, node.mark, "\(name(path)) must be \(expected), found \(found)", hint: hint)
    }

    func name(_ path: String) -> String { path.isEmpty ? "the document" : "`\(path)`" }

    func where_(_ path: String, _ object: ObjectSchema) -> String {
        path.isEmpty ? "the document" : "`\(path)` (\(object.name))"
    }

    func join(_ path: String, _ key: String) -> String { path.isEmpty ? clip(key) : "\(path).\(clip(key))" }

    func hintFor(_ text: String, among allowed: [String]) -> String {
        let list = "allowed: \(allowed.joined(separator: ", "))"
        guard let nearest = Suggest.nearest(to: text, in: allowed) else { return list }
        return "did you mean `\(nearest)`? \(list)"
    }

    func rangeHint(_ minimum: Double?, _ maximum: Double?) -> String {
        switch (minimum, maximum) {
        case (let lo?, let hi?): "use a value from \(JSONValue.format(lo)) to \(JSONValue.format(hi))"
        case (let lo?, nil): "use a value of at least \(JSONValue.format(lo))"
        case (nil, let hi?): "use a value of at most \(JSONValue.format(hi))"
        case (nil, nil): "use another value"
        }
    }

    func formatHint(_ format: StringFormat, _ text: String) -> String {
        switch format {
        case .name:
            let fixed = String(text.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "-" })
            return StringFormat.name.accepts(fixed) ? "try `\(fixed)`" : "use \(format.explanation)"
        case .pinnedPackage:
            return
                "pin it: `\(text.split(separator: "=").first ?? "")==VERSION` (hosts install offline from a wheelhouse)"
        case .sha256:
            return "run `sha256sum` on the file and paste the 64-digit digest"
        default:
            return "use \(format.explanation)"
        }
    }

    func reading(_ text: String) -> String {
        switch ScalarResolution.core(text) {
        case .null: return "null"
        case .bool(let value): return "the boolean \(value)"
        case .int(let value): return "the number \(value)"
        case .float(let value): return "the number \(JSONValue.format(value))"
        case .string:
            if let value = ScalarResolution.yaml11Bool(text) { return "the boolean \(value) (YAML 1.1)" }
            return "a number (YAML 1.1)"
        }
    }
}
