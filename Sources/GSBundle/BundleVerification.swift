import GSCore

/// `gsctl bundle verify` output: one line for people, one object for scripts.
public enum BundleVerification {
    public static func render(
        _ verified: VerifiedBundle, path: String, format: BundleInspection.Format, color: Bool = false
    ) -> String {
        let manifest = verified.manifest
        switch format {
        case .text:
            let style = Style(enabled: color)
            return style.green("verified") + " \(path): \(manifest.id), \(manifest.files.count) files "
                + "(\(ByteCount.format(manifest.totalSize))), manifest sha256 \(verified.manifestDigest), "
                + verified.signature.summary + "\n"
        case .json:
            return JSONValue.object([
                "verified": true,
                "path": .string(path),
                "id": .string(manifest.id),
                "manifestDigest": .string(verified.manifestDigest),
                "files": .int(manifest.files.count),
                "totalSize": .int(manifest.totalSize),
                "signature": signatureJSON(verified.signature),
            ]).pretty
        }
    }

    static func signatureJSON(_ status: SignatureStatus) -> JSONValue {
        switch status {
        case .unsigned: ["status": "unsigned"]
        case .signed(let fingerprint, let trusted):
            ["status": "signed", "keyFingerprint": .string(fingerprint), "trusted": .bool(trusted)]
        }
    }
}
