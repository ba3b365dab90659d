import GSCore

/// `gsctl bundle diff A B`: what deploying B instead of A would change.
///
/// Files are compared by path (added, removed, changed content or mode), models by their
/// precision and compiler details, and the other fields by value. Provenance (gsctl
/// version, source, build keys) is reported but does not make two bundles different: a
/// rebuild at a new commit that produced the same bytes changes nothing on a device.
public struct BundleDiff: Hashable, Sendable {
    public struct FileChange: Hashable, Sendable {
        public var before: ManifestFile
        public var after: ManifestFile
    }

    public struct ModelChange: Hashable, Sendable {
        public enum Kind: String, Hashable, Sendable {
            case added
            case removed
            case changed
        }

        public var name: String
        public var kind: Kind
        public var precisionBefore: String?
        public var precisionAfter: String?
        /// Whether the compiler's details (the `models` entry) differ.
        public var variantChanged: Bool
        /// Graph inputs and their shapes as the build reported them (`x: [1, 3, 48, 192]`),
        /// across the model's variants; empty for bundles built before reports had them.
        public var inputsBefore: [String: String] = [:]
        public var inputsAfter: [String: String] = [:]
        /// Bytes of the model's variant files (`models/NAME/*/model.onnx`).
        public var bytesBefore = 0
        public var bytesAfter = 0

        /// What changed, in a device's terms: `precision fp32 -> int8`, `input x [1, 3, 48,
        /// 192] -> [1, 3, 48, 160]`, `size 0.6 MB -> 0.2 MB`, `variant changed`.
        public var details: [String] {
            var parts: [String] = []
            if precisionBefore != precisionAfter {
                parts.append("precision \(precisionBefore ?? "-") -> \(precisionAfter ?? "-")")
            }
            if kind == .changed, !inputsBefore.isEmpty, !inputsAfter.isEmpty {
                for name in Set(inputsBefore.keys).union(inputsAfter.keys).sorted()
                where inputsBefore[name] != inputsAfter[name] {
                    parts.append("input \(name) \(inputsBefore[name] ?? "(none)") -> \(inputsAfter[name] ?? "(none)")")
                }
            }
            if kind == .changed, bytesBefore != bytesAfter {
                parts.append("size \(ByteCount.format(bytesBefore)) -> \(ByteCount.format(bytesAfter))")
            }
            if kind == .changed, variantChanged { parts.append("variant changed") }
            return parts
        }
    }

    public var added: [ManifestFile] = []
    public var removed: [ManifestFile] = []
    public var changed: [FileChange] = []
    public var models: [ModelChange] = []
    /// Other fields that differ and matter on a device (`workflowGraph`, `environments`, ...).
    public var fields: [String] = []
    /// Provenance fields that differ, with both values (`gsctlVersion`, `source.gitCommit`, ...).
    public var provenance: [ProvenanceChange] = []

    /// One provenance value that differs; values are canonical JSON text.
    public struct ProvenanceChange: Hashable, Sendable {
        public var field: String
        public var before: String
        public var after: String
    }

    /// True when deploying one instead of the other changes nothing on a device.
    public var isIdentical: Bool {
        added.isEmpty && removed.isEmpty && changed.isEmpty && models.isEmpty && fields.isEmpty
    }

