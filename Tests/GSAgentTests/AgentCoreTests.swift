import Foundation
import GSAgent
import GSBundle
import GSCore
import GSData
import GSExec
import ONNX
import Testing

/// A host root and a build-side blob store with a bundle around the real PP-OCR direction
/// classifier: its golden input and the outputs the executor computes for it.
struct AgentFixture {
    let directory: String
    let layout: HostLayout
    let buildStore: BlobStore

    static let model: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Specs/models/ppocr_cls.onnx").path
    }()

    init() throws {
        directory = NSTemporaryDirectory() + "gsctl-agent-\(UUID().uuidString)"
        layout = HostLayout(root: directory + "/host")
        try layout.prepare()
        buildStore = try BlobStore(root: directory + "/build/blobs")
    }

    func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }

    /// Packs a bundle `id` whose golden output is what the model computes, scaled by
    /// `goldenScale` (1 = honest; anything else simulates a device that computes wrong).
    func bundle(_ id: String = "reader-box-fp32", goldenScale: Float = 1, key: Ed25519PrivateKey? = nil) throws
        -> PackedBundle
    {
        let proto = try ModelFile.load(Self.model)
        let input = Tensor(shape: [1, 3, 48, 192], floats: (0..<(3 * 48 * 192)).map { Float($0 % 97) / 97 })
        let feeds = ["x": input]
        var outputs = try ONNXImport.executor(for: proto).run(feeds)
        for (name, tensor) in outputs {
            outputs[name] = Tensor(
                shape: tensor.shape, floats: tensor.floatValues.map { $0 * goldenScale + (goldenScale == 1 ? 0 : 0.5) })
        }
        let work = directory + "/work-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try Npz.write(feeds, to: work + "/in.npz")
        // Member names as the build writes them (`/` is not allowed in a zip member).
        let encoded = Dictionary(
            uniqueKeysWithValues: outputs.map {
                ($0.key.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "/", with: "%2F"), $0.value)
            })
        try Npz.write(encoded, to: work + "/out.npz")
        let base = "models/direction/fp32"
        let manifest = Manifest(
            id: id, workflow: "reader", device: "box", precision: "fp32", precisions: ["direction": "fp32"],
            source: SourceInfo(specDigest: String(repeating: "0", count: 64)),
            models: [
                "direction": [
                    "precision": "fp32",
                    "variants": [
                        "fp32": [
                            "model": .string(base + "/model.onnx"), "goldenInput": .string(base + "/golden-input.npz"),
                            "goldenOutput": .string(base + "/golden-output.npz"),
                        ]
                    ],
                ]
            ])
        return try BundlePacker.pack(
            manifest,
            files: [
                BundleInput(path: base + "/model.onnx", file: Self.model),
                BundleInput(path: base + "/golden-input.npz", file: work + "/in.npz"),
                BundleInput(path: base + "/golden-output.npz", file: work + "/out.npz"),
            ], into: directory + "/build", blobs: buildStore, signingKey: key)
    }

    /// Sends every blob of `bundle` to the host the way the controller does (manifest,
    /// signature, files), through the receiver.
    func send(_ bundle: PackedBundle) throws -> String? {
        let receiver = try BlobReceiver(layout: layout)
        var blobs: [(String, [UInt8])] = [(bundle.manifestDigest, bundle.manifestBytes)]
        var signatureDigest: String?
        if let signature = bundle.signature {
            signatureDigest = SHA256.hex(of: signature.canonicalBytes)
            blobs.append((signatureDigest!, signature.canonicalBytes))
        }
        for file in bundle.manifest.files {
            blobs.append((file.sha256, try FileSystem.read(try buildStore.path(for: file.sha256))))
        }
        for (digest, bytes) in blobs {
            _ = try receiver.put(digest, offset: 0, total: bytes.count, count: bytes.count) { sink throws(GSError) in
                try sink(bytes[...])
            }
        }
        return signatureDigest
    }
}

