import Foundation
import GSCore
import Testing

@testable import GSBundle

@Suite struct KeyTests {
    @Test func keygenWritesAPrivateKeyOnlyTheOwnerCanRead() throws {
        let scratch = Scratch()
        let generated = try SigningKeyFiles.generate(prefix: scratch.join("keys/release"))
        #expect(generated.privateKeyPath == scratch.join("keys/release.key"))
        #expect(DiskOps.entry(generated.privateKeyPath)?.permissions == 0o600)
        #expect((DiskOps.entry(generated.publicKeyPath)?.permissions ?? 0o777) & 0o022 == 0)
        let key = try Ed25519PrivateKey.load(path: generated.privateKeyPath)
        let publicKey = try Ed25519PublicKey.load(path: generated.publicKeyPath)
        #expect(publicKey.fingerprint == generated.fingerprint)
        #expect(try key.publicKey.fingerprint == generated.fingerprint)
        let pem = String(decoding: try FileSystem.read(generated.privateKeyPath), as: UTF8.self)
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(scratch.listing(scratch.join("keys")) == ["release.key", "release.pub"])
    }

    @Test func keygenRefusesToReplaceAKeyWithoutForce() throws {
        let scratch = Scratch()
        let first = try SigningKeyFiles.generate(prefix: scratch.join("k"))
        let message = failure { _ = try SigningKeyFiles.generate(prefix: scratch.join("k")) }
        #expect(message.contains("`\(scratch.join("k.key"))` already exists"))
        #expect(try Ed25519PublicKey.load(path: first.publicKeyPath).fingerprint == first.fingerprint)
        let second = try SigningKeyFiles.generate(prefix: scratch.join("k"), force: true)
        #expect(second.fingerprint != first.fingerprint)
        #expect(DiskOps.entry(second.privateKeyPath)?.permissions == 0o600)
    }

    @Test func signaturesVerifyOnlyForTheirMessageAndKey() throws {
        let key = Fixture.signer
        let message = Array("manifest bytes".utf8)
        let signature = try key.sign(message)
        #expect(signature.count == 64)
        #expect(try key.publicKey.verify(signature: signature, of: message))
        #expect(try !key.publicKey.verify(signature: signature, of: message + [0]))
        #expect(try !Fixture.otherSigner.publicKey.verify(signature: signature, of: message))
        var bent = signature
        bent[10] ^= 1
        #expect(try !key.publicKey.verify(signature: bent, of: message))
        #expect(
            try Ed25519PublicKey.fromFingerprint(key.publicKey.fingerprint).verify(signature: signature, of: message))
        // Ed25519 is deterministic: same key and message, same signature.
        #expect(try key.sign(message) == signature)
    }

    @Test func refusesWhatIsNotAnEd25519PrivateKey() throws {
        #expect(failure { _ = try Ed25519PrivateKey.parse(pem: Array("hello".utf8)) }.contains("not a PEM private key"))
        let publicPEM = try Fixture.signer.publicKey.pem
        #expect(failure { _ = try Ed25519PrivateKey.parse(pem: publicPEM) }.contains("not a PEM private key"))
        #expect(failure { _ = try Ed25519PublicKey.fromFingerprint("xyz") }.contains("not 64 lowercase hex"))
    }
}
