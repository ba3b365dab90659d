import GSCore

/// Every message a bundle check can fail with, in one place so they read alike: lowercase,
/// names in backticks, the file first, then the cause.
enum BundleError {
    static func unsigned(pinned: [String]) -> GSError {
        GSError(
            "the bundle is unsigned, but signing keys are pinned (\(pinned.joined(separator: ", ")))",
            hint: "build the bundle with a signing key, or verify it without --key")
    }

    static func untrustedKey(_ fingerprint: String, pinned: [String]) -> GSError {
        GSError(
            "\(BundlePath.signatureName) is signed by key \(fingerprint), which is not a trusted key",
            hint: "trusted keys: \(pinned.joined(separator: ", "))")
    }

    static func badSignature(_ fingerprint: String) -> GSError {
        GSError(
            "\(BundlePath.signatureName) (key \(fingerprint)) does not match \(BundlePath.manifestName): "
                + "the manifest or the signature was altered")
    }

    static func scoped(_ bundle: String, _ error: GSError) -> GSError {
        GSError("`\(bundle)`: \(error.message)", at: error.location, hint: error.hint)
    }

    static func manifestNotFirst(_ found: String) -> GSError {
        GSError(
            "the first entry is `\(found)`, not \(BundlePath.manifestName)",
            hint: "bundles are written by gsctl with the manifest first")
    }

    static func signatureMisplaced() -> GSError {
        GSError("\(BundlePath.signatureName) must directly follow \(BundlePath.manifestName)")
    }

    static func badEntryPath(_ path: String, _ reason: String) -> GSError {
        GSError("entry `\(clip(path))` is refused: \(reason)")
    }

    static func notRegular(_ path: String, _ kind: ArchiveEntryKind, target: String?) -> GSError {
        let pointing = target.map { " to `\(clip($0))`" } ?? ""
        return GSError("entry `\(clip(path))` is \(kind.description)\(pointing); bundles hold only regular files")
    }

    static func duplicate(_ path: String) -> GSError {
        GSError("entry `\(path)` appears twice")
    }

    static func unlisted(_ path: String) -> GSError {
        GSError("`\(path)` is not listed in \(BundlePath.manifestName)")
    }

    static func missing(_ path: String) -> GSError {
        GSError("`\(path)` is listed in \(BundlePath.manifestName) but missing")
    }

    static func sizeMismatch(_ path: String, actual: Int, expected: Int) -> GSError {
        GSError("`\(path)` is \(actual) bytes; \(BundlePath.manifestName) says \(expected)")
    }

    static func digestMismatch(_ path: String, actual: String, expected: String) -> GSError {
        GSError("`\(path)` has sha256 \(actual); \(BundlePath.manifestName) says \(expected)")
    }

    static func modeMismatch(_ path: String, actual: UInt32, expected: FileMode) -> GSError {
        GSError("`\(path)` has mode \(octal(actual)); \(BundlePath.manifestName) says \(expected.text)")
    }

    static func entryTooLarge(_ path: String, limit: Int) -> GSError {
        GSError("`\(path)` is over the \(limit)-byte limit for one file")
    }

    static func totalTooLarge(limit: Int) -> GSError {
        GSError("the bundle is over the \(limit)-byte limit for all files together")
    }

    static func tooManyEntries(limit: Int) -> GSError {
        GSError("the bundle has more than \(limit) entries")
    }

    static func octal(_ mode: UInt32) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// Names from hostile archives can be long or hold control bytes: show a safe prefix.
    static func clip(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(160) {
            out += scalar.value < 0x20 || scalar.value == 0x7F ? "?" : String(scalar)
        }
        return text.unicodeScalars.count > 160 ? out + "..." : out
    }
}
