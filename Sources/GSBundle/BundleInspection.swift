import GSCore

/// `gsctl bundle inspect`: what a bundle is, for people (`text`) and scripts (`json`).
public enum BundleInspection {
    public enum Format: String, CaseIterable, Sendable {
        case text
        case json
    }

    public static func render(_ bundle: OpenedBundle, format: Format, color: Bool = false) -> String {
        switch format {
        case .text: text(bundle, style: Style(enabled: color))
        case .json: json(bundle).pretty
        }
    }

    /// The whole manifest plus what was found about the bundle: digest, signature, size.
    public static func json(_ bundle: OpenedBundle) -> JSONValue {
        .object([
            "path": .string(bundle.path),
            "manifestDigest": .string(bundle.manifestDigest),
            "signature": BundleVerification.signatureJSON(bundle.signature),
            "archiveSize": bundle.archiveSize.map { .int($0) } ?? .null,
            "totalSize": .int(bundle.manifest.totalSize),
            "manifest": bundle.manifest.json,
        ])
    }

    static func text(_ bundle: OpenedBundle, style: Style) -> String {
        let manifest = bundle.manifest
        var out = style.bold(manifest.id) + "\n"
        func row(_ label: String, _ value: String) { out += "  " + pad(label, 11) + value + "\n" }
        row("workflow", manifest.workflow)
        row("device", manifest.device)
        row("precision", manifest.precision)
        row("manifest", "sha256 \(bundle.manifestDigest)")
        let signed: String
        switch bundle.signature {
        case .unsigned: signed = style.yellow("unsigned")
        case .signed: signed = style.green(bundle.signature.summary)
        }
        row("signature", signed)
        row("gsctl", manifest.gsctlVersion)
        var source = "specs \(manifest.source.specDigest.prefix(12))"
        if let commit = manifest.source.gitCommit {
            source += ", git \(commit.prefix(12))" + (manifest.source.gitDirty ? " (dirty)" : "")
        }
        row("source", source)
        if let size = bundle.archiveSize { row("archive", ByteCount.format(size)) }

        let models = Set(manifest.precisions.keys).union(manifest.buildKeys.keys).union(modelNames(manifest.models))
        if !models.isEmpty {
            out += "\n" + style.bold("models") + "\n"
            let width = (models.map(\.count).max() ?? 0) + 2
            for name in models.sorted() {
                var line = "  " + pad(name, width) + pad(manifest.precisions[name] ?? "-", 12)
                if let key = manifest.buildKeys[name] { line += "build key \(key.prefix(12))" }
                out += line + "\n"
            }
        }
        out += "\n" + style.bold("files") + " (\(manifest.files.count), \(ByteCount.format(manifest.totalSize)))\n"
        for file in manifest.files {
            out += "  \(file.mode.text)  " + pad(ByteCount.format(file.size), 11, right: true) + "  \(file.path)\n"
        }
        return out
    }

    static func modelNames(_ models: JSONValue) -> [String] {
        guard case .object(let members) = models else { return [] }
        return Array(members.keys)
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return right ? fill + text : text + fill
    }
}
