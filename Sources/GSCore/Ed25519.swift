import CCrypto

/// An Ed25519 public key (OpenSSL), read from PEM (`-----BEGIN PUBLIC KEY-----`).
///
/// Deployments name the keys hosts must trust; lint checks each file really holds one, and
/// bundles are verified against them.
public final class Ed25519PublicKey: @unchecked Sendable {
    let key: OpaquePointer

    private init(key: OpaquePointer) { self.key = key }

    deinit { EVP_PKEY_free(key) }

    /// Parses PEM text; throws with the reason when it is not an Ed25519 public key.
    public static func parse(pem: [UInt8]) throws(GSError) -> Ed25519PublicKey {
        let parsed: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
        guard let parsed else {
            ERR_clear_error()
            throw GSError("not a PEM public key", hint: "create one with `gsctl keygen` or `openssl pkey -pubout`")
        }
        guard EVP_PKEY_get_id(parsed) == EVP_PKEY_ED25519 else {
            EVP_PKEY_free(parsed)
            throw GSError("the key is not Ed25519", hint: "gsctl signs bundles with Ed25519 keys (`gsctl keygen`)")
        }
        return Ed25519PublicKey(key: parsed)
    }

    public static func load(path: String) throws(GSError) -> Ed25519PublicKey {
        try parse(pem: FileSystem.read(path, limit: 1 << 16))
    }

    /// The 32 raw key bytes, hex: a short, stable fingerprint for messages and manifests.
    public var fingerprint: String {
        var length = 32
        var bytes = [UInt8](repeating: 0, count: 32)
        EVP_PKEY_get_raw_public_key(key, &bytes, &length)
        return Hex.encode(bytes.prefix(length))
    }
}
