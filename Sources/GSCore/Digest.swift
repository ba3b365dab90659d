import CCrypto

/// SHA-256 digests through OpenSSL's libcrypto (never hand-written).
///
/// Models, blobs and bundles are named by their digest; `Model` specs pin their source file
/// by it.
public struct SHA256: ~Copyable {
    private let context: OpaquePointer

    public init() throws(GSError) {
        guard let context = EVP_MD_CTX_new() else { throw GSError("cannot allocate a SHA-256 context") }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            EVP_MD_CTX_free(context)
            throw GSError("cannot start SHA-256: \(OpenSSLError.last())")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, base, bytes.count)
    }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// The digest as 64 lowercase hex characters.
    public consuming func finalize() -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(context, $0.baseAddress, &length) }
        return Hex.encode(out.prefix(Int(length)))
    }

    /// Digest of bytes in memory.
    public static func hex(of bytes: [UInt8]) -> String {
        // A context can only fail to allocate when the process is out of memory.
        guard var hasher = try? SHA256() else { return "" }
        hasher.update(bytes)
        return hasher.finalize()
    }

    public static func hex(of text: String) -> String { hex(of: Array(text.utf8)) }

    /// Digest of a file, streamed in 1 MiB reads so large models need little memory.
    public static func hex(ofFile path: String) throws(GSError) -> String {
        let file = try ReadOnlyFile(path: path)
        var hasher = try SHA256()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let count = try file.read(into: &buffer)
            if count == 0 { break }
            buffer.withUnsafeBytes { hasher.update(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return hasher.finalize()
    }
}

/// Lowercase hexadecimal, as digests are written everywhere in gsctl.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `text` is exactly `count` lowercase hex digits (a well-formed sha256 is 64).
    public static func isLowercaseHex(_ text: String, count: Int) -> Bool {
        text.utf8.count == count
            && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }
    }
}

/// The text of OpenSSL's most recent error, for messages.
enum OpenSSLError {
    static func last() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown OpenSSL error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
