import CCrypto

/// An Ed25519 public key (OpenSSL), read from PEM (`-----BEGIN PUBLIC KEY-----`).
///
/// Deployments name the keys hosts must trust; lint checks each file really holds one, and
/// bundles are verified against them.
public final class Ed25519PublicKey: @unchecked Sendable {
    let key: OpaquePointer

    fileprivate init(key: OpaquePointer) { self.key = key }

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

    /// The key from its fingerprint (the 32 raw bytes, hex), so a signature that names its
    /// signer can be checked for integrity even when no key is pinned.
    public static func fromFingerprint(_ fingerprint: String) throws(GSError) -> Ed25519PublicKey {
        guard Hex.isLowercaseHex(fingerprint, count: 64), let raw = Hex.decode(fingerprint) else {
            throw GSError("key fingerprint `\(fingerprint)` is not 64 lowercase hex digits")
        }
        guard let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, raw, raw.count) else {
            ERR_clear_error()
            throw GSError("key fingerprint `\(fingerprint)` is not an Ed25519 public key")
        }
        return Ed25519PublicKey(key: key)
    }

    /// The 32 raw key bytes, hex: a short, stable fingerprint for messages and manifests.
    public var fingerprint: String {
        var length = 32
        var bytes = [UInt8](repeating: 0, count: 32)
        EVP_PKEY_get_raw_public_key(key, &bytes, &length)
        return Hex.encode(bytes.prefix(length))
    }

    /// The key as PEM (SubjectPublicKeyInfo), the form `openssl pkey -pubout` writes.
    public var pem: [UInt8] {
        get throws(GSError) {
            try MemoryBIO.collect("public key") { PEM_write_bio_PUBKEY($0, key) == 1 }
        }
    }

    /// Whether `signature` is this key's Ed25519 signature of exactly `message`.
    public func verify(signature: [UInt8], of message: [UInt8]) -> Bool {
        guard signature.count == 64, let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, nil, nil, key) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = message.withUnsafeBytes { raw in
            EVP_DigestVerify(context, signature, 64, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }
        ERR_clear_error()
        return result == 1
    }
}

/// An Ed25519 private key: it signs bundle manifests (`gsctl keygen` makes one).
///
/// Kept as PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`), the form `openssl genpkey -algorithm
/// ed25519` writes, so keys move freely between gsctl and openssl.
public final class Ed25519PrivateKey: @unchecked Sendable {
    private let key: OpaquePointer

    private init(key: OpaquePointer) { self.key = key }

    deinit { EVP_PKEY_free(key) }

    /// A fresh key from OpenSSL's random generator.
    public static func generate() throws(GSError) -> Ed25519PrivateKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else {
            throw GSError("cannot start Ed25519 key generation: \(OpenSSLError.last())")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_keygen(context, &key) == 1, let key else {
            throw GSError("cannot generate an Ed25519 key: \(OpenSSLError.last())")
        }
        return Ed25519PrivateKey(key: key)
    }

    /// Parses PEM text; throws with the reason when it is not an Ed25519 private key.
    public static func parse(pem: [UInt8]) throws(GSError) -> Ed25519PrivateKey {
        let parsed: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let parsed else {
            ERR_clear_error()
            throw GSError(
                "not a PEM private key (or it is encrypted)",
                hint: "create one with `gsctl keygen` or `openssl genpkey -algorithm ed25519`")
        }
        guard EVP_PKEY_get_id(parsed) == EVP_PKEY_ED25519 else {
            EVP_PKEY_free(parsed)
            throw GSError("the key is not Ed25519", hint: "gsctl signs bundles with Ed25519 keys (`gsctl keygen`)")
        }
        return Ed25519PrivateKey(key: parsed)
    }

    public static func load(path: String) throws(GSError) -> Ed25519PrivateKey {
        do {
            return try parse(pem: FileSystem.read(path, limit: 1 << 16))
        } catch {
            throw GSError("`\(path)`: \(error.message)", hint: error.hint)
        }
    }

    /// The matching public key.
    public var publicKey: Ed25519PublicKey {
        get throws(GSError) {
            var length = 32
            var raw = [UInt8](repeating: 0, count: 32)
            guard EVP_PKEY_get_raw_public_key(key, &raw, &length) == 1,
                let publicKey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, raw, length)
            else { throw GSError("cannot derive the public key: \(OpenSSLError.last())") }
            return Ed25519PublicKey(key: publicKey)
        }
    }

    /// The key as unencrypted PEM PKCS#8.
    public var pem: [UInt8] {
        get throws(GSError) {
            try MemoryBIO.collect("private key") { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) == 1 }
        }
    }

    /// The 64-byte Ed25519 signature of exactly `message` (pure Ed25519: no pre-hash, so
    /// `openssl pkeyutl -verify -rawin` checks it).
    public func sign(_ message: [UInt8]) throws(GSError) -> [UInt8] {
        guard let context = EVP_MD_CTX_new() else { throw GSError("cannot allocate a signing context") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, nil, nil, key) == 1 else {
            throw GSError("cannot start signing: \(OpenSSLError.last())")
        }
        var signature = [UInt8](repeating: 0, count: 64)
        var length = 64
        let result = message.withUnsafeBytes { raw in
            EVP_DigestSign(context, &signature, &length, raw.bindMemory(to: UInt8.self).baseAddress, raw.count)
        }
        guard result == 1, length == 64 else { throw GSError("cannot sign: \(OpenSSLError.last())") }
        return signature
    }

    /// Writes the key as PEM with mode 0600 (atomically), so no other user can read it.
    public func write(to path: String) throws(GSError) {
        try FileSystem.writeAtomically(pem, to: path, mode: 0o600)
    }
}

/// An in-memory OpenSSL BIO drained into bytes: how PEM text comes out of OpenSSL.
private enum MemoryBIO {
    static func collect(_ what: String, _ body: (OpaquePointer) -> Bool) throws(GSError) -> [UInt8] {
        guard let bio = BIO_new(BIO_s_mem()) else { throw GSError("cannot allocate a buffer for the \(what)") }
        defer { BIO_free(bio) }
        guard body(bio) else { throw GSError("cannot write the \(what) as PEM: \(OpenSSLError.last())") }
        var bytes = [UInt8](repeating: 0, count: BIO_ctrl_pending(bio))
        let count = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32($0.count)) }
        guard count == bytes.count else { throw GSError("cannot read the \(what) PEM back") }
        return bytes
    }
}

extension Hex {
    /// Bytes from lowercase or uppercase hex; nil when the text is not an even run of digits.
    public static func decode(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 48...57: digit - 48
        case 97...102: digit - 87
        case 65...70: digit - 55
        default: nil
        }
    }
}
