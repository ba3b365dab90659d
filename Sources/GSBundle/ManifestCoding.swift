import GSCore

/// `Manifest` <-> the canonical bytes of `manifest.json`.
///
/// Encoding is `JSONValue.canonical`, so equal manifests give equal bytes and digests. Decoding
/// is strict because the bytes come from outside: the format must be one this gsctl knows, the
/// bytes must be canonical, every key known and every value well formed (paths, digests, sizes,
/// modes, names), and no path may repeat or be both a file and a directory.
extension Manifest {
    /// The canonical `manifest.json` bytes.
    public var canonicalBytes: [UInt8] { Array(json.canonical.utf8) }

    public var json: JSONValue {
        .object([
            "format": .string(format),
            "id": .string(id),
            "workflow": .string(workflow),
            "device": .string(device),
            "precision": .string(precision),
            "precisions": .object(precisions.mapValues { .string($0) }),
            "gsctlVersion": .string(gsctlVersion),
            "source": .object([
                "specDigest": .string(source.specDigest),
                "gitCommit": .optional(source.gitCommit),
                "gitDirty": .bool(source.gitDirty),
            ]),
            "buildKeys": .object(buildKeys.mapValues { .string($0) }),
            "files": .array(
                files.map {
                    .object([
                        "path": .string($0.path), "sha256": .string($0.sha256), "size": .int($0.size),
                        "mode": .string($0.mode.text),
                    ])
                }),
            "models": models,
            "workflowGraph": workflowGraph,
            "environments": environments,
        ])
    }

    /// Reads `manifest.json` bytes, refusing anything this gsctl would not have written.
    public static func decode(_ bytes: [UInt8]) throws(GSError) -> Manifest {
        let what = BundlePath.manifestName
        let value = try JSONParser.parse(bytes, what: what)
        guard case .object(let members) = value else { throw GSError("\(what) is not a JSON object") }
        // The format first: a newer bundle should say "upgrade", not "unknown key".
        guard case .string(let format)? = members["format"] else {
            throw GSError("\(what) has no `format`", hint: "is this a gsctl bundle?")
        }
        guard format == currentFormat else {
            throw GSError(
                "\(what) has format `\(format)`; this gsctl reads `\(currentFormat)`",
                hint: "use the gsctl version that built the bundle, or rebuild it")
        }
        guard value.canonical.utf8.elementsEqual(bytes) else {
            throw GSError(
                "\(what) is not canonical JSON",
                hint: "it must be written as gsctl writes it: sorted keys, no whitespace, fixed number form")
        }
        var root = FieldReader(members, at: "", what: what)
        _ = try root.string("format")
        var source = try root.object("source")
        var manifest = Manifest(
            id: try root.string("id", check: ManifestRules.id),
            workflow: try root.string("workflow", check: ManifestRules.name),
            device: try root.string("device", check: ManifestRules.name),
            precision: try root.string("precision", check: ManifestRules.name),
            precisions: try root.stringMap("precisions", check: ManifestRules.name),
            gsctlVersion: try root.string("gsctlVersion", check: ManifestRules.version),
            source: SourceInfo(
                specDigest: try source.string("specDigest", check: ManifestRules.sha256),
                gitCommit: try source.optionalString("gitCommit", check: ManifestRules.gitCommit),
                gitDirty: try source.bool("gitDirty")),
            buildKeys: try root.stringMap("buildKeys", check: ManifestRules.sha256),
            models: try root.jsonObject("models"),
            workflowGraph: try root.jsonObject("workflowGraph"),
            environments: try root.jsonObject("environments"))
        try source.finish()
        manifest.files = try decodeFiles(try root.array("files"), what: what)
        try root.finish()
        return manifest
    }

    private static func decodeFiles(_ items: [JSONValue], what: String) throws(GSError) -> [ManifestFile] {
        var files: [ManifestFile] = []
        var seen = Set<String>()
        for (index, item) in items.enumerated() {
            let at = "files[\(index)]"
            guard case .object(let members) = item else { throw GSError("\(what): `\(at)` is not an object") }
            var reader = FieldReader(members, at: at, what: what)
            let path = try reader.string("path") { BundlePath.problem($0) }
            if BundlePath.isReserved(path) {
                throw GSError("\(what): `\(at).path` `\(path)` is reserved for the bundle format")
            }
            let file = ManifestFile(
                path: path,
                sha256: try reader.string("sha256", check: ManifestRules.sha256),
                size: try reader.size("size"),
                mode: try reader.mode("mode"))
            try reader.finish()
            if seen.contains(path) { throw GSError("\(what): `\(path)` is listed twice") }
            if let previous = files.last, !previous.path.utf8.lexicographicallyPrecedes(path.utf8) {
                throw GSError("\(what): files are not sorted by path (`\(path)` after `\(previous.path)`)")
            }
            seen.insert(path)
            files.append(file)
        }
        for file in files {
            for parent in BundlePath.ancestors(file.path) where seen.contains(parent) {
                throw GSError("\(what): `\(parent)` is listed as a file and as the directory of `\(file.path)`")
            }
        }
        return files
    }
}

