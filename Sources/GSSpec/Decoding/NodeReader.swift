import GSCore

/// Lenient typed reads from a node tree that the schema validator has already checked.
///
/// Anything malformed was reported there, so reads here never fail: a value of the wrong
/// type reads as absent and the object is still built, which lets the reference and graph
/// rules check the rest of the document in the same run.
struct NodeReader {
    let node: YAMLNode
    let file: String

    init(_ node: YAMLNode, file: String) {
        self.node = node
        self.file = file
    }

    var location: SourceLocation { location(of: node) }

    func location(of node: YAMLNode) -> SourceLocation {
        SourceLocation(file: file, line: Int(node.mark.line), column: Int(node.mark.column))
    }

    subscript(key: String) -> NodeReader? {
        node[key].map { NodeReader($0, file: file) }
    }

    func string(_ key: String) -> String? {
        guard let child = node[key], case .scalar(let text, let style) = child.value else { return nil }
        if style == .plain, ScalarResolution.core(text) == .null { return nil }
        return text
    }

    func located(_ key: String) -> Located<String>? {
        guard let child = node[key], let text = string(key) else { return nil }
        return Located(text, at: location(of: child))
    }

    func word<W: SpecWord>(_ key: String, _ type: W.Type = W.self) -> W? {
        string(key).flatMap(W.init(rawValue:))
    }

    func int(_ key: String) -> Int? {
        guard let child = node[key] else { return nil }
        return Self.int(child)
    }

    static func int(_ node: YAMLNode) -> Int? {
        guard case .scalar(let text, .plain) = node.value, case .int(let value) = ScalarResolution.core(text)
        else { return nil }
        return value
    }

    func double(_ key: String) -> Double? {
        guard let child = node[key], case .scalar(let text, .plain) = child.value else { return nil }
        switch ScalarResolution.core(text) {
        case .int(let value): return Double(value)
        case .float(let value): return value.isFinite ? value : nil
        default: return nil
        }
    }

    func bool(_ key: String) -> Bool? {
        guard let text = node[key]?.scalar else { return nil }
        if case .bool(let value) = ScalarResolution.core(text) { return value }
        return ScalarResolution.yaml11Bool(text)
    }

    /// The items of a list, each as a reader.
    func list(_ key: String) -> [NodeReader] {
        (node[key]?.items ?? []).map { NodeReader($0, file: file) }
    }

    func strings(_ key: String) -> [String] {
        list(key).compactMap { $0.node.scalar }
    }

    func locatedStrings(_ key: String) -> [Located<String>] {
        list(key).compactMap { item in item.node.scalar.map { Located($0, at: item.location) } }
    }

    func words<W: SpecWord>(_ key: String, _ type: W.Type = W.self) -> [W] {
        strings(key).compactMap(W.init(rawValue:))
    }

    func doubles(_ key: String) -> [Double] {
        list(key).compactMap { item in
            guard case .scalar(let text, .plain) = item.node.value else { return nil }
            switch ScalarResolution.core(text) {
            case .int(let value): return Double(value)
            case .float(let value): return value
            default: return nil
            }
        }
    }

    func ints(_ key: String) -> [Int] {
        list(key).compactMap { Self.int($0.node) }
    }

    /// A string-to-string mapping (labels, env).
    func stringMap(_ key: String) -> [String: String] {
        var result: [String: String] = [:]
        for pair in node[key]?.pairs ?? [] {
            if let name = pair.key.scalar, let value = pair.value.scalar { result[name] = value }
        }
        return result
    }

    /// A command written as one string (split on spaces) or as a list.
    func command(_ key: String) -> [String] {
        guard let child = node[key] else { return [] }
        switch child.value {
        case .scalar(let text, _): return text.split(separator: " ").map(String.init)
        case .sequence(let items): return items.compactMap(\.scalar)
        case .mapping: return []
        }
    }

    /// Any value as JSON, typed by the YAML 1.2 core schema (task params).
    static func json(_ node: YAMLNode) -> JSONValue {
        switch node.value {
        case .scalar(let text, let style):
            guard style == .plain, node.tag == nil else { return .string(text) }
            switch ScalarResolution.core(text) {
            case .null: return .null
            case .bool(let value): return .bool(value)
            case .int(let value): return .int(value)
            case .float(let value): return .double(value)
            case .string: return .string(text)
            }
        case .sequence(let items): return .array(items.map(json))
        case .mapping(let pairs):
            var members: [String: JSONValue] = [:]
            for pair in pairs { if let key = pair.key.scalar { members[key] = json(pair.value) } }
            return .object(members)
        }
    }
}
