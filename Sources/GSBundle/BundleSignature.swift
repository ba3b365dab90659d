import GSCore

/// `manifest.sig`: a detached Ed25519 signature over the exact bytes of `manifest.json`.
///
/// Detached so the manifest stays the same bytes (and digest) whoever signs it, and an
/// unsigned bundle is the same bundle minus one file. The signer is named by its key
/// fingerprint (`Ed25519PublicKey.fingerprint`: the raw public key, hex), which is also
/// enough to check the signature's integrity when no key is pinned.
public struct BundleSignature: Hashable, Sendable {
    public static let algorithm = "ed25519"

    public var keyFingerprint: String
    /// 128 lowercase hex digits: the 64-byte signature.
    public var signature: String

    public init(keyFingerprint: String, signature: String) {
        self.keyFingerprint = keyFingerprint
        self.signature = signature
    }

    /// Signs exactly `manifestBytes`.
    public static func sign(_ manifestBytes: [UInt8], with key: Ed25519PrivateKey) throws(GSError) -> BundleSignature {
        BundleSignature(
            keyFingerprint: try key.publicKey.fingerprint, signature: Hex.encode(try key.sign(manifestBytes)))
    }

    /// The canonical `manifest.sig` bytes.
    public var canonicalBytes: [UInt8] {
        let value: JSONValue = [
            "algorithm": .string(Self.algorithm), "keyFingerprint": .string(keyFingerprint),
            "signature": .string(signature),
        ]
        return Array(value.canonical.utf8)
    }

    /// Reads `manifest.sig`, refusing other algorithms and malformed fields.
    public static func decode(_ bytes: [UInt8]) throws(GSError) -> BundleSignature {
        let what = BundlePath.signatureName
        guard case .object(let members) = try JSONParser.parseCanonical(bytes, what: what) else {
            throw GSError("\(what) is not a JSON object")
        }
        var reader = FieldReader(members, at: "", what: what)
        let algorithm = try reader.string("algorithm")
        guard algorithm == Self.algorithm else {
            throw GSError("\(what) uses algorithm `\(algorithm)`; gsctl verifies only `\(Self.algorithm)`")
        }
        let signature = BundleSignature(
            keyFingerprint: try reader.string("keyFingerprint", check: ManifestRules.sha256),
            signature: try reader.string("signature") {
                Hex.isLowercaseHex($0, count: 128) ? nil : "must be 128 lowercase hex digits"
            })
        try reader.finish()
        return signature
    }
}

/// What verification found out about who signed a bundle.
public enum SignatureStatus: Hashable, Sendable {
    case unsigned
    /// Signed and the signature matches the manifest; `trusted` when the key is one of the
    /// pinned keys (with no keys pinned, only integrity was checked).
    case signed(keyFingerprint: String, trusted: Bool)

    public var summary: String {
        switch self {
        case .unsigned: "unsigned"
        case .signed(let fingerprint, true): "signed by \(fingerprint) (trusted key)"
        case .signed(let fingerprint, false): "signed by \(fingerprint) (signature valid; no key pinned)"
        }
    }
}

/// The signature check every reader of a bundle runs before it trusts a byte of the manifest.
public enum SignatureCheck {
    /// Checks `signatureBytes` (nil: no `manifest.sig`) over `manifestBytes`. With `trustedKeys`
    /// non-empty the bundle must be signed by one of them; with none, a signature present must
    /// still match its own key (catches corruption, proves nothing about who signed).
    public static func check(
        manifestBytes: [UInt8], signatureBytes: [UInt8]?, trustedKeys: [Ed25519PublicKey]
    ) throws(GSError) -> SignatureStatus {
        let pinned = trustedKeys.map(\.fingerprint)
        guard let signatureBytes else {
            if pinned.isEmpty { return .unsigned }
            throw BundleError.unsigned(pinned: pinned)
        }
        let signature = try BundleSignature.decode(signatureBytes)
        let key: Ed25519PublicKey
        if pinned.isEmpty {
            key = try Ed25519PublicKey.fromFingerprint(signature.keyFingerprint)
        } else if let trusted = trustedKeys.first(where: { $0.fingerprint == signature.keyFingerprint }) {
            key = trusted
        } else {
            throw BundleError.untrustedKey(signature.keyFingerprint, pinned: pinned)
        }
        guard let raw = Hex.decode(signature.signature), key.verify(signature: raw, of: manifestBytes) else {
            throw BundleError.badSignature(signature.keyFingerprint)
        }
        return .signed(keyFingerprint: signature.keyFingerprint, trusted: !pinned.isEmpty)
    }
}
