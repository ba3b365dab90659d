import CYAML
import GSCore

/// Limits that keep hostile or broken input from exhausting memory or the stack.
public struct LoadLimits: Sendable {
    /// Deepest nesting of mappings and lists; specs need a handful of levels.
    public var maxDepth = 64
    /// Nodes that aliases may add per file (the "billion laughs" bound); a scalar counts
    /// one node per 16 bytes of text, so aliases of long strings are bounded too.
    public var maxAliasExpansion = 100_000
    /// Bytes per file; the Kubernetes API server refuses objects far smaller.
    public var maxFileBytes = 16 << 20

    public init() {}
}

/// What loading one file produced: its documents and the problems found on the way.
public struct LoadedFile: Sendable {
    public var path: String
    public var documents: [YAMLDocument]
    public var diagnostics: [Diagnostic]
}

/// Turns YAML bytes into located node trees with libyaml's event parser.
///
/// The loader never throws: syntax errors, duplicate keys, alias bombs and deep nesting
/// become findings, and every document parsed before a syntax error is kept so the rest of
/// the file is still checked.
public enum YAMLLoader {
    public static func load(path: String, limits: LoadLimits = LoadLimits()) -> LoadedFile {
        let bytes: [UInt8]
        let shownPath = path == "-" ? "<stdin>" : path
        do {
            bytes =
                try path == "-"
                ? FileSystem.readStandardInput(limit: limits.maxFileBytes)
                : FileSystem.read(path, limit: limits.maxFileBytes)
        } catch {
            let code: DiagnosticCode = error.message.contains("limit") ? .fileTooLarge : .unreadableFile
            return LoadedFile(
                path: shownPath, documents: [],
                diagnostics: [Diagnostic(code, .file(shownPath), error.message, hint: error.hint)])
        }
        return load(bytes: bytes, path: shownPath, limits: limits)
    }

    public static func load(bytes: [UInt8], path: String, limits: LoadLimits = LoadLimits()) -> LoadedFile {
        var builder = TreeBuilder(path: path, limits: limits)
        if let problem = binaryProblem(bytes) {
            builder.report(
                .notText, Mark(line: 1, column: 1), problem,
                hint: "gsctl reads YAML specs; keep other files out of the spec paths")
            return builder.finish()
        }
        builder.parse(bytes)
        return builder.finish()
    }

    /// NUL bytes mean a binary file: say so plainly instead of a puzzling syntax error.
    static func binaryProblem(_ bytes: [UInt8]) -> String? {
        let window = bytes.prefix(8192)
        // UTF-16 and UTF-32 files (libyaml reads them) start with a byte order mark.
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) { return nil }
        guard window.contains(0) else { return nil }
        return "file looks binary (it contains NUL bytes), not YAML text"
    }
}

/// Builds node trees from parser events with an explicit stack (no recursion, so nesting
/// depth cannot overflow the stack).
private struct TreeBuilder {
    struct Frame {
        var isMapping: Bool
        var mark: Mark
        var tag: String?
        var anchor: String?
        var children: [YAMLNode] = []
        var weight = 1
    }

    let path: String
    let limits: LoadLimits
    var documents: [YAMLDocument] = []
    var diagnostics: [Diagnostic] = []
    var stack: [Frame] = []
    var anchors: [String: YAMLNode] = [:]
    var root: YAMLNode?
    var documentIndex = 0
    var aliasBudget = 0
    var aliasReported = false
    /// Depth of collections skipped because they were nested too deep.
    var skippedDepth = 0

    init(path: String, limits: LoadLimits) {
        self.path = path
        self.limits = limits
        // One budget for the whole file: many documents must not multiply it.
        aliasBudget = limits.maxAliasExpansion
    }

    mutating func report(_ code: DiagnosticCode, _ mark: Mark, _ message: String, hint: String? = nil) {
        diagnostics.append(
            Diagnostic(
                code, SourceLocation(file: path, line: Int(mark.line), column: Int(mark.column)),
                message, hint: hint))
    }

    func finish() -> LoadedFile {
        LoadedFile(path: path, documents: documents, diagnostics: diagnostics)
    }