@Suite(.serialized) struct AgentCoreTests {
    @Test func aLiveLeaseIsNamedAnExpiredOrOrphanedOneIsTakenOver() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanUp() }
        _ = try Lease.acquire(fixture.layout, owner: "alice", ttl: 60, wait: 0)
        let error1 = #expect(throws: GSError.self) {
            _ = try Lease.acquire(fixture.layout, owner: "bob", ttl: 60, wait: 0)
        }
        #expect(error1?.message.contains("locked by `alice`") == true, "\(error1?.message ?? "")")
        // Expired: taken over.
        try FileSystem.writeAtomically(
            Lease(owner: "alice", pid: getpid(), expires: unixNow() - 1).json.canonical, to: fixture.layout.lease)
        #expect(try Lease.acquire(fixture.layout, owner: "bob", ttl: 60, wait: 0).owner == "bob")
        // Held by an agent process that is gone: taken over at once.
        let child = try Subprocess.run(["sh", "-c", "echo $$"])
        let deadPID = Int32(child.text.trimmingCharacters(in: .whitespacesAndNewlines))!
        try FileSystem.writeAtomically(
            Lease(owner: "carol", pid: deadPID, expires: unixNow() + 300).json.canonical, to: fixture.layout.lease)
        #expect(try Lease.acquire(fixture.layout, owner: "dave", ttl: 60, wait: 0).owner == "dave")
        Lease.release(fixture.layout, owner: "dave")
        #expect(!FileManager.default.fileExists(atPath: fixture.layout.lease))
    }

    @Test func blobsResumeAtWhatArrivedAndWrongBytesAreDiscarded() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanUp() }
        let receiver = try BlobReceiver(layout: fixture.layout)
        let bytes = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let digest = SHA256.hex(of: bytes)
        let first = try receiver.put(digest, offset: 0, total: bytes.count, count: 40_000) { sink throws(GSError) in
            try sink(bytes[0..<40_000])
        }
        #expect(first.have == 40_000 && !first.complete)
        #expect(try receiver.received(digest) == 40_000, "a cut transfer resumes here")
        let error2 = #expect(throws: GSError.self) {
            _ = try receiver.put(digest, offset: 0, total: bytes.count, count: 10) { sink throws(GSError) in
                try sink(bytes[0..<10])
            }
        }
        #expect(error2?.message.contains("holds 40000 bytes") == true, "\(error2?.message ?? "")")
        let rest = try receiver.put(digest, offset: 40_000, total: bytes.count, count: 60_000) { sink throws(GSError) in
            try sink(bytes[40_000...])
        }
        #expect(rest.complete)
        #expect(receiver.store.has(digest))
        #expect(try receiver.received(digest) == nil)

        var tampered = bytes
        tampered[5] ^= 1
        let other = SHA256.hex(of: bytes.reversed())
        let error3 = #expect(throws: GSError.self) {
            _ = try receiver.put(other, offset: 0, total: tampered.count, count: tampered.count) {
                sink throws(GSError) in
                try sink(tampered[...])
            }
        }
        #expect(error3?.message.contains("corrupted in transit or tampered") == true, "\(error3?.message ?? "")")
        #expect(!receiver.store.has(other))
        #expect(try receiver.received(other) == 0, "the bad partial file is gone")
    }

    @Test func activationSwitchesAtomicallyAndTheGoldenGatePasses() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanUp() }
        let bundle = try fixture.bundle()
        let signature = try fixture.send(bundle)
        let activator = try Activator(layout: fixture.layout, runner: NoWorkflow())
        let candidate = try activator.candidate(manifestDigest: bundle.manifestDigest, signatureDigest: signature)
        let outcome = try activator.activate(candidate, revision: "abc", deployment: "d", owner: "test")
        #expect(outcome.activated)
        #expect(outcome.checks.count == 1 && outcome.checks[0].passed)
        #expect(fixture.layout.currentRelease() == candidate.name)
        let state = try HostState.load(fixture.layout)
        #expect(state.active?.revision == "abc" && state.pending == nil)
        #expect(ReleaseFiles.drift(release: fixture.layout.release(candidate.name), manifest: bundle.manifest).isEmpty)
        // The same release again is a no-op.
        #expect(try activator.activate(candidate, revision: "abc", deployment: "d", owner: "test").unchanged)
    }

    @Test func aDeviceThatComputesWrongFailsTheGateAndStaysOnTheOldRelease() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanUp() }
        let activator = try Activator(layout: fixture.layout, runner: NoWorkflow())
        let good = try fixture.bundle("reader-box-fp32")
        _ = try fixture.send(good)
        let first = try activator.activate(
            try activator.candidate(manifestDigest: good.manifestDigest, signatureDigest: nil), revision: "r1",
            deployment: "d", owner: "test")
        #expect(first.activated)
        let bad = try fixture.bundle("reader-box-fp32", goldenScale: 3)
        _ = try fixture.send(bad)
        let outcome = try activator.activate(
            try activator.candidate(manifestDigest: bad.manifestDigest, signatureDigest: nil), revision: "r2",
            deployment: "d", owner: "test")
        #expect(!outcome.activated)
        #expect(outcome.reason?.contains("differs from the built output") == true, "\(outcome.reason ?? "")")
        #expect(outcome.rolledBackTo == first.release)
        #expect(fixture.layout.currentRelease() == first.release)
        let state = try HostState.load(fixture.layout)
        #expect(state.active?.revision == "r1")
        #expect(state.failed[bad.manifestDigest] != nil)
        #expect(state.history.map(\.action) == [.activated, .failed, .rolledBack])
    }

    @Test func anInterruptedActivationIsRolledBackBeforeAnythingElse() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanUp() }
        let activator = try Activator(layout: fixture.layout, runner: NoWorkflow())
        let first = try fixture.bundle("reader-box-fp32")
        _ = try fixture.send(first)
        let old = try activator.activate(
            try activator.candidate(manifestDigest: first.manifestDigest, signatureDigest: nil), revision: "r1",
            deployment: "d", owner: "test")
        // A crash after the switch: `current` points to the new release, state says pending.
        let second = try fixture.bundle("reader-box-fp32-b")
        _ = try fixture.send(second)
        let candidate = try activator.candidate(manifestDigest: second.manifestDigest, signatureDigest: nil)
        try ReleaseFiles.assemble(
            candidate.name, manifest: candidate.manifest, manifestBytes: candidate.manifestBytes, signatureBytes: nil,
            layout: fixture.layout, store: try BlobStore(root: fixture.layout.blobs))
        var state = try HostState.load(fixture.layout)
        state.pending = PendingActivation(
            target: ReleaseRecord(
                name: candidate.name, bundleID: candidate.manifest.id, manifestDigest: candidate.manifestDigest,
                revision: "r2", buildKeys: [:], deployment: "d", activatedAt: unixNow()), from: state.active,
            startedAt: unixNow())
        try state.save(fixture.layout)
        try CurrentLink.point(fixture.layout, to: candidate.name)
        let recovered = try activator.recover(owner: "next")
        #expect(recovered?.contains("rolled back") == true)
        #expect(fixture.layout.currentRelease() == old.release)
        let after = try HostState.load(fixture.layout)
        #expect(after.pending == nil && after.active?.revision == "r1")
        #expect(after.history.last?.action == .interrupted)
    }

    @Test func aManifestWithAPathOutOfTheReleaseIsRefusedBeforeAnythingIsWritten() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanUp() }
        let bundle = try fixture.bundle()
        let text = String(decoding: bundle.manifestBytes, as: UTF8.self)
            .replacingOccurrences(of: "models/direction/fp32/model.onnx", with: "../../etc/gsctl-owned")
        let evil = Array(text.utf8)
        let digest = SHA256.hex(of: evil)
        let receiver = try BlobReceiver(layout: fixture.layout)
        _ = try receiver.put(digest, offset: 0, total: evil.count, count: evil.count) { sink throws(GSError) in
            try sink(evil[...])
        }
        let activator = try Activator(layout: fixture.layout, runner: NoWorkflow())
        #expect(throws: GSError.self) { try activator.candidate(manifestDigest: digest, signatureDigest: nil) }
        #expect(fixture.layout.currentRelease() == nil)
        #expect(!FileManager.default.fileExists(atPath: fixture.directory + "/etc"))
    }

    @Test func signaturesAreCheckedAgainstThePinnedKeys() throws {
        let fixture = try AgentFixture()
        defer { fixture.cleanUp() }
        let trusted = try SigningKeyFiles.generate(prefix: fixture.directory + "/trusted")
        let other = try Ed25519PrivateKey.generate()
        try FileManager.default.copyItem(
            atPath: trusted.publicKeyPath, toPath: fixture.layout.trust + "/\(trusted.fingerprint).pub")
        let activator = try Activator(layout: fixture.layout, runner: NoWorkflow())
        let unsigned = try fixture.bundle()
        _ = try fixture.send(unsigned)
        #expect(throws: GSError.self) {
            try activator.candidate(manifestDigest: unsigned.manifestDigest, signatureDigest: nil)
        }
        let foreign = try fixture.bundle(key: other)
        let foreignSignature = try fixture.send(foreign)
        let error4 = #expect(throws: GSError.self) {
            _ = try activator.candidate(manifestDigest: foreign.manifestDigest, signatureDigest: foreignSignature)
        }
        #expect(error4?.message.contains("not a trusted key") == true, "\(error4?.message ?? "")")
        let signed = try fixture.bundle(key: try Ed25519PrivateKey.load(path: trusted.privateKeyPath))
        let signature = try fixture.send(signed)
        #expect(
            try activator.candidate(manifestDigest: signed.manifestDigest, signatureDigest: signature).manifest.id
                == "reader-box-fp32")
    }
}
