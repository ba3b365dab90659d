import Foundation
import GSCore
import Testing

@testable import GSBundle

/// Our archives and signatures are the standard formats: GNU tar lists the archives and
/// openssl verifies the signatures (and gsctl verifies openssl's).
@Suite(.serialized) struct InteropTests {
    @Test(.enabled(if: Shell.available("tar") && Shell.available("zstd")))
    func gnuTarListsTheArchive() throws {
        let scratch = Scratch()
        let packed = try Fixture.pack(in: scratch, key: Fixture.signer)
        let listed = Shell.run("tar --zstd -tvf '\(packed.archivePath)'")
        #expect(listed.status == 0, "\(listed.output)")
        let lines = listed.output.split(separator: "\n").map(String.init)
        #expect(lines.count == 7)
        #expect(lines.first?.hasPrefix("-rw-r--r-- 0/0") == true)
        #expect(lines.first?.hasSuffix(" 1970-01-01 00:00 manifest.json") == true, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("-rwxr-xr-x 0/0") && $0.hasSuffix("bin/run-task") })
        #expect(
            lines.map { $0.split(separator: " ").last.map(String.init) ?? "" }.dropFirst(2) == [
                "bin/run-task", "golden/detector.input.npy", "models/counter.onnx", "models/detector.onnx",
                "wheels/numpy-1.26.4-cp311-none-any.whl",
            ])
        // And GNU tar extracts the same bytes.
        let out = scratch.join("untarred")
        try FileSystem.makeDirectories(out)
        #expect(Shell.run("tar --zstd -xf '\(packed.archivePath)' -C '\(out)'").status == 0)
        #expect(try FileSystem.read(out + "/models/detector.onnx") == Fixture.modelBytes)
        #expect(
            try BundleVerifier.verify(out, trustedKeys: [Fixture.signer.publicKey]).manifestDigest
                == packed.manifestDigest)
    }

    @Test(.enabled(if: Shell.available("openssl")))
    func opensslVerifiesOurSignature() throws {
        let scratch = Scratch()
        let keys = try SigningKeyFiles.generate(prefix: scratch.join("release"))
        let key = try Ed25519PrivateKey.load(path: keys.privateKeyPath)
        let packed = try Fixture.pack(in: scratch, key: key)
        let manifest = try scratch.write("manifest.json", packed.manifestBytes)
        let raw = try scratch.write("manifest.sig.raw", Hex.decode(packed.signature?.signature ?? "") ?? [])
        let command =
            "openssl pkeyutl -verify -pubin -inkey '\(keys.publicKeyPath)' -rawin -in '\(manifest)' -sigfile '\(raw)'"
        let verified = Shell.run(command)
        #expect(verified.status == 0, "\(verified.output)")
        #expect(verified.output.contains("Signature Verified Successfully"))
        // A flipped manifest byte: openssl refuses too.
        var bent = packed.manifestBytes
        bent[5] ^= 1
        try FileSystem.writeAtomically(bent, to: manifest)
        #expect(Shell.run(command).status != 0)
    }

    @Test(.enabled(if: Shell.available("openssl")))
    func opensslKeysSignBundlesGsctlVerifies() throws {
        let scratch = Scratch()
        let privatePath = scratch.join("ossl.key")
        let publicPath = scratch.join("ossl.pub")
        #expect(Shell.run("openssl genpkey -algorithm ed25519 -out '\(privatePath)'").status == 0)
        #expect(Shell.run("openssl pkey -in '\(privatePath)' -pubout -out '\(publicPath)'").status == 0)
        let packed = try Fixture.pack(in: scratch, key: try Ed25519PrivateKey.load(path: privatePath))
        let publicKey = try Ed25519PublicKey.load(path: publicPath)
        #expect(
            try BundleVerifier.verify(packed.archivePath, trustedKeys: [publicKey]).signature
                == .signed(keyFingerprint: publicKey.fingerprint, trusted: true))
        // The public PEM gsctl writes is byte-for-byte what openssl writes.
        #expect(try publicKey.pem == FileSystem.read(publicPath))
    }
}
