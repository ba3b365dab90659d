import Foundation
import GSCore
import Testing

@testable import GSBundle

@Suite struct BlobStoreTests {
    @Test func storesFilesAndBytesUnderTheirDigest() throws {
        let scratch = Scratch()
        let store = try BlobStore(root: scratch.join("store"))
        let source = try scratch.write("model.onnx", Fixture.modelBytes)
        let digest = SHA256.hex(of: Fixture.modelBytes)
        #expect(!store.has(digest))
        let blob = try store.put(file: source)
        #expect(blob.digest == digest && blob.size == Fixture.modelBytes.count)
        #expect(blob.path == scratch.join("store/sha256/\(digest)"))
        #expect(store.has(digest))
        #expect(try FileSystem.read(store.path(for: digest)) == Fixture.modelBytes)
        #expect(DiskOps.entry(blob.path)?.permissions == 0o444)
        #expect(try store.put(bytes: Fixture.modelBytes) == blob)
        #expect(store.missing([digest, SHA256.hex(of: "other"), digest]) == [SHA256.hex(of: "other")])
        #expect(scratch.listing(scratch.join("store/tmp")).isEmpty)
        try store.verify(digest)
    }

    @Test func wrongDigestLeavesNothingBehind() throws {
        let scratch = Scratch()
        let store = try BlobStore(root: scratch.join("store"))
        let expected = SHA256.hex(of: "what the manifest says")
        let message = failure { try store.put(bytes: Array("something else".utf8), expecting: expected) }
        #expect(message.contains("has sha256 \(SHA256.hex(of: "something else")), expected \(expected)"))
        #expect(scratch.listing(scratch.join("store/sha256")).isEmpty)
        #expect(scratch.listing(scratch.join("store/tmp")).isEmpty)
        let source = try scratch.write("f", [1, 2, 3])
        #expect(failure { try store.put(file: source, expecting: expected) }.contains("`\(source)` has sha256"))
        #expect(scratch.listing(scratch.join("store/sha256")).isEmpty)
    }

    @Test func presentBlobIsReusedWithoutReadingTheSource() throws {
        let scratch = Scratch()
        let store = try BlobStore(root: scratch.join("store"))
        let blob = try store.put(bytes: [1, 2, 3])
        // The source no longer exists: with `expecting`, the stored blob answers.
        #expect(try store.put(file: scratch.join("gone"), expecting: blob.digest) == blob)
    }

    @Test func refusesDigestsThatAreNotDigests() throws {
        let scratch = Scratch()
        let store = try BlobStore(root: scratch.join("store"))
        #expect(failure { _ = try store.path(for: "../../etc/passwd") }.contains("is not a sha256 digest"))
        #expect(!store.has("../../etc/passwd"))
        #expect(!store.has(SHA256.hex(of: "x").uppercased()))
    }

    @Test func corruptedBlobIsDetectedAndRemoved() throws {
        let scratch = Scratch()
        let store = try BlobStore(root: scratch.join("store"))
        let blob = try store.put(bytes: Array("precious".utf8))
        chmod(blob.path, 0o644)
        try FileSystem.writeAtomically(Array("tampered".utf8), to: blob.path)
        #expect(failure { try store.verify(blob.digest) }.contains("was corrupted"))
        #expect(!store.has(blob.digest))
    }

    /// A writer killed mid-blob leaves its temporary file in tmp/, never in sha256/.
    @Test func staleTemporariesOfDeadWritersAreRemoved() throws {
        let scratch = Scratch()
        let store = try BlobStore(root: scratch.join("store"))
        try scratch.write("store/tmp/999999999-dead", [1, 2])
        try scratch.write("store/tmp/\(getpid())-live", [3])
        store.removeTemporaries()
        #expect(scratch.listing(scratch.join("store/tmp")) == ["\(getpid())-live"])
    }

    @Test func concurrentWritersOfOneBlobAgree() async throws {
        let scratch = Scratch()
        let store = try BlobStore(root: scratch.join("store"))
        let bytes = Fixture.modelBytes
        let digests = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try store.put(bytes: bytes).digest } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(Set(digests) == [SHA256.hex(of: bytes)])
        #expect(scratch.listing(scratch.join("store/sha256")) == [SHA256.hex(of: bytes)])
        #expect(scratch.listing(scratch.join("store/tmp")).isEmpty)
        try store.verify(SHA256.hex(of: bytes))
    }
}