/// The value rules of a manifest: each returns why a value is wrong, or nil.
enum ManifestRules {
    /// Bundle ids name files and directories on hosts: lowercase, digits, `-` and `.`.
    static func id(_ text: String) -> String? {
        let bytes = text.utf8
        guard (1...200).contains(bytes.count), let first = bytes.first, let last = bytes.last,
            lowerAlnum(first), lowerAlnum(last),
            bytes.allSatisfy({ lowerAlnum($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") })
        else { return "must be lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit" }
        return nil
    }

    /// Workflow, device, model and precision names: DNS-1123 labels, as in specs.
    static func name(_ text: String) -> String? {
        let bytes = text.utf8
        guard (1...63).contains(bytes.count), let first = bytes.first, let last = bytes.last,
            lowerAlnum(first), lowerAlnum(last), bytes.allSatisfy({ lowerAlnum($0) || $0 == UInt8(ascii: "-") })
        else { return "must be lowercase letters, digits and `-`, at most 63" }
        return nil
    }

    static func sha256(_ text: String) -> String? {
        Hex.isLowercaseHex(text, count: 64) ? nil : "must be 64 lowercase hex digits"
    }

    /// SHA-1 or SHA-256 object names.
    static func gitCommit(_ text: String) -> String? {
        Hex.isLowercaseHex(text, count: 40) || Hex.isLowercaseHex(text, count: 64)
            ? nil : "must be a full commit id (40 or 64 lowercase hex digits)"
    }

    static func version(_ text: String) -> String? {
        let bytes = text.utf8
        guard (1...64).contains(bytes.count),
            bytes.allSatisfy({ lowerAlnum($0) || (65...90).contains($0) || [45, 46, 43, 95].contains($0) })
        else { return "must be a version such as `0.1.0`" }
        return nil
    }

    private static func lowerAlnum(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 97 && byte <= 122)
    }
}

/// Reads the members of one JSON object, naming each field by its path in errors and
/// refusing keys nobody read (`finish`).
struct FieldReader {
    private let members: [String: JSONValue]
    private let at: String
    private let what: String
    private var used = Set<String>()

    init(_ members: [String: JSONValue], at: String, what: String) {
        self.members = members
        self.at = at
        self.what = what
    }

    private func name(_ key: String) -> String { at.isEmpty ? key : "\(at).\(key)" }

    private func failure(_ key: String, _ reason: String) -> GSError {
        GSError("\(what): `\(name(key))` \(reason)")
    }

    private mutating func required(_ key: String) throws(GSError) -> JSONValue {
        used.insert(key)
        guard let value = members[key] else { throw GSError("\(what): `\(name(key))` is missing") }
        return value
    }

    mutating func string(_ key: String, check: (String) -> String? = { _ in nil }) throws(GSError) -> String {
        guard case .string(let text) = try required(key) else { throw failure(key, "must be a string") }
        if let problem = check(text) { throw failure(key, "`\(text)` is not valid: \(problem)") }
        return text
    }

    mutating func optionalString(_ key: String, check: (String) -> String?) throws(GSError) -> String? {
        if case .null = try required(key) { return nil }
        return try string(key, check: check)
    }

    mutating func bool(_ key: String) throws(GSError) -> Bool {
        guard case .bool(let value) = try required(key) else { throw failure(key, "must be true or false") }
        return value
    }

    mutating func size(_ key: String) throws(GSError) -> Int {
        guard case .int(let value) = try required(key), value >= 0 else {
            throw failure(key, "must be a non-negative integer")
        }
        return value
    }

    mutating func mode(_ key: String) throws(GSError) -> FileMode {
        guard case .string(let text) = try required(key), let mode = FileMode(text: text) else {
            throw failure(key, "must be \"0644\" or \"0755\"")
        }
        return mode
    }

    mutating func array(_ key: String) throws(GSError) -> [JSONValue] {
        guard case .array(let items) = try required(key) else { throw failure(key, "must be an array") }
        return items
    }

    mutating func object(_ key: String) throws(GSError) -> FieldReader {
        guard case .object(let inner) = try required(key) else { throw failure(key, "must be an object") }
        return FieldReader(inner, at: name(key), what: what)
    }

    mutating func jsonObject(_ key: String) throws(GSError) -> JSONValue {
        let value = try required(key)
        guard case .object = value else { throw failure(key, "must be an object") }
        return value
    }

    /// An object of strings whose keys are names and whose values pass `check`.
    mutating func stringMap(_ key: String, check: (String) -> String?) throws(GSError) -> [String: String] {
        guard case .object(let inner) = try required(key) else { throw failure(key, "must be an object") }
        var out: [String: String] = [:]
        for (name, value) in inner {
            if let problem = ManifestRules.name(name) { throw failure(key, "has key `\(name)` that \(problem)") }
            guard case .string(let text) = value else { throw failure("\(key).\(name)", "must be a string") }
            if let problem = check(text) { throw failure("\(key).\(name)", "`\(text)` is not valid: \(problem)") }
            out[name] = text
        }
        return out
    }

    /// Refuses keys nobody read: a field this gsctl does not know is a format it does not know.
    func finish() throws(GSError) {
        let unknown = members.keys.filter { !used.contains($0) }.sorted()
        if let first = unknown.first {
            throw GSError(
                "\(what): unknown field `\(name(first))`",
                hint: "the bundle was written by a newer or different tool; rebuild it with this gsctl")
        }
    }
}