    public init(from a: Manifest, to b: Manifest) {
        let before = Dictionary(a.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(b.files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for file in b.files {
            guard let old = before[file.path] else {
                added.append(file)
                continue
            }
            if old != file { changed.append(FileChange(before: old, after: file)) }
        }
        removed = a.files.filter { after[$0.path] == nil }

        let aDetails = Self.members(a.models)
        let bDetails = Self.members(b.models)
        let names = Set(a.precisions.keys).union(aDetails.keys).union(b.precisions.keys).union(bDetails.keys)
        for name in names.sorted() {
            let inA = a.precisions[name] != nil || aDetails[name] != nil
            let inB = b.precisions[name] != nil || bDetails[name] != nil
            let kind: ModelChange.Kind
            if !inA {
                kind = .added
            } else if !inB {
                kind = .removed
            } else if a.precisions[name] != b.precisions[name] || aDetails[name] != bDetails[name] {
                kind = .changed
            } else {
                continue
            }
            models.append(
                ModelChange(
                    name: name, kind: kind, precisionBefore: a.precisions[name], precisionAfter: b.precisions[name],
                    variantChanged: aDetails[name] != bDetails[name], inputsBefore: Self.inputs(aDetails[name]),
                    inputsAfter: Self.inputs(bDetails[name]), bytesBefore: Self.modelBytes(a, name),
                    bytesAfter: Self.modelBytes(b, name)))
        }

        let compared: [(String, JSONValue, JSONValue)] = [
            ("id", .string(a.id), .string(b.id)),
            ("workflow", .string(a.workflow), .string(b.workflow)),
            ("device", .string(a.device), .string(b.device)),
            ("precision", .string(a.precision), .string(b.precision)),
            ("workflowGraph", a.workflowGraph, b.workflowGraph),
            ("environments", a.environments, b.environments),
        ]
        fields = compared.filter { $0.1 != $0.2 }.map(\.0)

        let aJSON = a.json
        let bJSON = b.json
        for field in ["gsctlVersion", "source", "buildKeys"] {
            provenance += Self.leafChanges(field, Self.member(aJSON, field), Self.member(bJSON, field))
        }
    }

    /// A model's input shapes from its variants' build reports (the first variant that
    /// names an input wins: every variant of a model takes the same inputs).
    private static func inputs(_ entry: JSONValue?) -> [String: String] {
        var shapes: [String: String] = [:]
        let variants = members(entry?["variants"] ?? .null)
        for precision in variants.keys.sorted() {
            for (name, shape) in members(variants[precision]?["report"]?["inputs"] ?? .null) where shapes[name] == nil {
                shapes[name] = shape.stringValue
            }
        }
        return shapes
    }

    private static func modelBytes(_ manifest: Manifest, _ model: String) -> Int {
        manifest.files.filter { $0.path.hasPrefix("models/\(model)/") && $0.path.hasSuffix("/model.onnx") }
            .reduce(0) { $0 + $1.size }
    }

    private static func members(_ value: JSONValue) -> [String: JSONValue] {
        if case .object(let members) = value { return members }
        return [:]
    }

    private static func member(_ value: JSONValue, _ key: String) -> JSONValue? {
        members(value)[key]
    }

    /// Differences between two JSON values as `path: before -> after`, objects descended.
    private static func leafChanges(_ path: String, _ a: JSONValue?, _ b: JSONValue?) -> [ProvenanceChange] {
        if a == b { return [] }
        if case .object(let left)? = a, case .object(let right)? = b {
            return Set(left.keys).union(right.keys).sorted().flatMap { key in
                leafChanges("\(path).\(key)", left[key], right[key])
            }
        }
        return [ProvenanceChange(field: path, before: a?.canonical ?? "(none)", after: b?.canonical ?? "(none)")]
    }
}

extension BundleDiff {
    public func render(_ format: BundleInspection.Format, a: OpenedBundle, b: OpenedBundle, color: Bool = false)
        -> String
    {
        switch format {
        case .text: text(a: a, b: b, style: Style(enabled: color))
        case .json: json(a: a, b: b).pretty
        }
    }

    func text(a: OpenedBundle, b: OpenedBundle, style: Style) -> String {
        var out = style.red("--- \(a.path)") + " (\(a.manifest.id), manifest \(a.manifestDigest.prefix(12)))\n"
        out += style.green("+++ \(b.path)") + " (\(b.manifest.id), manifest \(b.manifestDigest.prefix(12)))\n"
        if !added.isEmpty || !removed.isEmpty || !changed.isEmpty {
            out += "\nfiles:\n"
            for file in added { out += style.green("  + \(file.path)") + "  \(ByteCount.format(file.size))\n" }
            for file in removed { out += style.red("  - \(file.path)") + "  \(ByteCount.format(file.size))\n" }
            for change in changed {
                var line = style.yellow("  ~ \(change.after.path)")
                line += "  \(ByteCount.format(change.before.size)) -> \(ByteCount.format(change.after.size))"
                if change.before.sha256 != change.after.sha256 {
                    line += ", sha256 \(change.before.sha256.prefix(12)) -> \(change.after.sha256.prefix(12))"
                }
                if change.before.mode != change.after.mode {
                    line += ", mode \(change.before.mode.text) -> \(change.after.mode.text)"
                }
                out += line + "\n"
            }
        }
        if !models.isEmpty {
            out += "\nmodels:\n"
            for model in models {
                switch model.kind {
                case .added: out += style.green("  + \(model.name)") + " (\(model.precisionAfter ?? "-"))\n"
                case .removed: out += style.red("  - \(model.name)") + " (\(model.precisionBefore ?? "-"))\n"
                case .changed:
                    out += style.yellow("  ~ \(model.name)") + ": " + model.details.joined(separator: ", ") + "\n"
                }
            }
        }
        if !fields.isEmpty { out += "\nchanged: " + fields.joined(separator: ", ") + "\n" }
        if !provenance.isEmpty {
            out += "\nprovenance (does not count as a change):\n"
            for item in provenance { out += "  \(item.field): \(item.before) -> \(item.after)\n" }
        }
        out += "\n"
        if isIdentical {
            out += "identical: deploying one instead of the other changes nothing\n"
        } else {
            out += "\(added.count) added, \(removed.count) removed, \(changed.count) changed files; "
            out += "\(models.count) models changed\n"
        }
        return out
    }

    func json(a: OpenedBundle, b: OpenedBundle) -> JSONValue {
        func file(_ file: ManifestFile) -> JSONValue {
            [
                "path": .string(file.path), "sha256": .string(file.sha256), "size": .int(file.size),
                "mode": .string(file.mode.text),
            ]
        }
        return .object([
            "a": ["path": .string(a.path), "id": .string(a.manifest.id), "manifestDigest": .string(a.manifestDigest)],
            "b": ["path": .string(b.path), "id": .string(b.manifest.id), "manifestDigest": .string(b.manifestDigest)],
            "identical": .bool(isIdentical),
            "files": [
                "added": .array(added.map(file)),
                "removed": .array(removed.map(file)),
                "changed": .array(changed.map { ["before": file($0.before), "after": file($0.after)] }),
            ],
            "models": .array(
                models.map {
                    [
                        "name": .string($0.name), "change": .string($0.kind.rawValue),
                        "precisionBefore": .optional($0.precisionBefore),
                        "precisionAfter": .optional($0.precisionAfter),
                        "variantChanged": .bool($0.variantChanged),
                        "inputsBefore": .object($0.inputsBefore.mapValues { .string($0) }),
                        "inputsAfter": .object($0.inputsAfter.mapValues { .string($0) }),
                        "bytesBefore": .int($0.bytesBefore), "bytesAfter": .int($0.bytesAfter),
                    ]
                }),
            "fields": .strings(fields),
            "provenance": .array(
                provenance.map {
                    ["field": .string($0.field), "before": .string($0.before), "after": .string($0.after)]
                }),
        ])
    }
}