    mutating func parse(_ bytes: [UInt8]) {
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        let event = UnsafeMutablePointer<yaml_event_t>.allocate(capacity: 1)
        // libyaml keeps a pointer to its input: the copy must outlive the parser.
        let input = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(bytes.count, 1))
        _ = input.initialize(from: bytes)
        defer {
            yaml_parser_delete(parser)
            parser.deallocate()
            event.deallocate()
            input.deallocate()
        }
        guard yaml_parser_initialize(parser) == 1 else {
            report(.unreadableFile, Mark(line: 1, column: 1), "cannot start the YAML parser (out of memory)")
            return
        }
        yaml_parser_set_input_string(parser, input.baseAddress, bytes.count)
        while true {
            guard yaml_parser_parse(parser, event) == 1 else {
                reportParserError(parser.pointee, bytes)
                return
            }
            let done = event.pointee.type == YAML_STREAM_END_EVENT
            handle(event.pointee)
            yaml_event_delete(event)
            if done { return }
        }
    }

    mutating func reportParserError(_ parser: yaml_parser_t, _ bytes: [UInt8]) {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown problem"
        let mark = Mark(line: Int(parser.problem_mark.line) + 1, column: Int(parser.problem_mark.column) + 1)
        if parser.error == YAML_READER_ERROR {
            // The reader reports a byte offset; turn it into the line and column people see.
            let offset = min(parser.problem_offset, bytes.count)
            let before = bytes[..<offset]
            let lineStart = (before.lastIndex(of: 10).map { $0 + 1 }) ?? 0
            let line = before.reduce(1) { $0 + ($1 == 10 ? 1 : 0) }
            let column = bytes[lineStart..<offset].reduce(1) { $0 + (($1 & 0xC0) == 0x80 ? 0 : 1) }
            var message = "\(problem) at byte \(offset)"
            if parser.problem_value >= 0 {
                message += " (0x\(String(parser.problem_value, radix: 16, uppercase: true)))"
            }
            report(
                .notText, Mark(line: line, column: column), message,
                hint: "save the file as UTF-8 text")
            return
        }
        var message = problem
        if let context = parser.context {
            let contextMark = "\(parser.context_mark.line + 1):\(parser.context_mark.column + 1)"
            message = "\(String(cString: context)) (at \(contextMark)): \(problem)"
        }
        let index = Int(parser.problem_mark.index)
        let atTab = index < bytes.count && bytes[index] == 9
        report(.yamlSyntax, mark, message, hint: atTab ? Self.tabHint : syntaxHint(problem))
    }

    static let tabHint = "indent with spaces; YAML forbids tabs in indentation"

    func syntaxHint(_ problem: String) -> String {
        if problem.contains("tab") { return Self.tabHint }
        if problem.contains("mapping values are not allowed") {
            return "quote values that contain `: ` or check the indentation of this line"
        }
        if problem.contains("did not find expected key") {
            return "check the indentation: keys of one mapping must start in the same column"
        }
        return "fix the YAML syntax here; documents before this point were still checked"
    }

    static func mark(_ mark: yaml_mark_t) -> Mark {
        Mark(line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    static func text(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    mutating func handle(_ event: yaml_event_t) {
        let mark = Self.mark(event.start_mark)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            stack.removeAll()
            anchors.removeAll()
            root = nil
            skippedDepth = 0
        case YAML_DOCUMENT_END_EVENT:
            if let root {
                documents.append(YAMLDocument(file: path, index: documentIndex, root: root))
            }
            documentIndex += 1
        case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
            if skippedDepth > 0 || stack.count >= limits.maxDepth {
                if skippedDepth == 0 {
                    report(
                        .tooDeep, mark, "nesting deeper than \(limits.maxDepth) levels",
                        hint: "specs need only a few levels; flatten this value")
                }
                skippedDepth += 1
                return
            }
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            let data = event.data
            stack.append(
                Frame(
                    isMapping: isMapping, mark: mark,
                    tag: Self.text(isMapping ? data.mapping_start.tag : data.sequence_start.tag),
                    anchor: Self.text(isMapping ? data.mapping_start.anchor : data.sequence_start.anchor)))
        case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
            if skippedDepth > 0 {
                skippedDepth -= 1
                if skippedDepth == 0 { add(YAMLNode(.scalar("", .plain), mark: mark)) }
                return
            }
            guard let frame = stack.popLast() else { return }
            let node =
                frame.isMapping
                ? finishMapping(frame)
                : YAMLNode(
                    .sequence(frame.children), mark: frame.mark, tag: frame.tag, weight: frame.weight)
            if let anchor = frame.anchor { anchors[anchor] = node }
            add(node)
        case YAML_SCALAR_EVENT:
            if skippedDepth > 0 { return }
            let scalar = event.data.scalar
            let text =
                scalar.value.map {
                    String(decoding: UnsafeBufferPointer(start: $0, count: scalar.length), as: UTF8.self)
                } ?? ""
            let style: ScalarStyle
            switch scalar.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
            case YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .doubleQuoted
            case YAML_LITERAL_SCALAR_STYLE: style = .literal
            case YAML_FOLDED_SCALAR_STYLE: style = .folded
            default: style = .plain
            }
            let node = YAMLNode(
                .scalar(text, style), mark: mark, tag: Self.text(scalar.tag), weight: 1 + scalar.length / 16)
            if let anchor = Self.text(scalar.anchor) { anchors[anchor] = node }
            add(node)
        case YAML_ALIAS_EVENT:
            if skippedDepth > 0 { return }
            let name = Self.text(event.data.alias.anchor) ?? ""
            guard var target = anchors[name] else {
                report(
                    .yamlSyntax, mark, "alias `*\(clip(name))` names no anchor defined before it",
                    hint: "define `&\(clip(name))` earlier in the same document")
                add(YAMLNode(.scalar("", .plain), mark: mark))
                return
            }
            aliasBudget -= target.weight
            if aliasBudget < 0 {
                if !aliasReported {
                    report(
                        .aliasBomb, mark,
                        "aliases in this file expand to more than \(limits.maxAliasExpansion) nodes",
                        hint: "an alias that repeats aliases grows exponentially; write the values out")
                    aliasReported = true
                }
                add(YAMLNode(.scalar("", .plain), mark: mark))
                return
            }
            // Findings inside an aliased value point at the alias, where this copy is used.
            target.mark = mark
            add(target)
        default:
            break
        }
    }

    /// Pairs up a mapping's children, applies `<<` merge keys and reports duplicate keys.
    mutating func finishMapping(_ frame: Frame) -> YAMLNode {
        var pairs: [YAMLPair] = []
        pairs.reserveCapacity(frame.children.count / 2)
        var seen: [String: Mark] = [:]
        var merged: [YAMLPair] = []
        var index = 0
        while index + 1 < frame.children.count {
            let key = frame.children[index]
            let value = frame.children[index + 1]
            index += 2
            guard let name = key.scalar else {
                report(
                    .unsupportedYAML, key.mark, "a \(key.kindName.dropFirst(2)) used as a mapping key",
                    hint: "spec keys are plain names")
                continue
            }
            if name == "<<", case .scalar(_, .plain) = key.value {
                merged.append(contentsOf: mergeSources(value))
                continue
            }
            if let first = seen[name] {
                report(
                    .duplicateKey, key.mark,
                    "duplicate key `\(clip(name))` (first at line \(first.line), column \(first.column))",
                    hint: "remove one; YAML tools disagree on which of the two wins")
                continue
            }
            seen[name] = key.mark
            pairs.append(YAMLPair(key: key, value: value))
        }
        // Keys written in the mapping win over merged ones, as YAML's merge key defines.
        for pair in merged {
            guard let name = pair.key.scalar, seen[name] == nil else { continue }
            seen[name] = pair.key.mark
            pairs.append(pair)
        }
        return YAMLNode(.mapping(pairs), mark: frame.mark, tag: frame.tag, weight: frame.weight)
    }

    mutating func mergeSources(_ value: YAMLNode) -> [YAMLPair] {
        switch value.value {
        case .mapping(let pairs): return pairs
        case .sequence(let items):
            // Earlier mappings in the list win over later ones.
            var result: [YAMLPair] = []
            var names: Set<String> = []
            for item in items {
                guard let pairs = item.pairs else {
                    report(.unsupportedYAML, item.mark, "`<<` merges mappings, not \(item.kindName)")
                    continue
                }
                for pair in pairs where names.insert(pair.key.scalar ?? "").inserted { result.append(pair) }
            }
            return result
        case .scalar:
            report(
                .unsupportedYAML, value.mark, "`<<` merges mappings, not \(value.kindName)",
                hint: "write `<<: *anchor` with an anchor on a mapping")
            return []
        }
    }

    mutating func add(_ node: YAMLNode) {
        guard !stack.isEmpty else {
            root = node
            return
        }
        stack[stack.count - 1].children.append(node)
        stack[stack.count - 1].weight = stack[stack.count - 1].weight &+ node.weight
    }
}
