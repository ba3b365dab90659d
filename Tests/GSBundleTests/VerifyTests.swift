import Foundation
import GSCore
import Testing

@testable import GSBundle

@Suite struct VerifyTests {
    @Test func signedBundleVerifiesAgainstItsKey() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.signer)
        let key = try Fixture.signer.publicKey
        let verified = try BundleVerifier.verify(packed.archivePath, trustedKeys: [key])
        #expect(verified.signature == .signed(keyFingerprint: key.fingerprint, trusted: true))
        #expect(verified.manifest == packed.manifest)
        #expect(verified.manifestDigest == packed.manifestDigest)
        // Without pinned keys the signature is still checked against its own key.
        #expect(
            try BundleVerifier.verify(packed.archivePath).signature
                == .signed(keyFingerprint: key.fingerprint, trusted: false))
    }

    @Test func unknownKeyIsRefusedNamingTheFingerprint() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.otherSigner)
        let other = try Fixture.otherSigner.publicKey.fingerprint
        let message = failure {
            _ = try BundleVerifier.verify(packed.archivePath, trustedKeys: [Fixture.signer.publicKey])
        }
        #expect(message.contains("manifest.sig is signed by key \(other), which is not a trusted key"))
        #expect(message.hasPrefix("`\(packed.archivePath)`: "))
    }

    @Test func unsignedBundleFailsOnlyWhenKeysArePinned() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch)
        #expect(try BundleVerifier.verify(packed.archivePath).signature == .unsigned)
        let message = failure {
            _ = try BundleVerifier.verify(packed.archivePath, trustedKeys: [Fixture.signer.publicKey])
        }
        #expect(
            message.contains(
                "the bundle is unsigned, but signing keys are pinned (\(try Fixture.signer.publicKey.fingerprint))"))
    }

    /// An attacker edits the manifest and signs it with their own key: the pinned key refuses it.
    @Test func reSignedManifestFailsAgainstThePinnedKey() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.signer)
        let directory = scratch.join("release")
        try SafeExtractor.extract(packed.archivePath, to: directory)
        var manifest = packed.manifest
        manifest.precision = "fp32"
        try FileSystem.writeAtomically(manifest.canonicalBytes, to: directory + "/manifest.json")
        let forged = try BundleSignature.sign(manifest.canonicalBytes, with: Fixture.otherSigner)
        try FileSystem.writeAtomically(forged.canonicalBytes, to: directory + "/manifest.sig")
        let message = failure { _ = try BundleVerifier.verify(directory, trustedKeys: [Fixture.signer.publicKey]) }
        #expect(message.contains("signed by key \(forged.keyFingerprint), which is not a trusted key"))
        // And claiming the trusted key's fingerprint does not help: the signature does not match.
        let claimed = BundleSignature(
            keyFingerprint: try Fixture.signer.publicKey.fingerprint, signature: forged.signature)
        try FileSystem.writeAtomically(claimed.canonicalBytes, to: directory + "/manifest.sig")
        #expect(
            failure { _ = try BundleVerifier.verify(directory, trustedKeys: [Fixture.signer.publicKey]) }
                .contains("does not match manifest.json"))
    }

    /// A flipped byte in every file of an unpacked bundle is caught and named.
    @Test func flippedByteInAnyFileIsNamed() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.signer)
        let pinned = [try Fixture.signer.publicKey]
        for file in packed.manifest.files {
            let directory = scratch.join("release-\(UUID().uuidString)")
            try SafeExtractor.extract(packed.archivePath, to: directory, trustedKeys: pinned)
            try flip(directory + "/" + file.path, at: file.size / 2)
            let message = failure { _ = try BundleVerifier.verify(directory, trustedKeys: pinned) }
            #expect(message.contains("`\(file.path)` has sha256 "), "\(message)")
            #expect(message.contains("manifest.json says \(file.sha256)"))
        }
    }

    @Test func flippedByteInManifestOrSignatureIsNamed() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.signer)
        let pinned = [try Fixture.signer.publicKey]
        // Every byte position of the manifest: each flip must fail (bad JSON is never parsed
        // because the signature is checked first).
        let manifestBytes = packed.manifestBytes
        for offset in stride(from: 0, to: manifestBytes.count, by: max(1, manifestBytes.count / 40)) {
            let directory = scratch.join("m-\(offset)")
            try SafeExtractor.extract(packed.archivePath, to: directory)
            try flip(directory + "/manifest.json", at: offset)
            let message = failure { _ = try BundleVerifier.verify(directory, trustedKeys: pinned) }
            #expect(
                message.contains("manifest.sig (key ") && message.contains("does not match manifest.json"), "\(message)"
            )
        }
        let signatureLength = packed.signature?.canonicalBytes.count ?? 0
        for offset in [signatureLength - 3, signatureLength / 2, 20] {
            let directory = scratch.join("s-\(offset)")
            try SafeExtractor.extract(packed.archivePath, to: directory)
            try flip(directory + "/manifest.sig", at: offset)
            let message = failure { _ = try BundleVerifier.verify(directory, trustedKeys: pinned) }
            #expect(message.contains("manifest.sig"), "\(message)")
        }
    }

    /// The same checks on archives: content that disagrees with the signed manifest.
    @Test func tamperedArchiveContentIsNamed() throws {
        let scratch = Scratch()
        let files: [(String, [UInt8])] = [("a.bin", [1, 2, 3, 4]), ("b/c.bin", Array(repeating: 9, count: 100))]
        let head = try HostileArchive.head(files, key: Fixture.signer)
        let pinned = [try Fixture.signer.publicKey]
        let good = scratch.join("good.tar.zst")
        try HostileArchive.write(good, head + files.map { HostileArchive.file($0.0, $0.1) })
        _ = try BundleVerifier.verify(good, trustedKeys: pinned)

        let flipped = scratch.join("flipped.tar.zst")
        try HostileArchive.write(
            flipped, head + [HostileArchive.file("a.bin", [1, 2, 3, 5]), HostileArchive.file(files[1].0, files[1].1)])
        #expect(failure { _ = try BundleVerifier.verify(flipped, trustedKeys: pinned) }.contains("`a.bin` has sha256 "))

        let resized = scratch.join("resized.tar.zst")
        try HostileArchive.write(
            resized, head + [HostileArchive.file("a.bin", [1, 2, 3]), HostileArchive.file(files[1].0, files[1].1)])
        #expect(
            failure { _ = try BundleVerifier.verify(resized, trustedKeys: pinned) }.contains(
                "`a.bin` is 3 bytes; manifest.json says 4"))

        let missing = scratch.join("missing.tar.zst")
        try HostileArchive.write(missing, head + [HostileArchive.file("a.bin", files[0].1)])
        #expect(
            failure { _ = try BundleVerifier.verify(missing, trustedKeys: pinned) }.contains(
                "`b/c.bin` is listed in manifest.json but missing"))

        let remoded = scratch.join("mode.tar.zst")
        try HostileArchive.write(
            remoded,
            head + [HostileArchive.file("a.bin", files[0].1, mode: 0o755), HostileArchive.file(files[1].0, files[1].1)])
        #expect(
            failure { _ = try BundleVerifier.verify(remoded, trustedKeys: pinned) }.contains(
                "`a.bin` has mode 0755; manifest.json says 0644"))
    }

    /// Flipping bytes of the compressed archive itself: refused, unless the flip leaves the
    /// decoded content identical.
    @Test func corruptedArchiveBytesAreRefused() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.signer)
        let bytes = try FileSystem.read(packed.archivePath)
        for offset in stride(from: 0, to: bytes.count, by: max(1, bytes.count / 25)) {
            var damaged = bytes
            damaged[offset] ^= 0x01
            let path = try scratch.write("damaged-\(offset).tar.zst", damaged)
            // Some bits of a zstd stream do not change what it decodes to (a header field the
            // decoder does not need, an unused code length): such an archive holds the very
            // bytes that were signed, and accepting it is right. Any change to content is refused.
            do throws(GSError) {
                let verified = try BundleVerifier.verify(path, trustedKeys: [Fixture.signer.publicKey])
                #expect(verified.manifest == packed.manifest, "accepted at offset \(offset) with other content")
            } catch {
                #expect(error.message.hasPrefix("`\(path)`: "), "\(error.message)")
            }
        }
    }

    @Test func directoryWithExtraOrLinkedFilesIsRefused() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch)
        let extra = scratch.join("extra")
        try SafeExtractor.extract(packed.archivePath, to: extra)
        try scratch.write("extra/models/unlisted.onnx", [1])
        #expect(
            failure { _ = try BundleVerifier.verify(extra) }.contains(
                "`models/unlisted.onnx` is not listed in manifest.json"))

        let linked = scratch.join("linked")
        try SafeExtractor.extract(packed.archivePath, to: linked)
        unlink(linked + "/models/counter.onnx")
        symlink("/etc/passwd", linked + "/models/counter.onnx")
        #expect(failure { _ = try BundleVerifier.verify(linked) }.contains("`models/counter.onnx` is a symbolic link"))

        let fifo = scratch.join("fifo")
        try SafeExtractor.extract(packed.archivePath, to: fifo)
        unlink(fifo + "/golden/detector.input.npy")
        mkfifo(fifo + "/golden/detector.input.npy", 0o644)
        #expect(failure { _ = try BundleVerifier.verify(fifo) }.contains("`golden/detector.input.npy` is a FIFO"))

        let emptyDirectory = scratch.join("emptydir")
        try SafeExtractor.extract(packed.archivePath, to: emptyDirectory)
        mkdir(emptyDirectory + "/stray", 0o755)
        #expect(failure { _ = try BundleVerifier.verify(emptyDirectory) }.contains("`stray/` is not listed"))
    }

    private func flip(_ path: String, at offset: Int) throws {
        var bytes = try FileSystem.read(path)
        bytes[offset] ^= 0x20
        // Keep the mode: verification compares it too, and this test is about content.
        var info = stat()
        stat(path, &info)
        chmod(path, 0o644)
        let handle = open(path, O_WRONLY | O_TRUNC)
        _ = bytes.withUnsafeBytes { write(handle, $0.baseAddress, $0.count) }
        close(handle)
        chmod(path, info.st_mode & 0o7777)
    }
}
