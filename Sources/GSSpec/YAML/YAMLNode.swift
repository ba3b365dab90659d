/// A 1-based position inside the file being loaded (the file itself lives on the document,
/// so nodes stay small and cheap to copy).
public struct Mark: Hashable, Sendable, Comparable {
    public var line: Int32
    public var column: Int32

    public init(line: Int, column: Int) {
        self.line = Int32(clamping: line)
        self.column = Int32(clamping: column)
    }

    public static func < (a: Mark, b: Mark) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
}

/// How a scalar was written; quoting decides whether `no` or `1.10` is text.
public enum ScalarStyle: Sendable, Hashable {
    case plain, singleQuoted, doubleQuoted, literal, folded

    public var isQuoted: Bool { self != .plain }
}

/// A YAML node that remembers where it was written.
///
/// libyaml events carry marks; the loader turns them into this tree so every later finding
/// (an unknown key, a dangling reference, a cycle) can point at its line and column.
public struct YAMLNode: Sendable {
    public enum Value: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var value: Value
    public var mark: Mark
    /// The explicit tag (`!!str`, `!!int`, ...) in its long form, when one was written.
    public var tag: String?
    /// Nodes in this subtree, counting what aliases expand to; bounds alias bombs.
    public var weight: Int

    public init(_ value: Value, mark: Mark, tag: String? = nil, weight: Int = 1) {
        self.value = value
        self.mark = mark
        self.tag = tag
        self.weight = weight
    }

    /// The scalar's text, or nil for collections.
    public var scalar: String? {
        if case .scalar(let text, _) = value { return text }
        return nil
    }

    public var pairs: [YAMLPair]? {
        if case .mapping(let pairs) = value { return pairs }
        return nil
    }

    public var items: [YAMLNode]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// The value under a scalar key of a mapping (first occurrence).
    public subscript(key: String) -> YAMLNode? {
        guard case .mapping(let pairs) = value else { return nil }
        for pair in pairs where pair.key.scalar == key { return pair.value }
        return nil
    }

    /// The pair whose key is `key`, for pointing at the key rather than the value.
    public func pair(_ key: String) -> YAMLPair? {
        guard case .mapping(let pairs) = value else { return nil }
        return pairs.first { $0.key.scalar == key }
    }

    /// What a person would call this node in a message.
    public var kindName: String {
        switch value {
        case .scalar: "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}

/// One `---` document of a file.
public struct YAMLDocument: Sendable {
    public var file: String
    /// 0-based position of the document in its file.
    public var index: Int
    public var root: YAMLNode

    public init(file: String, index: Int, root: YAMLNode) {
        self.file = file
        self.index = index
        self.root = root
    }
}
